// POST /twilio/messages (and LIMA's /user-reply/): Twilio's incoming-message webhook.
//
//   decode the form → check X-Twilio-Signature over PUBLIC_URL + the raw request target →
//   check the parameters are what Twilio sends (twilio/inbound_params.hpp: the signature alone
//   lets a captured webhook be replayed with a boundary moved) → parse From (E.164, channel) →
//   compliance keyword → the event to the conversation pipeline → (once its batch has
//   committed) 200 text/xml: <Response/>, or the replies as TwiML <Message>s in twiml mode.
//
// Asynchronous: the worker that decoded the request returns at once; the answer is written
// when the pipeline calls back, so a webhook waiting for the database holds no thread.
//
// Answers (what Twilio sees; the detail goes to the log, not to the caller, except which
// parameter a 400 refused):
//   400 malformed form encoding, parameters Twilio would not send (twilio/inbound_params.hpp:
//       the answer names the parameter; nothing is written), or a From that is not a number
//   403 signature missing or wrong (nothing is written)
//   415 a body that is not application/x-www-form-urlencoded
//   503 the database is unavailable, or the pipeline's queue stayed full (Twilio retries;
//       nothing was written)
//   500 anything else
// A repeated MessageSid gets the same 200 as the first delivery, with the same replies in
// twiml mode, and changes nothing. Text reaches the pipeline as storable text (ill-formed
// UTF-8 and U+0000 replaced by U+FFFD; common/utf8.hpp).
#pragma once

#include <functional>
#include <string>

#include "common/metrics.hpp"
#include "conversation/event.hpp"
#include "conversation/pipeline.hpp"
#include "http/server.hpp"

namespace parley::webhook {

struct InboundOptions {
  // kInline (PARLEY_REPLY_MODE=twiml): replies go back in the answer as TwiML.
  conversation::ReplyMode reply_mode = conversation::ReplyMode::kQueued;
  std::string auth_token;
  // TWILIO_ACCOUNT_SID: webhooks of another account are refused (400). Empty: any account.
  std::string account_sid;
  std::string public_url;  // what Twilio signs: scheme://host[:port], no trailing slash
  bool validate_signature = true;
  std::string default_region = "US";
  // Error lines for the server log: never a body, a token or a full phone number.
  std::function<void(std::string_view)> log;
  // DEBUG lines: a flow handler's full error text, which may quote what the script put in
  // error() (the reply included). Unset: not built.
  std::function<void(std::string_view)> debug_log;
};

// Thread-safe; `pipeline` and `registry` must outlive it.
class InboundHandler {
 public:
  // Registers parley_signature_failures_total, parley_bad_webhooks_total and
  // parley_inbound_webhooks_failed_total in `registry`.
  InboundHandler(conversation::Pipeline& pipeline, InboundOptions options,
                 metrics::Registry& registry);

  // An http::AsyncHandler.
  void operator()(const http::Request& request, http::Responder respond);

 private:
  http::Response Fail(int status, std::string_view answer, std::string_view request_id,
                      const std::string& detail) const;
  void Finish(const std::string& request_id, const std::string& masked_from,
              Result<conversation::Outcome> outcome, const http::Responder& respond) const;

  conversation::Pipeline& pipeline_;
  InboundOptions options_;
  metrics::Counter& signature_failures_;
  metrics::Counter& bad_requests_;
  metrics::Counter& errors_;
};

}  // namespace parley::webhook
