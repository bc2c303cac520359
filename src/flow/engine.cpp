#include "flow/engine.hpp"

#include <algorithm>

#include "flow/detail/step_context.hpp"

namespace parley::flow {

namespace {

using detail::StepContext;

// The vars_bytes cap, checked only when the event changed a variable: a session already over
// a lowered cap is not stuck, it only cannot grow.
Status CheckVarsSize(const Flow& flow, const StepResult& r, std::string_view state) {
  const bool changed = std::any_of(r.effects.begin(), r.effects.end(), [](const Effect& e) {
    return std::holds_alternative<VarEffect>(e);
  });
  if (!changed) {
    return Status::Ok();
  }
  const auto size = static_cast<int64_t>(json::Serialize(r.session.vars).size());
  if (size <= flow.limits.vars_bytes) {
    return Status::Ok();
  }
  return EventLimitExceeded(
      EventLimit::kVarsBytes, flow.limits.vars_bytes, flow.id, state,
      "the session's variables would take " + std::to_string(size) + " bytes");
}

void Complete(StepResult& r, std::string reason) {
  r.session.status = SessionStatus::kCompleted;
  r.effects.emplace_back(CompletedEffect{std::move(reason)});
}

Result<StepResult> StartSession(const Flow& flow, const Session& seed, const Event& event,
                                TimePoint now) {
  StepResult r{seed, {}};
  r.session.flow_id = flow.id;
  r.session.state = flow.states[flow.start].name;
  r.session.step = 0;
  r.session.status = SessionStatus::kActive;
  if (!r.session.vars.is_object()) {
    r.session.vars = json::Object{};
  }
  StepContext ctx(flow, event, now, r.session, r.effects);
  ctx.Enter(r.session.state, r.session.state, r.session.step);
  PARLEY_RETURN_IF_ERROR(detail::Run(flow.start_enter, ctx));
  PARLEY_RETURN_IF_ERROR(CheckVarsSize(flow, r, r.session.state));
  if (ctx.finished()) {
    Complete(r, "finished by the start state's actions");
  } else if (flow.states[flow.start].terminal()) {
    Complete(r, "the start state '" + r.session.state + "' is terminal");
  }
  return r;
}

// The session was idle for the flow's expire_after: the flow's on_expire actions run (a
// goodbye), then the session ends as expired, wherever it was.
Result<StepResult> Expire(const Flow& flow, const Session& session, const Event& event,
                          TimePoint now) {
  StepResult r{session, {}};
  StepContext ctx(flow, event, now, r.session, r.effects);
  ctx.Enter(session.state, {}, session.step);
  PARLEY_RETURN_IF_ERROR(detail::Run(flow.on_expire, ctx));
  PARLEY_RETURN_IF_ERROR(CheckVarsSize(flow, r, session.state));
  r.session.status = SessionStatus::kExpired;
  r.effects.emplace_back(
      CompletedEffect{"expired: no inbound message for the flow's expire_after"});
  return r;
}

Result<StepResult> StepActive(const Flow& flow, const Session& session, const Event& event,
                              TimePoint now) {
  if (event.kind == Event::Kind::kTimer && event.timer == kExpiryTimer) {
    return Expire(flow, session, event, now);
  }
  const State* state = flow.FindState(session.state);
  if (state == nullptr) {
    return Status::FailedPrecondition("state '" + session.state + "' is not in flow '" + flow.id +
                                      "'");
  }
  StepResult r{session, {}};
  if (event.kind == Event::Kind::kTimer && !event.timer_keep && event.timer_step != session.step) {
    r.effects.emplace_back(StaleTimerEffect{event.timer});
    return r;
  }

  const bool delivery = event.kind == Event::Kind::kDeliveryFailed;
  StepContext ctx(flow, event, now, r.session, r.effects);
  ctx.Enter(state->name, {}, session.step);
  for (size_t edge_index = 0; edge_index < state->edges.size(); ++edge_index) {
    const Edge& edge = state->edges[edge_index];
    if (delivery && !detail::ReactsToDeliveryFailure(edge.condition)) {
      continue;
    }
    auto taken = detail::Evaluate(edge.condition, ctx);
    if (!taken.ok()) {
      return taken.status();
    }
    if (!*taken) {
      continue;
    }
    const State& target = flow.states[edge.target];
    r.effects.emplace_back(
        StateChangeEffect{state->name, target.name, edge.path, static_cast<int>(edge_index)});
    ctx.Enter(state->name, target.name, session.step + 1);
    PARLEY_RETURN_IF_ERROR(detail::Run(edge.enter, ctx));
    PARLEY_RETURN_IF_ERROR(CheckVarsSize(flow, r, state->name));
    r.session.state = target.name;
    r.session.step = session.step + 1;
    if (ctx.finished()) {
      Complete(r, "finished by the actions of the edge to '" + target.name + "'");
    } else if (target.terminal()) {
      Complete(r, "reached terminal state '" + target.name + "'");
    }
    return r;
  }

  if (delivery) {
    return r;  // opt-in: a failure no edge handles changes nothing (no `otherwise`)
  }
  r.effects.emplace_back(UnmatchedEffect{});
  const std::optional<ActionList>& otherwise = state->otherwise ? state->otherwise : flow.otherwise;
  if (otherwise) {
    PARLEY_RETURN_IF_ERROR(detail::Run(*otherwise, ctx));
    PARLEY_RETURN_IF_ERROR(CheckVarsSize(flow, r, state->name));
    if (ctx.finished()) {
      Complete(r, "finished by the 'otherwise' actions of '" + state->name + "'");
    }
  }
  return r;
}

}  // namespace

Result<StepResult> Step(const Flow& flow, const Session& session, const Event& event,
                        TimePoint now) {
  if (event.kind != Event::Kind::kStart && !session.active()) {
    return Status::FailedPrecondition(std::string("the session is ") +
                                      SessionStatusName(session.status));
  }
  Result<StepResult> r = event.kind == Event::Kind::kStart ? StartSession(flow, session, event, now)
                                                           : StepActive(flow, session, event, now);
  // Every inbound message (and the start) pushes the session's expiry back: the reserved
  // timer is set again, replacing the pending one (docs/flow-format.md, "expire_after").
  const bool inbound = event.kind == Event::Kind::kStart || event.kind == Event::Kind::kMessage;
  if (r.ok() && inbound && flow.expire_after && r->session.active()) {
    r->effects.emplace_back(TimerSetEffect{
        std::string(kExpiryTimer), now + std::chrono::duration_cast<Duration>(*flow.expire_after),
        r->session.step, true, std::nullopt});
  }
  return r;
}

}  // namespace parley::flow
