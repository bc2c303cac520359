// Transactions and batches, once for both dialects (backend.hpp). A batch runs its events
// in savepoints; see store.hpp for the contracts.
#include "store/detail/transactions.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "store/detail/records.hpp"

namespace parley::store::detail {
namespace {

const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

// What a transaction of a Batch shares with the batch (see BatchImpl).
class BatchState {
 public:
  virtual ~BatchState() = default;
  // The contact locked by the batch, or null.
  virtual const ContactRecord* Locked(std::string_view address) const = 0;
  // An event committed: its contact writes become what the batch knows.
  virtual void EventCommitted(std::vector<ContactRecord> contacts) = 0;
  // An event ended without committing: roll its savepoint back.
  virtual void EventRolledBack() = 0;
};

// One transaction: standalone (it owns its connection: BEGIN ... COMMIT), or one event of a
// Batch (it borrows the batch's connection and runs inside a savepoint the batch opened).
class TransactionImpl final : public Transaction {
 public:
  explicit TransactionImpl(ConnPtr conn) : owned_(std::move(conn)), conn_(owned_.get()) {}
  TransactionImpl(Conn& conn, BatchState& batch) : conn_(&conn), batch_(&batch) {}
  ~TransactionImpl() override {
    if (conn_ == nullptr) {
      return;
    }
    if (batch_ != nullptr) {
      batch_->EventRolledBack();
    } else {
      conn_->Rollback();
    }
  }

  Result<ContactRecord> LockContact(const ContactRecord& init) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    if (batch_ != nullptr) {
      if (const ContactRecord* locked = batch_->Locked(init.address)) {
        for (auto it = contacts_.rbegin(); it != contacts_.rend(); ++it) {
          if (it->id == locked->id) {
            return *it;  // as this event last wrote it
          }
        }
        return *locked;
      }
    }
    auto contact = Track(DoLockContact(init));
    if (contact.ok() && batch_ != nullptr) {
      contacts_.push_back(*contact);
    }
    return contact;
  }

  Result<ContactRecord> LockContactById(int64_t contact_id) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    std::optional<ContactRecord> found;
    Status s = conn_->Exec(Q::kLockContactById, {contact_id}, DecodeInto(found, ContactFromRow));
    if (s.ok() && !found) {
      s = Status::NotFound("no contact " + std::to_string(contact_id));
    }
    if (!s.ok()) {
      return Track(Result<ContactRecord>(std::move(s)));
    }
    if (batch_ != nullptr) {
      contacts_.push_back(*found);
    }
    return std::move(*found);
  }

  Status UpdateContact(const ContactRecord& c) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    Status s = Write(Q::kUpdateContact,
                     {c.id, c.name, c.status, c.wa_id, c.language, c.time_zone, c.fields_json,
                      c.last_inbound_at},
                     Status::NotFound("no contact " + std::to_string(c.id)));
    if (s.ok() && batch_ != nullptr) {
      contacts_.push_back(c);
    }
    return Track(std::move(s));
  }

  Result<bool> InsertInbound(MessageRecord& m) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    inbound_to_ahead_.reset();
    const std::string media = MediaToJson(m.media);
    bool inserted = false;
    auto on_insert = [&](const Row& row) {
      m.id = row.Int(0);
      inserted = true;
      return Status::Ok();
    };
    const std::initializer_list<Param> params = {
        m.contact_id, m.session_id, m.provider_sid, m.from,       m.to,      m.body,
        media,        m.status,     m.error_code,   m.created_at, m.reply_to};
    Status s;
    if (batch_ != nullptr) {
      // What comes next is the contact's active session: read it in the same round trip
      // (ActiveSession answers from it if nothing was written in between).
      std::optional<SessionRecord> session;
      s = conn_->Send(Q::kInsertInbound, params, {}, on_insert);
      if (s.ok()) {
        s = conn_->Exec(Q::kActiveSession, {m.contact_id}, DecodeInto(session, SessionFromRow));
      }
      if (s.ok()) {
        read_ahead_ = ReadAhead{m.contact_id, std::move(session)};
      }
    } else {
      s = conn_->Exec(Q::kInsertInbound, params, on_insert);
    }
    if (!s.ok()) {
      return Track(Result<bool>(std::move(s)));
    }
    m.direction = MessageRecord::Direction::kInbound;
    return inserted;
  }

  Result<std::vector<MessageRecord>> RepliesTo(std::string_view inbound_sid) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    std::vector<MessageRecord> replies;
    // Runs after everything sent before it on this connection, so it sees the writes of
    // this transaction and of the batch's earlier events (the original of a retry).
    Status s = conn_->Exec(Q::kRepliesTo, {inbound_sid}, DecodeAppend(replies, MessageFromRow));
    if (!s.ok()) {
      return Track(Result<std::vector<MessageRecord>>(std::move(s)));
    }
    return replies;
  }

  Result<std::optional<MessageRecord>> FindOutboundBySid(std::string_view provider_sid) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    std::optional<MessageRecord> found;
    // Like RepliesTo: runs after what was sent before it on this connection.
    Status s =
        conn_->Exec(Q::kFindOutboundBySid, {provider_sid}, DecodeInto(found, MessageFromRow));
    if (!s.ok()) {
      return Track(Result<std::optional<MessageRecord>>(std::move(s)));
    }
    return found;
  }

  Status SetMessageStatus(int64_t message_id, MessageStatus status,
                          std::string_view error_code) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    return Track(Write(Q::kSetMessageStatus, {message_id, status, error_code},
                       Status::NotFound("no message with id " + std::to_string(message_id))));
  }

  Status EnqueueOutbound(MessageRecord& m) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    m.status = MessageStatus::kQueued;
    const std::string media = MediaToJson(m.media);
    if (batch_ != nullptr && conn_->pipelined()) {
      m.direction = MessageRecord::Direction::kOutbound;
      m.id = 0;  // not known until the pipeline is read; the event does not need it
      return Track(conn_->Send(
          Q::kEnqueueOutbound,
          {m.contact_id, m.session_id, m.provider_sid, m.from, m.to, m.body, media, m.status,
           m.error_code, m.created_at, m.reply_to, m.content_sid, m.content_variables}));
    }
    Status s = InsertOutbound(m, media);
    if (s.ok()) {
      s = Write(Q::kInsertOutbox, {m.id, m.contact_id, m.from, m.to, m.body, media, m.created_at,
                                   m.content_sid, m.content_variables});
    }
    return Track(std::move(s));
  }

  Status RecordOutbound(MessageRecord& m) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    return Track(InsertOutbound(m, MediaToJson(m.media)));
  }

  Result<std::optional<SessionRecord>> ActiveSession(int64_t contact_id) override {
    std::optional<ReadAhead> read_ahead = std::move(read_ahead_);
    PARLEY_RETURN_IF_ERROR(Usable());
    if (read_ahead && read_ahead->contact_id == contact_id) {
      return std::move(read_ahead->session);
    }
    std::optional<SessionRecord> found;
    Status s = conn_->Exec(Q::kActiveSession, {contact_id}, DecodeInto(found, SessionFromRow));
    if (!s.ok()) {
      return Track(Result<std::optional<SessionRecord>>(std::move(s)));
    }
    return found;
  }

  Status SaveSession(SessionRecord& r) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    const std::string vars = json::Serialize(r.session.vars);
    const auto step = static_cast<int64_t>(r.session.step);
    const char* status = flow::SessionStatusName(r.session.status);
    if (r.id == 0) {
      return Track(
          conn_->Exec(Q::kInsertSession,
                      {r.contact_id, r.session.flow_id, r.flow_revision, r.session.state, vars,
                       step, status, r.started_at, r.updated_at, r.ended_at, r.end_reason},
                      [&](const Row& row) {
                        r.id = row.Int(0);
                        return Status::Ok();
                      }));
    }
    return Track(Write(Q::kUpdateSession,
                       {r.id, r.session.flow_id, r.flow_revision, r.session.state, vars, step,
                        status, r.updated_at, r.ended_at, r.end_reason},
                       Status::NotFound("no session " + std::to_string(r.id))));
  }

  Status SetTimer(const TimerRecord& t) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    // No row: the INSERT ... SELECT found no session to copy the contact id from (the
    // foreign key would say the same).
    std::optional<int64_t> every;
    std::optional<int64_t> at;
    Param zone = nullptr;
    if (t.recur) {
      every = t.recur->every.count();
      if (t.recur->at) {
        at = t.recur->at->count();
        zone = Param(t.recur->time_zone);
      }
    }
    return Track(Write(Q::kSetTimer,
                       {t.session_id, t.name, ToUnixMillis(t.due), static_cast<int64_t>(t.step),
                        t.keep ? 1 : 0, every, at, zone},
                       Status::FailedPrecondition("timer '" + t.name + "' for unknown session " +
                                                  std::to_string(t.session_id))));
  }

  Status PushBackTimer(const TimerRecord& t, Duration slack) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    // Zero rows is the point here (a row left alone), so it is not an error.
    return Track(Write(
        Q::kPushBackTimer,
        {t.session_id, t.name, ToUnixMillis(t.due), static_cast<int64_t>(t.step), t.keep ? 1 : 0,
         static_cast<int64_t>(
             std::chrono::duration_cast<std::chrono::milliseconds>(slack).count())}));
  }

  Status CancelTimers(int64_t session_id, std::string_view name) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    if (name.empty()) {
      return Track(Write(Q::kCancelAllTimers, {session_id}));
    }
    return Track(Write(Q::kCancelTimer, {session_id, name}));
  }

  Status CancelFlowTimers(int64_t session_id) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    return Track(Write(Q::kCancelFlowTimers, {session_id}));
  }

  Result<bool> TakeTimer(const TimerRecord& t, int64_t contact_id) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    bool taken = false;
    auto on_taken = [&](const Row&) {
      taken = true;
      return Status::Ok();
    };
    const std::initializer_list<Param> params = {t.session_id, t.name, ToUnixMillis(t.due),
                                                 static_cast<int64_t>(t.step)};
    Status s;
    if (batch_ != nullptr && conn_->pipelined()) {
      // What a firing reads next — the contact's active session and the number they last
      // wrote to — goes in the same round trip: one instead of three per timer event, which
      // bound the PostgreSQL burst (docs/benchmarks.md, "Timers"). Where Send does not defer
      // (SQLite) the reads would only be wasted on a timer that is gone.
      std::optional<SessionRecord> session;
      std::string to;
      auto on_to = [&](const Row& row) {
        to = row.Text(0);
        return Status::Ok();
      };
      s = conn_->Send(Q::kTakeTimer, params, {}, on_taken);
      if (s.ok()) {
        s = conn_->Send(Q::kLastInboundTo, {contact_id}, {}, on_to);
      }
      if (s.ok()) {
        s = conn_->Exec(Q::kActiveSession, {contact_id}, DecodeInto(session, SessionFromRow));
      }
      if (s.ok()) {
        read_ahead_ = ReadAhead{contact_id, std::move(session)};
        inbound_to_ahead_ = InboundToAhead{contact_id, std::move(to)};
      }
    } else {
      s = conn_->Exec(Q::kTakeTimer, params, on_taken);
    }
    if (!s.ok()) {
      return Track(Result<bool>(std::move(s)));
    }
    return taken;
  }

  Result<std::string> LastInboundTo(int64_t contact_id) override {
    std::optional<InboundToAhead> ahead = std::move(inbound_to_ahead_);
    inbound_to_ahead_.reset();
    PARLEY_RETURN_IF_ERROR(Usable());
    if (ahead && ahead->contact_id == contact_id) {
      return std::move(ahead->to);
    }
    std::string to;
    Status s = conn_->Exec(Q::kLastInboundTo, {contact_id}, [&](const Row& row) {
      to = row.Text(0);
      return Status::Ok();
    });
    if (!s.ok()) {
      return Track(Result<std::string>(std::move(s)));
    }
    return to;
  }

  Status AppendAudit(const AuditRecord& a) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    return Track(Write(Q::kInsertAudit, {a.at, a.actor, a.action, a.target, a.detail, a.remote}));
  }

  Status RecordTransition(const TransitionRecord& t) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    std::optional<int64_t> edge;
    if (t.edge_index) {
      edge = *t.edge_index;
    }
    return Track(Write(Q::kInsertTransition,
                       {t.session_id, t.contact_id, t.flow_id, t.flow_revision, t.from_state,
                        t.to_state, edge, t.edge_label, t.event, t.moved ? 1 : 0, t.ended, t.at}));
  }

  Status Commit() override {
    PARLEY_RETURN_IF_ERROR(Usable());
    if (batch_ != nullptr) {
      // The event's pipelined writes must have succeeded before it counts as committed.
      PARLEY_RETURN_IF_ERROR(Track(conn_->Flush()));
      conn_ = nullptr;  // the savepoint is released by the batch, with its next statement
      batch_->EventCommitted(std::move(contacts_));
      return Status::Ok();
    }
    PARLEY_RETURN_IF_ERROR(Track(conn_->Commit()));
    conn_ = nullptr;
    owned_.reset();  // gives the connection (SQLite: the write lock) back now
    return Status::Ok();
  }

 private:
  // Every call starts here; only the call right after InsertInbound or TakeTimer may use its
  // read-ahead session.
  Status Usable() {
    read_ahead_.reset();
    if (!failed_.ok()) {
      return {failed_.code(), "transaction aborted by an earlier error: " + failed_.message()};
    }
    if (conn_ == nullptr) {
      return Status::FailedPrecondition("transaction already committed");
    }
    return Status::Ok();
  }

  // The first failure poisons the transaction: PostgreSQL refuses further statements after
  // an error, and SQLite is made to behave the same so callers see one contract.
  template <typename R>
  R Track(R r) {
    if (!StatusOf(r).ok() && failed_.ok()) {
      failed_ = StatusOf(r);
    }
    return r;
  }

  // A write whose result is not needed. In a batch event it is pipelined (Conn::Send): its
  // failure comes back from a later call, at the latest from Commit(). In a standalone
  // transaction it runs now, so each call answers for itself. `no_rows` (when not ok) is the
  // error for a write that changed no row.
  Status Write(Q q, std::initializer_list<Param> params, Status no_rows = {}) {
    if (batch_ != nullptr) {
      return conn_->Send(q, params, std::move(no_rows));
    }
    int64_t changed = 0;
    PARLEY_RETURN_IF_ERROR(conn_->Exec(q, params, {}, &changed));
    if (!no_rows.ok() && changed == 0) {
      return no_rows;
    }
    return Status::Ok();
  }

  Status InsertOutbound(MessageRecord& m, const std::string& media) {
    m.direction = MessageRecord::Direction::kOutbound;
    return conn_->Exec(
        Q::kInsertOutbound,
        {m.contact_id, m.session_id, m.provider_sid, m.from, m.to, m.body, media, m.status,
         m.error_code, m.created_at, m.reply_to, m.content_sid, m.content_variables},
        [&](const Row& row) {
          m.id = row.Int(0);
          return Status::Ok();
        });
  }

  Result<ContactRecord> DoLockContact(const ContactRecord& init) {
    std::optional<ContactRecord> found;
    auto take = DecodeInto(found, ContactFromRow);
    PARLEY_RETURN_IF_ERROR(conn_->Exec(Q::kLockContact, {init.address}, take));
    if (!found) {
      PARLEY_RETURN_IF_ERROR(conn_->Exec(
          Q::kInsertContact,
          {init.address, init.channel, init.phone, init.name, init.status, init.wa_id,
           init.language, init.time_zone, init.fields_json, init.last_inbound_at, init.created_at},
          take));
    }
    if (!found) {
      return Status::Internal("contact insert returned no row");
    }
    return std::move(*found);
  }

  ConnPtr owned_;  // standalone only
  Conn* conn_;     // null once committed
  BatchState* batch_ = nullptr;
  std::vector<ContactRecord> contacts_;  // UpdateContact calls of a batch event, in order
  struct ReadAhead {
    int64_t contact_id;
    std::optional<SessionRecord> session;
  };
  std::optional<ReadAhead> read_ahead_;  // the active session, read with InsertInbound or TakeTimer
  struct InboundToAhead {
    int64_t contact_id;
    std::string to;
  };
  // LastInboundTo, read with TakeTimer; only InsertInbound changes what it would answer.
  std::optional<InboundToAhead> inbound_to_ahead_;
  Status failed_;
};

// One database transaction, events in savepoints. The savepoint statements are pipelined
// (Conn::Send): releasing one event's savepoint and opening the next's go out with the next
// event's first read, and an event's Commit costs one round trip only to learn that its own
// pipelined writes succeeded.
class BatchImpl final : public Batch, private BatchState {
 public:
  explicit BatchImpl(ConnPtr conn) : conn_(std::move(conn)) {}
  ~BatchImpl() override {
    if (conn_) {
      conn_->Rollback();
    }
  }

  Status LockContacts(const std::vector<ContactRecord>& inits) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    std::vector<const ContactRecord*> sorted;
    sorted.reserve(inits.size());
    for (const ContactRecord& c : inits) {
      sorted.push_back(&c);
    }
    std::sort(sorted.begin(), sorted.end(), [](const ContactRecord* a, const ContactRecord* b) {
      return a->address < b->address;
    });
    sorted.erase(std::unique(sorted.begin(), sorted.end(),
                             [](const ContactRecord* a, const ContactRecord* b) {
                               return a->address == b->address;
                             }),
                 sorted.end());
    // One statement locks the existing contacts, in address order (PostgreSQL: ORDER BY ...
    // FOR UPDATE locks the rows as they come out of the sort).
    std::string addresses = "[";
    for (const ContactRecord* c : sorted) {
      if (addresses.size() > 1) {
        addresses += ',';
      }
      addresses += json::Serialize(json::Value(c->address));
    }
    addresses += ']';
    const bool first_call = locked_.empty();
    const auto take = [&](const Row& row) {
      auto c = ContactFromRow(row);
      if (!c.ok()) {
        return c.status();
      }
      std::string address = c->address;
      locked_.insert_or_assign(std::move(address), std::move(c).value());
      return Status::Ok();
    };
    Status s = conn_->Exec(Q::kLockContacts, {addresses}, take);
    std::vector<const ContactRecord*> missing;
    for (const ContactRecord* init : sorted) {
      if (locked_.count(init->address) == 0) {
        missing.push_back(init);
      }
    }
    // Then the new ones, one by one in address order: a contact another instance creates
    // meanwhile is waited for (its row lock) rather than created twice. That wait must come
    // in address order too: when a contact to create sorts before one locked already, the
    // batch lets go of its locks (it has written nothing yet) and takes every contact again,
    // one at a time in address order (rare: a batch with a new contact). Otherwise it could
    // wait, holding a later contact, for a batch that waits for that later contact.
    if (s.ok() && first_call && !missing.empty() && !locked_.empty() &&
        missing.front()->address < locked_.rbegin()->first) {
      conn_->Rollback();
      locked_.clear();
      s = conn_->Begin();
      missing.clear();
      for (const ContactRecord* init : sorted) {
        if (!s.ok()) {
          break;
        }
        s = conn_->Exec(Q::kLockContact, {init->address}, take);
        if (s.ok() && locked_.count(init->address) == 0) {
          s = InsertContact(*init, take);
        }
      }
    }
    for (const ContactRecord* init : missing) {
      if (!s.ok()) {
        break;
      }
      s = InsertContact(*init, take);
    }
    return Track(std::move(s));
  }

  Result<std::unique_ptr<Transaction>> BeginEvent() override {
    PARLEY_RETURN_IF_ERROR(Usable());
    if (event_open_) {
      return Status::FailedPrecondition("the batch's previous event has not ended");
    }
    if (release_pending_) {
      PARLEY_RETURN_IF_ERROR(Track(conn_->Send(Q::kReleaseSavepoint, {})));
      release_pending_ = false;
    }
    PARLEY_RETURN_IF_ERROR(Track(conn_->Send(Q::kSavepoint, {})));
    event_open_ = true;
    return std::unique_ptr<Transaction>(new TransactionImpl(*conn_, *this));
  }

  Status Commit() override {
    PARLEY_RETURN_IF_ERROR(Usable());
    if (event_open_) {
      return Status::FailedPrecondition("the batch's last event has not ended");
    }
    PARLEY_RETURN_IF_ERROR(Track(conn_->Commit()));
    conn_.reset();
    return Status::Ok();
  }

  Status CommitVisible(std::function<void(Status)> on_durable) override {
    PARLEY_RETURN_IF_ERROR(Usable());
    if (event_open_) {
      return Status::FailedPrecondition("the batch's last event has not ended");
    }
    PARLEY_RETURN_IF_ERROR(Track(conn_->CommitVisible(std::move(on_durable))));
    conn_.reset();
    return Status::Ok();
  }

 private:
  const ContactRecord* Locked(std::string_view address) const override {
    auto it = locked_.find(address);
    return it == locked_.end() ? nullptr : &it->second;
  }

  void EventCommitted(std::vector<ContactRecord> contacts) override {
    event_open_ = false;
    release_pending_ = true;
    for (ContactRecord& c : contacts) {
      std::string address = c.address;
      locked_.insert_or_assign(std::move(address), std::move(c));
    }
  }

  void EventRolledBack() override {
    event_open_ = false;
    if (failed_.ok()) {
      // The event's own failure (if any) is reported by now; what is left pipelined belongs
      // to it and goes with the rollback.
      Status s = conn_->Send(Q::kRollbackToSavepoint, {});
      if (s.ok()) {
        s = conn_->Send(Q::kReleaseSavepoint, {});
      }
      if (s.ok()) {
        s = conn_->Flush();
      }
      (void)Track(std::move(s));
    }
  }

  Status InsertContact(const ContactRecord& init, RowFn take) {
    return conn_->Exec(
        Q::kInsertContact,
        {init.address, init.channel, init.phone, init.name, init.status, init.wa_id, init.language,
         init.time_zone, init.fields_json, init.last_inbound_at, init.created_at},
        take);
  }

  Status Usable() const {
    if (!failed_.ok()) {
      return {failed_.code(), "batch aborted by an earlier error: " + failed_.message()};
    }
    if (!conn_) {
      return Status::FailedPrecondition("batch already committed");
    }
    return Status::Ok();
  }

  Status Track(Status s) {
    if (!s.ok() && failed_.ok()) {
      failed_ = s;
    }
    return s;
  }

  ConnPtr conn_;
  Status failed_;
  bool event_open_ = false;
  bool release_pending_ = false;  // a committed event's savepoint is still open
  std::map<std::string, ContactRecord, std::less<>> locked_;
};

}  // namespace

std::unique_ptr<Transaction> NewTransaction(ConnPtr conn) {
  return std::make_unique<TransactionImpl>(std::move(conn));
}

std::unique_ptr<Batch> NewBatch(ConnPtr conn) {
  return std::make_unique<BatchImpl>(std::move(conn));
}

}  // namespace parley::store::detail
