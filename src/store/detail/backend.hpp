// The seam between the Store logic and a database: a Backend hands out connections, a Conn
// runs the named queries of queries.hpp. The logic (generic_store.cpp) is written once;
// sqlite/ and postgres/ implement only this file.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "common/status.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "store/detail/queries.hpp"
#include "store/store.hpp"

namespace parley::store::detail {

// A query parameter: NULL, an integer or a text. Text is borrowed: it must outlive Exec.
struct Param {
  enum class Kind : uint8_t { kNull, kInt, kText };
  Kind kind = Kind::kNull;
  int64_t i = 0;
  std::string_view s;

  Param(std::nullptr_t) {}                                      // NOLINT
  Param(int64_t v) : kind(Kind::kInt), i(v) {}                  // NOLINT
  Param(int v) : kind(Kind::kInt), i(v) {}                      // NOLINT
  Param(std::string_view v) : kind(Kind::kText), s(v) {}        // NOLINT
  Param(const std::string& v) : kind(Kind::kText), s(v) {}      // NOLINT
  Param(const char* v) : kind(Kind::kText), s(v) {}             // NOLINT
  Param(TimePoint t) : kind(Kind::kInt), i(ToUnixMillis(t)) {}  // NOLINT
  // Statuses are stored by name (static strings).
  Param(ContactStatus v) : kind(Kind::kText), s(ContactStatusName(v)) {}  // NOLINT
  Param(MessageStatus v) : kind(Kind::kText), s(MessageStatusName(v)) {}  // NOLINT
  Param(const std::optional<TimePoint>& t) {                              // NOLINT
    if (t) {
      kind = Kind::kInt;
      i = ToUnixMillis(*t);
    }
  }
  Param(const std::optional<int64_t>& v) {  // NOLINT
    if (v) {
      kind = Kind::kInt;
      i = *v;
    }
  }
};

// What a backend binds for a text parameter: the text itself when it is storable (one scan,
// no copy: the common case), else ToStorableText of it in `scratch` (common/utf8.hpp:
// ill-formed UTF-8 and U+0000 become U+FFFD). Both dialects bind through this, so they keep
// the same text: PostgreSQL's text type refuses both (an event would fail on every retry),
// SQLite would keep them. The webhook normalizes at the edge already; this covers every
// other writer (flow replies, flow files, the CLI).
inline std::string_view StorableParam(std::string_view text, std::string& scratch) {
  if (IsStorableText(text)) {
    return text;
  }
  scratch = ToStorableText(text);
  return scratch;
}

// One result row; valid only inside the RowFn call that receives it.
class Row {
 public:
  virtual bool IsNull(int col) const = 0;
  virtual int64_t Int(int col) const = 0;
  virtual std::string_view Text(int col) const = 0;

  TimePoint Time(int col) const { return FromUnixMillis(Int(col)); }
  std::optional<TimePoint> OptTime(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<TimePoint>(Time(col));
  }

 protected:
  ~Row() = default;
};

// A non-owning callable `Status(const Row&)`; cheaper than std::function on the hot path.
class RowFn {
 public:
  RowFn() = default;
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, RowFn>)
      RowFn(F&& f)  // NOLINT(google-explicit-constructor)
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* obj, const Row& row) -> Status {
          return (*static_cast<std::remove_reference_t<F>*>(obj))(row);
        }) {}

  explicit operator bool() const { return call_ != nullptr; }
  Status operator()(const Row& row) const { return call_(obj_, row); }

 private:
  void* obj_ = nullptr;
  Status (*call_)(void*, const Row&) = nullptr;
};

// One database connection. Used by one thread at a time (whoever holds the lease).
class Conn {
 public:
  virtual ~Conn() = default;
  // Runs query `q`, calling `on_row` for each result row (if given) and storing the number
  // of rows changed in `*changed` (if given). An error from `on_row` stops and is returned.
  virtual Status Exec(Q q, std::initializer_list<Param> params, RowFn on_row = {},
                      int64_t* changed = nullptr) = 0;
  // Sends query `q` without waiting for its result: PostgreSQL queues it in the
  // connection's pipeline, to go out with the next Exec, Flush or Commit in one round trip;
  // SQLite runs it now. Its failure — or, when `no_rows` is not ok, its changing no row,
  // reported as `no_rows` — is returned by that next call (which then fails as a whole).
  // Parameters are copied: they need not outlive the call. `on_row`, if given, is called
  // for the result rows when the result arrives (SQLite: now), so what it refers to must
  // live until that next call returns.
  virtual Status Send(Q q, std::initializer_list<Param> params, Status no_rows = {},
                      RowFn on_row = {}) = 0;
  // Waits for every sent query; the first failure.
  virtual Status Flush() = 0;
  // Whether Send really defers (PostgreSQL's pipeline) rather than running at once.
  virtual bool pipelined() const = 0;
  // Runs a script of several statements without parameters (migrations).
  virtual Status ExecScript(std::string_view sql) = 0;
  // How a transaction's commit must reach the disk.
  enum class Durability {
    kFull,     // survives a power loss when Commit returns
    kRelaxed,  // survives a process crash; a power loss may undo it until a later kFull
               // commit (SQLite: synchronous=NORMAL for it; PostgreSQL: synchronous_commit off)
  };
  // Opens a write transaction (SQLite: BEGIN IMMEDIATE, so the write lock is taken now).
  virtual Status Begin(Durability durability = Durability::kFull) = 0;
  virtual Status Commit() = 0;
  // Commits like Commit, but may return once the writes are visible and before they are
  // durable (SQLite: the WAL's fsync runs on the syncer's thread, store/sqlite/wal_syncer.hpp).
  // When the commit succeeds, `on_durable` runs exactly once — before this returns or later,
  // on another thread — with Ok once the writes survive a power loss (as Begin's durability
  // asked), or the error that kept them from it. When the commit fails it never runs.
  virtual Status CommitVisible(std::function<void(Status)> on_durable) {
    Status s = Commit();
    if (s.ok()) {
      on_durable(Status::Ok());
    }
    return s;
  }
  // Rolls back an open transaction, if any. Best effort: a connection that cannot roll
  // back is discarded by its backend on release.
  virtual void Rollback() = 0;
};

class Backend;
struct ConnReleaser {
  Backend* backend = nullptr;
  void operator()(Conn* conn) const;
};
// A leased connection; going out of scope gives it back to the backend.
using ConnPtr = std::unique_ptr<Conn, ConnReleaser>;

// A schema version: a script run in one transaction with the version's row.
struct Migration {
  int version;
  std::string_view sql;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view dialect() const = 0;
  // Waits up to ConnectOptions::busy_timeout for a connection (SQLite: the write lock),
  // then kUnavailable.
  virtual Result<ConnPtr> Acquire() = 0;
  // Ascending versions from 1; numbers may be skipped (each schema change under way reserves
  // one), never reordered.
  virtual std::span<const Migration> migrations() const = 0;
  // Run inside each migration transaction before the version is read: serializes
  // migrators across processes (PostgreSQL: an advisory lock). Empty when BEGIN suffices.
  virtual std::string_view migration_lock_sql() const = 0;
  // Returns once every transaction committed before the call is durable (SQLite: its WAL
  // synced), or the error that keeps them from it. Backends whose Commit is durable on
  // return have nothing to wait for.
  virtual Status AwaitDurable() { return Status::Ok(); }

 protected:
  friend struct ConnReleaser;
  virtual void Release(Conn* conn) = 0;
};

inline void ConnReleaser::operator()(Conn* conn) const { backend->Release(conn); }

// The Store over a backend.
std::unique_ptr<Store> MakeStore(std::unique_ptr<Backend> backend);
// The admin's queries over a backend (admin_store.cpp); `backend` must outlive it.
std::unique_ptr<AdminStore> MakeAdminStore(Backend& backend);

}  // namespace parley::store::detail
