// The state a pickled pysm 0.3.9 StateMachine was in: the name of its leaf state.
//
// pysm keeps the current state in two ways, and both are read here: a machine's `state` is
// its current local state (a State, or a nested StateMachine whose own `state` goes one level
// down), and pysm 0.3.9's root machine also caches the bottom of that chain in `_leaf_state`
// (what its `leaf_state` property answers). The leaf is `_leaf_state` when the root has one,
// else the end of the `state` chain. For the replaced system's flat machines (every state in
// the root machine) the leaf is the root's `state`, which is what LIMA itself read
// (`sm.state.name`).
#pragma once

#include <string>
#include <string_view>

#include "common/status.hpp"
#include "lima/pickle_tree.hpp"

namespace parley::lima {

// The leaf state's name. InvalidArgument saying why when the root is not a pysm
// StateMachine, the machine was never initialized (no current state), or the state's name is
// not a string.
Result<std::string> PysmLeafStateName(const PickleTree& tree);

// Unpickle, then PysmLeafStateName.
Result<std::string> PysmLeafStateName(std::string_view pickle);

}  // namespace parley::lima
