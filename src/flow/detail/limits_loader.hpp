// Reads the document's top-level "limits" object (docs/flow-format.md, "Limits"): each key a
// positive integer; an unknown key, or a value that is not one, is an error at its JSON path.
#pragma once

#include "common/json_tape.hpp"
#include "flow/detail/loader_context.hpp"
#include "flow/limits.hpp"

namespace parley::flow::detail {

// Sets the caps `value` names in `limits`; the others keep their defaults.
void ReadLimits(LoaderContext& cx, json::TapeValue value, EventLimits& limits);

}  // namespace parley::flow::detail
