// The Store logic, once for both dialects, over backend.hpp.
#include <algorithm>
#include <tuple>
#include <utility>

#include "common/json.hpp"
#include "store/detail/backend.hpp"
#include "store/detail/records.hpp"
#include "store/detail/transactions.hpp"

namespace parley::store::detail {
namespace {

// Reads 0 on an empty database, else the highest applied version.
Result<int> ReadSchemaVersion(Conn& conn) {
  int64_t tables = 0;
  PARLEY_RETURN_IF_ERROR(conn.Exec(Q::kHasMigrationsTable, {}, [&](const Row& row) {
    tables = row.Int(0);
    return Status::Ok();
  }));
  if (tables == 0) {
    return 0;
  }
  int64_t version = 0;
  PARLEY_RETURN_IF_ERROR(conn.Exec(Q::kSchemaVersion, {}, [&](const Row& row) {
    version = row.Int(0);
    return Status::Ok();
  }));
  return static_cast<int>(version);
}

// The writes a delivery's ContactEffect calls for (Store's OutboxDelivery), in the finishing
// transaction `c`: the contact's status (an opt-out also ends the active session and its
// timers, as STOP does), then its other queued messages.
Status ApplyContactEffect(Conn& c, const OutboxDelivery& d) {
  std::string_view others_code;
  switch (d.effect) {
    case ContactEffect::kNone:
      return Status::Ok();
    case ContactEffect::kOptOut:
      PARLEY_RETURN_IF_ERROR(
          c.Send(Q::kSetContactStatusActive, {d.contact_id, ContactStatus::kOptedOut}));
      PARLEY_RETURN_IF_ERROR(c.Send(Q::kEndOptedOutSession, {d.contact_id, d.finished_at}));
      PARLEY_RETURN_IF_ERROR(c.Send(Q::kDeleteContactTimers, {d.contact_id}));
      others_code = kErrorOptedOut;
      break;
    case ContactEffect::kInvalid:
      PARLEY_RETURN_IF_ERROR(
          c.Send(Q::kSetContactStatusActive, {d.contact_id, ContactStatus::kInvalid}));
      others_code = kErrorInvalidAddress;
      break;
    case ContactEffect::kWindowClosed:
      others_code = kErrorWindowClosed;
      break;
  }
  PARLEY_RETURN_IF_ERROR(c.Send(Q::kFailContactOutbox, {d.contact_id, others_code, d.outbox_id}));
  return c.Send(Q::kDeleteContactOutbox, {d.contact_id});
}

// The claim's order (RETURNING has none): due time, then queue order.
void SortClaimed(std::vector<OutboxItem>& items) {
  std::sort(items.begin(), items.end(), [](const OutboxItem& a, const OutboxItem& b) {
    return std::pair(a.next_attempt_at, a.id) < std::pair(b.next_attempt_at, b.id);
  });
}

// The JSON array kSetDeliveries and kDeleteOutboxRows read: [[outbox_id, status, sid, error]].
std::string DeliveryRows(const std::vector<OutboxDelivery>& deliveries) {
  std::string rows = "[";
  for (const OutboxDelivery& d : deliveries) {
    if (rows.size() > 1) {
      rows += ',';
    }
    rows += '[';
    rows += std::to_string(d.outbox_id);
    rows += ',';
    rows += json::Serialize(json::Value(std::string(MessageStatusName(d.status))));
    rows += ',';
    rows += json::Serialize(json::Value(d.provider_sid));
    rows += ',';
    rows += json::Serialize(json::Value(d.error_code));
    rows += ']';
  }
  rows += ']';
  return rows;
}

// The JSON array kRescheduleOutboxRows reads: [[outbox_id, next_attempt_at ms, untried]].
std::string RescheduleRows(const std::vector<OutboxReschedule>& rescheduled) {
  std::string rows = "[";
  for (const OutboxReschedule& r : rescheduled) {
    if (rows.size() > 1) {
      rows += ',';
    }
    rows += '[' + std::to_string(r.outbox_id) + ',' +
            std::to_string(ToUnixMillis(r.next_attempt_at)) + ',' + (r.untried ? "1" : "0") + ']';
  }
  rows += ']';
  return rows;
}

// Sends a batch of finishes (`rows`: DeliveryRows(deliveries)) into the transaction `c`: two
// set-based statements whatever the batch's size, and the rare contact effects between them.
Status SendFinishes(Conn& c, const std::vector<OutboxDelivery>& deliveries,
                    const std::string& rows) {
  PARLEY_RETURN_IF_ERROR(c.Send(Q::kSetDeliveries, {rows}));
  for (const OutboxDelivery& d : deliveries) {  // rare: Twilio refused an address
    PARLEY_RETURN_IF_ERROR(ApplyContactEffect(c, d));
  }
  return c.Send(Q::kDeleteOutboxRows, {rows});
}

class StoreImpl final : public Store {
 public:
  explicit StoreImpl(std::unique_ptr<Backend> backend)
      : backend_(std::move(backend)), admin_(MakeAdminStore(*backend_)) {}

  std::string_view dialect() const override { return backend_->dialect(); }

  Result<std::unique_ptr<Transaction>> Begin() override {
    auto conn = backend_->Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    PARLEY_RETURN_IF_ERROR((*conn)->Begin());
    return NewTransaction(std::move(conn).value());
  }

  Result<std::unique_ptr<Batch>> BeginBatch() override {
    auto conn = backend_->Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    PARLEY_RETURN_IF_ERROR((*conn)->Begin());
    return NewBatch(std::move(conn).value());
  }

  Status Ping() override {
    auto conn = backend_->Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    return (*conn)->Exec(Q::kPing, {});
  }

  Status ProbeWrite() override {
    // A page of filler: with no free page left the row needs the file to grow, as an
    // event's writes would.
    static const std::string filler(4096, '0');
    auto conn = backend_->Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    Conn& c = **conn;
    PARLEY_RETURN_IF_ERROR(c.Begin());
    Status s = c.Exec(Q::kProbeWrite, {filler});
    if (s.ok()) {
      s = c.Exec(Q::kProbeWriteUndo, {});
    }
    if (s.ok()) {
      return c.Commit();
    }
    c.Rollback();
    return s;
  }

  Result<int> SchemaVersion() override {
    auto conn = backend_->Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    return ReadSchemaVersion(**conn);
  }

  // The highest version (versions ascend and may skip numbers: store/detail/backend.hpp).
  int LatestSchemaVersion() const override {
    const auto migrations = backend_->migrations();
    return migrations.empty() ? 0 : migrations.back().version;
  }

  AdminStore& admin() override { return *admin_; }

  Status Migrate() override {
    while (true) {
      auto conn = backend_->Acquire();
      if (!conn.ok()) {
        return conn.status();
      }
      Conn& c = **conn;
      PARLEY_RETURN_IF_ERROR(c.Begin());
      // Rolls back on every early return; a no-op after Commit.
      struct Abort {
        Conn& c;
        ~Abort() { c.Rollback(); }
      } abort{c};
      PARLEY_RETURN_IF_ERROR(c.ExecScript(backend_->migration_lock_sql()));
      auto version = ReadSchemaVersion(c);
      if (!version.ok()) {
        return version.status();
      }
      const int latest = LatestSchemaVersion();
      if (*version > latest) {
        return Status::FailedPrecondition("database schema is version " + std::to_string(*version) +
                                          " but this parley knows only up to " +
                                          std::to_string(latest) + "; upgrade parley");
      }
      if (*version == latest) {
        return Status::Ok();
      }
      // The first migration past the database's version.
      const auto migrations = backend_->migrations();
      const Migration& m = *std::find_if(migrations.begin(), migrations.end(),
                                         [&](const Migration& x) { return x.version > *version; });
      Status s = c.ExecScript(m.sql);
      if (s.ok()) {
        s = c.Exec(Q::kRecordMigration, {m.version});
      }
      if (s.ok()) {
        s = c.Commit();
      }
      if (!s.ok()) {
        return {s.code(), "migration " + std::to_string(m.version) + ": " + s.message()};
      }
    }
  }

  Result<std::vector<OutboxItem>> ClaimOutbox(TimePoint now, int limit, Duration lease) override {
    std::vector<OutboxItem> items;
    PARLEY_RETURN_IF_ERROR(InBookkeepingTransaction([&](Conn& c) {
      return c.Exec(Q::kClaimOutbox, {now, now + lease, limit}, DecodeAppend(items, OutboxFromRow));
    }));
    PARLEY_RETURN_IF_ERROR(AwaitDurableClaim(items));
    SortClaimed(items);
    return items;
  }

  Result<std::vector<TimerRecord>> ClaimTimers(TimePoint now, int limit, Duration lease) override {
    std::vector<TimerRecord> timers;
    auto conn = backend_->Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    PARLEY_RETURN_IF_ERROR(
        (*conn)->Exec(Q::kClaimTimers, {now, now + lease, limit}, [&](const Row& row) {
          timers.push_back(ClaimedTimerFromRow(row));
          return Status::Ok();
        }));
    std::sort(timers.begin(), timers.end(), [](const TimerRecord& a, const TimerRecord& b) {
      return std::tie(a.due, a.session_id, a.name) < std::tie(b.due, b.session_id, b.name);
    });
    return timers;
  }

  Result<std::optional<TimePoint>> NextTimerDue(TimePoint now) override {
    std::optional<TimePoint> due;
    PARLEY_RETURN_IF_ERROR(Read(Q::kNextTimerDue, {now}, [&](const Row& row) {
      due = row.OptTime(0);
      return Status::Ok();
    }));
    return due;
  }

  Status FinishOutbox(int64_t outbox_id, MessageStatus status, std::string_view provider_sid,
                      std::string_view error_code) override {
    return InBookkeepingTransaction([&](Conn& c) {
      std::optional<int64_t> message_id;
      PARLEY_RETURN_IF_ERROR(c.Exec(Q::kDeleteOutbox, {outbox_id}, [&](const Row& row) {
        message_id = row.Int(0);
        return Status::Ok();
      }));
      if (!message_id) {
        return Status::NotFound("no outbox row " + std::to_string(outbox_id));
      }
      return c.Exec(Q::kSetMessageDelivery, {*message_id, status, provider_sid, error_code});
    });
  }

  Status FinishOutboxBatch(const std::vector<OutboxDelivery>& deliveries) override {
    if (deliveries.empty()) {
      return Status::Ok();
    }
    const std::string rows = DeliveryRows(deliveries);
    // Pipelined on PostgreSQL: all go out with the COMMIT, one round trip.
    return InBookkeepingTransaction([&](Conn& c) { return SendFinishes(c, deliveries, rows); });
  }

  Result<std::vector<OutboxItem>> FinishAndClaimOutbox(const OutboxRound& round) override {
    const std::string finished = DeliveryRows(round.finished);
    const std::string rescheduled = RescheduleRows(round.rescheduled);
    std::vector<OutboxItem> items;
    auto decode = DecodeAppend(items, OutboxFromRow);
    // Everything is sent (pipelined on PostgreSQL) and goes out with the COMMIT: one round
    // trip per round, whatever it holds; on SQLite one transaction, one commit.
    PARLEY_RETURN_IF_ERROR(InBookkeepingTransaction([&](Conn& c) {
      if (!round.finished.empty()) {
        PARLEY_RETURN_IF_ERROR(SendFinishes(c, round.finished, finished));
      }
      if (!round.rescheduled.empty()) {
        PARLEY_RETURN_IF_ERROR(c.Send(Q::kRescheduleOutboxRows, {rescheduled}));
      }
      if (round.claim > 0) {
        PARLEY_RETURN_IF_ERROR(
            c.Send(Q::kClaimOutbox, {round.now, round.now + round.lease, round.claim}, {}, decode));
      }
      return Status::Ok();
    }));
    PARLEY_RETURN_IF_ERROR(AwaitDurableClaim(items));
    SortClaimed(items);
    return items;
  }

  Status RetryOutbox(int64_t outbox_id, TimePoint next_attempt_at) override {
    auto conn = backend_->Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    int64_t changed = 0;
    PARLEY_RETURN_IF_ERROR(
        (*conn)->Exec(Q::kRetryOutbox, {outbox_id, next_attempt_at}, {}, &changed));
    if (changed == 0) {
      return Status::NotFound("no outbox row " + std::to_string(outbox_id));
    }
    return Status::Ok();
  }

  Status DeferOutbox(int64_t outbox_id, TimePoint next_attempt_at) override {
    auto conn = backend_->Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    int64_t changed = 0;
    PARLEY_RETURN_IF_ERROR(
        (*conn)->Exec(Q::kDeferOutbox, {outbox_id, next_attempt_at}, {}, &changed));
    if (changed == 0) {
      return Status::NotFound("no outbox row " + std::to_string(outbox_id));
    }
    return Status::Ok();
  }

  Result<OutboxStats> ReadOutboxStats() override {
    OutboxStats stats;
    PARLEY_RETURN_IF_ERROR(Read(Q::kOutboxStats, {}, [&](const Row& row) {
      stats.depth = row.Int(0);
      if (!row.IsNull(1)) {
        stats.oldest_at = row.Time(1);
      }
      return Status::Ok();
    }));
    return stats;
  }

  Status SaveFlow(const FlowRecord& f) override {
    auto conn = backend_->Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    return (*conn)->Exec(Q::kSaveFlow, {f.id, f.revision, f.source, f.loaded_at});
  }

  Result<std::optional<ContactRecord>> FindContact(std::string_view address) override {
    std::optional<ContactRecord> found;
    PARLEY_RETURN_IF_ERROR(Read(Q::kFindContact, {address}, DecodeInto(found, ContactFromRow)));
    return found;
  }

  Result<std::optional<ContactRecord>> FindContactById(int64_t contact_id) override {
    std::optional<ContactRecord> found;
    PARLEY_RETURN_IF_ERROR(
        Read(Q::kFindContactById, {contact_id}, DecodeInto(found, ContactFromRow)));
    return found;
  }

  Result<std::optional<MessageRecord>> FindOutboundBySid(std::string_view provider_sid) override {
    std::optional<MessageRecord> found;
    PARLEY_RETURN_IF_ERROR(
        Read(Q::kFindOutboundBySid, {provider_sid}, DecodeInto(found, MessageFromRow)));
    return found;
  }

  Result<std::optional<SessionRecord>> LatestSession(int64_t contact_id) override {
    std::optional<SessionRecord> found;
    PARLEY_RETURN_IF_ERROR(
        Read(Q::kLatestSession, {contact_id}, DecodeInto(found, SessionFromRow)));
    return found;
  }

  Result<std::vector<MessageRecord>> Messages(int64_t contact_id) override {
    std::vector<MessageRecord> out;
    PARLEY_RETURN_IF_ERROR(Read(Q::kMessages, {contact_id}, DecodeAppend(out, MessageFromRow)));
    return out;
  }

  Result<std::vector<TimerRecord>> Timers(int64_t session_id) override {
    std::vector<TimerRecord> out;
    PARLEY_RETURN_IF_ERROR(Read(Q::kTimers, {session_id}, [&](const Row& row) {
      out.push_back(TimerFromRow(row));
      return Status::Ok();
    }));
    return out;
  }

  Result<std::vector<StateCount>> ActiveSessionStates(std::string_view flow_id) override {
    std::vector<StateCount> out;
    PARLEY_RETURN_IF_ERROR(Read(Q::kActiveSessionStates, {flow_id}, [&](const Row& row) {
      out.push_back({std::string(row.Text(0)), row.Int(1)});
      return Status::Ok();
    }));
    return out;
  }

  Result<std::string> RowCounts() override {
    static constexpr const char* kTables[] = {"contacts", "sessions", "messages",
                                              "outbox",   "timers",   "flows"};
    std::string out;
    PARLEY_RETURN_IF_ERROR(Read(Q::kRowCounts, {}, [&](const Row& row) {
      for (int i = 0; i < static_cast<int>(std::size(kTables)); ++i) {
        out += (i == 0 ? "" : " ");
        out += kTables[i];
        out += '=';
        out += std::to_string(row.Int(i));
      }
      return Status::Ok();
    }));
    return out;
  }

 private:
  // A message goes out only once the event that wrote it is durable (SQLite commits are
  // visible before their fsync, docs/architecture.md "Durability on SQLite"): a power loss
  // must not leave a sent reply to an event that is gone and will be retried.
  Status AwaitDurableClaim(const std::vector<OutboxItem>& claimed) {
    return claimed.empty() ? Status::Ok() : backend_->AwaitDurable();
  }

  // Runs `body` in a transaction of the outbox bookkeeping (relaxed durability: see
  // Store::ClaimOutbox), committed when it succeeds and rolled back otherwise.
  template <typename Body>
  Status InBookkeepingTransaction(Body body) {
    auto conn = backend_->Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    Conn& c = **conn;
    PARLEY_RETURN_IF_ERROR(c.Begin(Conn::Durability::kRelaxed));
    Status s = body(c);
    if (s.ok()) {
      s = c.Commit();
    }
    if (!s.ok()) {
      c.Rollback();
    }
    return s;
  }

  Status Read(Q q, std::initializer_list<Param> params, RowFn on_row) {
    auto conn = backend_->Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    return (*conn)->Exec(q, params, on_row);
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<AdminStore> admin_;
};

}  // namespace

std::unique_ptr<Store> MakeStore(std::unique_ptr<Backend> backend) {
  return std::make_unique<StoreImpl>(std::move(backend));
}

}  // namespace parley::store::detail
