#include "admin/web/page.hpp"

#include <charconv>

#include "admin/web/templates.hpp"

namespace parley::admin::web {
namespace {

struct NavItem {
  std::string_view href;
  std::string_view label;
  Role need;
};

// Pages a role cannot open are not offered (the guard refuses them anyway).
constexpr NavItem kNav[] = {
    {"/admin", "Dashboard", Role::kViewer},
    {"/admin/contacts", "Contacts", Role::kViewer},
    {"/admin/flows", "Flows", Role::kViewer},
    {"/admin/messages", "Messages", Role::kViewer},
    {"/admin/broadcast", "Broadcast", Role::kOperator},
    {"/admin/users", "Users", Role::kAdmin},
    {"/admin/audit", "Audit log", Role::kAdmin},
};

}  // namespace

std::string Render(std::string_view tmpl, const Data& data) {
  kainjow::mustache::mustache m{std::string(tmpl)};
  return m.render(data);
}

std::string Layout(std::string_view title, const std::string& body_html, const Principal* who,
                   std::string_view current) {
  Data d;
  d.set("title", std::string(title));
  d.set("body", body_html);
  if (who != nullptr) {
    d.set("user", who->email);
    d.set("role", std::string(RoleName(who->role)));
    d.set("csrf", who->csrf_token);
    List nav;
    for (const NavItem& item : kNav) {
      if (!Allows(who->role, item.need)) {
        continue;
      }
      Data n;
      n.set("href", std::string(item.href));
      n.set("label", std::string(item.label));
      n.set("current", item.href == current);
      nav.push_back(n);
    }
    d.set("nav", nav);
  }
  return Render(templates::kLayout, d);
}

void AddSecurityHeaders(http::Response& r, bool cacheable) {
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'self'; connect-src 'self'; "
                         "style-src 'self'; img-src 'self' data:; form-action 'self'; "
                         "frame-ancestors 'none'; base-uri 'none'");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!cacheable) {
    r.headers.emplace_back("Cache-Control", "no-store");
  }
}

http::Response Html(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  AddSecurityHeaders(r);
  return r;
}

http::Response Redirect(std::string location) {
  http::Response r;
  r.status = 303;
  r.headers.emplace_back("Location", std::move(location));
  AddSecurityHeaders(r);
  return r;
}

http::Response ErrorPage(int status, std::string_view message, const Principal* who) {
  Data d;
  d.set("status", std::to_string(status));
  d.set("message", std::string(message));
  return Html(status, Layout("Error " + std::to_string(status), Render(templates::kError, d), who));
}

std::string ClientAddress(const http::Request& request) {
  std::string_view remote = request.remote;
  const size_t colon = remote.rfind(':');
  if (colon != std::string_view::npos && remote.find(']') == std::string_view::npos &&
      remote.find(':') == colon) {
    remote = remote.substr(0, colon);  // IPv4 "a.b.c.d:port"
  } else if (remote.starts_with('[')) {
    remote = remote.substr(1, remote.find(']') - 1);  // "[v6]:port"
  }
  return std::string(remote);
}

int64_t BeforeParam(const twilio::Form& query) {
  const std::string_view v = query.Get("before");
  int64_t before = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), before);
  return ec == std::errc() && end == v.data() + v.size() && before > 0 ? before : 0;
}

std::string ShortTime(TimePoint t) {
  std::string s = FormatUtc(t);  // 2026-11-24T09:00:00.000Z
  s = s.substr(0, 16);
  if (s.size() > 10) {
    s[10] = ' ';
  }
  return s;
}

}  // namespace parley::admin::web
