// The flow loader: JSON text -> compiled Flow + diagnostics.
//
// The text is parsed into a json::Tape, and everything is compiled from it: no DOM, and JSON
// paths are spelled out only for diagnostics and edges. This file reads the document around
// the state tree; the passes over the tree (collect every node, define states, compile
// conditions/actions straight into edges) are detail/tree_builder.cpp. Validation warnings
// run on the result (validate.cpp). Every problem is reported; nothing stops at the first.
#include "flow/loader.hpp"

#include <algorithm>
#include <limits>

#include "common/json_tape.hpp"
#include "flow/detail/limits_loader.hpp"
#include "flow/detail/loader_context.hpp"
#include "flow/detail/tree_builder.hpp"
#include "flow/detail/validate.hpp"
#include "flow/text.hpp"

namespace parley::flow {

namespace {

using detail::ExpectString;
using detail::ExpectType;
using detail::JsonPath;
using detail::LoaderContext;
using detail::Suggest;
using json::TapeValue;

const std::vector<std::string> kDocumentKeys = {
    "flow",     "version",  "start", "script",      "conditions",   "actions",          "otherwise",
    "states",   "triggers", "tz",    "description", "expire_after", "on_missing_state", "limits",
    "on_expire"};

// Reads the document form's top-level keys (everything but "states").
void ReadDocument(LoaderContext& cx, TapeValue doc, Flow& flow) {
  for (const auto& [key, value] : doc.members()) {
    if (std::find(kDocumentKeys.begin(), kDocumentKeys.end(), key) == kDocumentKeys.end()) {
      cx.Error(key, value, "unknown key '" + std::string(key) + "'" + Suggest(key, kDocumentKeys));
    }
  }
  if (const auto id = doc.Find("flow")) {
    if (const auto s = ExpectString(cx, *id, "flow")) {
      if (s->empty()) {
        cx.Error("flow", *id, "flow id is empty");
      }
      flow.id = *s;
    }
  }
  if (const auto version = doc.Find("version")) {
    // Range first: converting a double out of int's range is undefined.
    const double v = version->is_number() ? version->as_number() : 0;
    if (!version->is_number() || v < 1 || v > std::numeric_limits<int>::max() ||
        v != static_cast<int>(v)) {
      cx.Error("version", *version, "version must be a positive integer");
    } else {
      flow.version = static_cast<int>(v);
    }
  }
  std::optional<TapeValue> sections[2];
  for (int i = 0; i < 2; ++i) {
    const char* name = i == 0 ? "conditions" : "actions";
    if (const auto v = doc.Find(name); v && ExpectType(cx, *v, json::Type::kObject, name)) {
      sections[i] = v;
    }
  }
  cx.SetSections(sections[0], sections[1]);
  if (const auto tz = doc.Find("tz")) {
    if (const auto s = ExpectString(cx, *tz, "tz")) {
      if (!IsValidTimeZone(*s)) {
        cx.Error(
            "tz", *tz,
            "unknown time zone '" + std::string(*s) + "' (use an IANA id such as America/Lima)");
      }
      flow.time_zone = *s;
    }
  }
  if (const auto expire = doc.Find("expire_after")) {
    if (const auto s = ExpectString(cx, *expire, "expire_after")) {
      auto d = ParseDuration(*s);
      if (d.ok()) {
        flow.expire_after = *d;
      } else {
        cx.Error("expire_after", *expire, d.status().message());
      }
    }
  }
  if (const auto triggers = doc.Find("triggers")) {
    if (ExpectType(cx, *triggers, json::Type::kArray, "triggers")) {
      const JsonPath path("triggers");
      size_t i = 0;
      for (const TapeValue t : triggers->elements()) {
        const JsonPath item_path = path.Index(i++);
        if (const auto s = ExpectString(cx, t, item_path)) {
          std::string keyword = NormalizeReply(*s);
          if (keyword.empty()) {
            cx.Error(item_path, t, "trigger keyword is empty");
          } else {
            flow.triggers.push_back(std::move(keyword));
          }
        }
      }
    }
  }
  if (const auto d = doc.Find("description")) {
    ExpectString(cx, *d, "description");
  }
  if (const auto limits = doc.Find("limits")) {
    detail::ReadLimits(cx, *limits, flow.limits);
  }
}

// Loads the flow's script: the document's "script", or the tree form's default.
void LoadScript(LoaderContext& cx, std::optional<TapeValue> script_key, const EventLimits& limits) {
  const CompileOptions& options = cx.options();
  std::string name;
  if (script_key) {
    const auto s = ExpectString(cx, *script_key, "script");
    if (!s) {
      cx.script_outcome = ScriptOutcome::kFailed;
      return;
    }
    name = *s;
  } else if (!cx.document_form()) {
    name = options.default_script;
  }
  if (name.empty()) {
    return;
  }
  cx.script_name = name;
  if (!options.load_script) {
    if (script_key) {
      cx.script_outcome = ScriptOutcome::kFailed;
      cx.Error("script", *script_key, "this program cannot load scripts ('" + name + "')");
    }
    return;
  }
  auto loaded = options.load_script(name, limits);
  if (loaded.ok()) {
    cx.script = std::move(loaded).value();
    cx.script_outcome = ScriptOutcome::kLoaded;
    return;
  }
  if (!script_key && loaded.status().code() == StatusCode::kNotFound) {
    // A tree-form flow without a script beside it: fine if it uses built-ins only.
    cx.script_outcome = ScriptOutcome::kNotFound;
    return;
  }
  cx.script_outcome = ScriptOutcome::kFailed;
  // A Lua error already starts with the script's name and line ("lima.lua:3: ...").
  const std::string& error = loaded.status().message();
  cx.Error("script", script_key ? script_key->pos() : json::Pos{},
           error.starts_with(name + ":") ? error : "script '" + name + "': " + error);
}

// Compiles section entries that no node used, so that their errors are reported too.
void CompileUnusedSections(LoaderContext& cx) {
  if (cx.conditions_section) {
    for (const auto& [name, spec] : cx.conditions_section->members()) {
      if (!cx.named_conditions.contains(name)) {
        cx.named_conditions.emplace(
            name, detail::CompileCondition(cx, spec, JsonPath("conditions").Child(name)));
      }
    }
  }
  if (cx.actions_section) {
    for (const auto& [name, spec] : cx.actions_section->members()) {
      if (!cx.named_actions.contains(name)) {
        cx.named_actions.emplace(name,
                                 detail::CompileActions(cx, spec, JsonPath("actions").Child(name)));
      }
    }
  }
}

void SortDiagnostics(std::vector<Diagnostic>& diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if (a.is_error() != b.is_error()) {
                       return a.is_error();
                     }
                     if (a.pos.line != b.pos.line) {
                       return a.pos.line < b.pos.line;
                     }
                     return a.pos.col < b.pos.col;
                   });
}

}  // namespace

size_t CompileResult::error_count() const {
  return static_cast<size_t>(std::count_if(diagnostics.begin(), diagnostics.end(),
                                           [](const Diagnostic& d) { return d.is_error(); }));
}

size_t CompileResult::warning_count() const { return diagnostics.size() - error_count(); }

std::string FormatDiagnostic(const Diagnostic& d, std::string_view file_name) {
  std::string out(file_name);
  if (d.pos.line > 0) {
    out += ":" + std::to_string(d.pos.line) + ":" + std::to_string(d.pos.col);
  }
  out += d.is_error() ? ": error: " : ": warning: ";
  if (!d.path.empty()) {
    out += d.path + ": ";
  }
  out += d.message;
  return out;
}

CompileResult Compile(std::string_view json_text, const CompileOptions& options) {
  CompileResult result;
  json::Pos error_pos;
  const auto tape = json::Tape::Parse(json_text, &error_pos);
  if (!tape.ok()) {
    std::string message = tape.status().message();
    message.erase(0, message.find(": ") + 2);  // the position is in `pos`
    result.diagnostics.push_back(
        {Diagnostic::Severity::kError, "", error_pos, "malformed JSON: " + message});
    return result;
  }
  const TapeValue doc = tape->root();
  const bool document_form = doc.is_object();
  LoaderContext cx(options, document_form);
  auto flow = std::make_shared<Flow>();
  flow->id = options.default_id;
  flow->revision = options.revision;

  std::optional<TapeValue> states;
  std::string_view states_path;
  if (doc.is_array()) {
    states = doc;
    LoadScript(cx, std::nullopt, flow->limits);
  } else if (document_form) {
    ReadDocument(cx, doc, *flow);
    LoadScript(cx, doc.Find("script"), flow->limits);
    states = doc.Find("states");
    states_path = "states";
    if (!states) {
      cx.Error("", doc, "missing 'states': the flow has no states");
    } else if (!ExpectType(cx, *states, json::Type::kArray, "states")) {
      states.reset();
    }
  } else {
    cx.Error("", doc,
             "a flow is a JSON array of states (tree form) or an object with \"states\" "
             "(document form)");
  }

  if (states) {
    detail::TreeBuilder builder(cx, *tape, *flow);
    builder.Build(*states, states_path, document_form ? doc.Find("start") : std::nullopt);
    if (document_form) {
      if (const auto otherwise = doc.Find("otherwise")) {
        flow->otherwise = detail::CompileActions(cx, *otherwise, "otherwise");
      }
      // Before the warnings: on_missing_state is where sessions of removed states enter,
      // so the state it names counts as reachable.
      if (const auto on_missing = doc.Find("on_missing_state")) {
        if (const auto s = ExpectString(cx, *on_missing, "on_missing_state")) {
          if (flow->FindState(*s) == nullptr) {
            cx.Error("on_missing_state", *on_missing,
                     "state '" + std::string(*s) + "' is not defined");
          }
          flow->on_missing_state = *s;
        }
      }
      if (const auto on_expire = doc.Find("on_expire")) {
        if (!doc.Find("expire_after")) {
          cx.Error("on_expire", *on_expire, "'on_expire' needs 'expire_after'");
        }
        if (auto actions = detail::CompileActions(cx, *on_expire, "on_expire")) {
          flow->on_expire = std::move(*actions);
        }
      }
    }
    CompileUnusedSections(cx);
    cx.ReportMissingHandlers();
    if (!cx.has_errors()) {
      detail::AddWarnings(cx, *flow, [&](StateId id) { return builder.OriginOf(id); });
    }
  }
  result.script_name = cx.script_name;
  result.script_outcome = cx.script_outcome;
  result.missing_handlers = std::move(cx.missing_handlers);
  result.diagnostics = std::move(cx.diagnostics());
  SortDiagnostics(result.diagnostics);
  if (result.error_count() == 0) {
    flow->script = std::move(cx.script);
    for (const Diagnostic& d : result.diagnostics) {
      flow->warnings.push_back(d.path.empty() ? d.message : d.path + ": " + d.message);
    }
    result.flow = std::move(flow);
  }
  return result;
}

}  // namespace parley::flow
