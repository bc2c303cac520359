// Issue 10: recurring timers (`every`) and session expiry (`expire_after`, `on_expire`) in the
// pure engine: the next occurrence (daylight-saving changes included), what the loader
// accepts and warns about, and the simulator behind `parley chat` and `parley test`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "flow/engine.hpp"
#include "flow/loader.hpp"
#include "flow/simulator.hpp"
#include "flow/text.hpp"
#include "flow/transcript.hpp"

namespace parley::flow {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;

TimePoint Utc(const char* text) { return *ParseUtc(text); }

TimerRecurrence DailyAt(int hour, std::string zone, int every_days = 1) {
  return TimerRecurrence{seconds(every_days * 86400), seconds(hour * 3600), std::move(zone)};
}

// The local wall-clock time of `t` ("09:00:00"), and its date.
std::string LocalTime(TimePoint t, const std::string& zone) {
  return FormatLocal(t, zone).substr(11, 8);
}

// Issue 10: a daily `at` timer stays at 09:00 local time across both daylight-saving changes,
// one occurrence a day, in America/New_York (2026-03-08, 2026-11-01) and Europe/Kyiv
// (2026-03-29, 2026-10-25).
TEST(RecurringTimer, DailyAtStaysAtNineLocalAcrossBothDstChanges) {
  struct Case {
    std::string zone;
    const char* from;  // a few days before the change
  };
  const std::vector<Case> cases = {{"America/New_York", "2026-03-05T14:00:00Z"},
                                   {"America/New_York", "2026-10-29T13:00:00Z"},
                                   {"Europe/Kyiv", "2026-03-26T07:00:00Z"},
                                   {"Europe/Kyiv", "2026-10-22T06:00:00Z"}};
  for (const Case& c : cases) {
    const TimerRecurrence r = DailyAt(9, c.zone);
    TimePoint due = Utc(c.from);
    ASSERT_EQ(LocalTime(due, c.zone), "09:00:00") << c.zone << " " << c.from;
    std::vector<int> gaps_hours;
    for (int day = 0; day < 7; ++day) {
      const TimePoint next = NextOccurrence(r, due, due);
      EXPECT_EQ(LocalTime(next, c.zone), "09:00:00") << FormatLocal(next, c.zone);
      gaps_hours.push_back(static_cast<int>(std::chrono::duration_cast<hours>(next - due).count()));
      due = next;
    }
    // One of the seven days is 23 or 25 hours long: the change happened in the window.
    EXPECT_EQ(std::count(gaps_hours.begin(), gaps_hours.end(), 24), 6) << c.zone << " " << c.from;
  }
}

// Issue 10: occurrences missed while parley was down are skipped: the next occurrence is the
// first after now, on the schedule's phase (weekly stays on its weekday).
TEST(RecurringTimer, MissedOccurrencesAreSkippedNotBurst) {
  const TimePoint due = Utc("2026-03-05T14:00:00Z");  // 09:00 in New York
  const TimePoint now = due + days(10) + hours(3);
  const TimePoint daily = NextOccurrence(DailyAt(9, "America/New_York"), due, now);
  EXPECT_EQ(FormatLocal(daily, "America/New_York"), "2026-03-16 09:00:00 -04:00");

  const TimePoint weekly = NextOccurrence(DailyAt(9, "America/New_York", 7), due, now);
  EXPECT_EQ(FormatLocal(weekly, "America/New_York"), "2026-03-19 09:00:00 -04:00");

  const TimerRecurrence hourly{seconds(3600), std::nullopt, ""};
  EXPECT_EQ(NextOccurrence(hourly, due, due), due + hours(1));
  EXPECT_EQ(NextOccurrence(hourly, due, due + minutes(150)), due + hours(3));
}

Result<StepResult> StepWith(const Flow& flow, const Session& s, const Event& e, TimePoint now) {
  return Step(flow, s, e, now);
}

CompileResult CompileText(const std::string& text) { return Compile(text, CompileOptions{}); }

std::string Messages(const CompileResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) {
    out += FormatDiagnostic(d, "flow") + "\n";
  }
  return out;
}

// Issue 10: `parley check` refuses `every` shorter than a minute, `every` with `at` that is not
// whole days, reserved timer names, and on_expire without expire_after; it warns about a
// recurring timer no state reacts to.
TEST(RecurringTimer, LoaderValidatesEveryAndOnExpire) {
  const auto too_short = CompileText(R"({"flow": "f", "states": [{"name": "A",
    "enter": {"timer": {"name": "t", "after": "1m", "every": "30s"}},
    "states": [{"name": "@A", "condition": {"timer": "t"}}]}]})");
  EXPECT_EQ(too_short.flow, nullptr);
  EXPECT_THAT(Messages(too_short), HasSubstr("'every' must be at least 1m"));

  const auto not_days = CompileText(R"({"flow": "f", "states": [{"name": "A",
    "enter": {"timer": {"name": "t", "at": "09:00", "every": "12h"}},
    "states": [{"name": "@A", "condition": {"timer": "t"}}]}]})");
  EXPECT_EQ(not_days.flow, nullptr);
  EXPECT_THAT(Messages(not_days), HasSubstr("whole number of days"));

  const auto reserved = CompileText(R"({"flow": "f", "states": [{"name": "A",
    "enter": [{"timer": {"name": "@expire", "after": "1h"}}, {"cancel": "@expire"}],
    "states": [{"name": "@A", "condition": "any_text"}]}]})");
  EXPECT_EQ(reserved.flow, nullptr);
  EXPECT_THAT(Messages(reserved), HasSubstr("reserved"));

  const auto no_expiry = CompileText(R"({"flow": "f", "on_expire": {"send": "Bye"},
    "states": [{"name": "A", "states": [{"name": "@A", "condition": "any_text"}]}]})");
  EXPECT_EQ(no_expiry.flow, nullptr);
  EXPECT_THAT(Messages(no_expiry), HasSubstr("'on_expire' needs 'expire_after'"));

  const auto unhandled = CompileText(R"({"flow": "f", "states": [{"name": "A",
    "enter": {"timer": {"name": "checkin", "at": "09:00", "every": "1d"}},
    "states": [{"name": "@A", "condition": {"timer": "other"}}]}]})");
  ASSERT_NE(unhandled.flow, nullptr) << Messages(unhandled);
  EXPECT_THAT(Messages(unhandled),
              HasSubstr("warning: states[0].enter.timer: recurring timer 'checkin' is not named"));

  const auto handled = CompileText(R"({"flow": "f", "expire_after": "2d",
    "on_expire": [{"send": "Bye"}],
    "states": [{"name": "A", "enter": {"timer": {"name": "checkin", "at": "09:00", "every": "1d"}},
    "states": [{"name": "@A", "condition": {"timer": "checkin"}}]}]})");
  ASSERT_NE(handled.flow, nullptr) << Messages(handled);
  EXPECT_THAT(Messages(handled), Not(HasSubstr("recurring")));
  EXPECT_EQ(handled.flow->on_expire.size(), 1u);
}

// Issue 10: a recurring timer in a named action used twice is warned about once.
TEST(RecurringTimer, UnhandledRecurringTimerInANamedActionWarnsOnce) {
  const auto r = CompileText(R"({"flow": "f",
    "actions": {"schedule": {"timer": {"name": "checkin", "after": "1h", "every": "1d"}}},
    "states": [{"name": "A", "enter": "schedule",
      "states": [{"name": "@A", "condition": "yes", "enter": "schedule"},
                 {"name": "@A", "condition": {"timer": "other"}}]}]})");
  ASSERT_NE(r.flow, nullptr) << Messages(r);
  const std::string messages = Messages(r);
  const size_t first = messages.find("recurring timer 'checkin'");
  ASSERT_NE(first, std::string::npos) << messages;
  EXPECT_EQ(messages.find("recurring timer 'checkin'", first + 1), std::string::npos) << messages;
}

constexpr const char* kDaily = R"({"flow": "d", "tz": "America/New_York", "expire_after": "3d",
  "on_expire": {"send": "Goodbye {{name}}"},
  "states": [
    {"name": "START", "enter": [{"set": {"name": "Ana"}},
                                {"timer": {"name": "checkin", "at": "09:00", "every": "1d"}}],
     "states": [{"name": "@ASK", "condition": {"timer": "checkin"},
                 "enter": {"send": "How are you?"}}]},
    {"name": "ASK",
     "states": [{"name": "@ASK", "condition": {"timer": "checkin"}, "enter": {"send": "How are you?"}},
                {"name": "STOPPED", "condition": {"reply": "stop checkins"},
                 "enter": {"cancel": "checkin"},
                 "states": [{"name": "@STOPPED", "condition": "any_text"}]},
                {"name": "@ASK", "condition": "any_text", "enter": {"cancel": "all"}}]}]})";

std::shared_ptr<const Flow> LoadFlow(const char* text) {
  auto r = CompileText(text);
  EXPECT_NE(r.flow, nullptr) << Messages(r);
  return r.flow;
}

// Issue 10: a recurring `at` timer resolves in the contact's time zone when it has one, and
// its effect is implicitly keep with what the next occurrence needs.
TEST(RecurringTimer, StepSetsAKeepTimerInTheContactsZone) {
  const auto flow = LoadFlow(kDaily);
  Contact kyiv;
  kyiv.time_zone = "Europe/Kyiv";
  const TimePoint now = Utc("2026-03-05T12:00:00Z");
  auto stepped = StepWith(*flow, Session{}, Event::Start(kyiv), now);
  ASSERT_TRUE(stepped.ok()) << stepped.status().ToString();
  const StepResult& r = *stepped;
  std::vector<TimerSetEffect> sets;
  for (const Effect& e : r.effects) {
    if (const auto* t = std::get_if<TimerSetEffect>(&e)) sets.push_back(*t);
  }
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0].name, "checkin");
  EXPECT_TRUE(sets[0].keep);
  ASSERT_TRUE(sets[0].recur.has_value());
  EXPECT_EQ(sets[0].recur->time_zone, "Europe/Kyiv");
  EXPECT_EQ(FormatLocal(sets[0].due, "Europe/Kyiv"), "2026-03-06 09:00:00 +02:00");
  EXPECT_EQ(sets[1].name, kExpiryTimer);  // the start arms the expiry
  EXPECT_EQ(sets[1].due, now + days(3));
}

std::vector<std::string> Sent(const std::vector<Simulator::Record>& records) {
  std::vector<std::string> out;
  for (const auto& rec : records) {
    for (const auto& e : rec.effects) {
      if (const auto* s = std::get_if<SendEffect>(&e)) out.push_back(s->text);
    }
  }
  return out;
}

// Issue 10: in the simulator a recurring timer fires every day until cancelled; `cancel all`
// leaves the expiry; three days with no inbound message (expire_after) end the session as
// expired, with the on_expire goodbye.
TEST(RecurringTimer, SimulatorFiresDailyUntilCancelledAndExpiresIdleSessions) {
  Simulator sim(LoadFlow(kDaily), Contact{}, Utc("2026-03-05T12:00:00Z"));
  ASSERT_TRUE(sim.Start().ok());
  auto two_days = sim.Advance(days(2));
  ASSERT_TRUE(two_days.ok());
  EXPECT_EQ(Sent(*two_days), (std::vector<std::string>{"How are you?", "How are you?"}));
  ASSERT_TRUE(sim.Inbound("fine").ok());  // cancel all: the check-in stops, the expiry stays
  ASSERT_EQ(sim.timers().size(), 1u);
  EXPECT_EQ(sim.timers()[0].name, kExpiryTimer);
  EXPECT_EQ(sim.timers()[0].due, sim.now() + days(3));

  auto idle = sim.Advance(days(4));
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ(Sent(*idle), (std::vector<std::string>{"Goodbye Ana"}));
  EXPECT_EQ(sim.session().status, SessionStatus::kExpired);
  EXPECT_TRUE(sim.timers().empty());
}

// Issue 10: `cancel` by name stops a recurring timer.
TEST(RecurringTimer, SimulatorCancelStopsTheRecurrence) {
  Simulator sim(LoadFlow(kDaily), Contact{}, Utc("2026-03-05T12:00:00Z"));
  ASSERT_TRUE(sim.Start().ok());
  ASSERT_TRUE(sim.Advance(days(1)).ok());
  ASSERT_TRUE(sim.Inbound("stop checkins").ok());
  auto later = sim.Advance(days(2));
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(Sent(*later).empty());
}

}  // namespace
}  // namespace parley::flow
