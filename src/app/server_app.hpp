// The composition root of `parley serve`: builds every component from the Config, in
// dependency order, and tears them down in reverse.
//
//   store (checked: reachable, migrations current) → flows (PARLEY_FLOWS, saved as
//   revisions) → channel (dry-run without Twilio credentials) → outbox sender →
//   conversations → webhook handler → HTTP routes → server
//
// Start() fails with a message that names what is wrong (bad database URL, schema too
// old or too new, invalid flow with its diagnostics, port in use); nothing is left running.
#pragma once

#include <memory>

#include "app/config.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "store/store.hpp"
#include "webhook/flow_catalog.hpp"

namespace parley::app {

class ServerApp {
 public:
  ServerApp(Config config, const Clock& clock);
  ~ServerApp();  // Stop()

  Status Start();
  uint16_t port() const;
  // Graceful: the HTTP server stops accepting and finishes in-flight requests, then the
  // outbox sender finishes the message in hand.
  void Stop();

 private:
  struct Parts;
  Config config_;
  const Clock& clock_;
  std::unique_ptr<Parts> parts_;
};

// The store reachable and its schema exactly the version this binary knows; the error
// says what to run otherwise.
Status CheckSchema(store::Store& store);

// The flows of `dir` as a catalog, each saved in the store as a revision.
Result<std::shared_ptr<const webhook::FlowCatalog>> LoadCatalog(const std::string& dir,
                                                                store::Store& store, TimePoint now);

// `parley migrate`: applies the missing migrations. Prints what it did.
Status MigrateDatabase(const std::string& database_url);

}  // namespace parley::app
