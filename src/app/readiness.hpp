// What `GET /readyz` answers: whether this instance should get traffic. A load balancer or
// Kubernetes takes an instance that is not ready out of rotation, so a misconfigured or
// broken one gets no webhooks (Twilio then tries another, or retries later).
//
// Not ready (503), the first reason that applies:
//   "no flows loaded"              PARLEY_FLOWS has no flow files: messages would only be
//                                  recorded, never answered
//   "database unreachable"         Store::Ping fails
//   "database schema not current"  `parley migrate` (or a newer parley) is needed
//   "database not writable"        Store::ProbeWrite fails: disk full, read-only database
// Ready: 200 "ready". The reason is all the answer says (the endpoint is public); the
// store's error is logged when the verdict changes.
//
// The database checks cost a commit, so they run at most once per `interval` of the
// injected clock; in between, and while one caller probes, callers get the last verdict.
// A flood of /readyz requests therefore costs the database one probe per interval.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.hpp"
#include "store/store.hpp"

namespace parley::app {

struct ReadinessOptions {
  Duration interval = std::chrono::seconds(1);
  std::function<void(std::string_view)> log;  // a verdict that changed, with the store's error
};

class Readiness {
 public:
  struct Verdict {
    bool ready = false;
    std::string reason;  // "ready", or why not
  };

  // `flow_count` answers how many flows are loaded now. `store` and `clock` must outlive this.
  Readiness(store::Store& store, std::function<size_t()> flow_count, const Clock& clock,
            ReadinessOptions options = {});

  Verdict Check();

 private:
  // Ping, schema, write probe; `detail` gets the store's error.
  Verdict ProbeDatabase(std::string& detail);

  store::Store& store_;
  std::function<size_t()> flow_count_;
  const Clock& clock_;
  ReadinessOptions options_;

  std::mutex mu_;
  std::condition_variable probed_;
  std::optional<Verdict> database_;  // the last database verdict
  TimePoint probed_at_{};
  bool probing_ = false;
};

}  // namespace parley::app
