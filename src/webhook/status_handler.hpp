// POST /twilio/status: Twilio's delivery status callbacks for the messages parley sent (the
// StatusCallback the REST channel gives each message).
//
//   decode the form and check X-Twilio-Signature exactly as the inbound webhook does
//   (signed_form.hpp) → check the parameters are what Twilio sends
//   (twilio::CheckStatusParams) → MessageStatus to a stored status
//   (conversation/delivery_status.hpp) → a DeliveryStatus event for the contact in `To`
//   through the conversation pipeline (locked and ordered with the contact's other events)
//   → (once its batch has committed) 200 with an empty body.
//
// Answers:
//   200 the status was applied, or changed nothing: a duplicate, out of order, after a final
//       status, a MessageStatus that says nothing about delivery ("received", unknown
//       values), or a MessageSid parley does not know (logged at INFO with the sid and
//       counted; answering 200 stops Twilio from retrying something that cannot succeed)
//   400 malformed form encoding, or parameters Twilio would not send (nothing is written)
//   403 signature missing or wrong (nothing is written)
//   415 a body that is not application/x-www-form-urlencoded
//   503 the database is unavailable or the pipeline is full; 500 anything else
//
// A callback whose `To` is not yet a contact creates that contact's row (the pipeline locks,
// and so creates, the contact of every event before it runs) and changes nothing else.
#pragma once

#include <functional>
#include <string>

#include "common/metrics.hpp"
#include "conversation/pipeline.hpp"
#include "http/server.hpp"
#include "webhook/signed_form.hpp"

namespace parley::webhook {

struct StatusOptions {
  SignatureOptions signature;
  // TWILIO_ACCOUNT_SID: callbacks of another account are refused (400). Empty: any account.
  std::string account_sid;
  std::string default_region = "US";
  // Refusals and failures, for the server log: never a body, a token or a full phone number.
  std::function<void(std::string_view)> log;
  // Callbacks that changed nothing for a reason worth a look: an unknown MessageSid.
  std::function<void(std::string_view)> info_log;
  // DEBUG lines: every ignored status, and a flow handler's full error text.
  std::function<void(std::string_view)> debug_log;
};

// Thread-safe; `pipeline` and `registry` must outlive it.
class StatusHandler {
 public:
  // Registers parley_status_callbacks_refused_total{reason}, parley_status_callbacks_ignored_total
  // and parley_status_callback_errors_total in `registry` (what the events did is counted by
  // the conversation Service: parley_status_callbacks_total{result}).
  StatusHandler(conversation::Pipeline& pipeline, StatusOptions options,
                metrics::Registry& registry);

  // An http::AsyncHandler.
  void operator()(const http::Request& request, http::Responder respond);

 private:
  http::Response Fail(int status, std::string_view answer, std::string_view request_id,
                      const std::string& detail) const;
  void Finish(const std::string& request_id, const std::string& sid,
              Result<conversation::Outcome> outcome, const http::Responder& respond) const;

  conversation::Pipeline& pipeline_;
  StatusOptions options_;
  metrics::CounterFamily& refused_;
  metrics::Counter& ignored_;
  metrics::Counter& errors_;
};

}  // namespace parley::webhook
