// Every statement the Store runs, by name, with its SQL for each dialect. Connections
// prepare each one once and reuse it.
#pragma once

#include <cstddef>
#include <string_view>

namespace parley::store::detail {

enum class Dialect { kSqlite, kPostgres };

// Parameters are written $1, $2, ... in both dialects (SQLite gets ?1, ?2, ...).
enum class Q : int {
  kPing,
  kProbeWrite,  // a row of about a page in flows, that kProbeWriteUndo removes again
  kProbeWriteUndo,
  kBegin,
  kCommit,
  kRollback,
  kRelaxCommit,  // this transaction's commit need not wait for the disk (PostgreSQL only)
  kSavepoint,    // the batch's per-event savepoint
  kReleaseSavepoint,
  kRollbackToSavepoint,
  kHasMigrationsTable,
  kSchemaVersion,
  kRecordMigration,
  kLockContact,    // an existing contact, row-locked where the dialect has row locks
  kInsertContact,  // creates (or, racing another creator, locks) a contact
  kLockContacts,   // the existing contacts of a JSON array of addresses, locked in order
  kUpdateContact,
  kFindContact,
  kFindContactById,
  kLockContactById,
  kInsertInbound,
  kInsertOutbound,
  kInsertOutbox,
  kEnqueueOutbound,  // message and outbox row in one statement (PostgreSQL only)
  kActiveSession,
  kLatestSession,
  kInsertSession,
  kUpdateSession,
  kSetTimer,
  kPushBackTimer,
  kCancelTimer,
  kCancelAllTimers,
  kCancelFlowTimers,
  kTimers,
  kClaimTimers,
  kTakeTimer,      // a claimed timer, if unchanged: $1 session, $2 name, $3 due, $4 step
  kNextTimerDue,   // the earliest due time of an unleased timer at $1
  kLastInboundTo,  // the number contact $1 last wrote to
  kFindOutboundBySid,
  kRepliesTo,  // the outbound messages answering the inbound message with sid $1
  kClaimOutbox,
  kDeleteOutbox,
  kSetMessageDelivery,
  kSetMessageStatus,  // a status callback: status and error code of one message
  kSetDeliveries,     // $1: JSON [[outbox_id, status, sid, error], ...]; rows gone are skipped
  kDeleteOutboxRows,  // $1: the same array
  kRetryOutbox,
  kDeferOutbox,             // as kRetryOutbox, and the claim's attempt is taken back
  kRescheduleOutboxRows,    // $1: JSON [[outbox_id, next_attempt_at, untried 0/1], ...]
  kSetContactStatusActive,  // $1 contact, $2 status: only an "active" contact changes
  kFailContactOutbox,       // $1 contact, $2 error code: its queued messages but row $3 fail
  kDeleteContactOutbox,     // $1 contact: its outbox rows
  kEndOptedOutSession,      // $1 contact, $2 now: its active session ends as STOP ends it
  kDeleteContactTimers,     // $1 contact: its timers, if it is opted out
  kOutboxStats,
  kSaveFlow,
  kMessages,
  kRowCounts,
  // The admin (store/admin_store.hpp).
  kInsertAdminUser,
  kFindAdminUser,
  kAdminUsers,
  kSetAdminPassword,
  kSetAdminUserDisabled,
  kDeleteAdminSessionsOfUser,
  kInsertAdminSession,
  kFindAdminSession,
  kTouchAdminSession,
  kDeleteAdminSession,
  kDeleteExpiredAdminSessions,
  kInsertAudit,
  kAuditLog,
  kCountMessagesSince,
  kActiveSessionsByFlow,
  kListContacts,          // $1 before id (INT64_MAX: from the newest), $2 limit
  kSearchContacts,        // $1 LIKE pattern, $2 before id, $3 limit: scans by id (PostgreSQL:
                          // the planner may use the pg_trgm indexes of migration 10)
  kSearchContactsByText,  // SQLite: $1 FTS5 phrase, $2 LIKE pattern, $3 before id, $4 limit:
                          // the trigram index (contacts_search) walked newest first
  kActiveSessionStates,   // $1 flow id: (state, count) of its active sessions
  kContactMessages,       // a contact's messages, newest first, keyset on id
  kContactSessions,       // a contact's sessions, newest first
  // The admin's message log (v9): one statement per leading index.
  kMessageLog,          // by id (the primary key)
  kMessageLogByStatus,  // messages_by_status
  kMessageLogByError,   // messages_by_error
  // Broadcasts (v9).
  kContactStandings,  // $1 JSON array of addresses: (address, status, has an active session)
  kInsertBroadcast,
  kInsertBroadcastRecipient,
  kBroadcasts,                // $1 id (0: all), newest first, $2 limit
  kClaimBroadcastRecipients,  // $1 now, $2 lease end, $3 limit
  kFinishBroadcastRecipient,  // $1 id, $2 status, $3 error: only a claimed row
  kCountBroadcastResults,     // $1 broadcast, $2 started, $3 failed, $4 now
  // A broadcast's failed recipients (issue 11; broadcast_recipients_failed, v12).
  kInsertFailedBroadcastRecipient,  // $1 broadcast, $2 address, $3 name, $4 fields, $5 error
  kBroadcastFailures,  // $1 broadcast, $2 after id, $3 limit: oldest first, with the contact
  // History (schema v8).
  kInsertTransition,
  kContactTransitions,  // $1 contact, $2..$3 time range, $4 limit
  kFlowStateStats,      // $1 flow, $2 since, $3 the first midnight at or after it, $4 its day:
                        // (state, entered, left, ended), the rollup's days and the rest (v11)
  kFlowRevisions,       // $1 flow: (revision, loaded_at), latest first
  kPruneTransitions,    // $1 before, $2 limit
  // The flow page's rollup (schema v11; app/transition_rollup.hpp).
  kRollupWatermark,         // (rolled_up_to)
  kFirstTransitionSince,    // $1 at: the first transition's time at or after it, if any
  kAdvanceRollupWatermark,  // $1 the watermark read, $2 the new one: 0 rows if it moved
  kRollUpTransitions,       // $1..$2: adds the transitions with $1 <= at < $2
  kPruneRollup,             // $1 day: removes the rollup's rows of earlier days
  // The dashboard (messages_by_time, v7).
  kMessagesPerHour,        // $1 since: (hour = created_at / 3600000, direction, count)
  kOutboundStatusesSince,  // $1 since: (status, count) of outbound messages
  kCount,
};
inline constexpr std::size_t kQueryCount = static_cast<std::size_t>(Q::kCount);

// "InsertInbound", for error messages.
std::string_view QueryName(Q q);
std::string_view QuerySql(Dialect d, Q q);
// Whether PostgreSQL must plan `q` for each call's values instead of preparing it once. A
// prepared statement may switch to a generic plan after five calls; for the contact search
// that plan is a scan (the best plan depends on how many contacts the text matches: the
// trigram indexes for rare text, the primary key newest first for common text).
bool PlannedPerCall(Q q);

// Column lists shared by the SELECTs and RETURNINGs above, decoded by records.cpp.
inline constexpr int kContactColumns = 12;
inline constexpr int kSessionColumns = 12;
inline constexpr int kMessageColumns = 15;
inline constexpr int kAdminUserColumns = 6;
inline constexpr int kAuditColumns = 7;
inline constexpr int kTransitionColumns = 13;

}  // namespace parley::store::detail
