// Flow reloads converge across instances on one PostgreSQL (docs/operations.md, "Reloading
// flows"): an instance whose reload published a new catalog announces it on the
// `parley_flows_reloaded` channel (store/notifications.hpp), and every other instance reloads
// its own flows folder when it hears it. The instances must read the same files (one image,
// or one shared folder); the notice carries no flow, only "look again".
//
// Contract:
//   - Construct before notifications.Start() (it listens in the constructor); Start() runs
//     the thread that reloads, Stop() joins it (idempotent; the destructor calls it).
//   - A notice, or a connection (notices may have been lost before it), makes the thread call
//     `reload` once, however many arrive meanwhile; the handler itself only sets a flag.
//   - A reload a notice caused is not announced again: a folder that differs between
//     instances cannot make them ping-pong.
//   - Announce(report) notifies only when the report published a new catalog.
// On SQLite there are no other instances and Notify does nothing.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "app/flow_reloader.hpp"
#include "common/status.hpp"
#include "store/notifications.hpp"

namespace parley::app {

inline constexpr std::string_view kFlowsReloadedChannel = "parley_flows_reloaded";

class FlowReloadNotices {
 public:
  // `notifications` must outlive this object; `reload` is called on this object's thread.
  static Result<std::unique_ptr<FlowReloadNotices>> Listen(store::Notifications& notifications,
                                                           std::function<ReloadReport()> reload);
  ~FlowReloadNotices();

  void Start();
  void Stop();
  // Tells the other instances to reload, if `report` published a new catalog.
  void Announce(const ReloadReport& report);

 private:
  FlowReloadNotices(store::Notifications& notifications, std::function<ReloadReport()> reload);
  void Run();

  store::Notifications& notifications_;
  std::function<ReloadReport()> reload_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace parley::app
