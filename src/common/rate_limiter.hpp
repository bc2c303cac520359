// Lets an action through at most once per interval and counts the calls it held back: for
// a log line that would otherwise repeat as long as a condition lasts ("http accept failed"
// while the process is out of file descriptors, issue 8 item 16), reported as
// "... (N more since the last report)".
//
// Thread-safe. Time comes from the Clock passed in (ManualClock in tests); a clock that
// moves backwards lets the next call through.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>

#include "common/time.hpp"

namespace parley {

class RateLimiter {
 public:
  // `clock` must outlive the limiter.
  RateLimiter(const Clock& clock, Duration interval) : clock_(clock), interval_(interval) {}

  // When the action may run now: the number of calls held back since the last one that
  // ran (0 if none), and that count restarts. Otherwise nullopt, and the call is counted.
  std::optional<uint64_t> Allow();
  // The calls held back since the last one that ran, and the count restarts: for a closing
  // report when the condition is over.
  uint64_t TakeSuppressed();

 private:
  const Clock& clock_;
  const Duration interval_;
  std::mutex mu_;
  std::optional<TimePoint> last_;  // guarded by mu_: when the action last ran
  uint64_t suppressed_ = 0;        // guarded by mu_
};

}  // namespace parley
