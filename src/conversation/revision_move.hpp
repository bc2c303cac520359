// How a session written on one revision of its flow continues on the revision now loaded
// (docs/flow-format.md, "New revisions and live sessions"). A reload publishes a new
// revision at once; each session moves to it on its own next event, decided here.
#pragma once

#include "flow/model.hpp"
#include "store/store.hpp"

namespace parley::conversation {

enum class RevisionMove {
  kCurrent,         // the session's state is in the flow and its revision is the flow's
  kSameState,       // another revision, the state is still there: the session runs on
  kOnMissingState,  // its state was removed: moved to the flow's `on_missing_state`
  kCompleted,       // its state was removed and `on_missing_state` is a terminal state
  kStateRemoved,    // its state was removed and the flow names no `on_missing_state`
};

// Stable metric label: "same_state", "on_missing_state", "completed", "state_removed"
// ("current" for kCurrent, which is not counted).
const char* RevisionMoveName(RevisionMove move);

// Moves `session` (active, of `flow`) onto `flow`'s revision. kSameState: flow_revision
// updated. kOnMissingState and kCompleted: state, flow_revision and step (+1, so a timer set
// in the removed state is stale unless `keep`) updated; kCompleted also sets the status
// completed. kStateRemoved: the session is left as it is, for the caller to end it. Pure:
// writes nothing.
RevisionMove MoveToRevision(const flow::Flow& flow, store::SessionRecord& session);

}  // namespace parley::conversation
