#include "admin/web/broadcast_worker.hpp"

#include <memory>

#include "conversation/address.hpp"

namespace parley::admin::web {
namespace {

// Waits for a chunk's events: counts down as the pipeline answers them.
struct ChunkLatch {
  std::mutex mu;
  std::condition_variable cv;
  size_t pending = 0;
};

}  // namespace

BroadcastWorker::BroadcastWorker(store::Store& store, const Clock& clock, SubmitEvent submit,
                                 BroadcastWorkerOptions options)
    : store_(store), clock_(clock), submit_(std::move(submit)), options_(std::move(options)) {}

BroadcastWorker::~BroadcastWorker() { Stop(); }

void BroadcastWorker::Start() {
  std::lock_guard lock(mu_);
  if (!thread_.joinable() && !stop_) {
    thread_ = std::thread([this] { Loop(); });
  }
}

void BroadcastWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void BroadcastWorker::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void BroadcastWorker::Loop() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) {
        return;
      }
    }
    auto done = RunChunk();
    if (!done.ok() && options_.error_log) {
      options_.error_log("broadcast: " + done.status().ToString());
    }
    if (done.ok() && *done > 0) {
      continue;  // more may be queued
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, options_.poll, [this] { return stop_ || woken_; });
    woken_ = false;
  }
}

Result<int> BroadcastWorker::RunChunk() {
  const TimePoint now = clock_.Now();
  auto claimed = store_.admin().ClaimBroadcastRecipients(now, now + options_.lease, options_.chunk);
  if (!claimed.ok()) {
    return claimed.status();
  }
  std::vector<store::BroadcastRecipient> recipients = std::move(*claimed);
  if (recipients.empty()) {
    return 0;
  }
  auto latch = std::make_shared<ChunkLatch>();
  // One slot per recipient, written by the pipeline's threads; read after the latch.
  auto outcomes = std::make_shared<std::vector<std::optional<Status>>>(recipients.size());
  std::vector<store::BroadcastResult> results;
  for (size_t i = 0; i < recipients.size(); ++i) {
    const store::BroadcastRecipient& r = recipients[i];
    auto address = conversation::ParseAddress(r.address);
    if (!address.ok()) {  // checked by the preview; only a hand-written row gets here
      results.push_back({r.id, r.broadcast_id, false, "not a phone number"});
      continue;
    }
    conversation::AdminAction action;
    action.kind = conversation::AdminAction::Kind::kStartFlow;
    action.flow_id = r.flow_id;
    action.name = r.name;
    action.fields_json = r.fields_json;
    action.audit.actor = r.created_by;
    action.audit.action = "broadcast_start_flow";
    action.audit.target = r.address;
    action.audit.detail = "broadcast " + std::to_string(r.broadcast_id) + ": " + r.flow_id;
    conversation::Event event{*address, std::move(action), conversation::ReplyMode::kQueued};
    {
      std::lock_guard lock(latch->mu);
      ++latch->pending;
    }
    Status submitted =
        submit_(std::move(event), [latch, outcomes, i](Result<conversation::Outcome> outcome) {
          std::lock_guard lock(latch->mu);
          (*outcomes)[i] = outcome.status();
          if (--latch->pending == 0) {
            latch->cv.notify_all();
          }
        });
    if (!submitted.ok()) {
      std::lock_guard lock(latch->mu);
      (*outcomes)[i] = submitted;
      --latch->pending;
    }
  }
  {
    std::unique_lock lock(latch->mu);
    latch->cv.wait(lock, [&] { return latch->pending == 0; });
  }
  for (size_t i = 0; i < recipients.size(); ++i) {
    const std::optional<Status>& s = (*outcomes)[i];
    if (!s) {
      continue;  // recorded above (not a phone number)
    }
    if (s->code() == StatusCode::kUnavailable) {
      continue;  // busy: left claimed, taken again when the lease ends
    }
    const store::BroadcastRecipient& r = recipients[i];
    results.push_back({r.id, r.broadcast_id, s->ok(), s->ok() ? "" : s->message()});
  }
  PARLEY_RETURN_IF_ERROR(store_.admin().FinishBroadcastRecipients(results, clock_.Now()));
  return static_cast<int>(results.size());
}

}  // namespace parley::admin::web
