#include "conversation/pipeline.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace parley::conversation {
namespace {

struct Item {
  Event event;
  Pipeline::Done done;
  // Set when the item arrived at a full lane: not applied if the lane reaches it later.
  std::optional<std::chrono::steady_clock::time_point> deadline;
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
                                            "Time to apply and commit one batch.",
                                            metrics::Histogram::LatencyBuckets())),
        rejected(registry.AddCounter("parley_pipeline_rejected_total",
                                     "Events refused because a lane's queue stayed full.")),
        failed_batches(registry.AddCounter("parley_pipeline_failed_batches_total",
                                           "Batches whose transaction could not commit.")) {
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
  }

  void RunLane(Lane& lane);
  void Expire(Item& item);
  void RunBatch(std::vector<Item>& items);

  store::Store& store;
  const Service& service;
  const Clock& clock;
  PipelineOptions options;
  metrics::Gauge& queue_depth;
  metrics::Histogram& batch_size;
  metrics::Histogram& batch_seconds;
  metrics::Counter& rejected;
  metrics::Counter& failed_batches;
  std::function<void()> on_queued;
  size_t lane_capacity = 1;
  std::vector<std::unique_ptr<Lane>> lanes;

  std::mutex state_mu;  // serializes Start and Stop
  std::atomic<bool> started{false};
  // Set by Stop while it holds every lane's lock, so a lane or a Submit sees it under its
  // own lane lock.
  std::atomic<bool> stopping{false};
};

void Pipeline::Impl::Expire(Item& item) {
  rejected.Inc();
  item.done(Status::Unavailable("the event pipeline is full (waited " +
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
        if (item.deadline && *item.deadline < now) {
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
  const auto started_at = std::chrono::steady_clock::now();
  const TimePoint now = clock.Now();
  batch_size.Observe(static_cast<double>(items.size()));
  // Per event: what it produced, or why it was refused on its own (rolled back alone).
  std::vector<Outcome> outcomes(items.size());
  std::vector<Status> refused(items.size());
  bool queued = false;

  Status batch_status;
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
      if (applied->keep) {
        if (Status s = (*tx)->Commit(); !s.ok()) {
          refused[i] = s;
          continue;
        }
        queued = queued || applied->queued;
      }
      outcomes[i] = std::move(applied->outcome);
    }
    batch_status = (*batch)->Commit();
  }
  if (batch.ok()) {
    batch->reset();  // the connection (SQLite: the write lock) goes back before the answers
  }
  if (!batch_status.ok()) {
    failed_batches.Inc();
    if (options.log) {
      options.log("pipeline: a batch of " + std::to_string(items.size()) +
                  " event(s) failed: " + batch_status.ToString());
    }
  } else if (queued && on_queued) {
    on_queued();
  }
  batch_seconds.ObserveDuration(std::chrono::steady_clock::now() - started_at);
  for (size_t i = 0; i < items.size(); ++i) {
    // An event refused on its own keeps that answer (an unknown flow stays NotFound even
    // when the batch failed too); the others are durable, or failed with their batch.
    if (!refused[i].ok()) {
      items[i].done(std::move(refused[i]));
    } else if (!batch_status.ok()) {
      items[i].done(batch_status);
    } else {
      items[i].done(std::move(outcomes[i]));
    }
  }
}

Pipeline::Pipeline(store::Store& store, const Service& service, const Clock& clock,
                   PipelineOptions options, metrics::Registry& registry)
    : impl_(std::make_unique<Impl>(store, service, clock, std::move(options), registry)) {}

Pipeline::~Pipeline() { Stop(); }

void Pipeline::set_on_queued(std::function<void()> f) { impl_->on_queued = std::move(f); }

void Pipeline::Start() {
  std::lock_guard lock(impl_->state_mu);
  if (impl_->started || impl_->stopping) {
    return;
  }
  impl_->started = true;
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
    Item item{std::move(event), std::move(done), std::nullopt};
    if (waiting >= impl.lane_capacity) {
      item.deadline = std::chrono::steady_clock::now() + impl.options.enqueue_timeout;
    }
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
}

}  // namespace parley::conversation
