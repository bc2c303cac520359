// parley import-lima --from postgres://… --flow FLOW [--dry-run] [--env FILE]
//
// Imports a LIMA deployment's users and active sessions (lima_import.hpp) into the database
// `parley serve` uses (DATABASE_URL, or the .env), as sessions of FLOW, a flow of the flows
// folder (PARLEY_FLOWS). The target's schema must be current (`parley migrate`). Prints one
// line per user, per session and per row it cannot import (with why), then a summary.
// --dry-run reads both databases and prints the same lines, writing nothing.
// Exit 0 when the import ran (rows it cannot import are in the report), 1 when it could not
// (a database unreachable, FLOW not loaded, the target's schema not current), 2 on usage.
#include <iostream>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/flow_folder.hpp"
#include "app/lima_import.hpp"
#include "app/lima_source.hpp"
#include "app/runtime.hpp"
#include "common/time.hpp"
#include "store/store.hpp"

namespace parley::app {

namespace {

struct ImportLimaOptions {
  std::string from;
  std::string flow;
  bool dry_run = false;
  std::string env_file;
};

int RunImportLima(const ImportLimaOptions& o) {
  const auto fail = [](const Status& s) {
    std::cerr << "parley import-lima: " << s.message() << "\n";
    return kExitFailure;
  };
  auto config = LoadCommandConfig(o.env_file);
  if (!config.ok()) {
    return fail(config.status());
  }
  auto flows = LoadFlowFolder(config->flows_dir);
  if (!flows.ok()) {
    return fail(flows.status());
  }
  const FolderFlow* target = nullptr;
  for (const FolderFlow& f : *flows) {
    if (f.flow->id == o.flow) {
      target = &f;
    }
  }
  if (target == nullptr) {
    return fail(Status::NotFound("no flow with id '" + o.flow + "' in " + config->flows_dir));
  }
  if (o.from == config->database_url) {
    // parley migrating its tables into LIMA's database would be a mess to undo.
    return fail(Status::InvalidArgument(
        "--from and DATABASE_URL are the same database: DATABASE_URL must be parley's own"));
  }
  auto store = store::OpenStore(config->database_url);
  if (!store.ok()) {
    return fail(store.status());
  }
  if (Status s = CheckSchema(**store); !s.ok()) {
    return fail(s);
  }
  auto lima = ReadLimaDatabase(o.from);
  if (!lima.ok()) {
    return fail(lima.status());
  }
  SystemClock clock;
  LimaImportOptions options;
  options.dry_run = o.dry_run;
  options.default_region = config->default_region;
  options.now = clock.Now();
  if (!o.dry_run) {
    // The sessions name this revision: record it first, as `parley serve` does.
    const Status saved =
        (*store)->SaveFlow({target->flow->id, target->flow->revision, target->source, options.now});
    if (!saved.ok()) {
      return fail(saved);
    }
  }
  auto summary = ImportLima(*lima, *target->flow, **store, options, std::cout);
  if (!summary.ok()) {
    return fail(summary.status());
  }
  return kExitOk;
}

}  // namespace

void AddImportLimaCommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<ImportLimaOptions>();
  CLI::App* cmd = app.add_subcommand(
      "import-lima",
      "Import a LIMA deployment's users and active sessions (docs/migrating-from-lima.md)");
  cmd->add_option("--from", options->from, "LIMA's PostgreSQL database, postgres://...")
      ->required();
  cmd->add_option("--flow", options->flow, "the flow id the sessions continue in")->required();
  cmd->add_flag("--dry-run", options->dry_run,
                "print what would be imported and every row that cannot be; write nothing");
  cmd->add_option("--env", options->env_file,
                  "the .env file to read; it must exist (default: .env, if present)");
  cmd->callback([options, &exit_code] { exit_code = RunImportLima(*options); });
}

}  // namespace parley::app
