// The event pipeline: applies events to contacts in batches, one database transaction per
// batch, without handing a lock from thread to thread (docs/architecture.md, "Life of an
// event").
//
// Lanes: each lane is one thread with one queue, applying its events in arrival order. A
// contact always maps to the same lane (a hash of its address), so one contact's events are
// applied one at a time, in the order they were submitted; across instances the contact's
// row lock orders them. SQLite has one writer, so it gets one lane; PostgreSQL several
// (one connection each), contacts partitioned across them.
//
// A lane takes what is queued (up to max_batch events) and applies it as one Batch: lock the
// batch's contacts in address order (two instances' batches cannot deadlock), each event in
// its own savepoint through Service::Apply (one event's failure rolls back only that event),
// one COMMIT — one fsync for the whole batch. Only then is each event's `done` called: an ok
// result means the event is durable. A failed commit fails every event of the batch
// (kUnavailable: the caller answers 503, Twilio retries, the MessageSid dedupe makes the
// retry safe).
//
// Backpressure: each lane has room for queue_capacity / lanes events. Submit never blocks:
// an event that arrives at a full lane waits in line, and if the lane has not reached it
// within enqueue_timeout its `done` gets kUnavailable (the webhook's 503; Twilio retries)
// without it being applied. Past four times the room, Submit refuses at once.
//
// The event budget: every event is answered within event_timeout of Submit, even when the
// database never returns (a watchdog thread answers kUnavailable: the webhook's 503, so
// Twilio retries). The lane skips an event answered so, or rolls back its savepoint if it
// was running; it commits a batch only if some event of it still waits. An event answered
// 503 while its batch was committing can still become durable: a retry is then a duplicate
// MessageSid, applied once. Its lane answers nothing more: `done` is called exactly once.
//
// Thread-safe: Submit and Run from any thread. `done` runs on a lane thread and must not
// block for long (it holds up the lane's next batch).
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "common/metrics.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "conversation/event.hpp"
#include "conversation/service.hpp"
#include "store/store.hpp"

namespace parley::conversation {

struct PipelineOptions {
  int lanes = 1;       // forced to 1 on SQLite (one writer)
  int max_batch = 64;  // events per transaction
  int queue_capacity = 4096;
  Duration enqueue_timeout = std::chrono::seconds(10);
  // The event budget (PARLEY_EVENT_TIMEOUT): from Submit to the answer, queued, applied and
  // committed. Past it `done` gets kUnavailable at once, however long the database takes.
  Duration event_timeout = std::chrono::seconds(10);
  // Batch failures, for the server log (never a body or a full phone number).
  std::function<void(std::string_view)> log;
};

class Pipeline {
 public:
  using Done = std::function<void(Result<Outcome>)>;

  // Registers parley_pipeline_* metrics in `registry`. Nothing runs until Start().
  Pipeline(store::Store& store, const Service& service, const Clock& clock, PipelineOptions options,
           metrics::Registry& registry);
  ~Pipeline();  // Stop()
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Starts the lane threads.
  void Start();
  // Queues `event`; `done` is called exactly once, on a lane thread, after the batch holding
  // the event committed (or failed), or when the event waited for room too long; or on the
  // watchdog thread when the event budget ran out first. Never blocks. kUnavailable, without
  // calling `done`, when the lane is far over its room or the pipeline is stopping or not started.
  Status Submit(Event event, Done done);
  // Submit and wait for the result (the CLI, tests).
  Result<Outcome> Run(Event event);
  // Applies what is queued, then stops the lanes. Idempotent.
  void Stop();

  // Called on a lane thread after each commit that queued outbound messages (wakes the
  // sender). Set before Start.
  void set_on_queued(std::function<void()> f);
  // Called on a lane thread after each commit that set timers, with the earliest due time
  // (wakes the scheduler if that is sooner than it sleeps). Set before Start.
  void set_on_timer_set(std::function<void(TimePoint)> f);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::conversation
