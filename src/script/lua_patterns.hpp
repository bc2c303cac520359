// Lua patterns with a step budget. Internal to the script module.
//
// Lua's own string.find/match/gmatch/gsub backtrack in C, where the instruction count does
// not reach them: ("a"):rep(60000):find("a*b") takes seconds and ".-.-b" hours, on input a
// contact can send. These replacements implement the same pattern language (Lua 5.4
// manual, §6.4.1) and the same argument rules, and charge every matching step to the
// running call's budget (detail::Charge), so a runaway pattern fails like an endless loop.
#pragma once

#include <lua.hpp>

namespace parley::script::detail {

// Sets find, match, gmatch and gsub in the table at `string_table` (an absolute index).
void InstallPatterns(lua_State* L, int string_table);

}  // namespace parley::script::detail
