// WhatsApp's customer-service window: a free-form message reaches a WhatsApp contact only
// within 24 hours of the contact's last message; outside it only a template does. The
// sender fails such messages (channel/outbox_sender.hpp); the admin refuses them up front
// and shows until when the window is open.
#pragma once

#include <optional>

#include "common/time.hpp"
#include "store/store.hpp"

namespace parley::conversation {

inline constexpr Duration kWhatsAppWindow = std::chrono::hours(24);

// When the contact's window closes (last_inbound_at + 24 h); none for an SMS contact or a
// WhatsApp contact who never wrote.
inline std::optional<TimePoint> WhatsAppWindowEnd(const store::ContactRecord& contact) {
  if (contact.channel != "whatsapp" || !contact.last_inbound_at) {
    return std::nullopt;
  }
  return *contact.last_inbound_at + kWhatsAppWindow;
}

// Whether a free-form message may go to the contact at `now`: always on SMS.
inline bool FreeFormAllowed(const store::ContactRecord& contact, TimePoint now) {
  if (contact.channel != "whatsapp") {
    return true;
  }
  const auto end = WhatsAppWindowEnd(contact);
  return end && now < *end;
}

}  // namespace parley::conversation
