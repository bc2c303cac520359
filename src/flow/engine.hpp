// The engine: one event applied to one session.
//
// Step is a pure, deterministic function of its arguments (Lua handlers included: they see
// only the context and get no clock, I/O or randomness). It is safe to call concurrently
// on the same Flow. Event semantics are in docs/flow-format.md:
//  - kStart: a new session enters flow.start and runs its `enter` (the given session's vars
//    are kept, so a caller may seed them; state and step are reset).
//  - kMessage / kTimer: only the current state's edges are tried, in file order; the first
//    whose condition holds is taken: its actions run, the session moves to the target and
//    its step increments; a terminal target completes the session. No match: the state's
//    (or flow's) `otherwise` actions run and an UnmatchedEffect is recorded.
//  - kDeliveryFailed: only the edges whose condition names delivery_failed are tried; when
//    none is taken nothing happens (no `otherwise`, no UnmatchedEffect, the session as it was).
//  - A kTimer event whose timer_step differs from the session's step (and !timer_keep) is
//    stale: nothing runs and a StaleTimerEffect is returned.
// A handler error (Lua error, budget exhausted, bad timer) or a per-event cap exceeded
// (flow/limits.hpp: sends, timers, message size, variables) fails the whole event: the
// returned Status is not ok and the caller keeps the session as it was.
#pragma once

#include "common/status.hpp"
#include "common/time.hpp"
#include "flow/model.hpp"
#include "flow/session.hpp"

namespace parley::flow {

// FailedPrecondition if the session is not active or its state is not in the flow.
Result<StepResult> Step(const Flow& flow, const Session& session, const Event& event,
                        TimePoint now);

}  // namespace parley::flow
