// Issue 8 item 7: what one event may produce is bounded (flow/limits.hpp). Before the caps,
// one inbound message could produce 200,000 outbound messages, 50,000 timers or a 4 MiB
// message, and a session could grow without bound.
#include "flow/limits.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "flow/engine.hpp"
#include "flow/loader.hpp"

namespace parley::flow {
namespace {

using ::testing::HasSubstr;

const TimePoint kNow = FromUnixMillis(1795510800000);

std::string Joined(const CompileResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) {
    out += FormatDiagnostic(d, "flow") + "\n";
  }
  return out;
}

// A registry whose actions produce as many effects as the event's text says ("spam 500"),
// as a Lua loop would: only the engine's run-time check can stop them.
HandlerRegistry& Producers() {
  static HandlerRegistry* registry = [] {
    auto* r = new HandlerRegistry;
    r->AddAction("spam", [](ActionContext& ctx) {
      const int n = std::stoi(ctx.event().text.substr(5));
      for (int i = 0; i < n; ++i) {
        ctx.Send(SendEffect{"msg " + std::to_string(i), {}, {}, {}});
      }
      return Status::Ok();
    });
    r->AddAction("timers", [](ActionContext& ctx) {
      const int n = std::stoi(ctx.event().text.substr(7));
      for (int i = 0; i < n; ++i) {
        PARLEY_RETURN_IF_ERROR(ctx.Timer({"t" + std::to_string(i), "1h", "", "", false}));
      }
      return Status::Ok();
    });
    r->AddAction("big", [](ActionContext& ctx) {
      const size_t n = std::stoul(ctx.event().text.substr(4));
      ctx.Send(SendEffect{std::string(n, 'x'), {}, {}, {}});
      return Status::Ok();
    });
    r->AddAction("churn", [](ActionContext& ctx) {
      const json::Value chunk(std::string(60000, 'c'));
      for (int i = 0; i < 1000; ++i) {
        ctx.Set("chunk", chunk);  // the session keeps one; each write is an effect
      }
      return Status::Ok();
    });
    r->AddAction("hoard", [](ActionContext& ctx) {
      const size_t n = std::stoul(ctx.event().text.substr(6));
      ctx.Set("blob", json::Value(std::string(n, 'v')));
      return Status::Ok();
    });
    return r;
  }();
  return *registry;
}

std::shared_ptr<const Flow> Load(std::string_view limits = "") {
  const std::string text = R"({"flow": "greedy", )" + std::string(limits) +
                           R"("states": [{"name": "WAIT", "states": [
      {"name": "@WAIT", "condition": {"matches": "^spam"}, "enter": "spam"},
      {"name": "@WAIT", "condition": {"matches": "^timers"}, "enter": "timers"},
      {"name": "@WAIT", "condition": {"matches": "^big"}, "enter": "big"},
      {"name": "@WAIT", "condition": {"matches": "^hoard"}, "enter": "hoard"},
      {"name": "@WAIT", "condition": {"matches": "^churn"}, "enter": "churn"}]}]})";
  CompileOptions options;
  options.registry = &Producers();
  auto r = Compile(text, options);
  EXPECT_NE(r.flow, nullptr) << Joined(r);
  return r.flow;
}

Session Started(const Flow& flow) {
  auto r = Step(flow, {}, Event::Start(), kNow);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r->session;
}

size_t CountSends(const StepResult& r) {
  return static_cast<size_t>(std::count_if(r.effects.begin(), r.effects.end(), [](const Effect& e) {
    return std::holds_alternative<SendEffect>(e);
  }));
}

TEST(EventLimits, DefaultsAreTheDocumentedOnes) {
  const auto flow = Load();
  ASSERT_NE(flow, nullptr);
  EXPECT_EQ(flow->limits.sends_per_event, 10);
  EXPECT_EQ(flow->limits.timers_per_event, 10);
  EXPECT_EQ(flow->limits.message_chars, 16000);
  EXPECT_EQ(flow->limits.vars_bytes, 65536);
}

TEST(EventLimits, SendsUpToTheCapPassAndOneMoreFailsTheEvent) {
  const auto flow = Load();
  ASSERT_NE(flow, nullptr);
  const Session session = Started(*flow);
  auto ok = Step(*flow, session, Event::Message("spam 10"), kNow);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(CountSends(*ok), 10u);

  auto failed = Step(*flow, session, Event::Message("spam 200000"), kNow);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(failed.status().message(),
              HasSubstr("event limit exceeded: sends_per_event is 10 (flow 'greedy', "
                        "state 'WAIT')"));
  EXPECT_EQ(ExceededEventLimit(failed.status()), EventLimit::kSends);
}

TEST(EventLimits, TimersMessageSizeAndVariablesAreCapped) {
  const auto flow = Load();
  ASSERT_NE(flow, nullptr);
  const Session session = Started(*flow);
  EXPECT_TRUE(Step(*flow, session, Event::Message("timers 10"), kNow).ok());
  auto timers = Step(*flow, session, Event::Message("timers 50000"), kNow);
  EXPECT_EQ(ExceededEventLimit(timers.status()), EventLimit::kTimers) << timers.status().ToString();

  EXPECT_TRUE(Step(*flow, session, Event::Message("big 16000"), kNow).ok());
  auto big = Step(*flow, session, Event::Message("big 4194304"), kNow);
  EXPECT_EQ(ExceededEventLimit(big.status()), EventLimit::kMessageChars) << big.status().ToString();
  EXPECT_THAT(big.status().message(), HasSubstr("a message of 4194304 characters"));

  EXPECT_TRUE(Step(*flow, session, Event::Message("hoard 60000"), kNow).ok());
  auto hoard = Step(*flow, session, Event::Message("hoard 70000"), kNow);
  EXPECT_EQ(ExceededEventLimit(hoard.status()), EventLimit::kVarsBytes)
      << hoard.status().ToString();
  // 60 MB of writes in a loop, though the session would keep 60 KB: refused at 1 MiB.
  auto churn = Step(*flow, session, Event::Message("churn"), kNow);
  EXPECT_EQ(ExceededEventLimit(churn.status()), EventLimit::kVarsBytes)
      << churn.status().ToString();
  EXPECT_THAT(churn.status().message(), HasSubstr("wrote more than 16 times"));
}

TEST(EventLimits, MessageCharsCountCodePointsNotBytes) {
  EXPECT_EQ(CountChars("añ€😀"), 4);
  const auto flow = Load(R"("limits": {"message_chars": 3}, )");
  ASSERT_NE(flow, nullptr);
  const Session session = Started(*flow);
  EXPECT_TRUE(Step(*flow, session, Event::Message("big 3"), kNow).ok());
  EXPECT_FALSE(Step(*flow, session, Event::Message("big 4"), kNow).ok());
}

TEST(EventLimits, AFlowSetsItsOwnCaps) {
  const auto flow = Load(
      R"("limits": {"sends_per_event": 500, "timers_per_event": 2, "message_chars": 20,
                    "vars_bytes": 100}, )");
  ASSERT_NE(flow, nullptr);
  const Session session = Started(*flow);
  EXPECT_TRUE(Step(*flow, session, Event::Message("spam 500"), kNow).ok());
  EXPECT_FALSE(Step(*flow, session, Event::Message("spam 501"), kNow).ok());
  EXPECT_FALSE(Step(*flow, session, Event::Message("timers 3"), kNow).ok());
  EXPECT_FALSE(Step(*flow, session, Event::Message("big 21"), kNow).ok());
  EXPECT_FALSE(Step(*flow, session, Event::Message("hoard 100"), kNow).ok());
}

TEST(EventLimits, BuiltInActionsAreCappedToo) {
  std::string sends;
  for (int i = 0; i < 11; ++i) {
    sends += std::string(i ? ", " : "") + R"({"send": "hi"})";
  }
  auto r = Compile(R"({"flow": "f", "states": [{"name": "A", "enter": [)" + sends + "]}]}");
  ASSERT_NE(r.flow, nullptr) << Joined(r);
  auto started = Step(*r.flow, {}, Event::Start(), kNow);
  EXPECT_EQ(ExceededEventLimit(started.status()), EventLimit::kSends);
  EXPECT_THAT(started.status().message(), HasSubstr("state 'A'"));
}

TEST(EventLimits, LimitsObjectIsValidatedWithJsonPaths) {
  const auto r = Compile(R"({"limits": {"sends_per_event": 0, "timers_per_event": 1.5,
    "message_chars": "10", "vars_bytes": -1, "sends_per_evnt": 3},
    "states": [{"name": "A"}]})");
  const std::string all = Joined(r);
  EXPECT_EQ(r.error_count(), 5u) << all;
  EXPECT_THAT(all, HasSubstr("error: limits.sends_per_event: 'sends_per_event' must be a "
                             "positive integer"));
  EXPECT_THAT(all, HasSubstr("error: limits.timers_per_event:"));
  EXPECT_THAT(all, HasSubstr("error: limits.message_chars:"));
  EXPECT_THAT(all, HasSubstr("error: limits.vars_bytes:"));
  EXPECT_THAT(all, HasSubstr("error: limits.sends_per_evnt: unknown limit 'sends_per_evnt'"));
  EXPECT_EQ(Compile(R"({"limits": [], "states": [{"name": "A"}]})").error_count(), 1u);
}

// `parley check` shows these warnings: a flow that exceeds a cap whenever an edge runs.
TEST(EventLimits, CheckWarnsWhenAnActionListExceedsACapStatically) {
  std::string sends;
  std::string timers;
  for (int i = 0; i < 3; ++i) {
    sends += std::string(i ? ", " : "") + R"({"send": "hi"})";
    timers += std::string(i ? ", " : "") + R"({"timer": {"name": "t)" + std::to_string(i) +
              R"(", "after": "1h"}})";
  }
  const auto r = Compile(
      R"({"flow": "f", "limits": {"sends_per_event": 2, "timers_per_event": 2,
          "message_chars": 10}, "states": [{"name": "A", "enter": [)" +
      sends + R"(], "states": [
        {"name": "B", "condition": "yes", "enter": [)" +
      timers + R"(]},
        {"name": "C", "condition": "no", "enter": {"send": "{{contact.name}} far too long here"}},
        {"name": "D", "condition": "always", "enter": {"send": "{{contact.name}} short"}}]}]})");
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  const std::string all = Joined(r);
  EXPECT_THAT(all, HasSubstr("warning: states[0]: the start state's 'enter' actions send 3 "
                             "messages, over sends_per_event (2)"));
  EXPECT_THAT(all, HasSubstr("warning: states[0].states[0]: the actions of the edge to 'B' set "
                             "or cancel 3 timers, over timers_per_event (2)"));
  EXPECT_THAT(all, HasSubstr("warning: states[0].states[1]: the actions of the edge to 'C' send "
                             "a message of at least 18 characters, over message_chars (10)"));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("edge to 'D' send")));
}

}  // namespace
}  // namespace parley::flow
