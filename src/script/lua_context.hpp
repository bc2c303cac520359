// The `ctx` handlers receive. Internal to the script module.
//
// ctx is a userdata reading through to a table of the event's fields (reply, event, timer,
// timer_name, media, state, target, now, now_ms, contact, vars); every table in it is a
// read-only proxy (lua_values.hpp). Its methods send/set/timer/cancel/finish act on the
// running call's ActionContext; they raise in conditions, and on a ctx kept from an
// earlier call.
#pragma once

#include <lua.hpp>

#include "script/lua_sandbox.hpp"

namespace parley::script::detail {

// Registers ctx's metatable and methods. Once per state, in a protected call.
void RegisterContext(lua_State* L);

// Pushes the ctx for `call` (its `read` context must be set; `write` too for actions). May
// raise (memory).
void PushContext(lua_State* L, const CallState& call);

}  // namespace parley::script::detail
