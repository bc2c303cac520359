// Issue 9 (delivery): Twilio's answers to "create a Message", read as Twilio sends them.
#include "channel/twilio/message_reply.hpp"

#include <gtest/gtest.h>

namespace parley::channel {
namespace {

using store::MessageStatus;

const TimePoint kNow = FromUnixMillis(1'700'000'000'000);  // 2023-11-14T22:13:20Z

// The spec's example of a created message.
constexpr char kCreated[] =
    R"({"account_sid":"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","api_version":"2010-04-01",)"
    R"("body":"Hello! \ud83d\udc4d","date_created":"Thu, 24 Aug 2023 05:01:45 +0000",)"
    R"("date_sent":"Thu, 24 Aug 2023 05:01:45 +0000",)"
    R"("date_updated":"Thu, 24 Aug 2023 05:01:45 +0000","direction":"outbound-api",)"
    R"("error_code":null,"error_message":null,"from":"+14155552345","num_media":"0",)"
    R"("num_segments":"1","price":null,"price_unit":null,)"
    R"("messaging_service_sid":"MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",)"
    R"("sid":"SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","status":"queued",)"
    R"("subresource_uris":{"media":"/2010-04-01/Accounts/AC/Messages/SM/Media.json"},)"
    R"("to":"+14155552345","uri":"/2010-04-01/Accounts/AC/Messages/SM.json"})";

TEST(MessageReplyTest, ACreatedMessageIsSentWithTwiliosSidStatusAndSegments) {
  const SendOutcome out = InterpretMessageReply({201, kCreated, ""}, kNow);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->status, MessageStatus::kQueued);  // Twilio's word, not "sent"
  EXPECT_EQ(out->provider_sid, "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  EXPECT_EQ(out->provider_status, "queued");
  EXPECT_EQ(out->segments, 1);
  EXPECT_EQ(out->error_code, "");
}

// Issue 9 item 2: the status of Twilio's answer is recorded as Twilio gave it (it used to be
// "sent" for all of queued, accepted, scheduled, sending), so the status callbacks that
// follow move it forward from there.
TEST(MessageReplyTest, TwiliosCreationStatusesAreKeptAsTwilioGaveThem) {
  auto status_of = [](const std::string& s) {
    return InterpretMessageReply({201, R"({"sid":"SM1","status":")" + s + R"("})", ""}, kNow)
        ->status;
  };
  EXPECT_EQ(status_of("queued"), MessageStatus::kQueued);
  EXPECT_EQ(status_of("accepted"), MessageStatus::kAccepted);  // through a Messaging Service
  EXPECT_EQ(status_of("scheduled"), MessageStatus::kScheduled);
  EXPECT_EQ(status_of("sending"), MessageStatus::kSending);
  EXPECT_EQ(status_of("sent"), MessageStatus::kSent);
  EXPECT_EQ(status_of("read"), MessageStatus::kRead);
  EXPECT_EQ(status_of("a-new-word"), MessageStatus::kQueued);  // taken, nothing more known
  EXPECT_EQ(status_of("delivered"), MessageStatus::kDelivered);
  EXPECT_EQ(status_of("failed"), MessageStatus::kFailed);
  EXPECT_EQ(status_of("undelivered"), MessageStatus::kUndelivered);
  EXPECT_EQ(status_of("canceled"), MessageStatus::kFailed);
  // A failure already known at creation keeps Twilio's code, a number or a string.
  const SendOutcome failed = InterpretMessageReply(
      {201, R"({"sid":"SM1","status":"failed","error_code":30007})", ""}, kNow);
  EXPECT_EQ(failed->error_code, "30007");
}

TEST(MessageReplyTest, AnUnreadableAcceptanceIsStillSentNotRetried) {
  const SendOutcome out = InterpretMessageReply({201, "<html>", ""}, kNow);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->status, MessageStatus::kQueued);
  EXPECT_EQ(out->provider_sid, "");
}

TEST(MessageReplyTest, A4xxWithATwilioCodeIsAFinalFailureCarryingTheCode) {
  const SendOutcome out = InterpretMessageReply(
      {400,
       R"({"code": 21211, "message": "The 'To' number 5551234567 is not a valid phone number.",)"
       R"( "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400})",
       ""},
      kNow);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->status, MessageStatus::kFailed);
  EXPECT_EQ(out->error_code, "21211");
  EXPECT_FALSE(out.retry_after.has_value());

  const SendOutcome auth = InterpretMessageReply(
      {401, R"({"code":20003,"message":"Authenticate","status":401})", ""}, kNow);
  EXPECT_EQ(auth->error_code, "20003");
}

TEST(MessageReplyTest, A4xxWithoutATwilioCodeIsAFinalFailureNamingTheStatus) {
  const SendOutcome out = InterpretMessageReply({404, "Not Found", ""}, kNow);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(out.status().message().find("404"), std::string::npos);
  EXPECT_EQ(InterpretMessageReply({302, "", ""}, kNow).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(MessageReplyTest, TooManyRequestsAndServerErrorsAreRetriedWithRetryAfter) {
  const SendOutcome busy = InterpretMessageReply(
      {429, R"({"code":20429,"message":"Too Many Requests","status":429})", "7"}, kNow);
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(busy.status().message().find("20429"), std::string::npos);
  ASSERT_TRUE(busy.retry_after.has_value());
  EXPECT_EQ(*busy.retry_after, std::chrono::seconds(7));

  const SendOutcome down = InterpretMessageReply({503, "", "Tue, 14 Nov 2023 22:13:50 GMT"}, kNow);
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE(down.retry_after.has_value());
  EXPECT_EQ(*down.retry_after, std::chrono::seconds(30));

  const SendOutcome error = InterpretMessageReply({500, "oops", ""}, kNow);
  EXPECT_EQ(error.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(error.retry_after.has_value());
  EXPECT_EQ(InterpretMessageReply({408, "", ""}, kNow).status().code(), StatusCode::kUnavailable);
}

TEST(MessageReplyTest, RetryAfterTakesSecondsOrAnHttpDate) {
  EXPECT_EQ(ParseRetryAfter(" 120 ", kNow), std::chrono::seconds(120));
  EXPECT_EQ(ParseRetryAfter("0", kNow), std::chrono::seconds(0));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", kNow), Duration(0));  // past
  EXPECT_EQ(ParseRetryAfter("", kNow), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("-5", kNow), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("soon", kNow), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT trailing", kNow), std::nullopt);
}

}  // namespace
}  // namespace parley::channel
