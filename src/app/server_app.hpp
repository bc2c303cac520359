// `parley serve`: the Runtime (store, flows, channel, sender, service, pipeline) with the
// HTTP server on top — webhook handler, health, readiness and metrics routes.
//
// Start() fails with a message that names what is wrong (see Runtime::Open; also a port in
// use); nothing is left running.
#pragma once

#include <memory>

#include "app/config.hpp"
#include "app/flow_reloader.hpp"
#include "common/status.hpp"
#include "common/time.hpp"

namespace parley::app {

class ServerApp {
 public:
  ServerApp(Config config, const Clock& clock);
  ~ServerApp();  // Stop()

  Status Start();
  uint16_t port() const;
  // Graceful: the HTTP server stops accepting and answers in-flight requests (the pipeline
  // still applies their events), then the pipeline drains and the sender finishes the
  // message in hand.
  void Stop();
  // Reloads the flows folder (Runtime::ReloadFlows): what SIGHUP calls. Started only.
  ReloadReport ReloadFlows();

 private:
  struct Parts;
  Config config_;
  const Clock& clock_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace parley::app
