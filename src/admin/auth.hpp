// Logging in and out of the admin, and recognizing a logged-in browser: server-side sessions
// in the database (so every instance on one database knows them), a random token in the
// cookie of which only the hash is stored, idle and absolute expiry, a CSRF token per
// session, throttled logins and an audit entry for every login, failed login and logout
// (docs/admin.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "admin/login_throttle.hpp"
#include "admin/password.hpp"
#include "admin/roles.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "store/admin_store.hpp"

namespace parley::admin {

struct SessionOptions {
  Duration idle_timeout = std::chrono::minutes(30);  // PARLEY_ADMIN_SESSION_IDLE
  Duration max_age = std::chrono::hours(12);         // PARLEY_ADMIN_SESSION_MAX
  // Use within this long of the last recorded use is not written again: a page view costs
  // no write unless the session has been quiet a while.
  Duration touch_interval = std::chrono::minutes(1);
};

// A logged-in user, as a request sees them.
struct Principal {
  int64_t user_id = 0;
  std::string email;
  Role role = Role::kViewer;
  std::string token_hash;
  std::string csrf_token;
};

struct LoginOutcome {
  bool ok = false;
  std::string token;       // the cookie's value when ok
  std::string message;     // what the form shows when not ok
  bool throttled = false;  // not ok because of too many failures (429)
  Duration max_age{};      // the cookie's lifetime when ok
};

class Auth {
 public:
  Auth(store::AdminStore& store, const Clock& clock, SessionOptions options, PasswordCost cost,
       ThrottleOptions throttle = {});

  // Checks the password and opens a session. Not ok (with a message that does not tell an
  // unknown email from a wrong password) when the email is unknown, the password wrong, the
  // user disabled, or the account or client address throttled. Errors are store failures.
  Result<LoginOutcome> Login(std::string_view email, std::string_view password,
                             std::string_view remote);
  // The session a cookie's token names, if it exists, has not expired and its user is not
  // disabled. An expired session is deleted. Moves the idle expiry forward.
  Result<std::optional<Principal>> Authenticate(std::string_view token);
  // Ends the session; audited.
  Status Logout(const Principal& who, std::string_view remote);
  // Whether `submitted` is the session's CSRF token (constant time).
  static bool CheckCsrf(const Principal& who, std::string_view submitted);

  const SessionOptions& options() const { return options_; }

 private:
  store::AuditRecord Audit(std::string actor, std::string action, std::string detail,
                           std::string_view remote) const;
  Result<LoginOutcome> Refuse(std::string email, std::string detail, std::string_view remote,
                              std::string message, bool throttled = false);

  store::AdminStore& store_;
  const Clock& clock_;
  SessionOptions options_;
  PasswordCost cost_;
  LoginThrottle throttle_;
};

}  // namespace parley::admin
