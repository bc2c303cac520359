// Lua 5.4 handlers for flows, in a sandbox: the flow::ScriptHost of a flow's `script`.
//
// Contract:
//  - Loading runs the chunk once; its global Lua functions become conditions and actions
//    (HasFunction/FunctionNames). Helpers should be `local`.
//  - The sandbox offers the base library without dofile, loadfile, print, warn and
//    collectgarbage; a `load` of source text only (never bytecode; the default environment
//    is the sandbox's globals); a `setmetatable` that refuses __gc finalizers; string
//    (without string.dump; the string metatable is hidden), table, math (without random and
//    randomseed: steps are deterministic) and utf8. There is no io, os, package, require,
//    debug or coroutine, and no clock but ctx.now.
//  - ctx (see docs/flow-format.md): fields reply (nil unless the event is a message), event
//    ("start", "message", "timer"), timer and timer_name, media, state, target (nil in
//    conditions and `otherwise`), now, now_ms, contact {phone, channel, name, tz, fields} and
//    vars; methods ctx:send, ctx:set (seen at once in ctx.vars), ctx:timer, ctx:cancel,
//    ctx:finish. In actions ctx.timer is the method, so the timer's name is ctx.timer_name.
//    ctx and its tables are read-only userdata: assigning raises ("conditions may not
//    write: ..." in conditions), rawset/next do not apply, pairs() walks keys in sorted
//    order. In conditions the methods raise. A ctx is valid only during its call.
//  - Limits (LuaLimits): each call, and the chunk's top level, has an instruction budget;
//    work done in C (pattern matching, allocation, table.move/insert/remove/sort/concat/
//    unpack, string.byte, utf8 scans, load) is charged to it, and once it is spent the call
//    fails even if the script catches the error with pcall. The lua_State has a memory cap,
//    and no string longer than max_string_bytes can be built (string.rep, .., table.concat,
//    string.format, gsub, load's constants...): so no single instruction (comparing,
//    hashing or copying strings) runs long. With a clock, each call also has a wall-clock
//    deadline (max_call_time), checked every 100 instructions.
//  - A condition that returns nil counts as false, as in the replaced system (LIMA took an
//    edge only on exactly True); it is logged at WARN once per handler and host.
//  - Failures are values: syntax and runtime errors, a bad ctx argument and a condition
//    that returns any other non-boolean are InvalidArgument (a syntax error's message
//    is Lua's own, "lima.lua:3: ')' expected near 'end'"); an exhausted budget, the
//    memory cap, the string cap or the deadline ("timed out: the call ran longer than
//    100 ms") are ResourceExhausted; calling a name that is not a global function is
//    NotFound. Messages start with the chunk name and carry the Lua traceback
//    ("lima.lua: error in 'f': lima.lua:12: boom\nstack traceback: ..."); they may quote
//    what the script put in its error, message text included, so they are not for logs
//    above DEBUG. The host stays usable after any error; effects an action produced before
//    failing stay in its ActionContext (the engine discards the step).
//  - Globals: every call starts from the globals as loading left them. A call's global
//    assignments (`LAST = ctx.reply`, rawset(_G, ...)) are its own and forgotten when it
//    returns, so nothing of one contact's event reaches the next call through a global.
//    The standard library tables (string, table, math, utf8) are read-only. Not isolated:
//    tables the script itself built while loading and its chunk-level locals (upvalues)
//    are shared by every call; handlers must treat them as constants (state belongs in
//    ctx.vars). pairs(_G) and rawget(_G, k) do not see the loaded globals.
//  - Determinism: without a clock a call's outcome depends only on the script, ctx and
//    (if a handler breaks the rule above) the script's own tables and locals. With a clock,
//    a call that would finish can time out on a slow or overloaded machine; the server sets
//    one, the CLI tools (check, chat, test) do not. Lua's own table order (pairs on script
//    tables) and tostring of tables are not deterministic; handlers should not depend on them.
//  - Thread-safety: the host is immutable after loading and its methods may be called from
//    any thread: one mutex serializes calls on the script's single lua_State.
//  - Ownership: the returned host owns the lua_State; contexts passed to a call are borrowed
//    for that call only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.hpp"
#include "common/time.hpp"
#include "flow/handlers.hpp"

namespace parley::script {

struct LuaLimits {
  uint64_t instructions_per_call = 1'000'000;
  size_t memory_bytes = size_t{16} << 20;  // per script (its lua_State), globals included
  // The longest string a script may build (0: only the memory cap). One comparison of two
  // 1 MiB strings, a single instruction, takes some tens of microseconds.
  size_t max_string_bytes = size_t{1} << 20;
  // The wall-clock deadline of each call, for work the instruction count does not see. When
  // `clock` is set, a call that has run longer than `max_call_time` by it fails with
  // ResourceExhausted (checked every 100 instructions). Off by default: outcomes then never
  // depend on timing. The clock must outlive the host.
  const Clock* clock = nullptr;
  Duration max_call_time = std::chrono::milliseconds(100);
};

// Compiles and runs `source` (text only: a precompiled "\x1bLua" chunk is refused).
// `chunk_name` appears in messages and tracebacks ("lima.lua:12: ..."). InvalidArgument on
// a syntax or runtime error at the top level, ResourceExhausted when it hits a limit.
Result<std::shared_ptr<const flow::ScriptHost>> LoadLuaScript(std::string_view source,
                                                              std::string chunk_name,
                                                              LuaLimits limits = {});

}  // namespace parley::script
