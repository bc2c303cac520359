// POST /twilio/messages (and LIMA's /user-reply/): Twilio's incoming-message webhook.
//
//   decode the form → check X-Twilio-Signature over PUBLIC_URL + the raw request target →
//   parse From (E.164, channel) → compliance keyword → Conversations::HandleInbound →
//   200 text/xml: <Response/>, or the replies as TwiML <Message>s in twiml mode.
//
// Answers (what Twilio sees; the detail goes to the log, never to the caller):
//   400 malformed form encoding, missing From/MessageSid, or a From that is not a number
//   403 signature missing or wrong (nothing is written)
//   415 a body that is not application/x-www-form-urlencoded
//   503 the database is unavailable (Twilio retries; nothing was written)
//   500 anything else
// A repeated MessageSid gets the same 200 as the first delivery and changes nothing.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "common/time.hpp"
#include "http/server.hpp"
#include "webhook/conversations.hpp"

namespace parley::webhook {

struct InboundOptions {
  std::string auth_token;
  std::string public_url;  // what Twilio signs: scheme://host[:port], no trailing slash
  bool validate_signature = true;
  std::string default_region = "US";
  // Error lines for the server log: never a body, a token or a full phone number.
  std::function<void(std::string_view)> log;
};

class InboundHandler {
 public:
  InboundHandler(Conversations& conversations, const Clock& clock, InboundOptions options);

  http::Response operator()(const http::Request& request);

  uint64_t signature_failures() const { return signature_failures_.load(); }
  uint64_t bad_requests() const { return bad_requests_.load(); }
  uint64_t errors() const { return errors_.load(); }

 private:
  http::Response Fail(int status, std::string_view answer, const http::Request& request,
                      const std::string& detail);

  Conversations& conversations_;
  const Clock& clock_;
  InboundOptions options_;
  std::atomic<uint64_t> signature_failures_{0};
  std::atomic<uint64_t> bad_requests_{0};
  std::atomic<uint64_t> errors_{0};
};

}  // namespace parley::webhook
