#include "admin/auth.hpp"

#include <algorithm>

#include "admin/email.hpp"
#include "admin/secure_random.hpp"

namespace parley::admin {
namespace {

constexpr const char* kWrongCredentials = "Wrong email or password.";

std::string AccountKey(std::string_view email) { return "account:" + std::string(email); }
std::string AddressKey(std::string_view remote) { return "address:" + std::string(remote); }

}  // namespace

Auth::Auth(store::AdminStore& store, const Clock& clock, SessionOptions options, PasswordCost cost,
           ThrottleOptions throttle)
    : store_(store), clock_(clock), options_(options), cost_(cost), throttle_(throttle) {}

store::AuditRecord Auth::Audit(std::string actor, std::string action, std::string detail,
                               std::string_view remote) const {
  store::AuditRecord a;
  a.at = clock_.Now();
  a.actor = std::move(actor);
  a.action = std::move(action);
  a.detail = std::move(detail);
  a.remote = std::string(remote);
  return a;
}

Result<LoginOutcome> Auth::Refuse(std::string email, std::string detail, std::string_view remote,
                                  std::string message, bool throttled) {
  PARLEY_RETURN_IF_ERROR(
      store_.AppendAudit(Audit(std::move(email), "login_failed", std::move(detail), remote)));
  LoginOutcome out;
  out.message = std::move(message);
  out.throttled = throttled;
  return out;
}

Result<LoginOutcome> Auth::Login(std::string_view email_in, std::string_view password,
                                 std::string_view remote) {
  const TimePoint now = clock_.Now();
  auto normalized = NormalizeEmail(email_in);
  // An unparseable email is logged by a bounded prefix: it is whatever the client sent.
  const std::string email = normalized.ok() ? *normalized : std::string(email_in.substr(0, 254));
  for (const std::string& key : {AccountKey(email), AddressKey(remote)}) {
    if (auto locked = throttle_.LockedFor(key, now)) {
      const auto seconds = std::chrono::ceil<std::chrono::seconds>(*locked).count();
      return Refuse(email, "throttled (" + key.substr(0, key.find(':')) + ")", remote,
                    "Too many failed logins. Try again in " + std::to_string(seconds) + " seconds.",
                    true);
    }
  }
  std::optional<store::AdminUserRecord> user;
  if (normalized.ok()) {
    auto found = store_.FindAdminUser(*normalized);
    if (!found.ok()) {
      return found.status();
    }
    user = std::move(*found);
  }
  // An unknown email costs a verify too, so timing does not tell which emails exist.
  const bool password_ok =
      password.size() <= kMaxPasswordLength &&
      VerifyPassword(user ? user->password_hash : DummyHash(cost_), password) && user.has_value();
  if (!password_ok || user->disabled) {
    throttle_.Failure(AccountKey(email), now);
    throttle_.Failure(AddressKey(remote), now);
    const char* why = !user ? "unknown user" : !password_ok ? "wrong password" : "user disabled";
    return Refuse(email, why, remote, kWrongCredentials);
  }
  throttle_.Success(AccountKey(email));
  store::AdminSessionRecord s;
  LoginOutcome out;
  out.token = RandomToken();
  out.max_age = options_.max_age;
  s.token_hash = HashToken(out.token);
  s.user_id = user->id;
  s.csrf_token = RandomToken();
  s.created_at = now;
  s.last_seen_at = now;
  s.expires_at = now + options_.max_age;
  s.idle_expires_at = std::min(now + options_.idle_timeout, s.expires_at);
  PARLEY_RETURN_IF_ERROR(store_.CreateAdminSession(s, Audit(email, "login", "", remote)));
  // Sessions nobody came back to are swept here, at logins (rare, and already writing);
  // best effort: a failure only leaves rows that can no longer authenticate.
  auto swept = store_.DeleteExpiredAdminSessions(now);
  (void)swept;
  out.ok = true;
  return out;
}

Result<std::optional<Principal>> Auth::Authenticate(std::string_view token) {
  // Tokens are 64 hex digits; anything else is not worth a query.
  if (token.size() != 64) {
    return std::optional<Principal>();
  }
  const std::string hash = HashToken(token);
  auto found = store_.FindAdminSession(hash);
  if (!found.ok()) {
    return found.status();
  }
  if (!found->has_value()) {
    return std::optional<Principal>();
  }
  const store::AdminSessionRecord& s = **found;
  const TimePoint now = clock_.Now();
  if (now >= s.expires_at || now >= s.idle_expires_at) {
    PARLEY_RETURN_IF_ERROR(store_.DeleteAdminSession(
        hash, Audit(s.user.email, "session_expired",
                    now >= s.expires_at ? "absolute expiry" : "idle expiry", "")));
    return std::optional<Principal>();
  }
  const auto role = ParseRole(s.user.role);
  if (s.user.disabled || !role) {
    return std::optional<Principal>();
  }
  if (now - s.last_seen_at >= options_.touch_interval) {
    PARLEY_RETURN_IF_ERROR(
        store_.TouchAdminSession(hash, now, std::min(now + options_.idle_timeout, s.expires_at)));
  }
  Principal p;
  p.user_id = s.user_id;
  p.email = s.user.email;
  p.role = *role;
  p.token_hash = hash;
  p.csrf_token = s.csrf_token;
  return std::optional<Principal>(std::move(p));
}

Status Auth::Logout(const Principal& who, std::string_view remote) {
  return store_.DeleteAdminSession(who.token_hash, Audit(who.email, "logout", "", remote));
}

bool Auth::CheckCsrf(const Principal& who, std::string_view submitted) {
  return !who.csrf_token.empty() && ConstantTimeEquals(who.csrf_token, submitted);
}

}  // namespace parley::admin
