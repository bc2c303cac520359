// The Timer event's body (the scheduler's due timers; docs/architecture.md, "Timers"): split
// from service.cpp, the other event kinds' bodies.
#include <algorithm>

#include "conversation/service.hpp"
#include "conversation/service_event_context.hpp"
#include "conversation/session_expiry.hpp"
#include "flow/engine.hpp"

namespace parley::conversation {

// A timer the scheduler claimed (event.hpp, Timer): taken in this transaction, then fired
// into its session unless it no longer applies.
Status Service::Apply(EventContext& cx, const Timer& timer) const {
  const auto outcome = [&](const char* name) {
    CountTimer(name);
    return Status::Ok();
  };
  if (cx.event.reply_mode != ReplyMode::kQueued) {
    return Status::InvalidArgument("a timer event has no inline answer: its replies are queued");
  }
  auto taken = cx.tx.TakeTimer({timer.session_id, timer.name, timer.due, timer.step, timer.keep},
                               cx.contact.id);
  if (!taken.ok()) {
    return taken.status();
  }
  if (!*taken) {
    cx.applied.keep = false;  // nothing to write
    return outcome("gone");
  }
  // A missed expiry may not be due yet (its row trails: session_expiry.hpp); decided below.
  const bool expiry = timer.name == flow::kExpiryTimer;
  if (timer.missed && !timer.recur && !expiry) {
    return outcome("missed");
  }
  auto active = cx.tx.ActiveSession(cx.contact.id);
  if (!active.ok()) {
    return active.status();
  }
  const auto catalog = flows_();
  const auto flow = *active && catalog ? catalog->Find((*active)->session.flow_id) : nullptr;
  // An ended session's timers are removed with it, so these are races with a restart or a
  // removed flow.
  if (!*active || (*active)->id != timer.session_id || flow == nullptr ||
      cx.contact.status != store::ContactStatus::kActive) {
    return outcome(timer.missed ? "missed" : "dropped");
  }
  store::SessionRecord& session = **active;
  // On a new revision first: a move to on_missing_state makes the timer stale (unless keep).
  auto continues = AdoptRevision(cx, *flow, session);
  if (!continues.ok()) {
    return continues.status();
  }
  if (!*continues) {
    return outcome("dropped");
  }
  // A message came after the expiry row was last written: the session expires later, so the
  // row is set again for then (session_expiry.hpp).
  if (expiry && !timer.recur) {
    const TimePoint due = ExpiryDue(*flow, cx.contact, timer.due);
    if (due > cx.now) {
      PARLEY_RETURN_IF_ERROR(
          cx.tx.SetTimer({session.id, timer.name, due, session.session.step, true}));
      cx.applied.timer_set = std::min(cx.applied.timer_set.value_or(due), due);
      return outcome("deferred");
    }
  }
  if (timer.recur) {
    // The next occurrence, in this transaction: set before the step runs, so that the flow's
    // `cancel` (or the session's end) removes it. Occurrences missed while parley was down
    // are skipped: this one fires (or is missed) once, the next is in the future.
    const TimePoint next = flow::NextOccurrence(*timer.recur, timer.due, cx.now);
    PARLEY_RETURN_IF_ERROR(
        cx.tx.SetTimer({session.id, timer.name, next, session.session.step, true, 0, timer.recur}));
    cx.applied.timer_set = std::min(cx.applied.timer_set.value_or(next), next);
  }
  if (timer.missed) {
    return outcome("missed");
  }
  // The engine would find it stale too (flow/engine.hpp); checked here so that nothing is
  // written for it but the timer's removal.
  if (!timer.keep && session.session.step != timer.step) {
    return outcome("stale");
  }
  PARLEY_RETURN_IF_ERROR(SendFromLastInbound(cx));
  const flow::Event event =
      flow::Event::Timer(timer.name, timer.step, timer.keep, ToFlowContact(cx.contact));
  PARLEY_RETURN_IF_ERROR(RunStep(cx, *flow, session, event, false));
  return outcome("fired");
}

}  // namespace parley::conversation
