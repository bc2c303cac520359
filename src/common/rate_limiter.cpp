#include "common/rate_limiter.hpp"

namespace parley {

std::optional<uint64_t> RateLimiter::Allow() {
  const TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  if (last_ && now >= *last_ && now - *last_ < interval_) {
    ++suppressed_;
    return std::nullopt;
  }
  last_ = now;
  const uint64_t held_back = suppressed_;
  suppressed_ = 0;
  return held_back;
}

uint64_t RateLimiter::TakeSuppressed() {
  std::lock_guard lock(mu_);
  const uint64_t held_back = suppressed_;
  suppressed_ = 0;
  return held_back;
}

}  // namespace parley
