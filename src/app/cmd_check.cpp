// parley check FLOW… [--json] [--strict]
//
// Text mode: diagnostics on stderr ("file:line:col: error: path: message"), one summary line
// per file on stdout. --json: one document on stdout, nothing on stderr:
//   {"valid": bool, "strict": bool, "errors": N, "warnings": N,
//    "files": [{"file", "valid", "errors", "warnings", "flow"?, "states"?, "edges"?,
//               "diagnostics": [{"severity": "error"|"warning", "path", "line", "column",
//                                "message"}]}]}
// ("flow", "states" and "edges" only for valid files; line and column 0 when unknown).
// Exit 0 when every file is valid, 1 otherwise (or on warnings with --strict).
#include <iostream>

#include "app/commands.hpp"
#include "app/describe.hpp"
#include "app/flow_files.hpp"

namespace parley::app {

namespace {

struct CheckOptions {
  std::vector<std::string> files;
  bool json = false;
  bool strict = false;
};

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
  const HandlerCounts handlers = CountHandlers(*r.flow);
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
  for (const std::string& path : opts.files) {
    const LoadedFlow f = LoadFlowFile(path);
    errors += f.result.error_count();
    warnings += f.result.warning_count();
    failed = failed || !f.result.flow || (opts.strict && f.result.warning_count() > 0);
    if (opts.json) {
      reports.push_back(Report(f));
      continue;
    }
    PrintDiagnostics(f, std::cerr);
    std::cout << Summary(f) << "\n";
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
  cmd->add_flag("--strict", opts->strict, "Fail on warnings too");
  cmd->callback([opts, &exit_code] { exit_code = RunCheck(*opts); });
}

}  // namespace parley::app
