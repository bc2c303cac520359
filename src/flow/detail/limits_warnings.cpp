#include "flow/detail/limits_warnings.hpp"

namespace parley::flow::detail {

namespace {

// Characters of a template outside its {{placeholders}}: what the message has at least.
int64_t LiteralChars(std::string_view text) {
  int64_t n = 0;
  while (!text.empty()) {
    const size_t open = text.find("{{");
    n += CountChars(text.substr(0, open));
    if (open == std::string_view::npos) {
      break;
    }
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      break;
    }
    text.remove_prefix(close + 2);
  }
  return n;
}

void WarnList(LoaderContext& cx, const Flow& flow, const ActionList& actions,
              const std::string& path, json::Pos pos, const std::string& what) {
  int64_t sends = 0;
  int64_t timer_sets = 0;
  int64_t cancels = 0;
  int64_t longest = 0;
  for (const Action& action : actions) {
    if (const auto* send = std::get_if<act::Send>(&action.v)) {
      ++sends;
      longest = std::max(longest, LiteralChars(send->text));
    } else if (std::holds_alternative<act::Timer>(action.v)) {
      ++timer_sets;
    } else if (std::holds_alternative<act::Cancel>(action.v)) {
      ++cancels;
    }
  }
  const EventLimits& limits = flow.limits;
  const std::string hint = "; the event will fail at run time (raise it in \"limits\")";
  if (sends > limits.sends_per_event) {
    cx.Warning(path, pos,
               what + " send " + std::to_string(sends) + " messages, over sends_per_event (" +
                   std::to_string(limits.sends_per_event) + ")" + hint);
  }
  if (std::max(timer_sets, cancels) > limits.timers_per_event) {
    cx.Warning(path, pos,
               what + " set or cancel " + std::to_string(std::max(timer_sets, cancels)) +
                   " timers, over timers_per_event (" + std::to_string(limits.timers_per_event) +
                   ")" + hint);
  }
  if (longest > limits.message_chars) {
    cx.Warning(path, pos,
               what + " send a message of at least " + std::to_string(longest) +
                   " characters, over message_chars (" + std::to_string(limits.message_chars) +
                   ")" + hint);
  }
}

}  // namespace

void WarnLimits(LoaderContext& cx, const Flow& flow, const StateOrigins& origin_of) {
  if (!flow.start_enter.empty()) {
    const StateOrigin origin = origin_of(flow.start);
    WarnList(cx, flow, flow.start_enter, origin.path, origin.pos,
             "the start state's 'enter' actions");
  }
  for (StateId id = 0; id < flow.states.size(); ++id) {
    const State& state = flow.states[id];
    for (const Edge& edge : state.edges) {
      WarnList(cx, flow, edge.enter, edge.path, edge.pos,
               "the actions of the edge to '" + flow.states[edge.target].name + "'");
    }
    if (state.otherwise) {
      const StateOrigin origin = origin_of(id);
      WarnList(cx, flow, *state.otherwise, origin.path, origin.pos,
               "the 'otherwise' actions of '" + state.name + "'");
    }
  }
  if (flow.otherwise) {
    WarnList(cx, flow, *flow.otherwise, "otherwise", {}, "the flow's 'otherwise' actions");
  }
}

}  // namespace parley::flow::detail
