// A Channel delivers one outbound message to a provider (Twilio's REST API) or, in the
// dry-run channel, records that it would have. Implementations are thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/status.hpp"
#include "store/statuses.hpp"

namespace parley::channel {

struct OutboundMessage {
  std::string from;  // "+1555..." or "whatsapp:+1555..."; may be empty (provider default)
  std::string to;
  std::string body;
  std::vector<std::string> media;
};

struct SendResult {
  store::MessageStatus status = store::MessageStatus::kSent;  // sent, simulated or failed
  std::string provider_sid;  // the provider's id for the message, if any
  std::string error_code;    // the provider's error code on a final failure
};

class Channel {
 public:
  virtual ~Channel() = default;
  // A final answer (sent, or failed for good) is a SendResult; a failure worth retrying
  // (timeout, 429, 5xx) is kUnavailable.
  virtual Result<SendResult> Send(const OutboundMessage& message) = 0;
};

}  // namespace parley::channel
