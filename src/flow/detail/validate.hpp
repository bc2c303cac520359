// Warnings about a flow that compiled without errors: things that load and run but are
// probably not what the author meant.
#pragma once

#include <functional>
#include <string>

#include "flow/detail/loader_context.hpp"

namespace parley::flow::detail {

// Where a state is defined in the file.
struct StateOrigin {
  std::string path;
  json::Pos pos;
};
// Where state `id` is defined; asked only for the states a warning is about.
using StateOrigins = std::function<StateOrigin(StateId id)>;

// Adds warnings for unreachable states, edges after an "always" edge, states that wait for
// a reply with neither a timer edge nor `otherwise`, template variables never set, and action
// lists that exceed a per-event cap (limits_warnings.hpp).
void AddWarnings(LoaderContext& cx, const Flow& flow, const StateOrigins& origin_of);

}  // namespace parley::flow::detail
