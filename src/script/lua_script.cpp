#include "script/lua_script.hpp"

#include <algorithm>
#include <mutex>
#include <set>
#include <vector>

#include <lua.hpp>

#include "common/log.hpp"
#include "script/local_functions.hpp"
#include "script/lua_context.hpp"
#include "script/lua_sandbox.hpp"
#include "script/lua_values.hpp"

namespace parley::script {

namespace {

using detail::CallState;

// The lua_State is only touched inside lua_pcall, except for calls that cannot raise
// (pushing light C functions and light userdata, reading the stack, lua_settop): an error
// outside a protected call would abort the process.

int Setup(lua_State* L) {
  detail::OpenSandbox(L);
  detail::RegisterContext(L);
  return 0;
}

// The message handler: appends the Lua traceback. Never runs script code.
int Traceback(lua_State* L) {
  const int type = lua_type(L, 1);
  if (type == LUA_TSTRING || type == LUA_TNUMBER) {
    luaL_traceback(L, L, lua_tostring(L, 1), 1);
  } else {
    lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, lua_tostring(L, -1), 1);
  }
  return 1;
}

// Registry key (by address) of the globals as the chunk left them (see FreezeGlobals).
const char kLoadedGlobalsKey = 'g';

// next() over the loaded globals, for pairs(_G).
int LoadedNext(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  if (lua_next(L, 1) != 0) {
    return 2;
  }
  lua_pushnil(L);
  return 1;
}

// pairs(_G) walks the loaded globals (a call's own assignments are not listed).
int GlobalsPairs(lua_State* L) {
  lua_pushcfunction(L, LoadedNext);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kLoadedGlobalsKey);
  lua_pushnil(L);
  return 3;
}

// After loading: moves every global into a new table, the loaded globals, and leaves the
// globals table (the _ENV every function of the chunk captured) empty, reading through to
// them. So a handler's global assignments land in the empty table, which ResetGlobals
// empties after every call: each call starts from the globals as loading left them. The
// standard library tables are replaced by read-only proxies, so a call cannot change them
// for the next one either. A metatable the script gave _G keeps working: its __index (and
// everything else) moves to the loaded globals, its __newindex stays on _G.
int FreezeGlobals(lua_State* L) {
  lua_pushglobaltable(L);
  const int globals = lua_gettop(L);
  lua_newtable(L);
  const int loaded = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, globals) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, loaded);
  }
  for (const char* lib : {LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME, LUA_UTF8LIBNAME}) {
    if (lua_getfield(L, loaded, lib) == LUA_TTABLE) {
      detail::MakeReadOnly(L);
      lua_setfield(L, loaded, lib);
    } else {
      lua_pop(L, 1);
    }
  }
  lua_createtable(L, 0, 4);  // the globals' new metatable
  const int meta = lua_gettop(L);
  if (lua_getmetatable(L, globals) != 0) {
    lua_getfield(L, -1, "__newindex");
    lua_setfield(L, meta, "__newindex");
    lua_setmetatable(L, loaded);
  }
  lua_pushvalue(L, loaded);
  lua_setfield(L, meta, "__index");
  lua_pushcfunction(L, GlobalsPairs);
  lua_setfield(L, meta, "__pairs");
  lua_pushliteral(L, "locked");
  lua_setfield(L, meta, "__metatable");
  lua_pushvalue(L, loaded);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &kLoadedGlobalsKey);
  // Tracebacks name global functions by searching the loaded modules' "_G".
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushvalue(L, loaded);
  lua_setfield(L, -2, LUA_GNAME);
  lua_pop(L, 1);
  // Empty the globals: clearing fields during a traversal is allowed.
  lua_pushnil(L);
  while (lua_next(L, globals) != 0) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, globals);
  }
  lua_setmetatable(L, globals);
  return 0;
}

// After each call: forgets the globals the call assigned.
int ResetGlobals(lua_State* L) {
  lua_pushglobaltable(L);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, -4);
  }
  return 0;
}

struct Request {
  std::string_view name;
  int results;
};

// Calls the global function request->name (argument 1) with the call's ctx.
int Dispatch(lua_State* L) {
  const auto* request = static_cast<const Request*>(lua_touserdata(L, 1));
  CallState* call = detail::CallOf(L);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kLoadedGlobalsKey);
  lua_pushlstring(L, request->name.data(), request->name.size());
  if (lua_rawget(L, -2) != LUA_TFUNCTION) {
    call->not_found = true;
    lua_pushliteral(L, "not a function");
    return lua_error(L);
  }
  detail::PushContext(L, *call);
  lua_call(L, 1, request->results);
  return request->results;
}

std::string FormatBytes(size_t bytes) {
  constexpr size_t kMiB = size_t{1} << 20;
  return bytes % kMiB == 0 ? std::to_string(bytes / kMiB) + " MiB"
                           : std::to_string(bytes) + " bytes";
}

class LuaHost final : public flow::ScriptHost {
 public:
  LuaHost(LuaLimits limits, std::string chunk_name)
      : limits_(limits), chunk_name_(std::move(chunk_name)) {
    alloc_.limit = limits.memory_bytes;
    alloc_.max_string = limits.max_string_bytes;
    L_ = lua_newstate(detail::Allocate, &alloc_);
    if (L_ != nullptr) {
      detail::CallOf(L_) = nullptr;
      alloc_.L = L_;
    }
  }
  ~LuaHost() override {
    if (L_ != nullptr) {
      lua_close(L_);  // runs no script code: __gc finalizers are refused
    }
  }
  LuaHost(const LuaHost&) = delete;
  LuaHost& operator=(const LuaHost&) = delete;

  Status Load(std::string_view source) {
    if (L_ == nullptr) {
      return Status::ResourceExhausted(chunk_name_ + ": cannot create a Lua state within " +
                                       FormatBytes(limits_.memory_bytes));
    }
    lua_pushcfunction(L_, Setup);
    if (const int rc = lua_pcall(L_, 0, 0, 0); rc != LUA_OK) {
      Status error =
          rc == LUA_ERRMEM
              ? Status::ResourceExhausted(chunk_name_ + ": the Lua sandbox needs more than " +
                                          FormatBytes(limits_.memory_bytes))
              : Status::Internal(chunk_name_ + ": Lua sandbox setup failed: " + ErrorText());
      lua_settop(L_, 0);
      return error;
    }
    CallState call;
    Arm(call);
    // The top level runs once, at startup or in the CLI: no deadline, so that whether a
    // script loads never depends on how busy the machine is (the budget still bounds it).
    call.clock = nullptr;
    detail::BeginCall(L_, call);
    lua_pushcfunction(L_, Traceback);
    const std::string name = "@" + chunk_name_;
    // Mode "t": a precompiled chunk ("\x1bLua...") is refused.
    int rc = luaL_loadbufferx(L_, source.data(), source.size(), name.c_str(), "t");
    if (rc == LUA_ERRSYNTAX && !call.budget_exceeded && alloc_.refused_string == 0) {
      // Lua's message names the file and line already: "lima.lua:3: ')' expected near 'end'".
      detail::EndCall(L_);
      Status error = Status::InvalidArgument(ErrorText());
      lua_settop(L_, 0);
      return error;
    }
    if (rc == LUA_OK) {
      rc = lua_pcall(L_, 0, 0, 1);
    }
    detail::EndCall(L_);
    if (rc != LUA_OK) {
      Status error = ErrorStatus(rc, call, "");
      lua_settop(L_, 0);
      return error;
    }
    lua_settop(L_, 0);
    functions_ = GlobalFunctions();
    local_functions_ = LocalFunctionNames(source);
    lua_pushcfunction(L_, FreezeGlobals);
    if (lua_pcall(L_, 0, 0, 0) != LUA_OK) {
      lua_settop(L_, 0);
      return Status::ResourceExhausted(chunk_name_ +
                                       ": no memory left to freeze the globals (cap " +
                                       FormatBytes(limits_.memory_bytes) + ")");
    }
    return Status::Ok();
  }

  bool HasFunction(std::string_view name) const override {
    return std::binary_search(functions_.begin(), functions_.end(), name);
  }
  std::vector<std::string> FunctionNames() const override { return functions_; }
  bool HasLocalFunction(std::string_view name) const override {
    return std::binary_search(local_functions_.begin(), local_functions_.end(), name);
  }

  Result<bool> EvalCondition(std::string_view name,
                             const flow::HandlerContext& ctx) const override {
    std::lock_guard lock(mu_);
    CallState call;
    call.read = &ctx;
    if (Status status = Call(name, call, 1); !status.ok()) {
      return status;
    }
    const int type = lua_type(L_, -1);
    const bool value = lua_toboolean(L_, -1) != 0;
    lua_settop(L_, 0);
    if (type == LUA_TNIL) {
      // As in the replaced system, which took an edge only when its guard returned exactly
      // True: nil (a guard that forgot its `return`, or returned a failed match) is false.
      // Said once per handler, so the log is not flooded but the author hears of it.
      if (warned_nil_.emplace(name).second) {
        Log(LogLevel::kWarning, chunk_name_ + ": condition '" + std::string(name) +
                                    "' returned nil; counted as false (return true or false)");
      }
      return false;
    }
    if (type != LUA_TBOOLEAN) {
      const std::string what = std::string("a ") + lua_typename(L_, type);
      return Status::InvalidArgument(chunk_name_ + ": condition '" + std::string(name) +
                                     "' returned " + what + ", expected a boolean");
    }
    return value;
  }

  Status RunAction(std::string_view name, flow::ActionContext& ctx) const override {
    std::lock_guard lock(mu_);
    CallState call;
    call.read = &ctx;
    call.write = &ctx;
    Status status = Call(name, call, 0);
    lua_settop(L_, 0);
    return status;
  }

 private:
  // Sets the limits of a call about to start.
  void Arm(CallState& call) const {
    call.id = ++calls_;
    call.budget = limits_.instructions_per_call;
    if (limits_.clock != nullptr) {
      call.clock = limits_.clock;
      call.max_time = limits_.max_call_time;
      call.deadline = limits_.clock->Now() + limits_.max_call_time;
    }
  }

  // Calls global `name(ctx)`; on success leaves `results` values on top of the stack.
  Status Call(std::string_view name, CallState& call, int results) const {
    lua_settop(L_, 0);
    Arm(call);
    Request request{name, results};
    detail::BeginCall(L_, call);
    lua_pushcfunction(L_, Traceback);
    lua_pushcfunction(L_, Dispatch);
    lua_pushlightuserdata(L_, &request);
    const int rc = lua_pcall(L_, 1, results, 1);
    detail::EndCall(L_);
    // Never fails: clearing fields allocates nothing. The results stay below it.
    lua_pushcfunction(L_, ResetGlobals);
    lua_pcall(L_, 0, 0, 0);
    if (rc != LUA_OK) {
      Status error = ErrorStatus(rc, call, name);
      lua_settop(L_, 0);
      return error;
    }
    return Status::Ok();
  }

  // The error on top of the stack as a Status; `function` is empty for the chunk itself.
  Status ErrorStatus(int rc, const CallState& call, std::string_view function) const {
    if (call.not_found) {
      return Status::NotFound(chunk_name_ + ": Lua function '" + std::string(function) +
                              "' is not defined");
    }
    std::string text =
        chunk_name_ +
        (function.empty() ? ": error loading: " : ": error in '" + std::string(function) + "': ") +
        ErrorText();
    if (call.budget_exceeded) {
      return Status::ResourceExhausted(std::move(text));
    }
    if (alloc_.refused_string != 0) {
      if (text.find(detail::kStringCapNote) != std::string::npos) {
        return Status::ResourceExhausted(std::move(text));
      }
      return Status::ResourceExhausted(
          text + " (a string of " + std::to_string(alloc_.refused_string) + " bytes: longer than " +
          FormatBytes(limits_.max_string_bytes) + ", " + detail::kStringCapNote + ")");
    }
    if (rc == LUA_ERRMEM ||
        (alloc_.refused && text.find("not enough memory") != std::string::npos)) {
      return Status::ResourceExhausted(text + " (memory cap " + FormatBytes(limits_.memory_bytes) +
                                       ")");
    }
    return Status::InvalidArgument(std::move(text));
  }

  std::string ErrorText() const {
    return lua_type(L_, -1) == LUA_TSTRING ? lua_tostring(L_, -1) : "(no error message)";
  }

  // The global Lua functions (library functions are C functions), sorted.
  std::vector<std::string> GlobalFunctions() const {
    std::vector<std::string> names;
    lua_pushglobaltable(L_);
    lua_pushnil(L_);
    while (lua_next(L_, -2) != 0) {
      if (lua_type(L_, -2) == LUA_TSTRING && lua_type(L_, -1) == LUA_TFUNCTION &&
          lua_iscfunction(L_, -1) == 0) {
        names.emplace_back(lua_tostring(L_, -2));
      }
      lua_pop(L_, 1);
    }
    lua_pop(L_, 1);
    std::sort(names.begin(), names.end());
    return names;
  }

  const LuaLimits limits_;
  const std::string chunk_name_;
  detail::Allocator alloc_;
  lua_State* L_ = nullptr;
  std::vector<std::string> functions_;        // written by Load only, before the host is shared
  std::vector<std::string> local_functions_;  // likewise
  mutable std::set<std::string, std::less<>> warned_nil_;  // guarded by mu_
  mutable std::mutex mu_;                                  // serializes every use of L_ after Load
  mutable uint64_t calls_ = 0;                             // guarded by mu_
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
