#include "flow/simulator.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "flow/loader.hpp"

namespace parley::flow {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const TimePoint kT0 = FromUnixMillis(1795510800000);  // 2026-11-24T09:00:00Z

// ASK reminds twice, two hours apart, then gives up; "yes" cancels the reminder.
constexpr const char* kReminders = R"({"flow": "r", "states": [
  {"name": "ASK", "enter": [{"send": "Did you check?"}, {"timer": {"name": "remind", "after": "2h"}}],
   "states": [
    {"name": "@ASK", "condition": {"all": [{"timer": "remind"}, {"not": {"var": "misses", "gte": 2}}]},
     "enter": [{"inc": "misses"}, {"send": "Reminder {{misses}}"},
               {"timer": {"name": "remind", "after": "2h"}}]},
    {"name": "GAVE_UP", "condition": {"timer": "remind"}, "enter": {"send": "Bye"}},
    {"name": "DONE", "condition": "yes", "enter": [{"cancel": "remind"}, {"send": "Great"}]}]}]})";

std::shared_ptr<const Flow> Load(const char* text, const HandlerRegistry* registry = nullptr) {
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

std::vector<std::string> Texts(const std::vector<Effect>& effects) {
  std::vector<std::string> out;
  for (const auto& e : effects) {
    if (const auto* s = std::get_if<SendEffect>(&e)) out.push_back(s->text);
  }
  return out;
}

std::vector<std::string> FiredNames(const std::vector<Simulator::Record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.event.timer);
  return out;
}

template <typename T>
bool Has(const std::vector<Effect>& effects) {
  return std::any_of(effects.begin(), effects.end(),
                     [](const Effect& e) { return std::holds_alternative<T>(e); });
}

TEST(Simulator, StartRunsTheInitialEnterAndSetsTimers) {
  Simulator sim(Load(kReminders), Contact{}, kT0);
  EXPECT_FALSE(sim.started());
  const auto r = sim.Start();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(sim.started());
  EXPECT_EQ(r->at, kT0);
  EXPECT_EQ(r->event.kind, Event::Kind::kStart);
  EXPECT_THAT(Texts(r->effects), ElementsAre("Did you check?"));
  EXPECT_EQ(sim.session().state, "ASK");
  ASSERT_EQ(sim.timers().size(), 1u);
  EXPECT_EQ(sim.timers()[0].name, "remind");
  EXPECT_EQ(sim.timers()[0].due, kT0 + std::chrono::hours(2));
  EXPECT_EQ(sim.timers()[0].step, 0u);
}

TEST(Simulator, TimersFireInOrderEachAtItsDueTime) {
  Simulator sim(Load(kReminders), Contact{}, kT0);
  ASSERT_TRUE(sim.Start().ok());
  auto fired = sim.Advance(std::chrono::hours(1));
  ASSERT_TRUE(fired.ok());
  EXPECT_THAT(*fired, IsEmpty());
  EXPECT_EQ(sim.now(), kT0 + std::chrono::hours(1));
  fired = sim.Advance(std::chrono::hours(5));  // reminders at +2h and +4h, give up at +6h
  ASSERT_TRUE(fired.ok());
  ASSERT_EQ(fired->size(), 3u);
  EXPECT_EQ((*fired)[0].at, kT0 + std::chrono::hours(2));
  EXPECT_THAT(Texts((*fired)[0].effects), ElementsAre("Reminder 1"));
  EXPECT_EQ((*fired)[1].at, kT0 + std::chrono::hours(4));
  EXPECT_THAT(Texts((*fired)[1].effects), ElementsAre("Reminder 2"));
  EXPECT_EQ((*fired)[2].at, kT0 + std::chrono::hours(6));
  EXPECT_THAT(Texts((*fired)[2].effects), ElementsAre("Bye"));
  EXPECT_EQ(sim.session().status, SessionStatus::kCompleted);
  EXPECT_THAT(sim.timers(), IsEmpty());
  EXPECT_EQ(sim.now(), kT0 + std::chrono::hours(6));
  EXPECT_EQ(sim.covered_edges(),
            (std::set<std::string>{"states[0].states[0]", "states[0].states[1]"}));
}

TEST(Simulator, CancelledTimersNeverFire) {
  Simulator sim(Load(kReminders), Contact{}, kT0);
  ASSERT_TRUE(sim.Start().ok());
  const auto r = sim.Inbound("yes");
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(Texts(r->effects), ElementsAre("Great"));
  EXPECT_THAT(sim.timers(), IsEmpty());
  const auto fired = sim.Advance(std::chrono::hours(24));
  ASSERT_TRUE(fired.ok());
  EXPECT_THAT(*fired, IsEmpty());
}

// Timers "a" (1h) and "b" (3h) are set on start; "x" moves to B, which sets "a" again (2h
// later) and "c" (same due time as "b"), and cancels everything on "stop".
constexpr const char* kTimerTable = R"({"states": [
  {"name": "A", "enter": [{"timer": {"name": "a", "after": "1h"}},
                          {"timer": {"name": "b", "after": "3h", "keep": true}}],
   "states": [{"name": "B", "condition": {"reply": ["x"]},
               "enter": [{"timer": {"name": "a", "after": "2h"}},
                         {"timer": {"name": "c", "after": "2h"}}]}]},
  {"name": "B", "otherwise": [{"send": "tick"}], "states": [
    {"name": "@B", "condition": {"reply": ["again"]}},
    {"name": "@A", "condition": {"reply": ["stop"]}, "enter": {"cancel": "all"}},
    {"name": "@B", "condition": {"timer": "never"}}]}]})";

TEST(Simulator, SettingATimerReplacesOneOfTheSameName) {
  Simulator sim(Load(kTimerTable), Contact{}, kT0);
  ASSERT_TRUE(sim.Start().ok());
  // "a" fires at +1h, unmatched in A (no edge takes a timer there).
  ASSERT_THAT(FiredNames(*sim.Advance(std::chrono::hours(1))), ElementsAre("a"));
  ASSERT_TRUE(sim.Inbound("x").ok());
  ASSERT_EQ(sim.timers().size(), 3u);  // b, a (again), c
  ASSERT_TRUE(sim.Inbound("again").ok());
  ASSERT_TRUE(sim.Inbound("again").ok());
  // Three moves since "a" and "c" were set: they are stale; "b" is kept and fires.
  const auto fired = sim.Advance(std::chrono::hours(5));
  ASSERT_TRUE(fired.ok());
  // All three fall due at +3h: setting order breaks the tie.
  EXPECT_THAT(FiredNames(*fired), ElementsAre("b", "a", "c"));
  EXPECT_TRUE(Has<UnmatchedEffect>((*fired)[0].effects));
  EXPECT_THAT(Texts((*fired)[0].effects), ElementsAre("tick"));
  EXPECT_TRUE(Has<StaleTimerEffect>((*fired)[1].effects));
  EXPECT_TRUE(Has<StaleTimerEffect>((*fired)[2].effects));
  EXPECT_THAT(Texts((*fired)[1].effects), IsEmpty());
}

TEST(Simulator, CancelAllDropsEveryTimer) {
  Simulator sim(Load(kTimerTable), Contact{}, kT0);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(sim.Inbound("x").ok());
  ASSERT_EQ(sim.timers().size(), 3u);
  ASSERT_TRUE(sim.Inbound("stop").ok());
  EXPECT_THAT(sim.timers(), IsEmpty());
}

TEST(Simulator, ACompletedSessionGetsNoMoreEvents) {
  Simulator sim(Load(kReminders), Contact{}, kT0);
  EXPECT_EQ(sim.Inbound("yes").status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(sim.Inbound("yes").ok());
  EXPECT_EQ(sim.session().status, SessionStatus::kCompleted);
  const auto again = sim.Inbound("yes");
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  const auto fired = sim.Advance(std::chrono::hours(48));
  ASSERT_TRUE(fired.ok());
  EXPECT_THAT(*fired, IsEmpty());
}

TEST(Simulator, AHandlerErrorLeavesTheSessionAndTimersAlone) {
  HandlerRegistry registry;
  registry.AddAction("boom", [](ActionContext& ctx) {
    ctx.Cancel("all");
    return Status::InvalidArgument("boom");
  });
  const auto flow = Load(R"({"states": [
    {"name": "A", "enter": {"timer": {"name": "t", "after": "1h"}}, "states": [
      {"name": "B", "condition": {"reply": ["go"]}, "enter": "boom"},
      {"name": "C", "condition": {"timer": "t"}, "enter": "boom"}]}]})",
                         &registry);
  Simulator sim(flow, Contact{}, kT0);
  ASSERT_TRUE(sim.Start().ok());
  const Session before = sim.session();
  const auto r = sim.Inbound("go");
  EXPECT_EQ(r.status().message(), "boom");
  EXPECT_EQ(sim.session(), before);
  EXPECT_EQ(sim.timers().size(), 1u);
  EXPECT_THAT(sim.covered_edges(), IsEmpty());
  const auto fired = sim.Advance(std::chrono::hours(2));
  EXPECT_EQ(fired.status().message(), "boom");
  EXPECT_EQ(sim.session(), before);
  EXPECT_EQ(sim.now(), kT0 + std::chrono::hours(1));  // stopped at the failing timer
  EXPECT_THAT(sim.timers(), IsEmpty());               // which fired (once)
}

TEST(Simulator, ResetForgetsTheSessionButKeepsClockAndCoverage) {
  Simulator sim(Load(kReminders), Contact{}, kT0);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(sim.Advance(std::chrono::hours(2)).ok());
  sim.Reset();
  EXPECT_FALSE(sim.started());
  EXPECT_THAT(sim.timers(), IsEmpty());
  EXPECT_EQ(sim.now(), kT0 + std::chrono::hours(2));
  EXPECT_EQ(sim.covered_edges().size(), 1u);
  const auto r = sim.Start();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(sim.session().vars, json::Value(json::Object{}));
  EXPECT_EQ(sim.timers().at(0).due, kT0 + std::chrono::hours(4));
}

TEST(Simulator, EventsCarryTheContact) {
  HandlerRegistry registry;
  registry.AddCondition("from_ana", [](const HandlerContext& ctx) -> Result<bool> {
    return ctx.event().contact.name == "Ana";
  });
  const auto flow = Load(R"({"states": [{"name": "A", "states": [
    {"name": "B", "condition": "from_ana", "enter": {"send": "Hi {{contact.name}}"}}]}]})",
                         &registry);
  Contact ana;
  ana.phone = "+15550001111";
  ana.name = "Ana";
  Simulator sim(flow, ana, kT0);
  ASSERT_TRUE(sim.Start().ok());
  const auto r = sim.Inbound("hello", {"https://example.com/a.jpg"});
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->event.media, ElementsAre("https://example.com/a.jpg"));
  EXPECT_THAT(Texts(r->effects), ElementsAre("Hi Ana"));
}

}  // namespace
}  // namespace parley::flow
