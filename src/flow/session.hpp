// The values the engine works on: contacts, sessions, events and effects.
//
// A Session is a plain value: the engine never mutates one in place, it returns the next.
// It serializes to and from JSON for the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/json.hpp"
#include "common/status.hpp"
#include "common/time.hpp"

namespace parley::flow {

// Who the conversation is with. A snapshot handed to the engine with each event.
struct Contact {
  std::string phone;                          // E.164, "+15551234567"
  std::string channel = "sms";                // "sms" or "whatsapp"
  std::string name;                           // may be empty
  std::string time_zone;                      // IANA id; empty = the flow's or UTC
  std::map<std::string, std::string> fields;  // custom fields, {{contact.<field>}}
};

enum class SessionStatus { kActive, kCompleted, kEnded, kOptedOut, kExpired };
const char* SessionStatusName(SessionStatus s);
std::optional<SessionStatus> ParseSessionStatus(std::string_view s);

struct Session {
  std::string flow_id;
  std::string state;                  // current state name (names are stable across revisions)
  json::Value vars = json::Object{};  // always an object
  uint64_t step = 0;                  // transitions taken; timers remember it (see TimerSetEffect)
  SessionStatus status = SessionStatus::kActive;

  bool active() const { return status == SessionStatus::kActive; }
  friend bool operator==(const Session&, const Session&) = default;
};

// {"flow":"checkin","state":"ASK_NAME","vars":{...},"step":3,"status":"active"}
std::string SessionToJson(const Session& s);
Result<Session> SessionFromJson(std::string_view text);

struct Event {
  // kDeliveryFailed: a message the session sent was not delivered (Twilio's status callback
  // said failed or undelivered); docs/flow-format.md, "Delivery failures".
  enum class Kind { kStart, kMessage, kTimer, kDeliveryFailed };
  Kind kind = Kind::kMessage;
  std::string text;                // kMessage: the body (may be empty for media only)
  std::vector<std::string> media;  // kMessage: media URLs
  std::string timer;               // kTimer: the timer's name
  uint64_t timer_step = 0;         // kTimer: TimerSetEffect::step of the timer that fired
  bool timer_keep = false;         // kTimer: TimerSetEffect::keep
  std::string delivery_status;     // kDeliveryFailed: "failed" or "undelivered"
  std::string delivery_error;      // kDeliveryFailed: Twilio's ErrorCode ("30003"), may be empty
  Contact contact;

  static Event Start(Contact c = {});
  static Event Message(std::string text, Contact c = {}, std::vector<std::string> media = {});
  static Event Timer(std::string name, uint64_t step, bool keep = false, Contact c = {});
  static Event DeliveryFailed(std::string status, std::string error_code, Contact c = {});
};

struct SendEffect {
  std::string text;
  std::vector<std::string> media;
  std::string content_sid;  // WhatsApp template, empty if none
  std::map<std::string, std::string> content_variables;
  friend bool operator==(const SendEffect&, const SendEffect&) = default;
};
// A variable changed; nullopt value means unset.
struct VarEffect {
  std::string name;
  std::optional<json::Value> value;
};
// What a recurring timer (`every`, docs/flow-format.md "Timers") needs for its next
// occurrence. An `after` timer recurs every `every`; an `at` timer at the time of day `at`
// (seconds after local midnight) in `time_zone` every `every` / 1d days, so it stays at 09:00
// local across daylight-saving changes.
struct TimerRecurrence {
  std::chrono::seconds every{0};
  std::optional<std::chrono::seconds> at;  // `at` timers: the local time of day
  std::string time_zone;                   // `at` timers: the zone resolved when set
  friend bool operator==(const TimerRecurrence&, const TimerRecurrence&) = default;
};

// The reserved timer that ends an idle session (the flow's `expire_after`): re-armed by every
// inbound message and start. Flow timer names cannot begin with '@', so no flow can set,
// cancel or match it; `cancel all` leaves it.
inline constexpr std::string_view kExpiryTimer = "@expire";
inline bool IsReservedTimer(std::string_view name) { return !name.empty() && name[0] == '@'; }

// Schedule `name` at `due`. The timer fires into the session only while the session's step
// is still `step` (the session has not moved since), unless `keep`. Setting a timer with
// the name of a pending one replaces it.
struct TimerSetEffect {
  std::string name;
  TimePoint due;
  uint64_t step = 0;
  bool keep = false;  // always true for a recurring timer
  std::optional<TimerRecurrence> recur = std::nullopt;
};
// Cancel the pending timer `name`; all of the session's timers when `all` (but the reserved
// ones: kExpiryTimer).
struct TimerCancelEffect {
  std::string name;
  bool all = false;
};
// The session moved along an edge (self-loops included).
struct StateChangeEffect {
  std::string from;
  std::string to;
  std::string edge_path;  // Edge::path of the edge taken, for coverage reports
  int edge_index = 0;     // its place among the `from` state's edges (State::edges), from 0
};
// The session ended: terminal state reached, "end" action, or ctx:finish().
struct CompletedEffect {
  std::string reason;
};
// No edge matched the event; `otherwise` actions (if any) ran.
struct UnmatchedEffect {};
// A timer event that no longer applies (the session moved since it was set); nothing ran.
struct StaleTimerEffect {
  std::string name;
};

using Effect = std::variant<SendEffect, VarEffect, TimerSetEffect, TimerCancelEffect,
                            StateChangeEffect, CompletedEffect, UnmatchedEffect, StaleTimerEffect>;

struct StepResult {
  Session session;
  std::vector<Effect> effects;  // in the order produced; sends in delivery order
};

}  // namespace parley::flow
