// Warnings about a flow that compiled without errors: things that load and run but are
// probably not what the author meant.
#pragma once

#include <vector>

#include "flow/detail/loader_context.hpp"

namespace parley::flow::detail {

// Where a state is defined in the file.
struct StateOrigin {
  std::string path;
  json::Pos pos;
};

// Adds warnings for unreachable states, edges after an "always" edge, states that wait for
// a reply with neither a timer edge nor `otherwise`, and template variables never set.
// `state_origins[id]` is where state `id` is defined.
void AddWarnings(LoaderContext& cx, const Flow& flow,
                 const std::vector<StateOrigin>& state_origins);

}  // namespace parley::flow::detail
