// The timer scheduler: fires due timers as `Timer` events through the conversation Pipeline
// (docs/architecture.md, "Timers"), so a timer takes the same per-contact path as an inbound
// message: the contact locked, in order with its messages, applied in a batch transaction.
//
// Claims: Store::ClaimTimers leases due timers, earliest first, so several schedulers (one
// per instance on one PostgreSQL) never claim one timer at the same time, and a crashed
// instance's claims come back when the lease runs out. Exactly once: applying a Timer event
// takes the timer row in the event's transaction (Transaction::TakeTimer), so a timer claimed
// twice (a lease that ran out while its event waited) fires once and the second event finds
// it gone.
//
// Sleeping: the scheduler asks the store for the earliest unleased timer (NextTimerDue, a read;
// it claims, a write, only when that is due, or when another instance's lease on a due timer
// runs out), fires what is due, and sleeps until the next one, at most `poll_interval` (the
// safety poll). Wake(due) — after a commit in this process that set a timer, or on a notice
// from another instance (timer_notices.hpp) — wakes it early when that timer is due sooner
// than it planned to wake. Time is the injected Clock's; the sleep itself is real time.
//
// Recurring timers and the session expiry are rows like any other: applying a recurring one
// sets its next occurrence in the same transaction (conversation::Service), so the scheduler
// needs nothing of its own for them.
//
// Overdue timers (parley was down) fire on start, oldest first. With a `grace`, a timer due
// longer than `grace` ago is not fired but dropped as missed: logged (a warning naming the
// timer, its session and due time) and counted (parley_timers_total{outcome="missed"}).
//
// Thread-safe: Wake from any thread (the pipeline's lane threads).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "common/metrics.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "conversation/pipeline.hpp"
#include "store/store.hpp"

namespace parley::scheduler {

struct SchedulerOptions {
  int batch = 256;           // timers claimed at a time
  int max_in_flight = 1024;  // submitted to the pipeline and not yet answered
  // Longer than an event's budget (the pipeline answers every event within it), so a claim
  // outlives its event unless the instance dies.
  Duration lease = std::chrono::seconds(30);
  // The safety poll: the longest it sleeps without looking at the database. Timers set in
  // this process wake it (Wake), and on PostgreSQL those of other instances too
  // (timer_notices.hpp), so this only bounds what no notice announced: a notice lost while
  // the notification connection was down, a timer another process wrote without one.
  // PARLEY_TIMER_POLL; the composition root's default is 30 s on PostgreSQL, 1 s on SQLite.
  Duration poll_interval = std::chrono::seconds(1);
  // PARLEY_TIMER_GRACE: a timer overdue by more is missed, not fired. None: always fire.
  std::optional<Duration> grace;
  // Errors and missed timers, for the server log (never a body or a full phone number).
  std::function<void(std::string_view)> log;
};

class Scheduler {
 public:
  // Registers parley_scheduler_* metrics in `registry`. Nothing runs until Start(). The
  // pipeline must be started before timers are due and stopped after Stop().
  Scheduler(store::Store& store, conversation::Pipeline& pipeline, const Clock& clock,
            SchedulerOptions options, metrics::Registry& registry);
  ~Scheduler();  // Stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts the scheduler's thread, which first fires what is overdue.
  void Start();
  // A timer due at `due` was set: wake now if that is sooner than the planned wake-up.
  void Wake(TimePoint due);
  // Stops claiming and waits until the timers submitted are answered. Idempotent.
  void Stop();

  // Claims what is due now and submits it to the pipeline, on the calling thread, until
  // nothing due is left (waiting while max_in_flight events are in flight); returns how many
  // timers it submitted. (Start's thread calls it in a loop; tests call it directly.)
  Result<int> FireDue();
  // Waits until every submitted timer event has been answered (tests).
  void WaitIdle();

  Duration poll_interval() const { return options_.poll_interval; }

 private:
  void Run();
  Status Submit(const store::TimerRecord& timer, TimePoint now);

  store::Store& store_;
  conversation::Pipeline& pipeline_;
  const Clock& clock_;
  SchedulerOptions options_;
  metrics::Counter& claimed_;
  metrics::Counter& failed_;

  std::mutex mu_;
  std::condition_variable wake_cv_;
  std::condition_variable flight_cv_;
  bool woken_ = false;
  bool stopping_ = false;
  // When the sleeping thread plans to wake (clock time); max() while it is awake, so a
  // Wake then makes it look again before sleeping.
  TimePoint wake_at_ = TimePoint::max();
  int in_flight_ = 0;
  std::thread thread_;
};

}  // namespace parley::scheduler
