// Rows to records and back: the column orders of queries.cpp, JSON-in-text columns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "store/detail/backend.hpp"
#include "store/store.hpp"

namespace parley::store::detail {

// A row of PARLEY_CONTACT_COLUMNS / _SESSION_ / _MESSAGE_ (queries.cpp). A stored value that
// does not decode (a session status or JSON this build does not know) is kInternal.
Result<ContactRecord> ContactFromRow(const Row& row);
Result<SessionRecord> SessionFromRow(const Row& row);
Result<MessageRecord> MessageFromRow(const Row& row);
// id, message_id, contact_id, from_addr, to_addr, body, media, attempts, next_attempt_at.
Result<OutboxItem> OutboxFromRow(const Row& row);
// session_id, name, due, step, keep.
TimerRecord TimerFromRow(const Row& row);
// TimerFromRow and the contact columns ClaimTimers returns after them.
TimerRecord ClaimedTimerFromRow(const Row& row);

// Media URLs as a JSON array of strings, the form of the `media` columns.
std::string MediaToJson(const std::vector<std::string>& media);
Result<std::vector<std::string>> MediaFromJson(std::string_view text);

const char* DirectionName(MessageRecord::Direction d);

// A row callback that decodes a row with `decode` (a ...FromRow of records.hpp) into `*out`.
template <typename T, typename Decode>
auto DecodeInto(std::optional<T>& out, Decode decode) {
  return [&out, decode](const Row& row) -> Status {
    auto r = decode(row);
    if (!r.ok()) {
      return r.status();
    }
    out = std::move(r).value();
    return Status::Ok();
  };
}

// The same, appending every row to `*out`.
template <typename T, typename Decode>
auto DecodeAppend(std::vector<T>& out, Decode decode) {
  return [&out, decode](const Row& row) -> Status {
    auto r = decode(row);
    if (!r.ok()) {
      return r.status();
    }
    out.push_back(std::move(r).value());
    return Status::Ok();
  };
}

}  // namespace parley::store::detail
