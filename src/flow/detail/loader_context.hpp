// Shared state of one Compile() call: diagnostics, the resolved script, named sections and
// what the validator learns along the way. Internal to the loader.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

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

  void Error(std::string path, const json::Value& at, std::string message) {
    Add(Diagnostic::Severity::kError, std::move(path), at.pos(), std::move(message));
  }
  void Warning(std::string path, json::Pos pos, std::string message) {
    Add(Diagnostic::Severity::kWarning, std::move(path), pos, std::move(message));
  }
  void Add(Diagnostic::Severity severity, std::string path, json::Pos pos, std::string message) {
    diagnostics_.push_back({severity, std::move(path), pos, std::move(message)});
  }
  std::vector<Diagnostic>& diagnostics() { return diagnostics_; }
  bool has_errors() const;

  // The flow's script, if any (set once the document's "script" key has been handled).
  std::shared_ptr<const ScriptHost> script;
  // The document's "conditions" and "actions" sections (objects), or null.
  const json::Value* conditions_section = nullptr;
  const json::Value* actions_section = nullptr;

  // Memoized named conditions/actions from the sections; `compiling_*` detects cycles.
  std::map<std::string, std::optional<Condition>, std::less<>> named_conditions;
  std::map<std::string, std::optional<ActionList>, std::less<>> named_actions;
  std::set<std::string, std::less<>> compiling_conditions;
  std::set<std::string, std::less<>> compiling_actions;

  // For the "template variable never set" warning. A Lua or C++ action can set anything,
  // so `opaque_actions` disables the warning.
  std::set<std::string, std::less<>> variables_set;
  std::vector<TemplateUse> template_uses;
  bool opaque_actions = false;

 private:
  const CompileOptions& options_;
  bool document_form_;
  std::vector<Diagnostic> diagnostics_;
};

// JSON path helpers: Child("states[0]", "condition") == "states[0].condition";
// Index("states[0].states", 1) == "states[0].states[1]"; a root path of "" gives "condition"
// and "[1]".
std::string Child(const std::string& path, std::string_view key);
std::string Index(const std::string& path, size_t i);

// Type-checking helpers: each records an error ("expected a string, got number") and
// returns nullptr/false when `v` has the wrong type.
const std::string* ExpectString(LoaderContext& cx, const json::Value& v, const std::string& path);
bool ExpectType(LoaderContext& cx, const json::Value& v, json::Type type, const std::string& path);

// "unknown key 'x' (did you mean 'y'?)" style suffix; "" when nothing is close.
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates);

// Compiles a condition spec: a name, or an object with one built-in key. nullopt after
// recording errors.
std::optional<Condition> CompileCondition(LoaderContext& cx, const json::Value& spec,
                                          const std::string& path);

// Compiles an action spec: a name, an object with one built-in key, or an array of those.
std::optional<ActionList> CompileActions(LoaderContext& cx, const json::Value& spec,
                                         const std::string& path);

}  // namespace parley::flow::detail
