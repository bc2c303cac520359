// Conversions between json::Value and Lua values. Internal to the script module.
#pragma once

#include <string>

#include <lua.hpp>

#include "flow/json.hpp"

namespace parley::script::detail {

// Pushes `v` as a Lua value (objects and arrays become tables).
void PushJson(lua_State* L, const json::Value& v, int depth = 0);

// Converts the Lua value at `index` to JSON: nil -> null, booleans, numbers, strings,
// tables (a sequence 1..n becomes an array, otherwise string keys make an object, its
// members sorted by key). Returns
// false and sets `error` for functions, userdata, non-string keys, cycles or nesting over
// 32 levels. Raises only Lua memory errors.
bool ToJson(lua_State* L, int index, json::Value& out, std::string& error, int depth = 0);

}  // namespace parley::script::detail
