#include "flow/detail/limits_loader.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace parley::flow::detail {

namespace {

// Above this a double no longer holds every integer exactly; no cap needs more.
constexpr double kMaxLimit = 9007199254740991.0;  // 2^53 - 1

struct LimitKey {
  std::string_view name;
  int64_t EventLimits::*field;
};
constexpr LimitKey kLimitKeys[] = {
    {"script_timeout_ms", nullptr},  // not a count: read by ReadScriptTimeout
    {"sends_per_event", &EventLimits::sends_per_event},
    {"timers_per_event", &EventLimits::timers_per_event},
    {"message_chars", &EventLimits::message_chars},
    {"vars_bytes", &EventLimits::vars_bytes},
};

constexpr double kMaxScriptTimeoutMs = 10'000;  // the server's budget for a whole event

void ReadScriptTimeout(LoaderContext& cx, const JsonPath& path, json::TapeValue v,
                       EventLimits& limits) {
  const double n = v.is_number() ? v.as_number() : 0;
  if (!v.is_number() || !(n >= 1 && n <= kMaxScriptTimeoutMs) ||
      n != static_cast<double>(static_cast<int>(n))) {
    cx.Error(path, v, "script_timeout_ms must be a whole number of milliseconds from 1 to 10000");
    return;
  }
  limits.script_timeout = std::chrono::milliseconds(static_cast<int>(n));
}

}  // namespace

void ReadLimits(LoaderContext& cx, json::TapeValue value, EventLimits& limits) {
  if (!ExpectType(cx, value, json::Type::kObject, "limits")) {
    return;
  }
  const JsonPath path("limits");
  for (const auto& [key, v] : value.members()) {
    const std::string_view name = key;  // clang 14 cannot capture a structured binding
    const auto* known = std::find_if(std::begin(kLimitKeys), std::end(kLimitKeys),
                                     [name](const LimitKey& k) { return k.name == name; });
    if (known == std::end(kLimitKeys)) {
      std::vector<std::string> names;
      for (const LimitKey& k : kLimitKeys) {
        names.emplace_back(k.name);
      }
      cx.Error(path.Child(key), v,
               "unknown limit '" + std::string(key) + "'" + Suggest(key, names));
      continue;
    }
    if (known->field == nullptr) {
      ReadScriptTimeout(cx, path.Child(key), v, limits);
      continue;
    }
    const double n = v.is_number() ? v.as_number() : 0;
    // Range first: converting a double out of int64's range is undefined.
    if (!v.is_number() || !(n >= 1 && n <= kMaxLimit) ||
        n != static_cast<double>(static_cast<int64_t>(n))) {
      cx.Error(path.Child(key), v, "'" + std::string(key) + "' must be a positive integer");
      continue;
    }
    limits.*(known->field) = static_cast<int64_t>(n);
  }
}

}  // namespace parley::flow::detail
