// A Channel delivers one outbound message to a provider (Twilio's REST API) or, in the
// dry-run channel, records that it would have. Implementations are thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "common/time.hpp"
#include "store/statuses.hpp"

namespace parley::channel {

struct OutboundMessage {
  std::string from;  // "+1555..." or "whatsapp:+1555..."; may be empty (provider default)
  std::string to;
  std::string body;
  std::vector<std::string> media;
  // A WhatsApp template (Twilio's Content API): "HX" + 32 hex. When set, the template is sent
  // instead of `body` and `media` (Twilio refuses both together); outside WhatsApp's 24-hour
  // window only a template reaches the contact.
  std::string content_sid;
  // The template's variables as a JSON object text, e.g. {"1":"March 25"}; empty: none.
  std::string content_variables;
};

struct SendResult {
  // The message's status after this send: the provider's status as it gave it (Twilio:
  // queued, or accepted through a Messaging Service, or a later one), simulated (the dry-run
  // channel), or failed (refused for good, with `error_code`).
  store::MessageStatus status = store::MessageStatus::kSent;
  std::string provider_sid;     // the provider's id for the message, if any
  std::string error_code;       // the provider's error code on a final failure ("21211")
  std::string provider_status;  // the provider's own word for the status ("queued", "accepted")
  int segments = 0;             // segments the provider counted; 0: unknown or not yet counted
};

// What one Send came to: a SendResult (a final answer), or a failure. A failure with code
// kUnavailable is worth retrying (timeout, connection error, 429, 5xx); any other code is a
// failure for good. SendOutcome is a Result<SendResult> that may also carry the provider's
// advice on when to retry.
struct SendOutcome : Result<SendResult> {
  using Result<SendResult>::Result;
  // With kUnavailable: the provider asked for at least this long before the next attempt
  // (HTTP Retry-After on a 429 or 503). A backoff should wait no less.
  std::optional<Duration> retry_after;
};

class Channel {
 public:
  virtual ~Channel() = default;
  virtual SendOutcome Send(const OutboundMessage& message) = 0;
};

}  // namespace parley::channel
