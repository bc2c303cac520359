#include "flow/detail/validate.hpp"

#include <vector>

namespace parley::flow::detail {

namespace {

bool MentionsTimer(const Condition& c) {
  return std::visit(
      [](const auto& v) -> bool {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, cond::Timer>) {
          return true;
        } else if constexpr (std::is_same_v<T, cond::All> || std::is_same_v<T, cond::Any>) {
          for (const Condition& inner : v.of) {
            if (MentionsTimer(inner)) {
              return true;
            }
          }
          return false;
        } else if constexpr (std::is_same_v<T, cond::Not>) {
          return MentionsTimer(*v.of);
        } else {
          return false;
        }
      },
      c.v);
}

bool IsAlways(const Condition& c) { return std::holds_alternative<cond::Always>(c.v); }

void WarnUnreachable(LoaderContext& cx, const Flow& flow, const StateOrigins& origin_of) {
  std::vector<bool> seen(flow.states.size(), false);
  std::vector<StateId> queue = {flow.start};  // breadth first: each state is queued once
  queue.reserve(flow.states.size());
  seen[flow.start] = true;
  for (size_t next = 0; next < queue.size(); ++next) {
    const StateId id = queue[next];
    for (const Edge& e : flow.states[id].edges) {
      if (!seen[e.target]) {
        seen[e.target] = true;
        queue.push_back(e.target);
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

void WarnEdges(LoaderContext& cx, const Flow& flow, const StateOrigins& origin_of) {
  for (StateId id = 0; id < flow.states.size(); ++id) {
    const State& state = flow.states[id];
    const Edge* always = nullptr;
    bool timer_edge = false;
    for (const Edge& e : state.edges) {
      if (always != nullptr) {
        cx.Warning(e.path, e.pos,
                   "edge to '" + flow.states[e.target].name +
                       "' is never taken: the earlier edge at " + always->path + " is 'always'");
      } else if (IsAlways(e.condition)) {
        always = &e;
      }
      timer_edge = timer_edge || MentionsTimer(e.condition);
    }
    if (!state.terminal() && always == nullptr && !timer_edge && !state.otherwise &&
        !flow.otherwise) {
      const StateOrigin origin = origin_of(id);
      cx.Warning(origin.path, origin.pos,
                 "state '" + state.name +
                     "' waits for a reply but has no timer edge and no 'otherwise': a reply "
                     "that matches no edge gets no answer and the contact may be stuck");
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
  WarnUnreachable(cx, flow, origin_of);
  WarnEdges(cx, flow, origin_of);
  WarnTemplateVariables(cx);
}

}  // namespace parley::flow::detail
