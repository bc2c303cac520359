// parley check FLOW… [--json] [--strict]
// parley check NEW --against OLD [--env FILE] [--json] [--strict]
//
// Text mode: diagnostics on stderr ("file:line:col: error: path: message"), one summary line
// per file on stdout. --json: one document on stdout, nothing on stderr:
//   {"valid": bool, "strict": bool, "errors": N, "warnings": N,
//    "files": [{"file", "valid", "errors", "warnings", "flow"?, "states"?, "edges"?,
//               "diagnostics": [{"severity": "error"|"warning", "path", "line", "column",
//                                "message"}]}]}
// ("flow", "states" and "edges" only for valid files; line and column 0 when unknown).
// Exit 0 when every file is valid, 1 otherwise (or on warnings with --strict).
//
// --against OLD (one NEW file): what deploying NEW over OLD does to live sessions. Text mode
// prints, after NEW's summary, the states NEW removes (with how many active sessions sit on
// each in the database `parley serve` would use — DATABASE_URL, or the .env — and where they
// go: on_missing_state, or ending as state_removed), the states it adds, and removed/added
// pairs that look like renames. --json adds to NEW's report
//   "against": {"file", "flow", "removed": [{"state", "live_sessions" (null: not counted),
//               "goes_to" (null: ends state_removed)}], "added": [...],
//               "renamed": [{"from", "to"}], "sessions_not_counted": "" | why}
// OLD must be valid. --strict also fails when live sessions would end (a removed state with
// sessions and no on_missing_state).
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "app/commands.hpp"
#include "app/config.hpp"
#include "app/flow_diff.hpp"
#include "app/flow_files.hpp"
#include "flow/describe.hpp"
#include "store/store.hpp"

namespace parley::app {

namespace {

struct CheckOptions {
  std::vector<std::string> files;
  bool json = false;
  bool strict = false;
  std::string against;   // OLD: compare the one FLOW with it
  std::string env_file;  // --env; empty: .env if present
};

// Active sessions by state in the database the server would use, or why they were not
// counted. Never creates a database: a SQLite file that is not there is "no database".
struct LiveSessions {
  std::map<std::string, int64_t, std::less<>> by_state;
  std::string not_counted;  // empty: by_state is the count
};

LiveSessions CountLiveSessions(const std::string& env_file, const std::string& flow_id) {
  LiveSessions live;
  auto config = LoadCommandConfig(env_file);
  if (!config.ok()) {
    live.not_counted = "the configuration is invalid: " + config.status().message();
    return live;
  }
  const std::string& url = config->database_url;
  if (url.starts_with("sqlite:")) {
    const std::string path = url.substr(7);
    std::error_code ec;
    if (path == ":memory:" || !std::filesystem::exists(path, ec)) {
      live.not_counted = "no database at " + url + " (set DATABASE_URL)";
      return live;
    }
  }
  auto store = store::OpenStore(url);
  if (!store.ok()) {
    live.not_counted = store.status().message();
    return live;
  }
  auto counts = (*store)->ActiveSessionStates(flow_id);
  if (!counts.ok()) {
    live.not_counted = counts.status().message();
    return live;
  }
  for (const store::StateCount& c : *counts) {
    live.by_state.emplace(c.state, c.sessions);
  }
  return live;
}

// Compares NEW (valid) with OLD; prints or adds to `report`. False when OLD is unusable or,
// with --strict, when live sessions would end.
bool CheckAgainst(const CheckOptions& opts, const flow::Flow& next, json::Object* report) {
  const LoadedFlow old = LoadFlowFile(opts.against);
  if (!old.result.flow) {
    if (!opts.json) {
      PrintDiagnostics(old, std::cerr);
      std::cerr << "parley check: --against " << opts.against << " is not a valid flow\n";
    } else if (report != nullptr) {
      report->emplace_back("against",
                           json::Object{{"file", opts.against}, {"error", "not a valid flow"}});
    }
    return false;
  }
  const flow::Flow& previous = *old.result.flow;
  const FlowDiff diff = DiffFlows(previous, next);
  const LiveSessions live = CountLiveSessions(opts.env_file, previous.id);
  bool ending = false;
  json::Array removed;
  std::ostringstream text;
  text << "against " << opts.against << " (flow '" << previous.id << "'):\n";
  if (previous.id != next.id) {
    text << "  the flow id changes from '" << previous.id << "' to '" << next.id
         << "': every session of '" << previous.id << "' would end (flow_removed)\n";
  }
  for (const std::string& state : diff.removed) {
    std::optional<int64_t> count;
    if (live.not_counted.empty()) {
      const auto it = live.by_state.find(state);
      count = it == live.by_state.end() ? 0 : it->second;
    }
    ending = ending || (diff.on_missing_state.empty() && count.value_or(0) > 0);
    text << "  removed state " << state << ": ";
    if (count) {
      text << *count << " live session" << (*count == 1 ? "" : "s") << "; ";
    }
    text << (diff.on_missing_state.empty()
                 ? std::string("sessions on it would end (state_removed)")
                 : "sessions on it would go to '" + diff.on_missing_state + "' (on_missing_state)")
         << "\n";
    removed.emplace_back(json::Object{
        {"state", state},
        {"live_sessions", count ? json::Value(*count) : json::Value()},
        {"goes_to",
         diff.on_missing_state.empty() ? json::Value() : json::Value(diff.on_missing_state)}});
  }
  json::Array renamed;
  for (const StateRename& r : diff.renamed) {
    text << "  renamed? " << r.from << " -> " << r.to
         << " (the same edge leads there; sessions follow names, so " << r.from
         << "'s are treated as removed)\n";
    renamed.emplace_back(json::Object{{"from", r.from}, {"to", r.to}});
  }
  json::Array added;
  for (const std::string& state : diff.added) {
    text << "  added state " << state << "\n";
    added.emplace_back(state);
  }
  if (diff.removed.empty() && diff.added.empty()) {
    text << "  the same states\n";
  }
  if (!live.not_counted.empty()) {
    text << "  live sessions not counted: " << live.not_counted << "\n";
  }
  if (report != nullptr) {
    report->emplace_back("against", json::Object{{"file", opts.against},
                                                 {"flow", previous.id},
                                                 {"removed", std::move(removed)},
                                                 {"added", std::move(added)},
                                                 {"renamed", std::move(renamed)},
                                                 {"sessions_not_counted", live.not_counted}});
  } else {
    std::cout << text.str();
  }
  return !(opts.strict && ending);
}

// "1 error", "2 warnings".
std::string Count(size_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string Summary(const LoadedFlow& f) {
  const auto& r = f.result;
  if (!r.flow) {
    return f.path + ": invalid — " + Count(r.error_count(), "error") + ", " +
           Count(r.warning_count(), "warning");
  }
  const flow::HandlerCounts handlers = flow::CountHandlers(*r.flow);
  std::string out = f.path + ": ok — " + Count(r.flow->states.size(), "state") + ", " +
                    Count(r.flow->EdgeCount(), "edge") + ", " + Count(handlers.total, "handler");
  if (handlers.lua > 0) {
    out += " (" + std::to_string(handlers.lua) + " Lua)";
  }
  return out + ", " + Count(r.warning_count(), "warning");
}

json::Value Report(const LoadedFlow& f) {
  json::Array diagnostics;
  for (const auto& d : f.result.diagnostics) {
    diagnostics.emplace_back(json::Object{
        {"severity", d.is_error() ? "error" : "warning"},
        {"path", d.path},
        {"line", static_cast<int>(d.pos.line)},
        {"column", static_cast<int>(d.pos.col)},
        {"message", d.message},
    });
  }
  json::Object o{{"file", f.path},
                 {"valid", f.result.flow != nullptr},
                 {"errors", static_cast<int>(f.result.error_count())},
                 {"warnings", static_cast<int>(f.result.warning_count())}};
  if (f.result.flow) {
    o.emplace_back("flow", f.result.flow->id);
    o.emplace_back("states", static_cast<int>(f.result.flow->states.size()));
    o.emplace_back("edges", static_cast<int>(f.result.flow->EdgeCount()));
  }
  o.emplace_back("diagnostics", std::move(diagnostics));
  return json::Value(std::move(o));
}

int RunCheck(const CheckOptions& opts) {
  bool failed = false;
  json::Array reports;
  size_t errors = 0;
  size_t warnings = 0;
  if (!opts.against.empty() && opts.files.size() != 1) {
    std::cerr << "parley check: --against compares exactly one FLOW with OLD\n";
    return kExitUsage;
  }
  for (const std::string& path : opts.files) {
    const LoadedFlow f = LoadFlowFile(path);
    errors += f.result.error_count();
    warnings += f.result.warning_count();
    failed = failed || !f.result.flow || (opts.strict && f.result.warning_count() > 0);
    if (opts.json) {
      json::Value report = Report(f);
      if (!opts.against.empty() && f.result.flow) {
        failed = !CheckAgainst(opts, *f.result.flow, &report.as_object()) || failed;
      }
      reports.push_back(std::move(report));
      continue;
    }
    PrintDiagnostics(f, std::cerr);
    std::cout << Summary(f) << "\n";
    if (!opts.against.empty() && f.result.flow) {
      failed = !CheckAgainst(opts, *f.result.flow, nullptr) || failed;
    }
  }
  if (opts.json) {
    std::cout << json::Serialize(json::Value(json::Object{{"valid", !failed},
                                                          {"strict", opts.strict},
                                                          {"errors", static_cast<int>(errors)},
                                                          {"warnings", static_cast<int>(warnings)},
                                                          {"files", std::move(reports)}}))
              << "\n";
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

void AddCheckCommand(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand("check", "Validate flow files: errors, warnings, summary");
  cmd->add_option("FLOW", opts->files, "Flow files (.json)")->required();
  cmd->add_flag("--json", opts->json, "Print a machine-readable JSON report on stdout");
  cmd->add_flag("--strict", opts->strict,
                "Fail on warnings too (and, with --against, when live sessions would end)");
  cmd->add_option("--against", opts->against,
                  "OLD flow file: list the states FLOW removes (with their live sessions in "
                  "DATABASE_URL's database), adds and renames");
  cmd->add_option("--env", opts->env_file,
                  "with --against: the .env file to read DATABASE_URL from (default: .env, if "
                  "present)");
  cmd->callback([opts, &exit_code] { exit_code = RunCheck(*opts); });
}

}  // namespace parley::app
