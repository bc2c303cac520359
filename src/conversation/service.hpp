// conversation::Service: what every kind of event does to a contact, inside the transaction
// the pipeline opened for it (docs/architecture.md, "Life of an event").
//
//   lock the contact → the kind's body (inbound: record the message — a repeated MessageSid
//   stops here, answered inline with the replies recorded for the original —, compliance, find or
//   start the session, flow::Step; start: end the active session, step into the flow's initial
//   state; delivery status: move the message's status forward, and on a failure step the
//   session that sent it) → write the session, outbound messages (outbox rows, or inline replies)
//   and timers.
//
// A session whose flow has a new revision (a reload) moves to it on its next event:
// revision_move.hpp decides how, and a session that cannot continue ends (state_removed,
// flow_removed); an inbound message is then handled as for a contact with no session.
//
// The Service never begins or commits: the Pipeline does, around many events at once, and
// answers each event's caller once its batch is durable. An error from Apply means the
// event's writes must be rolled back: a store error (kUnavailable: the database is down, the
// webhook answers 503 so Twilio retries), or a refused start. A flow handler error is not an
// error here: the inbound message is kept, the session stays as it was, and the Outcome says
// so (flow_error, and flow_error_summary for logs). A step that fails on a handler limit
// (deadline, budget, memory) pauses the contact's handlers for a back-off: its next events
// are handler errors of that kind without the flow running (HandlerBreaker).
//
// Thread-safe: Apply may run on any number of threads at once (one per pipeline lane).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/metrics.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "conversation/event.hpp"
#include "conversation/flow_catalog.hpp"
#include "conversation/handler_breaker.hpp"
#include "store/store.hpp"

namespace parley::conversation {

struct ServiceOptions {
  std::string help_text;   // the answer to HELP/INFO
  std::string start_flow;  // flow for a contact with no session and no trigger; empty: none
  // Sender addresses for conversations parley starts (StartFlow): the sms and the whatsapp
  // number ("+1555..." / "whatsapp:+1555..."). Inbound events reply from the number that
  // received them.
  std::string sms_from;
  std::string whatsapp_from;
  // Contacts whose handlers hit a limit are paused (handler_breaker.hpp).
  HandlerBreakerOptions breaker;
};

// What applying one event produced, for the pipeline.
struct Applied {
  Outcome outcome;
  bool keep = true;     // false: roll the event's writes back (a duplicate changes nothing)
  bool queued = false;  // outbound messages were queued: wake the sender after the commit
  std::optional<TimePoint> timer_set;  // the earliest timer set: wake the scheduler
};

// The record a contact is created from when its first event arrives.
store::ContactRecord NewContactRecord(const Address& address, TimePoint now);

class Service {
 public:
  // The flows in force; called once per event (a reload swaps what it returns).
  using CatalogSource = std::function<std::shared_ptr<const FlowCatalog>()>;

  // Registers the conversation counters in `registry` (parley_inbound_messages_total, ...).
  Service(CatalogSource flows, ServiceOptions options, metrics::Registry& registry);
  ~Service();

  // Applies `event` at `now` inside `tx`, which the caller commits (or rolls back on an
  // error or when !keep).
  Result<Applied> Apply(store::Transaction& tx, const Event& event, TimePoint now) const;

 private:
  struct Counters;
  struct EventContext;
  Status Apply(EventContext& cx, const InboundMessage& message) const;
  Status Apply(EventContext& cx, const StartFlow& start) const;
  Status Apply(EventContext& cx, const Timer& timer) const;  // service_timer.cpp
  void CountTimer(const char* outcome) const;
  // Messages of an event with no webhook to answer (a timer, an operator's message) go out
  // from the number the contact last wrote to, as a reply would; else the configured one.
  Status SendFromLastInbound(EventContext& cx) const;  // parley_timers_total{outcome}
  Status Apply(EventContext& cx, const DeliveryStatus& status) const;
  Status Apply(EventContext& cx, const AdminAction& action) const;  // at the end of service.cpp
  Status StepDeliveryFailure(EventContext& cx, const store::MessageRecord& message,
                             const DeliveryStatus& status) const;
  Status AnswerRepeat(EventContext& cx, const InboundMessage& message) const;
  Result<bool> AdoptRevision(EventContext& cx, const flow::Flow& flow,
                             store::SessionRecord& session) const;
  Status EndFlowRemoved(EventContext& cx, store::SessionRecord& session) const;
  Status RunStep(EventContext& cx, const flow::Flow& flow, store::SessionRecord& session,
                 const flow::Event& event, bool starting) const;
  // Queues (or, inline, records) what one `send` produced: split into parts, or a WhatsApp
  // template as one queued message.
  Status Deliver(EventContext& cx, const store::SessionRecord& session,
                 const flow::SendEffect& send) const;
  static store::MessageRecord OutboundRecord(const EventContext& cx,
                                             const store::SessionRecord& session);
  // Ends `s` and records where it ended in the history (transition_record.hpp); `cause`
  // names what ended it when it is not the event itself (a reload).
  static Status EndSession(EventContext& cx, store::SessionRecord& s, flow::SessionStatus status,
                           const std::string& reason, std::string_view cause = {});

  CatalogSource flows_;
  ServiceOptions options_;
  std::unique_ptr<Counters> counters_;
  std::unique_ptr<HandlerBreaker> breaker_;
};

}  // namespace parley::conversation
