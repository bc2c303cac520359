#include "flow/engine.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "flow/loader.hpp"

namespace parley::flow {
namespace {

using ::testing::ElementsAre;

const TimePoint kNow = FromUnixMillis(1795510800000);  // 2026-11-24T09:00:00Z

std::shared_ptr<const Flow> Load(std::string_view text, const HandlerRegistry* registry = nullptr) {
  CompileOptions options;
  options.registry = registry;
  auto r = Compile(text, options);
  std::string errors;
  for (const auto& d : r.diagnostics) {
    errors += FormatDiagnostic(d, "flow") + "\n";
  }
  EXPECT_NE(r.flow, nullptr) << errors;
  return r.flow;
}

std::vector<std::string> Sends(const StepResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.effects) {
    if (const auto* s = std::get_if<SendEffect>(&e)) {
      out.push_back(s->text);
    }
  }
  return out;
}

template <typename T>
std::vector<T> EffectsOf(const StepResult& r) {
  std::vector<T> out;
  for (const auto& e : r.effects) {
    if (const auto* x = std::get_if<T>(&e)) {
      out.push_back(*x);
    }
  }
  return out;
}

class Conversation {
 public:
  explicit Conversation(std::shared_ptr<const Flow> flow) : flow_(std::move(flow)) {
    contact_.phone = "+15550001111";
    contact_.name = "Ana";
  }
  StepResult Start() { return Apply(Event::Start(contact_)); }
  StepResult Say(std::string text, std::vector<std::string> media = {}) {
    return Apply(Event::Message(std::move(text), contact_, std::move(media)));
  }
  StepResult Fire(std::string timer, uint64_t step, bool keep = false) {
    return Apply(Event::Timer(std::move(timer), step, keep, contact_));
  }
  Result<StepResult> Try(const Event& e) { return Step(*flow_, session_, e, kNow); }
  StepResult Apply(const Event& e) {
    auto r = Step(*flow_, session_, e, kNow);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    session_ = r->session;
    return *r;
  }
  Session session_;
  Contact contact_;

 private:
  std::shared_ptr<const Flow> flow_;
};

constexpr const char* kOptIn = R"({"flow": "optin", "states": [
  {"name": "OPTIN", "enter": {"send": "Join? YES or NO"}, "states": [
    {"name": "ASK_NAME", "condition": "yes", "enter": {"send": "Your name?"}, "states": [
      {"name": "DONE", "condition": "any_text",
       "enter": [{"save": "name"}, {"send": "Hi {{name}}!"}]}]},
    {"name": "BYE", "condition": "no", "enter": {"send": "OK, bye."}}],
   "otherwise": {"send": "Please answer YES or NO."}}]})";

TEST(Engine, StartEntersTheInitialStateAndRunsItsEnter) {
  Conversation c(Load(kOptIn));
  const auto r = c.Start();
  EXPECT_THAT(Sends(r), ElementsAre("Join? YES or NO"));
  EXPECT_EQ(c.session_.state, "OPTIN");
  EXPECT_EQ(c.session_.flow_id, "optin");
  EXPECT_EQ(c.session_.step, 0u);
  EXPECT_TRUE(c.session_.active());
}

TEST(Engine, FirstMatchingEdgeIsTakenAndItsEnterRuns) {
  Conversation c(Load(kOptIn));
  c.Start();
  auto r = c.Say("Sí!");
  EXPECT_THAT(Sends(r), ElementsAre("Your name?"));
  EXPECT_EQ(c.session_.state, "ASK_NAME");
  EXPECT_EQ(c.session_.step, 1u);
  ASSERT_EQ(EffectsOf<StateChangeEffect>(r).size(), 1u);
  EXPECT_EQ(EffectsOf<StateChangeEffect>(r)[0].edge_path, "states[0].states[0]");
  r = c.Say("  Ana María ");
  EXPECT_THAT(Sends(r), ElementsAre("Hi Ana María!"));
  EXPECT_EQ(c.session_.status, SessionStatus::kCompleted);  // DONE is terminal
  EXPECT_EQ(json::Serialize(c.session_.vars), R"({"name":"Ana María"})");
  EXPECT_EQ(EffectsOf<CompletedEffect>(r).size(), 1u);
}

TEST(Engine, NoMatchRunsOtherwiseAndRecordsUnmatched) {
  Conversation c(Load(kOptIn));
  c.Start();
  const auto r = c.Say("maybe");
  EXPECT_THAT(Sends(r), ElementsAre("Please answer YES or NO."));
  EXPECT_EQ(EffectsOf<UnmatchedEffect>(r).size(), 1u);
  EXPECT_EQ(c.session_.state, "OPTIN");
  EXPECT_EQ(c.session_.step, 0u);
}

TEST(Engine, CompletedSessionRefusesEvents) {
  Conversation c(Load(kOptIn));
  c.Start();
  c.Say("no");
  EXPECT_EQ(c.session_.status, SessionStatus::kCompleted);
  const auto r = c.Try(Event::Message("yes"));
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
}

TEST(Engine, UnknownStateIsAFailedPrecondition) {
  Conversation c(Load(kOptIn));
  c.Start();
  c.session_.state = "GONE";
  EXPECT_EQ(c.Try(Event::Message("yes")).status().code(), StatusCode::kFailedPrecondition);
}

constexpr const char* kTimers = R"({"flow": "t", "states": [
  {"name": "ASK", "enter": [{"send": "Q?"}, {"timer": {"name": "remind", "after": "2h"}},
                             {"timer": {"name": "daily", "at": "08:00", "tz": "America/Lima",
                                        "keep": true}}],
   "states": [
    {"name": "@ASK", "condition": {"timer": "remind"},
     "enter": [{"inc": "misses"}, {"send": "Reminder {{misses}}"},
               {"timer": {"name": "remind", "after": "2h"}}]},
    {"name": "GOT", "condition": "any_text", "enter": [{"cancel": "all"}, {"send": "Thanks"}]},
    {"name": "@ASK", "condition": "timer", "enter": {"send": "other timer"}}]}]})";

TEST(Engine, TimersAreEffectsWithTheStepTheyBelongTo) {
  Conversation c(Load(kTimers));
  const auto r = c.Start();
  const auto timers = EffectsOf<TimerSetEffect>(r);
  ASSERT_EQ(timers.size(), 2u);
  EXPECT_EQ(timers[0].name, "remind");
  EXPECT_EQ(timers[0].due, kNow + std::chrono::hours(2));
  EXPECT_EQ(timers[0].step, 0u);
  EXPECT_FALSE(timers[0].keep);
  // 08:00 in Lima (UTC-5) is 13:00Z, after 09:00Z today.
  EXPECT_EQ(FormatUtc(timers[1].due), "2026-11-24T13:00:00.000Z");
  EXPECT_TRUE(timers[1].keep);
}

TEST(Engine, TimerEventTakesTheTimerEdgeAndSelfLoopMovesTheStep) {
  Conversation c(Load(kTimers));
  c.Start();
  auto r = c.Fire("remind", 0);
  EXPECT_THAT(Sends(r), ElementsAre("Reminder 1"));
  EXPECT_EQ(c.session_.state, "ASK");
  EXPECT_EQ(c.session_.step, 1u);
  const auto timers = EffectsOf<TimerSetEffect>(r);
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0].step, 1u);  // belongs to the step after the transition
  r = c.Fire("remind", 1);
  EXPECT_THAT(Sends(r), ElementsAre("Reminder 2"));
}

TEST(Engine, StaleTimerDoesNothingUnlessKept) {
  Conversation c(Load(kTimers));
  c.Start();
  c.Fire("remind", 0);  // step is now 1
  auto r = c.Fire("remind", 0);
  EXPECT_EQ(EffectsOf<StaleTimerEffect>(r).size(), 1u);
  EXPECT_TRUE(Sends(r).empty());
  EXPECT_EQ(c.session_.step, 1u);
  r = c.Fire("daily", 0, /*keep=*/true);
  EXPECT_THAT(Sends(r), ElementsAre("other timer"));  // the any-timer edge
}

TEST(Engine, ReplyConditionsAreFalseOnTimerEvents) {
  Conversation c(Load(R"({"states": [{"name": "A", "states": [
    {"name": "Y", "condition": "yes"}, {"name": "T", "condition": {"number": {}}},
    {"name": "X", "condition": "any_text"}, {"name": "M", "condition": {"matches": ".*"}},
    {"name": "R", "condition": {"reply": "x"}}, {"name": "O", "condition": "timer"}]}]})"));
  c.Start();
  c.Fire("whatever", 0);
  EXPECT_EQ(c.session_.state, "O");
}

TEST(Engine, CancelAndEndEffects) {
  Conversation c(Load(kTimers));
  c.Start();
  const auto r = c.Say("fine");
  const auto cancels = EffectsOf<TimerCancelEffect>(r);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_TRUE(cancels[0].all);
  EXPECT_EQ(c.session_.status, SessionStatus::kCompleted);
}

TEST(Engine, EndActionCompletesANonTerminalState) {
  Conversation c(Load(R"({"states": [{"name": "A", "states": [
    {"name": "@A", "condition": "always", "enter": [{"send": "bye"}, "end"]}]}]})"));
  c.Start();
  const auto r = c.Say("x");
  EXPECT_EQ(c.session_.status, SessionStatus::kCompleted);
  EXPECT_EQ(EffectsOf<CompletedEffect>(r).size(), 1u);
}

TEST(Engine, NumbersRouteToExactlyOneHalfOpenRange) {
  const auto flow = Load(R"({"states": [{"name": "A", "states": [
    {"name": "LOW", "condition": {"number": {"lt": 54}}},
    {"name": "MID", "condition": {"number": {"gte": 54, "lt": 70}}},
    {"name": "HIGH", "condition": {"number": {"gte": 70}}},
    {"name": "NAN", "condition": "any_text"}]}]})");
  const std::pair<const char*, const char*> cases[] = {
      {"53", "LOW"},  {"53.9", "LOW"},       {"54", "MID"},  {"69,9", "MID"},
      {"70", "HIGH"}, {"120 mg/dl", "HIGH"}, {"abc", "NAN"}, {"-1", "LOW"}};
  for (const auto& [text, state] : cases) {
    Conversation c(flow);
    c.Start();
    c.Say(text);
    EXPECT_EQ(c.session_.state, state) << text;
  }
}

TEST(Engine, VarConditionsAndSaveAsNumber) {
  const auto flow = Load(R"({"states": [{"name": "A", "states": [
    {"name": "@A", "condition": {"var": "n", "exists": false},
     "enter": {"save": {"var": "n", "as": "number"}}},
    {"name": "BIG", "condition": {"var": "n", "gte": 180}},
    {"name": "SAME", "condition": {"var": "n", "eq": 100}},
    {"name": "@A", "condition": "always", "enter": {"unset": "n"}}]}]})");
  Conversation c(flow);
  c.Start();
  c.Say("it was 200");
  EXPECT_EQ(json::Serialize(c.session_.vars), R"({"n":200})");
  c.Say("anything");
  EXPECT_EQ(c.session_.state, "BIG");

  Conversation d(flow);
  d.Start();
  d.Say("100");
  d.Say("x");
  EXPECT_EQ(d.session_.state, "SAME");

  Conversation e(flow);
  e.Start();
  e.Say("no number");
  EXPECT_EQ(json::Serialize(e.session_.vars), "{}");  // as number: not a number -> unset
}

TEST(Engine, AllAnyNotAndMedia) {
  const auto flow = Load(R"({"states": [{"name": "A", "states": [
    {"name": "PHOTO", "condition": {"all": ["has_media", {"not": "any_text"}]}},
    {"name": "EITHER", "condition": {"any": [{"reply": ["a", "b"]}, {"matches": "^c+$"}]}},
    {"name": "REST", "condition": "always"}]}]})");
  const std::tuple<const char*, std::vector<std::string>, const char*> cases[] = {
      {"", {"https://x/1.jpg"}, "PHOTO"},
      {"look", {"https://x/1.jpg"}, "REST"},
      {" B. ", {}, "EITHER"},
      {"ccc", {}, "EITHER"},
      {"cd", {}, "REST"}};
  for (const auto& [text, media, state] : cases) {
    Conversation c(flow);
    c.Start();
    c.Say(text, media);
    EXPECT_EQ(c.session_.state, state) << text;
  }
}

TEST(Engine, TemplatesSeeContactReplyAndVarsWithoutHtmlEscaping) {
  Conversation c(Load(R"({"states": [{"name": "A", "states": [{"name": "B", "condition": "always",
    "enter": [{"set": {"greeting": "Hello <{{contact.name}}> & co"}},
              {"send": "{{greeting}} from {{contact.phone}}: you said '{{ reply }}' {{missing}}."}]
    }]}]})"));
  c.Start();
  const auto r = c.Say("a & b");
  EXPECT_THAT(Sends(r), ElementsAre("Hello <Ana> & co from +15550001111: you said 'a & b' ."));
}

TEST(Engine, NativeHandlersSeeContextAndProduceEffects) {
  HandlerRegistry registry;
  registry.AddCondition("is_long", [](const HandlerContext& ctx) -> Result<bool> {
    return ctx.event().text.size() > 3 && ctx.target().empty();
  });
  registry.AddAction("note", [](ActionContext& ctx) {
    ctx.Set("from", json::Value(std::string(ctx.state()) + "->" + std::string(ctx.target())));
    SendEffect send;
    send.text = "seen " + json::ToDisplayString(*ctx.vars().Find("from"));
    ctx.Send(send);
    return ctx.Timer({"t", "1d", "", "", false});
  });
  registry.AddAction("boom", [](ActionContext& ctx) {
    SendEffect lost;
    lost.text = "never delivered";
    ctx.Send(lost);
    return Status::InvalidArgument("boom");
  });
  const auto flow = Load(R"({"states": [{"name": "A", "states": [
    {"name": "B", "condition": "is_long", "enter": "note"},
    {"name": "C", "condition": "always", "enter": "boom"}]}]})",
                         &registry);
  Conversation c(flow);
  c.Start();
  const Session before = c.session_;
  const auto failed = c.Try(Event::Message("hi"));
  EXPECT_EQ(failed.status().message(), "boom");
  EXPECT_EQ(c.session_, before);  // the caller keeps the old session
  const auto r = c.Say("hello");
  EXPECT_THAT(Sends(r), ElementsAre("seen A->B"));
  EXPECT_EQ(EffectsOf<TimerSetEffect>(r).at(0).due, kNow + std::chrono::hours(24));
}

TEST(Engine, StepIsDeterministic) {
  const auto flow = Load(kTimers);
  Session s;
  const auto a = Step(*flow, s, Event::Start(), kNow);
  const auto b = Step(*flow, s, Event::Start(), kNow);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->session, b->session);
  EXPECT_EQ(Sends(*a), Sends(*b));
}

TEST(Engine, OneFlowServesManyThreads) {
  const auto flow = Load(kOptIn);
  const auto started = Step(*flow, Session{}, Event::Start(), kNow);
  ASSERT_TRUE(started.ok());
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const bool yes = (i + t) % 2 == 0;
        const auto r = Step(*flow, started->session, Event::Message(yes ? "Yes!" : "nope"), kNow);
        if (!r.ok() || r->session.state != (yes ? "ASK_NAME" : "BYE")) {
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

TEST(Session, RoundTripsThroughJson) {
  Session s;
  s.flow_id = "checkin";
  s.state = "ASK";
  s.vars = json::Object{{"name", "Ana"}, {"n", 3}};
  s.step = 7;
  s.status = SessionStatus::kOptedOut;
  const std::string text = SessionToJson(s);
  EXPECT_EQ(text, R"({"flow":"checkin","state":"ASK","vars":{"name":"Ana","n":3},"step":7,)"
                  R"("status":"opted_out"})");
  const auto back = SessionFromJson(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  EXPECT_FALSE(SessionFromJson(R"({"flow":"x"})").ok());
  EXPECT_FALSE(
      SessionFromJson(R"({"flow":"x","state":"A","vars":{},"step":-1,"status":"active"})").ok());
  // Issue 12 item 19: a step past what uint64_t holds is refused, not converted (undefined).
  EXPECT_FALSE(
      SessionFromJson(R"({"flow":"x","state":"A","vars":{},"step":3.3e125,"status":"active"})")
          .ok());
}

}  // namespace
}  // namespace parley::flow

namespace parley::flow {
namespace {

// Issue 9 (status callbacks): a failed delivery is an event only edges naming
// delivery_failed react to; anything else in the state (an `always` edge, `otherwise`) is
// not run for it, so flows written without it in mind never see one.
constexpr const char* kDelivery = R"({"flow": "d", "states": [
  {"name": "ASK", "enter": {"send": "Your reading?"}, "states": [
    {"name": "@ASK", "condition": "always", "enter": {"send": "again"}},
    {"name": "WINDOW", "condition": {"delivery_failed": ["63016", "63024"]},
     "enter": {"set": {"why": "window"}}},
    {"name": "UNREACHABLE", "condition": "delivery_failed",
     "enter": [{"set": {"why": "{{reply}}x"}}, {"save": "answer"}]}],
   "otherwise": {"send": "say again"}}]})";

TEST(Engine, DeliveryFailureTakesOnlyADeliveryFailedEdge) {
  Conversation c(Load(kDelivery));
  c.Start();
  const auto r = c.Apply(Event::DeliveryFailed("undelivered", "30003", c.contact_));
  EXPECT_EQ(c.session_.state, "UNREACHABLE");
  EXPECT_EQ(c.session_.step, 1u);
  EXPECT_THAT(Sends(r), ::testing::IsEmpty());
  EXPECT_EQ(c.session_.vars.Find("why")->as_string(), "x");  // no reply on this event
  EXPECT_EQ(c.session_.vars.Find("answer"), nullptr);        // `save` needs a message
}

TEST(Engine, DeliveryFailedWithCodesMatchesOnlyThoseCodes) {
  Conversation c(Load(kDelivery));
  c.Start();
  c.Apply(Event::DeliveryFailed("failed", "63016", c.contact_));
  EXPECT_EQ(c.session_.state, "WINDOW");
}

TEST(Engine, AnUnhandledDeliveryFailureChangesNothing) {
  Conversation c(Load(R"({"states": [{"name": "A", "states": [
    {"name": "@A", "condition": "always", "enter": {"send": "again"}},
    {"name": "B", "condition": {"not": "yes"}}],
    "otherwise": {"send": "say again"}}]})"));
  c.Start();
  const Session before = c.session_;
  const auto r = c.Apply(Event::DeliveryFailed("failed", "30008", c.contact_));
  EXPECT_TRUE(r.effects.empty());  // no otherwise, no UnmatchedEffect
  EXPECT_EQ(c.session_, before);
}

TEST(Engine, DeliveryFailedIsFalseOnOtherEvents) {
  Conversation c(Load(R"({"states": [{"name": "A", "states": [
    {"name": "F", "condition": "delivery_failed"},
    {"name": "N", "condition": {"all": [{"not": "delivery_failed"}, "any_text"]}}]}]})"));
  c.Start();
  c.Say("hello");
  EXPECT_EQ(c.session_.state, "N");
}

TEST(Engine, DeliveryFailedCodesMustBeDigits) {
  auto r = Compile(R"({"states": [{"name": "A", "states": [
    {"name": "B", "condition": {"delivery_failed": ["6301x"]}}]}]})");
  EXPECT_EQ(r.flow, nullptr);
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_THAT(r.diagnostics[0].message, ::testing::HasSubstr("Twilio error code"));
}

}  // namespace
}  // namespace parley::flow
