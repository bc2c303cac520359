// The events the conversation core applies to a contact, and what applying one produced.
//
// Every kind of event goes through the same envelope (Pipeline → Service::Apply): lock the
// contact, run the kind's body, write, commit, then answer. A new kind is a new alternative
// of EventBody and a new Service::Apply overload; std::visit without a catch-all makes a
// missing overload a compile error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/time.hpp"
#include "conversation/address.hpp"
#include "conversation/compliance.hpp"
#include "flow/session.hpp"
#include "store/admin_store.hpp"
#include "store/statuses.hpp"

namespace parley::conversation {

// Where an event's replies go: queued in the outbox for the sender (REST), or returned in
// the Outcome for the caller to answer inline (the webhook's TwiML).
enum class ReplyMode { kQueued, kInline };

// A message the contact sent (the webhook).
struct InboundMessage {
  std::string to;  // the number that received it, as Twilio sent it
  std::string message_sid;
  std::string body;  // valid UTF-8
  std::vector<std::string> media;
  std::string profile_name;  // WhatsApp
  std::string wa_id;         // WhatsApp
  ComplianceKind compliance = ComplianceKind::kNone;
};

// Start `flow_id` for the contact (parley start, the admin), ending their active session
// first (status "ended", reason "restarted"). Fails with FailedPrecondition when the contact
// is not active (the message says why: opted out, invalid address, blocked) or the flow's
// start fails, NotFound for an unknown flow; a refused start changes
// nothing, except that a contact seen for the first time is recorded (the pipeline locks, and
// so creates, every contact of a batch before its events run).
struct StartFlow {
  std::string flow_id;
};

// A delivery status callback (POST /twilio/status) for the outbound message Twilio knows by
// `provider_sid`, sent to this event's contact. Moves the message's status forward
// (delivery_status.hpp) and records the error code; a failure (failed, undelivered) of a
// message the contact's active session sent steps that session with a delivery-failed
// event (docs/flow-format.md, "Delivery failures"). A message that is unknown, or not the
// contact's, changes nothing (Outcome::delivery says which).
struct DeliveryStatus {
  std::string provider_sid;
  store::MessageStatus status = store::MessageStatus::kSent;
  std::string error_code;  // Twilio's ErrorCode, digits; empty when the callback had none
};

// A due timer of the contact's session, claimed by the scheduler (docs/architecture.md,
// "Timers"). Applying it takes the timer row (Transaction::TakeTimer) in the event's
// transaction, so it fires once however often it was claimed; a timer replaced, cancelled or
// fired meanwhile changes nothing. It fires into the session unless the session moved since
// it was set (the step) and it is not `keep`: then it is dropped. `missed` (past the
// scheduler's grace) drops it as missed. Its replies are always queued (no inline answer).
struct Timer {
  int64_t session_id = 0;
  std::string name;
  TimePoint due{};
  uint64_t step = 0;
  bool keep = false;
  bool missed = false;
  std::optional<flow::TimerRecurrence> recur = std::nullopt;  // recurring: set again as it fires
};

// An operator's action on one contact from the admin console (docs/admin.md), applied under
// the contact's lock like any other event, with its audit line (`audit`) written in the same
// transaction. Refusals are FailedPrecondition (nothing written): ending a session when
// there is none, sending to a contact that is not active, a free-form WhatsApp message
// outside the 24-hour window (whatsapp_window.hpp), starting a flow for an opted-out
// contact; NotFound for an unknown flow.
struct AdminAction {
  enum class Kind {
    kEndSession,   // the active session ends: status "ended", reason "ended_by_admin"
    kOptOut,       // status "opted_out"; the active session ends as a STOP ends it
    kOptIn,        // status "active" again (an opted-out or invalid contact)
    kSendMessage,  // `body`, queued in the outbox (no session: a one-off, not the flow's)
    kEditContact,  // `name` and `fields_json` (a JSON object of strings) replace the stored
    kStartFlow,    // `flow_id`, as StartFlow; a non-empty `name` and the members of
                   // `fields_json` are written to the contact first (a broadcast's columns)
  };
  Kind kind = Kind::kEndSession;
  std::string body;
  std::string name;
  std::string fields_json = "{}";
  std::string flow_id;
  store::AuditRecord audit;  // its `at` is set to the event's time
};

using EventBody = std::variant<InboundMessage, StartFlow, DeliveryStatus, Timer, AdminAction>;

struct Event {
  Address contact;  // whose event it is
  EventBody body;
  ReplyMode reply_mode = ReplyMode::kQueued;
};

struct Reply {
  std::string body;
  std::vector<std::string> media;
  std::string content_sid;  // a WhatsApp template (always queued, never inline); empty: none
};

// What a DeliveryStatus event did.
enum class DeliveryUpdate {
  kNone,            // not a DeliveryStatus event
  kApplied,         // the message's status moved
  kStale,           // a duplicate, out of order, or after a final status: nothing changed
  kUnknownMessage,  // no outbound message of this contact has that sid: nothing changed
};

struct Outcome {
  bool duplicate = false;  // a repeated MessageSid: nothing was written
  DeliveryUpdate delivery = DeliveryUpdate::kNone;
  // What the event sent (queued, or to answer inline). For a duplicate in inline mode: the
  // replies recorded for the original delivery, so a retry is answered alike.
  std::vector<Reply> replies;
  std::string session_state;  // after the event; empty when there is no session
  // A handler error that failed the event's step, if any: may quote message text, so only
  // for DEBUG logs and the CLI.
  std::string flow_error;
  std::string flow_error_summary;  // the same without the script's words, for the log
                                   // (flow_error.hpp)
};

}  // namespace parley::conversation
