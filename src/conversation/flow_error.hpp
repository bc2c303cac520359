// What a failed flow step may say in the server's log. A handler's error text can quote
// anything the script put in error() — the contact's reply included — so logs above DEBUG
// carry only this summary: the flow, the state, the handler (names from the flow file) and
// the class of error, never the script's own words (docs/architecture.md, "Errors").
#pragma once

#include <string>
#include <string_view>

#include "common/status.hpp"

namespace parley::conversation {

// The class of a step error: "timed out", "instruction budget exceeded", "memory cap",
// "string cap", "resource limit", "runtime error", "handler not defined", "step refused" or
// "error".
std::string_view FlowErrorClass(const Status& error);

// "flow 'tally' state 'ASK' handler 'count': timed out". The handler is named when the
// error is the Lua host's ("x.lua: error in 'count': ..."); otherwise it is left out.
std::string SummarizeFlowError(const Status& error, std::string_view flow_id,
                               std::string_view state);

}  // namespace parley::conversation
