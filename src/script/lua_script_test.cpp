#include "script/lua_script.hpp"
#include "script/lua_script_testing.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <lua.hpp>

namespace parley::script {
namespace {

using testing::Error;
using testing::FakeContext;
using testing::Load;
using testing::Message;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(LuaScript, ConditionsReadTheContext) {
  auto host = Load(R"(
    function is_yes(ctx) return ctx.reply == "yes" end
    function sees_all(ctx)
      return ctx.event == "message" and ctx.state == "ASK" and ctx.target == nil
         and ctx.contact.phone == "+15550001111" and ctx.contact.name == "Ana"
         and ctx.contact.channel == "sms" and ctx.contact.tz == "America/Lima"
         and ctx.contact.fields.plan == "gold" and ctx.vars.name == "Ana"
         and ctx.vars.n == 2 and math.type(ctx.vars.n) == "integer"
         and #ctx.media == 2 and ctx.media[2] == "https://x/2.jpg"
         and ctx.now == 1795510800 and ctx.now_ms == 1795510800123
         and ctx.timer == nil and ctx.timer_name == nil
    end
    function iterates(ctx)
      local urls = {}
      for i, url in ipairs(ctx.media) do urls[i] = url end
      local keys = {}
      for k in pairs(ctx.vars) do keys[#keys + 1] = k end
      return table.concat(urls, " ") == "https://x/1.jpg https://x/2.jpg"
         and table.concat(keys, ",") == "a,b,n,name"
    end
    function on_timer(ctx)
      return ctx.event == "timer" and ctx.reply == nil and ctx.timer == "remind"
         and ctx.timer_name == "remind"
    end
    function on_start(ctx) return ctx.event == "start" and ctx.reply == nil end
    function fields(ctx)
      local keys = {}
      for k in pairs(ctx) do keys[#keys + 1] = k end
      return table.concat(keys, ",") == "contact,event,media,now,now_ms,reply,state,vars"
    end
  )");
  FakeContext yes(Message("yes"));
  FakeContext no(Message("no"));
  yes.target_ = "";  // conditions have no target
  EXPECT_TRUE(*host->EvalCondition("is_yes", yes));
  EXPECT_FALSE(*host->EvalCondition("is_yes", no));
  EXPECT_TRUE(*host->EvalCondition("sees_all", yes));
  EXPECT_TRUE(*host->EvalCondition("fields", yes));
  yes.vars_.Set("b", 1);  // pairs() walks keys sorted, whatever Lua's hash order
  yes.vars_.Set("a", 1);
  EXPECT_TRUE(*host->EvalCondition("iterates", yes));
  FakeContext timer(flow::Event::Timer("remind", 0));
  EXPECT_TRUE(*host->EvalCondition("on_timer", timer));
  FakeContext start(flow::Event::Start());
  EXPECT_TRUE(*host->EvalCondition("on_start", start));
}

TEST(LuaScript, YesNoHandlersInTheLimaStyle) {
  auto host = Load(R"(
    local YES = { yes = true, y = true, ["sí"] = true }
    local function answer(ctx)
      if ctx.reply == nil then return nil end
      return (ctx.reply:lower():match("^[%s%p]*(.-)[%s%p]*$"):gsub("%s+", " "))
    end
    function is_user_reply_yes(ctx) local a = answer(ctx) return a ~= nil and YES[a] == true end
    function user_reply_name(ctx) return ctx.reply ~= nil and ctx.reply:match("%S") ~= nil end
  )");
  for (const char* reply : {"yes", "  YES! ", "y", "sí"}) {
    FakeContext ctx(Message(reply));
    EXPECT_TRUE(*host->EvalCondition("is_user_reply_yes", ctx)) << reply;
  }
  for (const char* reply : {"no", "yes please", ""}) {
    FakeContext ctx(Message(reply));
    EXPECT_FALSE(*host->EvalCondition("is_user_reply_yes", ctx)) << reply;
  }
  FakeContext timer(flow::Event::Timer("t", 0));
  EXPECT_FALSE(*host->EvalCondition("is_user_reply_yes", timer));
  EXPECT_FALSE(*host->EvalCondition("user_reply_name", timer));
}

TEST(LuaScript, ActionsProduceEffectsInOrderAndSeeTheirOwnWrites) {
  auto host = Load(R"(
    function greet(ctx)
      local vars = ctx.vars
      ctx:set("name", ctx.reply)
      ctx:send("Hi " .. ctx.vars.name .. " (" .. vars.name .. ") -> " .. ctx.target)
      ctx:send{text = "pic", media = {"https://x/a.png"}}
      ctx:send{content_sid = "HX1", variables = {"Bea", ["2"] = "Lima"}}
      ctx:timer{name = "followup", after = "1d"}
      ctx:timer{name = "daily", at = "09:00", tz = "UTC", keep = true}
      ctx:set("profile", {age = 30, tags = {"a", "b"}})
      ctx:set("copy", ctx.vars.profile)
      assert(ctx.vars.profile.tags[2] == "b" and ctx.vars.copy.age == 30)
      ctx:set("n", nil)
      assert(ctx.vars.n == nil)
      ctx:cancel("old")
      ctx:finish()
    end
  )");
  FakeContext ctx(Message("Bea"));
  ASSERT_TRUE(host->RunAction("greet", ctx).ok()) << Error(host->RunAction("greet", ctx));
  EXPECT_THAT(ctx.log, ElementsAre(R"(set name="Bea")", "send Hi Bea (Bea) -> NEXT", "send pic",
                                   "send ", "timer followup 1d", "timer daily 09:00 UTC keep",
                                   R"(set profile={"age":30,"tags":["a","b"]})",
                                   R"(set copy={"age":30,"tags":["a","b"]})", "unset n",
                                   "cancel old", "finish"));
  EXPECT_EQ(ctx.sends[1].media, std::vector<std::string>{"https://x/a.png"});
  EXPECT_EQ(ctx.sends[2].content_sid, "HX1");
  EXPECT_EQ(ctx.sends[2].content_variables,
            (std::map<std::string, std::string>{{"1", "Bea"}, {"2", "Lima"}}));
}

TEST(LuaScript, ConditionsCannotWrite) {
  auto host = Load(R"(
    function assigns(ctx) ctx.reply = "x"; return true end
    function writes_vars(ctx) ctx.vars.n = 1; return true end
    function writes_nested(ctx) ctx.vars.p.q = 1; return true end
    function writes_contact(ctx) ctx.contact.name = "x"; return true end
    function uses_rawset(ctx) rawset(ctx.vars, "n", 1); return true end
    function sends(ctx) ctx:send("hi"); return true end
    function sets(ctx) ctx:set("a", 1); return true end
    function timers(ctx) ctx:timer{name = "t", after = "1h"}; return true end
    function cancels(ctx) ctx:cancel("t"); return true end
    function finishes(ctx) ctx:finish(); return true end
    function sees_metatable(ctx) return getmetatable(ctx) == "locked" end
  )");
  FakeContext ctx(Message("yes"));
  ctx.vars_.Set("p", json::Object{{"q", 0}});
  for (const char* name : {"assigns", "writes_vars", "writes_nested", "writes_contact"}) {
    EXPECT_THAT(Error(host->EvalCondition(name, ctx)),
                HasSubstr("conditions may not write: ctx is read-only"))
        << name;
  }
  EXPECT_THAT(Error(host->EvalCondition("uses_rawset", ctx)), HasSubstr("table expected"));
  const std::pair<const char*, const char*> methods[] = {
      {"sends", "send"}, {"sets", "set"}, {"cancels", "cancel"}, {"finishes", "finish"}};
  for (const auto& [name, method] : methods) {
    EXPECT_THAT(Error(host->EvalCondition(name, ctx)),
                HasSubstr("conditions may not write: ctx:" + std::string(method)))
        << name;
  }
  // In conditions ctx.timer is only the timer's name (nil on other events).
  EXPECT_THAT(Error(host->EvalCondition("timers", ctx)),
              HasSubstr("attempt to call a nil value (method 'timer')"));
  FakeContext timer(flow::Event::Timer("t", 0));
  EXPECT_THAT(Error(host->EvalCondition("timers", timer)),
              HasSubstr("attempt to call a string value (method 'timer')"));
  EXPECT_TRUE(*host->EvalCondition("sees_metatable", ctx));
  EXPECT_TRUE(ctx.log.empty());
}

TEST(LuaScript, ActionsChangeVarsOnlyThroughSet) {
  auto host = Load(R"(
    function assigns(ctx) ctx.vars.n = 3 end
    function dot_call(ctx) ctx.send("hi") end
  )");
  FakeContext ctx(Message(""));
  EXPECT_THAT(Error(host->RunAction("assigns", ctx)),
              HasSubstr("ctx is read-only (assigning 'n'): change vars with ctx:set"));
  EXPECT_THAT(Error(host->RunAction("dot_call", ctx)), HasSubstr("ctx:send: call it as a method"));
  EXPECT_TRUE(ctx.log.empty());
}

TEST(LuaScript, MethodArgumentsAreChecked) {
  const std::pair<const char*, const char*> cases[] = {
      {"ctx:send{txt = 'hi'}", "ctx:send: unknown field 'txt'"},
      {"ctx:send{text = 1}", "'text' must be a string, not a number"},
      {"ctx:send{media = {'u', 2}}", "'media' must be a list of URL strings"},
      {"ctx:send{content_sid = 'H', variables = {a = 1}}", "'variables' must map"},
      {"ctx:send('')", "nothing to send"},
      {"ctx:send(42)", "ctx:send expects a string or {text="},
      {"ctx:set(1, 2)", "bad argument #1 to 'set' (string expected, got number)"},
      {"ctx:set('', 2)", "the variable name is empty"},
      {"ctx:set('f', print or function() end)", "ctx:set('f'): cannot store a function"},
      {"ctx:set('nan', 0/0)", "numbers must be finite"},
      {"ctx:set('k', {[true] = 1})", "table keys must be strings"},
      {"local t = {} t.t = t ctx:set('cycle', t)", "nested deeper than 32 levels (or a cycle)"},
      {"ctx:set('ctx', ctx)", "cannot store a ctx"},
      {"ctx:timer{name = 'x', afer = '1h'}", "ctx:timer: unknown field 'afer'"},
      {"ctx:timer{name = 'x', after = 3600}", "'after' must be a string, not a number"},
      {"ctx:timer{name = 'x', after = '1h', keep = 1}", "'keep' must be a boolean"},
      {"ctx:timer{name = 'x', after = 'bad'}", "ctx:timer: bad duration 'bad'"},
      {"ctx:timer('x')", "bad argument #1 to 'timer' (table expected, got string)"},
      {"ctx:cancel()", "bad argument #1 to 'cancel' (string expected, got no value)"},
  };
  for (const auto& [body, message] : cases) {
    auto host = Load(std::string("function f(ctx) ") + body + " end");
    FakeContext ctx(Message(""));
    const Status s = host->RunAction("f", ctx);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << body;
    EXPECT_THAT(s.message(), HasSubstr(message)) << body;
    EXPECT_TRUE(ctx.log.empty()) << body;
  }
}

TEST(LuaScript, ErrorsCarryATraceback) {
  auto host = Load(
      "local function inner(x)\n  error('boom ' .. x)\nend\n"
      "function broken(ctx)\n  inner(ctx.reply)\nend\n"
      "function number(ctx) return 1 end\n"
      "function nothing(ctx) end\n"
      "function text(ctx) return 'true' end\n"
      "function table_error(ctx) error({}) end\n"
      "function number_error(ctx) error(42) end\n");
  FakeContext ctx(Message("now"));
  const Status s = host->RunAction("broken", ctx);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("test.lua: error in 'broken': test.lua:2: boom now"));
  EXPECT_THAT(s.message(), HasSubstr("stack traceback"));
  EXPECT_THAT(s.message(), HasSubstr("test.lua:2: in upvalue 'inner'"));
  EXPECT_THAT(s.message(), HasSubstr("test.lua:5: in function 'broken'"));
  EXPECT_THAT(Error(host->EvalCondition("number", ctx)),
              HasSubstr("InvalidArgument: test.lua: condition 'number' returned a number, "
                        "expected a boolean"));
  EXPECT_THAT(Error(host->EvalCondition("text", ctx)), HasSubstr("returned a string, expected"));
  EXPECT_THAT(Error(host->RunAction("table_error", ctx)),
              HasSubstr("(error object is a table value)"));
  EXPECT_THAT(Error(host->RunAction("number_error", ctx)), HasSubstr(": 42\nstack traceback"));
  const Status missing = host->RunAction("missing", ctx);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "test.lua: Lua function 'missing' is not defined");
  EXPECT_EQ(host->EvalCondition("missing", ctx).status().code(), StatusCode::kNotFound);
}

TEST(LuaScript, LoadErrorsNameTheLine) {
  auto syntax = LoadLuaScript("function f(ctx)\n  return (\nend\n", "lima.lua");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), StatusCode::kInvalidArgument);
  // Issue 12 item 7: the file and line first, as a compiler says it; no "error loading".
  EXPECT_EQ(syntax.status().message(), "lima.lua:3: unexpected symbol near 'end'");
  auto runtime = LoadLuaScript("local x = 1\nerror('top ' .. x)\n", "lima.lua");
  ASSERT_FALSE(runtime.ok());
  EXPECT_EQ(runtime.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(runtime.status().message(), HasSubstr("lima.lua:2: top 1"));
  EXPECT_THAT(runtime.status().message(), HasSubstr("stack traceback"));
}

TEST(LuaScript, FunctionNamesAreTheScriptsGlobalFunctions) {
  auto host = Load(R"(
    local function helper() end
    function b_action(ctx) end
    function a_condition(ctx) return true end
    alias = string.upper
    value = 3
  )");
  EXPECT_THAT(host->FunctionNames(), ElementsAre("a_condition", "b_action"));
  EXPECT_TRUE(host->HasFunction("b_action"));
  EXPECT_FALSE(host->HasFunction("helper"));
  EXPECT_FALSE(host->HasFunction("alias"));
  EXPECT_FALSE(host->HasFunction("pairs"));
}

TEST(LuaScript, SandboxHasNoWayOut) {
  const char* attempts[] = {
      "return io.open('/etc/passwd')",
      "return os.execute('true')",
      "return os.time()",
      "return require('os')",
      "return package.loadlib",
      "return debug.getinfo(1)",
      "return dofile('/etc/passwd')",
      "return loadfile('/etc/passwd')",
      "return string.dump(function() end)",
      "return load(string.char(27) .. 'Lua')()",
      "return load(function() return nil end)",
      "return getmetatable('').__index.dump(print)",
      "getmetatable('').__index = nil",
      "return math.random()",
      "return math.randomseed(1)",
      "return collectgarbage('count')",
      "print('x')",
      "warn('x')",
      "return coroutine.create(print)",
      "setmetatable({}, {__gc = function() while true do end end})",
      "setmetatable({}, {__gc = false})",
      "rawset(ctx, 'reply', 'x')",
      "return next(ctx.vars)",
      "setmetatable(ctx, {})",
  };
  for (const char* body : attempts) {
    auto host = Load(std::string("function f(ctx) ") + body + " end");
    FakeContext ctx(Message(""));
    EXPECT_FALSE(host->RunAction("f", ctx).ok()) << body;
  }
  // Only these globals exist (besides the script's functions).
  auto host = Load(R"(
    function f(ctx)
      local names = {}
      for k in pairs(_G) do names[#names + 1] = k end
      table.sort(names)
      local string_names = {}
      for k in pairs(string) do string_names[#string_names + 1] = k end
      table.sort(string_names)
      ctx:set("globals", table.concat(names, " "))
      ctx:set("string", table.concat(string_names, " "))
    end
  )");
  FakeContext ctx(Message(""));
  ASSERT_TRUE(host->RunAction("f", ctx).ok());
  EXPECT_EQ(ctx.vars().Find("globals")->as_string(),
            "_G _VERSION assert error f getmetatable ipairs load math next pairs pcall rawequal "
            "rawget rawlen rawset select setmetatable string table tonumber tostring type utf8 "
            "xpcall");
  EXPECT_EQ(ctx.vars().Find("string")->as_string(),
            "byte char find format gmatch gsub len lower match pack packsize rep reverse sub "
            "unpack upper");
}

// Real Lua bytecode, made by an ordinary Lua state.
std::string Bytecode() {
  lua_State* L = luaL_newstate();
  luaL_loadstring(L, "function f(ctx) return true end");
  std::string out;
  lua_dump(
      L,
      [](lua_State*, const void* p, size_t n, void* ud) {
        static_cast<std::string*>(ud)->append(static_cast<const char*>(p), n);
        return 0;
      },
      &out, 0);
  lua_close(L);
  return out;
}

TEST(LuaScript, BytecodeIsRefusedEverywhere) {
  const std::string bytecode = Bytecode();
  ASSERT_EQ(bytecode.substr(0, 4), "\x1bLua");
  auto r = LoadLuaScript(bytecode, "bytecode.lua");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("attempt to load a binary chunk"));
  auto host = Load(R"(
    function f(ctx)
      local fn, err = load(ctx.vars.code, "code", "b")
      assert(fn == nil and err:find("attempt to load a binary chunk"), err)
      local env_fn = load("return x", "t", "t", {x = 7})
      return load("return 1 + 1")() == 2 and env_fn() == 7
    end
  )");
  FakeContext ctx(Message(""));
  ctx.vars_.Set("code", bytecode);
  EXPECT_TRUE(*host->EvalCondition("f", ctx)) << Error(host->EvalCondition("f", ctx));
}

TEST(LuaScript, DeeplyNestedVarsAreSafe) {
  json::Value deep = "bottom";
  for (int i = 0; i < 100; ++i) {
    deep = json::Object{{"d", std::move(deep)}};
  }
  auto host = Load(R"(
    function f(ctx)
      local v, depth = ctx.vars, 0
      while v ~= nil and type(v) ~= "string" do v, depth = v.d, depth + 1 end
      ctx:set("depth", depth)
    end
  )");
  FakeContext ctx(Message(""));
  ctx.vars_ = json::Object{{"d", deep}};
  ASSERT_TRUE(host->RunAction("f", ctx).ok());
  EXPECT_EQ(ctx.vars().Find("depth")->as_number(), 32);  // deeper levels read as nil
}

TEST(LuaScript, TheHostStaysUsableAfterErrors) {
  auto host = Load(R"(
    count = 0
    function bump(ctx) count = count + 1 ctx:set("count", count) end
    function fail(ctx) count = count + 100 error("no") end
    function spin(ctx) while true do end end
    setmetatable(_G, {__index = function(_, k) error("no global " .. k) end})
    function strict(ctx) return undefined_global end
  )",
                   {.instructions_per_call = 100'000});
  FakeContext ctx(Message(""));
  ASSERT_TRUE(host->RunAction("bump", ctx).ok());
  EXPECT_FALSE(host->RunAction("fail", ctx).ok());
  EXPECT_FALSE(host->RunAction("spin", ctx).ok());
  EXPECT_EQ(host->RunAction("missing", ctx).code(), StatusCode::kNotFound);
  ASSERT_TRUE(host->RunAction("bump", ctx).ok());
  // Every call starts from the globals as loaded (Issue 8 item 9b), errors included.
  EXPECT_EQ(ctx.vars().Find("count")->as_number(), 1);
  // The metatable the script gave _G still applies.
  EXPECT_THAT(Error(host->EvalCondition("strict", ctx)), HasSubstr("no global undefined_global"));
}

// Issue 8 item 9b: a global written while handling contact A's message must not be visible
// to the call for contact B (nor the library tables changed for it).
TEST(LuaScript, GlobalsWrittenByACallDoNotReachTheNext) {
  auto host = Load(R"(
    GREETING = "hi"
    function remember(ctx)
      LAST_REPLY = ctx.reply
      GREETING = ctx.reply
      rawset(_G, "RAW", ctx.reply)
      _G.VIA_G = ctx.reply
      ctx:send(GREETING .. " " .. LAST_REPLY)
    end
    function recall(ctx)
      ctx:send(tostring(LAST_REPLY) .. " " .. GREETING .. " " .. tostring(RAW) .. " " ..
               tostring(VIA_G))
    end
    function patch_string(ctx) string.secret = ctx.reply end
    function patch_math(ctx) rawset(math, "secret", ctx.reply) end
    function read_patch(ctx) return string.secret == nil and math.secret == nil end
    function replace_meta(ctx) setmetatable(_G, nil) end
  )");
  FakeContext a(Message("my secret"));
  ASSERT_TRUE(host->RunAction("remember", a).ok());
  ASSERT_EQ(a.sends.size(), 1u);
  EXPECT_EQ(a.sends[0].text, "my secret my secret");  // a call sees its own writes
  FakeContext b(Message("other contact"));
  ASSERT_TRUE(host->RunAction("recall", b).ok());
  ASSERT_EQ(b.sends.size(), 1u);
  EXPECT_EQ(b.sends[0].text, "nil hi nil nil");
  EXPECT_THAT(Error(host->RunAction("patch_string", a)), HasSubstr("read-only"));
  EXPECT_FALSE(host->RunAction("patch_math", a).ok());
  EXPECT_TRUE(*host->EvalCondition("read_patch", b));
  EXPECT_THAT(Error(host->RunAction("replace_meta", a)), HasSubstr("protected metatable"));
  ASSERT_TRUE(host->RunAction("recall", b).ok());
  EXPECT_EQ(b.sends[1].text, "nil hi nil nil");
}

TEST(LuaScript, ContextIsDeadAfterItsCall) {
  auto host = Load(R"(
    local box = {}  -- a chunk-level table outlives the call (globals do not)
    function keep(ctx) box.saved = ctx end
    function reuse(ctx) box.saved:send("late") end
    function reads(ctx) return box.saved.reply == "first" end
    function reads_vars(ctx) return box.saved.vars ~= nil end
  )");
  FakeContext first(Message("first"));
  FakeContext second(Message("second"));
  ASSERT_TRUE(host->RunAction("keep", first).ok());
  EXPECT_THAT(Error(host->RunAction("reuse", second)),
              HasSubstr("ctx:send: this ctx belongs to a handler call that has ended"));
  EXPECT_TRUE(first.log.empty());
  EXPECT_TRUE(second.log.empty());
  EXPECT_TRUE(*host->EvalCondition("reads", second));  // a snapshot: reading is harmless
  EXPECT_THAT(Error(host->EvalCondition("reads_vars", second)),
              HasSubstr("ctx.vars: this ctx belongs to a handler call that has ended"));
}

TEST(LuaScript, ConcurrentCallsAreSerializedAndCorrect) {
  auto host = Load(R"(
    function double_it(ctx) ctx:set("d", tonumber(ctx.reply) * 2) end
    function is_even(ctx) return tonumber(ctx.reply) % 2 == 0 end
  )");
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::atomic<int> wrong{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        const int n = t * 1000 + i;
        FakeContext ctx(Message(std::to_string(n)));
        if (!host->RunAction("double_it", ctx).ok() ||
            ctx.vars().Find("d")->as_number() != 2.0 * n) {
          ++wrong;
        }
        auto even = host->EvalCondition("is_even", ctx);
        if (!even.ok() || *even != (n % 2 == 0)) {
          ++wrong;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace parley::script

namespace parley::script {
namespace {

// Issue 9 (status callbacks): a delivery failure reaches Lua as ctx.event ==
// "delivery_failed" with a read-only ctx.delivery = {status, error_code}.
TEST(LuaScript, DeliveryFailureEventsCarryTheStatusAndErrorCode) {
  auto host = Load(R"(
    function window_closed(ctx)
      return ctx.event == "delivery_failed" and ctx.reply == nil
         and ctx.delivery.status == "undelivered" and ctx.delivery.error_code == "63016"
    end
    function has_delivery(ctx) return ctx.delivery ~= nil end
    function change_it(ctx) ctx.delivery.status = "delivered" end
  )");
  FakeContext failed(flow::Event::DeliveryFailed("undelivered", "63016"));
  EXPECT_TRUE(*host->EvalCondition("window_closed", failed));
  FakeContext message(flow::Event::Message("hi"));
  EXPECT_FALSE(*host->EvalCondition("has_delivery", message));
  EXPECT_FALSE(host->EvalCondition("change_it", failed).ok());  // read-only
}

}  // namespace
}  // namespace parley::script
