#include "conversation/delivery_status.hpp"

namespace parley::conversation {
namespace {

using store::MessageStatus;

// Position on the progress path; nullopt for a final status or one that is not a provider's
// delivery status at all.
std::optional<int> ProgressRank(MessageStatus s) {
  switch (s) {
    case MessageStatus::kAccepted:
      return 1;
    case MessageStatus::kScheduled:
      return 2;
    case MessageStatus::kQueued:
      return 3;
    case MessageStatus::kSending:
      return 4;
    case MessageStatus::kSent:
      return 5;
    case MessageStatus::kDelivered:
      return 6;
    case MessageStatus::kRead:
      return 7;
    case MessageStatus::kReceived:
    case MessageStatus::kUndelivered:
    case MessageStatus::kFailed:
    case MessageStatus::kCanceled:
    case MessageStatus::kSimulated:
    case MessageStatus::kTwiml:
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

std::optional<MessageStatus> ParseDeliveryStatus(std::string_view s) {
  if (s == "accepted") return MessageStatus::kAccepted;
  if (s == "scheduled") return MessageStatus::kScheduled;
  if (s == "queued") return MessageStatus::kQueued;
  if (s == "sending") return MessageStatus::kSending;
  if (s == "sent") return MessageStatus::kSent;
  if (s == "delivered") return MessageStatus::kDelivered;
  if (s == "read") return MessageStatus::kRead;
  if (s == "undelivered") return MessageStatus::kUndelivered;
  if (s == "failed") return MessageStatus::kFailed;
  if (s == "canceled") return MessageStatus::kCanceled;
  return std::nullopt;
}

bool IsFinalDeliveryStatus(MessageStatus s) {
  return s == MessageStatus::kFailed || s == MessageStatus::kUndelivered ||
         s == MessageStatus::kCanceled;
}

bool IsDeliveryFailure(MessageStatus s) {
  return s == MessageStatus::kFailed || s == MessageStatus::kUndelivered;
}

bool DeliveryStatusMayMove(MessageStatus current, MessageStatus next) {
  const auto from = ProgressRank(current);
  if (!from) {
    return false;  // final, or not a message a provider delivers
  }
  if (IsFinalDeliveryStatus(next)) {
    return *from < *ProgressRank(MessageStatus::kDelivered);
  }
  const auto to = ProgressRank(next);
  return to && *to > *from;
}

}  // namespace parley::conversation
