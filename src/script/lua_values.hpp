// Conversions between json::Value and Lua values, and the read-only proxies through which
// handlers see ctx's tables. Internal to the script module.
#pragma once

#include <string>

#include <lua.hpp>

#include "common/json.hpp"

namespace parley::script::detail {

// Registry keys (by address) of the metatables of read-only proxies and of ctx.
inline const char kReadOnlyMetaKey = 'r';
inline const char kContextMetaKey = 'c';

// Registers the read-only proxy metatable. Once per state, in a protected call.
void RegisterReadOnlyProxies(lua_State* L);

// Replaces the table on top of the stack by a read-only proxy for it: a userdata that reads
// through to the table (t.k, t[i], #t, ipairs, pairs in sorted key order) and raises on
// assignment, so that not even rawset can change it. May raise (memory).
void MakeReadOnly(lua_State* L);

// If the value at `index` is a read-only proxy, pushes the table behind it and returns true;
// otherwise pushes nothing and returns false. Never raises; uses at most 2 stack slots.
bool PushProxyTarget(lua_State* L, int index);

// Metamethods shared with ctx's metatable: __newindex (raises "read-only") and __pairs.
int ReadOnlyNewIndex(lua_State* L);
int ProxyPairs(lua_State* L);

// Pushes `v`: null -> nil, integral numbers -> integers, arrays and objects -> tables (read-
// only proxies when `read_only`); nesting beyond 32 levels becomes nil. May raise (memory).
void PushJson(lua_State* L, const json::Value& v, bool read_only, int depth = 0);

// Converts the Lua value at `index` to JSON: nil -> null, booleans, numbers (finite),
// strings, tables and read-only proxies (a sequence 1..n becomes an array, otherwise string
// keys make an object with members sorted by key, since Lua's table order is not
// deterministic). Returns false and sets `error` for functions, non-string keys, cycles or
// nesting over 32 levels. Never raises, so callers may hold C++ objects.
bool ToJson(lua_State* L, int index, json::Value& out, std::string& error, int depth = 0);

}  // namespace parley::script::detail
