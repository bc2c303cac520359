// The Twilio REST stand-in's status callbacks (test support): after a message is created,
// Twilio posts its later statuses to the message's StatusCallback URL, asynchronously,
// form-encoded and signed with X-Twilio-Signature (the auth token over the full URL and the
// sorted parameters, twilio/signature.hpp), as TwilioDriver signs webhooks. This class
// schedules those posts and sends them from a thread of its own.
//
// - The URL signed is the StatusCallback as given (https://parley.example.com/twilio/status);
//   the connection goes to the target set with SetTarget (the server under test), with the
//   URL's host as the Host header. Callbacks due before a target is set wait for one.
// - Steps are sent `delay` apart, in order; with `reorder` each step instead goes at a random
//   time within the message's whole window (so `delivered` may come before `sent`), and with
//   `duplicate` about half of the steps are sent twice.
// - A post that gets no answer, or a 5xx, is tried again up to 3 more times (`delay` apart):
//   a busy server does not lose a callback. Every post is recorded.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "test/support/twilio_driver.hpp"

namespace parley::testing {

struct StatusCallbackOptions {
  std::string auth_token;
  std::string account_sid;
  std::chrono::milliseconds delay{100};  // before the first step, and between steps
  bool reorder = false;
  bool duplicate = false;
};

// One status of one message, e.g. {"delivered", ""} or {"undelivered", "30003"}.
struct CallbackStep {
  std::string status;
  std::string error_code;
};

// A callback post, as sent.
struct SentCallback {
  std::string message_sid;
  std::string status;
  std::string error_code;
  int http_status = 0;  // 0: no answer (connection failed or timed out)
};

class StatusCallbackSender {
 public:
  explicit StatusCallbackSender(StatusCallbackOptions options);
  ~StatusCallbackSender();  // Stop()

  // Where to connect: the server that PUBLIC_URL stands for.
  void SetTarget(std::string host, uint16_t port);
  // Schedules the `steps` of message `sid` (from `from` to `to`) for `url`, from now.
  void Schedule(const std::string& url, const std::string& sid, const std::string& from,
                const std::string& to, const std::vector<CallbackStep>& steps);
  // Waits up to `timeout` until nothing is scheduled or being sent; false on timeout.
  bool WaitIdle(std::chrono::milliseconds timeout) const;
  std::vector<SentCallback> sent() const;
  // Drops what is scheduled and joins the thread. Idempotent.
  void Stop();

 private:
  struct Pending {
    std::chrono::steady_clock::time_point due;
    std::string url;
    std::string sid, from, to;
    CallbackStep step;
    int tries = 0;
  };
  void Run();
  SentCallback Post(const Pending& p);

  const StatusCallbackOptions options_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool stopping_ = false;
  std::string host_;
  uint16_t port_ = 0;
  std::multimap<std::chrono::steady_clock::time_point, Pending> pending_;  // by due time
  int in_flight_ = 0;
  std::vector<SentCallback> sent_;
  std::mt19937_64 random_{std::random_device{}()};
  std::thread thread_;
};

}  // namespace parley::testing
