// Lua 5.4 handlers for flows, in a sandbox.
//
// Contract:
//  - The script runs once at load; its global functions become conditions and actions.
//  - The sandbox offers the base library without dofile/loadfile/print/collectgarbage,
//    `load` of text only, and string (without string.dump), table, math (without random,
//    which would make steps non-deterministic) and utf8. No io, os, package, require, debug.
//  - Each call has an instruction budget and each script a memory cap (LuaLimits). Lua
//    patterns run in C, outside the instruction count, so string.find/match/gmatch/gsub
//    refuse patterns with more than 6 quantifiers and subjects over 64 KiB.
//  - Conditions get a read-only ctx: writing to it or calling ctx:send/set/timer/cancel/
//    finish raises an error. A ctx is valid only during its call.
//  - Errors (syntax, runtime, budget, memory, a non-boolean condition result) come back as
//    a Status with the Lua traceback; the host stays usable.
//  - Thread-safety: calls may come from any thread; one mutex serializes them on the
//    script's single lua_State. Globals persist between calls, so handlers should keep
//    conversation state in ctx.vars, not in globals.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.hpp"
#include "flow/handlers.hpp"

namespace parley::script {

struct LuaLimits {
  uint64_t instructions_per_call = 1'000'000;
  size_t memory_bytes = size_t{16} << 20;  // per script (its lua_State)
};

// Compiles and runs `source` (never bytecode). `chunk_name` appears in error messages and
// tracebacks ("lima.lua:12: ..."). InvalidArgument on syntax or runtime errors at load,
// ResourceExhausted when the top level hits a limit.
Result<std::shared_ptr<const flow::ScriptHost>> LoadLuaScript(std::string_view source,
                                                              std::string chunk_name,
                                                              LuaLimits limits = {});

}  // namespace parley::script
