#include "flow/detail/loader_context.hpp"

#include <algorithm>

#include "common/strings.hpp"

namespace parley::flow::detail {

bool LoaderContext::has_errors() const {
  return std::any_of(diagnostics_.begin(), diagnostics_.end(),
                     [](const Diagnostic& d) { return d.is_error(); });
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
