// A per-contact circuit breaker for flow handlers that hit a limit (docs/architecture.md,
// "Slow handlers"). SQLite has one writer and the pipeline one lane, so a handler that runs
// until its deadline holds up every other contact's events for that long. A contact whose
// step failed on a limit (deadline, instruction budget, memory) gets its next events failed
// fast, without running the flow, for a back-off that doubles with each consecutive failure
// (first_backoff, twice that, ... up to max_backoff); the first event after the back-off
// runs the flow again, and a step that does not hit a limit forgets the contact. So a
// contact whose handler spins on every message costs the others one deadline per back-off,
// not one per message.
//
// In memory, per instance: several instances each keep their own. At most max_contacts are
// remembered; past that, contacts whose back-off is over are dropped, then new ones are not
// remembered (the deadline still bounds each of their calls).
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/time.hpp"

namespace parley::conversation {

struct HandlerBreakerOptions {
  Duration first_backoff = std::chrono::seconds(1);
  Duration max_backoff = std::chrono::seconds(60);
  size_t max_contacts = 10'000;
};

class HandlerBreaker {
 public:
  explicit HandlerBreaker(HandlerBreakerOptions options = {}) : options_(options) {}

  // When `contact` may run handlers again, if it may not at `now`.
  std::optional<TimePoint> PausedUntil(std::string_view contact, TimePoint now) const;
  // A step of `contact` failed on a limit at `now`: pause it.
  void Failed(std::string_view contact, TimePoint now);
  // A step of `contact` ran without hitting a limit.
  void Succeeded(std::string_view contact);

 private:
  struct Entry {
    TimePoint until;
    int failures = 0;  // consecutive
  };
  HandlerBreakerOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace parley::conversation
