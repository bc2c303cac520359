// History retention (PARLEY_HISTORY_DAYS, docs/admin.md "History"): `parley serve` removes
// recorded transitions older than the retention (whole UTC days) on a thread of its own, once at
// the start and then every `interval`, never on a request or an event. Each pass deletes in batches
// of `batch` rows, each its own short transaction, with a pause between batches, so a backlog (a
// retention shortened, a server that was down for long) never holds SQLite's write lock or a
// PostgreSQL lock for long; a pass stops after `max_batches` and the next one goes on.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "common/status.hpp"
#include "common/time.hpp"
#include "store/admin_store.hpp"

namespace parley::app {

struct HistoryPrunerOptions {
  int days = 365;  // 0: keep forever (the pruner does nothing)
  Duration interval = std::chrono::hours(1);
  int batch = 1000;
  int max_batches = 1000;                          // per pass: at most a million rows
  Duration pause = std::chrono::milliseconds(20);  // between batches (real time)
};

// Where retention cuts: the UTC midnight at or before now - days. History goes by whole UTC
// days, so the flow page's rollup (per UTC day; app/transition_rollup.hpp) and the
// transitions it counts are removed alike and the page's numbers stay exact for any period.
TimePoint RetentionCut(TimePoint now, int days);

// One pass at `now`: removes transitions older than RetentionCut(now, days), batch by batch,
// then, if it removed them all, the rollup's rows of those days; answers how many
// transitions. An error stops the
// pass (the next pass retries).
Result<int64_t> PruneHistory(store::AdminStore& store, TimePoint now,
                             const HistoryPrunerOptions& options);

class HistoryPruner {
 public:
  // `store` and `clock` must outlive the pruner. Starts its thread unless options.days is 0.
  HistoryPruner(store::AdminStore& store, const Clock& clock, HistoryPrunerOptions options);
  ~HistoryPruner();  // stops and joins

 private:
  void Run();

  store::AdminStore& store_;
  const Clock& clock_;
  HistoryPrunerOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley::app
