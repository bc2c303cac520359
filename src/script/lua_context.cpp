#include "script/lua_context.hpp"

#include <cstdio>
#include <cstring>
#include <exception>
#include <iterator>
#include <string>
#include <string_view>

#include "script/lua_values.hpp"

namespace parley::script::detail {

namespace {

using flow::ActionContext;

// Lua errors are longjmps: the ctx methods hold C++ objects only inside the noexcept
// helpers below (Do*), which report failure in a plain buffer. The Lua C functions raise
// after those helpers have returned and their objects are gone.
constexpr size_t kErrorSize = 256;
using ErrorBuffer = char[kErrorSize];

void Fail(char* error, const char* message) { std::snprintf(error, kErrorSize, "%s", message); }

const char* EventName(flow::Event::Kind k) {
  switch (k) {
    case flow::Event::Kind::kStart:
      return "start";
    case flow::Event::Kind::kMessage:
      return "message";
    case flow::Event::Kind::kTimer:
      return "timer";
    case flow::Event::Kind::kDeliveryFailed:
      return "delivery_failed";
  }
  return "?";
}

// The ctx userdata's memory.
struct ContextBlock {
  uint64_t call_id;
  bool action;
};

bool IsContext(lua_State* L, int index) {
  if (lua_type(L, index) != LUA_TUSERDATA || lua_rawlen(L, index) != sizeof(ContextBlock) ||
      lua_getmetatable(L, index) == 0) {
    return false;
  }
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kContextMetaKey);
  const bool is_ctx = lua_rawequal(L, -1, -2) != 0;
  lua_pop(L, 2);
  return is_ctx;
}

// The running action's context for method `method` called on self (argument 1). Raises
// when self is not this call's ctx, or in a condition.
ActionContext* Writer(lua_State* L, const char* method) {
  if (!IsContext(L, 1)) {
    luaL_error(L, "ctx:%s: call it as a method, ctx:%s(...)", method, method);
  }
  const auto* block = static_cast<const ContextBlock*>(lua_touserdata(L, 1));
  const CallState* call = CallOf(L);
  if (call == nullptr || call->id != block->call_id) {
    luaL_error(L, "ctx:%s: this ctx belongs to a handler call that has ended", method);
  }
  if (call->write == nullptr) {
    luaL_error(L, "conditions may not write: ctx:%s is only available in actions", method);
  }
  return call->write;
}

// Raises unless every key of the table at `index` is one of `allowed` (a typo such as
// `ctx:send{txt = "hi"}` would otherwise pass silently).
void CheckFields(lua_State* L, int index, const char* method, const char* const* allowed,
                 size_t count) {
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      luaL_error(L, "ctx:%s: unexpected %s key", method, luaL_typename(L, -1));
    }
    const char* key = lua_tostring(L, -1);
    bool known = false;
    for (size_t i = 0; i < count && !known; ++i) {
      known = std::strcmp(key, allowed[i]) == 0;
    }
    if (!known) {
      luaL_error(L, "ctx:%s: unknown field '%s'", method, key);
    }
  }
}

// Pushes table[key] (raw: no metamethods run) for each key, from stack slot 3 on.
void PushFields(lua_State* L, const char* const* keys, size_t count) {
  lua_settop(L, 2);
  luaL_checkstack(L, static_cast<int>(count) + 4, nullptr);
  for (size_t i = 0; i < count; ++i) {
    lua_pushstring(L, keys[i]);
    lua_rawget(L, 2);
  }
}

// Raises unless the value at `index` is nil or of type `type`.
void ExpectOptional(lua_State* L, int index, int type, const char* method, const char* field) {
  const int actual = lua_type(L, index);
  if (actual != LUA_TNIL && actual != type) {
    luaL_error(L, "ctx:%s: '%s' must be a %s, not a %s", method, field, lua_typename(L, type),
               lua_typename(L, actual));
  }
}

std::string_view View(lua_State* L, int index) {
  size_t len = 0;
  const char* s = lua_tolstring(L, index, &len);
  return {s, len};
}

// --- ctx:send ------------------------------------------------------------------------------

constexpr const char* kSendFields[] = {"text", "media", "content_sid", "variables"};

// From slots 3..6 (text, media, content_sid, variables), already type-checked.
bool DoSend(lua_State* L, ActionContext* w, char* error) noexcept {
  try {
    flow::SendEffect send;
    if (lua_type(L, 3) == LUA_TSTRING) {
      send.text = View(L, 3);
    }
    if (lua_type(L, 5) == LUA_TSTRING) {
      send.content_sid = View(L, 5);
    }
    if (lua_type(L, 4) == LUA_TTABLE) {
      const auto n = static_cast<lua_Integer>(lua_rawlen(L, 4));
      for (lua_Integer i = 1; i <= n; ++i) {
        const bool url = lua_rawgeti(L, 4, i) == LUA_TSTRING;
        if (url) {
          send.media.emplace_back(View(L, -1));
        }
        lua_pop(L, 1);
        if (!url) {
          Fail(error, "'media' must be a list of URL strings");
          return false;
        }
      }
    }
    if (lua_type(L, 6) == LUA_TTABLE) {
      lua_pushnil(L);
      while (lua_next(L, 6) != 0) {
        const int key_type = lua_type(L, -2);
        if ((key_type != LUA_TSTRING && lua_isinteger(L, -2) == 0) ||
            lua_type(L, -1) != LUA_TSTRING) {
          Fail(error, "'variables' must map names or numbers to strings");
          return false;
        }
        std::string key = key_type == LUA_TSTRING ? std::string(View(L, -2))
                                                  : std::to_string(lua_tointeger(L, -2));
        send.content_variables[std::move(key)] = View(L, -1);
        lua_pop(L, 1);
      }
    }
    if (send.text.empty() && send.media.empty() && send.content_sid.empty()) {
      Fail(error, "nothing to send (give text, media or content_sid)");
      return false;
    }
    w->Send(std::move(send));
    return true;
  } catch (const std::exception& e) {
    Fail(error, e.what());
    return false;
  }
}

int CtxSend(lua_State* L) {
  ActionContext* w = Writer(L, "send");
  const int type = lua_type(L, 2);
  if (type == LUA_TSTRING) {
    lua_settop(L, 2);
    lua_pushvalue(L, 2);  // as {text = s}: slot 3 holds the text, 4..6 are nil
    lua_settop(L, 6);
  } else if (type == LUA_TTABLE) {
    CheckFields(L, 2, "send", kSendFields, std::size(kSendFields));
    PushFields(L, kSendFields, std::size(kSendFields));
    ExpectOptional(L, 3, LUA_TSTRING, "send", "text");
    ExpectOptional(L, 4, LUA_TTABLE, "send", "media");
    ExpectOptional(L, 5, LUA_TSTRING, "send", "content_sid");
    ExpectOptional(L, 6, LUA_TTABLE, "send", "variables");
  } else {
    return luaL_error(L,
                      "ctx:send expects a string or {text=, media={urls}, content_sid=, "
                      "variables={}}, not a %s",
                      luaL_typename(L, 2));
  }
  luaL_checkstack(L, 4, nullptr);
  ErrorBuffer error = "";
  if (!DoSend(L, w, error)) {
    return luaL_error(L, "ctx:send: %s", error);
  }
  return 0;
}

// --- ctx:set -------------------------------------------------------------------------------

// Converts slot 3 and sets (or, for nil, unsets) `name`.
bool DoSet(lua_State* L, ActionContext* w, std::string_view name, char* error) noexcept {
  try {
    json::Value value;
    std::string why;
    if (!ToJson(L, 3, value, why)) {
      Fail(error, why.c_str());
      return false;
    }
    if (value.is_null()) {
      w->Unset(name);
    } else {
      w->Set(name, std::move(value));
    }
    return true;
  } catch (const std::exception& e) {
    Fail(error, e.what());
    return false;
  }
}

// Makes ctx.vars[name] (self is argument 1) show the variable's new value.
void RefreshVar(lua_State* L, std::string_view name, const json::Value& vars) {
  lua_getiuservalue(L, 1, 1);  // ctx's fields
  lua_pushliteral(L, "vars");
  lua_rawget(L, -2);
  if (!PushProxyTarget(L, -1)) {
    lua_pop(L, 2);
    return;
  }
  lua_pushlstring(L, name.data(), name.size());
  if (const json::Value* v = vars.Find(name)) {
    PushJson(L, *v, /*read_only=*/true);
  } else {
    lua_pushnil(L);
  }
  lua_rawset(L, -3);
  lua_pop(L, 3);
}

int CtxSet(lua_State* L) {
  ActionContext* w = Writer(L, "set");
  luaL_checktype(L, 2, LUA_TSTRING);
  const std::string_view name = View(L, 2);
  if (name.empty()) {
    return luaL_error(L, "ctx:set: the variable name is empty");
  }
  lua_settop(L, 3);  // a missing value is nil: unset
  ErrorBuffer error = "";
  if (!DoSet(L, w, name, error)) {
    return luaL_error(L, "ctx:set('%s'): %s", lua_tostring(L, 2), error);
  }
  RefreshVar(L, name, w->vars());
  return 0;
}

// --- ctx:timer, ctx:cancel, ctx:finish --------------------------------------------------------

constexpr const char* kTimerFields[] = {"name", "after", "at", "tz", "keep"};

// From slots 3..7 (name, after, at, tz, keep), already type-checked.
bool DoTimer(lua_State* L, ActionContext* w, char* error) noexcept {
  try {
    ActionContext::TimerRequest request;
    const auto text = [L](int index) {
      return lua_type(L, index) == LUA_TSTRING ? std::string(View(L, index)) : std::string();
    };
    request.name = text(3);
    request.after = text(4);
    request.at = text(5);
    request.tz = text(6);
    request.keep = lua_toboolean(L, 7) != 0;
    const Status status = w->Timer(request);
    if (!status.ok()) {
      Fail(error, status.message().c_str());
      return false;
    }
    return true;
  } catch (const std::exception& e) {
    Fail(error, e.what());
    return false;
  }
}

int CtxTimer(lua_State* L) {
  ActionContext* w = Writer(L, "timer");
  luaL_checktype(L, 2, LUA_TTABLE);
  CheckFields(L, 2, "timer", kTimerFields, std::size(kTimerFields));
  PushFields(L, kTimerFields, std::size(kTimerFields));
  for (int i = 3; i <= 6; ++i) {
    ExpectOptional(L, i, LUA_TSTRING, "timer", kTimerFields[i - 3]);
  }
  ExpectOptional(L, 7, LUA_TBOOLEAN, "timer", "keep");
  ErrorBuffer error = "";
  if (!DoTimer(L, w, error)) {
    return luaL_error(L, "ctx:timer: %s", error);
  }
  return 0;
}

bool DoCancel(ActionContext* w, std::string_view name, char* error) noexcept {
  try {
    w->Cancel(name);
    return true;
  } catch (const std::exception& e) {
    Fail(error, e.what());
    return false;
  }
}

int CtxCancel(lua_State* L) {
  ActionContext* w = Writer(L, "cancel");
  luaL_checktype(L, 2, LUA_TSTRING);
  ErrorBuffer error = "";
  if (!DoCancel(w, View(L, 2), error)) {
    return luaL_error(L, "ctx:cancel: %s", error);
  }
  return 0;
}

bool DoFinish(ActionContext* w, char* error) noexcept {
  try {
    w->Finish();
    return true;
  } catch (const std::exception& e) {
    Fail(error, e.what());
    return false;
  }
}

int CtxFinish(lua_State* L) {
  ActionContext* w = Writer(L, "finish");
  ErrorBuffer error = "";
  if (!DoFinish(w, error)) {
    return luaL_error(L, "ctx:finish: %s", error);
  }
  return 0;
}

void SetString(lua_State* L, const char* key, std::string_view value) {
  lua_pushlstring(L, value.data(), value.size());
  lua_setfield(L, -2, key);
}

// Fields built on first use: most handlers read only ctx.reply.
constexpr const char* kLazyFields[] = {"media", "contact", "vars"};

// Pushes lazy field kLazyFields[which] for the running call.
void PushLazyField(lua_State* L, const flow::HandlerContext& ctx, int which) {
  const flow::Event& e = ctx.event();
  luaL_checkstack(L, 6, nullptr);
  if (which == 0) {
    lua_createtable(L, static_cast<int>(e.media.size()), 0);
    for (size_t i = 0; i < e.media.size(); ++i) {
      lua_pushlstring(L, e.media[i].data(), e.media[i].size());
      lua_rawseti(L, -2, static_cast<lua_Integer>(i) + 1);
    }
    MakeReadOnly(L);
  } else if (which == 1) {
    lua_createtable(L, 0, 5);
    SetString(L, "phone", e.contact.phone);
    SetString(L, "channel", e.contact.channel);
    SetString(L, "name", e.contact.name);
    SetString(L, "tz", e.contact.time_zone);
    lua_createtable(L, 0, static_cast<int>(e.contact.fields.size()));
    for (const auto& [key, value] : e.contact.fields) {
      lua_pushlstring(L, key.data(), key.size());
      lua_pushlstring(L, value.data(), value.size());
      lua_rawset(L, -3);
    }
    MakeReadOnly(L);
    lua_setfield(L, -2, "fields");
    MakeReadOnly(L);
  } else {
    PushJson(L, ctx.vars(), /*read_only=*/true);
  }
}

int LazyIndex(const char* key) {
  for (int i = 0; i < static_cast<int>(std::size(kLazyFields)); ++i) {
    if (std::strcmp(key, kLazyFields[i]) == 0) {
      return i;
    }
  }
  return -1;
}

// Builds lazy field `which` of ctx (argument 1, its fields table at `fields`) and pushes it.
// A ctx kept from an ended call can no longer build its fields.
void BuildLazyField(lua_State* L, int fields, int which) {
  const auto* block = static_cast<const ContextBlock*>(lua_touserdata(L, 1));
  const CallState* call = CallOf(L);
  if (call == nullptr || call->id != block->call_id) {
    luaL_error(L, "ctx.%s: this ctx belongs to a handler call that has ended", kLazyFields[which]);
  }
  PushLazyField(L, *call->read, which);
  lua_pushvalue(L, -1);
  lua_setfield(L, fields, kLazyFields[which]);
}

// ctx's __index: its fields (built on first use for the lazy ones), then the methods
// (upvalue 1). In conditions `timer` is only the field (the timer's name, or nil):
// conditions may not set timers anyway.
int CtxIndex(lua_State* L) {
  lua_settop(L, 2);
  lua_getiuservalue(L, 1, 1);  // 3: the fields
  lua_pushvalue(L, 2);
  if (lua_rawget(L, 3) != LUA_TNIL) {
    return 1;
  }
  lua_pop(L, 1);
  if (lua_type(L, 2) == LUA_TSTRING) {
    const char* key = lua_tostring(L, 2);
    if (const int which = LazyIndex(key); which >= 0) {
      BuildLazyField(L, 3, which);
      return 1;
    }
    const auto* block = static_cast<const ContextBlock*>(lua_touserdata(L, 1));
    if (!block->action && std::strcmp(key, "timer") == 0) {
      lua_pushnil(L);
      return 1;
    }
  }
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

// ctx's __pairs: every field, lazy ones included.
int CtxPairs(lua_State* L) {
  lua_settop(L, 1);
  lua_getiuservalue(L, 1, 1);  // 2: the fields
  for (int which = 0; which < static_cast<int>(std::size(kLazyFields)); ++which) {
    if (lua_getfield(L, 2, kLazyFields[which]) == LUA_TNIL) {
      BuildLazyField(L, 2, which);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_settop(L, 1);
  return ProxyPairs(L);
}

}  // namespace

void RegisterContext(lua_State* L) {
  lua_createtable(L, 0, 6);  // the metatable
  const luaL_Reg methods[] = {{"send", CtxSend},     {"set", CtxSet},       {"timer", CtxTimer},
                              {"cancel", CtxCancel}, {"finish", CtxFinish}, {nullptr, nullptr}};
  luaL_newlib(L, methods);
  lua_pushcclosure(L, CtxIndex, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadOnlyNewIndex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, CtxPairs);
  lua_setfield(L, -2, "__pairs");
  lua_pushliteral(L, "locked");
  lua_setfield(L, -2, "__metatable");
  lua_pushliteral(L, "ctx");
  lua_setfield(L, -2, "__name");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kContextMetaKey);
}

void PushContext(lua_State* L, const CallState& call) {
  const flow::HandlerContext& ctx = *call.read;
  const flow::Event& e = ctx.event();
  luaL_checkstack(L, 8, nullptr);
  lua_createtable(L, 0, 12);  // ctx's fields
  if (e.kind == flow::Event::Kind::kMessage) {
    SetString(L, "reply", e.text);
  }
  SetString(L, "event", EventName(e.kind));
  if (e.kind == flow::Event::Kind::kTimer) {
    if (call.write == nullptr) {
      SetString(L, "timer", e.timer);  // in actions ctx.timer is the method
    }
    SetString(L, "timer_name", e.timer);
  }
  if (e.kind == flow::Event::Kind::kDeliveryFailed) {
    lua_createtable(L, 0, 2);
    SetString(L, "status", e.delivery_status);
    SetString(L, "error_code", e.delivery_error);
    MakeReadOnly(L);
    lua_setfield(L, -2, "delivery");
  }
  SetString(L, "state", ctx.state());
  if (!ctx.target().empty()) {
    SetString(L, "target", ctx.target());
  }
  const int64_t ms = ToUnixMillis(ctx.now());
  lua_pushinteger(L, ms / 1000);
  lua_setfield(L, -2, "now");
  lua_pushinteger(L, ms);
  lua_setfield(L, -2, "now_ms");

  auto* block = static_cast<ContextBlock*>(lua_newuserdatauv(L, sizeof(ContextBlock), 1));
  *block = {call.id, call.write != nullptr};
  lua_insert(L, -2);
  lua_setiuservalue(L, -2, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kContextMetaKey);
  lua_setmetatable(L, -2);
}

}  // namespace parley::script::detail
