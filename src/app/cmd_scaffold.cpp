// parley scaffold FLOW.json [--append]: writes the flow's Lua script with a stub for every
// handler the flow names that nothing defines (app/scaffold.hpp). Never overwrites: when
// the script exists, --append adds the missing stubs at its end.
//
// The script is the one the flow names ("script"), else the tree form's FLOW.lua beside it;
// a document without "script" gets FLOW.lua too, with a note to add the key. Exit 0 when
// the stubs were written (or nothing was missing), 1 otherwise: the flow cannot be read,
// its script fails to load (fix it first: which names it defines is unknown), the script
// exists without --append.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/commands.hpp"
#include "app/flow_files.hpp"
#include "app/scaffold.hpp"

namespace parley::app {

namespace {

struct ScaffoldOptions {
  std::string flow;
  bool append = false;
};

int RunScaffold(const ScaffoldOptions& opts) {
  const LoadedFlow loaded = LoadFlowFile(opts.flow);
  const flow::CompileResult& r = loaded.result;
  if (r.script_outcome == flow::ScriptOutcome::kFailed) {
    PrintDiagnostics(loaded, std::cerr);
    std::cerr << "parley scaffold: the script does not load; fix it first\n";
    return kExitFailure;
  }
  size_t stubs = 0;
  size_t conditions = 0;
  for (const flow::MissingHandler& m : r.missing_handlers) {
    if (m.local_in_script) {
      std::cerr << "parley scaffold: " << m.name
                << " is defined as a local function; make it global\n";
    } else {
      ++stubs;
      conditions += m.as_condition ? 1 : 0;
    }
  }
  if (stubs == 0) {
    if (r.missing_handlers.empty() && r.error_count() > 0) {
      PrintDiagnostics(loaded, std::cerr);
      return kExitFailure;
    }
    std::cout << opts.flow << ": every handler the flow names is defined; nothing to add\n";
    return r.missing_handlers.empty() ? kExitOk : kExitFailure;
  }
  const std::filesystem::path flow_path(opts.flow);
  const std::string script_name =
      r.script_name.empty() ? flow_path.stem().string() + ".lua" : r.script_name;
  const std::filesystem::path script = flow_path.parent_path() / script_name;
  std::error_code ec;
  const bool exists = std::filesystem::exists(script, ec);
  if (exists && !opts.append) {
    std::cerr << "parley scaffold: " << script.string()
              << " exists and is never overwritten; --append adds the " << stubs << " missing stub"
              << (stubs == 1 ? "" : "s") << " at its end\n";
    return kExitFailure;
  }
  const std::string flow_file = flow_path.filename().string();
  std::string text = ScaffoldStubs(r.missing_handlers, flow_file, !exists);
  if (exists) {
    text = "\n-- Added by `parley scaffold --append` for " + flow_file + ":\n" + text;
  }
  std::ofstream out(script, std::ios::binary | std::ios::app);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "parley scaffold: cannot write " << script.string() << "\n";
    return kExitFailure;
  }
  std::cout << (exists ? "appended to " : "wrote ") << script.string() << ": " << stubs << " stub"
            << (stubs == 1 ? "" : "s") << " (" << conditions << " condition"
            << (conditions == 1 ? "" : "s") << " returning false, " << stubs - conditions
            << " action" << (stubs - conditions == 1 ? "" : "s") << " doing nothing)\n";
  if (r.script_name.empty()) {
    std::cout << "add \"script\": \"" << script_name << "\" to " << flow_file
              << " so that the flow uses it\n";
  }
  std::cout << "next: write each stub, then `parley check " << opts.flow << "`\n";
  return kExitOk;
}

}  // namespace

void AddScaffoldCommand(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<ScaffoldOptions>();
  CLI::App* cmd = app.add_subcommand(
      "scaffold", "Write the flow's Lua script with a stub for every handler it lacks");
  cmd->add_option("FLOW", opts->flow, "Flow file (.json)")->required();
  cmd->add_flag("--append", opts->append,
                "Add the missing stubs at the end of an existing script (never overwritten)");
  cmd->callback([opts, &exit_code] { exit_code = RunScaffold(*opts); });
}

}  // namespace parley::app
