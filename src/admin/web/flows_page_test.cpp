// Issue 11: the flows pages over a real HTTP server on port 0, a real SQLite store and the
// conversation pipeline: the list (revision, states, live sessions, warnings), a flow's page
// (inline SVG graph and table with the sessions there now and entered/left/ended in the
// period, warnings, revisions), the reload button (admin role, CSRF, audited, errors shown),
// hostile state names escaped in the page, the SVG and the DOT; and the transitions shown
// inline in a contact's transcript.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admin/web/admin_web_test_fixture.hpp"
#include "admin/web/flow_graph.hpp"

namespace parley::admin::web {
namespace {

constexpr char kAna[] = "+14155550101";
constexpr char kBob[] = "+14155550102";

class FlowsPageTest : public AdminWebTest {
 protected:
  void Start(const std::string& contact) {
    conversation::Event e;
    e.contact = conversation::ParseAddress(contact).value();
    e.body = conversation::StartFlow{"finish"};
    ASSERT_OK(pipeline_.Run(std::move(e)).status());
  }
  void Reply(const std::string& from, const std::string& body) {
    static int next = 0;
    conversation::InboundMessage m;
    m.to = testing::kOurNumber;
    m.message_sid = "SMflows" + std::to_string(++next);
    m.body = body;
    conversation::Event e;
    e.contact = conversation::ParseAddress(from).value();
    e.body = std::move(m);
    ASSERT_OK(pipeline_.Run(std::move(e)).status());
  }
  std::string Reload(const std::string& cookie, std::optional<std::string> csrf, int* status) {
    twilio::Form f;
    f.Add("csrf", csrf ? *csrf : PageCsrf(cookie));
    const ClientResponse r = Post("/admin/flows/finish/reload", f, cookie);
    *status = r.status;
    return r.body;
  }
};

// Issue 11: every flows route needs a session: pages send to the login, posts are refused.
TEST_F(FlowsPageTest, FlowsRoutesNeedALogin) {
  for (const char* path :
       {"/admin/flows", "/admin/flows/finish", "/admin/flows/finish/graph.dot"}) {
    const ClientResponse r = Get(path);
    EXPECT_EQ(r.status, 303) << path;
    EXPECT_EQ(r.Header("Location"), "/admin/login") << path;
  }
  int status = 0;
  twilio::Form f;
  f.Add("csrf", "x");
  EXPECT_EQ(Post("/admin/flows/finish/reload", f).status, 403);
  EXPECT_EQ(reloads_, 0);
  (void)status;
}

// Issue 11: the list shows each flow's revision, states, live sessions and warnings; a flow's
// page shows the graph and the per-state numbers (now; entered, left, ended in the period).
TEST_F(FlowsPageTest, ListAndFlowPageShowLiveAndPeriodNumbersPerState) {
  User("vi@example.org", Role::kViewer);
  const std::string cookie = Login("vi@example.org");
  Start(kAna);        // ana: entered ASK, is there now
  Start(kBob);        // bob: entered ASK,
  Reply(kBob, "ok");  // left it for DONE, ended there
  const ClientResponse list = Get("/admin/flows", cookie);
  ASSERT_EQ(list.status, 200);
  EXPECT_THAT(list.body, HasSubstr("<a href=\"/admin/flows/finish\">finish</a>"));
  EXPECT_THAT(list.body, HasSubstr("<td>2</td><td>1</td><td>"));  // states, live sessions

  const ClientResponse page = Get("/admin/flows/finish", cookie);
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_THAT(page.body, HasSubstr(">now 1</text>"));
  EXPECT_THAT(page.body, HasSubstr("2 states · 1 edge ·\n1 live session ·"));   // one, not "1 ...s"
  EXPECT_THAT(page.body, HasSubstr(">in 2 \u00b7 out 1 \u00b7 end 0</text>"));  // ASK
  EXPECT_THAT(page.body, HasSubstr(">in 1 \u00b7 out 0 \u00b7 end 1</text>"));  // DONE
  EXPECT_THAT(page.body, HasSubstr("<td>1</td>\n<td>2</td><td>1</td><td>0</td>"));  // ASK row
  EXPECT_THAT(page.body, HasSubstr("any text → DONE"));
  EXPECT_THAT(page.body, HasSubstr("States (today and the 6 days before, UTC)"));
  EXPECT_THAT(page.body, Not(HasSubstr("style=")));  // the CSP allows no inline style
  EXPECT_THAT(page.body, Not(HasSubstr("Reload the flows folder")));  // a viewer's page

  // A period that ended before these moves counts none of them; the live count stays.
  clock_.Advance(std::chrono::hours(48));
  const std::string again = Login("vi@example.org");  // the first session has expired
  const ClientResponse later = Get("/admin/flows/finish?days=1", again);
  EXPECT_THAT(later.body, HasSubstr(">in 0 \u00b7 out 0 \u00b7 end 0</text>"));
  EXPECT_THAT(later.body, Not(HasSubstr(">in 2 ")));
  EXPECT_THAT(later.body, HasSubstr(">now 1</text>"));
  EXPECT_THAT(later.body, HasSubstr("<option value=\"1\" selected>"));
  EXPECT_EQ(Get("/admin/flows/nope", again).status, 404);
}

// Issue 11: the period is whole UTC days (the rollup's days): just after midnight, "today"
// holds none of yesterday evening's moves, and "today and the day before" holds them all.
TEST_F(FlowsPageTest, ThePeriodIsWholeUtcDays) {
  User("vi@example.org", Role::kViewer);
  clock_.Set(std::chrono::floor<std::chrono::days>(kT0) + std::chrono::hours(23));
  Start(kAna);                            // 23:00 UTC
  clock_.Advance(std::chrono::hours(2));  // 01:00 the next day
  const std::string cookie = Login("vi@example.org");
  const ClientResponse today = Get("/admin/flows/finish?days=1", cookie);
  ASSERT_EQ(today.status, 200);
  EXPECT_THAT(today.body, HasSubstr("States (today, UTC)"));
  EXPECT_THAT(today.body, HasSubstr("<td>1</td>\n<td>0</td><td>0</td><td>0</td>"));  // ASK
  const ClientResponse two = Get("/admin/flows/finish?days=2", cookie);
  EXPECT_THAT(two.body, HasSubstr("States (today and the day before, UTC)"));
  EXPECT_THAT(two.body, HasSubstr("<td>1</td>\n<td>1</td><td>0</td><td>0</td>"));  // ASK
}

// Issue 11: a viewer (and an operator) cannot reload; the guard refuses before the reload.
TEST_F(FlowsPageTest, OnlyAdminsReload) {
  User("vi@example.org", Role::kViewer);
  User("op@example.org", Role::kOperator);
  int status = 0;
  Reload(Login("vi@example.org"), std::nullopt, &status);
  EXPECT_EQ(status, 403);
  Reload(Login("op@example.org"), std::nullopt, &status);
  EXPECT_EQ(status, 403);
  EXPECT_EQ(reloads_, 0);
}

// Issue 11: a reload without the session's CSRF token is refused and does nothing.
TEST_F(FlowsPageTest, ReloadNeedsTheCsrfToken) {
  User("ad@example.org", Role::kAdmin);
  const std::string cookie = Login("ad@example.org");
  int status = 0;
  Reload(cookie, std::string(64, 'a'), &status);
  EXPECT_EQ(status, 403);
  EXPECT_EQ(reloads_, 0);
}

// Issue 11: an admin's reload shows what changed, or the validation errors (escaped) of a
// file that was not applied; either way it is in the audit log.
TEST_F(FlowsPageTest, AdminReloadShowsChangesOrErrorsAndIsAudited) {
  User("ad@example.org", Role::kAdmin);
  const std::string cookie = Login("ad@example.org");
  EXPECT_THAT(Get("/admin/flows/finish", cookie).body, HasSubstr("Reload the flows folder"));
  reload_result_.summary = "flows reloaded: 1 changed";
  reload_result_.changes = {"changed finish: aaa \u2192 bbb"};
  int status = 0;
  std::string body = Reload(cookie, std::nullopt, &status);
  EXPECT_EQ(status, 200);
  EXPECT_THAT(body, HasSubstr("changed finish: aaa \u2192 bbb"));

  reload_result_ = {};
  reload_result_.summary = "flows reloaded: 1 rejected";
  reload_result_.errors = {"flows/finish.json:\nfinish.json:3:5: error: unknown state '<script>'"};
  body = Reload(cookie, std::nullopt, &status);
  EXPECT_EQ(status, 422);
  EXPECT_THAT(body, HasSubstr("error: unknown state &apos;&lt;script&gt;&apos;"));
  EXPECT_THAT(body, Not(HasSubstr("<script>")));
  EXPECT_THAT(body, HasSubstr("the revisions that served keep serving"));
  EXPECT_EQ(reloads_, 2);
  auto log = store_->admin().AuditLog(0, 10);
  ASSERT_OK(log.status());
  ASSERT_GE(log->size(), 2u);
  EXPECT_EQ((*log)[0].action, "flows_reload");
  EXPECT_EQ((*log)[0].actor, "ad@example.org");
  EXPECT_EQ((*log)[0].target, "finish");
  EXPECT_EQ((*log)[0].detail, "flows reloaded: 1 rejected");
}

// Issue 11: state names, labels and flow ids are text everywhere: the page, its SVG and the
// DOT escape them.
TEST_F(FlowsPageTest, HostileStateNamesAndLabelsAreEscaped) {
  constexpr char kHostile[] = R"({
  "flow": "h<b>\"'",
  "states": [
    {"name": "<script>alert(1)</script>",
     "states": [{"name": "\"/><g onload=\"x\">", "condition": {"reply": "</text><script>"}}]}
  ]
})";
  flow::CompileResult compiled = flow::Compile(kHostile);
  ASSERT_NE(compiled.flow, nullptr);
  ASSERT_OK_AND_ASSIGN(catalog_, conversation::FlowCatalog::Build({compiled.flow}));
  User("vi@example.org", Role::kViewer);
  const std::string cookie = Login("vi@example.org");
  const ClientResponse list = Get("/admin/flows", cookie);
  EXPECT_THAT(list.body, HasSubstr("href=\"/admin/flows/h%3Cb%3E%22%27\""));
  const ClientResponse page = Get("/admin/flows/h%3Cb%3E%22%27", cookie);
  ASSERT_EQ(page.status, 200);
  EXPECT_THAT(page.body, Not(HasSubstr("<script>")));
  EXPECT_THAT(page.body, Not(HasSubstr("<g onload")));
  EXPECT_THAT(page.body, Not(HasSubstr("</text><script>")));
  EXPECT_THAT(page.body, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(page.body, HasSubstr("&quot;/&gt;&lt;g onload=&quot;x&quot;&gt;"));
  const ClientResponse dot = Get("/admin/flows/h%3Cb%3E%22%27/graph.dot", cookie);
  ASSERT_EQ(dot.status, 200);
  EXPECT_THAT(dot.body, HasSubstr("\\\"/><g onload=\\\"x\\\">"));  // quotes escaped for DOT
  EXPECT_THAT(dot.Header("Content-Type"), HasSubstr("text/vnd.graphviz"));
  EXPECT_THAT(FlowGraphSvg(*compiled.flow, {}), Not(HasSubstr("<script")));
}

// Issue 11: the contact's transcript shows the transitions between its messages, in order.
TEST_F(FlowsPageTest, ContactTranscriptShowsTransitionsInline) {
  User("vi@example.org", Role::kViewer);
  const std::string cookie = Login("vi@example.org");
  Start(kAna);
  clock_.Advance(std::chrono::minutes(1));
  Reply(kAna, "fine");
  auto contact = store_->FindContact(kAna);
  ASSERT_OK(contact.status());
  ASSERT_TRUE(contact->has_value());
  const ClientResponse page = Get("/admin/contacts/" + std::to_string((*contact)->id), cookie);
  ASSERT_EQ(page.status, 200);
  const std::string& b = page.body;
  const size_t started = b.find("started finish at ASK");
  const size_t question = b.find("One question: how are you?");
  const size_t reply = b.find(">fine</span>");
  const size_t moved = b.find(
      "moved from ASK to DONE by edge 1 (any text), and the session "
      "ended: completed");
  const size_t thanks = b.find("Thanks, bye.");
  ASSERT_NE(started, std::string::npos);
  ASSERT_NE(moved, std::string::npos);
  EXPECT_LT(started, question);
  EXPECT_LT(question, reply);
  EXPECT_LT(reply, moved);
  EXPECT_LT(moved, thanks);
  EXPECT_THAT(b, HasSubstr("<span class=\"cause\">(start)</span>"));
  EXPECT_THAT(b, HasSubstr("<span class=\"cause\">(inbound)</span>"));
}

}  // namespace
}  // namespace parley::admin::web
