// Handler names that nothing defines. A LIMA flow ported without its Python handlers names
// dozens of them, each several times: one error per use (60 for a real 22-state flow) buries
// the one fact that matters, so in the tree form (whose handlers all come from the script
// beside it) they become one diagnostic: which script was looked for, every missing name
// with where it is used, and the `parley scaffold` command that writes the stubs.
#include <algorithm>

#include "common/strings.hpp"
#include "flow/detail/loader_context.hpp"

namespace parley::flow::detail {

namespace {

// At most this many uses are listed per name; the rest are counted.
constexpr size_t kUsesListed = 8;

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string Where(const json::Pos& pos) {
  return std::to_string(pos.line) + ":" + std::to_string(pos.col);
}

std::string Kind(const MissingHandler& m) {
  if (m.as_condition && m.as_action) {
    return "condition and action";
  }
  return m.as_condition ? "condition" : "action";
}

std::string Describe(const MissingHandler& m) {
  std::string line = "  " + m.name + " (" + Kind(m) + ") at ";
  for (size_t i = 0; i < m.uses.size() && i < kUsesListed; ++i) {
    line += (i == 0 ? "" : ", ") + Where(m.uses[i].pos);
  }
  if (m.uses.size() > kUsesListed) {
    line += " and " + std::to_string(m.uses.size() - kUsesListed) + " more";
  }
  if (m.local_in_script) {
    line += ": defined as a local function; make it global";
  } else if (!m.suggestion.empty()) {
    line += " (did you mean '" + m.suggestion + "'?)";
  }
  return line;
}

}  // namespace

void LoaderContext::UnknownHandler(bool condition, std::string_view name, const JsonPath& path,
                                   json::TapeValue at,
                                   const std::function<std::vector<std::string>()>& candidates) {
  if (script_outcome == ScriptOutcome::kFailed) {
    return;  // the script's own error says why; its names are unknown
  }
  const bool grouped = GroupsMissingHandlers();
  if (!grouped) {
    const bool local = script != nullptr && script->HasLocalFunction(name);
    Error(path, at,
          std::string(condition ? "unknown condition '" : "unknown action '") + std::string(name) +
              "'" +
              (local ? ": " + script_name + " defines it as a local function; make it global"
                     : Suggest(name, candidates())));
  }
  auto [it, added] = missing_index_.try_emplace(std::string(name), missing_handlers.size());
  if (added) {
    MissingHandler m;
    m.name = std::string(name);
    m.local_in_script = script != nullptr && script->HasLocalFunction(name);
    m.suggestion = grouped ? ClosestMatch(name, candidates()) : "";
    missing_handlers.push_back(std::move(m));
  }
  MissingHandler& m = missing_handlers[it->second];
  (condition ? m.as_condition : m.as_action) = true;
  m.uses.push_back({path.str(), at.pos()});
}

void LoaderContext::ReportMissingHandlers() {
  if (missing_handlers.empty()) {
    return;
  }
  // Definitions compile when first used, so uses are not quite in file order.
  for (MissingHandler& m : missing_handlers) {
    std::stable_sort(m.uses.begin(), m.uses.end(), [](const auto& a, const auto& b) {
      return a.pos.line != b.pos.line ? a.pos.line < b.pos.line : a.pos.col < b.pos.col;
    });
  }
  std::stable_sort(missing_handlers.begin(), missing_handlers.end(),
                   [](const MissingHandler& a, const MissingHandler& b) {
                     const json::Pos& x = a.uses.front().pos;
                     const json::Pos& y = b.uses.front().pos;
                     return x.line != y.line ? x.line < y.line : x.col < y.col;
                   });
  if (!GroupsMissingHandlers()) {
    return;  // each use was an error of its own
  }
  const size_t n = missing_handlers.size();
  const std::string count =
      std::to_string(n) + (n == 1 ? " handler the flow uses is" : " handlers the flow uses are");
  const std::string flow_file =
      options_.source_path.empty() ? "the flow" : std::string(BaseName(options_.source_path));
  const std::string command =
      "parley scaffold " + (options_.source_path.empty() ? "FLOW.json" : options_.source_path);
  std::string message;
  std::string hint;
  switch (script_outcome) {
    case ScriptOutcome::kNotFound:
      message = count + " not defined (" + script_name + " beside " + flow_file + ": not found)";
      hint = "`" + command + "` writes " + script_name + " with a stub for each";
      break;
    case ScriptOutcome::kLoaded:
      message = count + " not defined in " + script_name;
      if (std::any_of(missing_handlers.begin(), missing_handlers.end(),
                      [](const MissingHandler& m) { return !m.local_in_script; })) {
        hint = "`" + command + " --append` adds a stub for each at the end of " + script_name;
      }
      break;
    default:
      message = count + " not defined (no script was loaded)";
      break;
  }
  message += ":";
  for (const MissingHandler& m : missing_handlers) {
    message += "\n" + Describe(m);
  }
  if (!hint.empty()) {
    message += "\n" + hint;
  }
  Add(Diagnostic::Severity::kError, "", missing_handlers.front().uses.front().pos,
      std::move(message));
}

}  // namespace parley::flow::detail
