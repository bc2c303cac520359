#include "admin/web/admin_web.hpp"

#include "admin/secure_random.hpp"
#include "admin/web/broadcast_failures.hpp"
#include "admin/web/cookies.hpp"
#include "admin/web/live_transcript.hpp"
#include "admin/web/log_pages.hpp"
#include "admin/web/multipart.hpp"
#include "admin/web/page.hpp"
#include "admin/web/pages.hpp"
#include "admin/web/templates.hpp"
#include "twilio/form.hpp"

namespace parley::admin::web {
namespace {

constexpr Duration kLoginCookieAge = std::chrono::hours(1);

std::string SessionToken(const http::Request& request) {
  return CookieValue(request.Header("Cookie"), kSessionCookie).value_or("");
}

// A form body's field, or "" (also for a body that does not decode). A multipart body (the
// broadcast's upload) is read as such.
std::string FormField(const http::Request& request, std::string_view name) {
  if (auto boundary = MultipartBoundary(request.Header("Content-Type"))) {
    auto parts = ParseMultipart(request.body, *boundary);
    const FormPart* part = parts.ok() ? FindPart(*parts, name) : nullptr;
    return part != nullptr ? part->body : std::string();
  }
  auto form = twilio::DecodeForm(request.body);
  return form.ok() ? std::string(form->Get(name)) : std::string();
}

}  // namespace

AdminWeb::AdminWeb(store::Store& store, Auth& auth, const Clock& clock, WebOptions options)
    : store_(store), auth_(auth), clock_(clock), options_(std::move(options)) {}

http::Response AdminWeb::Failure(const Status& s, const Principal* who) {
  if (options_.error_log) {
    options_.error_log("admin: " + s.ToString());
  }
  return ErrorPage(500, "Something went wrong; the server log says what.", who);
}

http::Handler AdminWeb::Guard(Role need, PageHandler page) {
  return [this, need, page = std::move(page)](const http::Request& request) {
    auto who = auth_.Authenticate(SessionToken(request));
    if (!who.ok()) {
      return Failure(who.status(), nullptr);
    }
    const bool reads = request.method == "GET" || request.method == "HEAD";
    if (!who->has_value()) {
      return reads ? Redirect("/admin/login")
                   : ErrorPage(403, "Your session has ended. Log in again.", nullptr);
    }
    const Principal& p = **who;
    if (!Allows(p.role, need)) {
      return ErrorPage(403, "This page needs the " + std::string(RoleName(need)) + " role.", &p);
    }
    if (!reads && !Auth::CheckCsrf(p, FormField(request, "csrf"))) {
      return ErrorPage(403, "The form has expired or did not come from this site. Reload it.", &p);
    }
    return page(request, p);
  };
}

void AdminWeb::AddRoutes(http::Router& router) {
  router.Add("GET", "/admin/static/admin.css", [](const http::Request&) {
    http::Response r;
    r.content_type = "text/css; charset=utf-8";
    r.body = std::string(templates::kStylesheet);
    AddSecurityHeaders(r, /*cacheable=*/true);
    r.headers.emplace_back("Cache-Control", "max-age=3600");
    return r;
  });
  // The contact page's live transcript (live_transcript.hpp): a file, as the CSP requires.
  router.Add("GET", "/admin/static/transcript.js", [](const http::Request&) {
    http::Response r;
    r.content_type = "text/javascript; charset=utf-8";
    r.body = std::string(kTranscriptScript);
    AddSecurityHeaders(r, /*cacheable=*/true);
    r.headers.emplace_back("Cache-Control", "max-age=3600");
    return r;
  });
  router.Add("GET", "/admin/login", [this](const http::Request& r) { return LoginForm(r); });
  router.Add("POST", "/admin/login", [this](const http::Request& r) { return LoginSubmit(r); });
  router.Add("POST", "/admin/logout",
             Guard(Role::kViewer,
                   [this](const http::Request& r, const Principal& p) { return Logout(r, p); }));
  const auto dashboard = Guard(Role::kViewer, [this](const http::Request& r, const Principal& p) {
    auto page = DashboardPage(store_, clock_, r, p);
    return page.ok() ? std::move(*page) : Failure(page.status(), &p);
  });
  router.Add("GET", "/admin", dashboard);
  router.Add("GET", "/admin/", dashboard);
  router.Add("GET", "/admin/contacts",
             Guard(Role::kViewer, [this](const http::Request& r, const Principal& p) {
               auto page = ContactsPage(store_, r, p);
               return page.ok() ? std::move(*page) : Failure(page.status(), &p);
             }));
  router.Add("GET", "/admin/contacts/{id}",
             Guard(Role::kViewer, [this](const http::Request& r, const Principal& p) {
               const auto flows =
                   options_.flow_ids ? options_.flow_ids() : std::vector<std::string>();
               const auto catalog = options_.flows ? options_.flows() : nullptr;
               auto page = ContactPage(store_, clock_, r, p, flows, catalog.get());
               return page.ok() ? std::move(*page) : Failure(page.status(), &p);
             }));
  router.Add("GET", "/admin/contacts/{id}/transcript.json",
             Guard(Role::kViewer, [this](const http::Request& r, const Principal& p) {
               auto page = TranscriptUpdates(store_, r, p);
               return page.ok() ? std::move(*page) : Failure(page.status(), &p);
             }));
  router.Add("POST", "/admin/contacts/{id}/{action}",
             Guard(Role::kOperator, [this](const http::Request& r, const Principal& p) {
               auto page = ContactAction(store_, options_.apply_event, r, p);
               return page.ok() ? std::move(*page) : Failure(page.status(), &p);
             }));
  // The flows (flows_page.cpp). The catalog is taken once per request.
  const auto catalog = [this] {
    return options_.flows ? options_.flows() : std::shared_ptr<const conversation::FlowCatalog>();
  };
  router.Add("GET", "/admin/flows",
             Guard(Role::kViewer, [this, catalog](const http::Request&, const Principal& p) {
               const auto flows = catalog();
               auto page = FlowsPage(store_, flows.get(), p);
               return page.ok() ? std::move(*page) : Failure(page.status(), &p);
             }));
  router.Add("GET", "/admin/flows/{id}",
             Guard(Role::kViewer, [this, catalog](const http::Request& r, const Principal& p) {
               const auto flows = catalog();
               auto page = FlowPage(store_, clock_, flows.get(), r, p);
               return page.ok() ? std::move(*page) : Failure(page.status(), &p);
             }));
  router.Add("GET", "/admin/flows/{id}/graph.dot",
             Guard(Role::kViewer, [this, catalog](const http::Request& r, const Principal& p) {
               const auto flows = catalog();
               auto page = FlowDot(flows.get(), r, p);
               return page.ok() ? std::move(*page) : Failure(page.status(), &p);
             }));
  // Reloading changes what every conversation runs: the admin role only, audited (the
  // summary of what changed or why nothing did).
  router.Add("POST", "/admin/flows/{id}/reload",
             Guard(Role::kAdmin, [this, catalog](const http::Request& r, const Principal& p) {
               if (!options_.reload_flows) {
                 return ErrorPage(503, "Reloading flows is not available here.", &p);
               }
               const FlowReloadResult result = options_.reload_flows();
               store::AuditRecord audit;
               audit.at = clock_.Now();
               audit.actor = p.email;
               audit.action = "flows_reload";
               audit.target = std::string(r.PathParam("id"));
               audit.detail = result.summary;
               audit.remote = ClientAddress(r);
               if (Status s = store_.admin().AppendAudit(audit); !s.ok()) {
                 return Failure(s, &p);
               }
               const auto flows = catalog();
               auto page = FlowPage(store_, clock_, flows.get(), r, p, &result);
               return page.ok() ? std::move(*page) : Failure(page.status(), &p);
             }));
  AddLogAndBroadcastRoutes(router);
  router.Add("GET", "/admin/users",
             Guard(Role::kAdmin, [this](const http::Request& r, const Principal& p) {
               auto page = UsersPage(store_, r, p);
               return page.ok() ? std::move(*page) : Failure(page.status(), &p);
             }));
  router.Add("GET", "/admin/audit",
             Guard(Role::kAdmin, [this](const http::Request& r, const Principal& p) {
               auto page = AuditPage(store_, r, p);
               return page.ok() ? std::move(*page) : Failure(page.status(), &p);
             }));
}

void AdminWeb::AddLogAndBroadcastRoutes(http::Router& router) {
  const auto page = [this](Role need, auto body) {
    return Guard(need, [this, body](const http::Request& r, const Principal& p) {
      Result<http::Response> answer = body(r, p);
      return answer.ok() ? std::move(*answer) : Failure(answer.status(), &p);
    });
  };
  const BroadcastContext cx{options_.flow_ids, options_.wake_broadcasts, &clock_};
  router.Add("GET", "/admin/messages",
             page(Role::kViewer, [this](auto& r, auto& p) { return MessagesPage(store_, r, p); }));
  router.Add("GET", "/admin/broadcast", page(Role::kOperator, [this, cx](auto& r, auto& p) {
               return BroadcastFormPage(store_, cx, r, p);
             }));
  router.Add("POST", "/admin/broadcast/preview",
             page(Role::kOperator,
                  [this, cx](auto& r, auto& p) { return BroadcastPreview(store_, cx, r, p); }));
  router.Add("POST", "/admin/broadcast", page(Role::kOperator, [this, cx](auto& r, auto& p) {
               return BroadcastConfirm(store_, cx, r, p);
             }));
  router.Add("GET", "/admin/broadcasts/{id}", page(Role::kViewer, [this](auto& r, auto& p) {
               return BroadcastProgressPage(store_, r, p);
             }));
  router.Add(
      "GET", "/admin/broadcasts/{id}/failed.csv",
      page(Role::kViewer, [this](auto& r, auto& p) { return BroadcastFailuresCsv(store_, r, p); }));
}

http::Response AdminWeb::LoginPage(int status, const std::string& csrf, std::string_view email,
                                   std::string_view message, bool new_cookie) {
  Data d;
  d.set("csrf", csrf);
  d.set("email", std::string(email));
  if (!message.empty()) {
    d.set("message", std::string(message));
  }
  http::Response r = Html(status, Layout("Log in", Render(templates::kLogin, d), nullptr));
  if (new_cookie) {
    r.headers.emplace_back("Set-Cookie", SetCookie(kLoginCookie, csrf, kLoginCookieAge,
                                                   {options_.secure_cookies, "/admin"}));
  }
  return r;
}

http::Response AdminWeb::LoginForm(const http::Request& request) {
  auto who = auth_.Authenticate(SessionToken(request));
  if (!who.ok()) {
    return Failure(who.status(), nullptr);
  }
  if (who->has_value()) {
    return Redirect("/admin");
  }
  // Reuse the form's token while its cookie lasts (several tabs), else start one.
  const auto existing = CookieValue(request.Header("Cookie"), kLoginCookie);
  if (existing && existing->size() == 64) {
    return LoginPage(200, *existing, "", "", false);
  }
  return LoginPage(200, RandomToken(), "", "", true);
}

http::Response AdminWeb::LoginSubmit(const http::Request& request) {
  auto form = twilio::DecodeForm(request.body);
  const auto cookie = CookieValue(request.Header("Cookie"), kLoginCookie);
  if (!form.ok() || !cookie || cookie->size() != 64 ||
      !ConstantTimeEquals(*cookie, form->Get("csrf"))) {
    return ErrorPage(403, "The login form has expired or did not come from this site. Reload it.",
                     nullptr);
  }
  const std::string email(form->Get("email"));
  auto outcome = auth_.Login(email, form->Get("password"), ClientAddress(request));
  if (!outcome.ok()) {
    return Failure(outcome.status(), nullptr);
  }
  if (!outcome->ok) {
    return LoginPage(outcome->throttled ? 429 : 200, *cookie, email, outcome->message, false);
  }
  const CookieOptions cookies{options_.secure_cookies, "/admin"};
  http::Response r = Redirect("/admin");
  r.headers.emplace_back("Set-Cookie",
                         SetCookie(kSessionCookie, outcome->token, outcome->max_age, cookies));
  r.headers.emplace_back("Set-Cookie", ClearCookie(kLoginCookie, cookies));
  return r;
}

http::Response AdminWeb::Logout(const http::Request& request, const Principal& who) {
  if (Status s = auth_.Logout(who, ClientAddress(request)); !s.ok()) {
    return Failure(s, &who);
  }
  http::Response r = Redirect("/admin/login");
  r.headers.emplace_back("Set-Cookie",
                         ClearCookie(kSessionCookie, {options_.secure_cookies, "/admin"}));
  return r;
}

}  // namespace parley::admin::web
