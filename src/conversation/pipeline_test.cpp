// conversation::Pipeline in process, on SQLite and PostgreSQL: batches (one transaction,
// events in savepoints), store failures through FaultyStore, per-contact order, backpressure,
// stopping, metrics.
//
// Several events land in one batch when they are queued while the lane is busy: the tests
// block the lane in BeginBatch (FaultyStore::Block) with a first event, queue the others,
// then unblock; the lane then takes everything queued as its next batch.
#include "conversation/pipeline.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "conversation/conversation_test_fixture.hpp"
#include "test/fakes/faulty_store.hpp"

namespace parley::conversation::testing {
namespace {

using fakes::FaultyStore;
using fakes::StoreOp;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Collects the results of submitted events, by the index the test gave them, and the order
// in which `done` was called. The callbacks share its state, so a test that ends early
// (a failed assertion) leaves nothing dangling for the lanes still running.
class Results {
 public:
  Pipeline::Done For(int index) {
    return [state = state_, index](Result<Outcome> r) {
      {
        std::lock_guard lock(state->mu);
        state->results.emplace(index, std::move(r));
        state->order.push_back(index);
      }
      state->cv.notify_all();
    };
  }
  // Waits until `n` results arrived; false after kWait.
  bool Wait(size_t n) {
    std::unique_lock lock(state_->mu);
    return state_->cv.wait_for(lock, kWait, [&] { return state_->order.size() >= n; });
  }
  Result<Outcome> at(int index) {
    std::lock_guard lock(state_->mu);
    const auto it = state_->results.find(index);
    return it == state_->results.end() ? Result<Outcome>(Status::Internal("no result"))
                                       : it->second;
  }
  std::vector<int> order() {
    std::lock_guard lock(state_->mu);
    return state_->order;
  }
  size_t size() {
    std::lock_guard lock(state_->mu);
    return state_->order.size();
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::map<int, Result<Outcome>> results;
    std::vector<int> order;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

class PipelineTest : public ConversationTest {
 protected:
  void SetUp() override {
    ConversationTest::SetUp();
    if (!HasFatalFailure() && !IsSkipped()) {
      faulty_ = std::make_unique<FaultyStore>(*store_);
    }
  }
  void TearDown() override {
    if (faulty_) {
      faulty_->Unblock(StoreOp::kBeginBatch);
    }
    pipeline_.reset();
    faulty_.reset();
    ConversationTest::TearDown();
  }
  void StartFaulty(PipelineOptions options = {}) {
    StartPipeline(std::move(options), DefaultServiceOptions(), faulty_.get());
  }
  // Submits `first`, waits until its batch is blocked in BeginBatch, then submits `rest`
  // (indices 1..n), which the lane takes as its next batch once Unblock is called. Leaves
  // the lane blocked.
  void SubmitBehindABlockedBatch(Event first, std::vector<Event> rest, Results& results) {
    faulty_->Block(StoreOp::kBeginBatch);
    const int blocked = faulty_->Calls(StoreOp::kBeginBatch) + 1;
    ASSERT_OK(pipeline_->Submit(std::move(first), results.For(0)));
    ASSERT_TRUE(faulty_->WaitBlocked(StoreOp::kBeginBatch, 1, kWait));
    ASSERT_EQ(faulty_->Calls(StoreOp::kBeginBatch), blocked);
    for (size_t i = 0; i < rest.size(); ++i) {
      ASSERT_OK(pipeline_->Submit(std::move(rest[i]), results.For(static_cast<int>(i) + 1)));
    }
  }

  std::unique_ptr<FaultyStore> faulty_;
};

INSTANTIATE_TEST_SUITE_P(Backends, PipelineTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(PipelineTest, EventsQueuedTogetherAreAppliedAsOneBatch) {
  StartFaulty();
  Results results;
  ASSERT_NO_FATAL_FAILURE(SubmitBehindABlockedBatch(
      Sms(kAna, "JOIN"), {Sms(kBob, "JOIN"), Sms(kCid, "TALLY"), Sms(kAna, "yes")}, results));
  const int batches_before = faulty_->Calls(StoreOp::kBatchCommit);
  faulty_->Unblock(StoreOp::kBeginBatch);
  ASSERT_TRUE(results.Wait(4));
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK(results.at(i));
  }
  EXPECT_THAT(Bodies(*results.at(3)), ElementsAre("Great! What is your first name?"));
  EXPECT_THAT(Bodies(*results.at(2)), ElementsAre("counting"));
  // Two batches: the blocked one, then the three queued behind it in one transaction.
  EXPECT_EQ(faulty_->Calls(StoreOp::kBatchCommit) - batches_before, 2);
  EXPECT_EQ(faulty_->Calls(StoreOp::kBeginEvent), 4);
  EXPECT_THAT(Metrics(), HasSubstr("parley_pipeline_batch_size_bucket{le=\"2\"} 1\n"));
  EXPECT_THAT(Metrics(), HasSubstr("parley_pipeline_batch_size_bucket{le=\"4\"} 2\n"));
  EXPECT_THAT(Metrics(), HasSubstr("parley_pipeline_batch_size_sum 4\n"));
  EXPECT_EQ(results.order(), (std::vector<int>{0, 1, 2, 3}));
}

TEST_P(PipelineTest, AFailedBatchCommitFailsEveryEventOfTheBatchAndWritesNothing) {
  StartFaulty();
  ASSERT_OK(Run(Sms(kAna, "JOIN")).status());
  const std::string before = Counts();
  const Event bob_join = Sms(kBob, "JOIN");
  Results results;
  ASSERT_NO_FATAL_FAILURE(SubmitBehindABlockedBatch(
      Sms(kAna, "yes"), {bob_join, Sms(kCid, "TALLY"), StartEvent(kAna, "tally")}, results));
  // The blocked batch commits; the next one (the three queued events) does not.
  faulty_->FailNth(StoreOp::kBatchCommit, 2);
  faulty_->Unblock(StoreOp::kBeginBatch);
  ASSERT_TRUE(results.Wait(4));
  ASSERT_OK(results.at(0));
  const std::string after_first = Counts();
  EXPECT_NE(after_first, before);
  for (int i = 1; i < 4; ++i) {
    ASSERT_FALSE(results.at(i).ok()) << i;
    EXPECT_EQ(results.at(i).status().code(), StatusCode::kUnavailable) << i;
  }
  EXPECT_FALSE(Contact(kBob).has_value());
  EXPECT_FALSE(Contact(kCid).has_value());
  EXPECT_EQ(Session(kAna)->session.flow_id, "checkin");
  EXPECT_EQ(Session(kAna)->session.state, "ASK_NAME");
  EXPECT_THAT(Metrics(), HasSubstr("parley_pipeline_failed_batches_total 1\n"));

  // Twilio retries: the same MessageSids are applied (once), nothing was kept to dedupe.
  ASSERT_OK_AND_ASSIGN(Outcome retry, Run(bob_join));
  EXPECT_FALSE(retry.duplicate);
  EXPECT_EQ(retry.session_state, "OPTIN");
}

// A 200 means durable: an event is answered only once its batch is, while the lane goes on
// with the next batch (SQLite: the WAL's fsync runs beside it; docs/architecture.md,
// "Durability on SQLite").
TEST_P(PipelineTest, AnEventIsAnsweredOnlyOnceItsBatchIsDurable) {
  StartFaulty();
  faulty_->Block(StoreOp::kBatchDurable);
  Results results;
  ASSERT_OK(pipeline_->Submit(Sms(kAna, "JOIN"), results.For(0)));
  ASSERT_TRUE(faulty_->WaitBlocked(StoreOp::kBatchDurable, 1, kWait));
  // Committed and visible, not yet answered.
  EXPECT_TRUE(Contact(kAna).has_value());
  EXPECT_EQ(results.size(), 0u);
  if (!postgres()) {
    // SQLite reports durability on its syncer's thread: the lane takes the next batch
    // meanwhile, and it too is committed before either is answered.
    ASSERT_OK(pipeline_->Submit(Sms(kBob, "JOIN"), results.For(1)));
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    while (!Contact(kBob).has_value() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_TRUE(Contact(kBob).has_value());
    EXPECT_EQ(results.size(), 0u);
  }
  faulty_->Unblock(StoreOp::kBatchDurable);
  ASSERT_TRUE(results.Wait(postgres() ? 1 : 2));
  ASSERT_OK(results.at(0));
  EXPECT_EQ(results.order().front(), 0);
}

// A batch whose writes could not be made durable (a failed fsync) fails its events: Twilio
// retries them, and the retry is recognised as a duplicate if the writes survived after all.
TEST_P(PipelineTest, ABatchThatCannotBeMadeDurableFailsItsEvents) {
  StartFaulty();
  faulty_->FailNth(StoreOp::kBatchDurable, 1, Status::Unavailable("fsync failed"));
  const Event join = Sms(kAna, "JOIN");
  auto failed = Run(join);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(Metrics(), HasSubstr("parley_pipeline_failed_batches_total 1\n"));
  ASSERT_OK_AND_ASSIGN(Outcome retry, Run(join));
  EXPECT_TRUE(retry.duplicate);
}

TEST_P(PipelineTest, AFailedStatementRollsBackOnlyItsEvent) {
  StartFaulty();
  Results results;
  std::vector<Event> rest;
  const std::vector<std::string> contacts = {kAna, kBob, kCid, "+14155550104", "+14155550105"};
  for (const std::string& c : contacts) {
    rest.push_back(Sms(c, "JOIN"));
  }
  ASSERT_NO_FATAL_FAILURE(
      SubmitBehindABlockedBatch(Sms("+14155550100", "hello"), std::move(rest), results));
  // The blocked event saves no session; the queued ones save one each: fail Cid's.
  faulty_->FailNth(StoreOp::kSaveSession, 3);
  faulty_->Unblock(StoreOp::kBeginBatch);
  ASSERT_TRUE(results.Wait(6));
  for (int i : {0, 1, 2, 4, 5}) {
    ASSERT_OK(results.at(i));
  }
  ASSERT_FALSE(results.at(3).ok());
  EXPECT_EQ(results.at(3).status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(Metrics(), HasSubstr("parley_pipeline_failed_batches_total 0\n"));

  for (const char* c : {kAna, kBob, "+14155550104", "+14155550105"}) {
    ASSERT_TRUE(Session(c).has_value()) << c;
    EXPECT_EQ(Session(c)->session.state, "OPTIN") << c;
    EXPECT_EQ(Messages(c).size(), 2u) << c;
  }
  // Cid's event left nothing behind but the contact, which the batch locked up front.
  EXPECT_FALSE(Session(kCid).has_value());
  EXPECT_THAT(Messages(kCid), IsEmpty());
  // Each session's expiry timer (the example's expire_after).
  EXPECT_EQ(Counts(), "contacts=6 sessions=4 messages=9 outbox=4 timers=4 flows=0");
  // The failed event can be retried.
  EXPECT_THAT(Replies(Sms(kCid, "JOIN")), ElementsAre(HasSubstr("daily blood sugar")));
}

TEST_P(PipelineTest, AFailedEventCommitRollsBackOnlyThatEvent) {
  StartFaulty();
  Results results;
  ASSERT_NO_FATAL_FAILURE(SubmitBehindABlockedBatch(
      Sms(kAna, "TALLY"), {Sms(kAna, "a"), Sms(kAna, "b"), Sms(kAna, "c")}, results));
  // Event commits so far: one per applied event. Fail the one of "b".
  faulty_->FailNth(StoreOp::kCommit, 3);
  faulty_->Unblock(StoreOp::kBeginBatch);
  ASSERT_TRUE(results.Wait(4));
  ASSERT_OK(results.at(1));
  ASSERT_FALSE(results.at(2).ok());
  ASSERT_OK(results.at(3));
  // "c" saw the batch as "a" left it: b's writes were rolled back before c ran.
  EXPECT_THAT(Bodies(*results.at(3)), ElementsAre("got c as 2"));
  EXPECT_EQ(Session(kAna)->session.vars.Find("log")->as_string(), "start a c");
  EXPECT_THAT(Log(kAna), ElementsAre("in:TALLY", "out:counting:queued", "in:a",
                                     "out:got a as 1:queued", "in:c", "out:got c as 2:queued"));
}

TEST_P(PipelineTest, ABatchThatCannotBeginFailsItsEventsAndTheRetryIsAppliedOnce) {
  StartFaulty();
  faulty_->FailNth(StoreOp::kBeginBatch, 1);
  const Event join = Sms(kAna, "JOIN");
  auto failed = Run(join);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Counts(), "contacts=0 sessions=0 messages=0 outbox=0 timers=0 flows=0");
  ASSERT_OK_AND_ASSIGN(Outcome retry, Run(join));
  EXPECT_FALSE(retry.duplicate);
  EXPECT_THAT(Bodies(retry), ElementsAre(HasSubstr("daily blood sugar")));
  ASSERT_OK_AND_ASSIGN(Outcome again, Run(join));
  EXPECT_TRUE(again.duplicate);
  // Locking the batch's contacts can fail too.
  faulty_->FailNth(StoreOp::kLockContacts, 1, Status::Internal("lock failed"));
  auto lock_failed = Run(Sms(kBob, "JOIN"));
  ASSERT_FALSE(lock_failed.ok());
  EXPECT_EQ(lock_failed.status().code(), StatusCode::kInternal);
  EXPECT_FALSE(Contact(kBob).has_value());
  EXPECT_THAT(Metrics(), HasSubstr("parley_pipeline_failed_batches_total 2\n"));
}

TEST_P(PipelineTest, OneContactsConcurrentEventsAreAppliedOnceEachInSubmissionOrder) {
  PipelineOptions options;
  options.lanes = 4;  // PostgreSQL: other contacts run on other lanes meanwhile
  options.max_batch = 8;
  StartPipeline(options);
  ASSERT_THAT(Replies(Sms(kAna, "TALLY")), ElementsAre("counting"));
  ASSERT_THAT(Replies(Sms(kBob, "TALLY")), ElementsAre("counting"));

  constexpr int kMessages = 50;
  Results results;
  std::mutex submit_mu;
  std::vector<int> submitted;  // the order the events entered the queue
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kMessages; ++i) {
    threads.emplace_back([&, i] {
      // Bob's events interleave on their own lane (or the same one, on SQLite).
      (void)pipeline_->Submit(Sms(kBob, "b" + std::to_string(i)), [](Result<Outcome>) {});
      std::lock_guard lock(submit_mu);
      if (pipeline_->Submit(Sms(kAna, "m" + std::to_string(i)), results.For(i)).ok()) {
        submitted.push_back(i);
      } else {
        ++refused;
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  ASSERT_EQ(refused.load(), 0);
  ASSERT_TRUE(results.Wait(kMessages));
  EXPECT_EQ(results.order(), submitted);  // answered in queue order
  std::string expected_log = "start";
  std::vector<std::string> expected_messages = {"in:TALLY", "out:counting:queued"};
  for (size_t k = 0; k < submitted.size(); ++k) {
    const std::string m = "m" + std::to_string(submitted[k]);
    ASSERT_OK(results.at(submitted[k]));
    // Applied in queue order: the k-th event saw k events before it.
    EXPECT_THAT(Bodies(*results.at(submitted[k])),
                ElementsAre("got " + m + " as " + std::to_string(k + 1)));
    expected_log += " " + m;
    expected_messages.push_back("in:" + m);
    expected_messages.push_back("out:got " + m + " as " + std::to_string(k + 1) + ":queued");
  }
  const auto session = Session(kAna);
  EXPECT_EQ(session->session.step, static_cast<uint64_t>(kMessages));
  EXPECT_EQ(session->session.vars.Find("n")->as_number(), kMessages);
  EXPECT_EQ(session->session.vars.Find("log")->as_string(), expected_log);
  EXPECT_EQ(Log(kAna), expected_messages);

  // Bob's 50 were applied too, each once (their relative order is not defined here).
  pipeline_->Stop();
  const auto bob = Session(kBob);
  EXPECT_EQ(bob->session.vars.Find("n")->as_number(), kMessages);
  std::istringstream words(bob->session.vars.Find("log")->as_string());
  std::multiset<std::string> seen;
  std::string word;
  while (words >> word) {
    seen.insert(word);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages) + 1);
  for (int i = 0; i < kMessages; ++i) {
    EXPECT_EQ(seen.count("b" + std::to_string(i)), 1u) << i;
  }
}

// Backpressure: Submit never blocks. An event queued beyond the lane's room waits at most
// enqueue_timeout for the lane; one the lane reaches later is answered kUnavailable and not
// applied.
TEST_P(PipelineTest, AnEventThatWaitsForRoomTooLongIsAnsweredUnavailableUnapplied) {
  PipelineOptions options;
  options.lanes = 1;
  options.queue_capacity = 2;
  options.enqueue_timeout = std::chrono::milliseconds(100);
  StartFaulty(options);
  Results results;
  const auto started = std::chrono::steady_clock::now();
  // The lane holds A; B and C fit in its room; D and E are over it.
  ASSERT_NO_FATAL_FAILURE(
      SubmitBehindABlockedBatch(Sms(kAna, "JOIN"),
                                {Sms(kBob, "JOIN"), Sms(kCid, "JOIN"), Sms("+14155550104", "JOIN"),
                                 Sms("+14155550105", "JOIN")},
                                results));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_THAT(Metrics(), HasSubstr("parley_pipeline_queue_depth 4\n"));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // past D's and E's deadline
  faulty_->Unblock(StoreOp::kBeginBatch);
  ASSERT_TRUE(results.Wait(5));
  for (int i = 0; i < 3; ++i) {
    EXPECT_OK(results.at(i));
  }
  for (int i = 3; i < 5; ++i) {
    ASSERT_FALSE(results.at(i).ok()) << i;
    EXPECT_EQ(results.at(i).status().code(), StatusCode::kUnavailable);
    EXPECT_THAT(results.at(i).status().message(), HasSubstr("full"));
  }
  EXPECT_EQ(Session(kCid)->session.state, "OPTIN");
  EXPECT_FALSE(Contact("+14155550104").has_value());
  EXPECT_FALSE(Contact("+14155550105").has_value());
  EXPECT_THAT(Metrics(), HasSubstr("parley_pipeline_rejected_total 2\n"));
  EXPECT_THAT(Metrics(), HasSubstr("parley_pipeline_queue_depth 0\n"));
  // The lane is free again: a new event is applied.
  EXPECT_THAT(Replies(Sms("+14155550106", "JOIN")), ElementsAre(HasSubstr("daily blood sugar")));
}

// Issue 8 item 8: with the database stuck, a webhook waited as long as the database did
// (21 s; Twilio gives up at 15 s). Every event is answered within its budget, stuck where
// it may be (here: waiting for the batch, then inside a statement), and the late lane
// neither answers again nor writes anything.
TEST_P(PipelineTest, AnEventPastItsBudgetIsAnsweredUnavailableInTimeAndWritesNothing) {
  constexpr auto kBudget = std::chrono::milliseconds(300);
  constexpr auto kSlack = std::chrono::milliseconds(1500);
  PipelineOptions options;
  options.event_timeout = kBudget;
  StartFaulty(options);
  for (const StoreOp stuck : {StoreOp::kBeginBatch, StoreOp::kInsertInbound}) {
    SCOPED_TRACE(StoreOpName(stuck));
    const std::string who = stuck == StoreOp::kBeginBatch ? kBob : kCid;
    const std::string next = stuck == StoreOp::kBeginBatch ? kAna : "+14155550104";
    faulty_->Block(stuck);
    Results results;
    const auto started = std::chrono::steady_clock::now();
    ASSERT_OK(pipeline_->Submit(Sms(who, "JOIN"), results.For(0)));
    ASSERT_TRUE(results.Wait(1));
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_GE(waited, kBudget);
    EXPECT_LT(waited, kBudget + kSlack);
    ASSERT_FALSE(results.at(0).ok());
    EXPECT_EQ(results.at(0).status().code(), StatusCode::kUnavailable);
    EXPECT_THAT(results.at(0).status().message(), HasSubstr("budget of 300 ms"));
    EXPECT_TRUE(faulty_->WaitBlocked(stuck, 1, kWait));

    // The database answers at last: the lane goes on, and the next event is applied.
    faulty_->Unblock(stuck);
    EXPECT_THAT(Replies(Sms(next, "JOIN")), ElementsAre(HasSubstr("daily blood sugar")));
    EXPECT_EQ(results.size(), 1u);  // the stuck event was not answered twice
    EXPECT_FALSE(Contact(who).has_value()) << "the event answered 503 was written";
  }
  EXPECT_THAT(Metrics(), HasSubstr("parley_pipeline_timed_out_total 2\n"));
}

// Issue 8 item 8, against the real database: another writer holds what the event needs
// (SQLite: the write lock; PostgreSQL: the contact's row lock) for longer than the budget.
// The event is answered 503 in time, not after the busy timeout, and is not applied.
TEST_P(PipelineTest, AWriterHoldingTheDatabaseCostsAnEventOnlyItsBudget) {
  constexpr auto kBudget = std::chrono::milliseconds(300);
  PipelineOptions options;
  options.event_timeout = kBudget;
  StartPipeline(options);
  EXPECT_THAT(Replies(Sms(kAna, "JOIN")), ElementsAre(HasSubstr("daily blood sugar")));

  ASSERT_OK_AND_ASSIGN(auto other, OpenStore());
  ASSERT_OK_AND_ASSIGN(auto holder, other->BeginBatch());
  ASSERT_OK(holder->LockContacts({NewContactRecord(Address{"sms", kAna, kAna}, clock_.Now())}));
  Results results;
  const auto started = std::chrono::steady_clock::now();
  ASSERT_OK(pipeline_->Submit(Sms(kAna, "yes"), results.For(0)));
  ASSERT_TRUE(results.Wait(1));
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, kBudget);
  EXPECT_LT(waited, kBudget + std::chrono::milliseconds(1500));
  EXPECT_EQ(results.at(0).status().code(), StatusCode::kUnavailable);

  holder.reset();  // rolled back: the lock is free
  EXPECT_THAT(Replies(Sms(kAna, "yes")), ElementsAre("Great! What is your first name?"));
  EXPECT_EQ(results.size(), 1u);
}

TEST_P(PipelineTest, PastFourTimesTheRoomSubmitRefusesAtOnce) {
  PipelineOptions options;
  options.lanes = 1;
  options.queue_capacity = 2;
  options.enqueue_timeout = kWait;  // nothing expires here
  StartFaulty(options);
  Results results;
  std::vector<Event> queued;
  for (int i = 1; i <= 8; ++i) {  // four times the room
    queued.push_back(Sms("+141555502" + std::to_string(10 + i), "JOIN"));
  }
  ASSERT_NO_FATAL_FAILURE(SubmitBehindABlockedBatch(Sms(kAna, "JOIN"), std::move(queued), results));
  std::atomic<bool> called{false};
  const auto started = std::chrono::steady_clock::now();
  const Status full =
      pipeline_->Submit(Sms(kBob, "JOIN"), [&called](Result<Outcome>) { called = true; });
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  EXPECT_EQ(full.code(), StatusCode::kUnavailable);
  EXPECT_THAT(full.message(), HasSubstr("full"));
  EXPECT_THAT(Metrics(), HasSubstr("parley_pipeline_rejected_total 1\n"));

  faulty_->Unblock(StoreOp::kBeginBatch);
  ASSERT_TRUE(results.Wait(9));
  for (int i = 0; i < 9; ++i) {
    EXPECT_OK(results.at(i));  // over the room but reached in time: applied
  }
  EXPECT_THAT(Counts(), HasSubstr("contacts=9 sessions=9 "));
  EXPECT_FALSE(called);
  EXPECT_FALSE(Contact(kBob).has_value());
}

TEST_P(PipelineTest, StopAppliesWhatIsQueuedBeforeReturning) {
  PipelineOptions options;
  options.lanes = 1;
  options.queue_capacity = 1;
  options.enqueue_timeout = kWait;
  StartFaulty(options);
  Results results;
  // A held by the lane, four more queued: the lane is at four times its room, so a further
  // Submit is refused at once, as "full" while running and "not running" once Stop began.
  ASSERT_NO_FATAL_FAILURE(
      SubmitBehindABlockedBatch(Sms(kAna, "JOIN"),
                                {Sms(kBob, "JOIN"), Sms(kCid, "JOIN"), Sms("+14155550104", "JOIN"),
                                 Sms("+14155550105", "JOIN")},
                                results));
  std::thread stopper([&] { pipeline_->Stop(); });
  // No ASSERT until the stopper is joined (a test may not end with the thread running).
  bool stopping = false;
  bool queued_a_probe = false;
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!stopping && !queued_a_probe && std::chrono::steady_clock::now() < deadline) {
    const Status s = pipeline_->Submit(Sms("+14155550106", "JOIN"), [](Result<Outcome>) {});
    queued_a_probe = s.ok();
    stopping = s.message().find("not running") != std::string::npos;
    if (!stopping) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  EXPECT_FALSE(queued_a_probe);
  EXPECT_TRUE(stopping);
  EXPECT_EQ(results.size(), 0u);  // nothing applied yet: the lane is still blocked
  faulty_->Unblock(StoreOp::kBeginBatch);
  stopper.join();
  // Stop returned: every queued event was applied and answered.
  EXPECT_EQ(results.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_OK(results.at(i));
  }
  for (const char* c : {kAna, kBob, kCid, "+14155550104", "+14155550105"}) {
    ASSERT_TRUE(Session(c).has_value()) << c;
    EXPECT_EQ(Session(c)->session.state, "OPTIN") << c;
  }
  EXPECT_FALSE(Contact("+14155550106").has_value());
  pipeline_->Stop();  // idempotent
}

// Issue 8 item 4: a retry that arrives while the original is still in flight, so that both
// are applied in one batch, is answered with the original's replies, never with nothing.
TEST_P(PipelineTest, ARetryInTheOriginalsBatchGetsTheSameReplies) {
  StartFaulty();
  ASSERT_OK(Run(Sms(kAna, "JOIN")).status());
  const std::string sid = NewSid();
  Event yes = Sms(kAna, "yes", sid);
  yes.reply_mode = ReplyMode::kInline;
  Results results;
  ASSERT_NO_FATAL_FAILURE(SubmitBehindABlockedBatch(Sms(kBob, "hello"), {yes, yes}, results));
  const int batches_before = faulty_->Calls(StoreOp::kBatchCommit);
  faulty_->Unblock(StoreOp::kBeginBatch);
  ASSERT_TRUE(results.Wait(3));
  EXPECT_EQ(faulty_->Calls(StoreOp::kBatchCommit) - batches_before, 2);  // the two together
  ASSERT_OK_AND_ASSIGN(Outcome first, results.at(1));
  ASSERT_OK_AND_ASSIGN(Outcome retry, results.at(2));
  EXPECT_FALSE(first.duplicate);
  EXPECT_TRUE(retry.duplicate);
  EXPECT_THAT(Bodies(first), ElementsAre("Great! What is your first name?"));
  EXPECT_EQ(Bodies(retry), Bodies(first));
  EXPECT_EQ(Session(kAna)->session.step, 1u);  // one transition, not two
}

TEST_P(PipelineTest, SubmitIsRefusedBeforeStartAndAfterStop) {
  const std::shared_ptr<const FlowCatalog> catalog = catalog_;
  registry_ = std::make_unique<metrics::Registry>();
  Service service([catalog] { return catalog; }, DefaultServiceOptions(), *registry_);
  Pipeline pipeline(*store_, service, clock_, {}, *registry_);
  std::atomic<bool> called{false};
  const auto done = [&called](Result<Outcome>) { called = true; };
  EXPECT_EQ(pipeline.Submit(Sms(kAna, "JOIN"), done).code(), StatusCode::kUnavailable);
  pipeline.Start();
  Results results;
  ASSERT_OK(pipeline.Submit(Sms(kAna, "JOIN"), results.For(0)));
  ASSERT_TRUE(results.Wait(1));
  ASSERT_OK(results.at(0));
  pipeline.Stop();
  EXPECT_EQ(pipeline.Submit(Sms(kAna, "yes"), done).code(), StatusCode::kUnavailable);
  EXPECT_EQ(pipeline.Run(Sms(kAna, "yes")).status().code(), StatusCode::kUnavailable);
  pipeline.Start();  // a stopped pipeline stays stopped
  EXPECT_EQ(pipeline.Submit(Sms(kAna, "yes"), done).code(), StatusCode::kUnavailable);
  EXPECT_FALSE(called);
  EXPECT_EQ(Session(kAna)->session.state, "OPTIN");
}

TEST_P(PipelineTest, OnQueuedWakesTheSenderOnlyAfterACommitThatQueuedMessages) {
  registry_ = std::make_unique<metrics::Registry>();
  const std::shared_ptr<const FlowCatalog> catalog = catalog_;
  service_ =
      std::make_unique<Service>([catalog] { return catalog; }, DefaultServiceOptions(), *registry_);
  pipeline_ =
      std::make_unique<Pipeline>(*faulty_, *service_, clock_, PipelineOptions{}, *registry_);
  std::atomic<int> wakes{0};
  std::atomic<bool> committed_when_woken{true};
  pipeline_->set_on_queued([&] {
    ++wakes;
    // The batch is durable (and its connection given back) before the sender is woken.
    auto counts = store_->RowCounts();
    if (!counts.ok() || counts->find("outbox=0") != std::string::npos) {
      committed_when_woken = false;
    }
  });
  pipeline_->Start();
  const Event join = Sms(kAna, "JOIN");
  ASSERT_OK(Run(join).status());
  EXPECT_EQ(wakes.load(), 1);
  ASSERT_OK(Run(join).status());                // a duplicate queues nothing
  ASSERT_OK(Run(Sms(kBob, "hello")).status());  // no reply
  Event inline_yes = Sms(kAna, "yes");
  inline_yes.reply_mode = ReplyMode::kInline;
  ASSERT_OK(Run(std::move(inline_yes)).status());  // answered inline
  EXPECT_EQ(wakes.load(), 1);
  faulty_->FailNth(StoreOp::kBatchCommit, 1);
  EXPECT_FALSE(Run(Sms(kAna, "Ana")).ok());  // queued, but the batch failed
  EXPECT_EQ(wakes.load(), 1);
  ASSERT_OK(Run(Sms(kAna, "Ana")).status());
  EXPECT_EQ(wakes.load(), 2);
  EXPECT_TRUE(committed_when_woken.load());
}

TEST_P(PipelineTest, MetricsAreRendered) {
  StartPipeline();
  const Event join = Sms(kAna, "JOIN");
  ASSERT_OK(Run(join).status());
  ASSERT_OK(Run(join).status());
  ASSERT_OK(Run(Sms(kAna, "yes")).status());
  ASSERT_OK(Run(Sms(kAna, "STOP")).status());
  ASSERT_OK(Run(Sms(kBob, "BOOM")).status());
  ASSERT_OK(Run(Sms(kBob, "explode")).status());
  const std::string text = Metrics();
  for (const char* line : {
           "parley_inbound_messages_total 5\n",
           "parley_duplicate_messages_total 1\n",
           "parley_sessions_started_total{flow=\"checkin\"} 1\n",
           "parley_opt_outs_total 1\n",
           "parley_flow_errors_total 1\n",
           "parley_pipeline_batch_size_count 6\n",
           "parley_pipeline_batch_size_bucket{le=\"1\"} 6\n",
           "parley_pipeline_batch_duration_seconds_count 6\n",
           "parley_pipeline_queue_depth 0\n",
           "parley_pipeline_rejected_total 0\n",
           "parley_pipeline_failed_batches_total 0\n",
           "# TYPE parley_pipeline_batch_size histogram\n",
           "# TYPE parley_transitions_total counter\n",
           "# TYPE parley_unmatched_events_total counter\n",
       }) {
    EXPECT_THAT(text, HasSubstr(line));
  }
}

}  // namespace
}  // namespace parley::conversation::testing
