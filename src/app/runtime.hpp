// The one composition root: builds, from the Config, everything that applies and delivers
// events — store (reachable, schema current), flows (PARLEY_FLOWS, each flow saved as a
// revision; reloaded on demand), metrics registry, channel (Twilio's REST API with credentials in
// `rest` mode, else dry-run), outbox sender, conversation service, event pipeline and timer
// scheduler — and tears them down in reverse order. `parley serve` puts the HTTP server on top
// (ServerApp); `parley start` and the load harness use it as it is.
//
// Open() fails with a message that names what is wrong (bad database URL, schema too old or
// too new, invalid flow with its diagnostics, unknown PARLEY_START_FLOW, Twilio settings that
// cannot work, such as a malformed TWILIO_ACCOUNT_SID); nothing is left
// running.
#pragma once

#include <memory>
#include <string>

#include "app/config.hpp"
#include "app/flow_files.hpp"
#include "app/flow_reload_notices.hpp"
#include "app/flow_reloader.hpp"
#include "channel/channel.hpp"
#include "channel/outbox_sender.hpp"
#include "common/metrics.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "conversation/flow_catalog.hpp"
#include "conversation/pipeline.hpp"
#include "conversation/service.hpp"
#include "scheduler/scheduler.hpp"
#include "store/notifications.hpp"
#include "store/store.hpp"

namespace parley::app {

class Runtime {
 public:
  // `clock` must outlive the Runtime.
  static Result<std::unique_ptr<Runtime>> Open(const Config& config, const Clock& clock);
  ~Runtime();  // Stop()

  // Starts the pipeline's lanes, the sender (which first delivers what an earlier run left
  // queued) and the timer scheduler (which first fires what fell due meanwhile).
  void Start();
  // The scheduler stops claiming timers (those submitted are applied), the pipeline applies
  // what is queued, then the sender finishes the message in hand. Idempotent.
  void Stop();

  store::Store& store() { return *store_; }
  store::Notifications& notifications() { return *notifications_; }
  metrics::Registry& registry() { return registry_; }
  conversation::Pipeline& pipeline() { return *pipeline_; }
  channel::OutboxSender& sender() { return *sender_; }
  // The flows serving now (an event takes them once and finishes on them).
  std::shared_ptr<const conversation::FlowCatalog> flows() const;
  // Reloads the flows folder (flow_reloader.hpp): what SIGHUP, the admin and the API call.
  // Idempotent and cheap when nothing changed. Thread-safe. A reload that published new
  // flows tells the other instances on the database to reload theirs
  // (flow_reload_notices.hpp).
  ReloadReport ReloadFlows();
  bool dry_run() const { return dry_run_; }

 private:
  Runtime() = default;

  metrics::Registry registry_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<FlowReloader> flows_;  // its catalog is swapped whole by a reload
  std::unique_ptr<channel::Channel> channel_;
  std::unique_ptr<channel::OutboxSender> sender_;
  std::unique_ptr<conversation::Service> service_;
  std::unique_ptr<conversation::Pipeline> pipeline_;
  std::unique_ptr<scheduler::Scheduler> scheduler_;
  // After the scheduler and pipeline: destroyed (stopped) before them, so no notice reaches
  // a scheduler being destroyed.
  std::unique_ptr<store::Notifications> notifications_;
  std::unique_ptr<FlowReloadNotices> reload_notices_;  // listens on notifications_
  bool dry_run_ = true;
  bool started_ = false;
};

// The store reachable and its schema exactly the version this binary knows; the error
// says what to run otherwise.
Status CheckSchema(store::Store& store);

// `parley migrate`: applies the missing migrations. Prints what it did.
Status MigrateDatabase(const std::string& database_url);

}  // namespace parley::app
