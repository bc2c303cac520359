#include "store/detail/timed_backend.hpp"

#include <chrono>

namespace parley::store::detail {

namespace {

struct CallHistograms {
  explicit CallHistograms(metrics::HistogramFamily& f)
      : exec(f.WithLabels("exec")),
        flush(f.WithLabels("flush")),
        begin(f.WithLabels("begin")),
        commit(f.WithLabels("commit")),
        script(f.WithLabels("script")) {}
  metrics::Histogram& exec;
  metrics::Histogram& flush;
  metrics::Histogram& begin;
  metrics::Histogram& commit;
  metrics::Histogram& script;
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

class TimedConn final : public Conn {
 public:
  TimedConn(ConnPtr inner, const CallHistograms& h) : inner_(std::move(inner)), h_(h) {}

  Status Exec(Q q, std::initializer_list<Param> params, RowFn on_row, int64_t* changed) override {
    Timing t(&h_.exec);
    return inner_->Exec(q, params, on_row, changed);
  }
  Status Send(Q q, std::initializer_list<Param> params, Status no_rows, RowFn on_row) override {
    // A pipelined Send only queues: its time is in the Flush, Exec or Commit it goes out with.
    Timing t(inner_->pipelined() ? nullptr : &h_.exec);
    return inner_->Send(q, params, std::move(no_rows), on_row);
  }
  Status Flush() override {
    Timing t(&h_.flush);
    return inner_->Flush();
  }
  bool pipelined() const override { return inner_->pipelined(); }
  Status ExecScript(std::string_view sql) override {
    Timing t(&h_.script);
    return inner_->ExecScript(sql);
  }
  Status Begin(Durability durability) override {
    Timing t(&h_.begin);
    return inner_->Begin(durability);
  }
  Status Commit() override {
    Timing t(&h_.commit);
    return inner_->Commit();
  }
  void Rollback() override { inner_->Rollback(); }

 private:
  ConnPtr inner_;  // given back to the inner backend with this wrapper
  const CallHistograms& h_;
};

class TimedBackend final : public Backend {
 public:
  TimedBackend(std::unique_ptr<Backend> inner, metrics::HistogramFamily& latency)
      : inner_(std::move(inner)), h_(latency) {}

  std::string_view dialect() const override { return inner_->dialect(); }
  Result<ConnPtr> Acquire() override {
    auto conn = inner_->Acquire();
    if (!conn.ok()) {
      return conn.status();
    }
    return ConnPtr(new TimedConn(std::move(*conn), h_), ConnReleaser{this});
  }
  std::span<const Migration> migrations() const override { return inner_->migrations(); }
  std::string_view migration_lock_sql() const override { return inner_->migration_lock_sql(); }

 protected:
  void Release(Conn* conn) override { delete static_cast<TimedConn*>(conn); }

 private:
  std::unique_ptr<Backend> inner_;
  CallHistograms h_;
};

}  // namespace

std::unique_ptr<Backend> WithCallLatency(std::unique_ptr<Backend> backend,
                                         metrics::HistogramFamily* latency) {
  if (latency == nullptr) {
    return backend;
  }
  return std::make_unique<TimedBackend>(std::move(backend), *latency);
}

}  // namespace parley::store::detail
