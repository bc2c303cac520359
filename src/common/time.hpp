// Time as a dependency. Everything in parley takes a TimePoint or a Clock; only
// system_clock.cpp reads the real clock (docs/architecture.md, "The flow library is pure").
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace parley {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

// Milliseconds since the Unix epoch, and back.
inline int64_t ToUnixMillis(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint FromUnixMillis(int64_t ms) { return TimePoint(Duration(ms)); }

// RFC 3339 in UTC with millisecond precision: "2026-11-24T09:00:00.000Z".
std::string FormatUtc(TimePoint t);

// A source of the current time. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// The one real clock.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
};

// A clock that only moves when told to; for simulations (`parley chat`) and tests.
// Thread-safe: a test thread may move it while server threads read it.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start) : now_ms_(ToUnixMillis(start)) {}
  TimePoint Now() const override { return FromUnixMillis(now_ms_.load()); }
  void Set(TimePoint t) { now_ms_.store(ToUnixMillis(t)); }
  void Advance(Duration d) { now_ms_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace parley
