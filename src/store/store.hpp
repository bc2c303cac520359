// The Store: everything parley keeps, behind one interface with a SQLite implementation
// (the embedded default) and a PostgreSQL one (many instances on one database).
//
// Contract shared by both implementations (the conformance suite, store_conformance_test,
// checks each point on both):
//   - All writes of one event happen in one Transaction; destroying a Transaction that was
//     not committed rolls it back. Nothing is half-written.
//   - Per-contact order: LockContact holds the contact until the transaction ends, so two
//     transactions for one contact run one after another, on any number of processes.
//   - At most one active session per contact, enforced by the database (a partial unique
//     index), not only by this code.
//   - Inbound messages are unique by provider id (Twilio's MessageSid): InsertInbound of a
//     repeat answers false and writes nothing.
//   - A database that cannot be reached (or drops the connection) gives kUnavailable; a
//     constraint violation gives kFailedPrecondition; a lock or statement timeout, deadlock
//     or serialization failure kUnavailable too (retrying the event may work); anything
//     else kInternal.
// All methods are thread-safe on the Store; a Transaction belongs to one thread and must
// end (Commit or destruction) before the Store is destroyed. On SQLite the open Transaction
// holds the store's only connection: the thread holding it must not call the Store (it
// would wait busy_timeout for itself, then get kUnavailable).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/metrics.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "flow/session.hpp"
#include "store/admin_store.hpp"
#include "store/statuses.hpp"

namespace parley::store {

// A person on one channel. The same phone on SMS and on WhatsApp is two contacts.
struct ContactRecord {
  int64_t id = 0;
  std::string address;          // unique key: "+15551234567" or "whatsapp:+15551234567"
  std::string channel = "sms";  // "sms" | "whatsapp"
  std::string phone;            // E.164
  std::string name;             // WhatsApp ProfileName, or set by an admin
  ContactStatus status = ContactStatus::kActive;
  std::string wa_id;               // WhatsApp WaId, empty on SMS
  std::string language;            // BCP 47, may be empty
  std::string time_zone;           // IANA id, may be empty
  std::string fields_json = "{}";  // custom fields, a JSON object of strings
  std::optional<TimePoint> last_inbound_at;
  TimePoint created_at{};
};

struct SessionRecord {
  int64_t id = 0;  // 0 until saved
  int64_t contact_id = 0;
  std::string flow_revision;  // hash of the flow file the session runs on
  flow::Session session;      // flow id, state, variables, step counter, status
  TimePoint started_at{};
  TimePoint updated_at{};
  std::optional<TimePoint> ended_at;
  std::string end_reason;  // why it ended: "completed", "opted_out", "expired", ...
};

struct MessageRecord {
  enum class Direction { kInbound, kOutbound };
  int64_t id = 0;  // 0 until saved
  int64_t contact_id = 0;
  std::optional<int64_t> session_id;
  Direction direction = Direction::kInbound;
  std::string provider_sid;  // Twilio MessageSid; unique for inbound; empty until sent
  std::string from;
  std::string to;
  std::string body;
  std::vector<std::string> media;  // media URLs
  MessageStatus status = MessageStatus::kReceived;
  std::string error_code;  // provider error code on failure, e.g. "21610"
  TimePoint created_at{};
  // Outbound only: the inbound message (its id) this one answers, so a webhook retry can be
  // answered with the same replies (Transaction::RepliesTo). Empty for messages parley
  // started, and for replies recorded before schema version 3.
  std::optional<int64_t> reply_to;
  // Outbound only: a WhatsApp template sent instead of the body (Twilio's ContentSid, "HX" +
  // 32 hex) and its rendered variables as a JSON object text ({"1":"Ana"}); both empty for
  // a free-form message (and for every message before schema version 5).
  std::string content_sid;
  std::string content_variables;
};

// An outbound message waiting for delivery.
struct OutboxItem {
  int64_t id = 0;
  int64_t message_id = 0;
  int64_t contact_id = 0;
  std::string from;
  std::string to;
  std::string body;
  std::vector<std::string> media;
  int attempts = 0;  // delivery attempts, counting the one this claim starts
  TimePoint next_attempt_at{};
  TimePoint created_at{};  // the message's: when it was queued (its age bounds the retries)
  // The contact as it is at the claim: a message to a contact that is no longer active, or a
  // free-form WhatsApp message outside the 24-hour window, is failed, not sent.
  ContactStatus contact_status = ContactStatus::kActive;
  std::optional<TimePoint> last_inbound_at;
  // A WhatsApp template to send instead of the body, and its variables (a JSON object
  // text), as EnqueueOutbound stored them from the MessageRecord; empty: free-form.
  std::string content_sid;
  std::string content_variables;
};

// What a delivery's final answer means for its contact, applied in the finishing transaction.
enum class ContactEffect {
  kNone,
  kOptOut,        // Twilio 21610: the contact becomes "opted_out"
  kInvalid,       // Twilio 21211, 21614: the contact becomes "invalid"
  kWindowClosed,  // Twilio 63016: WhatsApp's 24-hour window is closed
};

// The outcome of delivering one claimed outbox row.
struct OutboxDelivery {
  int64_t outbox_id = 0;
  MessageStatus status = MessageStatus::kSent;  // the message's status after delivery
  std::string provider_sid;
  std::string error_code;
  // With an effect: the contact's status changes (kOptOut, kInvalid; only an "active"
  // contact's) and the contact's other queued messages fail (error code kErrorOptedOut,
  // kErrorInvalidAddress or kErrorWindowClosed) and leave the outbox. kOptOut also ends the
  // contact's active session as the contact's STOP does (status and end reason "opted_out",
  // ended at `finished_at`, its timers removed).
  ContactEffect effect = ContactEffect::kNone;
  int64_t contact_id = 0;   // needed with an effect
  TimePoint finished_at{};  // when the answer came: a session an opt-out ends ends then
};

// A claimed row put back in the outbox: tried again at `next_attempt_at` (as RetryOutbox), or,
// `untried`, without counting the claim's attempt (as DeferOutbox).
struct OutboxReschedule {
  int64_t outbox_id = 0;
  TimePoint next_attempt_at{};
  bool untried = false;
};

// One round of the sender's bookkeeping (Store::FinishAndClaimOutbox): what became of the
// rows it had in hand, and how many to claim next.
struct OutboxRound {
  std::vector<OutboxDelivery> finished;
  std::vector<OutboxReschedule> rescheduled;
  int claim = 0;  // rows to claim once those are written; 0: claim none
  TimePoint now{};
  Duration lease{};
};

// The outbox at a glance, for the depth and oldest-age gauges.
struct OutboxStats {
  int64_t depth = 0;                   // rows waiting (claimed ones included)
  std::optional<TimePoint> oldest_at;  // the oldest waiting message's created_at
};

// Whom a claimed timer's event is addressed to (ContactRecord's fields of the same names).
struct TimerContact {
  std::string address;
  std::string channel;
  std::string phone;
};

// A durable timer of a session (docs/architecture.md, "Timers"). (session_id, name) is unique.
struct TimerRecord {
  int64_t session_id = 0;
  std::string name;
  TimePoint due{};
  uint64_t step = 0;  // the session's step when set
  bool keep = false;
  int64_t contact_id = 0;  // the session's contact; filled by reads, ignored by SetTimer
  // Recurring timers: what the next occurrence needs (the Service sets it again as it fires).
  std::optional<flow::TimerRecurrence> recur = std::nullopt;
  // Filled by ClaimTimers only (empty if the contact is gone), so the scheduler need not read
  // each contact: one round trip per timer was its bottleneck (docs/benchmarks.md, "Timers").
  std::optional<TimerContact> contact = std::nullopt;
};

// Live sessions on one state of a flow (Store::ActiveSessionStates).
struct StateCount {
  std::string state;
  int64_t sessions = 0;
};

// A loaded flow file, for sessions to name the revision they run on.
struct FlowRecord {
  std::string id;
  std::string revision;  // content hash
  std::string source;    // the file's text
  TimePoint loaded_at{};
};

// The writes of one event. Rolls back on destruction unless Commit() succeeded. The first
// failed call aborts it (as PostgreSQL does; SQLite is made to match): every later call,
// Commit() included, returns that error, and destruction rolls everything back.
class Transaction {
 public:
  virtual ~Transaction() = default;

  // Finds the contact with `init.address`, creating it from `init` if there is none, and
  // holds it until the transaction ends (the per-contact lock). Returns the stored record
  // (for an existing contact, its stored fields; `init` is not applied).
  virtual Result<ContactRecord> LockContact(const ContactRecord& init) = 0;
  // The contact with this id, held as LockContact holds it. kNotFound for an unknown id.
  virtual Result<ContactRecord> LockContactById(int64_t contact_id) = 0;
  // Writes name, status, wa_id, language, time_zone, fields_json, last_inbound_at.
  // kNotFound for an unknown contact.id.
  virtual Status UpdateContact(const ContactRecord& contact) = 0;

  // Records an inbound message and sets m.id. Answers false, writing nothing, when an
  // inbound message with m.provider_sid exists already (a webhook retry). An empty
  // provider_sid (a simulated message) is never a repeat.
  virtual Result<bool> InsertInbound(MessageRecord& m) = 0;
  // The outbound messages that answer the inbound message with this provider sid
  // (MessageRecord::reply_to), oldest first; empty when there is none or no such inbound
  // message. Sees this transaction's own writes (an earlier event of the same batch).
  virtual Result<std::vector<MessageRecord>> RepliesTo(std::string_view inbound_sid) = 0;
  // The outbound message Twilio knows by `provider_sid` (a status callback's MessageSid),
  // as Store::FindOutboundBySid, but inside this transaction: it sees the transaction's own
  // writes and the batch's earlier events. Empty for an unknown or empty sid.
  virtual Result<std::optional<MessageRecord>> FindOutboundBySid(std::string_view provider_sid) = 0;
  // Sets a message's status and error code (a delivery status callback; the caller decides
  // whether the status may move, conversation/delivery_status.hpp). kNotFound for an unknown
  // id — except in a Batch event, where the write is pipelined and an unknown id is not
  // reported.
  virtual Status SetMessageStatus(int64_t message_id, MessageStatus status,
                                  std::string_view error_code) = 0;
  // Records an outbound message (status "queued") with its outbox row; sets m.id — except
  // in a Batch event on PostgreSQL, where both go out as one pipelined statement and m.id
  // stays 0.
  virtual Status EnqueueOutbound(MessageRecord& m) = 0;
  // Records an outbound message that needs no delivery by parley (it went out inline, as
  // TwiML in the webhook's answer) with m.status as given; no outbox row. Sets m.id.
  virtual Status RecordOutbound(MessageRecord& m) = 0;

  // The contact's active session, if any.
  virtual Result<std::optional<SessionRecord>> ActiveSession(int64_t contact_id) = 0;
  // Inserts the session (id == 0; sets id) or updates it. Inserting a second active session
  // for a contact fails with kFailedPrecondition; updating an unknown id is kNotFound.
  virtual Status SaveSession(SessionRecord& s) = 0;

  // Sets a timer, replacing a pending one of the same session and name (and its claim: the
  // new timer is claimable when due). An unknown session is kFailedPrecondition.
  virtual Status SetTimer(const TimerRecord& t) = 0;
  // SetTimer for a one-shot timer (t.recur is ignored), except that a pending one of the same
  // name already due at most `slack` before t.due (and not after it) is left as it is, its
  // claim included. The session's expiry, pushed back by every message, is so written once per
  // `slack` rather than every time; whoever fires it re-checks the real due time
  // (conversation/session_expiry.hpp). An unknown session sets nothing.
  virtual Status PushBackTimer(const TimerRecord& t, Duration slack) = 0;
  // Cancels the session's timer `name`, or all of its timers when `name` is empty.
  virtual Status CancelTimers(int64_t session_id, std::string_view name) = 0;
  // Cancels the session's timers but the reserved ones (flow::IsReservedTimer: the expiry
  // timer), as a flow's `cancel all` does.
  virtual Status CancelFlowTimers(int64_t session_id) = 0;
  // Removes the timer `t` names (session_id, name) if it is still the one that was claimed
  // (same due and step: not replaced, cancelled or fired meanwhile); answers whether it was.
  // The scheduler's firing of a timer runs in the transaction that takes it, so a timer
  // fires at most once however many schedulers claimed it. `contact_id` is the session's
  // contact: in a batch on PostgreSQL its ActiveSession (when called next) and LastInboundTo
  // are read in the same round trip and answered from it.
  virtual Result<bool> TakeTimer(const TimerRecord& t, int64_t contact_id) = 0;
  // The number the contact last wrote to (their latest inbound message's `to`), empty when
  // they never wrote: what a message parley sends unprompted (a timer's) goes out from.
  virtual Result<std::string> LastInboundTo(int64_t contact_id) = 0;

  // Appends a line to the admin's audit log, committed with the event (an admin's action,
  // conversation::AdminAction, and its audit line are written together or not at all).
  virtual Status AppendAudit(const AuditRecord& audit) = 0;
  // Records a session's transition (admin_store.hpp, TransitionRecord), committed with the
  // event that caused it: the transcript's history and the flow page's numbers. Pipelined in
  // a Batch event (an error shows at the event's commit).
  virtual Status RecordTransition(const TransitionRecord& t) = 0;

  virtual Status Commit() = 0;
};

// The writes of many events in one database transaction: the event pipeline's unit of commit
// (docs/architecture.md, "Life of an event").
//
// Each event runs in a Transaction from BeginEvent, a savepoint of the batch: destroying it
// uncommitted rolls back that event's writes only; its Commit() makes them part of the batch,
// durable once Batch::Commit() succeeds (not before). One event is open at a time. Destroying
// a Batch that was not committed rolls everything back. A failure that leaves the database
// transaction unusable (the connection dropped, an event's rollback failed) fails the batch:
// every later call, Commit() included, returns that error.
//
// Contacts: LockContacts locks every contact of the batch up front, in address order, so two
// batches (two lanes, two instances) never wait for each other in a cycle; the events'
// LockContact then answers from the batch without another round trip. A Batch belongs to one
// thread and holds one connection (on SQLite: the write lock) until it ends.
class Batch {
 public:
  virtual ~Batch() = default;

  // Finds or creates (from the init records) and locks these contacts, in address order.
  // Call it before the first BeginEvent; duplicates in `inits` are fine.
  virtual Status LockContacts(const std::vector<ContactRecord>& inits) = 0;
  // Opens the next event's savepoint. The previous event must have ended.
  virtual Result<std::unique_ptr<Transaction>> BeginEvent() = 0;
  // Commits the batch; the writes of every committed event are durable when it returns.
  virtual Status Commit() = 0;
  // Commits the batch and gives its connection back (SQLite: the write lock), perhaps before
  // its writes are durable, so the next batch need not wait for this one's fsync. When the
  // commit succeeds, `on_durable` runs exactly once — before this returns or later, on
  // another thread, in commit order across batches — with Ok once the writes are durable, or
  // the error that kept them from it; when it fails (the returned error) it never runs.
  virtual Status CommitVisible(std::function<void(Status)> on_durable) {
    Status s = Commit();
    if (s.ok()) {
      on_durable(Status::Ok());
    }
    return s;
  }
};

struct ConnectOptions {
  // PostgreSQL: connections in the pool (each transaction holds one). SQLite: ignored.
  int pool_size = 8;
  // How long Begin() waits for a free connection or for SQLite's write lock (PostgreSQL: also
  // its lock_timeout).
  Duration busy_timeout = std::chrono::seconds(5);
  // PostgreSQL: the server cancels a statement running longer (statement_timeout). SQLite:
  // ignored.
  Duration statement_timeout = std::chrono::seconds(30);
  // SQLite: a commit survives a power loss, not only a process crash: the WAL is fsynced
  // before Commit returns, or before CommitVisible reports it durable (the WAL syncer,
  // store/sqlite/wal_syncer.hpp). false: no fsync (synchronous=NORMAL; the last commits
  // before a power loss may be lost). PostgreSQL: ignored (the server's fsync and
  // synchronous_commit decide).
  bool sqlite_full_sync = true;
  // When set, every database call's duration is observed in it by kind of call (one label,
  // "call": exec, flush, begin, commit, script; store/detail/timed_backend.hpp). It must
  // outlive the store.
  metrics::HistogramFamily* call_latency = nullptr;
  // When set (both or neither), every statement is counted by query name (one label,
  // "query": the names in store/detail/queries.cpp) with the wall time spent in it, in
  // nanoseconds: which statements an event costs (docs/benchmarks.md, "Where the time goes").
  // A pipelined PostgreSQL statement only queues, so it is counted without time (its time is
  // in the flush). They must outlive the store.
  metrics::CounterFamily* query_calls = nullptr;
  metrics::CounterFamily* query_nanoseconds = nullptr;
};

class Store {
 public:
  virtual ~Store() = default;

  // "sqlite" or "postgres".
  virtual std::string_view dialect() const = 0;

  virtual Result<std::unique_ptr<Transaction>> Begin() = 0;
  // A transaction for many events (see Batch).
  virtual Result<std::unique_ptr<Batch>> BeginBatch() = 0;
  // A cheap round trip: is the database reachable?
  virtual Status Ping() = 0;
  // Can an event's writes commit now? Commits, with an event's durability, a transaction
  // that writes about a page (a row of the flows table) and removes it again, so nothing is
  // left: it fails as an event would on a full disk (SQLite: SQLITE_FULL once the file must
  // grow), a read-only database or standby, or a database that is down (kUnavailable).
  // Costs a commit (an fsync): for readiness checks, at most about once a second.
  virtual Status ProbeWrite() = 0;

  // Migrations. Versions count from 1; 0 is an empty database.
  virtual Result<int> SchemaVersion() = 0;
  virtual int LatestSchemaVersion() const = 0;
  // Applies the missing migrations, each in its own transaction; safe to run concurrently
  // from several processes. Fails (changing nothing) on a schema newer than this binary.
  virtual Status Migrate() = 0;

  // Claims up to `limit` due outbox rows (next_attempt_at <= now) for delivery, oldest
  // first, leasing them for `lease` so no other worker or instance claims them meanwhile
  // (PostgreSQL: FOR UPDATE SKIP LOCKED).
  //
  // Per-contact order: only the oldest row of each contact is claimable (the head of its
  // queue). A contact's next row becomes claimable once the head is finished; a head that is
  // leased, or waits for a retry, holds back the rows behind it, on any number of instances,
  // and holds back no other contact.
  //
  // Outbox bookkeeping (claims and finishes) commits with relaxed durability: it survives a
  // process crash, and a power loss only undoes it until the next event commit's fsync. What
  // a power loss can cause is a message sent twice (its finish undone), never one lost.
  virtual Result<std::vector<OutboxItem>> ClaimOutbox(TimePoint now, int limit, Duration lease) = 0;
  // Ends delivery of a claimed row: removes it and sets the message's status, provider sid
  // and error code. kNotFound if the row is gone (finished already).
  virtual Status FinishOutbox(int64_t outbox_id, MessageStatus status,
                              std::string_view provider_sid, std::string_view error_code) = 0;
  // Ends delivery of several claimed rows in one transaction (all or nothing), as
  // FinishOutbox does for each; a row that is gone already is skipped, not an error.
  virtual Status FinishOutboxBatch(const std::vector<OutboxDelivery>& deliveries) = 0;
  // One round of the sender in ONE bookkeeping transaction (all or nothing), so a round costs
  // one commit (on PostgreSQL one round trip): FinishOutboxBatch(round.finished), then
  // RetryOutbox or DeferOutbox for each of round.rescheduled (a row gone is skipped, not an
  // error), then ClaimOutbox(round.now, round.claim, round.lease). The claim sees the rows
  // just finished as gone, so a contact whose head was finished has its next row claimable
  // in the same round — still only the head (per-contact order as ClaimOutbox).
  virtual Result<std::vector<OutboxItem>> FinishAndClaimOutbox(const OutboxRound& round) = 0;
  // Claims up to `limit` due timers (due <= now), earliest first, leasing them for `lease`
  // so no other scheduler (or instance) claims them meanwhile (PostgreSQL: FOR UPDATE SKIP
  // LOCKED). A claimed timer ends when its event's transaction cancels it; a crashed
  // claimer's timers come back when the lease runs out.
  virtual Result<std::vector<TimerRecord>> ClaimTimers(TimePoint now, int limit,
                                                       Duration lease) = 0;
  // When a scheduler should look for due timers next: the earliest due time of a timer no
  // scheduler holds a lease on at `now`, or, if sooner, the moment the lease on a due timer
  // runs out (its claimer may have crashed); none when there are no timers. What an idle
  // scheduler sleeps until.
  virtual Result<std::optional<TimePoint>> NextTimerDue(TimePoint now) = 0;
  // Puts a claimed row back for another attempt at `next_attempt_at` (lease released).
  // kNotFound if the row is gone.
  virtual Status RetryOutbox(int64_t outbox_id, TimePoint next_attempt_at) = 0;
  // Puts a claimed row back untried, to be claimed again at `next_attempt_at`: as RetryOutbox,
  // but the claim's attempt is not counted (the rate limiter held it back, or the sender
  // stopped before sending it). kNotFound if the row is gone.
  virtual Status DeferOutbox(int64_t outbox_id, TimePoint next_attempt_at) = 0;
  // The outbox's depth and oldest message: a count over the outbox and one indexed lookup.
  virtual Result<OutboxStats> ReadOutboxStats() = 0;

  // Records a flow revision (idempotent for the same id and revision).
  virtual Status SaveFlow(const FlowRecord& f) = 0;

  // Reads, for the CLI, the admin and tests.
  virtual Result<std::optional<ContactRecord>> FindContact(std::string_view address) = 0;
  virtual Result<std::optional<ContactRecord>> FindContactById(int64_t contact_id) = 0;
  // The outbound message Twilio knows by `provider_sid` (a status callback's MessageSid).
  virtual Result<std::optional<MessageRecord>> FindOutboundBySid(std::string_view provider_sid) = 0;
  virtual Result<std::optional<SessionRecord>> LatestSession(int64_t contact_id) = 0;
  // The contact's messages, oldest first.
  virtual Result<std::vector<MessageRecord>> Messages(int64_t contact_id) = 0;
  virtual Result<std::vector<TimerRecord>> Timers(int64_t session_id) = 0;
  // How many active sessions of flow `flow_id` are in each state (states with none are not
  // listed), by state name: what `parley check --against` reports for removed states. A scan
  // of the sessions table: for the CLI and the admin, not for every event.
  virtual Result<std::vector<StateCount>> ActiveSessionStates(std::string_view flow_id) = 0;
  // Rows in each table, "contacts=3 sessions=2 ..." in a fixed order: tests compare it
  // before and after a request that must change nothing.
  virtual Result<std::string> RowCounts() = 0;

  // The admin console's users, sessions, audit log and page queries.
  virtual AdminStore& admin() = 0;
};

// Opens "sqlite:PATH" (a file; "sqlite::memory:" for a private in-memory database) or
// "postgres://user:pass@host:port/db?..." / "postgresql://..." (any libpq URI). Does not
// migrate. An unknown scheme is kInvalidArgument naming the accepted forms; a malformed
// PostgreSQL URI is kInvalidArgument with libpq's reason. PostgreSQL connects lazily: an
// unreachable server shows at the first call, as kUnavailable. A SQLite file that cannot
// be opened is kUnavailable here.
Result<std::unique_ptr<Store>> OpenStore(std::string_view database_url,
                                         const ConnectOptions& options = {});

}  // namespace parley::store
