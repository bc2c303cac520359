#include "test/fakes/channels.hpp"

#include <string>

namespace parley::fakes {

namespace {

channel::SendResult Sent(size_t n) {
  channel::SendResult result;
  result.provider_sid = "SMFAKE" + std::to_string(n);
  result.provider_status = "queued";
  return result;
}

}  // namespace

channel::SendOutcome RecordingChannel::Send(const channel::OutboundMessage& message) {
  size_t n = 0;
  {
    std::lock_guard lock(mu_);
    messages_.push_back(message);
    n = messages_.size();
  }
  sent_.notify_all();
  return Sent(n);
}

std::vector<channel::OutboundMessage> RecordingChannel::messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

size_t RecordingChannel::count() const {
  std::lock_guard lock(mu_);
  return messages_.size();
}

bool RecordingChannel::WaitForCount(size_t n, Duration timeout) const {
  std::unique_lock lock(mu_);
  return sent_.wait_for(lock, timeout, [&] { return messages_.size() >= n; });
}

FailingChannel::FailingChannel(std::deque<Status> script) : script_(std::move(script)) {}

FailingChannel::FailingChannel(int unavailable, Status final_failure) {
  for (int i = 0; i < unavailable; ++i) {
    script_.push_back(
        Status::Unavailable("scripted failure " + std::to_string(i + 1) + " (503 from provider)"));
  }
  if (!final_failure.ok()) {
    script_.push_back(std::move(final_failure));
  }
}

channel::SendOutcome FailingChannel::Send(const channel::OutboundMessage& message) {
  std::lock_guard lock(mu_);
  attempts_.push_back(message);
  if (!script_.empty()) {
    Status s = std::move(script_.front());
    script_.pop_front();
    if (!s.ok()) {
      return s;
    }
  }
  return Sent(++sent_);
}

std::vector<channel::OutboundMessage> FailingChannel::attempts() const {
  std::lock_guard lock(mu_);
  return attempts_;
}

size_t FailingChannel::remaining() const {
  std::lock_guard lock(mu_);
  return script_.size();
}

}  // namespace parley::fakes
