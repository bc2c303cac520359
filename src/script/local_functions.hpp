// The names a Lua script defines as local functions (`local function name` and
// `local name = function`), read from its text. Local functions are invisible to flows,
// and making a handler `local` is the natural slip of someone tidying a script, so the
// loader's "not defined" diagnostic says "defined as a local function; make it global".
//
// A scan of the text, not a parse: comments are skipped, strings are not, so text inside a
// string can give a false name. Good enough for a hint about a name that is missing anyway.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::script {

// Sorted, without duplicates.
std::vector<std::string> LocalFunctionNames(std::string_view source);

}  // namespace parley::script
