// Slows password guessing: per key (an account, a client address), the first few failed
// logins are free; after that each failure locks the key for twice as long as the one
// before, up to a cap. A success clears the account's key. In memory, per instance: several
// instances each throttle on their own (docs/security.md, "The admin").
//
// Thread-safe. The number of keys is bounded: when full, the key whose last failure is
// oldest is forgotten first, so a flood of addresses cannot exhaust memory.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.hpp"

namespace parley::admin {

struct ThrottleOptions {
  int free_failures = 4;  // failures that lock nothing: the 5th in a row locks
  Duration first_lockout = std::chrono::seconds(30);  // doubled at each later failure
  Duration max_lockout = std::chrono::minutes(15);
  size_t max_keys = 100'000;
};

class LoginThrottle {
 public:
  explicit LoginThrottle(ThrottleOptions options = {});

  // How long `key` is still locked at `now`, or none when a login may be tried.
  std::optional<Duration> LockedFor(std::string_view key, TimePoint now) const;
  // Counts a failed login for `key` at `now`.
  void Failure(std::string_view key, TimePoint now);
  // Forgets `key` (a successful login).
  void Success(std::string_view key);

 private:
  struct Entry {
    int failures = 0;
    TimePoint last_failure{};
    TimePoint locked_until{};
  };
  void EvictOldestLocked();

  ThrottleOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace parley::admin
