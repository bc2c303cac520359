#include "store/detail/queries.hpp"

#include <array>

// A claimed timer's columns (TimerFromRow) and its contact's (ClaimedTimerFromRow).
#define PARLEY_CLAIM_TIMERS_RETURNING                             \
  "RETURNING session_id, name, due, step, keep, contact_id, "     \
  "every_seconds, at_seconds, time_zone, "                        \
  "(SELECT address FROM contacts WHERE id = timers.contact_id), " \
  "(SELECT channel FROM contacts WHERE id = timers.contact_id), " \
  "(SELECT phone FROM contacts WHERE id = timers.contact_id)"

namespace parley::store::detail {
namespace {

#define PARLEY_CONTACT_COLUMNS                                                      \
  "id, address, channel, phone, name, status, wa_id, language, time_zone, fields, " \
  "last_inbound_at, created_at"
#define PARLEY_SESSION_COLUMNS                                                           \
  "id, contact_id, flow_id, flow_revision, state, variables, step, status, started_at, " \
  "updated_at, ended_at, end_reason"
#define PARLEY_MESSAGE_COLUMNS                                                             \
  "id, contact_id, session_id, direction, provider_sid, from_addr, to_addr, body, media, " \
  "status, error_code, created_at, reply_to, content_sid, content_variables"
#define PARLEY_ADMIN_USER_COLUMNS "id, email, role, password_hash, disabled, created_at"
#define PARLEY_BROADCAST_COLUMNS \
  "id, flow_id, created_by, created_at, status, total, started, failed, finished_at"
#define PARLEY_CLAIMED_RECIPIENT                                          \
  "RETURNING id, broadcast_id, address, name, fields, "                   \
  "(SELECT flow_id FROM broadcasts WHERE broadcasts.id = broadcast_id), " \
  "(SELECT created_by FROM broadcasts WHERE broadcasts.id = broadcast_id)"
// The message log's statement, led by `lead` (the indexed condition); `cast` types the
// optional parameters for PostgreSQL ("::text", then "::bigint"; SQLite: "", "").
#define PARLEY_MESSAGE_LOG(lead, cast, icast)                                   \
  "SELECT " PARLEY_MESSAGE_COLUMNS " FROM messages WHERE " lead " AND ($1" cast \
  " = '' "                                                                      \
  "OR direction = $1) AND ($2" cast " = '' OR status = $2) AND ($3" cast        \
  " = '' OR "                                                                   \
  "error_code = $3) AND created_at >= $4 AND created_at < $5 AND ($6" icast     \
  " = 0 OR id < $6) "                                                           \
  "ORDER BY id DESC LIMIT $7"
#define PARLEY_TRANSITION_COLUMNS                                                          \
  "id, session_id, contact_id, flow_id, flow_revision, from_state, to_state, edge_index, " \
  "edge_label, event, moved, ended, at"
#define PARLEY_MESSAGE_INSERT                                                          \
  "INSERT INTO messages (contact_id, session_id, direction, provider_sid, from_addr, " \
  "to_addr, body, media, status, error_code, created_at, reply_to) "
// Outbound messages also carry a WhatsApp template (schema v5).
#define PARLEY_OUTBOUND_INSERT                                                         \
  "INSERT INTO messages (contact_id, session_id, direction, provider_sid, from_addr, " \
  "to_addr, body, media, status, error_code, created_at, reply_to, content_sid, "      \
  "content_variables) "

#define PARLEY_CLAIM_RETURNING                                                                 \
  "RETURNING id, message_id, contact_id, from_addr, to_addr, body, media, attempts, "          \
  "next_attempt_at, (SELECT created_at FROM messages WHERE messages.id = outbox.message_id), " \
  "(SELECT status FROM contacts WHERE contacts.id = outbox.contact_id), "                      \
  "(SELECT last_inbound_at FROM contacts WHERE contacts.id = outbox.contact_id), "             \
  "content_sid, content_variables"

struct Entry {
  Q q;
  std::string_view name;
  std::string_view sqlite;
  std::string_view postgres;  // empty: same as sqlite
};

// Where the dialects differ, the reason is the row lock (PostgreSQL has them, SQLite has one
// writer), parameter type inference (PostgreSQL cannot infer a type for a bare $n in a
// SELECT list) or the catalog.
constexpr Entry kEntries[] = {
    {Q::kPing, "Ping", "SELECT 1", ""},
    {Q::kProbeWrite, "ProbeWrite",
     "INSERT INTO flows (id, revision, source, loaded_at) VALUES ('', 'parley-write-probe', $1, 0)",
     ""},
    {Q::kProbeWriteUndo, "ProbeWriteUndo",
     "DELETE FROM flows WHERE id = '' AND revision = 'parley-write-probe'", ""},
    {Q::kBegin, "Begin", "BEGIN IMMEDIATE", "BEGIN"},
    {Q::kCommit, "Commit", "COMMIT", ""},
    {Q::kRollback, "Rollback", "ROLLBACK", ""},
    {Q::kRelaxCommit, "RelaxCommit", "SELECT 1", "SET LOCAL synchronous_commit = off"},
    {Q::kSavepoint, "Savepoint", "SAVEPOINT event", ""},
    {Q::kReleaseSavepoint, "ReleaseSavepoint", "RELEASE SAVEPOINT event", ""},
    {Q::kRollbackToSavepoint, "RollbackToSavepoint", "ROLLBACK TO SAVEPOINT event", ""},
    {Q::kHasMigrationsTable, "HasMigrationsTable",
     "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
     "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
     "AND tablename = 'schema_migrations'"},
    {Q::kSchemaVersion, "SchemaVersion", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
     ""},
    // The database's clock: applied_at is bookkeeping for operators, not engine time.
    {Q::kRecordMigration, "RecordMigration",
     "INSERT INTO schema_migrations (version, applied_at) VALUES "
     "($1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))",
     "INSERT INTO schema_migrations (version, applied_at) VALUES "
     "($1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)"},
    {Q::kLockContact, "LockContact",
     "SELECT " PARLEY_CONTACT_COLUMNS " FROM contacts WHERE address = $1",
     "SELECT " PARLEY_CONTACT_COLUMNS " FROM contacts WHERE address = $1 FOR UPDATE"},
    // On PostgreSQL a concurrent creator of the same address makes this wait for its commit
    // and then take the row lock through DO UPDATE, so it always returns a locked row.
    {Q::kInsertContact, "InsertContact",
     "INSERT INTO contacts (address, channel, phone, name, status, wa_id, language, time_zone, "
     "fields, last_inbound_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
     "$11) ON CONFLICT (address) DO UPDATE SET address = excluded.address "
     "RETURNING " PARLEY_CONTACT_COLUMNS,
     ""},
    // $1 is a JSON array of addresses. ORDER BY before FOR UPDATE: PostgreSQL locks the rows
    // in address order, so batches that share contacts cannot deadlock. Byte order (COLLATE
    // "C", SQLite's default), whatever the database's collation: the batch creates missing
    // contacts in the same order, comparing in C++.
    {Q::kLockContacts, "LockContacts",
     "SELECT " PARLEY_CONTACT_COLUMNS
     " FROM contacts WHERE address IN (SELECT value FROM json_each($1)) ORDER BY address",
     "SELECT " PARLEY_CONTACT_COLUMNS
     " FROM contacts WHERE address IN (SELECT json_array_elements_text($1::json)) "
     "ORDER BY address COLLATE \"C\" FOR UPDATE"},
    {Q::kUpdateContact, "UpdateContact",
     "UPDATE contacts SET name = $2, status = $3, wa_id = $4, language = $5, time_zone = $6, "
     "fields = $7, last_inbound_at = $8 WHERE id = $1",
     ""},
    {Q::kFindContact, "FindContact",
     "SELECT " PARLEY_CONTACT_COLUMNS " FROM contacts WHERE address = $1", ""},
    {Q::kFindContactById, "FindContactById",
     "SELECT " PARLEY_CONTACT_COLUMNS " FROM contacts WHERE id = $1", ""},
    {Q::kLockContactById, "LockContactById",
     "SELECT " PARLEY_CONTACT_COLUMNS " FROM contacts WHERE id = $1",
     "SELECT " PARLEY_CONTACT_COLUMNS " FROM contacts WHERE id = $1 FOR UPDATE"},
    {Q::kInsertInbound, "InsertInbound",
     PARLEY_MESSAGE_INSERT
     "VALUES ($1, $2, 'inbound', $3, $4, $5, $6, $7, $8, $9, $10, $11) "
     "ON CONFLICT (provider_sid) WHERE direction = 'inbound' AND provider_sid <> '' "
     "DO NOTHING RETURNING id",
     ""},
    {Q::kInsertOutbound, "InsertOutbound",
     PARLEY_OUTBOUND_INSERT
     "VALUES ($1, $2, 'outbound', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
     ""},
    {Q::kInsertOutbox, "InsertOutbox",
     "INSERT INTO outbox (message_id, contact_id, from_addr, to_addr, body, media, attempts, "
     "next_attempt_at, locked_until, content_sid, content_variables) VALUES ($1, $2, $3, $4, "
     "$5, $6, 0, $7, 0, $8, $9)",
     ""},
    // SQLite has no INSERT inside WITH: there the two inserts run one after the other.
    {Q::kEnqueueOutbound, "EnqueueOutbound", "SELECT 'PostgreSQL only'",
     "WITH m AS (" PARLEY_OUTBOUND_INSERT
     "VALUES ($1, $2, 'outbound', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id) "
     "INSERT INTO outbox (message_id, contact_id, from_addr, to_addr, body, media, attempts, "
     "next_attempt_at, locked_until, content_sid, content_variables) SELECT id, $1, $4, $5, "
     "$6, $7, 0, $10, 0, $12, $13 FROM m"},
    {Q::kActiveSession, "ActiveSession",
     "SELECT " PARLEY_SESSION_COLUMNS " FROM sessions WHERE contact_id = $1 AND status = 'active'",
     ""},
    {Q::kLatestSession, "LatestSession",
     "SELECT " PARLEY_SESSION_COLUMNS
     " FROM sessions WHERE contact_id = $1 ORDER BY id DESC LIMIT 1",
     ""},
    {Q::kInsertSession, "InsertSession",
     "INSERT INTO sessions (contact_id, flow_id, flow_revision, state, variables, step, status, "
     "started_at, updated_at, ended_at, end_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
     "$10, $11) RETURNING id",
     ""},
    {Q::kUpdateSession, "UpdateSession",
     "UPDATE sessions SET flow_id = $2, flow_revision = $3, state = $4, variables = $5, "
     "step = $6, status = $7, updated_at = $8, ended_at = $9, end_reason = $10 WHERE id = $1",
     ""},
    {Q::kSetTimer, "SetTimer",
     "INSERT INTO timers (session_id, contact_id, name, due, step, keep, every_seconds, "
     "at_seconds, time_zone) "
     "SELECT id, contact_id, $2, $3, $4, $5, $6, $7, $8 FROM sessions WHERE id = $1 "
     "ON CONFLICT (session_id, name) DO UPDATE SET due = excluded.due, step = excluded.step, "
     "keep = excluded.keep, every_seconds = excluded.every_seconds, "
     "at_seconds = excluded.at_seconds, time_zone = excluded.time_zone, locked_until = 0",
     "INSERT INTO timers (session_id, contact_id, name, due, step, keep, every_seconds, "
     "at_seconds, time_zone) "
     "SELECT id, contact_id, $2::text, $3::bigint, $4::bigint, $5::smallint, $6::bigint, "
     "$7::integer, $8::text FROM sessions "
     "WHERE id = $1 ON CONFLICT (session_id, name) DO UPDATE SET due = excluded.due, "
     "step = excluded.step, keep = excluded.keep, every_seconds = excluded.every_seconds, "
     "at_seconds = excluded.at_seconds, time_zone = excluded.time_zone, locked_until = 0"},
    // SetTimer for a one-shot timer, except that a row already due no more than $6 ms before
    // the new due time (and not after it) is left alone: no page is written for it.
    {Q::kPushBackTimer, "PushBackTimer",
     "INSERT INTO timers (session_id, contact_id, name, due, step, keep) "
     "SELECT id, contact_id, $2, $3, $4, $5 FROM sessions WHERE id = $1 "
     "ON CONFLICT (session_id, name) DO UPDATE SET due = excluded.due, step = excluded.step, "
     "keep = excluded.keep, every_seconds = NULL, at_seconds = NULL, time_zone = NULL, "
     "locked_until = 0 WHERE timers.due > excluded.due OR timers.due < excluded.due - $6",
     "INSERT INTO timers (session_id, contact_id, name, due, step, keep) "
     "SELECT id, contact_id, $2::text, $3::bigint, $4::bigint, $5::smallint FROM sessions "
     "WHERE id = $1 ON CONFLICT (session_id, name) DO UPDATE SET due = excluded.due, "
     "step = excluded.step, keep = excluded.keep, every_seconds = NULL, at_seconds = NULL, "
     "time_zone = NULL, locked_until = 0 "
     "WHERE timers.due > excluded.due OR timers.due < excluded.due - $6::bigint"},
    {Q::kCancelTimer, "CancelTimer", "DELETE FROM timers WHERE session_id = $1 AND name = $2", ""},
    {Q::kCancelAllTimers, "CancelAllTimers", "DELETE FROM timers WHERE session_id = $1", ""},
    // Reserved names begin with '@' (flow::IsReservedTimer).
    {Q::kCancelFlowTimers, "CancelFlowTimers",
     "DELETE FROM timers WHERE session_id = $1 AND substr(name, 1, 1) <> '@'", ""},
    {Q::kTimers, "Timers",
     "SELECT session_id, name, due, step, keep, contact_id, every_seconds, at_seconds, "
     "time_zone FROM timers WHERE session_id = $1 ORDER BY due, name",
     ""},
    // $1 now, $2 now + lease, $3 limit. RETURNING has no order; the caller sorts. It carries
    // each timer's contact (address, channel, phone: what the timer event is addressed to),
    // so the scheduler does not read the contacts one round trip at a time. Ordered by
    // `due` alone, the order of timers_due, so the claim reads $3 rows of the index and stops:
    // a tie-breaker (session_id, name) made it sort every due row first, 100,000 rows per
    // claim of 256 when that many fell due at once (docs/benchmarks.md, "Timers").
    {Q::kClaimTimers, "ClaimTimers",
     "UPDATE timers SET locked_until = $2 WHERE rowid IN (SELECT rowid FROM timers "
     "WHERE due <= $1 AND locked_until <= $1 ORDER BY due LIMIT $3) " PARLEY_CLAIM_TIMERS_RETURNING,
     "UPDATE timers SET locked_until = $2 WHERE (session_id, name) IN (SELECT session_id, name "
     "FROM timers WHERE due <= $1 AND locked_until <= $1 ORDER BY due LIMIT $3 "
     "FOR UPDATE SKIP LOCKED) " PARLEY_CLAIM_TIMERS_RETURNING},
    {Q::kTakeTimer, "TakeTimer",
     "DELETE FROM timers WHERE session_id = $1 AND name = $2 AND due = $3 AND step = $4 "
     "RETURNING 1",
     "DELETE FROM timers WHERE session_id = $1 AND name = $2::text AND due = $3::bigint "
     "AND step = $4::bigint RETURNING 1"},
    // The earliest unleased due time, or the earliest lease to run out of a due timer (a
    // crashed instance's claim), whichever is sooner. Both walk timers_due from the earliest:
    // leased rows are due ones in flight, a few thousand at most.
    {Q::kNextTimerDue, "NextTimerDue",
     "SELECT min(t) FROM (SELECT * FROM (SELECT due AS t FROM timers WHERE locked_until <= $1 "
     "ORDER BY due LIMIT 1) UNION ALL SELECT min(locked_until) FROM timers WHERE due <= $1 "
     "AND locked_until > $1)",
     "SELECT min(t) FROM ((SELECT due AS t FROM timers WHERE locked_until <= $1 ORDER BY due "
     "LIMIT 1) UNION ALL (SELECT min(locked_until) FROM timers WHERE due <= $1 AND "
     "locked_until > $1)) AS next"},
    // messages_by_contact (contact_id, id), walked backwards.
    {Q::kLastInboundTo, "LastInboundTo",
     "SELECT to_addr FROM messages WHERE contact_id = $1 AND direction = 'inbound' "
     "ORDER BY id DESC LIMIT 1",
     ""},
    {Q::kFindOutboundBySid, "FindOutboundBySid",
     "SELECT " PARLEY_MESSAGE_COLUMNS
     " FROM messages WHERE provider_sid = $1 AND direction = 'outbound' AND provider_sid <> ''",
     ""},
    // The inbound row is found through messages_inbound_sid, its replies through
    // messages_replies (schema v3).
    {Q::kRepliesTo, "RepliesTo",
     "SELECT " PARLEY_MESSAGE_COLUMNS
     " FROM messages WHERE direction = 'outbound' AND reply_to = (SELECT id FROM messages "
     "WHERE provider_sid = $1 AND direction = 'inbound' AND provider_sid <> '') ORDER BY id",
     ""},
    // Only the head of each contact's queue (its oldest row, whatever its state) is
    // claimable: per-contact order across threads and instances (Store::ClaimOutbox). The
    // contact's status and last inbound time come along for the sender's checks. "No older
    // row of this contact" is one probe of outbox_by_contact (schema v4) per candidate.
    {Q::kClaimOutbox, "ClaimOutbox",
     "UPDATE outbox SET locked_until = $2, attempts = attempts + 1 WHERE id IN (SELECT id FROM "
     "outbox AS o WHERE next_attempt_at <= $1 AND locked_until <= $1 AND NOT EXISTS (SELECT 1 "
     "FROM outbox AS p WHERE p.contact_id = o.contact_id AND p.id < o.id) ORDER BY "
     "next_attempt_at, id LIMIT $3) " PARLEY_CLAIM_RETURNING,
     "UPDATE outbox SET locked_until = $2, attempts = attempts + 1 WHERE id IN (SELECT id FROM "
     "outbox AS o WHERE next_attempt_at <= $1 AND locked_until <= $1 AND NOT EXISTS (SELECT 1 "
     "FROM outbox AS p WHERE p.contact_id = o.contact_id AND p.id < o.id) ORDER BY "
     "next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) " PARLEY_CLAIM_RETURNING},
    {Q::kDeleteOutbox, "DeleteOutbox", "DELETE FROM outbox WHERE id = $1 RETURNING message_id", ""},
    {Q::kSetMessageDelivery, "SetMessageDelivery",
     "UPDATE messages SET status = $2, provider_sid = $3, error_code = $4 WHERE id = $1", ""},
    {Q::kSetMessageStatus, "SetMessageStatus",
     "UPDATE messages SET status = $2, error_code = $3 WHERE id = $1", ""},
    // Many deliveries in two statements (the sender finishes up to a claim's worth at once).
    {Q::kSetDeliveries, "SetDeliveries",
     "UPDATE messages SET status = d.status, provider_sid = d.sid, error_code = d.err FROM "
     "(SELECT o.message_id AS mid, json_extract(j.value, '$[1]') AS status, "
     "json_extract(j.value, '$[2]') AS sid, json_extract(j.value, '$[3]') AS err "
     "FROM json_each($1) AS j JOIN outbox AS o ON o.id = json_extract(j.value, '$[0]')) AS d "
     "WHERE messages.id = d.mid",
     "UPDATE messages SET status = d.status, provider_sid = d.sid, error_code = d.err FROM "
     "(SELECT o.message_id AS mid, j->>1 AS status, j->>2 AS sid, j->>3 AS err "
     "FROM json_array_elements($1::json) AS j JOIN outbox AS o ON o.id = (j->>0)::bigint) AS d "
     "WHERE messages.id = d.mid"},
    {Q::kDeleteOutboxRows, "DeleteOutboxRows",
     "DELETE FROM outbox WHERE id IN (SELECT json_extract(value, '$[0]') FROM json_each($1))",
     "DELETE FROM outbox WHERE id IN "
     "(SELECT (j->>0)::bigint FROM json_array_elements($1::json) AS j)"},
    {Q::kRetryOutbox, "RetryOutbox",
     "UPDATE outbox SET next_attempt_at = $2, locked_until = 0 WHERE id = $1", ""},
    {Q::kDeferOutbox, "DeferOutbox",
     "UPDATE outbox SET next_attempt_at = $2, locked_until = 0, attempts = attempts - 1 "
     "WHERE id = $1",
     ""},
    // Many retries and deferrals (kRetryOutbox, kDeferOutbox) in one statement; an untried
    // row (deferred) has its claim's attempt taken back. Rows gone are skipped.
    {Q::kRescheduleOutboxRows, "RescheduleOutboxRows",
     "UPDATE outbox SET next_attempt_at = d.at, locked_until = 0, attempts = attempts - d.untried "
     "FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS at, "
     "json_extract(value, '$[2]') AS untried FROM json_each($1)) AS d WHERE outbox.id = d.id",
     "UPDATE outbox SET next_attempt_at = d.at, locked_until = 0, attempts = attempts - d.untried "
     "FROM (SELECT (j->>0)::bigint AS id, (j->>1)::bigint AS at, (j->>2)::int AS untried "
     "FROM json_array_elements($1::json) AS j) AS d WHERE outbox.id = d.id"},
    {Q::kSetContactStatusActive, "SetContactStatusActive",
     "UPDATE contacts SET status = $2 WHERE id = $1 AND status = 'active'", ""},
    {Q::kFailContactOutbox, "FailContactOutbox",
     "UPDATE messages SET status = 'failed', error_code = $2 WHERE id IN "
     "(SELECT message_id FROM outbox WHERE contact_id = $1 AND id <> $3)",
     ""},
    {Q::kDeleteContactOutbox, "DeleteContactOutbox", "DELETE FROM outbox WHERE contact_id = $1",
     ""},
    // Twilio's 21610 ends the session as the contact's STOP does (conversation::Service):
    // status and end reason "opted_out", and (kDeleteContactTimers) no timers left. Only
    // when the contact is opted out now: a blocked contact's status did not change.
    {Q::kEndOptedOutSession, "EndOptedOutSession",
     "UPDATE sessions SET status = 'opted_out', end_reason = 'opted_out', ended_at = $2, "
     "updated_at = $2 WHERE contact_id = $1 AND status = 'active' AND EXISTS (SELECT 1 FROM "
     "contacts WHERE id = $1 AND status = 'opted_out')",
     ""},
    {Q::kDeleteContactTimers, "DeleteContactTimers",
     "DELETE FROM timers WHERE contact_id = $1 AND EXISTS (SELECT 1 FROM contacts WHERE id = $1 "
     "AND status = 'opted_out')",
     ""},
    // The oldest message is the one of the outbox's first row (ids grow with time): an index
    // lookup, not a join over the outbox.
    {Q::kOutboxStats, "OutboxStats",
     "SELECT (SELECT count(*) FROM outbox), (SELECT created_at FROM messages WHERE id = "
     "(SELECT message_id FROM outbox ORDER BY id LIMIT 1))",
     ""},
    {Q::kSaveFlow, "SaveFlow",
     "INSERT INTO flows (id, revision, source, loaded_at) VALUES ($1, $2, $3, $4) "
     "ON CONFLICT (id, revision) DO NOTHING",
     ""},
    {Q::kMessages, "Messages",
     "SELECT " PARLEY_MESSAGE_COLUMNS " FROM messages WHERE contact_id = $1 ORDER BY id", ""},
    {Q::kRowCounts, "RowCounts",
     "SELECT (SELECT count(*) FROM contacts), (SELECT count(*) FROM sessions), "
     "(SELECT count(*) FROM messages), (SELECT count(*) FROM outbox), "
     "(SELECT count(*) FROM timers), (SELECT count(*) FROM flows)",
     ""},
    // --- the admin (store/admin_store.hpp) ---
    {Q::kInsertAdminUser, "InsertAdminUser",
     "INSERT INTO admin_users (email, role, password_hash, disabled, created_at) "
     "VALUES ($1, $2, $3, $4, $5) RETURNING id",
     ""},
    {Q::kFindAdminUser, "FindAdminUser",
     "SELECT " PARLEY_ADMIN_USER_COLUMNS " FROM admin_users WHERE email = $1", ""},
    {Q::kAdminUsers, "AdminUsers",
     "SELECT " PARLEY_ADMIN_USER_COLUMNS " FROM admin_users ORDER BY email", ""},
    {Q::kSetAdminPassword, "SetAdminPassword",
     "UPDATE admin_users SET password_hash = $2 WHERE id = $1", ""},
    {Q::kSetAdminUserDisabled, "SetAdminUserDisabled",
     "UPDATE admin_users SET disabled = $2 WHERE id = $1", ""},
    {Q::kDeleteAdminSessionsOfUser, "DeleteAdminSessionsOfUser",
     "DELETE FROM admin_sessions WHERE user_id = $1", ""},
    {Q::kInsertAdminSession, "InsertAdminSession",
     "INSERT INTO admin_sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, "
     "idle_expires_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
     ""},
    {Q::kFindAdminSession, "FindAdminSession",
     "SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, "
     "s.idle_expires_at, s.expires_at, u.email, u.role, u.disabled, u.created_at "
     "FROM admin_sessions AS s JOIN admin_users AS u ON u.id = s.user_id "
     "WHERE s.token_hash = $1",
     ""},
    {Q::kTouchAdminSession, "TouchAdminSession",
     "UPDATE admin_sessions SET last_seen_at = $2, idle_expires_at = $3 WHERE token_hash = $1", ""},
    {Q::kDeleteAdminSession, "DeleteAdminSession",
     "DELETE FROM admin_sessions WHERE token_hash = $1", ""},
    {Q::kDeleteExpiredAdminSessions, "DeleteExpiredAdminSessions",
     "DELETE FROM admin_sessions WHERE expires_at <= $1 OR idle_expires_at <= $1", ""},
    {Q::kInsertAudit, "InsertAudit",
     "INSERT INTO admin_audit (at, actor, action, target, detail, remote) "
     "VALUES ($1, $2, $3, $4, $5, $6)",
     ""},
    // $1: before this id (0: from the newest). Keyset pagination on the primary key.
    {Q::kAuditLog, "AuditLog",
     "SELECT id, at, actor, action, target, detail, remote FROM admin_audit "
     "WHERE $1 = 0 OR id < $1 ORDER BY id DESC LIMIT $2",
     "SELECT id, at, actor, action, target, detail, remote FROM admin_audit "
     "WHERE $1::bigint = 0 OR id < $1 ORDER BY id DESC LIMIT $2"},
    // A range of messages_by_time (v7).
    {Q::kCountMessagesSince, "CountMessagesSince",
     "SELECT direction, count(*) FROM messages WHERE created_at >= $1 GROUP BY direction", ""},
    // The partial index sessions_active_by_state (v8) holds exactly these rows.
    {Q::kActiveSessionsByFlow, "ActiveSessionsByFlow",
     "SELECT flow_id, count(*) FROM sessions WHERE status = 'active' GROUP BY flow_id "
     "ORDER BY flow_id",
     ""},
    // $1 LIKE pattern ('' for all), $2 before this id (0: from the newest), $3 limit.
    // SQLite's LIKE ignores ASCII case; PostgreSQL needs ILIKE for the name.
    {Q::kListContacts, "ListContacts",
     "SELECT " PARLEY_CONTACT_COLUMNS " FROM contacts WHERE id < $1 ORDER BY id DESC LIMIT $2", ""},
    // Newest first along the primary key, filtered: stops early when many contacts match.
    {Q::kSearchContacts, "SearchContacts",
     "SELECT " PARLEY_CONTACT_COLUMNS " FROM contacts WHERE id < $2 AND "
     "(address LIKE $1 ESCAPE '\\' OR phone LIKE $1 ESCAPE '\\' OR "
     "name LIKE $1 ESCAPE '\\') ORDER BY id DESC LIMIT $3",
     "SELECT " PARLEY_CONTACT_COLUMNS " FROM contacts WHERE id < $2 AND "
     "(address LIKE $1 ESCAPE '\\' OR phone LIKE $1 ESCAPE '\\' OR "
     "name ILIKE $1 ESCAPE '\\') ORDER BY id DESC LIMIT $3"},
    // FTS5 yields the rowids holding the phrase (case-folded: a superset of what LIKE
    // matches) newest first and consumes ORDER BY rowid DESC, so LIMIT stops the walk early
    // for common text; LIKE on the contact's row keeps the exact meaning of kSearchContacts.
    // PostgreSQL has no such table: its form, equal in meaning, only keeps every query
    // preparable on both dialects (the store sends kSearchContacts there).
    {Q::kSearchContactsByText, "SearchContactsByText",
     "SELECT " PARLEY_CONTACT_COLUMNS " FROM contacts_search JOIN contacts ON contacts.id = "
     "contacts_search.rowid WHERE contacts_search MATCH $1 AND contacts_search.rowid < $3 AND "
     "(address LIKE $2 ESCAPE '\\' OR phone LIKE $2 ESCAPE '\\' OR "
     "name LIKE $2 ESCAPE '\\') ORDER BY contacts_search.rowid DESC LIMIT $4",
     "SELECT " PARLEY_CONTACT_COLUMNS " FROM contacts WHERE $1::text IS NOT NULL AND id < $3 "
     "AND (address LIKE $2 ESCAPE '\\' OR phone LIKE $2 ESCAPE '\\' OR "
     "name ILIKE $2 ESCAPE '\\') ORDER BY id DESC LIMIT $4"},
    // An index-only range of sessions_active_by_state (v8).
    {Q::kActiveSessionStates, "ActiveSessionStates",
     "SELECT state, count(*) FROM sessions WHERE flow_id = $1 AND status = 'active' "
     "GROUP BY state ORDER BY state",
     ""},
    // A range of messages_by_contact (contact_id, id), walked backwards from $2 (the store
    // passes INT64_MAX for "from the newest"): $3 index entries and their rows, however
    // long the transcript.
    {Q::kContactMessages, "ContactMessages",
     "SELECT " PARLEY_MESSAGE_COLUMNS " FROM messages WHERE contact_id = $1 AND "
     "id < $2 ORDER BY id DESC LIMIT $3",
     ""},
    // A range of sessions_by_contact (contact_id, id).
    {Q::kContactSessions, "ContactSessions",
     "SELECT " PARLEY_SESSION_COLUMNS
     " FROM sessions WHERE contact_id = $1 ORDER BY id DESC LIMIT $2",
     ""},
    // The message log: $1 direction, $2 status, $3 error code ('' for any), $4 <= created_at
    // < $5, $6 before this id (0: from the newest), $7 limit. Newest first, keyset on id.
    {Q::kMessageLog, "MessageLog", PARLEY_MESSAGE_LOG("1 = 1", "", ""),
     PARLEY_MESSAGE_LOG("1 = 1", "::text", "::bigint")},
    {Q::kMessageLogByStatus, "MessageLogByStatus", PARLEY_MESSAGE_LOG("status = $2", "", ""),
     PARLEY_MESSAGE_LOG("status = $2", "::text", "::bigint")},
    {Q::kMessageLogByError, "MessageLogByError",
     PARLEY_MESSAGE_LOG("error_code = $3 AND error_code <> ''", "", ""),
     PARLEY_MESSAGE_LOG("error_code = $3 AND error_code <> ''", "::text", "::bigint")},
    {Q::kContactStandings, "ContactStandings",
     "SELECT address, status, EXISTS (SELECT 1 FROM sessions WHERE sessions.contact_id = "
     "contacts.id AND sessions.status = 'active') FROM contacts "
     "WHERE address IN (SELECT value FROM json_each($1))",
     "SELECT address, status, EXISTS (SELECT 1 FROM sessions WHERE sessions.contact_id = "
     "contacts.id AND sessions.status = 'active') FROM contacts "
     "WHERE address IN (SELECT json_array_elements_text($1::json))"},
    {Q::kInsertBroadcast, "InsertBroadcast",
     "INSERT INTO broadcasts (flow_id, created_by, created_at, status, total) "
     "VALUES ($1, $2, $3, $4, $5) RETURNING id",
     ""},
    {Q::kInsertBroadcastRecipient, "InsertBroadcastRecipient",
     "INSERT INTO broadcast_recipients (broadcast_id, address, name, fields) "
     "VALUES ($1, $2, $3, $4)",
     ""},
    {Q::kBroadcasts, "Broadcasts",
     "SELECT " PARLEY_BROADCAST_COLUMNS " FROM broadcasts WHERE $1 = 0 OR id = $1 "
     "ORDER BY id DESC LIMIT $2",
     "SELECT " PARLEY_BROADCAST_COLUMNS " FROM broadcasts WHERE $1::bigint = 0 OR id = $1 "
     "ORDER BY id DESC LIMIT $2"},
    // The partial index broadcast_recipients_pending holds exactly the candidates: queued,
    // or claimed by an instance whose lease ran out (it stopped mid-chunk).
    {Q::kClaimBroadcastRecipients, "ClaimBroadcastRecipients",
     "UPDATE broadcast_recipients SET status = 'claimed', lease_until = $2 WHERE id IN ("
     "SELECT id FROM broadcast_recipients WHERE status IN ('queued', 'claimed') AND "
     "(status = 'queued' OR lease_until <= $1) ORDER BY id LIMIT $3) " PARLEY_CLAIMED_RECIPIENT,
     "UPDATE broadcast_recipients SET status = 'claimed', lease_until = $2 WHERE id IN ("
     "SELECT id FROM broadcast_recipients WHERE status IN ('queued', 'claimed') AND "
     "(status = 'queued' OR lease_until <= $1) ORDER BY id LIMIT $3 "
     "FOR UPDATE SKIP LOCKED) " PARLEY_CLAIMED_RECIPIENT},
    {Q::kFinishBroadcastRecipient, "FinishBroadcastRecipient",
     "UPDATE broadcast_recipients SET status = $2, error = $3, lease_until = NULL "
     "WHERE id = $1 AND status = 'claimed'",
     ""},
    {Q::kCountBroadcastResults, "CountBroadcastResults",
     "UPDATE broadcasts SET started = started + $2, failed = failed + $3, "
     "status = CASE WHEN started + failed + $2 + $3 >= total THEN 'done' ELSE 'running' END, "
     "finished_at = CASE WHEN started + failed + $2 + $3 >= total THEN $4 ELSE NULL END "
     "WHERE id = $1",
     "UPDATE broadcasts SET started = started + $2::bigint, failed = failed + $3::bigint, "
     "status = CASE WHEN started + failed + $2 + $3 >= total THEN 'done' ELSE 'running' END, "
     "finished_at = CASE WHEN started + failed + $2 + $3 >= total THEN $4::bigint ELSE NULL END "
     "WHERE id = $1"},
    // A broadcast's failed recipients (issue 11): a row failed at creation (an invalid line,
    // a contact not active) and a range of broadcast_recipients_failed (v12), each with its
    // contact's id when the address is a contact's (contacts.address is unique).
    {Q::kInsertFailedBroadcastRecipient, "InsertFailedBroadcastRecipient",
     "INSERT INTO broadcast_recipients (broadcast_id, address, name, fields, status, error) "
     "VALUES ($1, $2, $3, $4, 'failed', $5)",
     ""},
    {Q::kBroadcastFailures, "BroadcastFailures",
     "SELECT r.id, r.broadcast_id, r.address, r.name, r.fields, r.error, "
     "COALESCE((SELECT c.id FROM contacts c WHERE c.address = r.address), 0) "
     "FROM broadcast_recipients r WHERE r.broadcast_id = $1 AND r.status = 'failed' AND "
     "r.id > $2 ORDER BY r.id LIMIT $3",
     ""},
    {Q::kInsertTransition, "InsertTransition",
     "INSERT INTO transitions (session_id, contact_id, flow_id, flow_revision, from_state, "
     "to_state, edge_index, edge_label, event, moved, ended, at) "
     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
     ""},
    // A range of transitions_by_contact (contact_id, at).
    {Q::kContactTransitions, "ContactTransitions",
     "SELECT " PARLEY_TRANSITION_COLUMNS " FROM transitions WHERE contact_id = $1 AND "
     "at >= $2 AND at <= $3 ORDER BY at, id LIMIT $4",
     ""},
    // The flow page's numbers (docs/admin.md, "The numbers of a flow"): the rollup's rows
    // of the days from $4 on (each holds only transitions before the watermark), plus two
    // ranges of the covering index transitions_by_flow: [$2, $3), the part day before the
    // first whole day, and from the later of $3 and the watermark on. Together exactly the
    // transitions at or after $2, whatever the watermark; one statement, so one snapshot
    // (the rollup job cannot commit between the rollup's rows and the watermark).
    {Q::kFlowStateStats, "FlowStateStats",
     "WITH tail AS ("
     "SELECT from_state, to_state, moved, ended FROM transitions "
     "WHERE flow_id = $1 AND at >= $2 AND at < $3 "
     "UNION ALL SELECT from_state, to_state, moved, ended FROM transitions "
     "WHERE flow_id = $1 AND at >= max($3, coalesce((SELECT rolled_up_to FROM "
     "transition_rollup_watermark WHERE id = 1), 0))), "
     "moves AS (SELECT from_state AS f, to_state AS s, "
     "CASE WHEN moved <> 0 THEN 1 ELSE 0 END AS m, CASE WHEN ended <> '' THEN 1 ELSE 0 END AS x, "
     "count(*) AS n FROM tail GROUP BY 1, 2, 3, 4) "
     "SELECT state, sum(e), sum(l), sum(x) FROM ("
     "SELECT state, entered_count AS e, left_count AS l, ended_count AS x "
     "FROM transition_rollup WHERE flow_id = $1 AND day >= $4 "
     "UNION ALL SELECT s, m * n, 0, x * n FROM moves "
     "UNION ALL SELECT f, 0, n, 0 FROM moves WHERE m = 1 AND f <> '') AS u GROUP BY state",
     "WITH tail AS ("
     "SELECT from_state, to_state, moved, ended FROM transitions "
     "WHERE flow_id = $1 AND at >= $2::bigint AND at < $3::bigint "
     "UNION ALL SELECT from_state, to_state, moved, ended FROM transitions "
     "WHERE flow_id = $1 AND at >= GREATEST($3::bigint, coalesce((SELECT rolled_up_to FROM "
     "transition_rollup_watermark WHERE id = 1), 0))), "
     "moves AS (SELECT from_state AS f, to_state AS s, "
     "CASE WHEN moved <> 0 THEN 1 ELSE 0 END AS m, CASE WHEN ended <> '' THEN 1 ELSE 0 END AS x, "
     "count(*) AS n FROM tail GROUP BY 1, 2, 3, 4) "
     "SELECT state, sum(e)::bigint, sum(l)::bigint, sum(x)::bigint FROM ("
     "SELECT state, entered_count AS e, left_count AS l, ended_count AS x "
     "FROM transition_rollup WHERE flow_id = $1 AND day >= $4::bigint "
     "UNION ALL SELECT s, m * n, 0, x * n FROM moves "
     "UNION ALL SELECT f, 0, n, 0 FROM moves WHERE m = 1 AND f <> '') AS u GROUP BY state"},
    {Q::kFlowRevisions, "FlowRevisions",
     "SELECT revision, loaded_at FROM flows WHERE id = $1 ORDER BY loaded_at DESC, revision", ""},
    // Oldest first by transitions_by_time; bounded so one statement stays short.
    {Q::kPruneTransitions, "PruneTransitions",
     "DELETE FROM transitions WHERE id IN "
     "(SELECT id FROM transitions WHERE at < $1 ORDER BY at LIMIT $2)",
     ""},
    // The rollup job (app/transition_rollup.hpp). It reads the watermark, then moves it
    // only from the value it read (compare and set): of two instances racing, the second's
    // UPDATE waits for the first's row lock and then changes no row, so it adds nothing.
    {Q::kRollupWatermark, "RollupWatermark",
     "SELECT rolled_up_to FROM transition_rollup_watermark WHERE id = 1", ""},
    {Q::kFirstTransitionSince, "FirstTransitionSince",
     "SELECT at FROM transitions WHERE at >= $1 ORDER BY at LIMIT 1", ""},
    {Q::kAdvanceRollupWatermark, "AdvanceRollupWatermark",
     "UPDATE transition_rollup_watermark SET rolled_up_to = $2 "
     "WHERE id = 1 AND rolled_up_to = $1",
     ""},
    // A range of transitions_by_time, per state as the page counts (entered and ended by
    // to_state, left by from_state), added to the day's rows.
    {Q::kRollUpTransitions, "RollUpTransitions",
     "INSERT INTO transition_rollup (flow_id, day, state, entered_count, left_count, ended_count) "
     "SELECT flow_id, day, state, sum(e), sum(l), sum(x) FROM ("
     "SELECT flow_id, at / 86400000 AS day, to_state AS state, "
     "CASE WHEN moved <> 0 THEN 1 ELSE 0 END AS e, 0 AS l, "
     "CASE WHEN ended <> '' THEN 1 ELSE 0 END AS x FROM transitions WHERE at >= $1 AND at < $2 "
     "UNION ALL SELECT flow_id, at / 86400000, from_state, 0, 1, 0 FROM transitions "
     "WHERE at >= $1 AND at < $2 AND moved <> 0 AND from_state <> '') AS moves "
     "WHERE true GROUP BY flow_id, day, state "
     "ON CONFLICT (flow_id, day, state) DO UPDATE SET "
     "entered_count = transition_rollup.entered_count + excluded.entered_count, "
     "left_count = transition_rollup.left_count + excluded.left_count, "
     "ended_count = transition_rollup.ended_count + excluded.ended_count",
     "INSERT INTO transition_rollup (flow_id, day, state, entered_count, left_count, ended_count) "
     "SELECT flow_id, day, state, sum(e), sum(l), sum(x) FROM ("
     "SELECT flow_id, at / 86400000 AS day, to_state AS state, "
     "CASE WHEN moved <> 0 THEN 1 ELSE 0 END AS e, 0 AS l, "
     "CASE WHEN ended <> '' THEN 1 ELSE 0 END AS x FROM transitions "
     "WHERE at >= $1::bigint AND at < $2::bigint "
     "UNION ALL SELECT flow_id, at / 86400000, from_state, 0, 1, 0 FROM transitions "
     "WHERE at >= $1::bigint AND at < $2::bigint AND moved <> 0 AND from_state <> '') AS moves "
     "GROUP BY flow_id, day, state "
     "ON CONFLICT (flow_id, day, state) DO UPDATE SET "
     "entered_count = transition_rollup.entered_count + excluded.entered_count, "
     "left_count = transition_rollup.left_count + excluded.left_count, "
     "ended_count = transition_rollup.ended_count + excluded.ended_count"},
    {Q::kPruneRollup, "PruneRollup", "DELETE FROM transition_rollup WHERE day < $1", ""},
    // Both one range of messages_by_time (a day's messages at most, on the dashboard).
    {Q::kMessagesPerHour, "MessagesPerHour",
     "SELECT created_at / 3600000, direction, count(*) FROM messages WHERE created_at >= $1 "
     "GROUP BY created_at / 3600000, direction",
     ""},
    {Q::kOutboundStatusesSince, "OutboundStatusesSince",
     "SELECT status, count(*) FROM messages WHERE created_at >= $1 AND direction = 'outbound' "
     "GROUP BY status",
     ""},
};
static_assert(std::size(kEntries) == kQueryCount, "one entry per query");

constexpr bool InOrder() {
  for (std::size_t i = 0; i < std::size(kEntries); ++i) {
    if (static_cast<std::size_t>(kEntries[i].q) != i) {
      return false;
    }
  }
  return true;
}
static_assert(InOrder(), "kEntries must follow the order of enum Q");

#undef PARLEY_CONTACT_COLUMNS
#undef PARLEY_SESSION_COLUMNS
#undef PARLEY_MESSAGE_COLUMNS
#undef PARLEY_MESSAGE_INSERT
#undef PARLEY_ADMIN_USER_COLUMNS
#undef PARLEY_BROADCAST_COLUMNS
#undef PARLEY_CLAIMED_RECIPIENT
#undef PARLEY_MESSAGE_LOG
#undef PARLEY_TRANSITION_COLUMNS
#undef PARLEY_OUTBOUND_INSERT
#undef PARLEY_CLAIM_RETURNING

}  // namespace

std::string_view QueryName(Q q) { return kEntries[static_cast<std::size_t>(q)].name; }

bool PlannedPerCall(Q q) { return q == Q::kSearchContacts || q == Q::kSearchContactsByText; }

std::string_view QuerySql(Dialect d, Q q) {
  const Entry& e = kEntries[static_cast<std::size_t>(q)];
  if (d == Dialect::kPostgres && !e.postgres.empty()) {
    return e.postgres;
  }
  return e.sqlite;
}

}  // namespace parley::store::detail
