// The background job that works off the broadcasts (docs/admin.md, "Broadcast"): it claims
// queued recipients from the store in bounded chunks and submits one start-flow event per
// contact to the conversation pipeline (a conversation::AdminAction, as the contact page's
// "Start flow"), so each start takes the contact's lock and its replies are queued for the
// sender, which sends them at the configured rates. Results and counts are written back
// after each chunk.
//
// Several instances on one database share the work: a claim leases rows (`lease`), so a
// chunk of an instance that stopped is taken up by another, or by this one after a restart,
// once the lease ends. A start refused by the core (an opted-out contact, an unknown flow)
// is a failed recipient with the reason; a pipeline too busy to take an event is tried again
// with the next chunk.
//
// Thread-safe: Wake from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "common/status.hpp"
#include "common/time.hpp"
#include "conversation/event.hpp"
#include "store/store.hpp"

namespace parley::admin::web {

// Submits an event; `done` gets its outcome (conversation::Pipeline::Submit).
using SubmitEvent =
    std::function<Status(conversation::Event, std::function<void(Result<conversation::Outcome>)>)>;

struct BroadcastWorkerOptions {
  int chunk = 50;                                   // recipients claimed at once
  Duration poll = std::chrono::seconds(2);          // looks for work this often when idle
  Duration lease = std::chrono::minutes(2);         // a claim's hold on its rows
  std::function<void(std::string_view)> error_log;  // store failures; may be null
};

class BroadcastWorker {
 public:
  BroadcastWorker(store::Store& store, const Clock& clock, SubmitEvent submit,
                  BroadcastWorkerOptions options = {});
  ~BroadcastWorker();  // Stop()
  BroadcastWorker(const BroadcastWorker&) = delete;
  BroadcastWorker& operator=(const BroadcastWorker&) = delete;

  void Start();
  // Finishes the chunk in hand (its events are answered by the pipeline), then stops.
  void Stop();
  // Looks for work now (a broadcast was just created).
  void Wake();

  // Works one chunk on the caller's thread: how many recipients it finished (0: nothing
  // to do). For tests and for the thread's loop.
  Result<int> RunChunk();

 private:
  void Loop();

  store::Store& store_;
  const Clock& clock_;
  SubmitEvent submit_;
  BroadcastWorkerOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace parley::admin::web
