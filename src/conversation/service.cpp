#include "conversation/service.hpp"
#include "conversation/service_event_context.hpp"

#include <algorithm>
#include <optional>
#include <variant>

#include "common/json.hpp"
#include "common/utf8.hpp"
#include "conversation/delivery_status.hpp"
#include "conversation/flow_error.hpp"
#include "conversation/revision_move.hpp"
#include "conversation/session_expiry.hpp"
#include "conversation/transition_record.hpp"
#include "flow/engine.hpp"
#include "flow/text.hpp"
#include "twilio/body_split.hpp"

namespace parley::conversation {

namespace {

// What the history names a session's move or end made by meeting a new revision.
constexpr std::string_view kReload = "reload";

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// Why a conversation cannot be started with a contact of this status; none for an active one.
std::optional<std::string> StartRefusal(store::ContactStatus status) {
  switch (status) {
    case store::ContactStatus::kActive:
      return std::nullopt;
    case store::ContactStatus::kOptedOut:
      return "the contact has opted out (status opted_out: STOP, or Twilio's 21610); they "
             "must send START first";
    case store::ContactStatus::kInvalid:
      return "the contact's address is invalid (status invalid: Twilio refused it with 21211 "
             "or 21614); nothing is sent to it until the contact sends START";
    case store::ContactStatus::kBlocked:
      return "the contact is blocked (status blocked) by an operator";
  }
  return "the contact is not active";
}

}  // namespace

flow::Contact ToFlowContact(const store::ContactRecord& c) {
  flow::Contact out;
  out.phone = c.phone;
  out.channel = c.channel;
  out.name = c.name;
  out.time_zone = c.time_zone;
  // fields_json is written by parley only; a value that is not an object of strings is
  // skipped rather than failing every event of the contact.
  if (auto fields = json::Parse(c.fields_json); fields.ok() && fields->is_object()) {
    for (const auto& [key, value] : fields->as_object()) {
      if (value.is_string()) {
        out.fields.emplace(key, value.as_string());
      }
    }
  }
  return out;
}

store::ContactRecord NewContactRecord(const Address& address, TimePoint now) {
  store::ContactRecord c;
  c.address = address.key;
  c.channel = address.channel;
  c.phone = address.phone;
  c.created_at = now;
  return c;
}

struct Service::Counters {
  explicit Counters(metrics::Registry& r)
      : inbound(r.AddCounter("parley_inbound_messages_total", "Inbound messages recorded.")),
        duplicates(r.AddCounter("parley_duplicate_messages_total",
                                "Webhook retries of a MessageSid already recorded.")),
        // Labelled by flow and state: bounded by the states of the flows loaded since start
        // (flow ids and state names come from the operator's flow files, never from input).
        transitions(r.AddCounterFamily("parley_transitions_total",
                                       "Flow edges taken, by flow and the state entered.",
                                       {"flow", "state"})),
        unmatched(r.AddCounter("parley_unmatched_events_total", "Events no edge matched.")),
        sessions_started(r.AddCounterFamily("parley_sessions_started_total",
                                            "Sessions started, by flow.", {"flow"})),
        sessions_ended(r.AddCounterFamily(
            "parley_sessions_ended_total",
            "Sessions a flow step ended, by flow, the state they ended in and how (completed, "
            "expired, ended).",
            {"flow", "state", "status"})),
        opt_outs(r.AddCounter("parley_opt_outs_total", "STOP-family opt-outs.")),
        flow_errors(
            r.AddCounter("parley_flow_errors_total", "Events failed by a flow handler error.")),
        limit_errors(r.AddCounter("parley_flow_limit_errors_total",
                                  "Flow steps failed by a handler limit (deadline, instruction "
                                  "budget, memory); each pauses the contact's handlers.")),
        paused(r.AddCounter("parley_flow_paused_events_total",
                            "Events failed without running the flow: the contact's handlers "
                            "were paused after hitting a limit.")),
        delivery_statuses(r.AddCounterFamily(
            "parley_status_callbacks_total",
            "Delivery status callbacks applied to the conversation core, by result: applied "
            "(the status moved), stale (duplicate, out of order or after a final status), "
            "unknown_message (no outbound message of the contact has that MessageSid).",
            {"result"})),
        delivery_failures(r.AddCounter(
            "parley_delivery_failures_total",
            "Outbound messages that became failed or undelivered by a status callback.")),
        limits_exceeded(r.AddCounterFamily(
            "parley_event_limit_exceeded_total",
            "Events failed because they exceeded a per-event cap of their flow.", {"limit"})),
        timers(r.AddCounterFamily("parley_timers_total",
                                  "Due timers applied, by outcome: fired, stale (the session "
                                  "moved since it was set), dropped (no such session or flow, "
                                  "or opted out), missed (past PARLEY_TIMER_GRACE), gone "
                                  "(cancelled, replaced or fired meanwhile), deferred (a "
                                  "session expiry not due yet: set again for then).",
                                  {"outcome"})),
        revision_moves(r.AddCounterFamily(
            "parley_session_revision_moves_total",
            "Sessions that met a new revision of their flow (a reload) at their next event, by "
            "outcome: same_state (runs on), on_missing_state (moved there), completed (moved "
            "to a terminal on_missing_state), state_removed and flow_removed (ended).",
            {"outcome"})) {}
  metrics::Counter& inbound;
  metrics::Counter& duplicates;
  metrics::CounterFamily& transitions;
  metrics::Counter& unmatched;
  metrics::CounterFamily& sessions_started;
  metrics::CounterFamily& sessions_ended;
  metrics::Counter& opt_outs;
  metrics::Counter& flow_errors;
  metrics::Counter& limit_errors;
  metrics::Counter& paused;
  metrics::CounterFamily& delivery_statuses;
  metrics::Counter& delivery_failures;
  metrics::CounterFamily& limits_exceeded;
  metrics::CounterFamily& timers;
  metrics::CounterFamily& revision_moves;
};

// The state of one event while it runs: its transaction, contact and what it produced.
Service::Service(CatalogSource flows, ServiceOptions options, metrics::Registry& registry)
    : flows_(std::move(flows)),
      options_(std::move(options)),
      counters_(std::make_unique<Counters>(registry)),
      breaker_(std::make_unique<HandlerBreaker>(options_.breaker)) {}

Service::~Service() = default;

Result<Applied> Service::Apply(store::Transaction& tx, const Event& event, TimePoint now) const {
  auto contact = tx.LockContact(NewContactRecord(event.contact, now));
  if (!contact.ok()) {
    return contact.status();
  }
  EventContext cx{tx, std::move(*contact), event, now, {}, std::nullopt, {}};
  // No catch-all: an event kind without an Apply overload does not compile.
  Status s = std::visit([&](const auto& body) { return Apply(cx, body); }, event.body);
  if (!s.ok()) {
    return s;
  }
  return std::move(cx.applied);
}

namespace {
// The template's variables as Twilio's ContentVariables: a JSON object of strings.
std::string ContentVariablesJson(const std::map<std::string, std::string>& variables) {
  if (variables.empty()) {
    return "";
  }
  json::Object o;
  for (const auto& [name, value] : variables) {
    o.emplace_back(ToStorableText(name), ToStorableText(value));
  }
  return json::Serialize(json::Value(std::move(o)));
}
}  // namespace

void Service::CountTimer(const char* outcome) const { counters_->timers.WithLabels(outcome).Inc(); }

Status Service::SendFromLastInbound(EventContext& cx) const {
  auto from = cx.tx.LastInboundTo(cx.contact.id);
  if (!from.ok()) {
    return from.status();
  }
  cx.reply_from = !from->empty()                     ? *from
                  : cx.contact.channel == "whatsapp" ? options_.whatsapp_from
                                                     : options_.sms_from;
  return Status::Ok();
}

Status Service::Deliver(EventContext& cx, const store::SessionRecord& session,
                        const flow::SendEffect& send) const {
  // A WhatsApp template (docs/flow-format.md, "WhatsApp templates") goes to WhatsApp
  // contacts only, as one message with the text kept for the record (Twilio gets ContentSid
  // and ContentVariables instead of Body). TwiML cannot carry a template, so it is always
  // queued for the REST sender, even when the event answers inline. An SMS contact gets the
  // text and media, and nothing for a send that has only a template.
  if (!send.content_sid.empty() && cx.contact.channel == "whatsapp") {
    store::MessageRecord m = OutboundRecord(cx, session);
    m.body = ToStorableText(send.text);
    for (const std::string& url : send.media) {
      m.media.push_back(ToStorableText(url));
    }
    m.content_sid = ToStorableText(send.content_sid);
    m.content_variables = ContentVariablesJson(send.content_variables);
    if (cx.event.reply_mode != ReplyMode::kInline) {
      cx.applied.outcome.replies.push_back({m.body, m.media, m.content_sid});
    }
    m.status = store::MessageStatus::kQueued;
    cx.applied.queued = true;
    return cx.tx.EnqueueOutbound(m);
  }
  if (send.text.empty() && send.media.empty()) {
    return Status::Ok();  // a template-only send to an SMS contact
  }
  // A text over Twilio's 1,600 characters becomes several messages, in order, each its own
  // outbox row (or TwiML <Message>); media go with the first (docs/delivery.md).
  // What a script builds may hold U+0000 (or, from C++ handlers, ill-formed UTF-8): the
  // inline answer carries the text as stored, so a retry's answer (read back from the store)
  // is the same (common/utf8.hpp, ToStorableText).
  const std::vector<std::string> parts = twilio::SplitBody(ToStorableText(send.text));
  for (size_t i = 0; i < parts.size(); ++i) {
    store::MessageRecord m = OutboundRecord(cx, session);
    m.body = parts[i];
    if (i == 0) {
      for (const std::string& url : send.media) {
        m.media.push_back(ToStorableText(url));
      }
    }
    cx.applied.outcome.replies.push_back({m.body, m.media, ""});
    if (cx.event.reply_mode == ReplyMode::kInline) {
      m.status = store::MessageStatus::kTwiml;
      PARLEY_RETURN_IF_ERROR(cx.tx.RecordOutbound(m));
      continue;
    }
    m.status = store::MessageStatus::kQueued;
    cx.applied.queued = true;
    PARLEY_RETURN_IF_ERROR(cx.tx.EnqueueOutbound(m));
  }
  return Status::Ok();
}

store::MessageRecord Service::OutboundRecord(const EventContext& cx,
                                             const store::SessionRecord& session) {
  store::MessageRecord m;
  m.contact_id = cx.contact.id;
  if (session.id != 0) {
    m.session_id = session.id;
  }
  m.direction = store::MessageRecord::Direction::kOutbound;
  m.from = cx.reply_from;
  m.to = cx.contact.address;
  m.created_at = cx.now;
  m.reply_to = cx.inbound_id;
  return m;
}

Status Service::EndSession(EventContext& cx, store::SessionRecord& s, flow::SessionStatus status,
                           const std::string& reason, std::string_view cause) {
  s.session.status = status;
  s.ended_at = cx.now;
  s.updated_at = cx.now;
  s.end_reason = reason;
  PARLEY_RETURN_IF_ERROR(cx.tx.CancelTimers(s.id, ""));
  PARLEY_RETURN_IF_ERROR(cx.tx.SaveSession(s));
  return cx.tx.RecordTransition(
      EndRecord(s, reason, cause.empty() ? TransitionCause(cx.event) : cause, cx.now));
}

// Brings an active session onto the revision of `flow` now loaded (revision_move.hpp) and
// writes what that changed. False when the session ended for it: the event then finds no
// session. A move to another state is saved at once, so it stands even if the step fails.
Result<bool> Service::AdoptRevision(EventContext& cx, const flow::Flow& flow,
                                    store::SessionRecord& session) const {
  const std::string before = session.session.state;
  const RevisionMove move = MoveToRevision(flow, session);
  if (move == RevisionMove::kCurrent) {
    return true;
  }
  counters_->revision_moves.WithLabels(RevisionMoveName(move)).Inc();
  switch (move) {
    case RevisionMove::kCurrent:
    case RevisionMove::kSameState:
      return true;  // the revision is written with the step's session
    case RevisionMove::kOnMissingState:
      session.updated_at = cx.now;
      PARLEY_RETURN_IF_ERROR(cx.tx.SaveSession(session));
      PARLEY_RETURN_IF_ERROR(cx.tx.RecordTransition(
          MoveRecord(session, before, std::nullopt, nullptr, kReload, cx.now)));
      return true;
    case RevisionMove::kCompleted:
      // Moved to a terminal on_missing_state: entered there, then ended there.
      PARLEY_RETURN_IF_ERROR(cx.tx.RecordTransition(
          MoveRecord(session, before, std::nullopt, nullptr, kReload, cx.now)));
      PARLEY_RETURN_IF_ERROR(
          EndSession(cx, session, flow::SessionStatus::kCompleted, "completed", kReload));
      return false;
    case RevisionMove::kStateRemoved:
      PARLEY_RETURN_IF_ERROR(
          EndSession(cx, session, flow::SessionStatus::kEnded, "state_removed", kReload));
      return false;
  }
  return true;
}

// The session's flow file was removed: the session could never move again, and would keep
// the contact from every trigger until STOP.
Status Service::EndFlowRemoved(EventContext& cx, store::SessionRecord& session) const {
  counters_->revision_moves.WithLabels("flow_removed").Inc();
  return EndSession(cx, session, flow::SessionStatus::kEnded, "flow_removed", kReload);
}

// Runs one engine step and writes its effects. A handler error, or a per-event cap exceeded
// (flow/limits.hpp), is not a store error: it is recorded in the outcome and the session is
// left as it was (the inbound message stays recorded).
Status Service::RunStep(EventContext& cx, const flow::Flow& flow, store::SessionRecord& session,
                        const flow::Event& event, bool starting) const {
  const std::string& address = cx.contact.address;
  if (const auto until = breaker_->PausedUntil(address, cx.now)) {
    counters_->flow_errors.Inc();
    counters_->paused.Inc();
    cx.applied.outcome.flow_error =
        "the contact's handlers are paused until " + FormatUtc(*until) + " (a handler hit a limit)";
    cx.applied.outcome.flow_error_summary = "flow '" + flow.id + "': paused after a limit";
    return Status::Ok();
  }
  auto step = flow::Step(flow, session.session, event, cx.now);
  if (!step.ok()) {
    counters_->flow_errors.Inc();
    // A cap exceeded is a flow error too (the session stays as it was), counted by cap; it
    // is cheap, so unlike a handler limit (deadline, budget, memory) it does not pause the
    // contact.
    if (const auto limit = flow::ExceededEventLimit(step.status())) {
      counters_->limits_exceeded.WithLabels(flow::EventLimitLabel(*limit)).Inc();
    } else if (step.status().code() == StatusCode::kResourceExhausted) {
      counters_->limit_errors.Inc();
      breaker_->Failed(address, cx.now);
    }
    cx.applied.outcome.flow_error = step.status().ToString();
    cx.applied.outcome.flow_error_summary =
        SummarizeFlowError(step.status(), flow.id, session.session.state);
    return Status::Ok();
  }
  breaker_->Succeeded(address);
  session.session = std::move(step->session);
  session.flow_revision = flow.revision;
  session.updated_at = cx.now;
  if (starting) {
    session.started_at = cx.now;
    counters_->sessions_started.WithLabels(flow.id).Inc();
  }
  if (!session.session.active()) {
    counters_->sessions_ended
        .WithLabels(
            {flow.id, session.session.state, flow::SessionStatusName(session.session.status)})
        .Inc();
    session.ended_at = cx.now;
    if (session.end_reason.empty()) {
      session.end_reason = flow::SessionStatusName(session.session.status);
    }
  }
  // The session row first: a new session needs its id for messages, timers and history.
  PARLEY_RETURN_IF_ERROR(cx.tx.SaveSession(session));
  // The history (docs/admin.md, "History"): a start enters the initial state; an edge moves
  // (StateChangeEffect, at most one a step); a session that ended without moving (expiry, a
  // `finish` in `otherwise`) ended where it is.
  const std::string_view cause = TransitionCause(cx.event);
  bool recorded = false;
  if (starting) {
    PARLEY_RETURN_IF_ERROR(
        cx.tx.RecordTransition(MoveRecord(session, "", std::nullopt, nullptr, cause, cx.now)));
    recorded = true;
  }
  for (const flow::Effect& effect : step->effects) {
    // Every effect kind is named: a new one does not compile until it is handled here.
    Status s = std::visit(
        Overloaded{
            [&](const flow::SendEffect& e) { return Deliver(cx, session, e); },
            [&](const flow::TimerSetEffect& e) {
              cx.applied.timer_set = std::min(cx.applied.timer_set.value_or(e.due), e.due);
              // The expiry, pushed back by every message: rewritten only past its slack.
              if (e.name == flow::kExpiryTimer && !e.recur && flow.expire_after) {
                return cx.tx.PushBackTimer({session.id, e.name, e.due, e.step, e.keep},
                                           ExpirySlack(flow));
              }
              return cx.tx.SetTimer({session.id, e.name, e.due, e.step, e.keep, 0, e.recur});
            },
            [&](const flow::TimerCancelEffect& e) {
              return e.all ? cx.tx.CancelFlowTimers(session.id)
                           : cx.tx.CancelTimers(session.id, e.name);
            },
            [&](const flow::StateChangeEffect& e) {
              counters_->transitions.WithLabels({flow.id, e.to}).Inc();
              recorded = true;
              return cx.tx.RecordTransition(
                  MoveRecord(session, e.from, e.edge_index, &flow, cause, cx.now));
            },
            [&](const flow::UnmatchedEffect&) {
              counters_->unmatched.Inc();
              return Status::Ok();
            },
            // Already in the session that SaveSession wrote (variables, status, end reason).
            [&](const flow::VarEffect&) { return Status::Ok(); },
            [&](const flow::CompletedEffect&) { return Status::Ok(); },
            // A timer that no longer applies changed nothing.
            [&](const flow::StaleTimerEffect&) { return Status::Ok(); },
        },
        effect);
    PARLEY_RETURN_IF_ERROR(s);
  }
  if (!session.session.active()) {
    PARLEY_RETURN_IF_ERROR(cx.tx.CancelTimers(session.id, ""));
    if (!recorded) {
      PARLEY_RETURN_IF_ERROR(
          cx.tx.RecordTransition(EndRecord(session, session.end_reason, cause, cx.now)));
    }
  }
  cx.applied.outcome.session_state = session.session.active() ? session.session.state : "";
  return Status::Ok();
}

Status Service::Apply(EventContext& cx, const InboundMessage& message) const {
  cx.reply_from = message.to;
  store::MessageRecord in;
  in.contact_id = cx.contact.id;
  in.direction = store::MessageRecord::Direction::kInbound;
  in.provider_sid = message.message_sid;
  in.from = cx.event.contact.key;
  in.to = message.to;
  in.body = message.body;
  in.media = message.media;
  in.status = store::MessageStatus::kReceived;
  in.created_at = cx.now;
  auto inserted = cx.tx.InsertInbound(in);
  if (!inserted.ok()) {
    return inserted.status();
  }
  if (!*inserted) {
    counters_->duplicates.Inc();
    cx.applied.outcome.duplicate = true;
    cx.applied.keep = false;  // nothing of the repeat is kept
    return AnswerRepeat(cx, message);
  }
  counters_->inbound.Inc();
  cx.inbound_id = in.id;

  cx.contact.last_inbound_at = cx.now;
  if (!message.profile_name.empty()) {
    cx.contact.name = message.profile_name;
  }
  if (!message.wa_id.empty()) {
    cx.contact.wa_id = message.wa_id;
  }

  auto active = cx.tx.ActiveSession(cx.contact.id);
  if (!active.ok()) {
    return active.status();
  }
  std::optional<store::SessionRecord> session = std::move(*active);

  // Compliance runs before the flow (docs/flow-format.md).
  const ComplianceKind compliance = message.compliance;
  if (compliance == ComplianceKind::kStop) {
    counters_->opt_outs.Inc();
    cx.contact.status = store::ContactStatus::kOptedOut;
    if (session) {
      PARLEY_RETURN_IF_ERROR(EndSession(cx, *session, flow::SessionStatus::kOptedOut, "opted_out"));
    }
  } else if (compliance == ComplianceKind::kStart) {
    cx.contact.status =
        store::ContactStatus::kActive;  // Twilio itself confirms the opt-in on the carrier side
  } else if (cx.contact.status == store::ContactStatus::kActive ||
             (compliance == ComplianceKind::kHelp &&
              cx.contact.status == store::ContactStatus::kOptedOut)) {
    // HELP is answered for opted-out contacts too (carriers expect it whatever the
    // subscription); the outbox sender lets that answer through (channel/outbox_sender.hpp).
    if (compliance == ComplianceKind::kHelp) {
      PARLEY_RETURN_IF_ERROR(Deliver(cx, session.value_or(store::SessionRecord{}),
                                     flow::SendEffect{options_.help_text, {}, "", {}}));
    } else {
      const auto catalog = flows_();
      std::shared_ptr<const flow::Flow> flow;
      // A session that cannot continue on the flows loaded now ends (its flow removed, its
      // state removed); the message is then handled as for a contact with no session.
      if (session) {
        flow = catalog ? catalog->Find(session->session.flow_id) : nullptr;
        if (flow == nullptr) {
          PARLEY_RETURN_IF_ERROR(EndFlowRemoved(cx, *session));
          session.reset();
        } else {
          auto continues = AdoptRevision(cx, *flow, *session);
          if (!continues.ok()) {
            return continues.status();
          }
          if (!*continues) {
            session.reset();
          }
        }
      }
      if (session) {
        const flow::Event event =
            flow::Event::Message(message.body, ToFlowContact(cx.contact), message.media);
        PARLEY_RETURN_IF_ERROR(RunStep(cx, *flow, *session, event, false));
      } else if (catalog) {
        // No session: a keyword trigger, else the configured start flow. The message that
        // starts a session is consumed by the start.
        flow = catalog->FindByTrigger(message.body);
        if (!flow && !options_.start_flow.empty()) {
          flow = catalog->Find(options_.start_flow);
        }
        if (flow) {
          store::SessionRecord fresh;
          fresh.contact_id = cx.contact.id;
          fresh.session.flow_id = flow->id;
          PARLEY_RETURN_IF_ERROR(
              RunStep(cx, *flow, fresh, flow::Event::Start(ToFlowContact(cx.contact)), true));
        }
      }
    }
  }
  return cx.tx.UpdateContact(cx.contact);
}

// A webhook retry (Twilio retries when the first answer never arrived) must carry what the
// first delivery answered: inline, the replies recorded for the original event. The original
// is committed, or an earlier event of this batch (the contact's lock orders the two, across
// instances too), so its replies are all there.
Status Service::AnswerRepeat(EventContext& cx, const InboundMessage& message) const {
  if (cx.event.reply_mode != ReplyMode::kInline) {
    return Status::Ok();  // queued: the outbox delivered them; the answer is empty both times
  }
  auto replies = cx.tx.RepliesTo(message.message_sid);
  if (!replies.ok()) {
    return replies.status();
  }
  for (store::MessageRecord& m : *replies) {
    if (!m.content_sid.empty()) {
      continue;  // a WhatsApp template: queued, never part of the inline answer
    }
    cx.applied.outcome.replies.push_back({std::move(m.body), std::move(m.media), ""});
  }
  return Status::Ok();
}

Status Service::Apply(EventContext& cx, const StartFlow& start) const {
  const auto catalog = flows_();
  const auto flow = catalog ? catalog->Find(start.flow_id) : nullptr;
  if (flow == nullptr) {
    return Status::NotFound("no flow with id '" + start.flow_id + "' is loaded");
  }
  if (const auto refusal = StartRefusal(cx.contact.status)) {
    return Status::FailedPrecondition(*refusal);
  }
  cx.reply_from = cx.contact.channel == "whatsapp" ? options_.whatsapp_from : options_.sms_from;
  auto active = cx.tx.ActiveSession(cx.contact.id);
  if (!active.ok()) {
    return active.status();
  }
  if (*active) {
    PARLEY_RETURN_IF_ERROR(EndSession(cx, **active, flow::SessionStatus::kEnded, "restarted"));
  }
  store::SessionRecord fresh;
  fresh.contact_id = cx.contact.id;
  fresh.session.flow_id = flow->id;
  PARLEY_RETURN_IF_ERROR(
      RunStep(cx, *flow, fresh, flow::Event::Start(ToFlowContact(cx.contact)), true));
  if (!cx.applied.outcome.flow_error.empty()) {
    return Status::FailedPrecondition("the flow's start failed: " + cx.applied.outcome.flow_error);
  }
  return Status::Ok();
}

// The contact is locked (the pipeline's lane and row lock), so callbacks for one contact's
// messages apply one at a time, in arrival order; the status rules make that order harmless.
Status Service::Apply(EventContext& cx, const DeliveryStatus& status) const {
  cx.applied.keep = false;  // until something changes
  auto found = cx.tx.FindOutboundBySid(status.provider_sid);
  if (!found.ok()) {
    return found.status();
  }
  if (!found->has_value() || (*found)->contact_id != cx.contact.id) {
    counters_->delivery_statuses.WithLabels("unknown_message").Inc();
    cx.applied.outcome.delivery = DeliveryUpdate::kUnknownMessage;
    return Status::Ok();
  }
  const store::MessageRecord& message = **found;
  if (!DeliveryStatusMayMove(message.status, status.status)) {
    counters_->delivery_statuses.WithLabels("stale").Inc();
    cx.applied.outcome.delivery = DeliveryUpdate::kStale;
    return Status::Ok();
  }
  // A later callback without ErrorCode keeps the code an earlier one recorded.
  const std::string& error_code =
      status.error_code.empty() ? message.error_code : status.error_code;
  PARLEY_RETURN_IF_ERROR(cx.tx.SetMessageStatus(message.id, status.status, error_code));
  cx.applied.keep = true;
  counters_->delivery_statuses.WithLabels("applied").Inc();
  cx.applied.outcome.delivery = DeliveryUpdate::kApplied;
  if (!IsDeliveryFailure(status.status)) {
    return Status::Ok();
  }
  counters_->delivery_failures.Inc();
  return StepDeliveryFailure(cx, message, status);
}

// A failure reaches the flow only for a message the contact's active session sent: a
// message of an ended session, or a HELP answer (sent outside any session), is past anything
// a flow could do about it.
Status Service::StepDeliveryFailure(EventContext& cx, const store::MessageRecord& message,
                                    const DeliveryStatus& status) const {
  if (!message.session_id || cx.contact.status != store::ContactStatus::kActive) {
    return Status::Ok();
  }
  auto active = cx.tx.ActiveSession(cx.contact.id);
  if (!active.ok()) {
    return active.status();
  }
  if (!*active || (*active)->id != *message.session_id) {
    return Status::Ok();
  }
  const auto catalog = flows_();
  const auto flow = catalog ? catalog->Find((*active)->session.flow_id) : nullptr;
  if (flow == nullptr) {
    return Status::Ok();  // the flow was removed: the next inbound message ends the session
  }
  auto continues = AdoptRevision(cx, *flow, **active);
  if (!continues.ok() || !*continues) {
    return continues.status();
  }
  cx.reply_from = message.from;  // anything the flow sends goes out as the failed message did
  const flow::Event event = flow::Event::DeliveryFailed(
      store::MessageStatusName(status.status),
      status.error_code.empty() ? message.error_code : status.error_code,
      ToFlowContact(cx.contact));
  return RunStep(cx, *flow, **active, event, false);
}

}  // namespace parley::conversation
