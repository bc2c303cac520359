#include "admin/login_throttle.hpp"

#include <algorithm>

namespace parley::admin {

LoginThrottle::LoginThrottle(ThrottleOptions options) : options_(options) {}

std::optional<Duration> LoginThrottle::LockedFor(std::string_view key, TimePoint now) const {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(key);
  if (it == entries_.end() || it->second.locked_until <= now) {
    return std::nullopt;
  }
  return it->second.locked_until - now;
}

void LoginThrottle::Failure(std::string_view key, TimePoint now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_keys) {
      EvictOldestLocked();
    }
    it = entries_.emplace(std::string(key), Entry{}).first;
  }
  Entry& e = it->second;
  // A key quiet for longer than the longest lockout starts over.
  if (e.failures > 0 && now - e.last_failure > options_.max_lockout) {
    e = Entry{};
  }
  ++e.failures;
  e.last_failure = now;
  const int over = e.failures - options_.free_failures;
  if (over > 0) {
    Duration lockout = options_.first_lockout;
    for (int i = 1; i < over && lockout < options_.max_lockout; ++i) {
      lockout *= 2;
    }
    e.locked_until = now + std::min(lockout, options_.max_lockout);
  }
}

void LoginThrottle::Success(std::string_view key) {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(key);
  if (it != entries_.end()) {
    entries_.erase(it);
  }
}

void LoginThrottle::EvictOldestLocked() {
  const auto oldest = std::min_element(
      entries_.begin(), entries_.end(),
      [](const auto& a, const auto& b) { return a.second.last_failure < b.second.last_failure; });
  if (oldest != entries_.end()) {
    entries_.erase(oldest);
  }
}

}  // namespace parley::admin
