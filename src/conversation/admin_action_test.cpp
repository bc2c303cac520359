// Issue 11: an operator's actions on a contact (AdminAction), applied through the pipeline
// like any other event on SQLite and PostgreSQL: each changes the contact or its session as
// described in event.hpp and commits with its audit line; a refused one writes nothing, its
// audit line included.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conversation/conversation_test_fixture.hpp"

namespace parley::conversation::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class AdminActionTest : public ConversationTest {
 protected:
  void SetUp() override {
    ConversationTest::SetUp();
    if (!HasFatalFailure() && !IsSkipped()) {
      StartPipeline();
    }
  }

  static Event Action(std::string_view contact, AdminAction action) {
    action.audit.actor = "op@example.org";
    action.audit.action = "contact_test";
    action.audit.target = std::string(contact);
    Event e;
    e.contact = ParseAddress(contact).value();
    e.body = std::move(action);
    return e;
  }
  static AdminAction Kind(AdminAction::Kind kind) {
    AdminAction a;
    a.kind = kind;
    return a;
  }
  // The audit log, oldest first, as "ACTOR ACTION TARGET".
  std::vector<std::string> Audit() {
    auto log = store_->admin().AuditLog(0, 100);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    std::vector<std::string> out;
    for (auto it = log->rbegin(); it != log->rend(); ++it) {
      out.push_back(it->actor + " " + it->action + " " + it->target);
    }
    return out;
  }
  // Queued outbox rows as "from>to:body" (claimed and finished as sent).
  std::vector<std::string> Outbox() {
    auto items = store_->ClaimOutbox(clock_.Now(), 1000, std::chrono::minutes(1));
    EXPECT_TRUE(items.ok()) << items.status().ToString();
    std::vector<std::string> out;
    std::vector<store::OutboxDelivery> done;
    for (const store::OutboxItem& item : items.value_or({})) {
      out.push_back(item.from + ">" + item.to + ":" + item.body);
      done.push_back({item.id, store::MessageStatus::kSent, "", ""});
    }
    EXPECT_TRUE(store_->FinishOutboxBatch(done).ok());
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, AdminActionTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(AdminActionTest, SendQueuesAOneOffMessageFromTheNumberTheContactWroteTo) {
  ASSERT_OK(Run(Sms(kAna, "hello")).status());
  AdminAction send = Kind(AdminAction::Kind::kSendMessage);
  send.body = "A note from the team";
  ASSERT_OK_AND_ASSIGN(Outcome outcome, Run(Action(kAna, send)));
  EXPECT_EQ(outcome.replies.size(), 1u);
  EXPECT_THAT(Outbox(),
              ElementsAre(std::string(kOurNumber) + ">" + kAna + ":A note from the team"));
  const auto messages = Messages(kAna);
  ASSERT_FALSE(messages.empty());
  EXPECT_FALSE(messages.back().session_id.has_value());  // a one-off, not the flow's
  EXPECT_THAT(Audit(), ElementsAre(std::string("op@example.org contact_test ") + kAna));
}

TEST_P(AdminActionTest, SendIsRefusedToAnOptedOutContactAndWritesNoAuditLine) {
  ASSERT_OK(Run(Sms(kAna, "STOP")).status());
  const std::string before = Counts();
  AdminAction send = Kind(AdminAction::Kind::kSendMessage);
  send.body = "hi";
  auto refused = Run(Action(kAna, send));
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("opted_out"));
  EXPECT_EQ(Counts(), before);
  EXPECT_THAT(Audit(), ::testing::IsEmpty());
}

TEST_P(AdminActionTest, SendRespectsWhatsAppsWindow) {
  ASSERT_OK(Run(WhatsApp(kBob, "hi", "Bob")).status());
  const std::string bob = std::string("whatsapp:") + kBob;
  AdminAction send = Kind(AdminAction::Kind::kSendMessage);
  send.body = "within the window";
  ASSERT_OK(Run(Action(bob, send)).status());
  EXPECT_THAT(Outbox(), ElementsAre(std::string(kOurWhatsApp) + ">" + bob + ":within the window"));
  clock_.Advance(std::chrono::hours(24));
  send.body = "too late";
  auto refused = Run(Action(bob, send));
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("window"));
  EXPECT_THAT(Outbox(), ::testing::IsEmpty());
}

TEST_P(AdminActionTest, EndSessionEndsTheActiveSessionAndItsTimers) {
  ASSERT_OK(Run(Sms(kAna, "FINISH")).status());  // a session with a pending timer
  const int64_t session_id = Session(kAna)->id;
  ASSERT_OK_AND_ASSIGN(auto timers, store_->Timers(session_id));
  ASSERT_EQ(timers.size(), 1u);
  ASSERT_OK(Run(Action(kAna, Kind(AdminAction::Kind::kEndSession))).status());
  EXPECT_THAT(AllSessions(kAna), ElementsAre("finish/ASK/ended/ended_by_admin"));
  ASSERT_OK_AND_ASSIGN(auto after, store_->Timers(session_id));
  EXPECT_TRUE(after.empty());
  // Nothing left to end: refused.
  auto again = Run(Action(kAna, Kind(AdminAction::Kind::kEndSession)));
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Audit().size(), 1u);
}

TEST_P(AdminActionTest, OptOutEndsTheSessionAndOptInReactivates) {
  ASSERT_OK(Run(Sms(kAna, "FINISH")).status());
  ASSERT_OK(Run(Action(kAna, Kind(AdminAction::Kind::kOptOut))).status());
  EXPECT_EQ(Contact(kAna)->status, store::ContactStatus::kOptedOut);
  EXPECT_THAT(AllSessions(kAna), ElementsAre("finish/ASK/opted_out/opted_out"));
  ASSERT_OK(Run(Action(kAna, Kind(AdminAction::Kind::kOptIn))).status());
  EXPECT_EQ(Contact(kAna)->status, store::ContactStatus::kActive);
  EXPECT_EQ(Audit().size(), 2u);
}

TEST_P(AdminActionTest, EditReplacesNameAndFields) {
  ASSERT_OK(Run(Sms(kAna, "hello")).status());
  AdminAction edit = Kind(AdminAction::Kind::kEditContact);
  edit.name = "Ana María";
  edit.fields_json = R"({"clinic":"north"})";
  ASSERT_OK(Run(Action(kAna, edit)).status());
  EXPECT_EQ(Contact(kAna)->name, "Ana María");
  EXPECT_EQ(Contact(kAna)->fields_json, R"({"clinic":"north"})");
}

TEST_P(AdminActionTest, StartFlowStartsItOrRefusesAnUnknownFlow) {
  AdminAction start = Kind(AdminAction::Kind::kStartFlow);
  start.flow_id = "finish";
  ASSERT_OK_AND_ASSIGN(Outcome outcome, Run(Action(kCid, start)));
  EXPECT_EQ(outcome.session_state, "ASK");
  EXPECT_THAT(Outbox(), ElementsAre(HasSubstr(":One question: how are you?")));
  start.flow_id = "nope";
  EXPECT_EQ(Run(Action(kCid, start)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Audit().size(), 1u);
}

}  // namespace
}  // namespace parley::conversation::testing
