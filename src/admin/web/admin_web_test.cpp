// Issue 11: the admin console over a real HTTP server on port 0 and a real SQLite store:
// login (with its CSRF cookie), the guard (no session, role, CSRF), logout, security
// headers, cookie attributes, the dashboard's numbers, the contact list's search,
// pagination and escaping.
#include "admin/web/admin_web.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "admin/web/admin_web_test_fixture.hpp"
#include "admin/web/page.hpp"

namespace parley::admin::web {
namespace {

TEST_F(AdminWebTest, EveryPageNeedsASession) {
  for (const char* path :
       {"/admin", "/admin/", "/admin/contacts", "/admin/users", "/admin/audit"}) {
    const ClientResponse r = Get(path);
    EXPECT_EQ(r.status, 303) << path;
    EXPECT_EQ(r.Header("Location"), "/admin/login") << path;
  }
  twilio::Form f;
  f.Add("csrf", "whatever");
  EXPECT_EQ(Post("/admin/logout", f).status, 403);
  EXPECT_EQ(Get("/admin", "parley_admin=" + std::string(64, 'a')).status, 303);
}

TEST_F(AdminWebTest, LoginSetsASessionCookieWithItsAttributes) {
  User("ana@example.org", Role::kViewer);
  const ClientResponse form = Get("/admin/login");
  EXPECT_EQ(form.status, 200);
  EXPECT_THAT(form.body, HasSubstr("<label for=\"password\">"));
  EXPECT_EQ(SetCookieHeader(form, "parley_admin_login").find("HttpOnly; SameSite=Lax"),
            SetCookieHeader(form, "parley_admin_login").size() - 22);
  twilio::Form f;
  f.Add("csrf", HiddenCsrf(form.body));
  f.Add("email", "ana@example.org");
  f.Add("password", kPassword);
  const ClientResponse r = Post("/admin/login", f, CookieFrom(form, "parley_admin_login"));
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("Location"), "/admin");
  const std::string set = SetCookieHeader(r, "parley_admin");
  EXPECT_THAT(set, HasSubstr("; Path=/admin; Max-Age=43200; HttpOnly; SameSite=Lax"));
  EXPECT_THAT(set, Not(HasSubstr("Secure")));  // PUBLIC_URL is http here
  const ClientResponse dash = Get("/admin", CookieFrom(r, "parley_admin"));
  EXPECT_EQ(dash.status, 200);
  EXPECT_THAT(dash.body, HasSubstr("ana@example.org (viewer)"));
}

TEST_F(AdminWebTest, CookiesAreSecureWhenThePublicUrlIsHttps) {
  Start(true);
  User("ana@example.org", Role::kViewer);
  const ClientResponse form = Get("/admin/login");
  EXPECT_THAT(SetCookieHeader(form, "parley_admin_login"), HasSubstr("; Secure"));
  twilio::Form f;
  f.Add("csrf", HiddenCsrf(form.body));
  f.Add("email", "ana@example.org");
  f.Add("password", kPassword);
  const ClientResponse r = Post("/admin/login", f, CookieFrom(form, "parley_admin_login"));
  EXPECT_THAT(SetCookieHeader(r, "parley_admin"), HasSubstr("; HttpOnly; SameSite=Lax; Secure"));
}

TEST_F(AdminWebTest, LoginFormRefusesAMissingOrForeignCsrfToken) {
  User("ana@example.org", Role::kViewer);
  const ClientResponse form = Get("/admin/login");
  twilio::Form f;
  f.Add("email", "ana@example.org");
  f.Add("password", kPassword);
  // No token, no cookie: a cross-site form post.
  EXPECT_EQ(Post("/admin/login", f).status, 403);
  EXPECT_EQ(Post("/admin/login", f, CookieFrom(form, "parley_admin_login")).status, 403);
  f.Add("csrf", std::string(64, 'b'));
  EXPECT_EQ(Post("/admin/login", f, CookieFrom(form, "parley_admin_login")).status, 403);
}

TEST_F(AdminWebTest, WrongPasswordShowsTheFormAgainAndIsAudited) {
  User("ana@example.org", Role::kViewer);
  const ClientResponse form = Get("/admin/login");
  twilio::Form f;
  f.Add("csrf", HiddenCsrf(form.body));
  f.Add("email", "ana@example.org\"><script>");
  f.Add("password", "wrong-password");
  const ClientResponse r = Post("/admin/login", f, CookieFrom(form, "parley_admin_login"));
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("Wrong email or password."));
  EXPECT_THAT(r.body, HasSubstr("value=\"ana@example.org&quot;&gt;&lt;script&gt;\""));
  EXPECT_EQ(CookieFrom(r, "parley_admin"), "");
  ASSERT_OK_AND_ASSIGN(auto log, store_->admin().AuditLog(0, 1));
  EXPECT_EQ(log[0].action, "login_failed");
  EXPECT_EQ(log[0].remote, "127.0.0.1");
}

TEST_F(AdminWebTest, FiveFailuresThrottleWith429) {
  User("ana@example.org", Role::kViewer);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Login("ana@example.org", "wrong-password"), "");
  }
  const ClientResponse form = Get("/admin/login");
  twilio::Form f;
  f.Add("csrf", HiddenCsrf(form.body));
  f.Add("email", "ana@example.org");
  f.Add("password", kPassword);
  const ClientResponse r = Post("/admin/login", f, CookieFrom(form, "parley_admin_login"));
  EXPECT_EQ(r.status, 429);
  EXPECT_THAT(r.body, HasSubstr("Too many failed logins"));
}

TEST_F(AdminWebTest, PagesCarryTheSecurityHeaders) {
  User("ana@example.org", Role::kViewer);
  const std::string cookie = Login("ana@example.org");
  for (const ClientResponse& r : {Get("/admin", cookie), Get("/admin/login")}) {
    const std::string csp(r.Header("Content-Security-Policy"));
    EXPECT_THAT(csp, HasSubstr("default-src 'none'"));
    EXPECT_THAT(csp, Not(HasSubstr("unsafe-inline")));
    EXPECT_EQ(r.Header("X-Frame-Options"), "DENY");
    EXPECT_EQ(r.Header("Referrer-Policy"), "same-origin");
    EXPECT_EQ(r.Header("Cache-Control"), "no-store");
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
  }
  const ClientResponse css = Get("/admin/static/admin.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.Header("Content-Type"), "text/css; charset=utf-8");
}

TEST_F(AdminWebTest, RoleGuardRefusesAdminPagesToOthers) {
  User("vi@example.org", Role::kViewer);
  User("op@example.org", Role::kOperator);
  User("ad@example.org", Role::kAdmin);
  for (const char* email : {"vi@example.org", "op@example.org"}) {
    const std::string cookie = Login(email);
    EXPECT_EQ(Get("/admin/users", cookie).status, 403) << email;
    EXPECT_EQ(Get("/admin/audit", cookie).status, 403) << email;
    EXPECT_EQ(Get("/admin/contacts", cookie).status, 200) << email;
    EXPECT_THAT(Get("/admin", cookie).body, Not(HasSubstr("/admin/users")));
  }
  const std::string admin = Login("ad@example.org");
  const ClientResponse users = Get("/admin/users", admin);
  EXPECT_EQ(users.status, 200);
  EXPECT_THAT(users.body, HasSubstr("vi@example.org"));
  EXPECT_THAT(users.body, HasSubstr("<td>operator</td>"));
  const ClientResponse audit = Get("/admin/audit", admin);
  EXPECT_EQ(audit.status, 200);
  EXPECT_THAT(audit.body, HasSubstr("<td>login</td>"));
}

// The guard is reusable: a viewer cannot post an operator's action even with a valid CSRF
// token; an operator can, but not without the token.
TEST_F(AdminWebTest, GuardChecksRoleAndCsrfOnActions) {
  User("vi@example.org", Role::kViewer);
  User("op@example.org", Role::kOperator);
  const std::string viewer = Login("vi@example.org");
  const std::string op = Login("op@example.org");
  twilio::Form with_viewer_token;
  with_viewer_token.Add("csrf", PageCsrf(viewer));
  EXPECT_EQ(Post("/admin/test-action", with_viewer_token, viewer).status, 403);
  twilio::Form no_token;
  EXPECT_EQ(Post("/admin/test-action", no_token, op).status, 403);
  twilio::Form with_op_token;
  with_op_token.Add("csrf", PageCsrf(op));
  const ClientResponse ok = Post("/admin/test-action", with_op_token, op);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "done by op@example.org");
  EXPECT_EQ(ok.Header("X-Frame-Options"), "DENY");
  EXPECT_EQ(Post("/admin/test-action", with_op_token).status, 403);  // no session
}

TEST_F(AdminWebTest, LogoutNeedsTheSessionsCsrfTokenAndEndsTheSession) {
  User("ana@example.org", Role::kViewer);
  const std::string cookie = Login("ana@example.org");
  const std::string other = Login("ana@example.org");
  twilio::Form none;
  EXPECT_EQ(Post("/admin/logout", none, cookie).status, 403);
  twilio::Form foreign;
  foreign.Add("csrf", PageCsrf(other));  // another session's token
  EXPECT_EQ(Post("/admin/logout", foreign, cookie).status, 403);
  EXPECT_EQ(Get("/admin", cookie).status, 200);  // still logged in

  twilio::Form f;
  f.Add("csrf", PageCsrf(cookie));
  const ClientResponse r = Post("/admin/logout", f, cookie);
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("Location"), "/admin/login");
  EXPECT_THAT(SetCookieHeader(r, "parley_admin"),
              HasSubstr("parley_admin=; Path=/admin; Max-Age=0"));
  EXPECT_EQ(Get("/admin", cookie).status, 303);
  EXPECT_EQ(Get("/admin", other).status, 200);  // the other session lives on
  ASSERT_OK_AND_ASSIGN(auto log, store_->admin().AuditLog(0, 1));
  EXPECT_EQ(log[0].action, "logout");
}

TEST_F(AdminWebTest, DashboardShowsTodaysNumbers) {
  User("ana@example.org", Role::kViewer);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    store::ContactRecord init;
    init.address = "+15551230001";
    init.phone = init.address;
    ASSERT_OK_AND_ASSIGN(store::ContactRecord c, txn->LockContact(init));
    for (int i = 0; i < 7; ++i) {
      store::MessageRecord m;
      m.contact_id = c.id;
      m.provider_sid = "SM" + std::to_string(i);
      m.from = c.address;
      m.to = "+15005550006";
      m.body = "hi";
      m.created_at = kT0 - std::chrono::hours(i < 3 ? 0 : 48);  // 3 today
      ASSERT_OK(txn->InsertInbound(m).status());
    }
    // Issue 11 (dashboard): outbound messages of the last 24 hours by status — 3 delivered,
    // 1 failed, 1 still queued — and one older than a day, which counts for nothing.
    const std::vector<std::pair<store::MessageStatus, int>> outbound = {
        {store::MessageStatus::kDelivered, 0}, {store::MessageStatus::kDelivered, 1},
        {store::MessageStatus::kDelivered, 2}, {store::MessageStatus::kFailed, 2},
        {store::MessageStatus::kQueued, 0},    {store::MessageStatus::kFailed, 30}};
    for (const auto& [status, hours_ago] : outbound) {
      store::MessageRecord m;
      m.contact_id = c.id;
      m.from = "+15005550006";
      m.to = c.address;
      m.body = "reply";
      m.status = status;
      m.created_at = kT0 - std::chrono::hours(hours_ago);
      ASSERT_OK(txn->RecordOutbound(m));
    }
    store::SessionRecord s;
    s.contact_id = c.id;
    s.flow_revision = "r1";
    s.session.flow_id = "checkin<b>";
    s.session.state = "ASK";
    s.started_at = s.updated_at = kT0;
    ASSERT_OK(txn->SaveSession(s));
    ASSERT_OK(txn->Commit());
  }
  const ClientResponse r = Get("/admin", Login("ana@example.org"));
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("<dd id=\"messages-in\">3</dd>"));
  EXPECT_THAT(r.body, HasSubstr("<dd id=\"messages-out\">5</dd>"));  // not the one of yesterday
  EXPECT_THAT(r.body, HasSubstr("<td>checkin&lt;b&gt;</td><td class=\"num\">1</td>"));
  // Delivered of the settled ones (3 of 4), failures linked from "needs attention", and a
  // chart of the last 24 hours: 3 inbound and 2 outbound in kT0's hour, drawn to scale.
  EXPECT_THAT(r.body, HasSubstr("<dd id=\"delivery-rate\">75.0%</dd>"));
  EXPECT_THAT(r.body, HasSubstr("<dd id=\"delivery-failed\">1</dd>"));
  EXPECT_THAT(r.body, HasSubstr("<dd id=\"delivery-pending\">1</dd>"));
  EXPECT_THAT(r.body, HasSubstr("href=\"/admin/messages?status=failed\""));
  const std::string hour = FormatUtc(kT0).substr(11, 2) + ":00 UTC";
  EXPECT_THAT(r.body, HasSubstr("<title>" + hour + ": 3 in</title>"));
  EXPECT_THAT(r.body, HasSubstr("<title>" + hour + ": 2 out</title>"));
  EXPECT_THAT(r.body, HasSubstr("height=\"80\"><title>" + hour + ": 3 in"));  // the peak
  EXPECT_THAT(r.body, Not(HasSubstr("style=")));  // the CSP allows no inline style
}

TEST_F(AdminWebTest, DashboardWithoutSettledMessagesShowsNoRate) {
  User("ana@example.org", Role::kViewer);
  const ClientResponse r = Get("/admin", Login("ana@example.org"));
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("<dd id=\"delivery-rate\">\u2014</dd>"));
  EXPECT_THAT(r.body, Not(HasSubstr("id=\"attention\"")));
}

TEST_F(AdminWebTest, ContactsSearchPaginateAndEscape) {
  User("ana@example.org", Role::kViewer);
  {
    ASSERT_OK_AND_ASSIGN(auto txn, store_->Begin());
    for (int i = 0; i < 60; ++i) {
      store::ContactRecord init;
      init.address = "+1555123" + std::to_string(1000 + i);
      init.phone = init.address;
      init.name = i == 7 ? "<script>alert('x')</script>" : "Contact " + std::to_string(i);
      init.created_at = kT0;
      ASSERT_OK(txn->LockContact(init).status());
    }
    ASSERT_OK(txn->Commit());
  }
  const std::string cookie = Login("ana@example.org");
  const ClientResponse first = Get("/admin/contacts", cookie);
  EXPECT_EQ(first.status, 200);
  EXPECT_THAT(first.body, HasSubstr("+15551231059"));  // newest first
  EXPECT_THAT(first.body, Not(HasSubstr("+15551231009<")));
  EXPECT_THAT(first.body, Not(HasSubstr("<script>alert")));
  std::smatch next;
  ASSERT_TRUE(
      std::regex_search(first.body, next, std::regex("href=\"(/admin/contacts\\?[^\"]*)\"")));
  std::string next_url = next[1].str();
  next_url = std::regex_replace(next_url, std::regex("&amp;"), "&");
  const ClientResponse second = Get(next_url, cookie);
  EXPECT_THAT(second.body, HasSubstr("+15551231009"));
  EXPECT_THAT(second.body, HasSubstr("&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;"));
  EXPECT_THAT(second.body, Not(HasSubstr("rel=\"next\"")));

  const ClientResponse by_number = Get("/admin/contacts?q=%2B1+555+123-1042", cookie);
  EXPECT_THAT(by_number.body, HasSubstr("+15551231042"));
  EXPECT_THAT(by_number.body, Not(HasSubstr("+15551231041")));
  EXPECT_THAT(by_number.body, HasSubstr("value=\"+1 555 123-1042\""));
  const ClientResponse by_name = Get("/admin/contacts?q=contact+4", cookie);
  EXPECT_THAT(by_name.body, HasSubstr("Contact 41"));
  EXPECT_THAT(by_name.body, Not(HasSubstr("Contact 39")));
  const ClientResponse hostile = Get("/admin/contacts?q=%22%3E%3Cscript%3E", cookie);
  EXPECT_THAT(hostile.body, HasSubstr("&quot;&gt;&lt;script&gt;"));
  EXPECT_THAT(hostile.body, Not(HasSubstr("\"><script>")));
  EXPECT_THAT(hostile.body, HasSubstr("No contacts"));
}

}  // namespace
}  // namespace parley::admin::web
