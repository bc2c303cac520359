// Issue 9 (status callbacks): statuses only move forward; a final status is never overwritten.
#include "conversation/delivery_status.hpp"

#include <gtest/gtest.h>

namespace parley::conversation {
namespace {

using store::MessageStatus;

TEST(DeliveryStatusTest, TwilioStatusesMapToStoredOnes) {
  EXPECT_EQ(ParseDeliveryStatus("queued"), MessageStatus::kQueued);
  EXPECT_EQ(ParseDeliveryStatus("accepted"), MessageStatus::kAccepted);
  EXPECT_EQ(ParseDeliveryStatus("scheduled"), MessageStatus::kScheduled);
  EXPECT_EQ(ParseDeliveryStatus("sending"), MessageStatus::kSending);
  EXPECT_EQ(ParseDeliveryStatus("sent"), MessageStatus::kSent);
  EXPECT_EQ(ParseDeliveryStatus("delivered"), MessageStatus::kDelivered);
  EXPECT_EQ(ParseDeliveryStatus("read"), MessageStatus::kRead);
  EXPECT_EQ(ParseDeliveryStatus("undelivered"), MessageStatus::kUndelivered);
  EXPECT_EQ(ParseDeliveryStatus("failed"), MessageStatus::kFailed);
  EXPECT_EQ(ParseDeliveryStatus("canceled"), MessageStatus::kCanceled);
  EXPECT_EQ(ParseDeliveryStatus("received"), std::nullopt);
  EXPECT_EQ(ParseDeliveryStatus("receiving"), std::nullopt);
  EXPECT_EQ(ParseDeliveryStatus("partially_delivered"), std::nullopt);
  EXPECT_EQ(ParseDeliveryStatus("simulated"), std::nullopt);  // parley's own, never Twilio's
  EXPECT_EQ(ParseDeliveryStatus(""), std::nullopt);
}

TEST(DeliveryStatusTest, ProgressOnlyMovesForward) {
  EXPECT_TRUE(DeliveryStatusMayMove(MessageStatus::kQueued, MessageStatus::kSending));
  // Issue 9 item 2: a Messaging Service's "accepted" (as Twilio's answer gave it) moves on to
  // "queued" and later; nothing moves back to it.
  EXPECT_TRUE(DeliveryStatusMayMove(MessageStatus::kAccepted, MessageStatus::kQueued));
  EXPECT_TRUE(DeliveryStatusMayMove(MessageStatus::kAccepted, MessageStatus::kScheduled));
  EXPECT_TRUE(DeliveryStatusMayMove(MessageStatus::kScheduled, MessageStatus::kQueued));
  EXPECT_TRUE(DeliveryStatusMayMove(MessageStatus::kAccepted, MessageStatus::kFailed));
  EXPECT_FALSE(DeliveryStatusMayMove(MessageStatus::kQueued, MessageStatus::kAccepted));
  EXPECT_FALSE(DeliveryStatusMayMove(MessageStatus::kSending, MessageStatus::kScheduled));
  EXPECT_TRUE(DeliveryStatusMayMove(MessageStatus::kQueued, MessageStatus::kDelivered));
  EXPECT_TRUE(DeliveryStatusMayMove(MessageStatus::kSent, MessageStatus::kDelivered));
  EXPECT_TRUE(DeliveryStatusMayMove(MessageStatus::kDelivered, MessageStatus::kRead));
  EXPECT_FALSE(DeliveryStatusMayMove(MessageStatus::kDelivered, MessageStatus::kSent));
  EXPECT_FALSE(DeliveryStatusMayMove(MessageStatus::kDelivered, MessageStatus::kDelivered));
  EXPECT_FALSE(DeliveryStatusMayMove(MessageStatus::kRead, MessageStatus::kDelivered));
  EXPECT_FALSE(DeliveryStatusMayMove(MessageStatus::kSent, MessageStatus::kQueued));
}

TEST(DeliveryStatusTest, FailuresAreFinalAndComeOnlyBeforeDelivery) {
  EXPECT_TRUE(DeliveryStatusMayMove(MessageStatus::kSent, MessageStatus::kUndelivered));
  EXPECT_TRUE(DeliveryStatusMayMove(MessageStatus::kQueued, MessageStatus::kFailed));
  EXPECT_TRUE(DeliveryStatusMayMove(MessageStatus::kQueued, MessageStatus::kCanceled));
  for (MessageStatus final_status :
       {MessageStatus::kFailed, MessageStatus::kUndelivered, MessageStatus::kCanceled}) {
    EXPECT_TRUE(IsFinalDeliveryStatus(final_status));
    for (MessageStatus next :
         {MessageStatus::kQueued, MessageStatus::kSending, MessageStatus::kSent,
          MessageStatus::kDelivered, MessageStatus::kRead, MessageStatus::kFailed,
          MessageStatus::kUndelivered, MessageStatus::kCanceled}) {
      EXPECT_FALSE(DeliveryStatusMayMove(final_status, next))
          << store::MessageStatusName(final_status) << " -> " << store::MessageStatusName(next);
    }
  }
  EXPECT_FALSE(DeliveryStatusMayMove(MessageStatus::kDelivered, MessageStatus::kUndelivered));
  EXPECT_FALSE(DeliveryStatusMayMove(MessageStatus::kRead, MessageStatus::kFailed));
  EXPECT_TRUE(IsDeliveryFailure(MessageStatus::kUndelivered));
  EXPECT_FALSE(IsDeliveryFailure(MessageStatus::kCanceled));
}

TEST(DeliveryStatusTest, MessagesNoProviderDeliversNeverMove) {
  for (MessageStatus current :
       {MessageStatus::kReceived, MessageStatus::kSimulated, MessageStatus::kTwiml}) {
    EXPECT_FALSE(DeliveryStatusMayMove(current, MessageStatus::kDelivered));
    EXPECT_FALSE(DeliveryStatusMayMove(current, MessageStatus::kFailed));
  }
}

}  // namespace
}  // namespace parley::conversation
