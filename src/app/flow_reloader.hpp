// The flows a server runs, kept in step with its flows folder (PARLEY_FLOWS): loaded at the
// start, reloaded on SIGHUP and by whatever else asks (the admin, the API, later a database
// notification from another instance): docs/operations.md, "Reloading flows".
//
// A reload reads every *.json file of the folder and compares it (its bytes, and the bytes
// of the Lua script it read) with what is serving, by path:
//   unchanged        kept as it is, not compiled again;
//   changed, added   compiled; a file with an error is rejected (its diagnostics in the
//                    report and the log) and the revision that served keeps serving (an
//                    added file stays out);
//   removed          the file is gone: its flow leaves the catalog.
// Then the new revisions are saved in the flows table and the new catalog is published in
// one pointer swap. An event takes the catalog once, when it starts, and finishes on it;
// sessions move to the new revisions at their next event (conversation/revision_move.hpp).
// Nothing at all changes — the reload is refused — when the folder cannot be read, two
// flows would share an id or a trigger keyword, the start flow (PARLEY_START_FLOW) would be
// removed, or the database cannot record the revisions.
//
// Reload is idempotent, and cheap when nothing changed (it reads and hashes the files and
// writes nothing; a file rejected before and unchanged since is reported again without
// being compiled again), so anything may call it as often as it likes. Thread-safe:
// reloads run one at a time; catalog() may be called from any thread at any time.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/flow_files.hpp"
#include "common/json.hpp"
#include "common/metrics.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "conversation/flow_catalog.hpp"
#include "store/store.hpp"

namespace parley::app {

struct FlowReloaderOptions {
  std::string dir;  // PARLEY_FLOWS
  ScriptSettings scripts;
  const flow::HandlerRegistry* registry = nullptr;  // C++ handlers of an embedding program
  std::string start_flow;                           // PARLEY_START_FLOW: may not go away
};

// What a reload did, for the log and for whoever asked (the admin and the API show it).
struct ReloadReport {
  struct Flow {
    std::string path;
    std::string id;
    std::string revision;
    std::string old_revision;  // changed: the revision that served before
  };
  struct Rejected {
    std::string path;
    std::string id;           // the flow that keeps serving from this path; empty if none
    std::string diagnostics;  // "file:line:col: error: ...", one per line
  };
  bool published = false;  // a new catalog is serving
  std::vector<Flow> added;
  std::vector<Flow> changed;
  std::vector<Flow> removed;
  std::vector<Rejected> rejected;  // files with errors; the rest may have been published
  std::string refused;             // non-empty: why nothing was published at all

  bool ok() const { return rejected.empty() && refused.empty(); }
  // One line: "flows reloaded: 1 added (x), 1 changed (y 1a2b → 3c4d), ..." or "... unchanged".
  std::string Summary() const;
  // {"ok", "published", "added": [{path, flow, revision}], "changed": [... "old_revision"],
  //  "removed": [...], "rejected": [{path, flow, diagnostics}], "refused"}
  json::Value ToJson() const;
};

class FlowReloader {
 public:
  // `store`, `clock` and `registry` must outlive the reloader.
  FlowReloader(store::Store& store, const Clock& clock, metrics::Registry& registry,
               FlowReloaderOptions options);

  // The first load: every file must be valid (InvalidArgument listing every diagnostic of
  // every invalid file), the folder readable (NotFound, Unavailable), the start flow there.
  Status LoadInitial();
  // Reloads as described above; logs the outcome and counts it
  // (parley_flow_reloads_total{result="ok"|"unchanged"|"rejected"}).
  // `logging`: kChangesOnly logs a reload that changed nothing at DEBUG only (a reload another
  // instance's notice asked for); errors are always logged.
  enum class Logging { kAlways, kChangesOnly };
  ReloadReport Reload(Logging logging = Logging::kAlways);

  // The catalog serving now; never null after LoadInitial.
  std::shared_ptr<const conversation::FlowCatalog> catalog() const { return catalog_.load(); }

 private:
  struct Entry {
    std::shared_ptr<const flow::Flow> flow;
    std::vector<ScriptRead> scripts;
  };
  struct Rejection {  // a file and its scripts as they were when rejected
    std::string revision;
    std::vector<ScriptRead> scripts;
    std::string diagnostics;
  };
  // The reload itself, under reload_mutex_. `initial`: publish even when nothing was
  // there before, and leave the start flow to the caller.
  // `refusal`, when given, gets the refusal's Status with its code (the start reports it).
  ReloadReport Scan(bool initial, Status* refusal = nullptr);

  store::Store& store_;
  const Clock& clock_;
  FlowReloaderOptions options_;
  metrics::CounterFamily& reloads_;
  metrics::Gauge& loaded_;
  std::mutex reload_mutex_;                      // one reload at a time; guards the two maps
  std::map<std::string, Entry> entries_;         // by path: what serves now
  std::map<std::string, Rejection> rejections_;  // by path: files rejected and not fixed yet
  std::atomic<std::shared_ptr<const conversation::FlowCatalog>> catalog_;
};

}  // namespace parley::app
