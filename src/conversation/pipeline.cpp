#include "conversation/pipeline.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace parley::conversation {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// An event's one answer, given by whoever comes first: its lane (the result) or the budget
// watchdog (kUnavailable at the event's deadline). `done` is called once and released by
// the caller that won, so a late lane cannot answer again.
class Answer {
 public:
  explicit Answer(Pipeline::Done done) : done_(std::move(done)) {}
  // Calls `done` with `r` unless the event was already answered; true if this call did.
  bool Give(Result<Outcome> r) {
    if (given_.exchange(true)) {
      return false;
    }
    Pipeline::Done done = std::move(done_);  // what it holds (a connection) goes with it
    done(std::move(r));
    return true;
  }
  bool given() const { return given_.load(); }

 private:
  std::atomic<bool> given_{false};
  Pipeline::Done done_;
};

struct Item {
  Event event;
  std::shared_ptr<Answer> answer;
  // The event budget: the watchdog answers 503 here if the lane has not answered.
  SteadyTime budget_deadline;
  // Set when the item arrived at a full lane: not applied if the lane reaches it later.
  std::optional<SteadyTime> deadline;
};

// A lane takes this many times its capacity in waiting items before refusing at once.
constexpr size_t kOverflowFactor = 4;

// FNV-1a: a stable spread of addresses over lanes (std::hash may differ between builds,
// which would not matter, but a fixed function keeps lane assignment reproducible in tests).
uint64_t HashAddress(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

std::vector<double> BatchSizeBuckets() { return {1, 2, 4, 8, 16, 32, 64, 128, 256}; }

}  // namespace

struct Pipeline::Impl {
  struct Lane {
    std::mutex mu;
    std::condition_variable has_work;
    std::deque<Item> queue;
    std::thread thread;
  };

  Impl(store::Store& store, const Service& service, const Clock& clock, PipelineOptions options,
       metrics::Registry& registry)
      : store(store),
        service(service),
        clock(clock),
        options(std::move(options)),
        queue_depth(registry.AddGauge("parley_pipeline_queue_depth",
                                      "Events waiting for a pipeline lane.")),
        batch_size(registry.AddHistogram("parley_pipeline_batch_size",
                                         "Events applied per database transaction.",
                                         BatchSizeBuckets())),
        batch_seconds(registry.AddHistogram("parley_pipeline_batch_duration_seconds",
                                            "Time to apply and commit one batch (until its "
                                            "commit is visible; the fsync may follow).",
                                            metrics::Histogram::LatencyBuckets())),
        rejected(registry.AddCounter("parley_pipeline_rejected_total",
                                     "Events refused because a lane's queue stayed full.")),
        failed_batches(registry.AddCounter("parley_pipeline_failed_batches_total",
                                           "Batches whose transaction could not commit.")),
        timed_out(registry.AddCounter(
            "parley_pipeline_timed_out_total",
            "Events answered 503 because they did not finish within the event budget.")) {
    if (store.dialect() == "sqlite") {
      this->options.lanes = 1;
    }
    this->options.lanes = std::max(1, this->options.lanes);
    this->options.max_batch = std::max(1, this->options.max_batch);
    lane_capacity =
        std::max<size_t>(1, static_cast<size_t>(std::max(1, this->options.queue_capacity)) /
                                static_cast<size_t>(this->options.lanes));
    for (int i = 0; i < this->options.lanes; ++i) {
      lanes.push_back(std::make_unique<Lane>());
    }
    // A quarter of the budget keeps the 503 on time; 100 ms keeps the watchdog's queue short.
    sweep = std::clamp<std::chrono::nanoseconds>(this->options.event_timeout / 4,
                                                 std::chrono::milliseconds(1),
                                                 std::chrono::milliseconds(100));
  }

  // A batch whose commit is visible and which waits to be durable: its events are answered
  // then (on the store's syncer thread, or at once on a store whose commit is durable).
  struct Finished {
    std::vector<Item> items;
    std::vector<Outcome> outcomes;  // per event: what it produced
    std::vector<Status> refused;    // per event: why it was refused on its own
    bool queued = false;
    std::optional<TimePoint> timer_set;  // the earliest timer the batch set
    SteadyTime started_at;
    std::atomic<bool> timed{false};  // batch_seconds observed (by the lane or the answer)
  };

  void RunLane(Lane& lane);
  void Expire(Item& item);
  void RunBatch(std::vector<Item>& items);
  void Finish(Finished& batch, const Status& batch_status);
  // The batch's duration, observed once: when its commit is visible, or when it is answered
  // if that comes first (a store whose commit is durable answers inside the commit).
  void ObserveDuration(Finished& batch) {
    if (!batch.timed.exchange(true)) {
      batch_seconds.ObserveDuration(std::chrono::steady_clock::now() - batch.started_at);
    }
  }
  void RunWatchdog();
  void Watch(const Item& item);

  store::Store& store;
  const Service& service;
  const Clock& clock;
  PipelineOptions options;
  metrics::Gauge& queue_depth;
  metrics::Histogram& batch_size;
  metrics::Histogram& batch_seconds;
  metrics::Counter& rejected;
  metrics::Counter& failed_batches;
  metrics::Counter& timed_out;
  std::function<void()> on_queued;
  std::function<void(TimePoint)> on_timer_set;
  size_t lane_capacity = 1;
  // Batches committed and not yet answered: Stop waits for them, since their answers use
  // this object.
  std::mutex finishing_mu;
  std::condition_variable finishing_cv;
  int finishing = 0;
  std::vector<std::unique_ptr<Lane>> lanes;

  std::mutex state_mu;  // serializes Start and Stop
  std::atomic<bool> started{false};
  // Set by Stop while it holds every lane's lock, so a lane or a Submit sees it under its
  // own lane lock.
  std::atomic<bool> stopping{false};

  // The budget watchdog: every submitted event's deadline, in submission order. Every event
  // gets the same budget, so the order is the deadlines' order (to within the microseconds
  // between computing a deadline and taking watch_mu). Entries the lanes answered are swept
  // from the front at most every `sweep`: the watchdog sleeps on a timer, not on a wake-up
  // per event (which cost a futex round trip and a context switch for every event, and kept
  // every answered event's entry for the whole budget).
  struct Deadline {
    SteadyTime at;
    std::shared_ptr<Answer> answer;
  };
  std::mutex watch_mu;
  std::condition_variable watch_cv;
  std::deque<Deadline> deadlines;
  std::chrono::nanoseconds sweep{};
  bool watch_stop = false;
  std::thread watchdog;
};

void Pipeline::Impl::Watch(const Item& item) {
  std::lock_guard lock(watch_mu);
  deadlines.push_back({item.budget_deadline, item.answer});
}

void Pipeline::Impl::RunWatchdog() {
  std::unique_lock lock(watch_mu);
  while (!watch_stop) {
    while (!deadlines.empty() && deadlines.front().answer->given()) {
      deadlines.pop_front();  // its lane answered first
    }
    const SteadyTime now = std::chrono::steady_clock::now();
    if (deadlines.empty() || now < deadlines.front().at) {
      // An event submitted meanwhile is seen within `sweep`, well before its deadline.
      SteadyTime until = now + sweep;
      if (!deadlines.empty()) {
        until = std::min(until, deadlines.front().at);
      }
      watch_cv.wait_until(lock, until);
      continue;
    }
    std::shared_ptr<Answer> answer = std::move(deadlines.front().answer);
    deadlines.pop_front();
    lock.unlock();
    if (answer->Give(Status::Unavailable(
            "the event did not finish within its budget of " +
            std::to_string(
                std::chrono::duration_cast<std::chrono::milliseconds>(options.event_timeout)
                    .count()) +
            " ms (the database is slow or unreachable); it was not applied, or a retry is "
            "recognized as a duplicate"))) {
      timed_out.Inc();
    }
    lock.lock();
  }
}

void Pipeline::Impl::Expire(Item& item) {
  if (item.answer->given()) {
    return;  // the budget ran out first and the watchdog answered
  }
  rejected.Inc();
  item.answer->Give(Status::Unavailable("the event pipeline is full (waited " +
                                        std::to_string(options.enqueue_timeout.count()) + " ms)"));
}

void Pipeline::Impl::RunLane(Lane& lane) {
  std::vector<Item> items;
  std::vector<Item> expired;
  while (true) {
    items.clear();
    {
      std::unique_lock lock(lane.mu);
      lane.has_work.wait(lock, [&] { return !lane.queue.empty() || stopping; });
      if (lane.queue.empty()) {
        return;  // stopping, and nothing left
      }
      const auto now = std::chrono::steady_clock::now();
      while (!lane.queue.empty() && items.size() < static_cast<size_t>(options.max_batch)) {
        Item item = std::move(lane.queue.front());
        lane.queue.pop_front();
        queue_depth.Add(-1);
        if (item.answer->given() || (item.deadline && *item.deadline < now)) {
          expired.push_back(std::move(item));
        } else {
          items.push_back(std::move(item));
        }
      }
    }
    for (Item& item : expired) {
      Expire(item);
    }
    expired.clear();
    if (!items.empty()) {
      RunBatch(items);
    }
  }
}

void Pipeline::Impl::RunBatch(std::vector<Item>& items) {
  const TimePoint now = clock.Now();
  batch_size.Observe(static_cast<double>(items.size()));
  auto finished = std::make_shared<Finished>();
  finished->started_at = std::chrono::steady_clock::now();
  finished->outcomes.resize(items.size());
  finished->refused.resize(items.size());
  std::vector<Outcome>& outcomes = finished->outcomes;
  std::vector<Status>& refused = finished->refused;

  Status batch_status;
  bool committing = false;  // the commit is visible: Finish runs when it is durable
  auto batch = store.BeginBatch();
  if (!batch.ok()) {
    batch_status = batch.status();
  } else {
    std::vector<store::ContactRecord> inits;
    inits.reserve(items.size());
    for (const Item& item : items) {
      inits.push_back(NewContactRecord(item.event.contact, now));
    }
    batch_status = (*batch)->LockContacts(inits);
  }
  if (batch_status.ok()) {
    for (size_t i = 0; i < items.size(); ++i) {
      // Past its budget the event was answered 503: it is not applied.
      if (items[i].answer->given()) {
        continue;
      }
      auto tx = (*batch)->BeginEvent();
      if (!tx.ok()) {
        refused[i] = tx.status();
        continue;
      }
      auto applied = service.Apply(**tx, items[i].event, now);
      if (!applied.ok()) {
        refused[i] = applied.status();
        continue;  // tx goes out of scope: the event's savepoint is rolled back
      }
      if (items[i].answer->given()) {
        continue;  // answered 503 while it ran: its savepoint is rolled back
      }
      if (applied->keep) {
        if (Status s = (*tx)->Commit(); !s.ok()) {
          refused[i] = s;
          continue;
        }
        finished->queued = finished->queued || applied->queued;
        if (applied->timer_set) {
          finished->timer_set =
              std::min(finished->timer_set.value_or(*applied->timer_set), *applied->timer_set);
        }
      }
      outcomes[i] = std::move(applied->outcome);
    }
    finished->items = std::move(items);
    // When every event of the batch has been answered 503 (the budget ran out while the
    // batch ran), nobody waits for its writes: roll them back. Otherwise the commit goes on,
    // and an event answered 503 during it may be durable after all; Twilio's retry of it is
    // then a duplicate MessageSid (docs/architecture.md, "Event budget").
    const bool anyone_waits = std::any_of(finished->items.begin(), finished->items.end(),
                                          [](const Item& item) { return !item.answer->given(); });
    if (anyone_waits) {
      {
        std::lock_guard lock(finishing_mu);
        ++finishing;
      }
      // The connection (SQLite: the write lock) goes back as soon as the commit is visible:
      // the next batch runs while this one's fsync does (docs/architecture.md, "Durability
      // on SQLite"). Its events are answered once it is durable.
      batch_status = (*batch)->CommitVisible([this, finished](Status durable) {
        ObserveDuration(*finished);
        Finish(*finished, durable);
        std::lock_guard lock(finishing_mu);
        --finishing;
        finishing_cv.notify_all();
      });
      committing = batch_status.ok();
      if (!committing) {
        std::lock_guard lock(finishing_mu);
        --finishing;
        finishing_cv.notify_all();
      }
    }
  } else {
    finished->items = std::move(items);
  }
  if (batch.ok()) {
    batch->reset();  // uncommitted: rolled back.
  }
  ObserveDuration(*finished);
  if (!committing) {
    Finish(*finished, batch_status);
  }
}

void Pipeline::Impl::Finish(Finished& batch, const Status& batch_status) {
  if (!batch_status.ok()) {
    failed_batches.Inc();
    if (options.log) {
      options.log("pipeline: a batch of " + std::to_string(batch.items.size()) +
                  " event(s) failed: " + batch_status.ToString());
    }
  } else {
    if (batch.queued && on_queued) {
      on_queued();
    }
    if (batch.timer_set && on_timer_set) {
      on_timer_set(*batch.timer_set);
    }
  }
  for (size_t i = 0; i < batch.items.size(); ++i) {
    // An event refused on its own keeps that answer (an unknown flow stays NotFound even
    // when the batch failed too); the others are durable, or failed with their batch.
    if (!batch.refused[i].ok()) {
      batch.items[i].answer->Give(std::move(batch.refused[i]));
    } else if (!batch_status.ok()) {
      batch.items[i].answer->Give(batch_status);
    } else {
      batch.items[i].answer->Give(std::move(batch.outcomes[i]));
    }
  }
}

Pipeline::Pipeline(store::Store& store, const Service& service, const Clock& clock,
                   PipelineOptions options, metrics::Registry& registry)
    : impl_(std::make_unique<Impl>(store, service, clock, std::move(options), registry)) {}

Pipeline::~Pipeline() { Stop(); }

void Pipeline::set_on_queued(std::function<void()> f) { impl_->on_queued = std::move(f); }
void Pipeline::set_on_timer_set(std::function<void(TimePoint)> f) {
  impl_->on_timer_set = std::move(f);
}

void Pipeline::Start() {
  std::lock_guard lock(impl_->state_mu);
  if (impl_->started || impl_->stopping) {
    return;
  }
  impl_->started = true;
  impl_->watchdog = std::thread([impl = impl_.get()] { impl->RunWatchdog(); });
  for (auto& lane : impl_->lanes) {
    lane->thread = std::thread([impl = impl_.get(), l = lane.get()] { impl->RunLane(*l); });
  }
}

Status Pipeline::Submit(Event event, Done done) {
  Impl& impl = *impl_;
  Impl::Lane& lane =
      *impl.lanes[HashAddress(event.contact.key) % static_cast<uint64_t>(impl.lanes.size())];
  {
    std::lock_guard lock(lane.mu);
    if (impl.stopping || !impl.started) {
      return Status::Unavailable("the event pipeline is not running");
    }
    const size_t waiting = lane.queue.size();
    if (waiting >= kOverflowFactor * impl.lane_capacity) {
      impl.rejected.Inc();
      return Status::Unavailable("the event pipeline is full (" + std::to_string(waiting) +
                                 " events waiting)");
    }
    const SteadyTime now = std::chrono::steady_clock::now();
    Item item{std::move(event), std::make_shared<Answer>(std::move(done)),
              now + impl.options.event_timeout, std::nullopt};
    if (waiting >= impl.lane_capacity) {
      item.deadline = now + impl.options.enqueue_timeout;
    }
    impl.Watch(item);
    lane.queue.push_back(std::move(item));
  }
  impl.queue_depth.Add(1);
  lane.has_work.notify_one();
  return Status::Ok();
}

Result<Outcome> Pipeline::Run(Event event) {
  auto promise = std::make_shared<std::promise<Result<Outcome>>>();
  auto future = promise->get_future();
  PARLEY_RETURN_IF_ERROR(
      Submit(std::move(event), [promise](Result<Outcome> r) { promise->set_value(std::move(r)); }));
  return future.get();
}

void Pipeline::Stop() {
  Impl& impl = *impl_;
  {
    std::lock_guard lock(impl.state_mu);
    if (impl.stopping) {
      return;
    }
    // Every lane's lock is taken so that no Submit is between its check and its push.
    for (auto& lane : impl.lanes) {
      lane->mu.lock();
    }
    impl.stopping = true;
    for (auto& lane : impl.lanes) {
      lane->mu.unlock();
    }
  }
  for (auto& lane : impl.lanes) {
    lane->has_work.notify_all();
  }
  for (auto& lane : impl.lanes) {
    if (lane->thread.joinable()) {
      lane->thread.join();
    }
  }
  {
    std::unique_lock lock(impl.finishing_mu);
    impl.finishing_cv.wait(lock, [&] { return impl.finishing == 0; });
  }
  // The watchdog last: events still running while the lanes finish keep their budget.
  {
    std::lock_guard lock(impl.watch_mu);
    impl.watch_stop = true;
  }
  impl.watch_cv.notify_all();
  if (impl.watchdog.joinable()) {
    impl.watchdog.join();
  }
}

}  // namespace parley::conversation
