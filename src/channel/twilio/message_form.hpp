// The form of Twilio's "create a Message" request (POST .../Messages.json), built from an
// OutboundMessage: who sends it (sender selection) and what it carries. Pure.
//
// Sender selection, in order:
//   1. the message's own `from` when set: a reply goes out from the number that received
//      the contact's message, and a conversation parley starts from the configured sender;
//   2. a WhatsApp contact ("whatsapp:+1...") gets TWILIO_WHATSAPP_NUMBER;
//   3. an SMS contact gets TWILIO_PHONE_NUMBER, or without one the Messaging Service
//      (TWILIO_MESSAGING_SERVICE_SID), which picks a number from its pool.
// A WhatsApp sender always carries the "whatsapp:" prefix, added when configured without it.
// When a `From` is known, MessagingServiceSid is not sent (Twilio then uses that From).
//
// Content: `ContentSid` (+ `ContentVariables`) for a template, otherwise `Body` and up to
// 10 `MediaUrl`s (repeated fields, as Twilio's own clients send arrays); `StatusCallback`
// when configured. docs/delivery.md describes the rules for users.
#pragma once

#include <string>
#include <string_view>

#include "channel/channel.hpp"
#include "common/status.hpp"
#include "twilio/form.hpp"

namespace parley::channel {

struct TwilioSenders {
  std::string sms_from;               // TWILIO_PHONE_NUMBER: "+15551234567"
  std::string messaging_service_sid;  // TWILIO_MESSAGING_SERVICE_SID: "MG" + 32 hex
  std::string whatsapp_from;          // TWILIO_WHATSAPP_NUMBER, with or without "whatsapp:"
};

// Twilio's limit on MediaUrl per message.
inline constexpr size_t kMaxMediaUrls = 10;

// Whether `address` is a WhatsApp address ("whatsapp:" prefix, any case).
bool IsWhatsAppAddress(std::string_view address);

// The request form for `message`. InvalidArgument, a failure for good, when the message
// cannot be sent as it is: no `to`, nothing to send (no body, media or template), more
// than 10 media, an SMS sender for a WhatsApp contact or the reverse, or no sender
// configured for the contact's channel (the message names the key to set).
Result<twilio::Form> BuildMessageForm(const OutboundMessage& message, const TwilioSenders& senders,
                                      std::string_view status_callback);

}  // namespace parley::channel
