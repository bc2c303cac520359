#include "script/lua_script.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "script/lua_values.hpp"

namespace parley::script {

namespace {

using flow::ActionContext;
using flow::HandlerContext;

constexpr int kHookEvery = 1000;                      // instructions between budget checks
constexpr const char* kDataMeta = "parley.ctx_data";  // registry key: {__index = methods}

// Runs before the user's chunk: removes what the sandbox must not offer.
constexpr const char* kPrelude = R"lua(
local base_load, type, error, select = load, type, error, select
dofile, loadfile, print, collectgarbage, require = nil, nil, nil, nil, nil
io, os, package, debug = nil, nil, nil, nil
string.dump = nil
-- Finalizers could run outside any handler call (at close), beyond the instruction budget.
local base_setmetatable, rawget = setmetatable, rawget
setmetatable = function(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("setmetatable: __gc finalizers are not allowed", 2)
  end
  return base_setmetatable(t, mt)
end
math.random, math.randomseed = nil, nil
load = function(chunk, name, mode, ...)
  if type(chunk) ~= "string" then error("load: only source text can be loaded", 2) end
  if select("#", ...) > 0 then return base_load(chunk, name, "t", ...) end
  return base_load(chunk, name, "t")
end
)lua";

// Lua patterns run in C, outside the instruction count: string.find/match/gmatch/gsub refuse
// subjects over 64 KiB and patterns with more than 6 quantifiers, then call the original.
constexpr size_t kMaxPatternSubject = 64 * 1024;
constexpr int kMaxQuantifiers = 6;

int GuardedPattern(lua_State* L) {
  const lua_CFunction original = lua_tocfunction(L, lua_upvalueindex(1));
  const char* what = lua_tostring(L, lua_upvalueindex(2));
  if (lua_type(L, 1) == LUA_TSTRING && lua_rawlen(L, 1) > kMaxPatternSubject) {
    return luaL_error(L, "%s: subject longer than 64 KiB", what);
  }
  if (lua_type(L, 2) == LUA_TSTRING) {
    size_t len = 0;
    const char* pattern = lua_tolstring(L, 2, &len);
    int quantifiers = 0;
    for (size_t i = 0; i < len; ++i) {
      const char c = pattern[i];
      quantifiers += c == '*' || c == '+' || c == '-' || c == '?';
    }
    if (quantifiers > kMaxQuantifiers) {
      return luaL_error(L, "%s: pattern has more than 6 quantifiers", what);
    }
  }
  return original(L);
}

void GuardPatterns(lua_State* L) {
  lua_getglobal(L, LUA_STRLIBNAME);
  for (const char* name : {"find", "match", "gmatch", "gsub"}) {
    lua_getfield(L, -1, name);
    lua_pushfstring(L, "string.%s", name);
    lua_pushcclosure(L, GuardedPattern, 2);
    lua_setfield(L, -2, name);
  }
  lua_pop(L, 1);
}

struct Allocator {
  size_t used = 0;
  size_t limit = 0;
};

void* Allocate(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* a = static_cast<Allocator*>(ud);
  const size_t old = ptr != nullptr ? osize : 0;
  if (nsize == 0) {
    a->used -= old;
    std::free(ptr);
    return nullptr;
  }
  if (nsize > old && a->used - old + nsize > a->limit) {
    return nullptr;  // Lua raises "not enough memory"
  }
  void* p = std::realloc(ptr, nsize);
  if (p != nullptr) {
    a->used = a->used - old + nsize;
  }
  return p;
}

// Per-call state reachable from the hook and the ctx methods. Cleared after each call so
// that a ctx kept in a global cannot reach a finished call's context.
struct CallState {
  uint64_t budget = 0;
  uint64_t used = 0;
  bool budget_exceeded = false;
  const HandlerContext* read = nullptr;
  ActionContext* write = nullptr;
};

CallState*& CallOf(lua_State* L) { return *static_cast<CallState**>(lua_getextraspace(L)); }

void CountHook(lua_State* L, lua_Debug*) {
  CallState* call = CallOf(L);
  if (call == nullptr) {
    return;
  }
  call->used += kHookEvery;
  if (call->used > call->budget) {
    call->budget_exceeded = true;
    luaL_error(L, "instruction budget exceeded (%d instructions)",
               static_cast<int>(std::min<uint64_t>(call->budget, INT32_MAX)));
  }
}

int Traceback(lua_State* L) {
  const char* message = lua_tostring(L, 1);
  luaL_traceback(L, L, message != nullptr ? message : "(error object is not a string)", 1);
  return 1;
}

// The running action's context, or a Lua error when called from a condition or after the
// call ended.
ActionContext* Writer(lua_State* L, const char* method) {
  CallState* call = CallOf(L);
  if (call == nullptr || call->read == nullptr) {
    luaL_error(L, "ctx:%s used outside its handler call", method);
  }
  if (call->write == nullptr) {
    luaL_error(L, "conditions may not write: ctx:%s is only available in actions", method);
  }
  return call->write;
}

// Rebuilds ctx.vars after a change so that it is seen at once.
void RefreshVars(lua_State* L, const json::Value& vars) {
  // self (argument 1) is the ctx proxy; its metatable's __index is the data table.
  if (lua_getmetatable(L, 1) == 0) {
    return;
  }
  lua_getfield(L, -1, "__index");
  if (lua_istable(L, -1)) {
    detail::PushJson(L, vars);
    lua_setfield(L, -2, "vars");
  }
  lua_pop(L, 2);
}

// table[key] as a string, nullptr when absent; sets `bad` for other types. Never raises a
// type error, so callers may hold C++ objects (a Lua error would longjmp over them).
const char* OptString(lua_State* L, int table, const char* key, bool& bad) {
  lua_getfield(L, table, key);
  const int type = lua_type(L, -1);
  const char* s = type == LUA_TSTRING ? lua_tostring(L, -1) : nullptr;
  bad = bad || (type != LUA_TSTRING && type != LUA_TNIL);
  lua_pop(L, 1);  // the string stays alive: the table still references it
  return s;
}

// The ctx methods' bodies hold C++ objects, so they report failure by pushing a message and
// returning false; the lua_error() (a longjmp) happens in the caller, after they are gone.
bool SendImpl(lua_State* L, ActionContext* w) {
  flow::SendEffect send;
  bool failed = false;
  if (lua_type(L, 2) == LUA_TTABLE) {
    const char* text = OptString(L, 2, "text", failed);
    const char* sid = OptString(L, 2, "content_sid", failed);
    send.text = text != nullptr ? text : "";
    send.content_sid = sid != nullptr ? sid : "";
    lua_getfield(L, 2, "media");
    if (lua_istable(L, -1)) {
      const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, -1));
      for (lua_Integer i = 1; i <= n && !failed; ++i) {
        lua_rawgeti(L, -1, i);
        failed = lua_type(L, -1) != LUA_TSTRING;
        if (!failed) send.media.emplace_back(lua_tostring(L, -1));
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
    lua_getfield(L, 2, "variables");
    if (lua_istable(L, -1)) {
      lua_pushnil(L);
      while (!failed && lua_next(L, -2) != 0) {
        failed = lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING;
        if (!failed) send.content_variables[lua_tostring(L, -2)] = lua_tostring(L, -1);
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
  } else if (lua_type(L, 2) == LUA_TSTRING) {
    send.text = lua_tostring(L, 2);
  } else {
    failed = true;
  }
  if (!failed) {
    w->Send(std::move(send));
    return true;
  }
  lua_pushliteral(L,
                  "ctx:send expects a string or {text=, media={urls}, content_sid=, "
                  "variables={}}");
  return false;
}

int CtxSend(lua_State* L) {
  ActionContext* w = Writer(L, "send");
  return SendImpl(L, w) ? 0 : lua_error(L);
}

bool SetImpl(lua_State* L, ActionContext* w, const char* name) {
  json::Value value;
  std::string error;
  bool ok = detail::ToJson(L, 3, value, error);
  if (ok) {
    if (value.is_null()) {
      w->Unset(name);
    } else {
      w->Set(name, std::move(value));
    }
    RefreshVars(L, w->vars());
    return true;
  }
  lua_pushfstring(L, "ctx:set('%s'): %s", name, error.c_str());
  return false;
}

int CtxSet(lua_State* L) {
  ActionContext* w = Writer(L, "set");
  const char* name = luaL_checkstring(L, 2);
  return SetImpl(L, w, name) ? 0 : lua_error(L);
}

bool TimerImpl(lua_State* L, ActionContext* w) {
  ActionContext::TimerRequest request;
  bool bad = false;
  const char* name = OptString(L, 2, "name", bad);
  const char* after = OptString(L, 2, "after", bad);
  const char* at = OptString(L, 2, "at", bad);
  const char* tz = OptString(L, 2, "tz", bad);
  lua_getfield(L, 2, "keep");
  request.keep = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  request.name = name != nullptr ? name : "";
  request.after = after != nullptr ? after : "";
  request.at = at != nullptr ? at : "";
  request.tz = tz != nullptr ? tz : "";
  Status status =
      bad ? Status::InvalidArgument("name, after, at and tz must be strings") : w->Timer(request);
  if (status.ok()) {
    return true;
  }
  lua_pushstring(L, ("ctx:timer: " + status.message()).c_str());
  return false;
}

int CtxTimer(lua_State* L) {
  ActionContext* w = Writer(L, "timer");
  luaL_checktype(L, 2, LUA_TTABLE);
  return TimerImpl(L, w) ? 0 : lua_error(L);
}

int CtxCancel(lua_State* L) {
  ActionContext* w = Writer(L, "cancel");
  w->Cancel(luaL_checkstring(L, 2));
  return 0;
}

int CtxFinish(lua_State* L) {
  Writer(L, "finish")->Finish();
  return 0;
}

int ReadOnly(lua_State* L) {
  return luaL_error(L, "ctx is read-only: use ctx:set(name, value) in an action to change vars");
}

// Wraps the table on top of the stack in a read-only proxy.
void MakeReadOnlyProxy(lua_State* L) {
  lua_newtable(L);           // proxy
  lua_createtable(L, 0, 3);  // metatable
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadOnly);
  lua_setfield(L, -2, "__newindex");
  lua_pushliteral(L, "locked");
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_remove(L, -2);  // leave only the proxy
}

const char* EventName(flow::Event::Kind k) {
  switch (k) {
    case flow::Event::Kind::kStart:
      return "start";
    case flow::Event::Kind::kMessage:
      return "message";
    case flow::Event::Kind::kTimer:
      return "timer";
  }
  return "?";
}

void SetString(lua_State* L, const char* key, std::string_view value) {
  lua_pushlstring(L, value.data(), value.size());
  lua_setfield(L, -2, key);
}

// Pushes the ctx proxy for a call. Its raw data table holds the fields; vars is rebuilt on
// ctx:set. The methods exist in conditions too, and raise there.
void PushContext(lua_State* L, const HandlerContext& ctx, bool action) {
  const flow::Event& e = ctx.event();
  lua_createtable(L, 0, 16);  // data
  if (e.kind == flow::Event::Kind::kMessage) {
    SetString(L, "reply", e.text);
  }
  SetString(L, "event", EventName(e.kind));
  if (e.kind == flow::Event::Kind::kTimer) {
    // ctx.timer is the timer's name in conditions; in actions the name is taken by the
    // ctx:timer{} method, so it is also ctx.timer_name everywhere.
    if (!action) {
      SetString(L, "timer", e.timer);
    }
    SetString(L, "timer_name", e.timer);
  }
  lua_createtable(L, static_cast<int>(e.media.size()), 0);
  for (size_t i = 0; i < e.media.size(); ++i) {
    lua_pushlstring(L, e.media[i].data(), e.media[i].size());
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  lua_setfield(L, -2, "media");
  SetString(L, "state", ctx.state());
  if (!ctx.target().empty()) {
    SetString(L, "target", ctx.target());
  }
  const int64_t ms = ToUnixMillis(ctx.now());
  lua_pushinteger(L, ms / 1000);
  lua_setfield(L, -2, "now");
  lua_pushinteger(L, ms);
  lua_setfield(L, -2, "now_ms");
  // contact is a copy: writing to it changes nothing, so it needs no proxy.
  lua_createtable(L, 0, 5);
  SetString(L, "phone", e.contact.phone);
  SetString(L, "channel", e.contact.channel);
  SetString(L, "name", e.contact.name);
  SetString(L, "tz", e.contact.time_zone);
  lua_createtable(L, 0, static_cast<int>(e.contact.fields.size()));
  for (const auto& [k, v] : e.contact.fields) {
    SetString(L, k.c_str(), v);
  }
  lua_setfield(L, -2, "fields");
  lua_setfield(L, -2, "contact");
  detail::PushJson(L, ctx.vars());
  lua_setfield(L, -2, "vars");
  // The methods live in one shared table, reached through the data table's metatable.
  luaL_getmetatable(L, kDataMeta);
  lua_setmetatable(L, -2);
  MakeReadOnlyProxy(L);
}

class LuaHost final : public flow::ScriptHost {
 public:
  LuaHost(LuaLimits limits, std::string chunk_name)
      : limits_(limits), chunk_name_(std::move(chunk_name)) {
    alloc_.limit = limits.memory_bytes;
    L_ = lua_newstate(Allocate, &alloc_);
  }
  ~LuaHost() override {
    if (L_ != nullptr) {
      lua_close(L_);
    }
  }
  LuaHost(const LuaHost&) = delete;
  LuaHost& operator=(const LuaHost&) = delete;

  Status Load(std::string_view source) {
    if (L_ == nullptr) {
      return Status::ResourceExhausted("cannot create a Lua state");
    }
    CallOf(L_) = nullptr;
    OpenLibraries();
    GuardPatterns(L_);
    if (luaL_loadbufferx(L_, kPrelude, std::char_traits<char>::length(kPrelude), "=prelude", "t") !=
            LUA_OK ||
        lua_pcall(L_, 0, 0, 0) != LUA_OK) {
      return Status::Internal(std::string("sandbox prelude failed: ") + lua_tostring(L_, -1));
    }
    const std::vector<std::string> sandbox_functions = GlobalFunctions();
    RegisterMethods();
    lua_sethook(L_, CountHook, LUA_MASKCOUNT, kHookEvery);
    CallState call;
    call.budget = limits_.instructions_per_call;
    CallOf(L_) = &call;
    lua_pushcfunction(L_, Traceback);
    const std::string name = "@" + chunk_name_;
    int rc = luaL_loadbufferx(L_, source.data(), source.size(), name.c_str(), "t");
    if (rc == LUA_OK) {
      rc = lua_pcall(L_, 0, 0, -2);
    }
    CallOf(L_) = nullptr;
    if (rc != LUA_OK) {
      Status error = ErrorStatus(call, "loading");
      lua_settop(L_, 0);
      return error;
    }
    lua_settop(L_, 0);
    for (std::string& name : GlobalFunctions()) {
      if (std::find(sandbox_functions.begin(), sandbox_functions.end(), name) ==
          sandbox_functions.end()) {
        functions_.push_back(std::move(name));
      }
    }
    return Status::Ok();
  }

  bool HasFunction(std::string_view name) const override {
    return std::find(functions_.begin(), functions_.end(), name) != functions_.end();
  }
  std::vector<std::string> FunctionNames() const override { return functions_; }

  Result<bool> EvalCondition(std::string_view name, const HandlerContext& ctx) const override {
    std::lock_guard lock(mu_);
    CallState call;
    call.read = &ctx;
    Status status = Call(name, ctx, call, 1);
    if (!status.ok()) {
      return status;
    }
    const int type = lua_type(L_, -1);
    const bool value = lua_toboolean(L_, -1) != 0;
    lua_settop(L_, 0);
    if (type != LUA_TBOOLEAN) {
      return Status::InvalidArgument("condition '" + std::string(name) + "' returned " +
                                     lua_typename(L_, type) + ", expected a boolean");
    }
    return value;
  }

  Status RunAction(std::string_view name, ActionContext& ctx) const override {
    std::lock_guard lock(mu_);
    CallState call;
    call.read = &ctx;
    call.write = &ctx;
    Status status = Call(name, ctx, call, 0);
    lua_settop(L_, 0);
    return status;
  }

 private:
  // The ctx methods, shared by every call: {__index = {send=, set=, timer=, ...}}.
  void RegisterMethods() {
    luaL_newmetatable(L_, kDataMeta);
    const luaL_Reg methods[] = {{"send", CtxSend},     {"set", CtxSet},       {"timer", CtxTimer},
                                {"cancel", CtxCancel}, {"finish", CtxFinish}, {nullptr, nullptr}};
    luaL_newlib(L_, methods);
    lua_setfield(L_, -2, "__index");
    lua_pushliteral(L_, "locked");
    lua_setfield(L_, -2, "__metatable");
    lua_pop(L_, 1);
  }

  void OpenLibraries() {
    const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},
                             {LUA_TABLIBNAME, luaopen_table},
                             {LUA_STRLIBNAME, luaopen_string},
                             {LUA_MATHLIBNAME, luaopen_math},
                             {LUA_UTF8LIBNAME, luaopen_utf8}};
    for (const luaL_Reg& lib : libs) {
      luaL_requiref(L_, lib.name, lib.func, 1);
      lua_pop(L_, 1);
    }
  }

  // Names of the global Lua (not C) functions, sorted.
  std::vector<std::string> GlobalFunctions() {
    std::vector<std::string> names;
    lua_pushglobaltable(L_);
    lua_pushnil(L_);
    while (lua_next(L_, -2) != 0) {
      if (lua_type(L_, -2) == LUA_TSTRING && lua_type(L_, -1) == LUA_TFUNCTION &&
          lua_tocfunction(L_, -1) == nullptr) {
        names.emplace_back(lua_tostring(L_, -2));
      }
      lua_pop(L_, 1);
    }
    lua_pop(L_, 1);
    std::sort(names.begin(), names.end());
    return names;
  }

  // Calls global `name(ctx)`; on success leaves `results` values on the stack.
  Status Call(std::string_view name, const HandlerContext& ctx, CallState& call,
              int results) const {
    lua_settop(L_, 0);
    call.budget = limits_.instructions_per_call;
    CallOf(L_) = &call;
    lua_pushcfunction(L_, Traceback);
    lua_pushlstring(L_, name.data(), name.size());
    const int type = lua_getglobal(L_, lua_tostring(L_, -1));
    lua_remove(L_, -2);
    if (type != LUA_TFUNCTION) {
      CallOf(L_) = nullptr;
      lua_settop(L_, 0);
      return Status::NotFound("Lua function '" + std::string(name) + "' is not defined");
    }
    // One protected call runs a trampoline that builds ctx (which may raise a memory
    // error) and then calls the handler with it.
    lua_pushlightuserdata(L_, const_cast<HandlerContext*>(&ctx));
    lua_pushboolean(L_, call.write != nullptr);
    lua_pushcclosure(
        L_,
        [](lua_State* L) -> int {
          PushContext(L,
                      *static_cast<const HandlerContext*>(lua_touserdata(L, lua_upvalueindex(1))),
                      lua_toboolean(L, lua_upvalueindex(2)) != 0);
          lua_call(L, 1, 1);  // handler(ctx); the handler is argument 1
          return 1;
        },
        2);
    lua_insert(L_, -2);  // trampoline, handler
    const int rc = lua_pcall(L_, 1, results, 1);
    CallOf(L_) = nullptr;
    if (rc != LUA_OK) {
      Status error = ErrorStatus(call, "in '" + std::string(name) + "'");
      lua_settop(L_, 0);
      return error;
    }
    lua_remove(L_, 1);  // the traceback handler
    return Status::Ok();
  }

  Status ErrorStatus(const CallState& call, const std::string& where) const {
    const char* message = lua_tostring(L_, -1);
    std::string text = chunk_name_ + ": error " + where + ": " +
                       (message != nullptr ? message : "(error object is not a string)");
    if (call.budget_exceeded) {
      return Status::ResourceExhausted(text);
    }
    if (text.find("not enough memory") != std::string::npos) {
      return Status::ResourceExhausted(text + " (memory cap " +
                                       std::to_string(limits_.memory_bytes >> 20) + " MiB)");
    }
    return Status::InvalidArgument(text);
  }

  LuaLimits limits_;
  std::string chunk_name_;
  Allocator alloc_;
  lua_State* L_ = nullptr;
  std::vector<std::string> functions_;
  mutable std::mutex mu_;
};

}  // namespace

Result<std::shared_ptr<const flow::ScriptHost>> LoadLuaScript(std::string_view source,
                                                              std::string chunk_name,
                                                              LuaLimits limits) {
  auto host = std::make_shared<LuaHost>(limits, std::move(chunk_name));
  PARLEY_RETURN_IF_ERROR(host->Load(source));
  return std::shared_ptr<const flow::ScriptHost>(std::move(host));
}

}  // namespace parley::script
