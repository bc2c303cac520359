// Issue 8 item 16: the limiter behind "http accept failed" (one line a second, with a count).
#include "common/rate_limiter.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace parley {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiterTest, OncePerIntervalWithACountOfWhatWasHeldBack) {
  ManualClock clock(FromUnixMillis(1'000'000));
  RateLimiter limiter(clock, 1s);
  EXPECT_EQ(limiter.Allow(), 0u);  // the first call runs
  for (int i = 0; i < 9; ++i) {
    clock.Advance(100ms);
    EXPECT_EQ(limiter.Allow(), std::nullopt) << i;  // 100 ms ... 900 ms
  }
  clock.Advance(100ms);            // 1 s after the first
  EXPECT_EQ(limiter.Allow(), 9u);  // runs, reporting the nine held back
  clock.Advance(500ms);
  EXPECT_EQ(limiter.Allow(), std::nullopt);
  EXPECT_EQ(limiter.TakeSuppressed(), 1u);
  EXPECT_EQ(limiter.TakeSuppressed(), 0u);
  clock.Advance(10s);
  EXPECT_EQ(limiter.Allow(), 0u);
}

TEST(RateLimiterTest, AClockThatMovesBackLetsTheNextCallThrough) {
  ManualClock clock(FromUnixMillis(1'000'000));
  RateLimiter limiter(clock, 1s);
  EXPECT_EQ(limiter.Allow(), 0u);
  clock.Set(FromUnixMillis(0));
  EXPECT_EQ(limiter.Allow(), 0u);
  EXPECT_EQ(limiter.Allow(), std::nullopt);
}

TEST(RateLimiterTest, ConcurrentCallersLetExactlyOneThroughPerInterval) {
  ManualClock clock(FromUnixMillis(1'000'000));
  RateLimiter limiter(clock, 1s);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (limiter.Allow()) {
          ++allowed;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(allowed.load(), 1);
  EXPECT_EQ(limiter.TakeSuppressed(), 3999u);
}

}  // namespace
}  // namespace parley
