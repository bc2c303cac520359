#include "store/statuses.hpp"

#include <utility>

namespace parley::store {
namespace {

template <typename E, std::size_t N>
const char* NameOf(const std::pair<E, const char*> (&names)[N], E value) {
  for (const auto& [e, name] : names) {
    if (e == value) {
      return name;
    }
  }
  return "?";
}

template <typename E, std::size_t N>
std::optional<E> Parse(const std::pair<E, const char*> (&names)[N], std::string_view name) {
  for (const auto& [e, n] : names) {
    if (name == n) {
      return e;
    }
  }
  return std::nullopt;
}

constexpr std::pair<ContactStatus, const char*> kContactStatuses[] = {
    {ContactStatus::kActive, "active"},
    {ContactStatus::kOptedOut, "opted_out"},
    {ContactStatus::kBlocked, "blocked"},
    {ContactStatus::kInvalid, "invalid"},
};

constexpr std::pair<MessageStatus, const char*> kMessageStatuses[] = {
    {MessageStatus::kReceived, "received"},   {MessageStatus::kQueued, "queued"},
    {MessageStatus::kSending, "sending"},     {MessageStatus::kSent, "sent"},
    {MessageStatus::kDelivered, "delivered"}, {MessageStatus::kUndelivered, "undelivered"},
    {MessageStatus::kFailed, "failed"},       {MessageStatus::kRead, "read"},
    {MessageStatus::kSimulated, "simulated"}, {MessageStatus::kTwiml, "twiml"},
    {MessageStatus::kCanceled, "canceled"},   {MessageStatus::kAccepted, "accepted"},
    {MessageStatus::kScheduled, "scheduled"},
};

}  // namespace

const char* ContactStatusName(ContactStatus s) { return NameOf(kContactStatuses, s); }
std::optional<ContactStatus> ParseContactStatus(std::string_view name) {
  return Parse(kContactStatuses, name);
}

const char* MessageStatusName(MessageStatus s) { return NameOf(kMessageStatuses, s); }
std::optional<MessageStatus> ParseMessageStatus(std::string_view name) {
  return Parse(kMessageStatuses, name);
}

}  // namespace parley::store
