// Issue 9 (status callbacks): DeliveryStatus events through the real Pipeline and Service on
// SQLite and PostgreSQL: statuses only move forward, a final one stays, duplicates and
// out-of-order callbacks change nothing, ErrorCode is recorded, an unknown MessageSid
// writes nothing, and a failure of a message the session sent steps the flow.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conversation/conversation_test_fixture.hpp"

namespace parley::conversation::testing {
namespace {

using store::MessageStatus;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class DeliveryStatusServiceTest : public ConversationTest {
 protected:
  void SetUp() override {
    ConversationTest::SetUp();
    if (!HasFatalFailure() && !IsSkipped()) {
      StartPipeline();
    }
  }

  // Plays the sender: every queued outbound message is accepted by the provider under a
  // fresh sid, with the status Twilio's 201 answer gives ("queued"). Returns the sids, oldest
  // message first.
  std::vector<std::string> SendAll() {
    std::vector<std::string> sids;
    auto claimed = store_->ClaimOutbox(kT0 + std::chrono::hours(1), 100, std::chrono::seconds(30));
    EXPECT_TRUE(claimed.ok()) << claimed.status().ToString();
    for (const store::OutboxItem& item : claimed.value_or({})) {
      sids.push_back(NewSid());
      EXPECT_OK(store_->FinishOutbox(item.id, MessageStatus::kQueued, sids.back(), ""));
    }
    return sids;
  }

  static Event Callback(std::string_view contact, std::string sid, MessageStatus status,
                        std::string error_code = "") {
    Event e;
    e.contact = ParseAddress(contact).value();
    e.body = DeliveryStatus{std::move(sid), status, std::move(error_code)};
    return e;
  }

  DeliveryUpdate Apply(std::string_view contact, const std::string& sid, MessageStatus status,
                       std::string error_code = "") {
    auto outcome = Run(Callback(contact, sid, status, std::move(error_code)));
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    return outcome.ok() ? outcome->delivery : DeliveryUpdate::kNone;
  }

  store::MessageRecord BySid(const std::string& sid) {
    auto m = store_->FindOutboundBySid(sid);
    EXPECT_TRUE(m.ok() && m->has_value()) << sid;
    return m.ok() && m->has_value() ? **m : store::MessageRecord{};
  }

  double Counted(std::string_view result) const {
    const std::string text = Metrics();
    const std::string key =
        "parley_status_callbacks_total{result=\"" + std::string(result) + "\"} ";
    const size_t at = text.find(key);
    return at == std::string::npos ? 0 : std::stod(text.substr(at + key.size()));
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, DeliveryStatusServiceTest,
                         ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(DeliveryStatusServiceTest, StatusesMoveOnlyForwardWhateverTheOrder) {
  Replies(Sms(kAna, "TALLY"));
  const auto sids = SendAll();
  ASSERT_EQ(sids.size(), 1u);
  const std::string& sid = sids[0];
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kSending), DeliveryUpdate::kApplied);
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kDelivered), DeliveryUpdate::kApplied);
  // Out of order: "sent" after "delivered" stays delivered.
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kSent), DeliveryUpdate::kStale);
  // A duplicate changes nothing.
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kDelivered), DeliveryUpdate::kStale);
  EXPECT_EQ(BySid(sid).status, MessageStatus::kDelivered);
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kRead), DeliveryUpdate::kApplied);
  // Reached the phone: a contradicting failure is ignored.
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kUndelivered, "30003"), DeliveryUpdate::kStale);
  const store::MessageRecord m = BySid(sid);
  EXPECT_EQ(m.status, MessageStatus::kRead);
  EXPECT_EQ(m.error_code, "");
  EXPECT_EQ(Counted("applied"), 3);
  EXPECT_EQ(Counted("stale"), 3);
}

// Issue 9 item 2: a message recorded with a Messaging Service's "accepted" (Twilio's answer,
// as given) moves on with the callbacks that follow, "queued" included; none moves it back.
TEST_P(DeliveryStatusServiceTest, AnAcceptedMessageMovesForwardWithLaterCallbacks) {
  Replies(Sms(kAna, "TALLY"));
  auto claimed = store_->ClaimOutbox(kT0 + std::chrono::hours(1), 100, std::chrono::seconds(30));
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
  const std::string sid = NewSid();
  ASSERT_OK(store_->FinishOutbox((*claimed)[0].id, MessageStatus::kAccepted, sid, ""));
  EXPECT_EQ(BySid(sid).status, MessageStatus::kAccepted);
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kQueued), DeliveryUpdate::kApplied);
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kAccepted), DeliveryUpdate::kStale);
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kSent), DeliveryUpdate::kApplied);
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kQueued), DeliveryUpdate::kStale);
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kDelivered), DeliveryUpdate::kApplied);
  EXPECT_EQ(BySid(sid).status, MessageStatus::kDelivered);
}

TEST_P(DeliveryStatusServiceTest, AFailureIsFinalAndItsErrorCodeIsKept) {
  Replies(Sms(kAna, "TALLY"));
  const std::string sid = SendAll().at(0);
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kUndelivered, "30003"), DeliveryUpdate::kApplied);
  // Late callbacks, in any order, do not bring it back.
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kDelivered), DeliveryUpdate::kStale);
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kSent), DeliveryUpdate::kStale);
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kFailed, "30008"), DeliveryUpdate::kStale);
  const store::MessageRecord m = BySid(sid);
  EXPECT_EQ(m.status, MessageStatus::kUndelivered);
  EXPECT_EQ(m.error_code, "30003");
  // The tally flow has no delivery_failed edge: its `always` edge did not run for it.
  auto session = Session(kAna);
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(session->session.step, 0u);
  EXPECT_EQ(session->session.vars.Find("log")->as_string(), "start");
  EXPECT_THAT(Counts(), HasSubstr("outbox=0"));
}

TEST_P(DeliveryStatusServiceTest, AnUnknownSidOrAnotherContactsMessageWritesNothing) {
  Replies(Sms(kAna, "TALLY"));
  Replies(Sms(kBob, "hello"));
  const std::string sid = SendAll().at(0);
  const std::string before = Counts();
  EXPECT_EQ(Apply(kAna, NewSid(), MessageStatus::kDelivered), DeliveryUpdate::kUnknownMessage);
  // Ana's message, but the callback names Bob: not Bob's message.
  EXPECT_EQ(Apply(kBob, sid, MessageStatus::kDelivered), DeliveryUpdate::kUnknownMessage);
  EXPECT_EQ(Counts(), before);
  EXPECT_EQ(BySid(sid).status, MessageStatus::kQueued);
  EXPECT_EQ(Counted("unknown_message"), 2);
}

TEST_P(DeliveryStatusServiceTest, AFailedQuestionStepsTheSessionThatSentIt) {
  EXPECT_THAT(Replies(Sms(kAna, "REACH")), ElementsAre("Are you there?"));
  const std::string sid = SendAll().at(0);
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kUndelivered, "30003"), DeliveryUpdate::kApplied);
  auto session = Session(kAna);
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(session->session.state, "UNREACHABLE");
  EXPECT_EQ(session->session.vars.Find("failed")->as_string(), "yes");
  EXPECT_THAT(Log(kAna), ElementsAre("in:REACH", "out:Are you there?:undelivered",
                                     "out:We could not reach you.:queued"));
  // The fallback goes out from the number the failed message came from.
  EXPECT_EQ(Messages(kAna).back().from, kOurNumber);
  // A repeat of the failure changes nothing: no second step.
  EXPECT_EQ(Apply(kAna, sid, MessageStatus::kUndelivered, "30003"), DeliveryUpdate::kStale);
  EXPECT_EQ(Session(kAna)->session.step, 1u);
  EXPECT_EQ(Messages(kAna).size(), 3u);
}

TEST_P(DeliveryStatusServiceTest, AFailureOfAnEndedSessionsMessageDoesNotReachTheFlow) {
  Replies(Sms(kAna, "REACH"));
  const std::string old_sid = SendAll().at(0);
  Replies(Sms(kAna, "TALLY"));  // no trigger while a session is active: REACH's always edge
  Replies(Sms(kAna, "STOP"));   // ends the session
  Replies(Sms(kAna, "START"));
  Replies(Sms(kAna, "REACH"));  // a new session
  SendAll();
  const auto before = Session(kAna);
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(Apply(kAna, old_sid, MessageStatus::kFailed, "30008"), DeliveryUpdate::kApplied);
  const auto after = Session(kAna);
  EXPECT_EQ(after->id, before->id);
  EXPECT_EQ(after->session.state, "ASK");
  EXPECT_EQ(after->session.step, before->session.step);
  EXPECT_EQ(BySid(old_sid).status, MessageStatus::kFailed);
}

}  // namespace
}  // namespace parley::conversation::testing
