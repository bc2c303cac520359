// The stored statuses of contacts and messages, as enums with their database names (the
// session status is flow::SessionStatus). Parse* answers nullopt for a name it does not
// know; the store treats such a row as corrupt (kInternal) rather than guessing.
#pragma once

#include <optional>
#include <string_view>

namespace parley::store {

enum class ContactStatus {
  kActive,    // "active": conversations run
  kOptedOut,  // "opted_out": sent STOP; nothing is sent until START
  kBlocked,   // "blocked": an operator stopped all traffic
};
const char* ContactStatusName(ContactStatus s);
std::optional<ContactStatus> ParseContactStatus(std::string_view name);

// A message's status: Twilio's message statuses, plus parley's own "simulated" (the dry-run
// channel recorded it) and "twiml" (answered inline in the webhook's TwiML). Stored as text
// with no CHECK constraint, so a new value needs no migration. How a status callback moves
// a status: conversation/delivery_status.hpp.
enum class MessageStatus {
  kReceived,     // "received": inbound
  kQueued,       // "queued": in the outbox
  kSending,      // "sending"
  kSent,         // "sent": the provider accepted it
  kDelivered,    // "delivered"
  kUndelivered,  // "undelivered"
  kFailed,       // "failed": not sent, for good
  kRead,         // "read" (WhatsApp)
  kCanceled,     // "canceled": a scheduled send canceled before it went out
  kSimulated,    // "simulated": the dry-run channel
  kTwiml,        // "twiml": went out inline
};
const char* MessageStatusName(MessageStatus s);
std::optional<MessageStatus> ParseMessageStatus(std::string_view name);

}  // namespace parley::store
