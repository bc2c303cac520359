// Per-event caps: what one event (one Step) may produce. A hostile or buggy flow (a Lua loop,
// a huge template) must not turn one inbound message into thousands of outbound rows, timers,
// a megabyte message or an unbounded session (docs/flow-format.md, "Limits").
//
// The engine enforces them (so `parley chat`/`test` and the server behave alike): exceeding
// one fails the event like a handler error, with a kResourceExhausted Status that names the
// cap, its value, the flow and the state; the caller keeps the previous session.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace parley::flow {

// A flow's caps and its handlers' deadline; the defaults apply unless the flow's top-level "limits"
// object sets them.
struct EventLimits {
  int64_t sends_per_event = 10;    // SendEffects per event
  int64_t timers_per_event = 10;   // timer sets per event (and, separately, cancels)
  int64_t message_chars = 16'000;  // code points per message: 1,600 x 10 segments
  int64_t vars_bytes = 64 * 1024;  // the session's variables, serialized as JSON
  // A handler call's wall-clock deadline ("script_timeout_ms"); unset: the server's default
  // (PARLEY_SCRIPT_TIMEOUT). The script host enforces it, not the engine.
  std::optional<std::chrono::milliseconds> script_timeout;
  friend bool operator==(const EventLimits&, const EventLimits&) = default;
};

enum class EventLimit { kSends, kTimers, kMessageChars, kVarsBytes };

// The key in the flow's "limits" object: "sends_per_event", ...
std::string_view EventLimitKey(EventLimit limit);
// The metric label: "sends", "timers", "message_chars", "vars_bytes".
std::string_view EventLimitLabel(EventLimit limit);
int64_t EventLimitValue(const EventLimits& limits, EventLimit limit);

// kResourceExhausted: "event limit exceeded: sends_per_event is 10 (flow 'f', state 's'): ..."
Status EventLimitExceeded(EventLimit limit, int64_t value, std::string_view flow_id,
                          std::string_view state, std::string_view detail);
// Which cap a Status from Step reports, or nullopt when it is not a limit error.
std::optional<EventLimit> ExceededEventLimit(const Status& status);

// Code points in well-formed or not UTF-8 (every byte that does not continue a sequence).
int64_t CountChars(std::string_view text);

}  // namespace parley::flow
