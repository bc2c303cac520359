#include "flow/limits.hpp"

namespace parley::flow {

namespace {

constexpr std::string_view kPrefix = "event limit exceeded: ";
constexpr EventLimit kAll[] = {EventLimit::kSends, EventLimit::kTimers, EventLimit::kMessageChars,
                               EventLimit::kVarsBytes};

}  // namespace

std::string_view EventLimitKey(EventLimit limit) {
  switch (limit) {
    case EventLimit::kSends:
      return "sends_per_event";
    case EventLimit::kTimers:
      return "timers_per_event";
    case EventLimit::kMessageChars:
      return "message_chars";
    case EventLimit::kVarsBytes:
      return "vars_bytes";
  }
  return "";
}

std::string_view EventLimitLabel(EventLimit limit) {
  switch (limit) {
    case EventLimit::kSends:
      return "sends";
    case EventLimit::kTimers:
      return "timers";
    case EventLimit::kMessageChars:
      return "message_chars";
    case EventLimit::kVarsBytes:
      return "vars_bytes";
  }
  return "";
}

int64_t EventLimitValue(const EventLimits& limits, EventLimit limit) {
  switch (limit) {
    case EventLimit::kSends:
      return limits.sends_per_event;
    case EventLimit::kTimers:
      return limits.timers_per_event;
    case EventLimit::kMessageChars:
      return limits.message_chars;
    case EventLimit::kVarsBytes:
      return limits.vars_bytes;
  }
  return 0;
}

Status EventLimitExceeded(EventLimit limit, int64_t value, std::string_view flow_id,
                          std::string_view state, std::string_view detail) {
  std::string m(kPrefix);
  m += EventLimitKey(limit);
  m += " is " + std::to_string(value) + " (flow '" + std::string(flow_id) + "', state '" +
       std::string(state) + "'): " + std::string(detail) +
       "; the event failed and the session is unchanged";
  return Status::ResourceExhausted(std::move(m));
}

std::optional<EventLimit> ExceededEventLimit(const Status& status) {
  if (status.code() != StatusCode::kResourceExhausted ||
      !std::string_view(status.message()).starts_with(kPrefix)) {
    return std::nullopt;
  }
  const std::string_view rest = std::string_view(status.message()).substr(kPrefix.size());
  for (const EventLimit limit : kAll) {
    const std::string_view key = EventLimitKey(limit);
    if (rest.starts_with(key) && rest.substr(key.size()).starts_with(" is ")) {
      return limit;
    }
  }
  return std::nullopt;
}

int64_t CountChars(std::string_view text) {
  int64_t n = 0;
  for (const char c : text) {
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  }
  return n;
}

}  // namespace parley::flow
