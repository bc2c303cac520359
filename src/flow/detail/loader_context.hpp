// Shared state of one Compile() call: diagnostics, the resolved script, named sections and
// what the validator learns along the way. Internal to the loader.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "flow/detail/json_path.hpp"
#include "flow/json_tape.hpp"
#include "flow/loader.hpp"

namespace parley::flow::detail {

// A placeholder used by a template, remembered for the "never set" warning.
struct TemplateUse {
  std::string variable;  // the root name: "name" for {{name}} and {{name.first}}
  std::string path;
  json::Pos pos;
};

class LoaderContext {
 public:
  LoaderContext(const CompileOptions& options, bool document_form)
      : options_(options), document_form_(document_form) {}

  const CompileOptions& options() const { return options_; }
  bool document_form() const { return document_form_; }

  // Paths and positions are spelled out here, only for the diagnostics there are.
  void Error(const JsonPath& path, json::TapeValue at, std::string message) {
    Add(Diagnostic::Severity::kError, path.str(), at.pos(), std::move(message));
  }
  void Error(const JsonPath& path, json::Pos pos, std::string message) {
    Add(Diagnostic::Severity::kError, path.str(), pos, std::move(message));
  }
  void Warning(const JsonPath& path, json::Pos pos, std::string message) {
    Add(Diagnostic::Severity::kWarning, path.str(), pos, std::move(message));
  }
  void Add(Diagnostic::Severity severity, std::string path, json::Pos pos, std::string message) {
    diagnostics_.push_back({severity, std::move(path), pos, std::move(message)});
  }
  std::vector<Diagnostic>& diagnostics() { return diagnostics_; }
  bool has_errors() const;

  // The flow's script, if any (set once the document's "script" key has been handled).
  std::shared_ptr<const ScriptHost> script;
  // The document's "conditions" and "actions" sections (objects), if any.
  std::optional<json::TapeValue> conditions_section;
  std::optional<json::TapeValue> actions_section;

  // Memoized named conditions/actions from the sections; `compiling_*` detects cycles.
  std::map<std::string, std::optional<Condition>, std::less<>> named_conditions;
  std::map<std::string, std::optional<ActionList>, std::less<>> named_actions;
  std::set<std::string, std::less<>> compiling_conditions;
  std::set<std::string, std::less<>> compiling_actions;

  // For the "template variable never set" warning. A Lua or C++ action can set anything,
  // so `opaque_actions` disables the warning. Only uses of variables that were not set yet
  // when the template was compiled are kept: the others can never warn.
  std::set<std::string, std::less<>> variables_set;
  std::vector<TemplateUse> template_uses;
  bool opaque_actions = false;

 private:
  const CompileOptions& options_;
  bool document_form_;
  std::vector<Diagnostic> diagnostics_;
};

// Type-checking helpers: each records an error ("expected a string, got number") and
// returns nullopt/false when `v` has the wrong type.
std::optional<std::string_view> ExpectString(LoaderContext& cx, json::TapeValue v,
                                             const JsonPath& path);
bool ExpectType(LoaderContext& cx, json::TapeValue v, json::Type type, const JsonPath& path);

// "unknown key 'x' (did you mean 'y'?)" style suffix; "" when nothing is close.
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates);

// Compiles a condition spec: a name, or an object with one built-in key. nullopt after
// recording errors.
std::optional<Condition> CompileCondition(LoaderContext& cx, json::TapeValue spec,
                                          const JsonPath& path);

// Compiles an action spec: a name, an object with one built-in key, or an array of those.
std::optional<ActionList> CompileActions(LoaderContext& cx, json::TapeValue spec,
                                         const JsonPath& path);

}  // namespace parley::flow::detail
