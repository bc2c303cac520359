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
  std::string default_script;  // "lima.lua" for "lima.json"
  // The flow file as the user named it ("flows/bgcheck.json"), for the hints of diagnostics
  // ("bgcheck.lua beside bgcheck.json: not found", "parley scaffold flows/bgcheck.json").
  std::string source_path;
  const HandlerRegistry* registry = nullptr;  // must outlive every Flow compiled with it
};

// A handler name the flow uses that nothing defines (no section entry, script function,
// C++ handler or built-in): what `parley scaffold` writes a stub for.
struct MissingHandler {
  struct Use {
    std::string path;  // JSON path of the name: "[0].states[1].condition"
    json::Pos pos;
  };
  std::string name;
  bool as_condition = false;
  bool as_action = false;
  bool local_in_script = false;  // the script defines it, but as a `local function`
  std::string suggestion;        // a defined name close to it, or ""
  std::vector<Use> uses;         // in file order
};

// What became of the flow's script: none named (and no tree-form default), loaded, not
// found (the tree form's default script), or failed (not found when named, a syntax or
// runtime error, a path outside the folder).
enum class ScriptOutcome { kNone, kLoaded, kNotFound, kFailed };

struct CompileResult {
  std::shared_ptr<const Flow> flow;     // null when there is any error
  std::vector<Diagnostic> diagnostics;  // errors first, each group in file order
  // The script the flow names, or the tree form's default ("lima.lua"); "" if neither.
  std::string script_name;
  ScriptOutcome script_outcome = ScriptOutcome::kNone;
  // Names nothing defines, in order of first use. Empty when the script failed to load:
  // which names it would define is unknown, so only its error is reported. In the tree form
  // they are one diagnostic listing every name and its uses; in the document form each use
  // is an error with a suggestion (a typo, more likely).
  std::vector<MissingHandler> missing_handlers;
  size_t error_count() const;
  size_t warning_count() const;
};

CompileResult Compile(std::string_view json_text, const CompileOptions& options = {});

}  // namespace parley::flow
