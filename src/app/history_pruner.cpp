#include "app/history_pruner.hpp"

#include <string>

#include "common/log.hpp"

namespace parley::app {

Result<int64_t> PruneHistory(store::AdminStore& store, TimePoint now,
                             const HistoryPrunerOptions& options) {
  if (options.days <= 0) {
    return int64_t{0};
  }
  const TimePoint before = RetentionCut(now, options.days);
  int64_t total = 0;
  bool done = false;
  for (int i = 0; i < options.max_batches; ++i) {
    auto removed = store.PruneTransitions(before, options.batch);
    if (!removed.ok()) {
      return removed.status();
    }
    total += *removed;
    if (*removed < options.batch) {
      done = true;
      break;
    }
    if (options.pause > Duration::zero()) {
      std::this_thread::sleep_for(options.pause);  // let events take the write lock
    }
  }
  // The flow page's rollup of those days goes once their transitions have all gone (a pass
  // cut short by max_batches leaves both to the next), so the numbers stay a scan's.
  if (done) {
    auto rollup = store.PruneRollup(before);
    if (!rollup.ok()) {
      return rollup.status();
    }
  }
  return total;
}

TimePoint RetentionCut(TimePoint now, int days) {
  const TimePoint cut = now - std::chrono::days(days);
  return std::chrono::floor<std::chrono::days>(cut);
}

HistoryPruner::HistoryPruner(store::AdminStore& store, const Clock& clock,
                             HistoryPrunerOptions options)
    : store_(store), clock_(clock), options_(options) {
  if (options_.days > 0) {
    thread_ = std::thread([this] { Run(); });
  }
}

HistoryPruner::~HistoryPruner() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void HistoryPruner::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    auto removed = PruneHistory(store_, clock_.Now(), options_);
    if (!removed.ok()) {
      Log(LogLevel::kWarning, "history retention: " + removed.status().ToString());
    } else if (*removed > 0) {
      Log(LogLevel::kInfo, "history retention: removed " + std::to_string(*removed) +
                               " transitions older than " + std::to_string(options_.days) +
                               " days");
    }
    lock.lock();
    wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
  }
}

}  // namespace parley::app
