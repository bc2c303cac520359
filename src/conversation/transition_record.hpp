// The rows of the transition history (store::TransitionRecord, docs/admin.md "History") that
// conversation::Service writes in an event's transaction: what caused them, and the record
// of a session's move or end.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/time.hpp"
#include "conversation/event.hpp"
#include "flow/model.hpp"
#include "store/store.hpp"

namespace parley::conversation {

// What an event is, as the history names it: "inbound", "start", "timer", "expire" (the
// flow's expire_after timer), "delivery" (a failure a flow reacts to), "admin". A move made by
// a reload is "reload" (the Service says so itself: any kind of event may meet a reload).
std::string_view TransitionCause(const Event& event);

// A move of `session` (as saved: its id, flow and revision set) from `from` to its current
// state. `edge`: the index of the edge taken in `from`'s edges, labelled from `flow` when
// given; none for a start or a reload's move. Ended: the session's end reason if it is no
// longer active.
store::TransitionRecord MoveRecord(const store::SessionRecord& session, std::string_view from,
                                   std::optional<int> edge, const flow::Flow* flow,
                                   std::string_view cause, TimePoint now);

// The session ended where it is, for `reason` (STOP, an admin's end, a restart, expiry...).
store::TransitionRecord EndRecord(const store::SessionRecord& session, std::string_view reason,
                                  std::string_view cause, TimePoint now);

}  // namespace parley::conversation
