// What the admin console keeps (docs/admin.md): its users, their server-side sessions and
// the audit log, plus the read-only queries its pages need (dashboard numbers, the contact
// list). Behind Store::admin(), implemented once for both dialects (detail/admin_store.cpp)
// and checked on both by store_admin_test.
//
// Contract: every write that an operator's action makes (a user created, a password reset,
// a login) commits together with its audit entry, or not at all. Errors follow Store's
// conventions (a unique-key violation is kFailedPrecondition; an unreachable database
// kUnavailable). Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "common/time.hpp"

namespace parley::store {

struct ContactRecord;
struct MessageRecord;
struct SessionRecord;

struct AdminUserRecord {
  int64_t id = 0;             // 0 until created
  std::string email;          // unique; the admin library stores it lower-cased
  std::string role;           // "admin" | "operator" | "viewer" (a CHECK constraint)
  std::string password_hash;  // libsodium's Argon2id string ("$argon2id$v=19$...")
  bool disabled = false;
  TimePoint created_at{};
};

// One logged-in browser. The cookie carries a random token; only its hash is stored, so a
// copy of the database does not let anyone in.
struct AdminSessionRecord {
  std::string token_hash;  // hex SHA-256 of the cookie's token
  int64_t user_id = 0;
  std::string csrf_token;  // the session's CSRF token, sent back by every form
  TimePoint created_at{};
  TimePoint last_seen_at{};
  TimePoint idle_expires_at{};  // moved forward as the session is used
  TimePoint expires_at{};       // absolute: never moved
  // Filled by FindAdminSession (password_hash left empty); ignored by writes.
  AdminUserRecord user;
};

// One line of the audit log: who did what to what, when, from where.
struct AuditRecord {
  int64_t id = 0;  // 0 until appended
  TimePoint at{};
  std::string actor;   // the user's email; "cli" for the command line; "" when unknown
  std::string action;  // "login", "login_failed", "logout", "user_created", ...
  std::string target;  // what it acted on (an email, a contact), may be empty
  std::string detail;  // free text (why a login failed), may be empty
  std::string remote;  // the client's address, empty for the CLI
};

struct MessageCounts {
  int64_t inbound = 0;
  int64_t outbound = 0;
};

struct FlowSessionCount {
  std::string flow_id;
  int64_t active = 0;
};

class AdminStore {
 public:
  virtual ~AdminStore() = default;

  // Users. CreateAdminUser sets user.id; an email taken already is kFailedPrecondition.
  virtual Status CreateAdminUser(AdminUserRecord& user, const AuditRecord& audit) = 0;
  virtual Result<std::optional<AdminUserRecord>> FindAdminUser(std::string_view email) = 0;
  // Every user, by email.
  virtual Result<std::vector<AdminUserRecord>> AdminUsers() = 0;
  // Replaces the user's password hash and ends all of the user's sessions. kNotFound for
  // an unknown id.
  virtual Status SetAdminPassword(int64_t user_id, std::string_view password_hash,
                                  const AuditRecord& audit) = 0;
  // Disables (or enables) the user; disabling ends all of the user's sessions. kNotFound
  // for an unknown id.
  virtual Status SetAdminUserDisabled(int64_t user_id, bool disabled, const AuditRecord& audit) = 0;

  // Sessions. The token hash is the key; a repeated one is kFailedPrecondition.
  virtual Status CreateAdminSession(const AdminSessionRecord& session,
                                    const AuditRecord& audit) = 0;
  // The session with its user, or none. Expiry is the caller's to check.
  virtual Result<std::optional<AdminSessionRecord>> FindAdminSession(
      std::string_view token_hash) = 0;
  // Records use: last_seen_at and the new idle expiry.
  virtual Status TouchAdminSession(std::string_view token_hash, TimePoint last_seen,
                                   TimePoint idle_expires_at) = 0;
  // Ends a session (logout, or found expired); `audit` is appended when given.
  virtual Status DeleteAdminSession(std::string_view token_hash,
                                    const std::optional<AuditRecord>& audit) = 0;
  // Removes sessions past either expiry at `now`; answers how many.
  virtual Result<int64_t> DeleteExpiredAdminSessions(TimePoint now) = 0;

  // The audit log.
  virtual Status AppendAudit(const AuditRecord& audit) = 0;
  // Newest first: entries with id < before_id (0: from the newest), at most `limit`.
  virtual Result<std::vector<AuditRecord>> AuditLog(int64_t before_id, int limit) = 0;

  // The dashboard: messages created at or after `since`, by direction (an index range).
  virtual Result<MessageCounts> CountMessagesSince(TimePoint since) = 0;
  // Active sessions per flow, by flow id (a partial index of the active sessions).
  virtual Result<std::vector<FlowSessionCount>> ActiveSessionsByFlow() = 0;

  // The contact list, newest first, keyset-paginated: contacts with id < before_id (0: from
  // the newest), at most `limit`. `pattern`, when not empty, is a LIKE pattern (backslash
  // escapes) that the address, phone or name must match; names match case-insensitively.
  virtual Result<std::vector<ContactRecord>> ListContacts(std::string_view pattern,
                                                          int64_t before_id, int limit) = 0;

  // A contact's page. Its transcript, newest first, keyset-paginated: the contact's
  // messages (both directions) with id < before_id (0: from the newest), at most `limit`.
  virtual Result<std::vector<MessageRecord>> ContactMessages(int64_t contact_id, int64_t before_id,
                                                             int limit) = 0;
  // Its sessions (the active one included), newest first, at most `limit`.
  virtual Result<std::vector<SessionRecord>> ContactSessions(int64_t contact_id, int limit) = 0;
};

}  // namespace parley::store
