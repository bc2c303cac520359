// Issue 10: recurring timers and session expiry through the whole server path — Store,
// Service, Pipeline, Scheduler — on real SQLite and PostgreSQL with a manual clock: daily `at`
// timers across both daylight-saving changes, occurrences missed while down, cancel, the
// check-in example's three missed check-ins, and `expire_after` with its `on_expire` goodbye.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "conversation/address.hpp"
#include "conversation/flow_catalog.hpp"
#include "conversation/service.hpp"
#include "flow/loader.hpp"
#include "flow/text.hpp"
#include "flow/transcript.hpp"
#include "scheduler/scheduler.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/status_testing.hpp"

namespace parley::scheduler {
namespace {

using conversation::Event;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

constexpr char kOurNumber[] = "+15005550006";
constexpr char kAna[] = "+14155550101";
constexpr char kBob[] = "+14155550102";

TimePoint Utc(const char* text) { return *flow::ParseUtc(text); }

// A daily 09:00 check-in in `tz`, started by `trigger`. "stop" cancels it by name; "bye" ends
// the session.
std::string DailyFlow(const std::string& id, const std::string& tz, const std::string& trigger) {
  return R"({"flow": ")" + id + R"(", "tz": ")" + tz + R"(", "triggers": [")" + trigger + R"("],
  "states": [
    {"name": "ASK", "enter": [{"send": "Welcome"},
                              {"timer": {"name": "checkin", "at": "09:00", "every": "1d"}}],
     "states": [
       {"name": "@ASK", "condition": {"timer": "checkin"}, "enter": {"send": "Check-in"}},
       {"name": "QUIET", "condition": {"reply": "stop"}, "enter": {"cancel": "checkin"},
        "states": [{"name": "@QUIET", "condition": "any_text"}]},
       {"name": "BYE", "condition": {"reply": "bye"}},
       {"name": "@ASK", "condition": "any_text"}]}]})";
}

// Ends sessions idle for two days, with a goodbye; any message is acknowledged.
constexpr char kExpiringFlow[] = R"({"flow": "expiring", "triggers": ["EXP"],
  "expire_after": "2d", "on_expire": {"send": "Goodbye"},
  "states": [{"name": "A", "enter": {"send": "Hello"},
              "states": [{"name": "@A", "condition": "any_text", "enter": {"send": "Got it"}}]}]})";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Instance {
  std::unique_ptr<store::Store> store;
  metrics::Registry registry;
  std::unique_ptr<conversation::Service> service;
  std::unique_ptr<conversation::Pipeline> pipeline;
  std::unique_ptr<Scheduler> scheduler;

  ~Instance() {
    if (scheduler) {
      scheduler->Stop();
    }
    if (pipeline) {
      pipeline->Stop();
    }
  }
  int Timers(const std::string& outcome) const {
    const std::string text = registry.RenderText();
    const std::string key = "parley_timers_total{outcome=\"" + outcome + "\"} ";
    const size_t at = text.find(key);
    return at == std::string::npos ? 0 : std::stoi(text.substr(at + key.size()));
  }
};

class RecurringTimerTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite() { parley::testing::PgCluster::StopShared(); }

  void SetUp() override {
    if (GetParam() == "postgres") {
      std::string error;
      auto* cluster = parley::testing::PgCluster::Shared(&error);
      ASSERT_NE(cluster, nullptr) << "cannot start PostgreSQL: " << error;
      static std::atomic<int> counter{0};
      ASSERT_OK_AND_ASSIGN(url_, cluster->CreateDatabase("recur" + std::to_string(++counter)));
    } else {
      char templ[] = "/tmp/parley-recurring-XXXXXX";
      ASSERT_NE(mkdtemp(templ), nullptr);
      sqlite_dir_ = templ;
      url_ = "sqlite:" + sqlite_dir_ + "/parley.db";
    }
    ASSERT_OK_AND_ASSIGN(store_, store::OpenStore(url_));
    ASSERT_OK(store_->Migrate());
    const char* source_dir = std::getenv("TEST_SOURCE_DIR");
    ASSERT_NE(source_dir, nullptr);
    const std::string checkin =
        ReadFile(std::string(source_dir) + "/examples/checkin/checkin.json");
    std::vector<std::shared_ptr<const flow::Flow>> flows;
    for (const std::string& text :
         {DailyFlow("daily_ny", "America/New_York", "NY"),
          DailyFlow("daily_kyiv", "Europe/Kyiv", "KYIV"), std::string(kExpiringFlow), checkin}) {
      flow::CompileResult compiled = flow::Compile(text, flow::CompileOptions{});
      for (const flow::Diagnostic& d : compiled.diagnostics) {
        EXPECT_FALSE(d.is_error()) << flow::FormatDiagnostic(d, "flow");
      }
      ASSERT_NE(compiled.flow, nullptr);
      flows.push_back(compiled.flow);
    }
    ASSERT_OK_AND_ASSIGN(catalog_, conversation::FlowCatalog::Build(flows));
  }

  void TearDown() override {
    instances_.clear();
    store_.reset();
    if (!sqlite_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(sqlite_dir_, ec);
    }
  }

  Instance& NewInstance(SchedulerOptions options = {}) {
    auto in = std::make_unique<Instance>();
    in->store = store::OpenStore(url_).value();
    conversation::ServiceOptions service;
    service.sms_from = kOurNumber;
    auto catalog = catalog_;
    in->service = std::make_unique<conversation::Service>([catalog] { return catalog; }, service,
                                                          in->registry);
    in->pipeline = std::make_unique<conversation::Pipeline>(
        *in->store, *in->service, clock_, conversation::PipelineOptions{}, in->registry);
    in->scheduler = std::make_unique<Scheduler>(*in->store, *in->pipeline, clock_,
                                                std::move(options), in->registry);
    in->pipeline->Start();
    instances_.push_back(std::move(in));
    return *instances_.back();
  }

  void Send(Instance& in, std::string_view from, std::string body) {
    static std::atomic<int> next{0};
    conversation::InboundMessage m;
    m.to = kOurNumber;
    const std::string digits = std::to_string(++next);
    m.message_sid = "SM" + std::string(32 - digits.size(), '0') + digits;
    m.body = std::move(body);
    Event e{conversation::ParseAddress(from).value(), std::move(m),
            conversation::ReplyMode::kQueued};
    ASSERT_OK(in.pipeline->Run(std::move(e)).status());
  }
  int Fire(Instance& in) {
    auto fired = in.scheduler->FireDue();
    EXPECT_OK(fired.status());
    in.scheduler->WaitIdle();
    return fired.ok() ? *fired : -1;
  }

  store::SessionRecord Session(std::string_view address) {
    auto contact = store_->FindContact(address).value();
    return store_->LatestSession(contact.value().id).value().value();
  }
  std::vector<store::TimerRecord> Pending(std::string_view address) {
    auto timers = store_->Timers(Session(address).id);
    return timers.ok() ? *timers : std::vector<store::TimerRecord>{};
  }
  std::optional<store::TimerRecord> PendingNamed(std::string_view address, std::string_view name) {
    for (store::TimerRecord& t : Pending(address)) {
      if (t.name == name) {
        return t;
      }
    }
    return std::nullopt;
  }
  std::vector<std::string> Outbound(std::string_view address) {
    std::vector<std::string> out;
    auto contact = store_->FindContact(address).value();
    const auto messages = store_->Messages(contact.value().id).value();
    for (const store::MessageRecord& m : messages) {
      if (m.direction == store::MessageRecord::Direction::kOutbound) {
        out.push_back(m.body);
      }
    }
    return out;
  }

  std::string url_;
  std::string sqlite_dir_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<const conversation::FlowCatalog> catalog_;
  ManualClock clock_{Utc("2026-03-05T12:00:00Z")};
  std::vector<std::unique_ptr<Instance>> instances_;
};

// Issue 10: a daily `at` check-in fires every morning at 09:00 local time across both
// daylight-saving changes in America/New_York (2026-03-08, 2026-11-01) and Europe/Kyiv
// (2026-03-29, 2026-10-25): each firing sets the next occurrence on the row, in its
// transaction, and the timer is never stale although the session moves.
TEST_P(RecurringTimerTest, DailyCheckinStaysAtNineLocalAcrossBothDstChanges) {
  struct Case {
    const char* trigger;
    std::string zone;
    const char* start;
  };
  const std::vector<Case> cases = {{"NY", "America/New_York", "2026-03-05T20:00:00Z"},
                                   {"KYIV", "Europe/Kyiv", "2026-03-26T12:00:00Z"},
                                   {"KYIV", "Europe/Kyiv", "2026-10-22T12:00:00Z"},
                                   {"NY", "America/New_York", "2026-10-29T20:00:00Z"}};
  Instance& in = NewInstance();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.zone + " from " + c.start);
    clock_.Set(Utc(c.start));
    Send(in, kAna, c.trigger);  // restarts the contact's session on the new flow
    Send(in, kAna, "hello");    // the session moves; the recurring timer is kept
    int hours_23_or_25 = 0;
    TimePoint previous{};
    for (int day = 0; day < 7; ++day) {
      const auto timer = PendingNamed(kAna, "checkin");
      ASSERT_TRUE(timer.has_value());
      ASSERT_TRUE(timer->recur.has_value());
      EXPECT_EQ(timer->recur->time_zone, c.zone);
      EXPECT_EQ(flow::FormatLocal(timer->due, c.zone).substr(11, 8), "09:00:00")
          << flow::FormatLocal(timer->due, c.zone);
      if (day > 0 && timer->due - previous != hours(24)) {
        ++hours_23_or_25;
      }
      previous = timer->due;
      clock_.Set(timer->due);
      EXPECT_EQ(Fire(in), 1);
    }
    EXPECT_EQ(hours_23_or_25, 1);  // the change fell inside the week
    EXPECT_EQ(Outbound(kAna).back(), "Check-in");
    Send(in, kAna, "bye");  // ends the session (and its timers) for the next case's trigger
    EXPECT_FALSE(PendingNamed(kAna, "checkin").has_value());
  }
  EXPECT_EQ(in.Timers("fired"), 28);
  EXPECT_EQ(in.Timers("stale"), 0);
}

// Issue 10: check-ins missed while parley was down fire once (not one per missed day) when it
// starts again, and the schedule continues at the next 09:00 after now.
TEST_P(RecurringTimerTest, MissedCheckinsWhileDownFireOnceThenContinue) {
  {
    Instance& first = NewInstance();
    Send(first, kAna, "NY");
    instances_.clear();  // "down" for five days
  }
  clock_.Advance(days(5) + hours(5));  // 2026-03-10T17:00Z, 13:00 in New York
  Instance& second = NewInstance();
  EXPECT_EQ(Fire(second), 1);
  EXPECT_EQ(Outbound(kAna), (std::vector<std::string>{"Welcome", "Check-in"}));
  const auto next = PendingNamed(kAna, "checkin");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(flow::FormatLocal(next->due, "America/New_York"), "2026-03-11 09:00:00 -04:00");
  EXPECT_EQ(Fire(second), 0);  // no burst
  clock_.Set(next->due);
  EXPECT_EQ(Fire(second), 1);
  EXPECT_EQ(Outbound(kAna).size(), 3u);
}

// Issue 10: with PARLEY_TIMER_GRACE, an occurrence missed past the grace is not fired, but the
// recurrence goes on: the next occurrence is set in the same transaction.
TEST_P(RecurringTimerTest, OccurrencePastTheGraceIsMissedAndTheScheduleContinues) {
  SchedulerOptions options;
  options.grace = hours(1);
  Instance& in = NewInstance(options);
  Send(in, kAna, "NY");
  clock_.Advance(days(1) + hours(5));  // the first check-in (03-05 09:00 New York) is a day late
  EXPECT_EQ(Fire(in), 1);
  EXPECT_EQ(in.Timers("missed"), 1);
  EXPECT_EQ(Outbound(kAna), (std::vector<std::string>{"Welcome"}));
  const auto next = PendingNamed(kAna, "checkin");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(flow::FormatLocal(next->due, "America/New_York"), "2026-03-07 09:00:00 -05:00");
}

// Issue 10: cancel stops a recurring timer; a session that ends removes it.
TEST_P(RecurringTimerTest, CancelAndSessionEndStopTheRecurrence) {
  Instance& in = NewInstance();
  Send(in, kAna, "NY");
  Send(in, kBob, "NY");
  Send(in, kAna, "stop");
  Send(in, kBob, "bye");
  EXPECT_TRUE(Pending(kAna).empty());
  EXPECT_TRUE(Pending(kBob).empty());
  EXPECT_FALSE(Session(kBob).session.active());
  clock_.Advance(days(3));
  EXPECT_EQ(Fire(in), 0);
  EXPECT_EQ(Outbound(kAna), (std::vector<std::string>{"Welcome"}));
}

// Issue 10: a session with no inbound message for expire_after ends as `expired`, after the
// flow's on_expire goodbye (queued like a timer's message); each message pushes it back.
TEST_P(RecurringTimerTest, IdleSessionExpiresWithTheGoodbye) {
  Instance& in = NewInstance();
  Send(in, kAna, "EXP");
  clock_.Advance(days(1));
  Send(in, kAna, "still here");  // the expiry moves to two days from now
  clock_.Advance(days(1) + hours(12));
  EXPECT_EQ(Fire(in), 0);
  EXPECT_TRUE(Session(kAna).session.active());
  clock_.Advance(hours(12));
  EXPECT_EQ(Fire(in), 1);
  const store::SessionRecord s = Session(kAna);
  EXPECT_EQ(s.session.status, flow::SessionStatus::kExpired);
  EXPECT_EQ(s.end_reason, "expired");
  EXPECT_EQ(Outbound(kAna), (std::vector<std::string>{"Hello", "Got it", "Goodbye"}));
  EXPECT_TRUE(Pending(kAna).empty());
  EXPECT_NE(store_->RowCounts().value().find("timers=0"), std::string::npos);
}

// Issue 7: a message within the expiry's slack (1% of expire_after: 28.8 minutes of 2 days)
// does not rewrite the `@expire` row, so the row comes due before the session really expires;
// firing it sets it again for the real time (last message + expire_after), and only then does
// the session expire. Nothing is sent early.
TEST_P(RecurringTimerTest, AnExpiryRowThatTrailsAMessageIsDeferredToTheRealTime) {
  Instance& in = NewInstance();
  Send(in, kAna, "EXP");
  const auto written = PendingNamed(kAna, "@expire");
  ASSERT_TRUE(written.has_value());
  clock_.Advance(minutes(20));
  Send(in, kAna, "still here");
  const auto kept = PendingNamed(kAna, "@expire");
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->due, written->due);  // within the slack: the row was not written
  const TimePoint real = clock_.Now() + days(2);

  clock_.Set(written->due);
  EXPECT_EQ(Fire(in), 1);
  EXPECT_EQ(in.Timers("deferred"), 1);
  EXPECT_TRUE(Session(kAna).session.active());
  const auto deferred = PendingNamed(kAna, "@expire");
  ASSERT_TRUE(deferred.has_value());
  EXPECT_EQ(deferred->due, real);
  EXPECT_EQ(Outbound(kAna), (std::vector<std::string>{"Hello", "Got it"}));

  clock_.Set(real - std::chrono::seconds(1));
  EXPECT_EQ(Fire(in), 0);
  clock_.Set(real);
  EXPECT_EQ(Fire(in), 1);
  EXPECT_EQ(Session(kAna).session.status, flow::SessionStatus::kExpired);
  EXPECT_EQ(Outbound(kAna), (std::vector<std::string>{"Hello", "Got it", "Goodbye"}));
  EXPECT_EQ(in.Timers("fired"), 1);
}

// Issue 10: the check-in example end to end on the server path: the 09:00 Lima check-in, the
// reminder two hours later, and after three days of unanswered reminders the fourth morning's
// check-in says goodbye and ends the session (its recurring timer and expiry removed).
TEST_P(RecurringTimerTest, CheckinExampleEndsAfterThreeMissedCheckins) {
  Instance& in = NewInstance();
  clock_.Set(Utc("2026-03-05T12:00:00Z"));  // 07:00 in Lima
  Send(in, kAna, "JOIN");
  Send(in, kAna, "yes");
  Send(in, kAna, "Ana");
  const auto first = PendingNamed(kAna, "daily");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(flow::FormatLocal(first->due, "America/Lima"), "2026-03-05 09:00:00 -05:00");
  for (int day = 0; day < 3; ++day) {
    SCOPED_TRACE("day " + std::to_string(day + 1));
    const auto daily = PendingNamed(kAna, "daily");
    ASSERT_TRUE(daily.has_value());
    clock_.Set(daily->due);
    EXPECT_EQ(Fire(in), 1);
    EXPECT_EQ(Outbound(kAna).back(),
              "Hi Ana, did you check your blood sugar today? Reply YES or NO.");
    clock_.Advance(hours(2));
    EXPECT_EQ(Fire(in), 1);
    EXPECT_TRUE(Outbound(kAna).back().starts_with("Just a reminder, Ana"));
  }
  const auto fourth = PendingNamed(kAna, "daily");
  ASSERT_TRUE(fourth.has_value());
  EXPECT_EQ(flow::FormatLocal(fourth->due, "America/Lima"), "2026-03-08 09:00:00 -05:00");
  clock_.Set(fourth->due);
  EXPECT_EQ(Fire(in), 1);
  EXPECT_TRUE(Outbound(kAna).back().starts_with("We have not heard from you for three days"));
  EXPECT_EQ(Session(kAna).session.status, flow::SessionStatus::kCompleted);
  EXPECT_TRUE(Pending(kAna).empty());
  clock_.Advance(days(40));
  EXPECT_EQ(Fire(in), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, RecurringTimerTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::scheduler
