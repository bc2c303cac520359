// Issue 11: logins are throttled per key: the 5th failure in a row locks it, and each
// later failure locks it twice as long as the last, up to a cap; a success clears it.
#include "admin/login_throttle.hpp"

#include <gtest/gtest.h>

namespace parley::admin {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);

TEST(LoginThrottleTest, FiveFailuresLockThenExponentially) {
  LoginThrottle t;
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(t.LockedFor("account:a", kT0).has_value()) << i;
    t.Failure("account:a", kT0);
  }
  EXPECT_FALSE(t.LockedFor("account:a", kT0).has_value());  // 4 failures: still free
  t.Failure("account:a", kT0);                              // the 5th locks for 30 s
  EXPECT_EQ(t.LockedFor("account:a", kT0), Duration(seconds(30)));
  EXPECT_EQ(t.LockedFor("account:a", kT0 + seconds(10)), Duration(seconds(20)));
  EXPECT_FALSE(t.LockedFor("account:a", kT0 + seconds(30)).has_value());
  t.Failure("account:a", kT0 + seconds(30));  // the 6th: 60 s
  EXPECT_EQ(t.LockedFor("account:a", kT0 + seconds(30)), Duration(seconds(60)));
  t.Failure("account:a", kT0 + seconds(90));  // the 7th: 120 s
  EXPECT_EQ(t.LockedFor("account:a", kT0 + seconds(90)), Duration(seconds(120)));
  // Another key is not affected.
  EXPECT_FALSE(t.LockedFor("address:10.0.0.1", kT0 + seconds(90)).has_value());
}

TEST(LoginThrottleTest, LockoutIsCappedAndSuccessClears) {
  LoginThrottle t;
  TimePoint now = kT0;
  for (int i = 0; i < 20; ++i) {
    t.Failure("k", now);
    now += seconds(1);
  }
  EXPECT_EQ(t.LockedFor("k", now - seconds(1)), Duration(minutes(15)));
  t.Success("k");
  EXPECT_FALSE(t.LockedFor("k", now).has_value());
}

TEST(LoginThrottleTest, AQuietKeyStartsOver) {
  LoginThrottle t;
  for (int i = 0; i < 5; ++i) {
    t.Failure("k", kT0);
  }
  ASSERT_TRUE(t.LockedFor("k", kT0).has_value());
  // Longer than the longest lockout later, one failure is the first again.
  t.Failure("k", kT0 + minutes(16));
  EXPECT_FALSE(t.LockedFor("k", kT0 + minutes(16)).has_value());
}

TEST(LoginThrottleTest, KeysAreBoundedOldestForgottenFirst) {
  ThrottleOptions o;
  o.free_failures = 0;
  o.max_keys = 3;
  LoginThrottle t(o);
  for (int i = 0; i < 4; ++i) {
    t.Failure("k" + std::to_string(i), kT0 + seconds(i));
  }
  EXPECT_FALSE(t.LockedFor("k0", kT0 + seconds(4)).has_value());  // evicted
  EXPECT_TRUE(t.LockedFor("k3", kT0 + seconds(4)).has_value());
}

}  // namespace
}  // namespace parley::admin
