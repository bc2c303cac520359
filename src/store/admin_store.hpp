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

// One hour (UTC) of messages, for the dashboard's chart.
struct HourlyMessages {
  TimePoint hour{};  // the hour's start
  int64_t inbound = 0;
  int64_t outbound = 0;
};

// Outbound messages in one status (MessageStatusName), for the delivery rate.
struct StatusCount {
  std::string status;
  int64_t count = 0;
};

struct FlowSessionCount {
  std::string flow_id;
  int64_t active = 0;
};

// The message log's filters (/admin/messages); empty strings and unset times match all.
struct MessageLogFilter {
  std::string direction;           // "inbound" | "outbound"
  std::string status;              // a MessageStatusName ("failed", ...)
  std::string error_code;          // Twilio's, e.g. "30007"
  std::optional<TimePoint> from;   // created at or after
  std::optional<TimePoint> until;  // created before
  int64_t before_id = 0;           // keyset: messages with id < before_id (0: the newest)
  int limit = 50;
};

// What a broadcast's preview needs to know of a contact that exists already.
struct ContactStanding {
  std::string address;
  std::string status;  // ContactStatusName
  bool in_session = false;
};

// A broadcast (docs/admin.md, "Broadcast"): a flow started for many contacts, worked off in
// the background. queued = total - started - failed.
struct BroadcastRecord {
  int64_t id = 0;  // 0 until created
  std::string flow_id;
  std::string created_by;  // the operator's email
  TimePoint created_at{};
  std::string status = "running";  // "running" | "done"
  int64_t total = 0;
  int64_t started = 0;
  int64_t failed = 0;
  std::optional<TimePoint> finished_at;
};

// One contact of a broadcast. `flow_id` and `created_by` are filled by a claim.
struct BroadcastRecipient {
  int64_t id = 0;
  int64_t broadcast_id = 0;
  std::string address;  // the contact's key ("+1555...", "whatsapp:+1555..."); for a line
                        // that failed at creation, the number as the list wrote it
  std::string name;     // empty: the contact's name is kept
  std::string fields_json = "{}";
  std::string flow_id;
  std::string created_by;
  // Why it failed (BroadcastFailures; given to CreateBroadcast: failed from the start, e.g.
  // an invalid line or a contact opted out); empty for one to start.
  std::string error;
  int64_t contact_id = 0;  // BroadcastFailures: the contact with this address, 0 when none
};

// What became of a claimed recipient.
struct BroadcastResult {
  int64_t recipient_id = 0;
  int64_t broadcast_id = 0;
  bool started = false;
  std::string error;  // why it failed (the core's refusal), empty when started
};

// One recorded transition of a session (schema v8; docs/admin.md, "History"): an edge taken,
// a start, or an end where the session was. Written by conversation::Service in the event's
// transaction (Transaction::RecordTransition).
struct TransitionRecord {
  int64_t id = 0;  // 0 until recorded
  int64_t session_id = 0;
  int64_t contact_id = 0;
  std::string flow_id;
  std::string flow_revision;
  std::string from_state;         // "" for a start
  std::string to_state;           // where the session is after it (for an end: where it ended)
  std::optional<int> edge_index;  // the edge taken, by its place in from_state's edges; none
                                  // for a start, an end or a move by a reload
  std::string edge_label;         // the edge's condition in words (flow::DescribeCondition)
  // What caused it: "inbound", "start", "timer", "expire", "admin", "reload", "delivery".
  std::string event;
  bool moved = true;  // a state was entered (a start or an edge); false: an end in place
  std::string ended;  // the session's status when this ended it ("completed", ...), else ""
  TimePoint at{};
};

// Per-state numbers of one flow over a period (AdminStore::FlowStateStats).
struct StateStats {
  std::string state;
  int64_t entered = 0;  // transitions into it (starts included)
  int64_t left = 0;     // transitions out of it
  int64_t ended = 0;    // sessions that ended there
};

// One step of the rollup job (AdminStore::RollUpTransitions).
struct RollupStep {
  TimePoint watermark{};   // after the step
  bool advanced = false;   // this step moved the watermark (and added what lay before it)
  bool caught_up = false;  // the watermark is at `until` (or past it)
  bool raced = false;      // another instance moved the watermark first: nothing was added
};

// A revision of a flow as the flows table knows it (FlowRecord without its source).
struct FlowRevisionRecord {
  std::string revision;
  TimePoint loaded_at{};
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
  // Messages per hour since `since`, oldest first; hours without messages are left out.
  virtual Result<std::vector<HourlyMessages>> MessagesPerHour(TimePoint since) = 0;
  // Outbound messages since `since` by status, in no particular order.
  virtual Result<std::vector<StatusCount>> OutboundStatusesSince(TimePoint since) = 0;
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

  // The message log, newest first (by id), through an index chosen by the filter: a status
  // or error code leads with its own index (v9), else the primary key is walked.
  virtual Result<std::vector<MessageRecord>> MessageLog(const MessageLogFilter& filter) = 0;

  // Broadcasts. The contacts among `addresses` that exist, with their status and whether
  // they are in an active session (one statement; addresses not found are new contacts).
  virtual Result<std::vector<ContactStanding>> ContactStandings(
      const std::vector<std::string>& addresses) = 0;
  // Creates the broadcast (sets its id; total = recipients.size()) with its recipients and
  // the audit line, in one transaction. A recipient with an `error` is recorded as failed
  // (counted in `failed` at once), the others queued.
  virtual Status CreateBroadcast(BroadcastRecord& broadcast,
                                 const std::vector<BroadcastRecipient>& recipients,
                                 const AuditRecord& audit) = 0;
  // Broadcast `id`, or the latest `limit` when id is 0; newest first.
  virtual Result<std::vector<BroadcastRecord>> Broadcasts(int64_t id, int limit) = 0;
  // Up to `limit` failed recipients of broadcast `broadcast_id` with an id above `after_id`
  // (keyset pagination), in list order, each with its error and its contact's id (a range
  // of broadcast_recipients_failed, v12).
  virtual Result<std::vector<BroadcastRecipient>> BroadcastFailures(int64_t broadcast_id,
                                                                    int64_t after_id,
                                                                    int limit) = 0;
  // Leases up to `limit` queued recipients (oldest first; also claimed ones whose lease
  // ended before `now`) until `lease_until`. Instances on one database claim disjoint rows.
  virtual Result<std::vector<BroadcastRecipient>> ClaimBroadcastRecipients(TimePoint now,
                                                                           TimePoint lease_until,
                                                                           int limit) = 0;
  // Records results of claimed recipients and adds them to their broadcasts' counts (a
  // broadcast whose count reaches its total is "done" at `now`), in one transaction. A
  // recipient no longer claimed (finished by another instance) is not counted twice.
  virtual Status FinishBroadcastRecipients(const std::vector<BroadcastResult>& results,
                                           TimePoint now) = 0;
  // Its recorded transitions with from <= at <= to, oldest first (ties in the order they were
  // recorded), at most `limit` (a range of transitions_by_contact).
  virtual Result<std::vector<TransitionRecord>> ContactTransitions(int64_t contact_id,
                                                                   TimePoint from, TimePoint to,
                                                                   int limit) = 0;

  // A flow's page. Entered, left and ended per state of flow `flow_id` for transitions at or
  // after `since`, by state name (states with none are not listed): exactly what a scan of
  // those transitions counts, whatever the rollup's watermark. The whole UTC days from
  // `since` on are read from the rollup (schema v11: states × days rows) below its
  // watermark, the rest from transitions_by_flow: the part day before the first midnight
  // and the transitions since the watermark (minutes of them while the rollup job runs). So
  // with `since` at a UTC midnight (the page's periods) the cost no longer grows with the
  // period's transitions.
  virtual Result<std::vector<StateStats>> FlowStateStats(std::string_view flow_id,
                                                         TimePoint since) = 0;
  // The revisions of the flow the flows table holds, the latest loaded first.
  virtual Result<std::vector<FlowRevisionRecord>> FlowRevisions(std::string_view flow_id) = 0;

  // History retention (PARLEY_HISTORY_DAYS): removes at most `limit` transitions older than
  // `before`, oldest first, in one short transaction; answers how many. The caller repeats
  // while it removes `limit`, so no single statement holds the database for long.
  virtual Result<int64_t> PruneTransitions(TimePoint before, int limit) = 0;

  // The flow page's rollup (schema v11; app/transition_rollup.hpp, docs/admin.md "The
  // numbers of a flow"). One step, in one transaction: adds the transitions recorded from
  // the watermark up to `until` (at most `max_span` of them past the first one found: an
  // empty stretch of time is skipped whole) to the per flow, state and UTC day counts, and
  // moves the watermark there. The watermark moves only from the value this step read, so
  // instances sharing a database never add a transition twice: a step that lost the race
  // adds nothing (`raced`). The caller repeats while a step is not `caught_up`.
  virtual Result<RollupStep> RollUpTransitions(TimePoint until, Duration max_span) = 0;
  // Transitions before this are in the rollup.
  virtual Result<TimePoint> RollupWatermark() = 0;
  // Removes the rollup's rows of the UTC days that ended at or before `before` (retention,
  // with the transitions); answers how many.
  virtual Result<int64_t> PruneRollup(TimePoint before) = 0;
};

}  // namespace parley::store
