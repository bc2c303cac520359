// The admin console's HTTP side: its routes on an http::Router, the login and logout
// pages, and the guard every other page goes through (docs/admin.md).
//
// The guard (Guard) is what later pages reuse: it finds the session from the cookie (none:
// a GET is sent to the login page, anything else gets 403), refuses a role below the page's
// (403), checks the CSRF token of every non-GET request (403), and adds the security
// headers. A store failure answers 500 without details.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "admin/auth.hpp"
#include "admin/web/contact_actions.hpp"
#include "common/time.hpp"
#include "conversation/flow_catalog.hpp"
#include "http/server.hpp"
#include "store/store.hpp"

namespace parley::admin::web {

inline constexpr std::string_view kSessionCookie = "parley_admin";
// The login form's own CSRF token (there is no session yet): a cookie the form must echo.
inline constexpr std::string_view kLoginCookie = "parley_admin_login";

// What a reload of the flows folder did, as the flow page shows it. The composition root
// makes it from the reloader's report (app/flow_reloader.hpp): the admin does not depend on
// the app.
struct FlowReloadResult {
  std::string summary;               // one line: "flows reloaded: 1 changed (...)", ...
  std::vector<std::string> changes;  // "changed checkin 1a2b → 3c4d", "added x", "removed y"
  // One entry per file rejected ("path:\nfile:line:col: error: ..."), or why the whole
  // reload was refused; empty when everything was applied.
  std::vector<std::string> errors;
  bool ok() const { return errors.empty(); }
};

struct WebOptions {
  bool secure_cookies = false;  // PUBLIC_URL is https
  // Server-side errors (a store failure behind a 500); may be null.
  std::function<void(std::string_view)> error_log;
  // Applies a contact page's action (conversation::Pipeline::Run); null: the actions
  // answer 503 (contact_actions.hpp).
  ApplyEvent apply_event;
  // The ids of the loaded flows, offered by the contact page's "start flow"; may be null.
  std::function<std::vector<std::string>()> flow_ids;
  // The flows serving now (flows pages); null: none are listed.
  std::function<std::shared_ptr<const conversation::FlowCatalog>()> flows;
  // Reloads the flows folder (app::Runtime::ReloadFlows); null: the reload answers 503.
  std::function<FlowReloadResult()> reload_flows;
  // Wakes the broadcast worker (broadcast_worker.hpp) when a broadcast is queued; may be
  // null (the worker finds it at its next poll).
  std::function<void()> wake_broadcasts;
};

// A page behind the guard: the request and who made it.
using PageHandler = std::function<http::Response(const http::Request&, const Principal&)>;

class AdminWeb {
 public:
  AdminWeb(store::Store& store, Auth& auth, const Clock& clock, WebOptions options);

  // Adds every admin route (all under /admin) to `router`.
  void AddRoutes(http::Router& router);

  // `page` for users of at least role `need`, behind the checks described above.
  http::Handler Guard(Role need, PageHandler page);

 private:
  // The message log and the broadcast pages (log_pages.hpp).
  void AddLogAndBroadcastRoutes(http::Router& router);
  http::Response LoginForm(const http::Request& request);
  http::Response LoginSubmit(const http::Request& request);
  http::Response Logout(const http::Request& request, const Principal& who);
  http::Response LoginPage(int status, const std::string& csrf, std::string_view email,
                           std::string_view message, bool new_cookie);
  http::Response Failure(const Status& s, const Principal* who);

  store::Store& store_;
  Auth& auth_;
  const Clock& clock_;
  WebOptions options_;
};

}  // namespace parley::admin::web
