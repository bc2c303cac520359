// Drains the outbox: claims due rows from the store, hands each to the Channel, and records
// the result. One thread per instance; several instances share the work through the
// store's leases (FOR UPDATE SKIP LOCKED on PostgreSQL).
//
// Wake() after a commit that queued messages; otherwise the sender polls every
// `poll_interval` (rows queued by other instances, retries that came due).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "channel/channel.hpp"
#include "common/time.hpp"
#include "store/store.hpp"

namespace parley::channel {

struct OutboxSenderOptions {
  int batch = 64;                             // rows claimed at a time
  Duration lease = std::chrono::seconds(60);  // a crashed sender's rows come back
  Duration poll_interval = std::chrono::milliseconds(500);
  // After a wake-up, wait this long for more messages before claiming: one claim and one
  // finishing transaction then serve many events, and on SQLite the sender holds the one
  // connection less often (10 ms: +4% webhook throughput over 2 ms in the load harness).
  Duration coalesce = std::chrono::milliseconds(10);
  Duration first_retry = std::chrono::seconds(2);  // doubles per attempt
  Duration max_retry = std::chrono::minutes(10);
  int max_attempts = 8;  // then the message is "failed"
  std::function<void(std::string_view)> log;
};

class OutboxSender {
 public:
  OutboxSender(store::Store& store, Channel& channel, const Clock& clock,
               OutboxSenderOptions options = {});
  ~OutboxSender();  // Stop()

  void Start();
  void Wake();
  // Finishes the message in hand, then returns. Idempotent.
  void Stop();

  // Drains what is due now, on the calling thread; returns how many rows were handled.
  // (Start's thread calls it in a loop; tests and `parley start` call it directly.)
  Result<int> DrainOnce();

 private:
  void Run();

  store::Store& store_;
  Channel& channel_;
  const Clock& clock_;
  OutboxSenderOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace parley::channel
