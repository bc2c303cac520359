// The compiled flow: an immutable, indexed form of a flow file. Built once by Compile()
// (loader.hpp), then shared read-only by every thread: states are addressed by integer id,
// every handler name is resolved, regexes are compiled, durations parsed.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/json.hpp"
#include "flow/handlers.hpp"
#include "flow/limits.hpp"
#include "flow/text.hpp"

namespace re2 {
class RE2;
}

namespace parley::flow {

using StateId = uint32_t;

// ---- conditions ---------------------------------------------------------------------
struct Condition;
using ConditionList = std::vector<Condition>;

namespace cond {
struct Always {};
struct Reply {  // normalized reply equals one of `words` (already normalized)
  std::vector<std::string> words;
};
struct Yes {};
struct No {};
struct Matches {  // RE2, partial match against the trimmed reply
  std::shared_ptr<const re2::RE2> re;
  std::string pattern;
};
struct Number {  // the reply holds a number within the bounds
  std::optional<double> gt, gte, lt, lte;
};
struct AnyText {};
struct HasMedia {};
struct Timer {  // the event is the timer `name`; any timer if empty
  std::string name;
};
struct DeliveryFailed {  // the event is a failed delivery; with `codes`, one with such an ErrorCode
  std::vector<std::string> codes;
};
struct Var {
  enum class Op { kEq, kNe, kGt, kGte, kLt, kLte, kExists };
  std::string name;
  Op op = Op::kExists;
  json::Value operand;
};
struct All {
  ConditionList of;
};
struct Any {
  ConditionList of;
};
struct Not {
  std::shared_ptr<const Condition> of;
};
struct Script {
  std::string function;
};
struct Native {
  const NativeCondition* fn = nullptr;  // owned by the HandlerRegistry, which outlives flows
  std::string name;
};
}  // namespace cond

struct Condition {
  std::variant<cond::Always, cond::Reply, cond::Yes, cond::No, cond::Matches, cond::Number,
               cond::AnyText, cond::HasMedia, cond::Timer, cond::DeliveryFailed, cond::Var,
               cond::All, cond::Any, cond::Not, cond::Script, cond::Native>
      v;
};

// ---- actions ------------------------------------------------------------------------
namespace act {
struct WhatsAppTemplate {
  std::string content_sid;
  std::map<std::string, std::string> variables;  // values are templates
};
struct Send {
  std::string text;  // a template
  std::vector<std::string> media;
  std::shared_ptr<const WhatsAppTemplate> whatsapp;  // rare, so kept out of line
};
struct Save {
  std::string var;
  bool as_number = false;
};
struct Set {
  std::vector<std::pair<std::string, json::Value>> values;  // string values are templates
};
struct Inc {
  std::string var;
};
struct Unset {
  std::string var;
};
struct Timer {
  std::string name;
  std::optional<std::chrono::seconds> after;
  std::optional<TimeOfDay> at;
  std::string tz;  // for `at`; empty = contact's, flow's, then UTC
  bool keep = false;
  // Recurring: fires again every `every` (with `at`: a whole number of days) until
  // cancelled or the session ends; implies keep.
  std::optional<std::chrono::seconds> every;
};
struct Cancel {
  std::string name;  // "all" cancels every timer
};
struct End {};
struct Script {
  std::string function;
};
struct Native {
  const NativeAction* fn = nullptr;
  std::string name;
};
}  // namespace act

struct Action {
  std::variant<act::Send, act::Save, act::Set, act::Inc, act::Unset, act::Timer, act::Cancel,
               act::End, act::Script, act::Native>
      v;
};
using ActionList = std::vector<Action>;

// ---- states ---------------------------------------------------------------------------
struct Edge {
  Condition condition;
  ActionList enter;  // runs when the edge is taken
  StateId target = 0;
  std::string path;   // JSON path of the node that defines the edge, for messages
  json::Pos pos;      // and where it is in the file
  bool link = false;  // written as "@TARGET" rather than defining the target inline
};

struct State {
  std::string name;
  std::vector<Edge> edges;              // tried in file order; none = terminal
  std::optional<ActionList> otherwise;  // the state's own; else the flow's
  bool terminal() const { return edges.empty(); }
};

struct Flow {
  std::string id;  // "flow" key, else the file name without extension
  int version = 1;
  std::string revision;  // set by the caller (hash of the file); informational here
  StateId start = 0;
  ActionList start_enter;  // the initial node's `enter`, run when a session starts
  std::vector<State> states;
  // Heterogeneous lookup so that FindState(string_view) does not allocate.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, StateId, NameHash, std::equal_to<>> by_name;
  std::optional<ActionList> otherwise;
  std::optional<std::chrono::seconds> expire_after;
  ActionList on_expire;               // run when a session expires (expire_after), before it ends
  std::string time_zone;              // default zone for `at` timers; empty = UTC
  std::vector<std::string> triggers;  // normalized keywords that start a session
  std::string on_missing_state;       // where sessions go when a new revision drops their state
  std::shared_ptr<const ScriptHost> script;  // null when the flow has no script
  EventLimits limits;                        // what one event may produce ("limits")
  // The compiler's warnings ("path: message", in file order), kept for whoever shows the
  // flow later (the admin's flow page) without compiling it again.
  std::vector<std::string> warnings;

  const State* FindState(std::string_view name) const {
    const auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : &states[it->second];
  }
  size_t EdgeCount() const;
};

}  // namespace parley::flow
