// The outbox sender against a real (in-memory SQLite) store and a channel that fails on
// demand: delivered rows are recorded, passing failures are retried with backoff, lasting
// ones end as "failed".
#include "channel/outbox_sender.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "channel/dryrun/dryrun_channel.hpp"

namespace parley::channel {
namespace {

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);

// Answers from a script: each Send takes the next Status (ok → "sent"), then ok forever.
class ScriptedChannel final : public Channel {
 public:
  explicit ScriptedChannel(std::deque<Status> script) : script_(std::move(script)) {}
  Result<SendResult> Send(const OutboundMessage& m) override {
    std::lock_guard lock(mu_);
    sent_to_.push_back(m.to + ":" + m.body);
    if (!script_.empty()) {
      Status s = script_.front();
      script_.pop_front();
      if (!s.ok()) {
        return s;
      }
    }
    return SendResult{store::MessageStatus::kSent, "SM" + std::to_string(sent_to_.size()), ""};
  }
  std::vector<std::string> sent_to() {
    std::lock_guard lock(mu_);
    return sent_to_;
  }

 private:
  std::mutex mu_;
  std::deque<Status> script_;
  std::vector<std::string> sent_to_;
};

class OutboxSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::OpenStore("sqlite::memory:");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Migrate().ok());
  }
  // Queues `bodies` for one contact; returns the contact id.
  int64_t Queue(const std::vector<std::string>& bodies) {
    auto tx = store_->Begin();
    EXPECT_TRUE(tx.ok());
    store::ContactRecord init;
    init.address = "+15551230001";
    init.phone = init.address;
    auto contact = (*tx)->LockContact(init);
    EXPECT_TRUE(contact.ok());
    for (const std::string& body : bodies) {
      store::MessageRecord m;
      m.contact_id = contact->id;
      m.direction = store::MessageRecord::Direction::kOutbound;
      m.from = "+15005550006";
      m.to = init.address;
      m.body = body;
      m.status = store::MessageStatus::kQueued;
      m.created_at = clock_.Now();
      EXPECT_TRUE((*tx)->EnqueueOutbound(m).ok());
    }
    EXPECT_TRUE((*tx)->Commit().ok());
    return contact->id;
  }
  std::vector<std::string> Statuses(int64_t contact_id) {
    std::vector<std::string> out;
    const std::vector<store::MessageRecord> messages = store_->Messages(contact_id).value();
    for (const auto& m : messages) {
      out.push_back(m.body + "=" + store::MessageStatusName(m.status) +
                    (m.error_code.empty() ? "" : "/" + m.error_code));
    }
    return out;
  }

  ManualClock clock_{kT0};
  std::unique_ptr<store::Store> store_;
};

TEST_F(OutboxSenderTest, DeliversInOrderAndRecordsTheResult) {
  const int64_t contact = Queue({"one", "two", "three"});
  ScriptedChannel channel({});
  OutboxSender sender(*store_, channel, clock_);
  EXPECT_EQ(sender.DrainOnce().value_or(-1), 3);
  EXPECT_THAT(channel.sent_to(),
              ::testing::ElementsAre("+15551230001:one", "+15551230001:two", "+15551230001:three"));
  EXPECT_THAT(Statuses(contact), ::testing::ElementsAre("one=sent", "two=sent", "three=sent"));
  EXPECT_EQ(sender.DrainOnce().value_or(-1), 0);  // nothing left
  EXPECT_THAT(store_->RowCounts().value(), ::testing::HasSubstr("outbox=0"));
}

TEST_F(OutboxSenderTest, PassingFailuresAreRetriedWithBackoffAndLastingOnesFail) {
  const int64_t contact = Queue({"retried", "refused"});
  ScriptedChannel channel({Status::Unavailable("503 from the provider"),
                           Status::InvalidArgument("21211 invalid 'To' number")});
  OutboxSenderOptions options;
  options.first_retry = std::chrono::seconds(2);
  OutboxSender sender(*store_, channel, clock_, options);
  EXPECT_EQ(sender.DrainOnce().value_or(-1), 2);
  EXPECT_THAT(Statuses(contact), ::testing::ElementsAre("retried=queued", "refused=failed"));
  EXPECT_EQ(sender.DrainOnce().value_or(-1), 0);  // not due before the backoff
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(sender.DrainOnce().value_or(-1), 1);
  EXPECT_THAT(Statuses(contact), ::testing::ElementsAre("retried=sent", "refused=failed"));
}

TEST_F(OutboxSenderTest, GivesUpAfterMaxAttempts) {
  const int64_t contact = Queue({"flaky"});
  ScriptedChannel channel({Status::Unavailable("timeout"), Status::Unavailable("timeout"),
                           Status::Unavailable("timeout")});
  OutboxSenderOptions options;
  options.max_attempts = 3;
  OutboxSender sender(*store_, channel, clock_, options);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(sender.DrainOnce().value_or(-1), 1) << i;
    clock_.Advance(std::chrono::minutes(10));
  }
  EXPECT_THAT(Statuses(contact), ::testing::ElementsAre("flaky=failed"));
  EXPECT_EQ(channel.sent_to().size(), 3u);
}

TEST_F(OutboxSenderTest, TheThreadDrainsWhenWoken) {
  const int64_t contact = Queue({"hello"});
  DryRunChannel channel;
  OutboxSender sender(*store_, channel, clock_);
  sender.Start();
  sender.Wake();
  for (int i = 0; i < 500 && channel.sent() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  sender.Stop();
  EXPECT_EQ(channel.sent(), 1u);
  const auto messages = store_->Messages(contact).value();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].status, store::MessageStatus::kSimulated);
  EXPECT_THAT(messages[0].provider_sid, ::testing::StartsWith("DR"));
  EXPECT_EQ(messages[0].provider_sid.size(), 34u);
}

}  // namespace
}  // namespace parley::channel
