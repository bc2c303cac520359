// Managing admin users (`parley admin ...` and, later, the users page): create, reset a
// password, disable. Each change is written with its audit entry (store/admin_store.hpp).
#pragma once

#include <string>
#include <string_view>

#include "admin/password.hpp"
#include "admin/roles.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "store/admin_store.hpp"

namespace parley::admin {

// Who makes a change, for the audit log: an email, or "cli".
struct Actor {
  std::string name;
  std::string remote;  // client address; empty for the CLI
};

class Accounts {
 public:
  Accounts(store::AdminStore& store, const Clock& clock, PasswordCost cost);

  // Creates a user. kInvalidArgument for a bad email or password (the message says why),
  // kFailedPrecondition when the email is taken ("a user with email ... exists already").
  Result<store::AdminUserRecord> CreateUser(std::string_view email, Role role,
                                            std::string_view password, const Actor& actor);
  // Sets a new password and ends the user's sessions. kNotFound for an unknown email.
  Status ResetPassword(std::string_view email, std::string_view password, const Actor& actor);
  // Disables the user and ends their sessions. kNotFound for an unknown email.
  Status Disable(std::string_view email, const Actor& actor);

 private:
  Result<store::AdminUserRecord> Find(std::string_view email);
  store::AuditRecord Audit(const Actor& actor, std::string action, std::string target) const;

  store::AdminStore& store_;
  const Clock& clock_;
  PasswordCost cost_;
};

}  // namespace parley::admin
