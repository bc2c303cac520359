// Issue 8 item 1: a captured webhook replayed with a parameter boundary moved keeps a valid
// signature; CheckInboundParams refuses every such split that would change what is applied.
#include "twilio/inbound_params.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/support/twilio_driver.hpp"
#include "twilio/signature.hpp"

namespace parley::twilio {
namespace {

using ::testing::HasSubstr;
using testing::TwilioDriver;

constexpr char kAccount[] = "AC0123456789abcdef0123456789abcdef";
constexpr char kSid[] = "SM0123456789abcdef0123456789abcdef";
constexpr char kUrl[] = "https://parley.example.com/twilio/messages";

TwilioDriver Driver() {
  testing::TwilioDriverOptions o;
  o.auth_token = "token";
  o.public_url = "https://parley.example.com";
  o.account_sid = kAccount;
  return TwilioDriver(o);
}

std::string Check(const Form& form, std::string_view account = "") {
  Status s = CheckInboundParams(form, account);
  return s.ok() ? "ok" : s.message();
}

TEST(InboundParamsTest, WhatTwilioSendsIsAccepted) {
  TwilioDriver d = Driver();
  EXPECT_EQ(Check(d.SmsParams("+14155550101", "+15005550006", "hi", kSid)), "ok");
  EXPECT_EQ(Check(d.SmsParams("+14155550101", "+15005550006", "hi", kSid), kAccount), "ok");
  EXPECT_EQ(Check(d.WhatsAppParams("+14155550101", "+15005550006", "hi", kSid, "Ana")), "ok");
  Form mms = d.SmsParams("+14155550101", "+15005550006", "", d.NewMessageSid("MM"));
  d.AddMedia(mms, {{"image/jpeg", ""}, {"image/png", ""}});
  EXPECT_EQ(Check(mms), "ok");
  EXPECT_EQ(Check(d.SmsParams("+14155550101", "12345", "hi", kSid)), "ok");  // a short code
}

TEST(InboundParamsTest, SidFormats) {
  EXPECT_TRUE(IsMessageSid(kSid));
  EXPECT_TRUE(IsMessageSid("MM0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsMessageSid("SM0123456789ABCDEF0123456789abcdef"));  // upper-case hex
  EXPECT_FALSE(IsMessageSid("SM0123456789abcdef0123456789abcde"));   // 31 digits
  EXPECT_FALSE(IsMessageSid("SM0123456789abcdef0123456789abcdef0"));
  EXPECT_FALSE(IsMessageSid("AC0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsMessageSid("SM1"));
  EXPECT_TRUE(IsAccountSid(kAccount));
  EXPECT_FALSE(IsAccountSid(kSid));
  EXPECT_FALSE(IsAccountSid("AC1"));
}

TEST(InboundParamsTest, EachRuleNamesItsParameter) {
  TwilioDriver d = Driver();
  const Form good = d.SmsParams("+14155550101", "+15005550006", "hi", kSid);
  const auto with = [&](std::string_view name, std::string_view value) {
    Form f = good;
    f.Set(name, value);
    return Check(f);
  };
  EXPECT_THAT(with("MessageSid", "SM1"), HasSubstr("MessageSid: expected SM or MM"));
  EXPECT_THAT(with("SmsSid", "SM0123456789abcdef0123456789abcdee"),
              HasSubstr("SmsSid: must equal MessageSid"));
  EXPECT_THAT(with("SmsMessageSid", ""), HasSubstr("SmsMessageSid: must equal MessageSid"));
  EXPECT_THAT(with("AccountSid", "AC1"), HasSubstr("AccountSid: expected AC"));
  EXPECT_THAT(Check(good, "ACffffffffffffffffffffffffffffffff"),
              HasSubstr("AccountSid: not this server's account"));
  EXPECT_THAT(with("To", "+1500555ToCityX"), HasSubstr("To: expected a phone number"));
  EXPECT_THAT(with("From", "+14155550101FromCity"), HasSubstr("From: expected a phone number"));
  EXPECT_THAT(with("NumMedia", "11"), HasSubstr("NumMedia: expected a number from 0 to 10"));
  EXPECT_THAT(with("NumMedia", "1"), HasSubstr("MediaUrl0: required by NumMedia"));
  EXPECT_THAT(with("MediaUrl0", "https://x"), HasSubstr("MediaUrl0: does not match NumMedia"));
  EXPECT_THAT(with("MediaContentType01", "image/png"),
              HasSubstr("MediaContentType01: does not match"));
  EXPECT_THAT(with("NumSegments", "1x"), HasSubstr("NumSegments: expected a number"));
  EXPECT_THAT(with("WaId", "+1415"), HasSubstr("WaId: expected the sender's number"));
  EXPECT_THAT(with("ApiVersion", "2010-04-01Body"), HasSubstr("ApiVersion: expected a date"));
  EXPECT_THAT(with("SmsStatus", "receivedTo"), HasSubstr("SmsStatus: expected a status"));

  for (const char* required : {"MessageSid", "AccountSid", "From", "To"}) {
    Form f;
    for (const auto& [name, value] : good) {
      if (name != required) {
        f.Add(name, value);
      }
    }
    EXPECT_EQ(Check(f), std::string(required) + ": required");
  }
  Form twice = good;
  twice.Add("MessageSid", "SM0123456789abcdef0123456789abcdee");
  EXPECT_EQ(Check(twice), "MessageSid: appears more than once");
}

// Every field whose value can absorb its successor in signing order, on SMS, MMS and
// WhatsApp: the signature stays valid, and the check refuses the result unless what it
// carries still has the original MessageSid (then the dedupe answers it as a repeat).
TEST(InboundParamsTest, EveryBoundaryShiftIsRefusedOrKeepsTheMessageSid) {
  TwilioDriver d = Driver();
  Form mms = d.SmsParams("+14155550101", "+15005550006", "look", d.NewMessageSid("MM"));
  d.AddMedia(mms, {{"image/jpeg", ""}, {"image/png", ""}});
  mms.Add("MessagingServiceSid", "MG0123456789abcdef0123456789abcdef");
  const Form forms[] = {d.SmsParams("+14155550101", "+15005550006", "hi", kSid),
                        d.WhatsAppParams("+14155550101", "+15005550006", "hi", kSid, "Ana"), mms};
  int refused = 0;
  int kept = 0;
  for (const Form& original : forms) {
    ASSERT_EQ(Check(original, kAccount), "ok");
    const std::string signature = ComputeSignature("token", kUrl, original);
    for (const auto& [name, value] : original) {
      const Form shifted = TwilioDriver::AbsorbNextParameter(original, name);
      if (shifted.size() == original.size()) {
        continue;  // the last parameter in signing order
      }
      ASSERT_TRUE(VerifySignature("token", kUrl, shifted, signature)) << name;
      const std::string result = Check(shifted, kAccount);
      if (result == "ok") {
        ++kept;
        EXPECT_EQ(shifted.Get("MessageSid"), original.Get("MessageSid")) << name;
        EXPECT_EQ(shifted.Get("From"), original.Get("From")) << name;
        EXPECT_EQ(shifted.Get("To"), original.Get("To")) << name;
      } else {
        ++refused;
      }
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(kept, 0);  // free text absorbing free text (ToCity into ToCountry...)
}

TEST(InboundParamsTest, TheIssuesReplayIsRefused) {
  TwilioDriver d = Driver();
  const Form original = d.SmsParams("+14155550101", "+15005550006", "yes", kSid);
  const Form replay = TwilioDriver::AbsorbNextParameter(original, "MessageSid");
  EXPECT_EQ(replay.Get("MessageSid"), std::string(kSid) + "NumMedia0");
  EXPECT_EQ(ComputeSignature("token", kUrl, replay), ComputeSignature("token", kUrl, original));
  EXPECT_THAT(Check(replay), HasSubstr("MessageSid: expected SM or MM"));
  // Body into From: From is gone.
  EXPECT_EQ(Check(TwilioDriver::AbsorbNextParameter(original, "Body")), "From: required");
}

}  // namespace
}  // namespace parley::twilio

namespace parley::twilio {
namespace {

// Issue 9 (status callbacks): the parameters of a status callback are checked like an
// inbound webhook's, after the signature.
std::string CheckStatus(const Form& form, std::string_view account = "") {
  Status s = CheckStatusParams(form, account);
  return s.ok() ? "ok" : s.message();
}

TEST(StatusParamsTest, WhatTwilioSendsIsAccepted) {
  TwilioDriver d = Driver();
  EXPECT_EQ(CheckStatus(d.StatusParams(kSid, "sent", "+15005550006", "+14155550101")), "ok");
  EXPECT_EQ(
      CheckStatus(d.StatusParams(kSid, "undelivered", "+15005550006", "+14155550101", "30003"),
                  kAccount),
      "ok");
  EXPECT_EQ(CheckStatus(d.StatusParams(kSid, "failed", "whatsapp:+15005550006",
                                       "whatsapp:+14155550101", "63016")),
            "ok");
  EXPECT_EQ(
      CheckStatus(d.StatusParams(kSid, "read", "whatsapp:+15005550006", "whatsapp:+14155550101")),
      "ok");
  Form with_service = d.StatusParams(kSid, "partially_delivered", "MyBrand", "+14155550101");
  with_service.Add("MessagingServiceSid", "MG0123456789abcdef0123456789abcdef");
  with_service.Add("RawDlrDoneDate", "2312011200");
  EXPECT_EQ(CheckStatus(with_service), "ok");  // an unknown status is the caller's to ignore
}

TEST(StatusParamsTest, WhatTwilioWouldNotSendIsRefused) {
  TwilioDriver d = Driver();
  const Form good = d.StatusParams(kSid, "delivered", "+15005550006", "+14155550101");
  const auto without = [&](std::string_view name) {
    Form f;
    for (const auto& [n, v] : good) {
      if (n != name) f.Add(n, v);
    }
    return f;
  };
  const auto with = [&](std::string_view name, std::string_view value) {
    Form f = good;
    f.Set(name, value);
    return f;
  };
  EXPECT_THAT(CheckStatus(without("MessageStatus")), HasSubstr("MessageStatus: required"));
  EXPECT_THAT(CheckStatus(without("MessageSid")), HasSubstr("MessageSid: required"));
  EXPECT_THAT(CheckStatus(without("To")), HasSubstr("To: required"));
  EXPECT_THAT(CheckStatus(without("From")), HasSubstr("From: required"));
  EXPECT_THAT(CheckStatus(without("AccountSid")), HasSubstr("AccountSid: required"));
  EXPECT_THAT(CheckStatus(with("MessageStatus", "Delivered")), HasSubstr("MessageStatus"));
  EXPECT_THAT(CheckStatus(with("MessageStatus", "deliveredRawDlrDoneDate2312011200")),
              HasSubstr("MessageStatus"));
  EXPECT_THAT(CheckStatus(with("ErrorCode", "30003x")), HasSubstr("ErrorCode"));
  EXPECT_THAT(CheckStatus(with("SmsSid", "SM0123456789abcdef0123456789abcdee")),
              HasSubstr("SmsSid: must equal MessageSid"));
  EXPECT_THAT(CheckStatus(with("To", "Ana")), HasSubstr("To: expected"));
  EXPECT_THAT(CheckStatus(with("MessageSid", "SM0123456789ABCDEF0123456789abcdef")),
              HasSubstr("MessageSid"));
  EXPECT_THAT(CheckStatus(good, "AC0123456789abcdef0123456789abcdee"),
              HasSubstr("AccountSid: not this server's account"));
  EXPECT_THAT(CheckStatus(with("EventType", "read")), HasSubstr("EventType"));
  Form twice = good;
  twice.Add("MessageStatus", "sent");
  EXPECT_THAT(CheckStatus(twice), HasSubstr("appears more than once"));
}

}  // namespace
}  // namespace parley::twilio
