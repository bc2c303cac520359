// The admin's queries (store/admin_store.hpp), once for both dialects over backend.hpp.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "common/json.hpp"

#include "store/detail/backend.hpp"
#include "store/detail/records.hpp"

namespace parley::store::detail {
namespace {

// id, email, role, password_hash, disabled, created_at (PARLEY_ADMIN_USER_COLUMNS).
AdminUserRecord AdminUserFromRow(const Row& row) {
  AdminUserRecord u;
  u.id = row.Int(0);
  u.email = row.Text(1);
  u.role = row.Text(2);
  u.password_hash = row.Text(3);
  u.disabled = row.Int(4) != 0;
  u.created_at = row.Time(5);
  return u;
}

AuditRecord AuditFromRow(const Row& row) {
  AuditRecord a;
  a.id = row.Int(0);
  a.at = row.Time(1);
  a.actor = row.Text(2);
  a.action = row.Text(3);
  a.target = row.Text(4);
  a.detail = row.Text(5);
  a.remote = row.Text(6);
  return a;
}

// PARLEY_TRANSITION_COLUMNS (queries.cpp).
TransitionRecord TransitionFromRow(const Row& row) {
  TransitionRecord t;
  t.id = row.Int(0);
  t.session_id = row.Int(1);
  t.contact_id = row.Int(2);
  t.flow_id = row.Text(3);
  t.flow_revision = row.Text(4);
  t.from_state = row.Text(5);
  t.to_state = row.Text(6);
  if (!row.IsNull(7)) {
    t.edge_index = static_cast<int>(row.Int(7));
  }
  t.edge_label = row.Text(8);
  t.event = row.Text(9);
  t.moved = row.Int(10) != 0;
  t.ended = row.Text(11);
  t.at = row.Time(12);
  return t;
}

// The rollup's days (schema v11): UTC days, numbered as the SQL does (at / 86400000; times
// are after 1970, so truncation and floor agree there).
constexpr int64_t kDayMillis = 86'400'000;
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

// The keyset bound of the list queries: "before 0" is "from the newest". A bound rather
// than "$2 = 0 OR id < $2" lets both dialects range-scan the key (and FTS5 its rowids).
int64_t Before(int64_t before_id) {
  return before_id > 0 ? before_id : std::numeric_limits<int64_t>::max();
}

// The text of a "%text%" pattern (no wildcard inside, backslash escapes undone) when the
// trigram index can find it: three characters or more (a trigram index holds nothing
// shorter). Otherwise none, and the search scans.
std::optional<std::string> IndexableText(std::string_view pattern) {
  if (pattern.size() < 2 || pattern.front() != '%') {
    return std::nullopt;
  }
  std::string text;
  for (size_t i = 1; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      text += pattern[++i];
    } else if (c == '%' && i + 1 == pattern.size()) {
      size_t chars = 0;  // UTF-8 characters: the bytes that do not continue one
      for (char b : text) {
        chars += (static_cast<unsigned char>(b) & 0xC0) != 0x80 ? 1 : 0;
      }
      return chars >= 3 ? std::optional(std::move(text)) : std::nullopt;
    } else if (c == '%' || c == '_' || c == '\\') {
      return std::nullopt;
    } else {
      text += c;
    }
  }
  return std::nullopt;
}

// An FTS5 string: the text as one phrase, its double quotes doubled. With the trigram
// tokenizer a phrase matches wherever the text occurs, as LIKE '%text%' does.
std::string FtsPhrase(std::string_view text) {
  std::string phrase = "\"";
  for (char c : text) {
    phrase += c;
    if (c == '"') {
      phrase += '"';
    }
  }
  phrase += '"';
  return phrase;
}

Status InsertAudit(Conn& c, const AuditRecord& a) {
  return c.Exec(Q::kInsertAudit, {a.at, a.actor, a.action, a.target, a.detail, a.remote});
}

class AdminStoreImpl final : public AdminStore {
 public:
  explicit AdminStoreImpl(Backend& backend) : backend_(backend) {}

  Status CreateAdminUser(AdminUserRecord& user, const AuditRecord& audit) override {
    return InTransaction([&](Conn& c) {
      PARLEY_RETURN_IF_ERROR(c.Exec(
          Q::kInsertAdminUser,
          {user.email, user.role, user.password_hash, user.disabled ? 1 : 0, user.created_at},
          [&](const Row& row) {
            user.id = row.Int(0);
            return Status::Ok();
          }));
      return InsertAudit(c, audit);
    });
  }

  Result<std::optional<AdminUserRecord>> FindAdminUser(std::string_view email) override {
    std::optional<AdminUserRecord> found;
    PARLEY_RETURN_IF_ERROR(Read(Q::kFindAdminUser, {email}, [&](const Row& row) {
      found = AdminUserFromRow(row);
      return Status::Ok();
    }));
    return found;
  }

  Result<std::vector<AdminUserRecord>> AdminUsers() override {
    std::vector<AdminUserRecord> out;
    PARLEY_RETURN_IF_ERROR(Read(Q::kAdminUsers, {}, [&](const Row& row) {
      out.push_back(AdminUserFromRow(row));
      return Status::Ok();
    }));
    return out;
  }

  Status SetAdminPassword(int64_t user_id, std::string_view password_hash,
                          const AuditRecord& audit) override {
    return InTransaction([&](Conn& c) {
      int64_t changed = 0;
      PARLEY_RETURN_IF_ERROR(c.Exec(Q::kSetAdminPassword, {user_id, password_hash}, {}, &changed));
      if (changed == 0) {
        return Status::NotFound("no admin user with id " + std::to_string(user_id));
      }
      PARLEY_RETURN_IF_ERROR(c.Exec(Q::kDeleteAdminSessionsOfUser, {user_id}));
      return InsertAudit(c, audit);
    });
  }

  Status SetAdminUserDisabled(int64_t user_id, bool disabled, const AuditRecord& audit) override {
    return InTransaction([&](Conn& c) {
      int64_t changed = 0;
      PARLEY_RETURN_IF_ERROR(
          c.Exec(Q::kSetAdminUserDisabled, {user_id, disabled ? 1 : 0}, {}, &changed));
      if (changed == 0) {
        return Status::NotFound("no admin user with id " + std::to_string(user_id));
      }
      if (disabled) {
        PARLEY_RETURN_IF_ERROR(c.Exec(Q::kDeleteAdminSessionsOfUser, {user_id}));
      }
      return InsertAudit(c, audit);
    });
  }

  Status CreateAdminSession(const AdminSessionRecord& s, const AuditRecord& audit) override {
    return InTransaction([&](Conn& c) {
      PARLEY_RETURN_IF_ERROR(
          c.Exec(Q::kInsertAdminSession, {s.token_hash, s.user_id, s.csrf_token, s.created_at,
                                          s.last_seen_at, s.idle_expires_at, s.expires_at}));
      return InsertAudit(c, audit);
    });
  }

  Result<std::optional<AdminSessionRecord>> FindAdminSession(std::string_view token_hash) override {
    std::optional<AdminSessionRecord> found;
    PARLEY_RETURN_IF_ERROR(Read(Q::kFindAdminSession, {token_hash}, [&](const Row& row) {
      AdminSessionRecord s;
      s.token_hash = row.Text(0);
      s.user_id = row.Int(1);
      s.csrf_token = row.Text(2);
      s.created_at = row.Time(3);
      s.last_seen_at = row.Time(4);
      s.idle_expires_at = row.Time(5);
      s.expires_at = row.Time(6);
      s.user.id = s.user_id;
      s.user.email = row.Text(7);
      s.user.role = row.Text(8);
      s.user.disabled = row.Int(9) != 0;
      s.user.created_at = row.Time(10);
      found = std::move(s);
      return Status::Ok();
    }));
    return found;
  }

  Status TouchAdminSession(std::string_view token_hash, TimePoint last_seen,
                           TimePoint idle_expires_at) override {
    return Read(Q::kTouchAdminSession, {token_hash, last_seen, idle_expires_at}, {});
  }

  Status DeleteAdminSession(std::string_view token_hash,
                            const std::optional<AuditRecord>& audit) override {
    return InTransaction([&](Conn& c) {
      PARLEY_RETURN_IF_ERROR(c.Exec(Q::kDeleteAdminSession, {token_hash}));
      return audit ? InsertAudit(c, *audit) : Status::Ok();
    });
  }

  Result<int64_t> DeleteExpiredAdminSessions(TimePoint now) override {
    auto conn = backend_.Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    int64_t changed = 0;
    PARLEY_RETURN_IF_ERROR((*conn)->Exec(Q::kDeleteExpiredAdminSessions, {now}, {}, &changed));
    return changed;
  }

  Status AppendAudit(const AuditRecord& audit) override {
    auto conn = backend_.Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    return InsertAudit(**conn, audit);
  }

  Result<std::vector<AuditRecord>> AuditLog(int64_t before_id, int limit) override {
    std::vector<AuditRecord> out;
    PARLEY_RETURN_IF_ERROR(Read(Q::kAuditLog, {before_id, limit}, [&](const Row& row) {
      out.push_back(AuditFromRow(row));
      return Status::Ok();
    }));
    return out;
  }

  Result<MessageCounts> CountMessagesSince(TimePoint since) override {
    MessageCounts counts;
    PARLEY_RETURN_IF_ERROR(Read(Q::kCountMessagesSince, {since}, [&](const Row& row) {
      (row.Text(0) == "inbound" ? counts.inbound : counts.outbound) = row.Int(1);
      return Status::Ok();
    }));
    return counts;
  }

  Result<std::vector<HourlyMessages>> MessagesPerHour(TimePoint since) override {
    std::map<int64_t, HourlyMessages> hours;
    PARLEY_RETURN_IF_ERROR(Read(Q::kMessagesPerHour, {since}, [&](const Row& row) {
      HourlyMessages& h = hours[row.Int(0)];
      h.hour = FromUnixMillis(row.Int(0) * 3'600'000);
      (row.Text(1) == "inbound" ? h.inbound : h.outbound) += row.Int(2);
      return Status::Ok();
    }));
    std::vector<HourlyMessages> out;
    out.reserve(hours.size());
    for (auto& [hour, h] : hours) {
      out.push_back(h);
    }
    return out;
  }

  Result<std::vector<StatusCount>> OutboundStatusesSince(TimePoint since) override {
    std::vector<StatusCount> out;
    PARLEY_RETURN_IF_ERROR(Read(Q::kOutboundStatusesSince, {since}, [&](const Row& row) {
      out.push_back({std::string(row.Text(0)), row.Int(1)});
      return Status::Ok();
    }));
    return out;
  }

  Result<std::vector<FlowSessionCount>> ActiveSessionsByFlow() override {
    std::vector<FlowSessionCount> out;
    PARLEY_RETURN_IF_ERROR(Read(Q::kActiveSessionsByFlow, {}, [&](const Row& row) {
      out.push_back({std::string(row.Text(0)), row.Int(1)});
      return Status::Ok();
    }));
    return out;
  }

  Result<std::vector<ContactRecord>> ListContacts(std::string_view pattern, int64_t before_id,
                                                  int limit) override {
    std::vector<ContactRecord> out;
    const int64_t before = Before(before_id);
    if (pattern.empty()) {
      PARLEY_RETURN_IF_ERROR(
          Read(Q::kListContacts, {before, limit}, DecodeAppend(out, ContactFromRow)));
      return out;
    }
    // SQLite's planner cannot use an index for LIKE '%text%': the FTS5 trigram table of
    // migration 10 finds the text. PostgreSQL's planner picks the pg_trgm indexes itself.
    if (backend_.dialect() == "sqlite") {
      if (const std::optional<std::string> text = IndexableText(pattern)) {
        PARLEY_RETURN_IF_ERROR(Read(Q::kSearchContactsByText,
                                    {FtsPhrase(*text), pattern, before, limit},
                                    DecodeAppend(out, ContactFromRow)));
        return out;
      }
    }
    PARLEY_RETURN_IF_ERROR(
        Read(Q::kSearchContacts, {pattern, before, limit}, DecodeAppend(out, ContactFromRow)));
    return out;
  }

  Result<std::vector<MessageRecord>> ContactMessages(int64_t contact_id, int64_t before_id,
                                                     int limit) override {
    std::vector<MessageRecord> out;
    PARLEY_RETURN_IF_ERROR(Read(Q::kContactMessages, {contact_id, Before(before_id), limit},
                                DecodeAppend(out, MessageFromRow)));
    return out;
  }

  Result<std::vector<SessionRecord>> ContactSessions(int64_t contact_id, int limit) override {
    std::vector<SessionRecord> out;
    PARLEY_RETURN_IF_ERROR(
        Read(Q::kContactSessions, {contact_id, limit}, DecodeAppend(out, SessionFromRow)));
    return out;
  }

  Result<std::vector<TransitionRecord>> ContactTransitions(int64_t contact_id, TimePoint from,
                                                           TimePoint to, int limit) override {
    std::vector<TransitionRecord> out;
    PARLEY_RETURN_IF_ERROR(
        Read(Q::kContactTransitions, {contact_id, from, to, limit}, [&](const Row& row) {
          out.push_back(TransitionFromRow(row));
          return Status::Ok();
        }));
    return out;
  }

  Result<std::vector<StateStats>> FlowStateStats(std::string_view flow_id,
                                                 TimePoint since) override {
    // The first UTC midnight at or after `since`: whole days from there come from the rollup.
    const int64_t since_ms = ToUnixMillis(since);
    const int64_t first_day = FloorDiv(since_ms + kDayMillis - 1, kDayMillis);
    std::vector<StateStats> out;
    PARLEY_RETURN_IF_ERROR(Read(Q::kFlowStateStats,
                                {flow_id, since_ms, first_day * kDayMillis, first_day},
                                [&](const Row& row) {
                                  StateStats s{std::string(row.Text(0))};
                                  s.entered = row.Int(1);
                                  s.left = row.Int(2);
                                  s.ended = row.Int(3);
                                  if (s.entered != 0 || s.left != 0 || s.ended != 0) {
                                    out.push_back(std::move(s));
                                  }
                                  return Status::Ok();
                                }));
    std::sort(out.begin(), out.end(),
              [](const StateStats& a, const StateStats& b) { return a.state < b.state; });
    return out;
  }

  Result<std::vector<FlowRevisionRecord>> FlowRevisions(std::string_view flow_id) override {
    std::vector<FlowRevisionRecord> out;
    PARLEY_RETURN_IF_ERROR(Read(Q::kFlowRevisions, {flow_id}, [&](const Row& row) {
      out.push_back({std::string(row.Text(0)), row.Time(1)});
      return Status::Ok();
    }));
    return out;
  }

  Result<int64_t> PruneTransitions(TimePoint before, int limit) override {
    int64_t removed = 0;
    PARLEY_RETURN_IF_ERROR(InTransaction([&](Conn& c) {
      return c.Exec(Q::kPruneTransitions, {before, limit}, {}, &removed);
    }));
    return removed;
  }

  Result<RollupStep> RollUpTransitions(TimePoint until, Duration max_span) override {
    RollupStep step;
    PARLEY_RETURN_IF_ERROR(InTransaction([&](Conn& c) {
      int64_t from = 0;
      PARLEY_RETURN_IF_ERROR(c.Exec(Q::kRollupWatermark, {}, [&](const Row& row) {
        from = row.Int(0);
        return Status::Ok();
      }));
      const int64_t end = ToUnixMillis(until);
      step.watermark = FromUnixMillis(from);
      if (end <= from) {
        step.caught_up = true;
        return Status::Ok();
      }
      // Time with no transitions is skipped whole: a span counts from the first one.
      std::optional<int64_t> first;
      PARLEY_RETURN_IF_ERROR(c.Exec(Q::kFirstTransitionSince, {from}, [&](const Row& row) {
        first = row.Int(0);
        return Status::Ok();
      }));
      const int64_t span = std::max<int64_t>(1, max_span / std::chrono::milliseconds(1));
      const int64_t to = !first || *first >= end - span ? end : *first + span;
      int64_t moved = 0;
      PARLEY_RETURN_IF_ERROR(c.Exec(Q::kAdvanceRollupWatermark, {from, to}, {}, &moved));
      if (moved == 0) {
        step.raced = true;
        return Status::Ok();
      }
      PARLEY_RETURN_IF_ERROR(c.Exec(Q::kRollUpTransitions, {from, to}));
      step.watermark = FromUnixMillis(to);
      step.advanced = true;
      step.caught_up = to >= end;
      return Status::Ok();
    }));
    return step;
  }

  Result<TimePoint> RollupWatermark() override {
    int64_t at = 0;
    PARLEY_RETURN_IF_ERROR(Read(Q::kRollupWatermark, {}, [&](const Row& row) {
      at = row.Int(0);
      return Status::Ok();
    }));
    return FromUnixMillis(at);
  }

  Result<int64_t> PruneRollup(TimePoint before) override {
    int64_t removed = 0;
    PARLEY_RETURN_IF_ERROR(InTransaction([&](Conn& c) {
      return c.Exec(Q::kPruneRollup, {FloorDiv(ToUnixMillis(before), kDayMillis)}, {}, &removed);
    }));
    return removed;
  }

  Result<std::vector<MessageRecord>> MessageLog(const MessageLogFilter& f) override {
    const Q q = !f.error_code.empty() ? Q::kMessageLogByError
                : !f.status.empty()   ? Q::kMessageLogByStatus
                                      : Q::kMessageLog;
    const int64_t from = f.from ? ToUnixMillis(*f.from) : std::numeric_limits<int64_t>::min();
    const int64_t until = f.until ? ToUnixMillis(*f.until) : std::numeric_limits<int64_t>::max();
    std::vector<MessageRecord> out;
    PARLEY_RETURN_IF_ERROR(
        Read(q, {f.direction, f.status, f.error_code, from, until, f.before_id, f.limit},
             DecodeAppend(out, MessageFromRow)));
    return out;
  }

  Result<std::vector<ContactStanding>> ContactStandings(
      const std::vector<std::string>& addresses) override {
    std::vector<ContactStanding> out;
    // Bounded statements: a few hundred addresses each.
    constexpr size_t kChunk = 500;
    for (size_t i = 0; i < addresses.size(); i += kChunk) {
      json::Array chunk;
      for (size_t j = i; j < std::min(addresses.size(), i + kChunk); ++j) {
        chunk.emplace_back(addresses[j]);
      }
      PARLEY_RETURN_IF_ERROR(
          Read(Q::kContactStandings, {json::Serialize(json::Value(chunk))}, [&](const Row& row) {
            out.push_back({std::string(row.Text(0)), std::string(row.Text(1)), row.Int(2) != 0});
            return Status::Ok();
          }));
    }
    return out;
  }

  Status CreateBroadcast(BroadcastRecord& b, const std::vector<BroadcastRecipient>& recipients,
                         const AuditRecord& audit) override {
    b.total = static_cast<int64_t>(recipients.size());
    return InTransaction([&](Conn& c) {
      PARLEY_RETURN_IF_ERROR(c.Exec(Q::kInsertBroadcast,
                                    {b.flow_id, b.created_by, b.created_at, b.status, b.total},
                                    [&](const Row& row) {
                                      b.id = row.Int(0);
                                      return Status::Ok();
                                    }));
      int64_t failed = 0;
      for (const BroadcastRecipient& r : recipients) {
        if (!r.error.empty()) {
          ++failed;
          PARLEY_RETURN_IF_ERROR(c.Exec(Q::kInsertFailedBroadcastRecipient,
                                        {b.id, r.address, r.name, r.fields_json, r.error}));
          continue;
        }
        PARLEY_RETURN_IF_ERROR(
            c.Exec(Q::kInsertBroadcastRecipient, {b.id, r.address, r.name, r.fields_json}));
      }
      if (failed > 0) {  // also "done" at once when nothing is left to start
        PARLEY_RETURN_IF_ERROR(
            c.Exec(Q::kCountBroadcastResults, {b.id, int64_t{0}, failed, b.created_at}));
      }
      AuditRecord line = audit;
      line.target = "broadcast " + std::to_string(b.id);
      return InsertAudit(c, line);
    });
  }

  Result<std::vector<BroadcastRecord>> Broadcasts(int64_t id, int limit) override {
    std::vector<BroadcastRecord> out;
    PARLEY_RETURN_IF_ERROR(Read(Q::kBroadcasts, {id, limit}, [&](const Row& row) {
      BroadcastRecord b;
      b.id = row.Int(0);
      b.flow_id = row.Text(1);
      b.created_by = row.Text(2);
      b.created_at = row.Time(3);
      b.status = row.Text(4);
      b.total = row.Int(5);
      b.started = row.Int(6);
      b.failed = row.Int(7);
      if (!row.IsNull(8)) {
        b.finished_at = row.Time(8);
      }
      out.push_back(std::move(b));
      return Status::Ok();
    }));
    return out;
  }

  Result<std::vector<BroadcastRecipient>> BroadcastFailures(int64_t broadcast_id, int64_t after_id,
                                                            int limit) override {
    std::vector<BroadcastRecipient> out;
    PARLEY_RETURN_IF_ERROR(
        Read(Q::kBroadcastFailures, {broadcast_id, after_id, limit}, [&](const Row& row) {
          BroadcastRecipient r;
          r.id = row.Int(0);
          r.broadcast_id = row.Int(1);
          r.address = row.Text(2);
          r.name = row.Text(3);
          r.fields_json = row.Text(4);
          r.error = row.Text(5);
          r.contact_id = row.Int(6);
          out.push_back(std::move(r));
          return Status::Ok();
        }));
    return out;
  }

  Result<std::vector<BroadcastRecipient>> ClaimBroadcastRecipients(TimePoint now,
                                                                   TimePoint lease_until,
                                                                   int limit) override {
    std::vector<BroadcastRecipient> out;
    PARLEY_RETURN_IF_ERROR(InTransaction([&](Conn& c) {
      return c.Exec(Q::kClaimBroadcastRecipients, {now, lease_until, limit}, [&](const Row& row) {
        BroadcastRecipient r;
        r.id = row.Int(0);
        r.broadcast_id = row.Int(1);
        r.address = row.Text(2);
        r.name = row.Text(3);
        r.fields_json = row.Text(4);
        r.flow_id = row.Text(5);
        r.created_by = row.Text(6);
        out.push_back(std::move(r));
        return Status::Ok();
      });
    }));
    // RETURNING's order is not the statement's ORDER BY: start them in list order.
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
  }

  Status FinishBroadcastRecipients(const std::vector<BroadcastResult>& results,
                                   TimePoint now) override {
    return InTransaction([&](Conn& c) {
      std::map<int64_t, std::pair<int64_t, int64_t>> counts;  // broadcast: started, failed
      for (const BroadcastResult& r : results) {
        int64_t changed = 0;
        PARLEY_RETURN_IF_ERROR(c.Exec(Q::kFinishBroadcastRecipient,
                                      {r.recipient_id, r.started ? "started" : "failed", r.error},
                                      {}, &changed));
        if (changed > 0) {
          auto& [started, failed] = counts[r.broadcast_id];
          ++(r.started ? started : failed);
        }
      }
      for (const auto& [id, n] : counts) {
        PARLEY_RETURN_IF_ERROR(c.Exec(Q::kCountBroadcastResults, {id, n.first, n.second, now}));
      }
      return Status::Ok();
    });
  }

 private:
  // Runs `body` in a transaction, committed when it succeeds and rolled back otherwise.
  template <typename Body>
  Status InTransaction(Body body) {
    auto conn = backend_.Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    Conn& c = **conn;
    PARLEY_RETURN_IF_ERROR(c.Begin());
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
    auto conn = backend_.Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    return (*conn)->Exec(q, params, on_row);
  }

  Backend& backend_;
};

}  // namespace

std::unique_ptr<AdminStore> MakeAdminStore(Backend& backend) {
  return std::make_unique<AdminStoreImpl>(backend);
}

}  // namespace parley::store::detail
