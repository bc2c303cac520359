// Pending timers in bulk, for the multi-instance timer tests and the timer benchmarks: one
// contact ("+1555" and eight digits), one active session and one timer per index, written
// with one INSERT ... SELECT per table (generate_series on PostgreSQL, a recursive CTE on
// SQLite), so a million rows take seconds, not the minutes the Store's per-row calls would.
// The database must be migrated and hold no contacts or sessions with these ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.hpp"
#include "common/time.hpp"

namespace parley::testing {

struct TimerSeed {
  int64_t first = 1;  // indexes [first, first + count): contact and session ids
  int64_t count = 0;
  std::string flow_id;  // the sessions' flow and state
  std::string state;
  std::string timer;  // the timers' name (step 1, not keep)
  // Timer i (counting from 0) is due at first_due + i * spacing.
  TimePoint first_due{};
  Duration spacing{};
};

// Writes the rows in one transaction.
Status SeedTimers(std::string_view database_url, const TimerSeed& seed);

// Rows returned by a query of one integer column, summed (counts for assertions); runs on a
// connection of its own.
Result<int64_t> QueryInt(std::string_view database_url, const std::string& sql);

}  // namespace parley::testing
