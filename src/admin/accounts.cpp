#include "admin/accounts.hpp"

#include "admin/email.hpp"

namespace parley::admin {

Accounts::Accounts(store::AdminStore& store, const Clock& clock, PasswordCost cost)
    : store_(store), clock_(clock), cost_(cost) {}

store::AuditRecord Accounts::Audit(const Actor& actor, std::string action,
                                   std::string target) const {
  store::AuditRecord a;
  a.at = clock_.Now();
  a.actor = actor.name;
  a.action = std::move(action);
  a.target = std::move(target);
  a.remote = actor.remote;
  return a;
}

Result<store::AdminUserRecord> Accounts::Find(std::string_view email) {
  auto normalized = NormalizeEmail(email);
  if (!normalized.ok()) {
    return normalized.status();
  }
  auto user = store_.FindAdminUser(*normalized);
  if (!user.ok()) {
    return user.status();
  }
  if (!user->has_value()) {
    return Status::NotFound("no admin user with email " + *normalized);
  }
  return std::move(**user);
}

Result<store::AdminUserRecord> Accounts::CreateUser(std::string_view email, Role role,
                                                    std::string_view password, const Actor& actor) {
  auto normalized = NormalizeEmail(email);
  if (!normalized.ok()) {
    return normalized.status();
  }
  PARLEY_RETURN_IF_ERROR(CheckPasswordRules(password));
  auto existing = store_.FindAdminUser(*normalized);
  if (!existing.ok()) {
    return existing.status();
  }
  const auto taken = [&] {
    return Status::FailedPrecondition("a user with email " + *normalized + " exists already");
  };
  if (existing->has_value()) {
    return taken();
  }
  auto hash = HashPassword(password, cost_);
  if (!hash.ok()) {
    return hash.status();
  }
  store::AdminUserRecord user;
  user.email = *normalized;
  user.role = std::string(RoleName(role));
  user.password_hash = std::move(*hash);
  user.created_at = clock_.Now();
  Status s = store_.CreateAdminUser(
      user, Audit(actor, "user_created", user.email + " (" + user.role + ")"));
  if (s.code() == StatusCode::kFailedPrecondition) {
    return taken();  // created by someone else since the check
  }
  PARLEY_RETURN_IF_ERROR(s);
  return user;
}

Status Accounts::ResetPassword(std::string_view email, std::string_view password,
                               const Actor& actor) {
  auto user = Find(email);
  if (!user.ok()) {
    return user.status();
  }
  PARLEY_RETURN_IF_ERROR(CheckPasswordRules(password));
  auto hash = HashPassword(password, cost_);
  if (!hash.ok()) {
    return hash.status();
  }
  return store_.SetAdminPassword(user->id, *hash, Audit(actor, "password_reset", user->email));
}

Status Accounts::Disable(std::string_view email, const Actor& actor) {
  auto user = Find(email);
  if (!user.ok()) {
    return user.status();
  }
  return store_.SetAdminUserDisabled(user->id, true, Audit(actor, "user_disabled", user->email));
}

}  // namespace parley::admin
