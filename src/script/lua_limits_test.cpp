// The sandbox's limits: the instruction budget (work in C charged to it), the watchdog and
// the wall-clock deadline, the string cap and the memory cap.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "script/lua_script.hpp"
#include "script/lua_script_testing.hpp"

namespace parley::script {
namespace {

using testing::Error;
using testing::FakeContext;
using ::testing::HasSubstr;
using testing::Load;
using testing::Message;

TEST(LuaScript, EndlessLoopsHitTheInstructionBudget) {
  auto host = Load(R"(
    function spin(ctx) while true do end end
    function swallow(ctx)  -- pcall must not be a way around the budget
      while true do pcall(function() while true do end end) end
    end
    function retry(ctx)
      for i = 1, 1e9 do
        local ok = pcall(function() while true do end end)
        if not ok then ctx:set("caught", i) end
      end
    end
    function ok(ctx) return true end
  )",
                   {.instructions_per_call = 100'000});
  FakeContext ctx(Message(""));
  const auto start = std::chrono::steady_clock::now();
  for (const char* name : {"spin", "swallow", "retry"}) {
    const Status s = host->RunAction(name, ctx);
    EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << name;
    EXPECT_THAT(s.message(), HasSubstr("instruction budget exceeded (100000 instructions)"));
    EXPECT_TRUE(*host->EvalCondition("ok", ctx));  // the budget is per call
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(LoadLuaScript("while true do end", "top.lua", {.instructions_per_call = 10'000})
                .status()
                .code(),
            StatusCode::kResourceExhausted);
}

TEST(LuaScript, WorkInCIsChargedToTheBudget) {
  const char* bodies[] = {
      // Patterns that backtrack for seconds (or hours) in Lua's own matcher.
      "return (string.rep('a', 60000)):find('a*b')",
      "return (string.rep('a', 20000)):find('.-.-b')",
      "return (string.rep('a', 5000)):match('^(a-)(a-)(a-)b$')",
      "for w in string.rep('ab ', 30000):gmatch('%a*%s*%a*c') do end",
      "return (string.rep('a', 20000)):gsub('a-a-a-b', '')",
      ("local s, p = string.rep('a', 1e6), string.rep('a', 5e5) .. 'b' "
       "for i = 1, 1e6 do s:find(p, 1, true) end"),
      // C loops whose length the script picks.
      "return table.move({}, 1, 1e15, 2)",
      "local t = {} for i = 1, 1e5 do t[i] = i end for i = 1, 1e6 do table.insert(t, 1, i) end",
      "local t = {} for i = 1, 1e5 do t[i] = i end for i = 1, 1e6 do table.sort(t) end",
      "local t = {} for i = 1, 1e5 do t[i] = '' end for i = 1, 1e6 do table.concat(t) end",
      "local t = {} for i = 1, 1e5 do t[i] = 1 end for i = 1, 1e6 do table.unpack(t) end",
      "local s = string.rep('x', 1e5) for i = 1, 1e6 do s:byte(1, -1) end",
      "local s = string.rep('x', 4e6) for i = 1, 1e6 do utf8.len(s) end",
      "local s = string.rep(' ', 4e6) for i = 1, 1e6 do tonumber(s) end",
      "local s = 'return ' .. string.rep('1+', 1e6) .. '1' for i = 1, 1e6 do load(s) end",
      "for i = 1, 1e6 do local s = string.rep('x', 4e6) end",
  };
  for (const char* body : bodies) {
    // Without the string cap: these measure the budget alone.
    auto host = Load(std::string("function f(ctx) ") + body + " end", {.max_string_bytes = 0});
    FakeContext ctx(Message(""));
    const auto start = std::chrono::steady_clock::now();
    const Status s = host->RunAction("f", ctx);
    EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << body << ": " << s.ToString();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3)) << body;
  }
  // An empty result is no work, however many repetitions.
  auto host = Load("function f(ctx) return string.rep('', 2^62) == '' end");
  FakeContext ctx(Message(""));
  EXPECT_TRUE(*host->EvalCondition("f", ctx));
  // Tables with __len cannot make table functions loop longer than they were charged.
  auto len = Load(
      "function f(ctx) table.remove(setmetatable({}, {__len = function() return 1e15 end}), 1) "
      "end");
  EXPECT_THAT(Error(len->RunAction("f", ctx)), HasSubstr("tables with a __len metamethod"));
}

// A clock that moves 200 ms each time it is read.
class SteppingClock final : public Clock {
 public:
  TimePoint Now() const override { return FromUnixMillis(ms_.fetch_add(200)); }

 private:
  mutable std::atomic<int64_t> ms_{0};
};

TEST(LuaScript, TheWatchdogStopsWhatTheCountCannotSee) {
  const SteppingClock clock;
  auto host = Load("function spin(ctx) while true do end end\nfunction ok(ctx) return true end",
                   {.instructions_per_call = 1'000'000'000,
                    .clock = &clock,
                    .max_call_time = std::chrono::seconds(1)});
  FakeContext ctx(Message(""));
  const Status s = host->RunAction("spin", ctx);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("call ran longer than 1000 ms"));
  EXPECT_TRUE(*host->EvalCondition("ok", ctx));
}

// Issue 8 item 5: comparing two 5 MiB strings 330,000 times took 49.9 s, one instruction
// each. Such strings cannot be built any more, and with the server's clock a loop over the
// longest strings a script may build stops at its deadline.
TEST(LuaScript, ExpensiveInstructionsStopAtTheDeadline) {
  const SystemClock clock;
  const LuaLimits limits{.instructions_per_call = 1'000'000'000,
                         .memory_bytes = size_t{64} << 20,
                         .clock = &clock,
                         .max_call_time = std::chrono::milliseconds(100)};
  auto host = Load(R"(
    function five_mib(ctx)
      local a = string.rep("x", 5 * 2^20)
      local b = string.rep("x", 5 * 2^20 - 1) .. "x"
      local n = 0
      for i = 1, 330000 do if a == b then n = n + 1 end end
    end
    function longest(ctx)
      local a = string.rep("x", 2^20)
      local b = string.rep("x", 2^20 - 1) .. "x"
      local n = 0
      for i = 1, 1e9 do if a == b and a <= b then n = n + 1 end end
    end
    function ok(ctx) return true end
  )",
                   limits);
  FakeContext ctx(Message(""));
  auto start = std::chrono::steady_clock::now();
  Status s = host->RunAction("five_mib", ctx);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("the longest string a script may build"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));

  start = std::chrono::steady_clock::now();
  s = host->RunAction("longest", ctx);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("timed out: the call ran longer than 100 ms"));
  EXPECT_GE(took, std::chrono::milliseconds(100));
  EXPECT_LT(took, std::chrono::milliseconds(200));  // the deadline, plus a little
  EXPECT_TRUE(*host->EvalCondition("ok", ctx));     // the next call has its own deadline
}

// Issue 8 item 5: every way of building a string stops at the cap, with a clear error, and
// retrying under pcall does not turn the refusals into a loop the budget cannot see.
TEST(LuaScript, StringsAreCappedWhicheverWayTheyAreBuilt) {
  const char* bodies[] = {
      "return string.rep('x', 2^20 + 1)",
      "return string.rep('ab', 2^19, ',')",
      "local s = string.rep('x', 2^19) return s .. s .. string.rep('x', 100)",
      "local t = {} for i = 1, 1100 do t[i] = string.rep('x', 1000) end return table.concat(t)",
      "return string.format('%s%s.%099d', string.rep('x', 2^19), string.rep('y', 2^19), 1)",
      "return (string.gsub(string.rep('x', 2^19 + 100), 'x', 'yy'))",
      "return string.rep('x', 2^19):upper() .. string.rep('x', 2^19 + 100)",
  };
  for (const char* body : bodies) {
    auto host =
        Load(std::string("function f(ctx) ") + body + " end", {.memory_bytes = size_t{32} << 20});
    FakeContext ctx(Message(""));
    const Status s = host->RunAction("f", ctx);
    EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << body << ": " << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr("1 MiB, the longest string a script may build")) << body;
  }
  auto retry = Load(
      "function f(ctx) local s = string.rep('x', 2^19) "
      "for i = 1, 1e9 do pcall(function() return s .. s .. '12345678901234567890123456789' end) "
      "end end");
  FakeContext ctx(Message(""));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(retry->RunAction("f", ctx).code(), StatusCode::kResourceExhausted);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // The cap itself is fine.
  auto fits = Load("function f(ctx) return #string.rep('x', 2^20) == 2^20 end");
  EXPECT_TRUE(*fits->EvalCondition("f", ctx));
}

TEST(LuaScript, MemoryBombsHitTheCap) {
  auto host = Load(
      R"(
    function bomb(ctx) local t = {} for i = 1, 1e9 do t[i] = string.rep("x", 1000) .. i end end
    function big(ctx) return #string.rep("x", 1e9) end
    function caught(ctx)  -- catching the error does not give the memory back
      keep = {}
      local ok = pcall(function() for i = 1, 1e9 do keep[i] = {} end end)
      error("after pcall: " .. tostring(ok))
    end
    function release(ctx) keep = nil end
    function ok(ctx) return true end
  )",
      {.instructions_per_call = 1'000'000'000, .memory_bytes = 8 << 20, .max_string_bytes = 0});
  FakeContext ctx(Message(""));
  for (const char* name : {"bomb", "big", "caught"}) {
    const Status s = host->RunAction(name, ctx);
    EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << name << ": " << s.ToString();
    EXPECT_THAT(s.message(), HasSubstr("not enough memory")) << name;
    EXPECT_THAT(s.message(), HasSubstr("(memory cap 8 MiB)")) << name;
    ASSERT_TRUE(host->RunAction("release", ctx).ok());
    EXPECT_TRUE(*host->EvalCondition("ok", ctx));
  }
}

TEST(LuaScript, SmallCapsFailCleanly) {
  // Whatever the cap, loading and calling give a Status: no allocation happens outside a
  // protected call.
  for (size_t cap = 1024; cap < (size_t{512} << 10); cap += 4096) {
    auto r = LoadLuaScript("function f(ctx) ctx:send(ctx.vars.big) end", "tiny.lua",
                           {.memory_bytes = cap});
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << cap;
      continue;
    }
    FakeContext ctx(Message(""));
    ctx.vars_.Set("big", std::string(200 << 10, 'x'));
    const Status s = (*r)->RunAction("f", ctx);
    if (!s.ok()) {
      EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << cap << ": " << s.ToString();
    }
  }
}

}  // namespace
}  // namespace parley::script
