#include "channel/outbox_sender.hpp"

#include <algorithm>

namespace parley::channel {

OutboxSender::OutboxSender(store::Store& store, Channel& channel, const Clock& clock,
                           OutboxSenderOptions options)
    : store_(store), channel_(channel), clock_(clock), options_(std::move(options)) {}

OutboxSender::~OutboxSender() { Stop(); }

void OutboxSender::Start() {
  thread_ = std::thread([this] { Run(); });
}

void OutboxSender::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void OutboxSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

Result<int> OutboxSender::DrainOnce() {
  int handled = 0;
  while (true) {
    auto claimed = store_.ClaimOutbox(clock_.Now(), options_.batch, options_.lease);
    if (!claimed.ok()) {
      return claimed.status();
    }
    // Results are written in one transaction per claimed batch; retries (rare) one by one.
    std::vector<store::OutboxDelivery> done;
    done.reserve(claimed->size());
    for (const store::OutboxItem& item : *claimed) {
      OutboundMessage message;
      message.from = item.from;
      message.to = item.to;
      message.body = item.body;
      message.media = item.media;
      const SendOutcome sent = channel_.Send(message);
      if (sent.ok()) {
        done.push_back({item.id, sent->status, sent->provider_sid, sent->error_code});
        if (sent->status == store::MessageStatus::kFailed && options_.log) {
          options_.log("outbox: message " + std::to_string(item.message_id) +
                       " refused by the provider, error " +
                       (sent->error_code.empty() ? std::string("(none)") : sent->error_code));
        }
      } else if (sent.status().code() == StatusCode::kUnavailable &&
                 item.attempts < options_.max_attempts) {
        // item.attempts counts this attempt (the claim). Exponential backoff: first_retry,
        // x2, x4, ... capped at max_retry.
        const int doublings = std::clamp(item.attempts - 1, 0, 20);
        const auto delay =
            std::min<Duration>(options_.max_retry, options_.first_retry * (1 << doublings));
        PARLEY_RETURN_IF_ERROR(store_.RetryOutbox(item.id, clock_.Now() + delay));
      } else {
        done.push_back({item.id, store::MessageStatus::kFailed, "", ""});
        if (options_.log) {
          options_.log("outbox: message " + std::to_string(item.message_id) +
                       " failed: " + sent.status().ToString());
        }
      }
      ++handled;
    }
    PARLEY_RETURN_IF_ERROR(store_.FinishOutboxBatch(done));
    if (static_cast<int>(claimed->size()) < options_.batch) {
      return handled;
    }
  }
}

void OutboxSender::Run() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.poll_interval, [this] { return woken_ || stopping_; });
      if (stopping_) {
        return;
      }
      woken_ = false;
    }
    std::this_thread::sleep_for(options_.coalesce);
    auto drained = DrainOnce();
    if (!drained.ok() && options_.log) {
      options_.log("outbox: " + drained.status().ToString());
    }
  }
}

}  // namespace parley::channel
