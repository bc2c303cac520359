#include "script/lua_script.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace parley::script {
namespace {

using ::testing::HasSubstr;

// Records what an action asks for, as the engine's StepContext would.
class FakeContext final : public flow::ActionContext {
 public:
  explicit FakeContext(flow::Event e) : event_(std::move(e)) {}
  const flow::Event& event() const override { return event_; }
  std::string_view state() const override { return "ASK"; }
  std::string_view target() const override { return target_; }
  TimePoint now() const override { return FromUnixMillis(1795510800000); }
  const json::Value& vars() const override { return vars_; }
  void Send(flow::SendEffect m) override {
    log.push_back("send " + m.text);
    sends.push_back(m);
  }
  void Set(std::string_view n, json::Value v) override {
    log.push_back("set " + std::string(n) + "=" + json::Serialize(v));
    vars_.Set(n, std::move(v));
  }
  void Unset(std::string_view n) override {
    log.push_back("unset " + std::string(n));
    vars_.Erase(n);
  }
  Status Timer(const TimerRequest& r) override {
    if (r.after == "bad") return Status::InvalidArgument("bad duration 'bad'");
    log.push_back("timer " + r.name + " " + r.after + r.at + (r.keep ? " keep" : ""));
    return Status::Ok();
  }
  void Cancel(std::string_view n) override { log.push_back("cancel " + std::string(n)); }
  void Finish() override { log.push_back("finish"); }

  std::vector<std::string> log;
  std::vector<flow::SendEffect> sends;
  json::Value vars_ = json::Object{{"name", "Ana"}, {"n", 2}};
  std::string target_ = "NEXT";

 private:
  flow::Event event_;
};

std::shared_ptr<const flow::ScriptHost> Load(std::string_view source, LuaLimits limits = {}) {
  auto r = LoadLuaScript(source, "test.lua", limits);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : nullptr;
}

flow::Event Message(std::string text) {
  flow::Contact c;
  c.phone = "+15550001111";
  c.name = "Ana";
  return flow::Event::Message(std::move(text), c, {"https://x/1.jpg"});
}

TEST(LuaScript, ConditionsReadTheContext) {
  auto host = Load(R"(
    function is_yes(ctx) return ctx.reply == "yes" end
    function sees_all(ctx)
      return ctx.event == "message" and ctx.state == "ASK" and ctx.target == nil
         and ctx.contact.phone == "+15550001111" and ctx.vars.name == "Ana"
         and ctx.vars.n == 2 and ctx.media[1] == "https://x/1.jpg" and ctx.now == 1795510800
    end
    function on_timer(ctx)
      return ctx.reply == nil and ctx.timer == "remind" and ctx.timer_name == "remind"
    end
  )");
  FakeContext yes(Message("yes")), no(Message("no"));
  yes.target_ = "";  // conditions have no target
  EXPECT_TRUE(*host->EvalCondition("is_yes", yes));
  EXPECT_FALSE(*host->EvalCondition("is_yes", no));
  EXPECT_TRUE(*host->EvalCondition("sees_all", yes));
  FakeContext timer(flow::Event::Timer("remind", 0));
  EXPECT_TRUE(*host->EvalCondition("on_timer", timer));
  EXPECT_TRUE(host->HasFunction("is_yes"));
  EXPECT_FALSE(host->HasFunction("print"));
  EXPECT_THAT(host->FunctionNames(), ::testing::ElementsAre("is_yes", "on_timer", "sees_all"));
}

TEST(LuaScript, ActionsProduceEffectsInOrderAndSeeTheirOwnWrites) {
  auto host = Load(R"(
    function greet(ctx)
      ctx:set("name", ctx.reply)
      ctx:send("Hi " .. ctx.vars.name .. " -> " .. ctx.target)
      ctx:send{text = "pic", media = {"https://x/a.png"}}
      ctx:timer{name = "followup", after = "1d"}
      ctx:timer{name = "daily", at = "09:00", keep = true}
      ctx:set("profile", {age = 30, tags = {"a", "b"}})
      ctx:set("n", nil)
      ctx:cancel("old")
      ctx:finish()
    end
  )");
  FakeContext ctx(Message("Bea"));
  ASSERT_TRUE(host->RunAction("greet", ctx).ok());
  EXPECT_THAT(ctx.log,
              ::testing::ElementsAre(R"(set name="Bea")", "send Hi Bea -> NEXT", "send pic",
                                     "timer followup 1d", "timer daily 09:00 keep",
                                     R"(set profile={"age":30,"tags":["a","b"]})", "unset n",
                                     "cancel old", "finish"));
  EXPECT_EQ(ctx.sends[1].media, std::vector<std::string>{"https://x/a.png"});
}

TEST(LuaScript, ConditionsCannotWrite) {
  auto host = Load(R"(
    function assigns(ctx) ctx.reply = "x"; return true end
    function writes_vars(ctx) ctx.vars.n = 1; return true end
    function sends(ctx) ctx:send("hi"); return true end
    function sets(ctx) ctx:set("a", 1); return true end
  )");
  FakeContext ctx(Message("yes"));
  EXPECT_THAT(host->EvalCondition("assigns", ctx).status().message(), HasSubstr("read-only"));
  EXPECT_THAT(host->EvalCondition("sends", ctx).status().message(),
              HasSubstr("conditions may not write: ctx:send"));
  EXPECT_THAT(host->EvalCondition("sets", ctx).status().message(),
              HasSubstr("conditions may not write: ctx:set"));
  EXPECT_TRUE(ctx.log.empty());
}

TEST(LuaScript, ErrorsCarryATraceback) {
  auto host = Load(
      "local function inner(x)\n  error('boom ' .. x)\nend\n"
      "function broken(ctx)\n  inner(ctx.reply)\nend\n"
      "function number(ctx) return 1 end\n");
  FakeContext ctx(Message("now"));
  const Status s = host->RunAction("broken", ctx);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("test.lua:2: boom now"));
  EXPECT_THAT(s.message(), HasSubstr("stack traceback"));
  EXPECT_THAT(s.message(), HasSubstr("in function 'broken'"));
  EXPECT_THAT(host->EvalCondition("number", ctx).status().message(),
              HasSubstr("condition 'number' returned number, expected a boolean"));
  EXPECT_EQ(host->RunAction("missing", ctx).code(), StatusCode::kNotFound);
  // The host stays usable.
  EXPECT_EQ(host->EvalCondition("number", ctx).status().code(), StatusCode::kInvalidArgument);
}

TEST(LuaScript, TimerErrorsBecomeLuaErrors) {
  auto host = Load("function t(ctx) ctx:timer{name='x', after='bad'} end");
  FakeContext ctx(Message(""));
  EXPECT_THAT(host->RunAction("t", ctx).message(), HasSubstr("ctx:timer: bad duration 'bad'"));
}

TEST(LuaScript, SyntaxErrorsAtLoadNameTheLine) {
  auto r = LoadLuaScript("function f(ctx)\n  return (\nend\n", "lima.lua");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("lima.lua:3:"));
}

TEST(LuaScript, SandboxHasNoWayOut) {
  const char* attempts[] = {
      "return io.open('/etc/passwd')",
      "return os.execute('true')",
      "return require('os')",
      "return package.loadlib",
      "return debug.getinfo(1)",
      "return dofile('/etc/passwd')",
      "return loadfile('/etc/passwd')",
      "return string.dump(function() end)",
      "return load(string.char(27) .. 'Lua')()",
      "return load(function() return nil end)",
      "return getmetatable('').__index.dump(print)",
      "return math.random()",
      "return collectgarbage('count')",
      "print('x')",
      "setmetatable({}, {__gc = function() while true do end end})",
  };
  for (const char* body : attempts) {
    auto host = Load(std::string("function f(ctx) ") + body + " end");
    FakeContext ctx(Message(""));
    EXPECT_FALSE(host->RunAction("f", ctx).ok()) << body;
  }
  EXPECT_FALSE(LoadLuaScript("\x1bLua\x54", "bytecode.lua").ok());
  // Text chunks still load, in the sandbox.
  auto host = Load("function f(ctx) return load('return 1 + 1')() == 2 end");
  FakeContext ctx(Message(""));
  EXPECT_TRUE(*host->EvalCondition("f", ctx));
}

TEST(LuaScript, EndlessLoopHitsTheInstructionBudget) {
  auto host = Load("function spin(ctx) while true do end end\nfunction ok(ctx) return true end",
                   {.instructions_per_call = 100'000});
  FakeContext ctx(Message(""));
  const Status s = host->RunAction("spin", ctx);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("instruction budget exceeded"));
  EXPECT_TRUE(*host->EvalCondition("ok", ctx));  // the budget is per call
  EXPECT_EQ(LoadLuaScript("while true do end", "top.lua", {.instructions_per_call = 10'000})
                .status()
                .code(),
            StatusCode::kResourceExhausted);
}

TEST(LuaScript, MemoryBombHitsTheCap) {
  auto host = Load(R"(
    function bomb(ctx) local t = {} for i = 1, 1e9 do t[i] = string.rep("x", 1000) .. i end end
    function big(ctx) return #string.rep("x", 1e9) end
    function ok(ctx) return true end
  )",
                   {.instructions_per_call = 1'000'000'000, .memory_bytes = 8 << 20});
  FakeContext ctx(Message(""));
  EXPECT_EQ(host->RunAction("bomb", ctx).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(host->RunAction("big", ctx).code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(*host->EvalCondition("ok", ctx));
}

TEST(LuaScript, PatternsThatCouldRunAwayAreRefused) {
  auto host = Load(R"(
    function slow(ctx) return string.find(string.rep("a", 40), "a*a*a*a*a*a*a*b") ~= nil end
    function fine(ctx) return string.match("120 mg", "^(%d+)%s*mg$") == "120" end
  )");
  FakeContext ctx(Message(""));
  EXPECT_THAT(host->EvalCondition("slow", ctx).status().message(),
              HasSubstr("more than 6 quantifiers"));
  EXPECT_TRUE(*host->EvalCondition("fine", ctx));
}

TEST(LuaScript, ContextIsDeadAfterItsCall) {
  auto host = Load(R"(
    function keep(ctx) saved = ctx end
    function reuse(ctx) saved:send("late") end
  )");
  FakeContext first(Message("")), second(Message(""));
  ASSERT_TRUE(host->RunAction("keep", first).ok());
  // The saved ctx belongs to a finished call: its methods refuse to run...
  const Status s = host->RunAction("reuse", second);
  EXPECT_TRUE(first.log.empty());
  // ...or act on the current call only; never on the finished one.
  if (s.ok()) {
    EXPECT_THAT(second.log, ::testing::ElementsAre("send late"));
  }
}

TEST(LuaScript, ConcurrentCallsAreSerializedAndCorrect) {
  auto host = Load(R"(
    function double_it(ctx) ctx:set("d", tonumber(ctx.reply) * 2) end
  )");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        FakeContext ctx(Message(std::to_string(t * 1000 + i)));
        if (!host->RunAction("double_it", ctx).ok() ||
            ctx.vars().Find("d")->as_number() != 2.0 * (t * 1000 + i)) {
          ++wrong;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace parley::script
