#include "common/time.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(Time, FormatsUtcWithMillis) {
  EXPECT_EQ(FormatUtc(FromUnixMillis(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUtc(FromUnixMillis(1795510800123)), "2026-11-24T09:00:00.123Z");
}

TEST(Time, ManualClockMovesOnlyWhenTold) {
  ManualClock clock(FromUnixMillis(1000));
  EXPECT_EQ(ToUnixMillis(clock.Now()), 1000);
  clock.Advance(std::chrono::seconds(2));
  EXPECT_EQ(ToUnixMillis(clock.Now()), 3000);
}

}  // namespace
}  // namespace parley
