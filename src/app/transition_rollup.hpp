// The flow page's rollup (schema v11; docs/admin.md, "The numbers of a flow"): `parley serve`
// adds the recorded transitions to per flow, state and UTC day counts on a thread of its own,
// beside the history pruner, so that the page sums a few rows per state and day instead of
// scanning the period's transitions. Nothing is added on the event path: an event writes its
// transition row only, and no counter row is hot.
//
// A pass rolls up to `now - lag`, in steps of at most `span` of recorded time, each its own
// short transaction (AdminStore::RollUpTransitions), with a pause between steps, so a backlog
// (the first pass after a long stop) never holds SQLite's write lock for long; a pass stops
// after `max_steps` and the next one goes on. Instances sharing a PostgreSQL database may all
// run it: the watermark moves by compare and set, so no transition is counted twice.
//
// The page's numbers do not depend on the job for being right, only for being fast:
// FlowStateStats reads the transitions since the watermark itself.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "common/status.hpp"
#include "common/time.hpp"
#include "store/admin_store.hpp"

namespace parley::app {

struct TransitionRollupOptions {
  Duration interval = std::chrono::minutes(1);
  // How far behind now the rollup stays. A transition carries its event's time (`at`) but
  // becomes visible only when its event's transaction commits, at most the event budget
  // later (PARLEY_EVENT_TIMEOUT, 10 s by default; a batch commits within it); on PostgreSQL
  // the instances' clocks may also differ by a little. A transition that appeared behind the
  // watermark would never be counted, so the lag is far above both: two minutes.
  Duration lag = std::chrono::minutes(2);
  Duration span = std::chrono::minutes(15);        // of recorded time per step (transaction)
  int max_steps = 2000;                            // per pass: 500 hours of a busy backlog
  Duration pause = std::chrono::milliseconds(20);  // between steps (real time)
};

struct RollupPass {
  int steps = 0;       // steps (transactions) that moved the watermark
  bool raced = false;  // another instance moved the watermark first (it goes on)
  TimePoint watermark{};
};

// One pass at `now`: rolls up to now - lag, step by step, until caught up, raced, `stop` set
// or max_steps. An error stops the pass (the next pass retries from the watermark: a failed
// step added nothing).
Result<RollupPass> RollUpTransitions(store::AdminStore& store, TimePoint now,
                                     const TransitionRollupOptions& options,
                                     const std::atomic<bool>* stop = nullptr);

class TransitionRollup {
 public:
  // `store` and `clock` must outlive the job. Starts its thread: a pass now, then every
  // `interval`.
  TransitionRollup(store::AdminStore& store, const Clock& clock,
                   TransitionRollupOptions options = {});
  ~TransitionRollup();  // stops and joins

 private:
  void Run();

  store::AdminStore& store_;
  const Clock& clock_;
  TransitionRollupOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> stop_{false};  // stopping_, read by a pass between its steps
  std::thread thread_;
};

}  // namespace parley::app
