#include "store/detail/timed_backend.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <mutex>

namespace parley::store::detail {

namespace {

// One histogram per kind of call; all null when the call latency is not observed.
struct CallHistograms {
  CallHistograms() = default;
  explicit CallHistograms(metrics::HistogramFamily& f)
      : exec(&f.WithLabels("exec")),
        flush(&f.WithLabels("flush")),
        begin(&f.WithLabels("begin")),
        commit(&f.WithLabels("commit")),
        script(&f.WithLabels("script")) {}
  metrics::Histogram* exec = nullptr;
  metrics::Histogram* flush = nullptr;
  metrics::Histogram* begin = nullptr;
  metrics::Histogram* commit = nullptr;
  metrics::Histogram* script = nullptr;
};

// Per query name: how often it ran and the wall time in it. The children are made on a
// query's first use (a family lookup takes a lock) and kept, so a statement costs two relaxed
// increments and no lookup; queries never used show no series.
class QueryCounters {
 public:
  QueryCounters(metrics::CounterFamily* calls, metrics::CounterFamily* nanoseconds)
      : calls_family_(calls), time_family_(nanoseconds) {}

  bool enabled() const { return calls_family_ != nullptr && time_family_ != nullptr; }

  void Observe(Q q, std::chrono::nanoseconds elapsed, bool timed) {
    const auto i = static_cast<std::size_t>(q);
    Slot* slot = slots_[i].load(std::memory_order_acquire);
    if (slot == nullptr) {
      slot = Make(q);
    }
    slot->calls->Inc();
    if (timed) {
      slot->time->Inc(static_cast<uint64_t>(elapsed.count()));
    }
  }

 private:
  struct Slot {
    metrics::Counter* calls;
    metrics::Counter* time;
  };

  Slot* Make(Q q) {
    const auto i = static_cast<std::size_t>(q);
    std::lock_guard lock(mu_);
    if (Slot* slot = slots_[i].load(std::memory_order_acquire)) {
      return slot;
    }
    const std::string_view name = QueryName(q);
    storage_[i] = Slot{&calls_family_->WithLabels(name), &time_family_->WithLabels(name)};
    slots_[i].store(&storage_[i], std::memory_order_release);
    return &storage_[i];
  }

  metrics::CounterFamily* calls_family_;
  metrics::CounterFamily* time_family_;
  std::mutex mu_;
  std::array<Slot, kQueryCount> storage_{};
  std::array<std::atomic<Slot*>, kQueryCount> slots_{};
};

// Observes the time from construction to destruction (a monotonic clock: wall-clock
// adjustments must not show as latency).
class Timing {
 public:
  explicit Timing(metrics::Histogram* h) : h_(h), start_(std::chrono::steady_clock::now()) {}
  ~Timing() {
    if (h_ != nullptr) {
      h_->ObserveDuration(std::chrono::steady_clock::now() - start_);
    }
  }
  Timing(const Timing&) = delete;
  Timing& operator=(const Timing&) = delete;

 private:
  metrics::Histogram* h_;
  std::chrono::steady_clock::time_point start_;
};

// Counts one statement of query `q` and its wall time from construction to destruction.
class QueryTiming {
 public:
  QueryTiming(QueryCounters& counters, Q q, bool timed)
      : counters_(counters.enabled() ? &counters : nullptr), q_(q), timed_(timed) {
    if (counters_ != nullptr && timed_) {
      start_ = std::chrono::steady_clock::now();
    }
  }
  ~QueryTiming() {
    if (counters_ != nullptr) {
      counters_->Observe(
          q_, timed_ ? std::chrono::steady_clock::now() - start_ : std::chrono::nanoseconds(0),
          timed_);
    }
  }
  QueryTiming(const QueryTiming&) = delete;
  QueryTiming& operator=(const QueryTiming&) = delete;

 private:
  QueryCounters* counters_;
  Q q_;
  bool timed_;
  std::chrono::steady_clock::time_point start_;
};

class TimedConn final : public Conn {
 public:
  TimedConn(ConnPtr inner, const CallHistograms& h, QueryCounters& queries)
      : inner_(std::move(inner)), h_(h), queries_(queries) {}

  Status Exec(Q q, std::initializer_list<Param> params, RowFn on_row, int64_t* changed) override {
    Timing t(h_.exec);
    QueryTiming qt(queries_, q, true);
    return inner_->Exec(q, params, on_row, changed);
  }
  Status Send(Q q, std::initializer_list<Param> params, Status no_rows, RowFn on_row) override {
    // A pipelined Send only queues: its time is in the Flush, Exec or Commit it goes out with.
    const bool pipelined = inner_->pipelined();
    Timing t(pipelined ? nullptr : h_.exec);
    QueryTiming qt(queries_, q, !pipelined);
    return inner_->Send(q, params, std::move(no_rows), on_row);
  }
  Status Flush() override {
    Timing t(h_.flush);
    return inner_->Flush();
  }
  bool pipelined() const override { return inner_->pipelined(); }
  Status ExecScript(std::string_view sql) override {
    Timing t(h_.script);
    return inner_->ExecScript(sql);
  }
  Status Begin(Durability durability) override {
    Timing t(h_.begin);
    return inner_->Begin(durability);
  }
  Status Commit() override {
    Timing t(h_.commit);
    return inner_->Commit();
  }
  Status CommitVisible(std::function<void(Status)> on_durable) override {
    Timing t(h_.commit);
    return inner_->CommitVisible(std::move(on_durable));
  }
  void Rollback() override { inner_->Rollback(); }

 private:
  ConnPtr inner_;  // given back to the inner backend with this wrapper
  const CallHistograms& h_;
  QueryCounters& queries_;
};

class TimedBackend final : public Backend {
 public:
  TimedBackend(std::unique_ptr<Backend> inner, const ConnectOptions& options)
      : inner_(std::move(inner)),
        h_(options.call_latency != nullptr ? CallHistograms(*options.call_latency)
                                           : CallHistograms()),
        queries_(options.query_calls, options.query_nanoseconds) {}

  std::string_view dialect() const override { return inner_->dialect(); }
  Result<ConnPtr> Acquire() override {
    auto conn = inner_->Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    return ConnPtr(new TimedConn(std::move(*conn), h_, queries_), ConnReleaser{this});
  }
  std::span<const Migration> migrations() const override { return inner_->migrations(); }
  std::string_view migration_lock_sql() const override { return inner_->migration_lock_sql(); }
  Status AwaitDurable() override { return inner_->AwaitDurable(); }

 protected:
  void Release(Conn* conn) override { delete static_cast<TimedConn*>(conn); }

 private:
  std::unique_ptr<Backend> inner_;
  CallHistograms h_;
  QueryCounters queries_;
};

}  // namespace

std::unique_ptr<Backend> WithCallMetrics(std::unique_ptr<Backend> backend,
                                         const ConnectOptions& options) {
  if (options.call_latency == nullptr &&
      (options.query_calls == nullptr || options.query_nanoseconds == nullptr)) {
    return backend;
  }
  return std::make_unique<TimedBackend>(std::move(backend), options);
}

}  // namespace parley::store::detail
