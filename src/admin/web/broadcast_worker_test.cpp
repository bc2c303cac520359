// Issue 11: the broadcast job (broadcast_worker.hpp) on SQLite and PostgreSQL: a 10-number
// broadcast worked off in bounded chunks ends with 10 sessions and 10 queued messages and
// its counts done; a refused start (an opted-out contact) is a failed recipient with the
// reason; a chunk claimed by an instance that stopped is taken up once its lease ends (a
// restart resumes); the worker's own thread finishes a broadcast when woken.
#include "admin/web/broadcast_worker.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conversation/conversation_test_fixture.hpp"

namespace parley::admin::web {
namespace {

using conversation::testing::ConversationTest;

class BroadcastWorkerTest : public ConversationTest {
 protected:
  void SetUp() override {
    ConversationTest::SetUp();
    if (!HasFatalFailure() && !IsSkipped()) {
      StartPipeline();
    }
  }

  std::unique_ptr<BroadcastWorker> Worker(int chunk, Duration lease = std::chrono::minutes(2)) {
    BroadcastWorkerOptions options;
    options.chunk = chunk;
    options.lease = lease;
    options.poll = std::chrono::milliseconds(20);
    return std::make_unique<BroadcastWorker>(
        *store_, clock_,
        [this](conversation::Event e, conversation::Pipeline::Done done) {
          return pipeline_->Submit(std::move(e), std::move(done));
        },
        options);
  }

  // A broadcast of flow "finish" to `addresses`; its id.
  int64_t Queue(const std::vector<std::string>& addresses) {
    std::vector<store::BroadcastRecipient> recipients;
    for (const std::string& a : addresses) {
      store::BroadcastRecipient r;
      r.address = a;
      r.name = "N" + a.substr(a.size() - 2);
      r.fields_json = R"({"source":"broadcast"})";
      recipients.push_back(r);
    }
    store::BroadcastRecord b;
    b.flow_id = "finish";
    b.created_by = "op@example.org";
    b.created_at = clock_.Now();
    store::AuditRecord audit;
    audit.at = clock_.Now();
    audit.actor = "op@example.org";
    audit.action = "broadcast_created";
    EXPECT_OK(store_->admin().CreateBroadcast(b, recipients, audit));
    return b.id;
  }

  store::BroadcastRecord Broadcast(int64_t id) {
    auto found = store_->admin().Broadcasts(id, 1);
    EXPECT_TRUE(found.ok() && found->size() == 1);
    return found.ok() && !found->empty() ? found->front() : store::BroadcastRecord{};
  }

  static std::vector<std::string> Ten() {
    std::vector<std::string> out;
    for (int i = 0; i < 10; ++i) out.push_back("+1415555030" + std::to_string(i));
    return out;
  }

  int Chunks(BroadcastWorker& worker) {
    int chunks = 0;
    while (true) {
      auto done = worker.RunChunk();
      EXPECT_TRUE(done.ok()) << done.status().ToString();
      if (!done.ok() || *done == 0 || chunks > 100) return chunks;
      ++chunks;
    }
  }

  int QueuedMessages() {
    auto outbox = store_->ClaimOutbox(clock_.Now(), 1000, std::chrono::minutes(1));
    EXPECT_TRUE(outbox.ok());
    return outbox.ok() ? static_cast<int>(outbox->size()) : -1;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, BroadcastWorkerTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(BroadcastWorkerTest, TenNumbersInBoundedChunksEndWithTenSessionsAndTenQueuedMessages) {
  const int64_t id = Queue(Ten());
  EXPECT_EQ(Broadcast(id).status, "running");
  auto worker = Worker(4);
  EXPECT_EQ(Chunks(*worker), 3);  // 4 + 4 + 2
  const store::BroadcastRecord b = Broadcast(id);
  EXPECT_EQ(b.status, "done");
  EXPECT_EQ(b.total, 10);
  EXPECT_EQ(b.started, 10);
  EXPECT_EQ(b.failed, 0);
  EXPECT_EQ(b.finished_at, clock_.Now());
  for (const std::string& a : Ten()) {
    auto session = Session(a);
    ASSERT_TRUE(session) << a;
    EXPECT_EQ(session->session.flow_id, "finish");
    EXPECT_EQ(session->session.state, "ASK");
    EXPECT_EQ(Contact(a)->name, "N" + a.substr(a.size() - 2));
    EXPECT_EQ(Contact(a)->fields_json, R"({"source":"broadcast"})");
  }
  EXPECT_EQ(QueuedMessages(), 10);
}

TEST_P(BroadcastWorkerTest, ARefusedStartIsAFailedRecipient) {
  ASSERT_OK(Run(Sms(conversation::testing::kAna, "STOP", "", "STOP")).status());
  QueuedMessages();  // the STOP's confirmation, if any, out of the way
  const int64_t id = Queue({conversation::testing::kAna, conversation::testing::kBob});
  auto worker = Worker(10);
  EXPECT_EQ(Chunks(*worker), 1);
  const store::BroadcastRecord b = Broadcast(id);
  EXPECT_EQ(b.status, "done");
  EXPECT_EQ(b.started, 1);
  EXPECT_EQ(b.failed, 1);
  EXPECT_FALSE(Session(conversation::testing::kAna) &&
               Session(conversation::testing::kAna)->session.active());
  // Refused: nothing written for Ana, not even the list's name.
  EXPECT_EQ(Contact(conversation::testing::kAna)->name, "");
  EXPECT_EQ(QueuedMessages(), 1);
}

TEST_P(BroadcastWorkerTest, AChunkOfAStoppedInstanceIsTakenUpWhenItsLeaseEnds) {
  const int64_t id = Queue(Ten());
  // Another instance claims four and stops before finishing them.
  ASSERT_OK_AND_ASSIGN(auto lost, store_->admin().ClaimBroadcastRecipients(
                                      clock_.Now(), clock_.Now() + std::chrono::minutes(2), 4));
  ASSERT_EQ(lost.size(), 4u);
  auto worker = Worker(50);
  EXPECT_EQ(Chunks(*worker), 1);  // the six unclaimed
  EXPECT_EQ(Broadcast(id).started, 6);
  EXPECT_EQ(Broadcast(id).status, "running");
  clock_.Set(clock_.Now() + std::chrono::minutes(3));
  EXPECT_EQ(Chunks(*worker), 1);  // the four, after the lease
  EXPECT_EQ(Broadcast(id).started, 10);
  EXPECT_EQ(Broadcast(id).status, "done");
  // The stopped instance's late report counts nothing twice.
  std::vector<store::BroadcastResult> late;
  for (const auto& r : lost) late.push_back({r.id, r.broadcast_id, true, ""});
  ASSERT_OK(store_->admin().FinishBroadcastRecipients(late, clock_.Now()));
  EXPECT_EQ(Broadcast(id).started, 10);
  EXPECT_EQ(QueuedMessages(), 10);
}

TEST_P(BroadcastWorkerTest, ItsThreadWorksABroadcastOffWhenWoken) {
  auto worker = Worker(3);
  worker->Start();
  const int64_t id = Queue(Ten());
  worker->Wake();
  const auto deadline = std::chrono::steady_clock::now() + conversation::testing::kWait;
  while (Broadcast(id).status != "done" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  worker->Stop();
  EXPECT_EQ(Broadcast(id).started, 10);
  EXPECT_EQ(QueuedMessages(), 10);
}

}  // namespace
}  // namespace parley::admin::web
