// The sandbox's building blocks: the capped allocator, the per-call instruction budget and
// the restricted standard library. Internal to the script module.
//
// Every function here that takes a lua_State may raise a Lua error (a longjmp): call them
// only from Lua C functions or protected calls, never with live C++ objects in the frame.
#pragma once

#include <cstddef>
#include <cstdint>

#include <lua.hpp>

#include "common/time.hpp"
#include "flow/handlers.hpp"

namespace parley::script::detail {

// Work done in C is charged to the budget as instructions: one per this many bytes
// allocated, or scanned. (Calibrated so that a budget spent on the costliest C work takes
// about as long as the same budget of ordinary instructions, some tens of milliseconds.)
inline constexpr uint64_t kAllocatedBytesPerInstruction = 16;
inline constexpr uint64_t kScannedBytesPerInstruction = 8;

// How errors about the string cap (LuaLimits::max_string_bytes) end.
inline constexpr const char* kStringCapNote = "the longest string a script may build";

// A refused allocation costs the call this many instructions: Lua runs a full garbage
// collection before it gives up, which the count does not see, and a script could retry
// the refused request under pcall in a loop.
inline constexpr uint64_t kRefusedAllocationCost = 50'000;

// The lua_Alloc user data: refuses to grow past `limit` bytes in use, and to create a
// string longer than `max_string` bytes (0: no cap).
struct Allocator {
  size_t used = 0;
  size_t limit = 0;
  size_t max_string = 0;
  uint64_t allocated = 0;     // bytes ever handed out, for charging allocations to calls
  bool refused = false;       // set when a request was refused; cleared by BeginCall
  size_t refused_string = 0;  // the length of a string refused by the cap; cleared likewise
  lua_State* L = nullptr;     // the state, once created: allocations past the budget stop it
};
void* Allocate(void* ud, void* ptr, size_t osize, size_t nsize);

// What one handler call (or the chunk's top level) may do, and what it has used.
struct CallState {
  uint64_t id = 0;  // ctx userdata remember it, so a ctx kept from an earlier call is dead
  uint64_t budget = 0;
  uint64_t used = 0;
  uint64_t bytes_seen = 0;       // Allocator::allocated already charged
  const Clock* clock = nullptr;  // the watchdog's (LuaLimits::clock); null: none
  TimePoint deadline;
  Duration max_time{0};
  bool budget_exceeded = false;  // or the deadline passed (then timed_out too)
  bool timed_out = false;
  bool not_found = false;  // the handler is not a global function
  int hook_every = 0;      // instructions between two runs of the hook (set by BeginCall)
  const flow::HandlerContext* read = nullptr;
  flow::ActionContext* write = nullptr;  // null in conditions
};

// The running call, or null between calls. Kept in the lua_State's extra space.
CallState*& CallOf(lua_State* L);

// Starts and ends metering `call`: installs the count hook and resets the counters. With a
// clock, the hook runs more often, so that a deadline is noticed within a few milliseconds
// even when every instruction compares or hashes strings of the longest length. Neither
// raises.
void BeginCall(lua_State* L, CallState& call);
void EndCall(lua_State* L);

// Charges `instructions` of work done in C to the running call; raises "instruction budget
// exceeded" when the budget is spent. Once spent, every further Lua instruction of the call
// raises too, so `pcall` cannot swallow the error and carry on.
void Charge(lua_State* L, uint64_t instructions);

// Lua's rule for a start position argument (string.find's `init`, string.byte's `i`):
// negative counts from the end, and anything before the start means 1.
inline lua_Integer StartPosition(lua_Integer pos, size_t len) {
  const auto n = static_cast<lua_Integer>(len);
  if (pos > 0) {
    return pos;
  }
  if (pos == 0 || pos < -n) {
    return 1;
  }
  return n + pos + 1;
}

// Opens the restricted library into the globals. A lua_CFunction: run it with lua_pcall.
int OpenSandbox(lua_State* L);

}  // namespace parley::script::detail
