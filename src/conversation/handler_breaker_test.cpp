#include "conversation/handler_breaker.hpp"

#include <gtest/gtest.h>

namespace parley::conversation {
namespace {

using std::chrono::seconds;

// Issue 8 item 6: a contact whose handlers keep hitting their limit is paused for a back-off
// that doubles, up to the maximum, and forgotten after a step that ran within its limits.
TEST(HandlerBreaker, BacksOffDoublingAndForgetsOnSuccess) {
  HandlerBreaker breaker({.first_backoff = seconds(1), .max_backoff = seconds(4)});
  const TimePoint t0 = FromUnixMillis(1'000'000);
  EXPECT_FALSE(breaker.PausedUntil("a", t0));
  breaker.Failed("a", t0);
  EXPECT_EQ(breaker.PausedUntil("a", t0), t0 + seconds(1));
  EXPECT_FALSE(breaker.PausedUntil("b", t0));  // others are not affected
  EXPECT_FALSE(breaker.PausedUntil("a", t0 + seconds(1)));
  breaker.Failed("a", t0 + seconds(1));
  EXPECT_EQ(breaker.PausedUntil("a", t0 + seconds(1)), t0 + seconds(3));
  breaker.Failed("a", t0 + seconds(3));
  EXPECT_EQ(breaker.PausedUntil("a", t0 + seconds(3)), t0 + seconds(7));
  breaker.Failed("a", t0 + seconds(7));
  EXPECT_EQ(breaker.PausedUntil("a", t0 + seconds(7)), t0 + seconds(11));  // at most 4 s
  breaker.Succeeded("a");
  EXPECT_FALSE(breaker.PausedUntil("a", t0 + seconds(7)));
  breaker.Failed("a", t0 + seconds(20));
  EXPECT_EQ(breaker.PausedUntil("a", t0 + seconds(20)), t0 + seconds(21));  // from the start
}

TEST(HandlerBreaker, RemembersAtMostMaxContacts) {
  HandlerBreaker breaker({.first_backoff = seconds(1), .max_contacts = 2});
  const TimePoint t0 = FromUnixMillis(0);
  breaker.Failed("a", t0);
  breaker.Failed("b", t0);
  breaker.Failed("c", t0);  // full, nobody's back-off is over: not remembered
  EXPECT_FALSE(breaker.PausedUntil("c", t0));
  breaker.Failed("c", t0 + seconds(2));  // a and b are over: dropped
  EXPECT_TRUE(breaker.PausedUntil("c", t0 + seconds(2)));
}

}  // namespace
}  // namespace parley::conversation
