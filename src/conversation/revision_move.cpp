#include "conversation/revision_move.hpp"

namespace parley::conversation {

const char* RevisionMoveName(RevisionMove move) {
  switch (move) {
    case RevisionMove::kCurrent:
      return "current";
    case RevisionMove::kSameState:
      return "same_state";
    case RevisionMove::kOnMissingState:
      return "on_missing_state";
    case RevisionMove::kCompleted:
      return "completed";
    case RevisionMove::kStateRemoved:
      return "state_removed";
  }
  return "current";
}

RevisionMove MoveToRevision(const flow::Flow& flow, store::SessionRecord& session) {
  // States are matched by name whatever the revision says: names are what sessions store,
  // and a revision that kept a name kept the place in the conversation it stands for.
  if (flow.FindState(session.session.state) != nullptr) {
    if (session.flow_revision == flow.revision) {
      return RevisionMove::kCurrent;
    }
    session.flow_revision = flow.revision;
    return RevisionMove::kSameState;
  }
  const flow::State* fallback =
      flow.on_missing_state.empty() ? nullptr : flow.FindState(flow.on_missing_state);
  if (fallback == nullptr) {
    return RevisionMove::kStateRemoved;
  }
  session.session.state = fallback->name;
  session.session.step += 1;
  session.flow_revision = flow.revision;
  if (fallback->terminal()) {
    session.session.status = flow::SessionStatus::kCompleted;
    return RevisionMove::kCompleted;
  }
  return RevisionMove::kOnMissingState;
}

}  // namespace parley::conversation
