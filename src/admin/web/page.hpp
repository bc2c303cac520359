// What every admin page shares: rendering a template inside the layout, the security
// headers of every admin answer, redirects, error pages, and small formatting helpers.
#pragma once

#include <kainjow/mustache.hpp>

#include <string>
#include <string_view>

#include "admin/auth.hpp"
#include "common/time.hpp"
#include "http/server.hpp"
#include "twilio/form.hpp"

namespace parley::admin::web {

using Data = kainjow::mustache::data;
using List = kainjow::mustache::list;

// Renders one of templates.hpp with `data`. Values are HTML-escaped (mustache's default).
std::string Render(std::string_view tmpl, const Data& data);

// A whole page: `body_html` (rendered by Render) inside the layout, with the navigation
// for `who` (none on the login page); `current` is the path of the nav item to mark.
std::string Layout(std::string_view title, const std::string& body_html, const Principal* who,
                   std::string_view current = "");

// Adds the admin's security headers: CSP without unsafe-inline (scripts, fetches and
// styles from the admin itself only), X-Frame-Options DENY,
// Referrer-Policy, nosniff and, unless `cacheable`, Cache-Control: no-store.
void AddSecurityHeaders(http::Response& response, bool cacheable = false);

// An HTML answer with the security headers.
http::Response Html(int status, std::string body);
// 303 See Other to `location` (a path of the admin), with the security headers.
http::Response Redirect(std::string location);
// An error page (403, 404, 500, ...) inside the layout.
http::Response ErrorPage(int status, std::string_view message, const Principal* who);

// The client's address without the port ("127.0.0.1" of "127.0.0.1:5555").
std::string ClientAddress(const http::Request& request);
// The query's "before" (keyset pagination) when it is a positive number, else 0: a
// hand-edited URL starts from the newest.
int64_t BeforeParam(const twilio::Form& query);
// "2026-11-24 09:00" (UTC, minutes).
std::string ShortTime(TimePoint t);

}  // namespace parley::admin::web
