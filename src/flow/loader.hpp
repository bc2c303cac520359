// Loading and validating flow files: JSON text in, a compiled Flow and every diagnostic out.
//
// Pure: the loader never touches the file system. A flow's Lua script is obtained through
// CompileOptions::load_script, which the caller implements (the CLI and the server read the
// file beside the flow and start a sandbox).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "common/status.hpp"
#include "flow/handlers.hpp"
#include "flow/model.hpp"

namespace parley::flow {

struct Diagnostic {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  std::string path;     // JSON path: "states[0].states[1].condition"; "" for the document
  json::Pos pos;        // line:column of the value at `path`; {0,0} if none
  std::string message;  // "unknown condition 'is_user_reply_yse' (did you mean ...?)"
  bool is_error() const { return severity == Severity::kError; }
};

// "file:12:5: error: states[0].condition: unknown condition 'x'"
std::string FormatDiagnostic(const Diagnostic& d, std::string_view file_name);

struct CompileOptions {
  // Used when the document has no "flow" key.
  std::string default_id = "flow";
  // Copied into Flow::revision (the caller's hash of the file).
  std::string revision;
  // Resolves a script name to a loaded script. Called at most once, with the document's
  // "script" value, or with `default_script` for a tree-form file when that is set, and the
  // flow's "limits" (script_timeout for the script's calls). For the default script,
  // NotFound means "there is none" and is not an error.
  std::function<Result<std::shared_ptr<const ScriptHost>>(std::string_view name,
                                                          const EventLimits& limits)>
      load_script;
  std::string default_script;                 // "lima.lua" for "lima.json"
  const HandlerRegistry* registry = nullptr;  // must outlive every Flow compiled with it
};

struct CompileResult {
  std::shared_ptr<const Flow> flow;     // null when there is any error
  std::vector<Diagnostic> diagnostics;  // errors first, each group in file order
  size_t error_count() const;
  size_t warning_count() const;
};

CompileResult Compile(std::string_view json_text, const CompileOptions& options = {});

}  // namespace parley::flow
