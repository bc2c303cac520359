// Conversations: one event for one contact, applied in one database transaction.
//
//   lock the contact → record the inbound message (a repeated MessageSid stops here) →
//   compliance (STOP/START/HELP) → find or start the session → flow::Step → write the
//   session, outbound messages (outbox or inline TwiML) and timers → commit.
//
// Nothing is written unless everything is: a store error rolls the whole event back and
// is returned (kUnavailable: the database is down, the caller answers 503 so Twilio
// retries). A flow handler error is different: the event's message is kept, the session
// stays as it was, and the outcome says so (DESIGN §1: errors fail that event).
//
// Thread-safe: any number of threads (and processes sharing a PostgreSQL) may call it;
// the per-contact lock of the store orders events of one contact.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "common/time.hpp"
#include "store/store.hpp"
#include "webhook/address.hpp"
#include "webhook/compliance.hpp"
#include "webhook/flow_catalog.hpp"

namespace parley::webhook {

// Counters for /metrics; owned by the caller, shared by every thread.
struct ConversationCounters {
  std::atomic<uint64_t> inbound{0};      // messages recorded (duplicates not counted)
  std::atomic<uint64_t> duplicates{0};   // repeats of a MessageSid already recorded
  std::atomic<uint64_t> transitions{0};  // edges taken
  std::atomic<uint64_t> unmatched{0};    // events no edge matched
  std::atomic<uint64_t> sessions_started{0};
  std::atomic<uint64_t> opt_outs{0};
  std::atomic<uint64_t> flow_errors{0};  // events failed by a handler error
};

struct ConversationOptions {
  std::string help_text;        // the answer to HELP/INFO
  std::string start_flow;       // flow for a contact with no session and no trigger; empty: none
  bool inline_replies = false;  // PARLEY_REPLY_MODE=twiml: replies returned, not queued
  // Sender addresses for conversations the server starts (parley start): the sms and the
  // whatsapp number ("+1555..." / "whatsapp:+1555..."). Inbound events reply from the
  // number that received them.
  std::string sms_from;
  std::string whatsapp_from;
};

struct InboundMessage {
  Address from;
  std::string to;  // the number that received it, as Twilio sent it
  std::string message_sid;
  std::string body;  // valid UTF-8
  std::vector<std::string> media;
  std::string profile_name;  // WhatsApp
  std::string wa_id;         // WhatsApp
  ComplianceKind compliance = ComplianceKind::kNone;
};

struct Reply {
  std::string body;
  std::vector<std::string> media;
};

struct Outcome {
  bool duplicate = false;
  std::vector<Reply> replies;   // what the event sent (queued, or inline in twiml mode)
  bool replies_inline = false;  // replies must go back in the webhook's answer (twiml mode)
  std::string session_state;    // after the event; empty when there is no session
  std::string flow_error;       // a handler error that failed the event, if any
};

class Conversations {
 public:
  Conversations(store::Store& store, std::function<std::shared_ptr<const FlowCatalog>()> flows,
                ConversationOptions options, ConversationCounters& counters);

  // An inbound message (the webhook).
  Result<Outcome> HandleInbound(const InboundMessage& message, TimePoint now);

  // Starts `flow_id` for the contact at `to` (parley start, the admin), ending any active
  // session of theirs first (status "ended", reason "restarted"). FailedPrecondition if the
  // contact opted out; NotFound for an unknown flow.
  Result<Outcome> Start(const Address& to, const std::string& flow_id, TimePoint now);

  // Called after every commit that queued outbound messages (wakes the sender).
  void set_on_queued(std::function<void()> f) { on_queued_ = std::move(f); }

 private:
  struct EventContext;
  Status RunStep(EventContext& cx, const flow::Flow& flow, store::SessionRecord& session,
                 const flow::Event& event, bool starting);
  Status Deliver(EventContext& cx, const store::SessionRecord& session, const std::string& text,
                 const std::vector<std::string>& media);
  Status EndSession(store::Transaction& tx, store::SessionRecord& s, flow::SessionStatus status,
                    const std::string& reason, TimePoint now);

  store::Store& store_;
  std::function<std::shared_ptr<const FlowCatalog>()> flows_;
  ConversationOptions options_;
  ConversationCounters& counters_;
  std::function<void()> on_queued_;
};

}  // namespace parley::webhook
