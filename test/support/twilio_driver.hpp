// Plays Twilio's side of the messaging webhook against a running parley server: builds the
// parameter sets Twilio sends for SMS, MMS and WhatsApp (docs/architecture.md), encodes and
// signs them like Twilio (§2), posts them with Twilio's headers and timeouts (§3) over its
// own small blocking Boost.Beast client, and parses the TwiML answer (§4).
//
// Self-contained: it depends on the Twilio wire pieces (form, signature, TwiML) only, not on
// parley's HTTP server code, so it checks that server independently.
//
// Thread-safety: a TwilioDriver may be shared; Post, PostJson and the builders may be called
// from several threads at once (each request uses its own connection and I/O context;
// NewMessageSid and the other random ids are serialised internally). Movable, not copyable;
// a moved-from driver may only be destroyed or assigned to.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.hpp"
#include "test/support/twiml_parser.hpp"
#include "twilio/form.hpp"
#include "twilio/twiml.hpp"

namespace parley::testing {

struct TwilioDriverOptions {
  // The auth token the requests are signed with (the server's TWILIO_AUTH_TOKEN).
  std::string auth_token;
  // The public base URL Twilio signs over, without a trailing slash:
  // "https://parley.example.com" (the server's PUBLIC_URL). Its authority is also sent as
  // the Host header.
  std::string public_url;
  // Where to actually connect (the server under test, usually 127.0.0.1 and its port).
  std::string connect_host = "127.0.0.1";
  uint16_t connect_port = 0;
  std::string account_sid = "AC0123456789abcdef0123456789abcdef";
  // Twilio's defaults: 10 s to connect, 15 s for the whole exchange, connect included.
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{15'000};
};

enum class SignatureMode {
  kValid,  // X-Twilio-Signature computed as Twilio does
  kWrong,  // a well-formed signature made with a different token
  kNone,   // no X-Twilio-Signature header at all
};

struct PostOptions {
  SignatureMode signature = SignatureMode::kValid;
  // Sent verbatim instead of EncodeForm(params). The signature is still computed over
  // `params` (pass DecodeForm(raw_body) for a valid one), so a mismatch is easy to build.
  std::optional<std::string> raw_body;
  // The URL to sign, when it differs from public_url + path: with ":443", with a
  // "#rc=2" connection-override fragment (dropped before signing, as Twilio does), with
  // another query. Empty: public_url + path.
  std::string signed_url;
  // I-Twilio-Idempotency-Token; empty: a fresh UUID. Reuse one to simulate a retry.
  std::string idempotency_token;
  std::string content_type = "application/x-www-form-urlencoded";
  // Added after Twilio's headers (a header named like one of them is sent twice).
  std::vector<std::pair<std::string, std::string>> extra_headers;
  // GET webhook: the parameters go in the query string and the signature covers the URL only.
  bool use_get = false;
};

struct DriverResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // in arrival order
  std::string body;
  std::string content_type;  // the Content-Type header, as sent
  // True when Content-Type is text/xml or application/xml (Twilio parses only those).
  bool is_twiml = false;
  std::vector<twilio::TwimlMessage> messages;  // parsed TwiML when is_twiml and it parsed
  std::string twiml_error;                     // why it did not parse (is_twiml only)
  std::chrono::milliseconds elapsed{0};        // connect to last byte

  // First header named `name` (case-insensitive), or empty.
  std::string_view Header(std::string_view name) const;
};

struct TwilioMedia {
  std::string content_type;  // "image/jpeg"
  std::string url;           // empty: a Twilio-style api.twilio.com Media URL
};

class TwilioDriver {
 public:
  explicit TwilioDriver(TwilioDriverOptions options);

  const TwilioDriverOptions& options() const { return options_; }

  // The inbound SMS parameters, in the order of a real capture: ToCountry, ToState,
  // SmsMessageSid, NumMedia=0, ToCity, FromZip, SmsSid, FromState, SmsStatus=received,
  // FromCity, Body, FromCountry, To, ToZip, NumSegments=1, ReferralNumMedia=0, MessageSid,
  // AccountSid, From, ApiVersion=2010-04-01. Geographic fields are empty except the
  // countries (derived from the number's country code for a few common codes).
  twilio::Form SmsParams(std::string_view from, std::string_view to, std::string_view body,
                         std::string_view message_sid) const;

  // The inbound WhatsApp parameters: SmsMessageSid, NumMedia=0, ProfileName,
  // MessageType=text, SmsSid, WaId, SmsStatus=received, Body, To, NumSegments=1,
  // ReferralNumMedia=0, MessageSid, AccountSid, From, ApiVersion. `from`/`to` get the
  // "whatsapp:" prefix if they lack it; WaId is `from`'s digits without '+'.
  twilio::Form WhatsAppParams(std::string_view from, std::string_view to, std::string_view body,
                              std::string_view message_sid, std::string_view profile_name) const;

  // A delivery status callback's parameters, as Twilio posts them to a message's
  // StatusCallback: ApiVersion, MessageStatus, SmsSid, SmsStatus, To, MessageSid, AccountSid,
  // From, and ErrorCode when `error_code` is not empty. For WhatsApp (`to` starting with
  // "whatsapp:") also ChannelPrefix=whatsapp and a ChannelInstallSid, ChannelStatusMessage
  // when there is an error code, and EventType=READ for "read". Post it to "/twilio/status".
  twilio::Form StatusParams(std::string_view message_sid, std::string_view status,
                            std::string_view from, std::string_view to,
                            std::string_view error_code = "") const;

  // Turns a parameter set into a media message: NumMedia=N and MediaContentType{i},
  // MediaUrl{i} for i < N; MessageType (WhatsApp only) becomes image/video/audio/document.
  void AddMedia(twilio::Form& params, const std::vector<TwilioMedia>& media);

  // Issue 8 item 1's replay: `params` with the value of `name` extended by the name and
  // value of the parameter that follows it in signing order (sorted by name), which is
  // dropped. Its X-Twilio-Signature equals the original's, because the signed string is the
  // names and values concatenated with no separator. Unchanged when `name` is absent or last.
  static twilio::Form AbsorbNextParameter(const twilio::Form& params, std::string_view name);

  // A fresh Message SID: `prefix` ("SM", or "MM" for media) + 32 random lower-case hex.
  std::string NewMessageSid(std::string_view prefix = "SM");
  // A fresh random UUID (version 4), as Twilio's idempotency tokens look.
  std::string NewUuid();

  // public_url + path: the URL Twilio signs for `path` ("/twilio/messages").
  std::string PublicUrl(std::string_view path) const;
  // X-Twilio-Signature for `params` posted to `url`, with the configured token.
  std::string Sign(std::string_view url, const twilio::Form& params) const;

  // Sends the webhook: POST `path` (which may carry a query) with Twilio's headers
  // (Accept, Accept-Encoding, Content-Type, I-Twilio-Idempotency-Token,
  // User-Agent: TwilioProxy/1.1, X-Home-Region, X-Twilio-Signature, Host = the public host).
  // Unavailable when the connection fails or a timeout expires (Twilio's error 11205);
  // otherwise the response, whatever its status.
  Result<DriverResponse> Post(std::string_view path, const twilio::Form& params,
                              const PostOptions& options = {});

  // The JSON-body variant: Content-Type application/json, the query parameter bodySHA256 =
  // hex SHA-256 of `json` added to `path`, and the signature over that URL alone.
  // `options.raw_body`, `content_type` and `use_get` are ignored.
  Result<DriverResponse> PostJson(std::string_view path, std::string_view json,
                                  const PostOptions& options = {});

 private:
  struct Request {
    std::string method;
    std::string target;
    std::string content_type;
    std::string body;
    std::string signature;  // empty: no header
  };
  Result<DriverResponse> Send(const Request& request, const PostOptions& options);
  std::string RandomHex(size_t digits);
  std::string SignatureFor(const PostOptions& options, std::string_view url,
                           const twilio::Form& params) const;

  // Behind a pointer so that a TwilioDriver stays movable (std::vector<TwilioDriver>).
  struct Random {
    std::mutex mu;
    std::mt19937_64 engine;
  };

  TwilioDriverOptions options_;
  std::string public_host_;  // authority of public_url, without credentials
  std::unique_ptr<Random> random_;
};

}  // namespace parley::testing
