// Flow files on disk: read, hash, compile, with the Lua script beside them. The only place
// in the CLI that turns paths into flows.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.hpp"
#include "flow/loader.hpp"

namespace parley::app {

// How flow scripts run. The CLI tools (check, chat, test, graph) keep the defaults: no
// wall-clock deadline, so their results never depend on how busy the machine is; the
// server sets a clock (docs/configuration.md, PARLEY_SCRIPT_TIMEOUT).
struct ScriptSettings {
  const Clock* clock = nullptr;  // set: every handler call gets a deadline; must outlive flows
  Duration timeout = std::chrono::milliseconds(100);  // a flow's limits.script_timeout_ms wins
};

// A script file a flow read while compiling, and ContentRevision of the bytes it read
// ("unreadable" when it could not): a reload compares them to see a script-only change.
struct ScriptRead {
  std::string path;
  std::string revision;
};

struct LoadedFlow {
  std::string path;            // as given
  flow::CompileResult result;  // diagnostics; result.flow null on any error
  std::vector<ScriptRead> scripts;
};

// The FNV-1a 64-bit hash of `bytes`, in hex: a flow file's revision.
std::string ContentRevision(std::string_view bytes);

// Reads and compiles `path`. A missing or unreadable file is reported as a diagnostic at
// the document ("cannot read ...: No such file or directory"), like any other error.
// The revision is ContentRevision of the file's bytes.
LoadedFlow LoadFlowFile(const std::string& path, const flow::HandlerRegistry* registry = nullptr,
                        const ScriptSettings& scripts = {});
// Compiles `text`, read from `path` (which names the flow and locates its script).
LoadedFlow CompileFlowText(const std::string& path, std::string_view text,
                           const flow::HandlerRegistry* registry = nullptr,
                           const ScriptSettings& scripts = {});

// Writes every diagnostic as "file:line:col: error: path: message", one per line.
void PrintDiagnostics(const LoadedFlow& flow, std::ostream& out);

// Reads a whole file; NotFound / Unavailable with the OS error otherwise.
Result<std::string> ReadFile(const std::string& path);

}  // namespace parley::app
