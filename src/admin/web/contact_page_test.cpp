// Issue 11: a contact's page and its actions over a real HTTP server on port 0, a real SQLite
// store and the conversation pipeline: what the page shows (channel, status, WhatsApp window,
// fields, current session with variables and timers, past sessions, the transcript with
// statuses and error codes), hostile text escaped, the transcript's keyset pagination; the
// actions' effects, their audit lines, the role and CSRF checks, and the limits of the forms.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "admin/web/admin_web_test_fixture.hpp"
#include "admin/web/contact_form.hpp"

namespace parley::admin::web {
namespace {

constexpr char kAna[] = "+14155550101";
constexpr char kHostile[] = "\"><script>alert('x')</script>";

class ContactPageTest : public AdminWebTest {
 protected:
  // An inbound SMS from `from` through the pipeline (the contact is created by it).
  void Inbound(const std::string& from, const std::string& body, const std::string& profile = "") {
    static int next = 0;
    conversation::InboundMessage m;
    m.to = from.starts_with("whatsapp:") ? std::string("whatsapp:") + testing::kOurNumber
                                         : std::string(testing::kOurNumber);
    m.message_sid = "SM" + std::to_string(++next);
    m.body = body;
    m.profile_name = profile;
    conversation::Event e;
    e.contact = conversation::ParseAddress(from).value();
    e.body = std::move(m);
    ASSERT_OK(pipeline_.Run(std::move(e)).status());
  }
  int64_t ContactId(const std::string& address) {
    auto c = store_->FindContact(address);
    EXPECT_TRUE(c.ok() && c->has_value());
    return c.ok() && c->has_value() ? (*c)->id : 0;
  }
  std::string PagePath(const std::string& address) {
    return "/admin/contacts/" + std::to_string(ContactId(address));
  }
  // Posts an action with the page's CSRF token (or `csrf` when given).
  ClientResponse Act(const std::string& cookie, const std::string& address,
                     const std::string& action, twilio::Form form = {},
                     std::optional<std::string> csrf = std::nullopt) {
    form.Add("csrf", csrf ? *csrf : PageCsrf(cookie));
    return Post(PagePath(address) + "/" + action, form, cookie);
  }
  std::vector<std::string> AuditActions() {
    auto log = store_->admin().AuditLog(0, 100);
    std::vector<std::string> out;
    for (const auto& a : log.value_or({})) {
      if (a.action.starts_with("contact_")) {
        out.insert(out.begin(), a.actor + " " + a.action + " " + a.target);
      }
    }
    return out;
  }
};

TEST_F(ContactPageTest, ShowsTheContactSessionAndTranscriptEscaped) {
  User("viewer@example.org", Role::kViewer);
  Inbound(kAna, kHostile, "");
  Inbound(kAna, "FINISH");             // starts the flow: a question, a variable, a timer
  const int64_t id = ContactId(kAna);  // read before the transaction takes SQLite's connection
  {  // A hostile name and field, and a failed delivery with its error code.
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    ASSERT_OK_AND_ASSIGN(store::ContactRecord c, txn->LockContactById(id));
    c.name = kHostile;
    c.fields_json = R"({"clinic":"<i>north</i>"})";
    ASSERT_OK(txn->UpdateContact(c));
    ASSERT_OK(txn->Commit());
  }
  auto claimed = store_->ClaimOutbox(clock_.Now(), 10, std::chrono::minutes(1));
  ASSERT_OK(claimed.status());
  ASSERT_EQ(claimed->size(), 1u);
  ASSERT_OK(store_->FinishOutbox((*claimed)[0].id, store::MessageStatus::kFailed, "", "30003"));

  const std::string cookie = Login("viewer@example.org");
  const ClientResponse page = Get(PagePath(kAna), cookie);
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("<dd id=\"channel\">SMS</dd>"));
  EXPECT_THAT(page.body, HasSubstr("<dd id=\"status\">active</dd>"));
  EXPECT_THAT(page.body, HasSubstr("<dd id=\"session-flow\">finish</dd>"));
  EXPECT_THAT(page.body, HasSubstr("<dd id=\"session-state\">ASK</dd>"));
  EXPECT_THAT(page.body, HasSubstr("<dt>topic</dt><dd>&lt;b&gt;mood&lt;/b&gt;</dd>"));
  EXPECT_THAT(page.body, HasSubstr("<td>nudge</td><td>" + ShortTime(kT0 + std::chrono::hours(1))));
  EXPECT_THAT(page.body, HasSubstr("<dt>clinic</dt><dd>&lt;i&gt;north&lt;/i&gt;</dd>"));
  // The transcript, oldest first, with the failed delivery's status and error code.
  const size_t first = page.body.find("&quot;&gt;&lt;script&gt;alert(&apos;x&apos;)");
  const size_t second = page.body.find(">FINISH<");
  const size_t third = page.body.find("One question: how are you?");
  ASSERT_NE(first, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_THAT(page.body, HasSubstr("<span class=\"status\">failed</span> <span "
                                   "class=\"error-code\">error 30003</span>"));
  EXPECT_THAT(page.body, Not(HasSubstr("<script>")));
  EXPECT_THAT(page.body, Not(HasSubstr("<i>north")));
  // A viewer is offered no action.
  EXPECT_THAT(page.body, Not(HasSubstr("/send\"")));
  EXPECT_THAT(page.body, Not(HasSubstr("End the session")));

  EXPECT_EQ(Get("/admin/contacts/999999", cookie).status, 404);
  EXPECT_EQ(Get("/admin/contacts/abc", cookie).status, 404);
  EXPECT_EQ(Get("/admin/contacts/-1", cookie).status, 404);
  // The contact list links to the page.
  EXPECT_THAT(Get("/admin/contacts", cookie).body, HasSubstr("href=\"" + PagePath(kAna) + "\""));
}

TEST_F(ContactPageTest, WhatsAppWindowShowsUntilWhen) {
  User("viewer@example.org", Role::kViewer);
  const std::string bob = "whatsapp:+14155550102";
  Inbound(bob, "hi", "Bob");
  const std::string cookie = Login("viewer@example.org");
  EXPECT_THAT(Get(PagePath(bob), cookie).body,
              HasSubstr("<dd id=\"window\">open until " + ShortTime(kT0 + std::chrono::hours(24)) +
                        " UTC</dd>"));
  clock_.Advance(std::chrono::hours(25));
  const std::string later = Login("viewer@example.org");  // the first session has expired
  EXPECT_THAT(Get(PagePath(bob), later).body, HasSubstr("<dd id=\"window\">closed since "));
  EXPECT_THAT(Get(PagePath(bob), later).body, HasSubstr("<dd id=\"channel\">WhatsApp</dd>"));
}

TEST_F(ContactPageTest, TranscriptIsKeysetPaginated) {
  User("viewer@example.org", Role::kViewer);
  for (int i = 0; i < 60; ++i) {
    Inbound(kAna, "message " + std::to_string(100 + i));
  }
  const std::string cookie = Login("viewer@example.org");
  const ClientResponse newest = Get(PagePath(kAna), cookie);
  EXPECT_THAT(newest.body, HasSubstr("message 159"));
  EXPECT_THAT(newest.body, HasSubstr("message 110"));
  EXPECT_THAT(newest.body, Not(HasSubstr("message 109")));
  EXPECT_LT(newest.body.find("message 110"), newest.body.find("message 159"));
  std::smatch older;
  ASSERT_TRUE(std::regex_search(
      newest.body, older,
      std::regex("rel=\"prev\" href=\"(/admin/contacts/[0-9]+\\?before=[0-9]+)\"")));
  const ClientResponse page2 = Get(older[1].str(), cookie);
  EXPECT_THAT(page2.body, HasSubstr("message 100"));
  EXPECT_THAT(page2.body, HasSubstr("message 109"));
  EXPECT_THAT(page2.body, Not(HasSubstr("message 110")));
  EXPECT_THAT(page2.body, Not(HasSubstr("rel=\"prev\"")));
  EXPECT_THAT(page2.body, HasSubstr("Newest messages"));
}

TEST_F(ContactPageTest, ActionsNeedTheOperatorRoleAndTheCsrfToken) {
  User("viewer@example.org", Role::kViewer);
  User("op@example.org", Role::kOperator);
  Inbound(kAna, "hello");
  const std::string before = store_->RowCounts().value();
  twilio::Form send;
  send.Add("body", "hi there");
  const std::string viewer = Login("viewer@example.org");
  EXPECT_EQ(Act(viewer, kAna, "send", send).status, 403);
  const std::string op = Login("op@example.org");
  EXPECT_EQ(Act(op, kAna, "send", send, std::string(64, '0')).status, 403);
  EXPECT_EQ(Act(op, kAna, "send", send, std::string()).status, 403);
  EXPECT_EQ(store_->RowCounts().value(), before);
  EXPECT_THAT(AuditActions(), ::testing::IsEmpty());
  // Nobody logged in: refused too.
  EXPECT_EQ(Post(PagePath(kAna) + "/send", send).status, 403);
  EXPECT_EQ(store_->RowCounts().value(), before);
}

TEST_F(ContactPageTest, SendQueuesTheMessageShownInTheTranscriptAndAudited) {
  User("op@example.org", Role::kOperator);
  Inbound(kAna, "hello");
  const std::string op = Login("op@example.org");
  twilio::Form send;
  send.Add("body", "<b>Hi</b> from the team");
  const ClientResponse r = Act(op, kAna, "send", send);
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("Location"), PagePath(kAna) + "?done=send");
  auto queued = store_->ClaimOutbox(clock_.Now(), 10, std::chrono::minutes(1));
  ASSERT_OK(queued.status());
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ((*queued)[0].body, "<b>Hi</b> from the team");
  EXPECT_EQ((*queued)[0].from, testing::kOurNumber);
  const ClientResponse page = Get(std::string(r.Header("Location")), op);
  EXPECT_THAT(page.body, HasSubstr("The message is queued for the sender."));
  EXPECT_THAT(page.body, HasSubstr("&lt;b&gt;Hi&lt;/b&gt; from the team"));
  EXPECT_THAT(page.body, HasSubstr("<span class=\"status\">queued</span>"));
  EXPECT_THAT(AuditActions(),
              ::testing::ElementsAre(std::string("op@example.org contact_send ") + kAna));

  // The form's limits: empty, and longer than one message.
  twilio::Form empty;
  empty.Add("body", "  ");
  EXPECT_EQ(Act(op, kAna, "send", empty).status, 400);
  twilio::Form long_one;
  long_one.Add("body", std::string(kMaxMessageChars + 1, 'x'));
  EXPECT_EQ(Act(op, kAna, "send", long_one).status, 400);
  EXPECT_EQ(AuditActions().size(), 1u);
  EXPECT_EQ(Act(op, kAna, "explode").status, 404);
  EXPECT_EQ(Post("/admin/contacts/999999/send", send, op).status, 403);  // no csrf field
}

TEST_F(ContactPageTest, OptOutRefusesSendsUntilOptInAndEndSessionEndsIt) {
  User("op@example.org", Role::kOperator);
  Inbound(kAna, "FINISH");
  const std::string op = Login("op@example.org");
  EXPECT_EQ(Act(op, kAna, "end-session").status, 303);
  EXPECT_THAT(Get(PagePath(kAna), op).body, HasSubstr("No active session."));
  EXPECT_THAT(Get(PagePath(kAna), op).body, HasSubstr("<td>ended_by_admin</td>"));
  // Nothing left to end: the core's reason, as a 409.
  const ClientResponse again = Act(op, kAna, "end-session");
  EXPECT_EQ(again.status, 409);
  EXPECT_THAT(again.body, HasSubstr("no active session"));

  EXPECT_EQ(Act(op, kAna, "opt-out").status, 303);
  EXPECT_EQ(store_->FindContact(kAna).value()->status, store::ContactStatus::kOptedOut);
  twilio::Form send;
  send.Add("body", "hello?");
  const ClientResponse refused = Act(op, kAna, "send", send);
  EXPECT_EQ(refused.status, 409);
  EXPECT_THAT(refused.body, HasSubstr("opted_out"));
  twilio::Form start;
  start.Add("flow", "finish");
  EXPECT_EQ(Act(op, kAna, "start-flow", start).status, 409);
  EXPECT_EQ(Act(op, kAna, "opt-in").status, 303);
  EXPECT_EQ(store_->FindContact(kAna).value()->status, store::ContactStatus::kActive);
  EXPECT_EQ(Act(op, kAna, "start-flow", start).status, 303);
  EXPECT_THAT(Get(PagePath(kAna), op).body, HasSubstr("<dd id=\"session-state\">ASK</dd>"));
  twilio::Form unknown;
  unknown.Add("flow", "nope");
  EXPECT_EQ(Act(op, kAna, "start-flow", unknown).status, 409);
  EXPECT_THAT(AuditActions(),
              ::testing::ElementsAre(std::string("op@example.org contact_end_session ") + kAna,
                                     std::string("op@example.org contact_opt_out ") + kAna,
                                     std::string("op@example.org contact_opt_in ") + kAna,
                                     std::string("op@example.org contact_start_flow ") + kAna));
}

TEST_F(ContactPageTest, EditSavesNameAndFieldsWithinLimits) {
  User("op@example.org", Role::kOperator);
  Inbound(kAna, "hello");
  const std::string op = Login("op@example.org");
  twilio::Form edit;
  edit.Add("name", "Ana <María>");
  edit.Add("fields", "clinic = north\r\n\r\nvisit=2026-12-01\nclinic=south\n");
  EXPECT_EQ(Act(op, kAna, "edit", edit).status, 303);
  const store::ContactRecord c = *store_->FindContact(kAna).value();
  EXPECT_EQ(c.name, "Ana <María>");
  EXPECT_EQ(c.fields_json, R"({"clinic":"south","visit":"2026-12-01"})");
  const ClientResponse page = Get(PagePath(kAna), op);
  EXPECT_THAT(page.body, HasSubstr("value=\"Ana &lt;María&gt;\""));
  EXPECT_THAT(page.body, HasSubstr("clinic=south\nvisit=2026-12-01\n</textarea>"));

  twilio::Form bad;
  bad.Add("name", "Ana");
  bad.Add("fields", "no equals sign");
  const ClientResponse refused = Act(op, kAna, "edit", bad);
  EXPECT_EQ(refused.status, 400);
  EXPECT_THAT(refused.body, HasSubstr("line 1"));
  std::string many;
  for (size_t i = 0; i <= kMaxFields; ++i) {
    many += "k" + std::to_string(i) + "=v\n";
  }
  twilio::Form too_many;
  too_many.Add("name", "Ana");
  too_many.Add("fields", many);
  EXPECT_EQ(Act(op, kAna, "edit", too_many).status, 400);
  EXPECT_EQ(store_->FindContact(kAna).value()->name, "Ana <María>");
}

}  // namespace
}  // namespace parley::admin::web
