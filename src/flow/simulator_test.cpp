#include "flow/simulator.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "flow/loader.hpp"
#include "flow/transcript.hpp"

namespace parley::flow {
namespace {

using ::testing::HasSubstr;

constexpr const char* kReminders = R"({"flow": "r", "states": [
  {"name": "ASK", "enter": [{"send": "Did you check?"}, {"timer": {"name": "remind", "after": "2h"}}],
   "states": [
    {"name": "@ASK", "condition": {"all": [{"timer": "remind"}, {"not": {"var": "misses", "gte": 2}}]},
     "enter": [{"inc": "misses"}, {"send": "Reminder {{misses}}"},
               {"timer": {"name": "remind", "after": "2h"}}]},
    {"name": "GAVE_UP", "condition": {"timer": "remind"}, "enter": {"send": "Bye"}},
    {"name": "DONE", "condition": "yes", "enter": [{"cancel": "remind"}, {"send": "Great"}]}]}]})";

std::shared_ptr<const Flow> Load(const char* text) {
  auto r = Compile(text);
  EXPECT_NE(r.flow, nullptr);
  return r.flow;
}

std::vector<std::string> Texts(const std::vector<Effect>& effects) {
  std::vector<std::string> out;
  for (const auto& e : effects) {
    if (const auto* s = std::get_if<SendEffect>(&e)) out.push_back(s->text);
  }
  return out;
}

const TimePoint kT0 = FromUnixMillis(1795510800000);

TEST(Simulator, TimersFireInOrderEachAtItsDueTime) {
  Simulator sim(Load(kReminders), Contact{}, kT0);
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_EQ(sim.timers().size(), 1u);
  auto fired = sim.Advance(std::chrono::hours(1));
  ASSERT_TRUE(fired.ok());
  EXPECT_TRUE(fired->empty());
  fired = sim.Advance(std::chrono::hours(5));  // reminders at +2h and +4h, give up at +6h
  ASSERT_TRUE(fired.ok());
  ASSERT_EQ(fired->size(), 3u);
  EXPECT_EQ((*fired)[0].at, kT0 + std::chrono::hours(2));
  EXPECT_THAT(Texts((*fired)[0].effects), ::testing::ElementsAre("Reminder 1"));
  EXPECT_EQ((*fired)[1].at, kT0 + std::chrono::hours(4));
  EXPECT_THAT(Texts((*fired)[2].effects), ::testing::ElementsAre("Bye"));
  EXPECT_EQ(sim.session().status, SessionStatus::kCompleted);
  EXPECT_TRUE(sim.timers().empty());
  EXPECT_EQ(sim.now(), kT0 + std::chrono::hours(6));
  EXPECT_EQ(sim.covered_edges().size(), 2u);
}

TEST(Simulator, CancelledTimersNeverFire) {
  Simulator sim(Load(kReminders), Contact{}, kT0);
  ASSERT_TRUE(sim.Start().ok());
  auto r = sim.Inbound("yes");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(sim.timers().empty());
  auto fired = sim.Advance(std::chrono::hours(24));
  EXPECT_TRUE(fired->empty());
}

TEST(Transcript, PassesAndReportsCoverage) {
  const auto t = ParseTranscript(R"(# a happy path
clock 2026-11-24T09:00:00Z
contact name Ana
< Did you check?
~ 2h
< Reminder 1
? misses = 1
= ASK
> Yes!
< /Gr.at/
! completed
)",
                                 "happy.txt");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const auto out = RunTranscript(*t, Load(kReminders));
  EXPECT_TRUE(out.passed) << out.failure;
  EXPECT_EQ(out.covered_edges.size(), 2u);
}

TEST(Transcript, ReportsTheFirstMismatchWithItsLine) {
  const auto flow = Load(kReminders);
  const std::pair<const char*, const char*> cases[] = {
      {"< Did you check?\n> yes\n< Good\n", "t.txt:3: expected reply \"Good\"\n"},
      {"< Did you check?\n= DONE\n", "t.txt:2: expected state DONE, but the session is in ASK"},
      {"> yes\n", "t.txt:1: unexpected reply \"Did you check?\""},
      {"< Did you check?\n> maybe\n< x\n", "t.txt:3: expected reply \"x\"\n"},
      {"< Did you check?\n? misses = 3\n", "t.txt:2: expected misses = \"3\", but it is unset"},
      {"< Did you check?\n~ 2h\n", "t.txt:2: unexpected reply \"Reminder 1\" at the end"},
  };
  for (const auto& [text, failure] : cases) {
    const auto t = ParseTranscript(text, "t.txt");
    ASSERT_TRUE(t.ok());
    const auto out = RunTranscript(*t, flow);
    EXPECT_FALSE(out.passed) << text;
    EXPECT_THAT(out.failure, HasSubstr(failure)) << text;
  }
}

TEST(Transcript, ParseErrorsNameTheLine) {
  EXPECT_EQ(ParseTranscript("> hi\nwat now\n", "x.txt").status().message(),
            "x.txt:2: unknown directive 'wat'");
  EXPECT_THAT(ParseTranscript("~ 2x\n", "x.txt").status().message(),
              HasSubstr("x.txt:1: bad duration '2x'"));
  EXPECT_THAT(ParseTranscript("< /(/\n", "x.txt").status().message(),
              HasSubstr("x.txt:1: bad regex"));
  EXPECT_THAT(ParseTranscript("! done\n", "x.txt").status().message(),
              HasSubstr("unknown status 'done'"));
  EXPECT_THAT(ParseTranscript("clock tomorrow\n", "x.txt").status().message(),
              HasSubstr("x.txt:1: bad time 'tomorrow'"));
}

}  // namespace
}  // namespace parley::flow
