// What a new revision of a flow changes for live sessions: the states it removes (where
// sessions on them go), adds, and probably renamed (`parley check NEW --against OLD`).
#pragma once

#include <string>
#include <vector>

#include "flow/model.hpp"

namespace parley::app {

struct StateRename {
  std::string from;  // removed in the new revision
  std::string to;    // added in the new revision
};

struct FlowDiff {
  std::vector<std::string> removed;  // states of the old revision the new one lacks
  std::vector<std::string> added;    // states of the new revision the old one lacked
  // Removed/added pairs that take the same place in the tree: the same edge (by position)
  // of a state both revisions have leads to them, or both are the start. A guess: sessions
  // are matched by name, so a renamed state is a removed one for them.
  std::vector<StateRename> renamed;
  // Where sessions on a removed state go: the new revision's on_missing_state, or "" (they
  // end with reason state_removed).
  std::string on_missing_state;
};

// States are compared by name; lists follow each revision's state order.
FlowDiff DiffFlows(const flow::Flow& old_flow, const flow::Flow& new_flow);

}  // namespace parley::app
