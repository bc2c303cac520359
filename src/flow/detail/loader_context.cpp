#include "flow/detail/loader_context.hpp"

#include <algorithm>

#include "common/strings.hpp"

namespace parley::flow::detail {

bool LoaderContext::has_errors() const {
  return std::any_of(diagnostics_.begin(), diagnostics_.end(),
                     [](const Diagnostic& d) { return d.is_error(); });
}

std::string Child(const std::string& path, std::string_view key) {
  if (path.empty()) {
    return std::string(key);
  }
  std::string out = path;
  out += '.';
  out += key;
  return out;
}

std::string Index(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

const std::string* ExpectString(LoaderContext& cx, const json::Value& v, const std::string& path) {
  if (!v.is_string()) {
    cx.Error(path, v, std::string("expected a string, got ") + json::TypeName(v.type()));
    return nullptr;
  }
  return &v.as_string();
}

bool ExpectType(LoaderContext& cx, const json::Value& v, json::Type type, const std::string& path) {
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
