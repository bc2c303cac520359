// Test doubles for channel::Channel.
//
//   RecordingChannel  sends nothing; remembers every message and answers "sent" with a fake
//                     provider sid ("SMFAKE" + a number).
//   FailingChannel    answers from a script (kUnavailable N times, a final failure, ...),
//                     then "sent"; remembers every attempt.
//
// Both are thread-safe: the outbox sender calls Send on its thread while a test reads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "channel/channel.hpp"
#include "common/time.hpp"

namespace parley::fakes {

class RecordingChannel final : public channel::Channel {
 public:
  channel::SendOutcome Send(const channel::OutboundMessage& message) override;

  // Every message Send was called with, in call order.
  std::vector<channel::OutboundMessage> messages() const;
  size_t count() const;
  // Waits up to `timeout` until at least `n` messages were sent; false on timeout.
  bool WaitForCount(size_t n, Duration timeout) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable sent_;
  std::vector<channel::OutboundMessage> messages_;
};

class FailingChannel final : public channel::Channel {
 public:
  // Each Send takes the next status of `script`: a non-ok one is returned as it is, an ok
  // one answers "sent". Once the script is used up, every Send answers "sent".
  explicit FailingChannel(std::deque<Status> script);
  // kUnavailable (a failure the sender retries) `unavailable` times, then `final_failure`
  // once when it is not ok (e.g. InvalidArgument: a failure for good), then "sent".
  explicit FailingChannel(int unavailable, Status final_failure = Status::Ok());

  channel::SendOutcome Send(const channel::OutboundMessage& message) override;

  // Every message Send was called with (failed attempts included), in call order.
  std::vector<channel::OutboundMessage> attempts() const;
  // Scripted answers not yet given.
  size_t remaining() const;

 private:
  mutable std::mutex mu_;
  std::deque<Status> script_;
  std::vector<channel::OutboundMessage> attempts_;
  size_t sent_ = 0;
};

}  // namespace parley::fakes
