#include "channel/twilio/message_form.hpp"

#include <strings.h>

namespace parley::channel {

namespace {

constexpr std::string_view kWhatsAppPrefix = "whatsapp:";

std::string WithWhatsAppPrefix(std::string_view address) {
  if (IsWhatsAppAddress(address)) {
    return std::string(kWhatsAppPrefix) + std::string(address.substr(kWhatsAppPrefix.size()));
  }
  return std::string(kWhatsAppPrefix) + std::string(address);
}

}  // namespace

bool IsWhatsAppAddress(std::string_view address) {
  return address.size() >= kWhatsAppPrefix.size() &&
         strncasecmp(address.data(), kWhatsAppPrefix.data(), kWhatsAppPrefix.size()) == 0;
}

Result<twilio::Form> BuildMessageForm(const OutboundMessage& message, const TwilioSenders& senders,
                                      std::string_view status_callback) {
  if (message.to.empty()) {
    return Status::InvalidArgument("the message has no recipient");
  }
  const bool whatsapp = IsWhatsAppAddress(message.to);
  twilio::Form form;
  form.Add("To", whatsapp ? WithWhatsAppPrefix(message.to) : message.to);

  if (!message.from.empty()) {
    if (!whatsapp && IsWhatsAppAddress(message.from)) {
      return Status::InvalidArgument("a WhatsApp sender cannot send to an SMS contact");
    }
    form.Add("From", whatsapp ? WithWhatsAppPrefix(message.from) : message.from);
  } else if (whatsapp) {
    if (senders.whatsapp_from.empty()) {
      return Status::InvalidArgument(
          "no WhatsApp sender for this contact: set TWILIO_WHATSAPP_NUMBER");
    }
    form.Add("From", WithWhatsAppPrefix(senders.whatsapp_from));
  } else if (!senders.sms_from.empty()) {
    form.Add("From", senders.sms_from);
  } else if (!senders.messaging_service_sid.empty()) {
    form.Add("MessagingServiceSid", senders.messaging_service_sid);
  } else {
    return Status::InvalidArgument(
        "no SMS sender for this contact: set TWILIO_PHONE_NUMBER or "
        "TWILIO_MESSAGING_SERVICE_SID");
  }

  if (!message.content_sid.empty()) {
    // A template goes alone: Twilio wants Body and MediaUrl left out beside ContentSid.
    form.Add("ContentSid", message.content_sid);
    if (!message.content_variables.empty()) {
      form.Add("ContentVariables", message.content_variables);
    }
  } else {
    if (message.body.empty() && message.media.empty()) {
      return Status::InvalidArgument("the message has no body, media or template");
    }
    if (message.media.size() > kMaxMediaUrls) {
      return Status::InvalidArgument("the message has " + std::to_string(message.media.size()) +
                                     " media; Twilio takes at most 10");
    }
    if (!message.body.empty()) {
      form.Add("Body", message.body);
    }
    for (const std::string& url : message.media) {
      form.Add("MediaUrl", url);
    }
  }
  if (!status_callback.empty()) {
    form.Add("StatusCallback", status_callback);
  }
  return form;
}

}  // namespace parley::channel
