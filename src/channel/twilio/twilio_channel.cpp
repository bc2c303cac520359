#include "channel/twilio/twilio_channel.hpp"

#include <cctype>

#include "twilio/form.hpp"

namespace parley::channel {

bool IsTwilioSid(std::string_view sid, std::string_view prefix) {
  if (sid.size() != prefix.size() + 32 || !sid.starts_with(prefix)) {
    return false;
  }
  for (const char c : sid.substr(prefix.size())) {
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      return false;
    }
  }
  return true;
}

Result<std::unique_ptr<TwilioChannel>> TwilioChannel::Create(TwilioChannelOptions options) {
  auto bad = [](const std::string& key, const std::string& why) {
    return Status::InvalidArgument("configuration: " + key + ": " + why);
  };
  if (!IsTwilioSid(options.account_sid, "AC")) {
    return bad("TWILIO_ACCOUNT_SID", "expected AC followed by 32 hex digits");
  }
  const bool api_key = !options.api_key.empty() || !options.api_secret.empty();
  if (api_key && (options.api_key.empty() || options.api_secret.empty())) {
    return bad(options.api_key.empty() ? "TWILIO_API_KEY" : "TWILIO_API_SECRET",
               "an API key needs both TWILIO_API_KEY and TWILIO_API_SECRET");
  }
  if (!api_key && options.auth_token.empty()) {
    return bad("TWILIO_AUTH_TOKEN", "needed to send (or TWILIO_API_KEY and TWILIO_API_SECRET)");
  }
  if (api_key && !IsTwilioSid(options.api_key, "SK")) {
    return bad("TWILIO_API_KEY", "expected SK followed by 32 hex digits");
  }
  if (!options.senders.messaging_service_sid.empty() &&
      !IsTwilioSid(options.senders.messaging_service_sid, "MG")) {
    return bad("TWILIO_MESSAGING_SERVICE_SID", "expected MG followed by 32 hex digits");
  }
  while (options.api_base.ends_with('/')) {
    options.api_base.pop_back();
  }
  if (!options.api_base.starts_with("https://") && !options.api_base.starts_with("http://")) {
    return bad("TWILIO_API_BASE", "expected an https:// (or, for a local stand-in, http://) URL");
  }
  auto poster = CurlPoster::Create(options.http);
  if (!poster.ok()) {
    return poster.status();
  }
  return std::unique_ptr<TwilioChannel>(new TwilioChannel(std::move(options), std::move(*poster)));
}

TwilioChannel::TwilioChannel(TwilioChannelOptions options, std::unique_ptr<CurlPoster> poster)
    : options_(std::move(options)),
      messages_url_(options_.api_base + "/2010-04-01/Accounts/" + options_.account_sid +
                    "/Messages.json"),
      poster_(std::move(poster)) {}

SendOutcome TwilioChannel::Send(const OutboundMessage& message) {
  auto form = BuildMessageForm(message, options_.senders, options_.status_callback);
  if (!form.ok()) {
    return form.status();
  }
  const bool api_key = !options_.api_key.empty();
  auto reply =
      poster_->Post(messages_url_, api_key ? options_.api_key : options_.account_sid,
                    api_key ? options_.api_secret : options_.auth_token, twilio::EncodeForm(*form));
  if (!reply.ok()) {
    return reply.status();
  }
  const Clock& clock = options_.clock != nullptr ? *options_.clock : system_clock_;
  return InterpretMessageReply(*reply, clock.Now());
}

}  // namespace parley::channel
