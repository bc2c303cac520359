// `parley scaffold`: Lua stubs for the handlers a flow names and nothing defines, so that a
// LIMA flow (whose handlers were Python) loads at once and can be filled in one by one.
// Pure text generation; cmd_scaffold.cpp reads and writes the files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "flow/loader.hpp"

namespace parley::app {

// One stub per handler in `missing` (skipping those the script defines as local functions:
// a global stub would hide the mistake), in the order given: a comment listing where
// `flow_file` uses it ("-- Condition, used at bgcheck.json:4:18 [0].condition"), then
// `function name(ctx) return false end` for a condition (also one used as both) and
// `function name(ctx) end` for an action. A name that is not a Lua identifier is assigned
// through _G["..."]. `header` starts the text with a comment saying what the file is.
std::string ScaffoldStubs(const std::vector<flow::MissingHandler>& missing,
                          std::string_view flow_file, bool header);

}  // namespace parley::app
