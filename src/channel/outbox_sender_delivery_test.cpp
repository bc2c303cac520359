// Issue 9, the sender: retries (backoff with jitter, Retry-After, maximum age), what a
// refusal does to its contact, the WhatsApp window, sending threads and metrics; against a
// real (in-memory SQLite) store and scripted channels.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "channel/outbox_sender.hpp"
#include "test/fakes/channels.hpp"

namespace parley::channel {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);
constexpr char kOurNumber[] = "+15005550006";

// Answers each message by its recipient: a scripted queue of outcomes per `to` (then
// "sent"); may hold every send to one recipient until Release(). Records every attempt.
class ScriptedChannel final : public Channel {
 public:
  void Script(const std::string& to, std::vector<SendOutcome> outcomes) {
    std::lock_guard lock(mu_);
    for (auto& o : outcomes) {
      script_[to].push_back(std::move(o));
    }
  }
  void Hold(const std::string& to) {
    std::lock_guard lock(mu_);
    held_ = to;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      held_.clear();
    }
    cv_.notify_all();
  }
  SendOutcome Send(const OutboundMessage& m) override {
    std::unique_lock lock(mu_);
    attempts_.push_back(m.to + ":" + m.body);
    cv_.notify_all();
    cv_.wait(lock, [&] { return held_ != m.to; });
    auto& queue = script_[m.to];
    if (!queue.empty()) {
      SendOutcome o = std::move(queue.front());
      queue.erase(queue.begin());
      return o;
    }
    SendResult sent;
    sent.provider_sid = "SM" + std::to_string(attempts_.size());
    return sent;
  }
  std::vector<std::string> attempts() const {
    std::lock_guard lock(mu_);
    return attempts_;
  }
  bool WaitForAttempts(size_t n, Duration timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return attempts_.size() >= n; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::vector<SendOutcome>> script_;
  std::string held_;
  std::vector<std::string> attempts_;
};

SendOutcome Unavailable(std::optional<Duration> retry_after = std::nullopt) {
  SendOutcome o(Status::Unavailable("HTTP 429"));
  o.retry_after = retry_after;
  return o;
}

SendOutcome Refused(const std::string& code) {
  SendResult r;
  r.status = store::MessageStatus::kFailed;
  r.error_code = code;
  return r;
}

class OutboxSenderDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::OpenStore("sqlite::memory:").value();
    ASSERT_TRUE(store_->Migrate().ok());
    options_.rates = SendRates::Parse("default=0").value();
  }
  // Queues `bodies` for `address`; returns the contact id. `last_inbound`: the contact's
  // last message to us.
  int64_t Queue(const std::string& address, const std::vector<std::string>& bodies,
                std::optional<TimePoint> last_inbound = std::nullopt) {
    auto tx = store_->Begin().value();
    store::ContactRecord init;
    init.address = address;
    init.phone = address.substr(address.find('+'));
    init.channel = address.starts_with("whatsapp:") ? "whatsapp" : "sms";
    auto contact = tx->LockContact(init).value();
    if (last_inbound) {
      contact.last_inbound_at = last_inbound;
      EXPECT_TRUE(tx->UpdateContact(contact).ok());
    }
    for (const std::string& body : bodies) {
      store::MessageRecord m;
      m.contact_id = contact.id;
      m.direction = store::MessageRecord::Direction::kOutbound;
      m.from = address.starts_with("whatsapp:") ? "whatsapp:+14155238886" : kOurNumber;
      m.to = address;
      m.body = body;
      m.status = store::MessageStatus::kQueued;
      m.created_at = clock_.Now();
      EXPECT_TRUE(tx->EnqueueOutbound(m).ok());
    }
    EXPECT_TRUE(tx->Commit().ok());
    return contact.id;
  }
  std::vector<std::string> Statuses(int64_t contact_id) {
    std::vector<std::string> out;
    // Held in a local: value() of a temporary Result would dangle in the loop.
    const auto messages = store_->Messages(contact_id);
    for (const auto& m : messages.value()) {
      out.push_back(m.body + "=" + store::MessageStatusName(m.status) +
                    (m.error_code.empty() ? "" : "/" + m.error_code));
    }
    return out;
  }
  store::ContactStatus ContactStatusOf(int64_t id) {
    return store_->FindContactById(id).value()->status;
  }

  ManualClock clock_{kT0};
  std::unique_ptr<store::Store> store_;
  OutboxSenderOptions options_;
};

// Item 2: backoff with jitter (between half and all of first_retry x 2^n), and never sooner
// than Twilio's Retry-After.
TEST_F(OutboxSenderDeliveryTest, RetriesBackOffWithJitterAndHonourRetryAfter) {
  const int64_t c = Queue("+15551230001", {"m"});
  ScriptedChannel channel;
  channel.Script("+15551230001", {Unavailable(), Unavailable(seconds(30))});
  options_.first_retry = seconds(2);
  OutboxSender sender(*store_, channel, clock_, options_);
  ASSERT_EQ(sender.DrainOnce().value_or(-1), 1);  // attempt 1 fails: retry in [1 s, 2 s]
  clock_.Advance(milliseconds(999));
  EXPECT_EQ(sender.DrainOnce().value_or(-1), 0);
  clock_.Advance(milliseconds(1001));
  ASSERT_EQ(sender.DrainOnce().value_or(-1), 1);  // attempt 2: 429 with Retry-After: 30
  clock_.Advance(seconds(29));                    // the backoff alone would be <= 4 s
  EXPECT_EQ(sender.DrainOnce().value_or(-1), 0);
  clock_.Advance(seconds(1));
  ASSERT_EQ(sender.DrainOnce().value_or(-1), 1);
  EXPECT_THAT(Statuses(c), ElementsAre("m=sent"));
  EXPECT_EQ(channel.attempts().size(), 3u);
}

// Item 2: a message Twilio does not take within PARLEY_SEND_MAX_AGE fails as "expired".
TEST_F(OutboxSenderDeliveryTest, AMessageThatKeepsFailingExpiresAtTheMaximumAge) {
  const int64_t c = Queue("+15551230001", {"late", "next"});
  ScriptedChannel channel;
  channel.Script("+15551230001", std::vector<SendOutcome>(100, Unavailable()));
  options_.first_retry = seconds(10);
  options_.max_retry = seconds(60);
  options_.max_age = std::chrono::minutes(5);
  OutboxSender sender(*store_, channel, clock_, options_);
  for (int i = 0; i < 30 && Statuses(c)[0] == "late=queued"; ++i) {
    ASSERT_TRUE(sender.DrainOnce().ok());
    clock_.Advance(seconds(60));
  }
  EXPECT_THAT(Statuses(c)[0], "late=failed/expired");
  EXPECT_LE(clock_.Now() - kT0, std::chrono::minutes(6));
  EXPECT_GE(channel.attempts().size(), 5u);  // 5 minutes of retries 10 .. 60 s apart
}

// Item 2 (order): a retrying message holds back its contact's next message only.
TEST_F(OutboxSenderDeliveryTest, ARetryHoldsBackItsContactAndNoOther) {
  const int64_t a = Queue("+15551230001", {"a1", "a2"});
  const int64_t b = Queue("+15551230002", {"b1", "b2"});
  ScriptedChannel channel;
  channel.Script("+15551230001", {Unavailable()});
  OutboxSender sender(*store_, channel, clock_, options_);
  ASSERT_TRUE(sender.DrainOnce().ok());
  EXPECT_THAT(Statuses(a), ElementsAre("a1=queued", "a2=queued"));
  EXPECT_THAT(Statuses(b), ElementsAre("b1=sent", "b2=sent"));
  clock_.Advance(seconds(2));
  ASSERT_TRUE(sender.DrainOnce().ok());
  EXPECT_THAT(Statuses(a), ElementsAre("a1=sent", "a2=sent"));
  EXPECT_THAT(channel.attempts(),
              ElementsAre("+15551230001:a1", "+15551230002:b1", "+15551230002:b2",
                          "+15551230001:a1", "+15551230001:a2"));
}

// Item 5: 21610 opts the contact out, 21211 and 21614 mark it invalid: its other queued
// messages fail unsent, and so does a message queued for it later.
TEST_F(OutboxSenderDeliveryTest, RefusalsOptOutOrInvalidateTheContact) {
  const int64_t out = Queue("+15551230001", {"o1", "o2"});
  const int64_t bad = Queue("+15551230002", {"i1", "i2"});
  const int64_t landline = Queue("+15551230003", {"l1"});
  ScriptedChannel channel;
  channel.Script("+15551230001", {Refused("21610")});
  channel.Script("+15551230002", {Refused("21211")});
  channel.Script("+15551230003", {Refused("21614")});
  OutboxSender sender(*store_, channel, clock_, options_);
  ASSERT_TRUE(sender.DrainOnce().ok());
  EXPECT_THAT(Statuses(out), ElementsAre("o1=failed/21610", "o2=failed/opted_out"));
  EXPECT_THAT(Statuses(bad), ElementsAre("i1=failed/21211", "i2=failed/invalid_address"));
  EXPECT_THAT(Statuses(landline), ElementsAre("l1=failed/21614"));
  EXPECT_EQ(ContactStatusOf(out), store::ContactStatus::kOptedOut);
  EXPECT_EQ(ContactStatusOf(bad), store::ContactStatus::kInvalid);
  EXPECT_EQ(ContactStatusOf(landline), store::ContactStatus::kInvalid);
  // Later messages are not sent at all.
  Queue("+15551230001", {"o3"});
  Queue("+15551230002", {"i3"});
  ASSERT_TRUE(sender.DrainOnce().ok());
  EXPECT_THAT(Statuses(out).back(), "o3=failed/opted_out");
  EXPECT_THAT(Statuses(bad).back(), "i3=failed/invalid_address");
  EXPECT_EQ(channel.attempts().size(), 3u);
}

// Issue 12 item 17: an opted-out contact's HELP is answered (conversation/service.cpp), so the
// sender sends the answer queued by their latest message; what was queued before the
// opt-out still fails unsent.
TEST_F(OutboxSenderDeliveryTest, AnOptedOutContactGetsTheAnswerToTheirLatestMessageOnly) {
  const std::string ana = "+15551230009";
  const int64_t id = Queue(ana, {"before STOP"}, clock_.Now() - std::chrono::minutes(1));
  clock_.Advance(std::chrono::minutes(1));
  {  // STOP: opted out at their latest message
    auto tx = store_->Begin().value();
    store::ContactRecord init;
    init.address = ana;
    init.phone = ana;
    init.channel = "sms";
    auto contact = tx->LockContact(init).value();
    contact.status = store::ContactStatus::kOptedOut;
    contact.last_inbound_at = clock_.Now();
    ASSERT_TRUE(tx->UpdateContact(contact).ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  clock_.Advance(std::chrono::minutes(1));
  Queue(ana, {"help text"}, clock_.Now());  // HELP, answered in the same event
  ScriptedChannel channel;
  OutboxSender sender(*store_, channel, clock_, options_);
  ASSERT_TRUE(sender.DrainOnce().ok());
  ASSERT_TRUE(sender.DrainOnce().ok());
  EXPECT_THAT(Statuses(id), ElementsAre("before STOP=failed/opted_out", "help text=sent"));
  EXPECT_EQ(channel.attempts().size(), 1u);
  EXPECT_EQ(ContactStatusOf(id), store::ContactStatus::kOptedOut);
}

// Item 5: a free-form WhatsApp message more than 24 hours after the contact's last message
// is not sent; 63016 from Twilio fails the contact's other queued messages.
TEST_F(OutboxSenderDeliveryTest, WhatsAppOutsideTheWindowIsNotSent) {
  const int64_t stale = Queue("whatsapp:+15551230001", {"late"}, kT0 - hours(25));
  const int64_t never = Queue("whatsapp:+15551230002", {"cold"});
  const int64_t fresh = Queue("whatsapp:+15551230003", {"w1", "w2"}, kT0 - hours(23));
  const int64_t sms = Queue("+15551230004", {"sms"});  // SMS has no window
  ScriptedChannel channel;
  channel.Script("whatsapp:+15551230003", {Refused("63016")});
  OutboxSender sender(*store_, channel, clock_, options_);
  ASSERT_TRUE(sender.DrainOnce().ok());
  EXPECT_THAT(Statuses(stale), ElementsAre("late=failed/window_closed"));
  EXPECT_THAT(Statuses(never), ElementsAre("cold=failed/window_closed"));
  EXPECT_THAT(Statuses(fresh), ElementsAre("w1=failed/63016", "w2=failed/window_closed"));
  EXPECT_THAT(Statuses(sms), ElementsAre("sms=sent"));
  EXPECT_EQ(ContactStatusOf(fresh), store::ContactStatus::kActive);
  EXPECT_THAT(channel.attempts(), ElementsAre("whatsapp:+15551230003:w1", "+15551230004:sms"));
}

// Item 3: one slow answer holds up its own contact only; the other sending threads go on.
TEST_F(OutboxSenderDeliveryTest, ASlowAnswerDoesNotStallOtherContacts) {
  const int64_t slow = Queue("+15551230001", {"s1", "s2"});
  std::vector<int64_t> others;
  for (int i = 2; i <= 9; ++i) {
    others.push_back(Queue("+1555123000" + std::to_string(i), {"x", "y"}));
  }
  ScriptedChannel channel;
  channel.Hold("+15551230001");
  options_.threads = 4;
  options_.poll_interval = milliseconds(20);
  OutboxSender sender(*store_, channel, clock_, options_);
  sender.Start();
  sender.Wake();
  // 1 held attempt + 16 for the others, while s1 is still in Twilio's hands.
  EXPECT_TRUE(channel.WaitForAttempts(17, seconds(10)));
  channel.Release();
  EXPECT_TRUE(channel.WaitForAttempts(18, seconds(10)));
  sender.Stop();
  EXPECT_THAT(Statuses(slow), ElementsAre("s1=sent", "s2=sent"));
  for (int64_t c : others) {
    EXPECT_THAT(Statuses(c), ElementsAre("x=sent", "y=sent"));
  }
}

// Item 6: outcomes by status and error code, retries, latency, outbox gauges.
TEST_F(OutboxSenderDeliveryTest, MetricsCountWhatHappened) {
  Queue("+15551230001", {"ok"});
  Queue("+15551230002", {"stop"});
  Queue("+15551230003", {"flaky"});
  ScriptedChannel channel;
  channel.Script("+15551230002", {Refused("21610")});
  channel.Script("+15551230003", {Unavailable()});
  metrics::Registry registry;
  options_.metrics = &registry;
  OutboxSender sender(*store_, channel, clock_, options_);
  ASSERT_TRUE(sender.DrainOnce().ok());
  const std::string text = registry.RenderText();
  EXPECT_THAT(text, HasSubstr("parley_outbound_total{status=\"sent\",error_code=\"none\"} 1"));
  EXPECT_THAT(text, HasSubstr("parley_outbound_total{status=\"failed\",error_code=\"21610\"} 1"));
  EXPECT_THAT(text, HasSubstr("parley_send_retries_total 1"));
  EXPECT_THAT(text, HasSubstr("parley_send_latency_seconds_count 3"));
  EXPECT_THAT(text, HasSubstr("parley_outbox_depth 1"));  // the retrying one
  EXPECT_THAT(text, HasSubstr("parley_outbox_oldest_age_seconds 0"));
}

// Items 4 and 6: a sender past its rate: the message beyond the pacer's horizon goes back to
// the outbox untried (its attempt not counted) and the wait is counted.
TEST_F(OutboxSenderDeliveryTest, AMessageBeyondItsSendersRateGoesBackUntried) {
  const int64_t a = Queue("+15551230001", {"first"});
  const int64_t b = Queue("+15551230002", {"second"});
  ScriptedChannel channel;
  metrics::Registry registry;
  options_.metrics = &registry;
  options_.rates = SendRates::Parse(std::string(kOurNumber) + "=1").value();
  options_.rate_horizon = milliseconds(0);
  OutboxSender sender(*store_, channel, clock_, options_);
  ASSERT_EQ(sender.DrainOnce().value_or(-1), 1);
  EXPECT_THAT(Statuses(a), ElementsAre("first=sent"));
  EXPECT_THAT(Statuses(b), ElementsAre("second=queued"));
  EXPECT_THAT(registry.RenderText(), HasSubstr("parley_send_rate_waits_total 1"));
  // It comes back about a second later (the sender's next slot), as a first attempt.
  clock_.Advance(seconds(1));
  std::this_thread::sleep_for(seconds(1));
  auto again = store_->ClaimOutbox(clock_.Now(), 10, seconds(30));
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].attempts, 1);
}

// Item 3 (leases): a claimed message that waited behind a slow answer until its lease could
// run out during its own send goes back to the outbox untried, then is sent once.
TEST_F(OutboxSenderDeliveryTest, AMessageWhoseLeaseIsRunningOutGoesBackUntried) {
  const int64_t slow = Queue("+15551230001", {"slow"});
  const int64_t next = Queue("+15551230002", {"next"});
  ScriptedChannel channel;
  channel.Hold("+15551230001");
  std::vector<std::string> log;
  options_.lease = seconds(4);
  options_.send_timeout = seconds(1);  // a job may wait 2 s (4 - 1 - 1 s margin)
  options_.log = [&](std::string_view m) { log.emplace_back(m); };
  OutboxSender sender(*store_, channel, clock_, options_);
  std::thread release([&] {
    std::this_thread::sleep_for(milliseconds(2500));
    channel.Release();
  });
  ASSERT_TRUE(sender.DrainOnce().ok());  // one message at a time: "next" waits behind "slow"
  release.join();
  EXPECT_THAT(Statuses(slow), ElementsAre("slow=sent"));
  EXPECT_THAT(Statuses(next), ElementsAre("next=sent"));
  EXPECT_THAT(channel.attempts(), ElementsAre("+15551230001:slow", "+15551230002:next"));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], HasSubstr("waited too long"));
}

}  // namespace
}  // namespace parley::channel
