// The timer scheduler against real SQLite and PostgreSQL (issue 10, "timers fire"): each test
// builds what `parley serve` builds — Store, Service, Pipeline, Scheduler — over a fresh
// database, with a manual clock. "Instances" are several such stacks on one database.
#include "scheduler/scheduler.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "conversation/address.hpp"
#include "conversation/flow_catalog.hpp"
#include "conversation/service.hpp"
#include "flow/loader.hpp"
#include "scheduler/timer_notices.hpp"
#include "store/notifications.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/status_testing.hpp"

namespace parley::scheduler {
namespace {

using conversation::Event;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kOurNumber[] = "+15005550006";
constexpr char kAna[] = "+14155550101";
constexpr char kBob[] = "+14155550102";
constexpr char kCid[] = "+14155550103";
const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);

// ASK sets a one-shot reminder (`nudge`, the no-reply branch) and a `keep` timer (`daily`).
// "yes" cancels the reminder; any other text moves on without cancelling it (so it turns
// stale); "bye" completes the session; "soon" sets a timer due in a second.
constexpr char kRemindFlow[] = R"({
  "flow": "remind",
  "triggers": ["REMIND"],
  "states": [
    {"name": "ASK",
     "enter": [{"send": "Did you take your pill?"},
               {"timer": {"name": "nudge", "after": "1h"}},
               {"timer": {"name": "daily", "after": "1d", "keep": true}}],
     "states": [
       {"name": "NUDGED", "condition": {"timer": "nudge"},
        "enter": {"send": "Reminder: did you take your pill?"},
        "states": [{"name": "@DAILY", "condition": {"timer": "daily"},
                    "enter": {"send": "Daily check-in"}}]},
       {"name": "DONE", "condition": "yes", "enter": [{"cancel": "nudge"}, {"send": "Great."}],
        "states": [{"name": "@DAILY", "condition": {"timer": "daily"},
                    "enter": {"send": "Daily check-in"}}]},
       {"name": "BYE", "condition": {"reply": "bye"}, "enter": {"send": "Bye."}},
       {"name": "SOON", "condition": {"reply": "soon"},
        "enter": {"timer": {"name": "ping", "after": "1s"}},
        "states": [{"name": "PINGED", "condition": {"timer": "ping"}, "enter": {"send": "Ping!"}}]},
       {"name": "OTHER", "condition": "any_text", "enter": {"send": "Noted."},
        "states": [{"name": "@DAILY", "condition": {"timer": "daily"},
                    "enter": {"send": "Daily check-in"}}]}
     ]},
    {"name": "DAILY",
     "states": [{"name": "@DAILY", "condition": {"timer": "daily"},
                 "enter": {"send": "Daily check-in"}}]}
  ]
})";

// One instance: what the composition root builds around a store.
struct Instance {
  std::unique_ptr<store::Store> store;
  metrics::Registry registry;
  std::unique_ptr<conversation::Service> service;
  std::unique_ptr<conversation::Pipeline> pipeline;
  std::unique_ptr<Scheduler> scheduler;
  // Set by NewInstance(..., notify = true): wired as the composition root wires it.
  std::unique_ptr<store::Notifications> notifications;

  ~Instance() {
    if (scheduler) {
      scheduler->Stop();
    }
    if (pipeline) {
      pipeline->Stop();
    }
    if (notifications) {
      notifications->Stop();
    }
  }
  // parley_timers_total{outcome="..."}, 0 when never counted.
  int Timers(const std::string& outcome) const {
    const std::string text = registry.RenderText();
    const std::string key = "parley_timers_total{outcome=\"" + outcome + "\"} ";
    const size_t at = text.find(key);
    return at == std::string::npos ? 0 : std::stoi(text.substr(at + key.size()));
  }
};

SchedulerOptions Fast() {
  SchedulerOptions o;
  o.poll_interval = milliseconds(10);
  return o;
}

class SchedulerTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite() { parley::testing::PgCluster::StopShared(); }

  void SetUp() override {
    if (GetParam() == "postgres") {
      std::string error;
      auto* cluster = parley::testing::PgCluster::Shared(&error);
      ASSERT_NE(cluster, nullptr) << "cannot start PostgreSQL: " << error;
      static std::atomic<int> counter{0};
      ASSERT_OK_AND_ASSIGN(url_, cluster->CreateDatabase("sched" + std::to_string(++counter)));
    } else {
      char templ[] = "/tmp/parley-scheduler-XXXXXX";
      ASSERT_NE(mkdtemp(templ), nullptr);
      sqlite_dir_ = templ;
      url_ = "sqlite:" + sqlite_dir_ + "/parley.db";
    }
    ASSERT_OK_AND_ASSIGN(store_, store::OpenStore(url_));
    ASSERT_OK(store_->Migrate());
    flow::CompileOptions options;
    options.default_id = "remind";
    options.revision = "remind-rev1";
    flow::CompileResult compiled = flow::Compile(kRemindFlow, options);
    for (const flow::Diagnostic& d : compiled.diagnostics) {
      EXPECT_FALSE(d.is_error()) << flow::FormatDiagnostic(d, "remind");
    }
    ASSERT_NE(compiled.flow, nullptr);
    ASSERT_OK_AND_ASSIGN(catalog_, conversation::FlowCatalog::Build({compiled.flow}));
  }

  void TearDown() override {
    instances_.clear();
    store_.reset();
    if (!sqlite_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(sqlite_dir_, ec);
    }
  }

  // A new instance on the test's database; its scheduler is built, not started.
  // With `notify`, timers it sets are announced to the other instances and theirs wake its
  // scheduler (timer_notices.hpp), as in `parley serve`.
  Instance& NewInstance(SchedulerOptions scheduler = Fast(), int lanes = 2, bool notify = false) {
    auto in = std::make_unique<Instance>();
    in->store = store::OpenStore(url_).value();
    conversation::ServiceOptions service;
    service.sms_from = kOurNumber;
    auto catalog = catalog_;
    in->service = std::make_unique<conversation::Service>([catalog] { return catalog; }, service,
                                                          in->registry);
    conversation::PipelineOptions pipeline;
    pipeline.lanes = lanes;
    in->pipeline = std::make_unique<conversation::Pipeline>(*in->store, *in->service, clock_,
                                                            pipeline, in->registry);
    in->scheduler = std::make_unique<Scheduler>(*in->store, *in->pipeline, clock_,
                                                std::move(scheduler), in->registry);
    Scheduler* s = in->scheduler.get();
    if (notify) {
      in->notifications = store::OpenNotifications(url_).value();
      EXPECT_OK(ListenForTimers(*in->notifications, *s));
      in->notifications->Start();
    }
    store::Notifications* n = in->notifications.get();
    in->pipeline->set_on_timer_set([this, s, n](TimePoint due) {
      s->Wake(due);
      if (n != nullptr) {
        AnnounceTimer(*n, due, clock_.Now(), s->poll_interval());
      }
    });
    in->pipeline->Start();
    instances_.push_back(std::move(in));
    return *instances_.back();
  }

  static Event Sms(std::string_view from, std::string body, std::string to = kOurNumber) {
    static std::atomic<int> next{0};
    conversation::InboundMessage m;
    m.to = std::move(to);
    const std::string digits = std::to_string(++next);
    m.message_sid = "SM" + std::string(32 - digits.size(), '0') + digits;
    m.body = std::move(body);
    return Event{conversation::ParseAddress(from).value(), std::move(m),
                 conversation::ReplyMode::kQueued};
  }
  void Send(Instance& in, std::string_view from, std::string body) {
    ASSERT_OK(in.pipeline->Run(Sms(from, std::move(body))).status());
  }
  // Fires what is due at the clock's time and waits for the events to be applied.
  int Fire(Instance& in) {
    auto fired = in.scheduler->FireDue();
    EXPECT_OK(fired.status());
    in.scheduler->WaitIdle();
    return fired.ok() ? *fired : -1;
  }

  // The contact's outbound bodies, oldest first, each "BODY/STATUS".
  std::vector<std::string> Outbound(std::string_view address) {
    std::vector<std::string> out;
    auto contact = store_->FindContact(address).value();
    if (!contact) {
      return out;
    }
    const auto messages = store_->Messages(contact->id).value();
    for (const store::MessageRecord& m : messages) {
      if (m.direction == store::MessageRecord::Direction::kOutbound) {
        out.push_back(m.body + "/" + std::string(store::MessageStatusName(m.status)));
      }
    }
    return out;
  }
  store::SessionRecord Session(std::string_view address) {
    auto contact = store_->FindContact(address).value();
    return store_->LatestSession(contact.value().id).value().value();
  }
  // The session's pending timers, "name@minutes-after-kT0".
  std::vector<std::string> Pending(std::string_view address) {
    std::vector<std::string> out;
    const auto timers = store_->Timers(Session(address).id).value();
    for (const store::TimerRecord& t : timers) {
      out.push_back(t.name + "@" +
                    std::to_string(std::chrono::duration_cast<minutes>(t.due - kT0).count()));
    }
    return out;
  }
  template <typename Pred>
  static bool WaitFor(Pred pred, Duration limit = seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
      if (std::chrono::steady_clock::now() > until) {
        return false;
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
    return true;
  }

  std::string url_;
  std::string sqlite_dir_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<const conversation::FlowCatalog> catalog_;
  ManualClock clock_{kT0};
  std::vector<std::unique_ptr<Instance>> instances_;
};

const std::vector<std::string> kAsked = {"Did you take your pill?/queued"};

// Issue 10: a reminder (`after`) fires once due, as a no-reply branch, and its message is
// queued in the outbox like any REST reply.
TEST_P(SchedulerTest, ReminderFiresWhenDueAndQueuesItsMessage) {
  Instance& in = NewInstance();
  Send(in, kAna, "REMIND");
  EXPECT_EQ(Outbound(kAna), kAsked);
  EXPECT_EQ(Pending(kAna), (std::vector<std::string>{"nudge@60", "daily@1440"}));

  clock_.Advance(minutes(59));
  EXPECT_EQ(Fire(in), 0);
  EXPECT_EQ(Outbound(kAna), kAsked);

  clock_.Advance(minutes(1));
  EXPECT_EQ(Fire(in), 1);
  EXPECT_EQ(Outbound(kAna), (std::vector<std::string>{"Did you take your pill?/queued",
                                                      "Reminder: did you take your pill?/queued"}));
  EXPECT_EQ(Session(kAna).session.state, "NUDGED");
  EXPECT_EQ(Pending(kAna), (std::vector<std::string>{"daily@1440"}));
  EXPECT_EQ(in.Timers("fired"), 1);
  EXPECT_NE(store_->RowCounts().value().find("outbox=2"), std::string::npos);

  clock_.Advance(hours(5));
  EXPECT_EQ(Fire(in), 0);  // fired once only
}

// Issue 10: a timer's message goes out from the number the contact wrote to, as a reply
// would, not from the configured sender.
TEST_P(SchedulerTest, ReminderGoesOutFromTheNumberTheContactWroteTo) {
  constexpr char kOtherNumber[] = "+15005550009";
  Instance& in = NewInstance();
  ASSERT_OK(in.pipeline->Run(Sms(kAna, "REMIND", kOtherNumber)).status());
  clock_.Advance(hours(1));
  EXPECT_EQ(Fire(in), 1);
  const auto contact = store_->FindContact(kAna).value().value();
  const auto messages = store_->Messages(contact.id).value();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[2].body, "Reminder: did you take your pill?");
  EXPECT_EQ(messages[2].from, kOtherNumber);
  EXPECT_EQ(messages[2].to, kAna);
}

// Issue 10: a timer whose session moved since it was set is dropped, not fired.
TEST_P(SchedulerTest, StaleTimerIsDropped) {
  Instance& in = NewInstance();
  Send(in, kAna, "REMIND");
  Send(in, kAna, "maybe later");  // moves to OTHER without cancelling the reminder
  EXPECT_EQ(Pending(kAna), (std::vector<std::string>{"nudge@60", "daily@1440"}));

  clock_.Advance(hours(1));
  EXPECT_EQ(Fire(in), 1);
  EXPECT_EQ(Outbound(kAna),
            (std::vector<std::string>{"Did you take your pill?/queued", "Noted./queued"}));
  EXPECT_EQ(Session(kAna).session.state, "OTHER");
  EXPECT_EQ(Pending(kAna), (std::vector<std::string>{"daily@1440"}));
  EXPECT_EQ(in.Timers("stale"), 1);
  EXPECT_EQ(in.Timers("fired"), 0);
}

// Issue 10: a `keep` timer fires whatever happened since it was set.
TEST_P(SchedulerTest, KeepTimerFiresAfterTheSessionMoved) {
  Instance& in = NewInstance();
  Send(in, kAna, "REMIND");
  Send(in, kAna, "maybe later");
  clock_.Advance(hours(24));
  EXPECT_EQ(Fire(in), 2);  // the stale reminder and the daily timer
  EXPECT_EQ(Outbound(kAna), (std::vector<std::string>{"Did you take your pill?/queued",
                                                      "Noted./queued", "Daily check-in/queued"}));
  EXPECT_EQ(Session(kAna).session.state, "DAILY");
  EXPECT_TRUE(Pending(kAna).empty());
  EXPECT_EQ(in.Timers("fired"), 1);
  EXPECT_EQ(in.Timers("stale"), 1);
}

// Issue 10: `cancel` removes the timer by name; it never fires.
TEST_P(SchedulerTest, CancelledTimerNeverFires) {
  Instance& in = NewInstance();
  Send(in, kAna, "REMIND");
  Send(in, kAna, "yes");
  EXPECT_EQ(Pending(kAna), (std::vector<std::string>{"daily@1440"}));
  clock_.Advance(hours(2));
  EXPECT_EQ(Fire(in), 0);
  EXPECT_EQ(Outbound(kAna),
            (std::vector<std::string>{"Did you take your pill?/queued", "Great./queued"}));
}

// Issue 10: a session that ends removes its timers.
TEST_P(SchedulerTest, EndedSessionRemovesItsTimers) {
  Instance& in = NewInstance();
  Send(in, kAna, "REMIND");
  Send(in, kAna, "bye");
  EXPECT_FALSE(Session(kAna).session.active());
  EXPECT_TRUE(Pending(kAna).empty());
  clock_.Advance(hours(48));
  EXPECT_EQ(Fire(in), 0);
  EXPECT_EQ(Outbound(kAna).size(), 2u);
}

// Issue 10: timers overdue while parley was down fire when a new scheduler starts on the same
// database, oldest first.
TEST_P(SchedulerTest, OverdueTimersFireOldestFirstAfterARestart) {
  {
    Instance& first = NewInstance();
    Send(first, kCid, "REMIND");  // due at +60m
    clock_.Advance(minutes(10));
    Send(first, kAna, "REMIND");  // +70m
    clock_.Advance(minutes(10));
    Send(first, kBob, "REMIND");  // +80m
    instances_.clear();           // "down"
  }
  clock_.Advance(hours(5));
  Instance& second = NewInstance(Fast(), /*lanes=*/1);  // one lane: applied in claim order
  second.scheduler->Start();
  ASSERT_TRUE(WaitFor([&] { return second.Timers("fired") == 3; })) << second.Timers("fired");
  second.scheduler->WaitIdle();  // counted when applied; committed when answered
  // The reminders' message ids follow the order they fired in.
  std::map<int64_t, std::string> order;
  for (const char* who : {kAna, kBob, kCid}) {
    const auto contact = store_->FindContact(who).value().value();
    const auto messages = store_->Messages(contact.id).value();
    for (const store::MessageRecord& m : messages) {
      if (m.body.starts_with("Reminder")) {
        order[m.id] = who;
      }
    }
  }
  std::vector<std::string> fired;
  for (const auto& [id, who] : order) {
    fired.push_back(who);
  }
  EXPECT_EQ(fired, (std::vector<std::string>{kCid, kAna, kBob}));
}

// Issue 10: with PARLEY_TIMER_GRACE, a timer overdue by more than the grace is recorded as
// missed (log and metric) and removed instead of firing.
TEST_P(SchedulerTest, TimerPastTheGraceIsMissedNotFired) {
  SchedulerOptions options = Fast();
  options.grace = hours(1);
  std::vector<std::string> logs;
  options.log = [&](std::string_view m) { logs.emplace_back(m); };
  Instance& in = NewInstance(options);
  Send(in, kAna, "REMIND");
  clock_.Advance(hours(3));  // the reminder is 2h overdue
  EXPECT_EQ(Fire(in), 1);
  EXPECT_EQ(Outbound(kAna), kAsked);
  EXPECT_EQ(Session(kAna).session.state, "ASK");
  EXPECT_EQ(Pending(kAna), (std::vector<std::string>{"daily@1440"}));
  EXPECT_EQ(in.Timers("missed"), 1);
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_NE(logs[0].find("'nudge'"), std::string::npos) << logs[0];
  EXPECT_NE(logs[0].find("missed"), std::string::npos) << logs[0];

  clock_.Advance(hours(21) + minutes(30));  // the daily timer is 30 minutes overdue: fires
  EXPECT_EQ(Fire(in), 1);
  EXPECT_EQ(in.Timers("fired"), 1);
}

// Issue 10: a commit that sets a timer due sooner than the scheduler's planned wake-up wakes
// it (the pipeline's on-commit hook), so it need not poll tightly.
TEST_P(SchedulerTest, CommitSettingASoonerTimerWakesTheScheduler) {
  SchedulerOptions options;
  options.poll_interval = hours(1);  // without the wake-up nothing would fire for an hour
  Instance& in = NewInstance(options);
  in.scheduler->Start();
  Send(in, kAna, "REMIND");
  Send(in, kAna, "soon");  // a timer due in 1 s
  clock_.Advance(seconds(1));
  ASSERT_TRUE(WaitFor([&] { return in.Timers("fired") == 1; }, seconds(10)));
  in.scheduler->WaitIdle();
  EXPECT_EQ(Outbound(kAna).back(), "Ping!/queued");
}

// Issue 10 (LISTEN/NOTIFY): a timer set on instance A wakes the idle scheduler of instance
// B through NOTIFY, well before B's safety poll (an hour here). A's own scheduler is not
// running, so only B can fire it.
TEST_P(SchedulerTest, TimerSetOnOneInstanceWakesAnotherThroughNotify) {
  if (GetParam() != "postgres") {
    GTEST_SKIP() << "NOTIFY needs PostgreSQL";
  }
  SchedulerOptions options;
  options.poll_interval = hours(1);
  Instance& a = NewInstance(options, 2, true);
  Instance& b = NewInstance(options, 2, true);
  b.scheduler->Start();
  ASSERT_TRUE(WaitFor([&] {
    return a.notifications->counts().connects == 1 && b.notifications->counts().connects == 1;
  }));
  Send(a, kAna, "REMIND");
  // Let B settle into its long sleep (until the reminder, an hour away).
  std::this_thread::sleep_for(milliseconds(200));
  const auto sent = std::chrono::steady_clock::now();
  Send(a, kAna, "soon");  // a timer due in 1 s, set on A
  clock_.Advance(seconds(1));
  ASSERT_TRUE(WaitFor([&] { return b.Timers("fired") == 1; }, seconds(10)));
  const auto woke_after = std::chrono::steady_clock::now() - sent;
  EXPECT_LT(woke_after, seconds(3));
  EXPECT_EQ(a.Timers("fired"), 0);
  EXPECT_GE(b.notifications->counts().received, 1);
  b.scheduler->WaitIdle();
  EXPECT_EQ(Outbound(kAna).back(), "Ping!/queued");
}

// Issue 10: two schedulers on one PostgreSQL fire 1,000 due timers, each exactly once, even
// with a lease so short that claims run out while their events are in flight (a timer is then
// claimed again, and its second event finds it gone).
TEST_P(SchedulerTest, TwoSchedulersFireEachOfAThousandTimersOnce) {
  if (GetParam() != "postgres") {
    GTEST_SKIP() << "several instances need PostgreSQL";
  }
  constexpr int kTimers = 1000;
  {
    ASSERT_OK_AND_ASSIGN(auto tx, store_->Begin());
    for (int i = 0; i < kTimers; ++i) {
      const auto address = conversation::ParseAddress("+1415556" + std::to_string(1000 + i));
      ASSERT_OK(address.status());
      store::ContactRecord init = conversation::NewContactRecord(*address, kT0);
      ASSERT_OK_AND_ASSIGN(const store::ContactRecord contact, tx->LockContact(init));
      store::SessionRecord s;
      s.contact_id = contact.id;
      s.flow_revision = "remind-rev1";
      s.session.flow_id = "remind";
      s.session.state = "ASK";
      s.session.step = 1;
      s.started_at = s.updated_at = kT0;
      ASSERT_OK(tx->SaveSession(s));
      ASSERT_OK(tx->SetTimer({s.id, "nudge", kT0 + milliseconds(i), 1, false}));
    }
    ASSERT_OK(tx->Commit());
  }
  clock_.Advance(hours(1));
  SchedulerOptions options = Fast();
  options.batch = 50;
  options.lease = milliseconds(50);
  Instance& a = NewInstance(options);
  Instance& b = NewInstance(options);
  a.scheduler->Start();
  b.scheduler->Start();
  ASSERT_TRUE(WaitFor([&] { return a.Timers("fired") + b.Timers("fired") >= kTimers; }))
      << a.Timers("fired") << " + " << b.Timers("fired");
  a.scheduler->Stop();
  b.scheduler->Stop();
  EXPECT_EQ(a.Timers("fired") + b.Timers("fired"), kTimers);
  EXPECT_GT(a.Timers("fired"), 0);
  EXPECT_GT(b.Timers("fired"), 0);
  const std::string counts = store_->RowCounts().value();
  EXPECT_NE(counts.find("messages=1000 outbox=1000 timers=0"), std::string::npos) << counts;
}

INSTANTIATE_TEST_SUITE_P(Backends, SchedulerTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace parley::scheduler
