// For the admin's tests: a migrated in-memory SQLite store and a ManualClock.
#pragma once

#include <memory>

#include "store/store.hpp"
#include "test/support/status_testing.hpp"

namespace parley::admin::testing {

// 2023-11-14T22:13:20Z.
inline const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);

inline std::unique_ptr<store::Store> MemoryStore() {
  auto store = store::OpenStore("sqlite::memory:");
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE((*store)->Migrate().ok());
  return std::move(*store);
}

}  // namespace parley::admin::testing
