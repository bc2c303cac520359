// What a delivery status callback (POST /twilio/status) may do to an outbound message's
// status: statuses only move forward, and a final one never changes
// (docs/architecture.md, "Delivery status callbacks").
//
//   accepted → scheduled → queued → sending → sent → delivered → read
//                                                    (progress: only forward, steps may be skipped)
//   failed, undelivered, canceled                    (final: never overwritten)
//
// Twilio sends callbacks out of order and more than once; with these rules a late `sent`
// after `delivered`, or a repeated `delivered`, changes nothing. A failure after `delivered`
// or `read` is ignored too: the message reached the phone, which a later contradicting
// callback does not undo. Only messages parley handed to a provider move (accepted to read):
// inbound ("received"), dry-run ("simulated") and inline TwiML ("twiml") messages never do.
//
// Pure and thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include "store/statuses.hpp"

namespace parley::conversation {

// The stored status for Twilio's MessageStatus value, or nullopt for one that says nothing
// about an outbound message's delivery ("receiving", "received": inbound statuses;
// "partially_delivered": group messages, which parley does not send; anything unknown).
// "accepted" and "scheduled" (a Messaging Service's first statuses) come before "queued".
std::optional<store::MessageStatus> ParseDeliveryStatus(std::string_view twilio_status);

// failed, undelivered, canceled.
bool IsFinalDeliveryStatus(store::MessageStatus status);
// failed, undelivered: what a flow can react to (the delivery_failed condition).
bool IsDeliveryFailure(store::MessageStatus status);

// Whether a message at `current` may take `next`.
bool DeliveryStatusMayMove(store::MessageStatus current, store::MessageStatus next);

}  // namespace parley::conversation
