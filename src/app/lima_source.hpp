// Reads what `parley import-lima` imports from the replaced system's (LIMA's) PostgreSQL
// database: the Django app `core`'s users (core_user) and active sessions (core_session),
// in one read-only snapshot. Only the columns the import uses are read; nothing is written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "common/time.hpp"

namespace parley::app {

struct LimaUser {
  int64_t id = 0;
  std::string phone_number;  // "+E164", "whatsapp:+E164", sometimes without the '+'
  std::string chat_type;     // "Default" | "WhatsApp"
  std::string name;          // empty when NULL
  bool is_active = true;
};

struct LimaSession {
  int64_t id = 0;
  int64_t user_id = 0;
  TimePoint created{};
  std::optional<std::string> state;  // the pickled pysm StateMachine; none when NULL
  int64_t state_bytes = 0;           // its size; a state over the limit is not read
  std::optional<int64_t> last_user_bgcheck_value;
  std::optional<int64_t> stop_session_flag;
};

struct LimaData {
  std::vector<LimaUser> users;        // by id
  std::vector<LimaSession> sessions;  // active ones only: by user, newest (created, id) first
};

// States larger than this are not read (reported as too large): a pickled machine of a
// 22-state flow is a few KiB; lima::UnpickleLimits refuses more anyway.
inline constexpr int64_t kMaxLimaStateBytes = int64_t{1} << 20;

// Connects to `url` (a libpq URI, postgres://...) and reads the users and active sessions.
// Unavailable when the server cannot be reached; InvalidArgument naming the table or column
// when the database does not have LIMA's layout.
Result<LimaData> ReadLimaDatabase(const std::string& url);

}  // namespace parley::app
