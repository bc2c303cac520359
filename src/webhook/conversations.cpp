#include "webhook/conversations.hpp"

#include <variant>

#include "flow/engine.hpp"
#include "flow/json.hpp"

namespace parley::webhook {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

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

store::ContactRecord NewContact(const Address& a) {
  store::ContactRecord c;
  c.address = a.key;
  c.channel = a.channel;
  c.phone = a.phone;
  return c;
}

}  // namespace

// The state of one event while it runs: its transaction, contact and what it produced.
struct Conversations::EventContext {
  store::Transaction& tx;
  store::ContactRecord contact;
  TimePoint now;
  std::string reply_from;  // sender address for outbound messages
  bool inline_replies;     // replies go back in the HTTP answer (twiml mode, inbound only)
  Outcome outcome;
  bool queued = false;
};

Conversations::Conversations(store::Store& store,
                             std::function<std::shared_ptr<const FlowCatalog>()> flows,
                             ConversationOptions options, ConversationCounters& counters)
    : store_(store), flows_(std::move(flows)), options_(std::move(options)), counters_(counters) {}

Status Conversations::Deliver(EventContext& cx, const store::SessionRecord& session,
                              const std::string& text, const std::vector<std::string>& media) {
  store::MessageRecord m;
  m.contact_id = cx.contact.id;
  if (session.id != 0) {
    m.session_id = session.id;
  }
  m.direction = store::MessageRecord::Direction::kOutbound;
  m.from = cx.reply_from;
  m.to = cx.contact.address;
  m.body = text;
  m.media = media;
  m.created_at = cx.now;
  cx.outcome.replies.push_back({text, media});
  if (cx.inline_replies) {
    cx.outcome.replies_inline = true;
    m.status = "twiml";
    return cx.tx.RecordOutbound(m);
  }
  m.status = "queued";
  cx.queued = true;
  return cx.tx.EnqueueOutbound(m);
}

Status Conversations::EndSession(store::Transaction& tx, store::SessionRecord& s,
                                 flow::SessionStatus status, const std::string& reason,
                                 TimePoint now) {
  s.session.status = status;
  s.ended_at = now;
  s.updated_at = now;
  s.end_reason = reason;
  PARLEY_RETURN_IF_ERROR(tx.CancelTimers(s.id, ""));
  return tx.SaveSession(s);
}

// Runs one engine step and writes its effects. A handler error is not a store error: it is
// recorded in the outcome and the session is left as it was.
Status Conversations::RunStep(EventContext& cx, const flow::Flow& flow,
                              store::SessionRecord& session, const flow::Event& event,
                              bool starting) {
  auto step = flow::Step(flow, session.session, event, cx.now);
  if (!step.ok()) {
    counters_.flow_errors.fetch_add(1, std::memory_order_relaxed);
    cx.outcome.flow_error = step.status().ToString();
    return Status::Ok();
  }
  session.session = std::move(step->session);
  session.flow_revision = flow.revision;
  session.updated_at = cx.now;
  if (starting) {
    session.started_at = cx.now;
    counters_.sessions_started.fetch_add(1, std::memory_order_relaxed);
  }
  if (!session.session.active()) {
    session.ended_at = cx.now;
    if (session.end_reason.empty()) {
      session.end_reason = flow::SessionStatusName(session.session.status);
    }
  }
  // The session row first: a new session needs its id for messages and timers.
  PARLEY_RETURN_IF_ERROR(cx.tx.SaveSession(session));
  for (const flow::Effect& effect : step->effects) {
    Status s = std::visit(
        Overloaded{
            [&](const flow::SendEffect& e) { return Deliver(cx, session, e.text, e.media); },
            [&](const flow::TimerSetEffect& e) {
              return cx.tx.SetTimer({session.id, e.name, e.due, e.step, e.keep});
            },
            [&](const flow::TimerCancelEffect& e) {
              return cx.tx.CancelTimers(session.id, e.all ? "" : e.name);
            },
            [&](const flow::StateChangeEffect&) {
              counters_.transitions.fetch_add(1, std::memory_order_relaxed);
              return Status::Ok();
            },
            [&](const flow::UnmatchedEffect&) {
              counters_.unmatched.fetch_add(1, std::memory_order_relaxed);
              return Status::Ok();
            },
            [&](const auto&) { return Status::Ok(); },
        },
        effect);
    PARLEY_RETURN_IF_ERROR(s);
  }
  if (!session.session.active()) {
    PARLEY_RETURN_IF_ERROR(cx.tx.CancelTimers(session.id, ""));
  }
  cx.outcome.session_state = session.session.active() ? session.session.state : "";
  return Status::Ok();
}

Result<Outcome> Conversations::HandleInbound(const InboundMessage& message, TimePoint now) {
  auto tx = store_.Begin();
  if (!tx.ok()) {
    return tx.status();
  }
  auto contact = (*tx)->LockContact(NewContact(message.from));
  if (!contact.ok()) {
    return contact.status();
  }
  EventContext cx{**tx, std::move(*contact), now, message.to, options_.inline_replies, {}, false};

  store::MessageRecord in;
  in.contact_id = cx.contact.id;
  in.direction = store::MessageRecord::Direction::kInbound;
  in.provider_sid = message.message_sid;
  in.from = message.from.key;
  in.to = message.to;
  in.body = message.body;
  in.media = message.media;
  in.status = "received";
  in.created_at = now;
  auto inserted = cx.tx.InsertInbound(in);
  if (!inserted.ok()) {
    return inserted.status();
  }
  if (!*inserted) {
    counters_.duplicates.fetch_add(1, std::memory_order_relaxed);
    Outcome duplicate;
    duplicate.duplicate = true;
    return duplicate;  // the transaction rolls back: nothing of the repeat is kept
  }
  counters_.inbound.fetch_add(1, std::memory_order_relaxed);

  cx.contact.last_inbound_at = now;
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

  // Compliance runs before the flow (DESIGN §2).
  const ComplianceKind compliance = message.compliance;
  if (compliance == ComplianceKind::kStop) {
    counters_.opt_outs.fetch_add(1, std::memory_order_relaxed);
    cx.contact.status = "opted_out";
    if (session) {
      PARLEY_RETURN_IF_ERROR(
          EndSession(cx.tx, *session, flow::SessionStatus::kOptedOut, "opted_out", now));
    }
  } else if (compliance == ComplianceKind::kStart) {
    cx.contact.status = "active";  // Twilio itself confirms the opt-in on the carrier side
  } else if (cx.contact.status == "active") {
    if (compliance == ComplianceKind::kHelp) {
      PARLEY_RETURN_IF_ERROR(
          Deliver(cx, session.value_or(store::SessionRecord{}), options_.help_text, {}));
    } else if (session) {
      const auto catalog = flows_();
      const auto flow = catalog ? catalog->Find(session->session.flow_id) : nullptr;
      if (flow == nullptr) {
        counters_.flow_errors.fetch_add(1, std::memory_order_relaxed);
        cx.outcome.flow_error = "the session's flow '" + session->session.flow_id +
                                "' is not loaded; the message was recorded only";
      } else {
        const flow::Event event =
            flow::Event::Message(message.body, ToFlowContact(cx.contact), message.media);
        PARLEY_RETURN_IF_ERROR(RunStep(cx, *flow, *session, event, false));
      }
    } else {
      // No session: a keyword trigger, else the configured start flow. The message that
      // starts a session is consumed by the start (DESIGN §2).
      const auto catalog = flows_();
      std::shared_ptr<const flow::Flow> flow;
      if (catalog) {
        flow = catalog->FindByTrigger(message.body);
        if (!flow && !options_.start_flow.empty()) {
          flow = catalog->Find(options_.start_flow);
        }
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
  PARLEY_RETURN_IF_ERROR(cx.tx.UpdateContact(cx.contact));
  PARLEY_RETURN_IF_ERROR(cx.tx.Commit());
  if (cx.queued && on_queued_) {
    on_queued_();
  }
  return std::move(cx.outcome);
}

Result<Outcome> Conversations::Start(const Address& to, const std::string& flow_id, TimePoint now) {
  const auto catalog = flows_();
  const auto flow = catalog ? catalog->Find(flow_id) : nullptr;
  if (flow == nullptr) {
    return Status::NotFound("no flow with id '" + flow_id + "' is loaded");
  }
  auto tx = store_.Begin();
  if (!tx.ok()) {
    return tx.status();
  }
  auto contact = (*tx)->LockContact(NewContact(to));
  if (!contact.ok()) {
    return contact.status();
  }
  if (contact->status != "active") {
    return Status::FailedPrecondition("the contact has opted out (status " + contact->status +
                                      "); they must send START first");
  }
  const std::string& from = to.channel == "whatsapp" ? options_.whatsapp_from : options_.sms_from;
  EventContext cx{**tx, std::move(*contact), now, from, false, {}, false};
  auto active = cx.tx.ActiveSession(cx.contact.id);
  if (!active.ok()) {
    return active.status();
  }
  if (*active) {
    PARLEY_RETURN_IF_ERROR(
        EndSession(cx.tx, **active, flow::SessionStatus::kEnded, "restarted", now));
  }
  store::SessionRecord fresh;
  fresh.contact_id = cx.contact.id;
  fresh.session.flow_id = flow->id;
  PARLEY_RETURN_IF_ERROR(
      RunStep(cx, *flow, fresh, flow::Event::Start(ToFlowContact(cx.contact)), true));
  if (!cx.outcome.flow_error.empty()) {
    return Status::FailedPrecondition("the flow's start failed: " + cx.outcome.flow_error);
  }
  PARLEY_RETURN_IF_ERROR(cx.tx.Commit());
  if (cx.queued && on_queued_) {
    on_queued_();
  }
  return std::move(cx.outcome);
}

}  // namespace parley::webhook
