#include "flow/detail/loader_context.hpp"

#include <algorithm>

#include "common/strings.hpp"

namespace parley::flow::detail {

bool LoaderContext::has_errors() const {
  return std::any_of(diagnostics_.begin(), diagnostics_.end(),
                     [](const Diagnostic& d) { return d.is_error(); });
}

namespace {

std::optional<json::TapeValue> FindIn(
    const std::unordered_map<std::string_view, json::TapeValue>& definitions,
    std::string_view name) {
  const auto it = definitions.find(name);
  return it == definitions.end() ? std::nullopt : std::optional<json::TapeValue>(it->second);
}

}  // namespace

void LoaderContext::SetSections(std::optional<json::TapeValue> conditions,
                                std::optional<json::TapeValue> actions) {
  conditions_section = conditions;
  actions_section = actions;
  for (const auto& [section, definitions] :
       {std::pair(conditions, &condition_definitions_), std::pair(actions, &action_definitions_)}) {
    if (section) {
      for (const auto& [name, spec] : section->members()) {
        definitions->emplace(name, spec);  // keeps the first of a duplicated name
      }
    }
  }
}

std::optional<json::TapeValue> LoaderContext::FindCondition(std::string_view name) const {
  return FindIn(condition_definitions_, name);
}

std::optional<json::TapeValue> LoaderContext::FindAction(std::string_view name) const {
  return FindIn(action_definitions_, name);
}

bool LoaderContext::CheckNesting(const JsonPath& path, json::TapeValue at, std::string_view kind,
                                 std::string_view name) {
  if (nesting < kMaxNesting) {
    return true;
  }
  Error(path, at,
        std::string(kind) + " '" + std::string(name) + "' nests too deeply: with the definitions " +
            "they use, conditions and actions may nest at most " + std::to_string(kMaxNesting) +
            " levels");
  return false;
}

bool LoaderContext::AddCopies(size_t copies, const JsonPath& path, json::TapeValue at,
                              std::string_view kind, std::string_view name) {
  copies_ += copies;
  if (copies_ <= kMaxCopies) {
    return true;
  }
  if (!too_many_copies_) {
    too_many_copies_ = true;
    Error(path, at,
          std::string(kind) + " '" + std::string(name) + "' is copied too often: definitions " +
              "are copied where they are used, at most " + std::to_string(kMaxCopies) +
              " conditions and actions in all");
  }
  return false;
}

std::optional<std::string_view> ExpectString(LoaderContext& cx, json::TapeValue v,
                                             const JsonPath& path) {
  if (!v.is_string()) {
    cx.Error(path, v, std::string("expected a string, got ") + json::TypeName(v.type()));
    return std::nullopt;
  }
  return v.as_string();
}

bool ExpectType(LoaderContext& cx, json::TapeValue v, json::Type type, const JsonPath& path) {
  if (v.type() != type) {
    cx.Error(path, v,
             std::string("expected ") +
                 (type == json::Type::kArray || type == json::Type::kObject ? "an " : "a ") +
                 json::TypeName(type) + ", got " + json::TypeName(v.type()));
    return false;
  }
  return true;
}

std::string Suggest(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string best = ClosestMatch(word, candidates);
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

}  // namespace parley::flow::detail
