#include "flow/detail/validate.hpp"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "flow/detail/limits_warnings.hpp"

namespace parley::flow::detail {

namespace {

// Whether `c` may react to a timer event: it names one, or it calls a Lua or C++ condition,
// which parley cannot see into (a script condition may well test ctx.event == "timer").
bool MayReactToTimer(const Condition& c) {
  return std::visit(
      [](const auto& v) -> bool {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, cond::Timer> || std::is_same_v<T, cond::Script> ||
                      std::is_same_v<T, cond::Native>) {
          return true;
        } else if constexpr (std::is_same_v<T, cond::All> || std::is_same_v<T, cond::Any>) {
          for (const Condition& inner : v.of) {
            if (MayReactToTimer(inner)) {
              return true;
            }
          }
          return false;
        } else if constexpr (std::is_same_v<T, cond::Not>) {
          return MayReactToTimer(*v.of);
        } else {
          return false;
        }
      },
      c.v);
}

// The timer names conditions react to; "" when one reacts to any timer.
void CollectTimerNames(const Condition& c, std::set<std::string, std::less<>>& names) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, cond::Timer>) {
          names.insert(v.name);
        } else if constexpr (std::is_same_v<T, cond::All> || std::is_same_v<T, cond::Any>) {
          for (const Condition& inner : v.of) {
            CollectTimerNames(inner, names);
          }
        } else if constexpr (std::is_same_v<T, cond::Not>) {
          CollectTimerNames(*v.of, names);
        }
      },
      c.v);
}

// A recurring timer fires every day (or hour) for as long as the session lives: one that no
// edge's condition names would run `otherwise` (or nothing) at each occurrence.
void WarnUnhandledRecurringTimers(LoaderContext& cx, const Flow& flow) {
  if (cx.recurring_timers.empty()) {
    return;
  }
  std::set<std::string, std::less<>> handled;
  for (const State& state : flow.states) {
    for (const Edge& e : state.edges) {
      CollectTimerNames(e.condition, handled);
    }
  }
  if (handled.contains("")) {
    return;  // an any-timer condition reacts to every name
  }
  std::set<std::pair<std::string, std::string>> warned;  // a named action compiles per use
  for (const TemplateUse& t : cx.recurring_timers) {
    if (!handled.contains(t.variable) && warned.emplace(t.variable, t.path).second) {
      cx.Warning(t.path, t.pos,
                 "recurring timer '" + t.variable +
                     "' is not named by any state's timer condition: each occurrence would "
                     "match no edge");
    }
  }
}

bool IsAlways(const Condition& c) { return std::holds_alternative<cond::Always>(c.v); }

// Each state's edge targets, for the reachability search: [first[id], first[id + 1]) in `to`.
struct Targets {
  std::vector<uint32_t> first;
  std::vector<StateId> to;
};

// Edges after an "always" edge, and states that wait for a reply with neither a timer edge nor
// `otherwise` (an edge with a script condition counts as a timer edge: parley cannot know
// that the script ignores timers, and warning on every LIMA state made `--strict` useless). The
// edges are most of a large flow's memory, so this one pass over them also notes their targets.
std::vector<Diagnostic> EdgeWarnings(const Flow& flow, const StateOrigins& origin_of,
                                     Targets& targets) {
  std::vector<Diagnostic> warnings;
  targets.first.reserve(flow.states.size() + 1);
  for (StateId id = 0; id < flow.states.size(); ++id) {
    const State& state = flow.states[id];
    targets.first.push_back(static_cast<uint32_t>(targets.to.size()));
    const Edge* always = nullptr;
    bool timer_edge = false;
    for (const Edge& e : state.edges) {
      targets.to.push_back(e.target);
      if (always != nullptr) {
        warnings.push_back({Diagnostic::Severity::kWarning, e.path, e.pos,
                            "edge to '" + flow.states[e.target].name +
                                "' is never taken: the earlier edge at " + always->path +
                                " is 'always'"});
      } else if (IsAlways(e.condition)) {
        always = &e;
      }
      timer_edge = timer_edge || MayReactToTimer(e.condition);
    }
    if (!state.terminal() && always == nullptr && !timer_edge && !state.otherwise &&
        !flow.otherwise) {
      StateOrigin origin = origin_of(id);
      warnings.push_back({Diagnostic::Severity::kWarning, std::move(origin.path), origin.pos,
                          "state '" + state.name +
                              "' waits for a reply but has no timer edge and no 'otherwise': a "
                              "reply that matches no edge gets no answer and the contact may "
                              "be stuck"});
    }
  }
  targets.first.push_back(static_cast<uint32_t>(targets.to.size()));
  return warnings;
}

void WarnUnreachable(LoaderContext& cx, const Flow& flow, const Targets& targets,
                     const StateOrigins& origin_of) {
  std::vector<bool> seen(flow.states.size(), false);
  std::vector<StateId> queue = {flow.start};  // breadth first: each state is queued once
  queue.reserve(flow.states.size());
  seen[flow.start] = true;
  // Sessions on a state a new revision removed enter at `on_missing_state`: a second root.
  if (const auto it = flow.by_name.find(flow.on_missing_state);
      !flow.on_missing_state.empty() && it != flow.by_name.end() && !seen[it->second]) {
    seen[it->second] = true;
    queue.push_back(it->second);
  }
  for (size_t next = 0; next < queue.size(); ++next) {
    const StateId id = queue[next];
    for (uint32_t i = targets.first[id]; i < targets.first[id + 1]; ++i) {
      const StateId target = targets.to[i];
      if (!seen[target]) {
        seen[target] = true;
        queue.push_back(target);
      }
    }
  }
  for (StateId id = 0; id < flow.states.size(); ++id) {
    if (!seen[id]) {
      const StateOrigin origin = origin_of(id);
      cx.Warning(origin.path, origin.pos,
                 "state '" + flow.states[id].name + "' is unreachable from the start state '" +
                     flow.states[flow.start].name + "'");
    }
  }
}

void WarnTemplateVariables(LoaderContext& cx) {
  if (cx.opaque_actions) {
    return;  // a Lua or C++ action may set any variable
  }
  for (const TemplateUse& use : cx.template_uses) {
    if (!cx.variables_set.contains(use.variable)) {
      cx.Warning(use.path, use.pos,
                 "template variable '" + use.variable +
                     "' is never set by any action of this flow (it renders as \"\")");
    }
  }
}

}  // namespace

void AddWarnings(LoaderContext& cx, const Flow& flow, const StateOrigins& origin_of) {
  Targets targets;
  std::vector<Diagnostic> edge_warnings = EdgeWarnings(flow, origin_of, targets);
  // Reported in this order, which breaks ties between warnings at one position.
  WarnUnreachable(cx, flow, targets, origin_of);
  for (Diagnostic& d : edge_warnings) {
    cx.Add(d.severity, std::move(d.path), d.pos, std::move(d.message));
  }
  WarnTemplateVariables(cx);
  WarnUnhandledRecurringTimers(cx, flow);
  WarnLimits(cx, flow, origin_of);
}

}  // namespace parley::flow::detail
