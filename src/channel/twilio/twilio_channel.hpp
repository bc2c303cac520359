// The Twilio channel: sends each outbound message with Twilio's REST API,
//   POST {api_base}/2010-04-01/Accounts/{AccountSid}/Messages.json
// with HTTP Basic auth (the Account SID and auth token, or an API key SID and secret), the
// form of message_form.hpp (sender selection, body or template, StatusCallback), and reads
// the answer as message_reply.hpp says: accepted ("sent", with Twilio's sid), refused for
// good (failed, with Twilio's error code), or worth retrying (kUnavailable, with
// Retry-After). Connections are kept alive between messages (curl_poster.hpp).
//
// A timeout or a dropped connection after the request went out leaves it unknown whether
// Twilio created the message; the retry that follows can then send it twice (Twilio's
// Messages API takes no idempotency key). docs/delivery.md describes that window.
//
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "channel/channel.hpp"
#include "channel/twilio/curl_poster.hpp"
#include "channel/twilio/message_form.hpp"
#include "common/time.hpp"

namespace parley::channel {

struct TwilioChannelOptions {
  std::string api_base = "https://api.twilio.com";  // TWILIO_API_BASE; tests: a stand-in
  std::string account_sid;                          // "AC" + 32 hex
  // Basic auth: api_key + api_secret when both are set ("SK..."), else account_sid +
  // auth_token.
  std::string auth_token;
  std::string api_key;
  std::string api_secret;
  TwilioSenders senders;
  // Sent as StatusCallback with every message (PUBLIC_URL + "/twilio/status"); empty: none.
  std::string status_callback;
  CurlPosterOptions http;
  const Clock* clock = nullptr;  // reads Retry-After dates; null: the system clock
};

class TwilioChannel final : public Channel {
 public:
  // InvalidArgument naming the configuration key when the options cannot work: an Account
  // SID that is not "AC" + 32 hex, no credentials, an API base that is not an http(s) URL,
  // a Messaging Service SID that is not "MG" + 32 hex.
  static Result<std::unique_ptr<TwilioChannel>> Create(TwilioChannelOptions options);

  SendOutcome Send(const OutboundMessage& message) override;

  // New HTTP connections opened so far (keep-alive reuses them).
  uint64_t connections_opened() const { return poster_->connections_opened(); }

 private:
  TwilioChannel(TwilioChannelOptions options, std::unique_ptr<CurlPoster> poster);

  const TwilioChannelOptions options_;
  const std::string messages_url_;
  std::unique_ptr<CurlPoster> poster_;
  SystemClock system_clock_;
};

// Whether `sid` is `prefix` followed by 32 hex digits ("AC…", "MG…", "SK…", "HX…").
bool IsTwilioSid(std::string_view sid, std::string_view prefix);

}  // namespace parley::channel
