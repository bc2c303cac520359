// Shared state of one Compile() call: diagnostics, the resolved script, named sections and
// what the validator learns along the way. Internal to the loader.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/json_tape.hpp"
#include "flow/detail/json_path.hpp"
#include "flow/loader.hpp"

namespace parley::flow::detail {

// A placeholder used by a template, remembered for the "never set" warning.
struct TemplateUse {
  std::string variable;  // the root name: "name" for {{name}} and {{name.first}}
  std::string path;
  json::Pos pos;
};

// Definitions in the "conditions" and "actions" sections may use one another by name; each is
// compiled once and copied where it is used. A hostile file could chain them deeper than the
// stack allows, or make the copies grow exponentially ("a" uses "b" twice, "b" uses "c"
// twice, ...). So conditions and actions may nest at most kMaxNesting levels, counting the
// definitions they use (JSON nesting alone stays below: one value nests at most
// json::kMaxDepth levels), and at most kMaxCopies conditions and actions may be copied from
// definitions in all.
inline constexpr int kMaxNesting = 2 * json::kMaxDepth;
inline constexpr size_t kMaxCopies = size_t{1} << 20;

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

  // The bounds above, checked where definition `name` of `kind` ("condition", "action") is
  // used at `path`. Each returns false after recording an error; the error about copies is
  // recorded once.
  bool CheckNesting(const JsonPath& path, json::TapeValue at, std::string_view kind,
                    std::string_view name);
  bool AddCopies(size_t copies, const JsonPath& path, json::TapeValue at, std::string_view kind,
                 std::string_view name);
  int nesting = 0;  // CompileCondition and CompileActions calls in progress

  // The flow's script, if any (set once the document's "script" key has been handled).
  std::shared_ptr<const ScriptHost> script;
  std::string script_name;  // named or the tree form's default; "" if neither
  ScriptOutcome script_outcome = ScriptOutcome::kNone;

  // A condition or action name that nothing defines, used at `path`. `candidates` gives the
  // defined names for "(did you mean ...?)", asked once per name. Grouped into one diagnostic
  // (ReportMissingHandlers) in the tree form, whose handlers all come from the script beside
  // it; in the document form an error per use (a typo, most likely). Recorded in
  // missing_handlers either way, except when the script failed to load: its error is
  // reported alone.
  void UnknownHandler(bool condition, std::string_view name, const JsonPath& path,
                      json::TapeValue at,
                      const std::function<std::vector<std::string>()>& candidates);
  bool GroupsMissingHandlers() const { return !document_form_; }
  // Adds the grouped diagnostic, if any name is missing.
  void ReportMissingHandlers();
  std::vector<MissingHandler> missing_handlers;
  // The document's "conditions" and "actions" sections (objects), if any, and the first
  // definition of each name in them (as Find, without a walk per use).
  void SetSections(std::optional<json::TapeValue> conditions,
                   std::optional<json::TapeValue> actions);
  std::optional<json::TapeValue> conditions_section;
  std::optional<json::TapeValue> actions_section;
  std::optional<json::TapeValue> FindCondition(std::string_view name) const;
  std::optional<json::TapeValue> FindAction(std::string_view name) const;

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
  // Recurring timers set by actions (name, where), for the "no state reacts to it" warning.
  std::vector<TemplateUse> recurring_timers;

 private:
  const CompileOptions& options_;
  bool document_form_;
  std::vector<Diagnostic> diagnostics_;
  size_t copies_ = 0;
  bool too_many_copies_ = false;
  std::unordered_map<std::string_view, json::TapeValue> condition_definitions_;
  std::unordered_map<std::string_view, json::TapeValue> action_definitions_;
  std::unordered_map<std::string, size_t> missing_index_;  // name -> missing_handlers index
};

// Counts a CompileCondition or CompileActions call in LoaderContext::nesting.
class NestingScope {
 public:
  explicit NestingScope(LoaderContext& cx) : cx_(cx) { ++cx_.nesting; }
  ~NestingScope() { --cx_.nesting; }
  NestingScope(const NestingScope&) = delete;
  NestingScope& operator=(const NestingScope&) = delete;

 private:
  LoaderContext& cx_;
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
