#include "script/lua_sandbox.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <limits>

#include "script/lua_patterns.hpp"
#include "script/lua_values.hpp"

namespace parley::script::detail {

namespace {

constexpr int kHookEvery = 1000;  // instructions between budget checks
// With a deadline: one instruction may compare two strings of the longest length a script
// can build (1 MiB: some tens of microseconds), so 1,000 of them could overrun a 100 ms
// deadline by tens of milliseconds. Reading the clock costs about as much as 20 instructions.
constexpr int kTimedHookEvery = 100;
constexpr const char* kLocked = "locked";  // what getmetatable() shows for sandbox objects

uint64_t AddSaturated(uint64_t a, uint64_t b) {
  return b > std::numeric_limits<uint64_t>::max() - a ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

void CountHook(lua_State* L, lua_Debug* ar);

// Raises the budget (or deadline) error. From then on the hook fires on every instruction,
// so a script that catches the error with pcall fails again at its next instruction.
int RaiseLimit(lua_State* L, CallState* call, int level) {
  call->budget_exceeded = true;
  lua_sethook(L, CountHook, LUA_MASKCOUNT, 1);
  luaL_where(L, level);
  if (call->timed_out) {
    lua_pushfstring(L, "timed out: the call ran longer than %I ms",
                    static_cast<LUAI_UACINT>(call->max_time.count()));
  } else {
    lua_pushfstring(L, "instruction budget exceeded (%I instructions)",
                    static_cast<LUAI_UACINT>(std::min<uint64_t>(call->budget, LUA_MAXINTEGER)));
  }
  lua_concat(L, 2);
  return lua_error(L);
}

void CountHook(lua_State* L, lua_Debug*) {
  CallState* call = CallOf(L);
  if (call == nullptr) {
    return;
  }
  if (call->budget_exceeded) {
    RaiseLimit(L, call, 0);
    return;
  }
  // Allocation is work Lua does in C (string.rep, concatenation, table.concat...): charge it.
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  const uint64_t bytes = static_cast<Allocator*>(ud)->allocated - call->bytes_seen;
  const uint64_t charged = bytes / kAllocatedBytesPerInstruction;
  call->bytes_seen += charged * kAllocatedBytesPerInstruction;
  call->used = AddSaturated(call->used, static_cast<uint64_t>(call->hook_every) + charged);
  if (call->used > call->budget) {
    RaiseLimit(L, call, 0);
    return;
  }
  if (call->clock != nullptr && call->clock->Now() > call->deadline) {
    call->timed_out = true;
    RaiseLimit(L, call, 0);
  }
}

// --- Replacements for base functions -----------------------------------------------------

// load(chunk [, chunkname [, mode [, env]]]): source text only, whatever `mode` says; the
// default environment is the sandbox's globals.
int SafeLoad(lua_State* L) {
  if (lua_type(L, 1) != LUA_TSTRING) {
    return luaL_error(L, "load: only source text can be loaded (got a %s)", luaL_typename(L, 1));
  }
  size_t len = 0;
  const char* chunk = lua_tolstring(L, 1, &len);
  const char* name = luaL_optstring(L, 2, chunk);
  const bool has_env = !lua_isnone(L, 4);
  Charge(L, len);  // parsing costs about an instruction per byte
  if (luaL_loadbufferx(L, chunk, len, name, "t") != LUA_OK) {
    luaL_pushfail(L);
    lua_insert(L, -2);
    return 2;  // nil, message
  }
  if (has_env) {
    lua_pushvalue(L, 4);
    if (lua_setupvalue(L, -2, 1) == nullptr) {
      lua_pop(L, 1);
    }
  }
  return 1;
}

// setmetatable refusing __gc: a finalizer could run outside any handler call (at close),
// beyond the instruction budget. (A __gc added to the metatable later is never called:
// Lua marks objects for finalization only when the metatable is set.)
int SafeSetmetatable(lua_State* L) {
  if (lua_type(L, 2) == LUA_TTABLE) {
    lua_pushliteral(L, "__gc");
    const int gc = lua_rawget(L, 2);
    lua_pop(L, 1);
    if (gc != LUA_TNIL) {
      return luaL_error(L, "setmetatable: __gc finalizers are not allowed");
    }
  }
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

// string.rep: an empty result is built without looping (string.rep("", 2^62) would spin in
// C); a result longer than the string cap is refused before any work; anything else
// allocates its result, which the budget charges.
int SafeRep(lua_State* L) {
  size_t len = 0;
  size_t sep_len = 0;
  luaL_checklstring(L, 1, &len);
  const lua_Integer n = luaL_checkinteger(L, 2);
  luaL_optlstring(L, 3, "", &sep_len);
  if (n <= 0 || len + sep_len == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  const size_t cap = static_cast<Allocator*>(ud)->max_string;
  // n copies of s and n - 1 separators, compared without overflowing.
  const auto copies = static_cast<uint64_t>(n);
  if (cap != 0 &&
      (copies > cap || len > cap || sep_len > cap || copies * len + (copies - 1) * sep_len > cap)) {
    static_cast<Allocator*>(ud)->refused_string = cap + 1;  // makes it ResourceExhausted
    return cap % (size_t{1} << 20) == 0
               ? luaL_error(L, "string.rep: the result would be longer than %d MiB, %s",
                            static_cast<int>(cap >> 20), kStringCapNote)
               : luaL_error(L, "string.rep: the result would be longer than %I bytes, %s",
                            static_cast<LUAI_UACINT>(cap), kStringCapNote);
  }
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

// --- Metered library functions ------------------------------------------------------------
//
// Library functions whose C loops run for a count the script chooses are charged that count
// before they run. Each cost function reads the arguments without calling metamethods.

using CostFn = uint64_t (*)(lua_State*);

template <CostFn Cost>
int Metered(lua_State* L) {
  Charge(L, Cost(L));
  return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

lua_Integer IntArg(lua_State* L, int index, lua_Integer otherwise) {
  int ok = 0;
  const lua_Integer v = lua_tointegerx(L, index, &ok);
  return ok != 0 ? v : otherwise;
}

// Elements in first..last.
uint64_t Span(lua_Integer first, lua_Integer last) {
  if (last < first) {
    return 0;
  }
  return AddSaturated(static_cast<uint64_t>(last) - static_cast<uint64_t>(first), 1);
}

// The length a table function sees for its first argument. Tables with a __len metamethod
// are refused: it could answer one thing here and another to the function itself.
lua_Integer TableLength(lua_State* L) {
  switch (lua_type(L, 1)) {
    case LUA_TTABLE:
      if (luaL_getmetafield(L, 1, "__len") != LUA_TNIL) {
        return luaL_error(L, "table functions do not accept tables with a __len metamethod");
      }
      return static_cast<lua_Integer>(lua_rawlen(L, 1));
    case LUA_TSTRING:
      return static_cast<lua_Integer>(lua_rawlen(L, 1));
    case LUA_TUSERDATA:
      if (PushProxyTarget(L, 1)) {
        const auto n = static_cast<lua_Integer>(lua_rawlen(L, -1));
        lua_pop(L, 1);
        return n;
      }
      return 0;
    default:
      return 0;  // the function itself reports the bad argument
  }
}

uint64_t CostMove(lua_State* L) { return Span(IntArg(L, 2, 1), IntArg(L, 3, 0)); }

uint64_t CostInsert(lua_State* L) {
  if (lua_gettop(L) != 3) {
    return 1;  // appending moves nothing
  }
  const lua_Integer n = TableLength(L);
  return Span(IntArg(L, 2, n + 1), n);
}

uint64_t CostRemove(lua_State* L) {
  if (lua_gettop(L) < 2) {
    return 1;  // removing the last element moves nothing
  }
  const lua_Integer n = TableLength(L);
  const lua_Integer pos = IntArg(L, 2, n);
  return pos >= n ? 1 : Span(pos, n - 1);
}

uint64_t CostSort(lua_State* L) {
  const auto n = static_cast<uint64_t>(std::max<lua_Integer>(TableLength(L), 0));
  return n * static_cast<uint64_t>(std::bit_width(n));  // n log n comparisons
}

uint64_t CostConcat(lua_State* L) {
  const lua_Integer last = lua_isnoneornil(L, 4) ? TableLength(L) : IntArg(L, 4, 0);
  return Span(IntArg(L, 3, 1), last);
}

uint64_t CostUnpack(lua_State* L) {
  const lua_Integer last = lua_isnoneornil(L, 3) ? TableLength(L) : IntArg(L, 3, 0);
  return Span(IntArg(L, 2, 1), last);
}

// string.byte(s, i, j) and utf8.codepoint(s, i, j) push one value per byte of s[i..j].
uint64_t CostByteRange(lua_State* L) {
  const auto len = static_cast<lua_Integer>(lua_rawlen(L, 1));
  const lua_Integer i = StartPosition(IntArg(L, 2, 1), lua_rawlen(L, 1));
  lua_Integer j = IntArg(L, 3, i);
  if (j < 0) {
    j = j < -len ? 0 : len + j + 1;
  }
  return Span(i, std::min(j, len));
}

// Functions that scan their string argument.
uint64_t CostScan(lua_State* L) {
  return lua_type(L, 1) == LUA_TSTRING ? lua_rawlen(L, 1) / kScannedBytesPerInstruction : 0;
}

// Replaces field `name` of the table on top of the stack with a closure of `wrapper` over the
// original function.
void Wrap(lua_State* L, const char* name, lua_CFunction wrapper) {
  lua_getfield(L, -1, name);
  lua_pushcclosure(L, wrapper, 1);
  lua_setfield(L, -2, name);
}

void Remove(lua_State* L, const char* name) {
  lua_pushnil(L);
  lua_setfield(L, -2, name);
}

// Refuses an allocation: the running call pays for the garbage collection Lua runs before
// raising "not enough memory" (the hook checks the budget at the next instruction).
void* Refuse(Allocator* a) {
  a->refused = true;
  CallState* call = a->L != nullptr ? CallOf(a->L) : nullptr;
  if (call != nullptr && !call->budget_exceeded) {
    call->used = AddSaturated(call->used, kRefusedAllocationCost);
    if (call->used > call->budget) {
      lua_sethook(a->L, CountHook, LUA_MASKCOUNT, 1);
    }
  }
  return nullptr;
}

}  // namespace

void* Allocate(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* a = static_cast<Allocator*>(ud);
  const size_t old = ptr != nullptr ? osize : 0;
  if (nsize == 0) {
    std::free(ptr);
    a->used -= old;
    return nullptr;
  }
  // When ptr is null, osize is the type of the object Lua creates: a string longer than
  // the cap is refused (a header of some 25 bytes comes with its characters).
  constexpr size_t kStringHeader = 32;
  if (ptr == nullptr && osize == LUA_TSTRING && a->max_string != 0 &&
      nsize > a->max_string + kStringHeader) {
    a->refused_string = nsize - kStringHeader;
    return Refuse(a);
  }
  if (nsize > old && nsize - old > a->limit - a->used) {
    return Refuse(a);  // Lua collects garbage, retries, then raises "not enough memory"
  }
  void* p = std::realloc(ptr, nsize);
  if (p == nullptr) {
    return Refuse(a);
  }
  a->used = a->used - old + nsize;
  if (nsize > old) {
    a->allocated += nsize - old;
    // The hook charges allocation every 100 or 1,000 instructions, which may be many
    // megabytes of string.rep; past the budget, make it run at the next instruction.
    // (lua_sethook only sets fields: it is safe here, as in a signal handler.)
    CallState* call = a->L != nullptr ? CallOf(a->L) : nullptr;
    if (call != nullptr && !call->budget_exceeded &&
        AddSaturated(call->used, (a->allocated - call->bytes_seen) /
                                     kAllocatedBytesPerInstruction) > call->budget) {
      lua_sethook(a->L, CountHook, LUA_MASKCOUNT, 1);
    }
  }
  return p;
}

CallState*& CallOf(lua_State* L) { return *static_cast<CallState**>(lua_getextraspace(L)); }

void BeginCall(lua_State* L, CallState& call) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  auto* alloc = static_cast<Allocator*>(ud);
  alloc->refused = false;
  alloc->refused_string = 0;
  call.bytes_seen = alloc->allocated;
  call.hook_every = call.clock != nullptr ? kTimedHookEvery : kHookEvery;
  CallOf(L) = &call;
  lua_sethook(L, CountHook, LUA_MASKCOUNT, call.hook_every);  // also restarts the count
}

void EndCall(lua_State* L) {
  lua_sethook(L, nullptr, 0, 0);
  CallOf(L) = nullptr;
}

void Charge(lua_State* L, uint64_t instructions) {
  CallState* call = CallOf(L);
  if (call == nullptr) {
    return;
  }
  call->used = AddSaturated(call->used, instructions);
  if (call->used > call->budget) {
    RaiseLimit(L, call, 1);
  }
}

int OpenSandbox(lua_State* L) {
  const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},
                           {LUA_TABLIBNAME, luaopen_table},
                           {LUA_STRLIBNAME, luaopen_string},
                           {LUA_MATHLIBNAME, luaopen_math},
                           {LUA_UTF8LIBNAME, luaopen_utf8}};
  for (const luaL_Reg& lib : libs) {
    luaL_requiref(L, lib.name, lib.func, 1);
    lua_pop(L, 1);
  }

  lua_pushglobaltable(L);
  for (const char* name : {"dofile", "loadfile", "print", "warn", "collectgarbage", "require"}) {
    Remove(L, name);
  }
  lua_pushcfunction(L, SafeLoad);
  lua_setfield(L, -2, "load");
  Wrap(L, "setmetatable", SafeSetmetatable);
  Wrap(L, "tonumber", Metered<CostScan>);

  lua_getfield(L, -1, LUA_STRLIBNAME);
  Remove(L, "dump");
  Wrap(L, "rep", SafeRep);
  Wrap(L, "byte", Metered<CostByteRange>);
  InstallPatterns(L, lua_absindex(L, -1));
  lua_pop(L, 1);

  lua_getfield(L, -1, LUA_MATHLIBNAME);  // random would make steps non-deterministic
  Remove(L, "random");
  Remove(L, "randomseed");
  lua_pop(L, 1);

  lua_getfield(L, -1, LUA_TABLIBNAME);
  Wrap(L, "move", Metered<CostMove>);
  Wrap(L, "insert", Metered<CostInsert>);
  Wrap(L, "remove", Metered<CostRemove>);
  Wrap(L, "sort", Metered<CostSort>);
  Wrap(L, "concat", Metered<CostConcat>);
  Wrap(L, "unpack", Metered<CostUnpack>);
  lua_pop(L, 1);

  lua_getfield(L, -1, LUA_UTF8LIBNAME);
  Wrap(L, "codepoint", Metered<CostByteRange>);
  Wrap(L, "len", Metered<CostScan>);
  Wrap(L, "offset", Metered<CostScan>);
  lua_pop(L, 1);
  lua_pop(L, 1);  // globals

  // Strings share one metatable ({__index = string}); hide it so scripts cannot change how
  // every string behaves.
  lua_pushliteral(L, "");
  if (lua_getmetatable(L, -1) != 0) {
    lua_pushstring(L, kLocked);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);

  RegisterReadOnlyProxies(L);
  return 0;
}

}  // namespace parley::script::detail
