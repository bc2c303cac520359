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
  kInvalid,   // "invalid": Twilio refused the address (21211 invalid number, 21614 cannot
              // receive SMS); nothing more is sent to it (docs/operations.md)
};
const char* ContactStatusName(ContactStatus s);
std::optional<ContactStatus> ParseContactStatus(std::string_view name);

// A message's status: Twilio's message statuses, plus parley's own "simulated" (the dry-run
// channel recorded it) and "twiml" (answered inline in the webhook's TwiML). Stored as text
// with no CHECK constraint, so a new value needs no migration. How a status callback moves
// a status: conversation/delivery_status.hpp.
enum class MessageStatus {
  kReceived,     // "received": inbound
  kQueued,       // "queued": in the outbox, or (with a provider sid) queued at Twilio
  kAccepted,     // "accepted": a Messaging Service took it (Twilio's first status there)
  kScheduled,    // "scheduled": Twilio holds it for a scheduled send
  kSending,      // "sending"
  kSent,         // "sent": the carrier has it
  kDelivered,    // "delivered"
  kUndelivered,  // "undelivered"
  kFailed,       // "failed": not sent, for good
  kRead,         // "read" (WhatsApp)
  kCanceled,     // "canceled": a scheduled send canceled before it went out
  kSimulated,    // "simulated": the dry-run channel
  kTwiml,        // "twiml": went out inline
};
const char* MessageStatusName(MessageStatus s);

// The error codes parley writes on a failed outbound message for reasons of its own (Twilio's
// codes are numbers; these are words). docs/operations.md explains each.
inline constexpr std::string_view kErrorOptedOut = "opted_out";  // the contact opted out
inline constexpr std::string_view kErrorInvalidAddress = "invalid_address";
inline constexpr std::string_view kErrorBlocked = "blocked";  // an operator blocked the contact
// A free-form WhatsApp message outside the 24-hour customer-service window.
inline constexpr std::string_view kErrorWindowClosed = "window_closed";
// Retried until PARLEY_SEND_MAX_AGE (or the attempt cap) without Twilio taking it.
inline constexpr std::string_view kErrorExpired = "expired";
std::optional<MessageStatus> ParseMessageStatus(std::string_view name);

}  // namespace parley::store
