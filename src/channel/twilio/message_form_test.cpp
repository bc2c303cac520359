// Issue 9 (delivery): who sends each message, and what the create-Message form carries.
#include "channel/twilio/message_form.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::channel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TwilioSenders Senders() {
  TwilioSenders s;
  s.sms_from = "+15005550006";
  s.whatsapp_from = "+14155238886";  // configured without the prefix: it is added
  return s;
}

OutboundMessage Message(std::string from, std::string to, std::string body) {
  OutboundMessage m;
  m.from = std::move(from);
  m.to = std::move(to);
  m.body = std::move(body);
  return m;
}

std::vector<std::string> Fields(const twilio::Form& form) {
  std::vector<std::string> out;
  for (const auto& [name, value] : form) {
    out.push_back(std::string(name) + "=" + std::string(value));
  }
  return out;
}

TEST(MessageFormTest, AReplyGoesOutFromTheNumberThatReceivedTheContactsMessage) {
  auto form = BuildMessageForm(Message("+15005550099", "+14155550101", "Hi"), Senders(),
                               "https://parley.example.com/twilio/status");
  ASSERT_TRUE(form.ok()) << form.status().ToString();
  EXPECT_THAT(Fields(*form),
              ElementsAre("To=+14155550101", "From=+15005550099", "Body=Hi",
                          "StatusCallback=https://parley.example.com/twilio/status"));
}

TEST(MessageFormTest, SmsContactsWithoutASenderGetThePhoneNumberOrTheMessagingService) {
  auto form = BuildMessageForm(Message("", "+14155550101", "Hi"), Senders(), "");
  ASSERT_TRUE(form.ok());
  EXPECT_THAT(Fields(*form), ElementsAre("To=+14155550101", "From=+15005550006", "Body=Hi"));

  TwilioSenders service;
  service.messaging_service_sid = "MG0123456789abcdef0123456789abcdef";
  form = BuildMessageForm(Message("", "+14155550101", "Hi"), service, "");
  ASSERT_TRUE(form.ok());
  EXPECT_THAT(Fields(*form),
              ElementsAre("To=+14155550101",
                          "MessagingServiceSid=MG0123456789abcdef0123456789abcdef", "Body=Hi"));
}

TEST(MessageFormTest, WhatsAppContactsAreSentFromTheWhatsAppNumberWithItsPrefix) {
  auto form = BuildMessageForm(Message("", "whatsapp:+14155550101", "Hola"), Senders(), "");
  ASSERT_TRUE(form.ok());
  EXPECT_THAT(Fields(*form),
              ElementsAre("To=whatsapp:+14155550101", "From=whatsapp:+14155238886", "Body=Hola"));
  // A reply from the WhatsApp number written to keeps it.
  form = BuildMessageForm(Message("whatsapp:+14155238886", "whatsapp:+14155550101", "Hola"),
                          Senders(), "");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->Get("From"), "whatsapp:+14155238886");
  // A sender stored without the prefix gets it for a WhatsApp contact.
  form = BuildMessageForm(Message("+14155238886", "whatsapp:+14155550101", "Hola"), Senders(), "");
  ASSERT_TRUE(form.ok());
  EXPECT_EQ(form->Get("From"), "whatsapp:+14155238886");
}

TEST(MessageFormTest, AMissingSenderNamesTheKeyToSet) {
  auto form = BuildMessageForm(Message("", "whatsapp:+14155550101", "Hola"), {}, "");
  ASSERT_FALSE(form.ok());
  EXPECT_EQ(form.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(form.status().message(), HasSubstr("TWILIO_WHATSAPP_NUMBER"));
  form = BuildMessageForm(Message("", "+14155550101", "Hi"), {}, "");
  ASSERT_FALSE(form.ok());
  EXPECT_THAT(form.status().message(), HasSubstr("TWILIO_PHONE_NUMBER"));
  // A WhatsApp sender for an SMS contact cannot work.
  form = BuildMessageForm(Message("whatsapp:+14155238886", "+14155550101", "Hi"), Senders(), "");
  EXPECT_FALSE(form.ok());
}

TEST(MessageFormTest, MediaGoAsRepeatedMediaUrlsUpToTen) {
  auto m = Message("", "+14155550101", "");
  m.media = {"https://example.com/a.jpg", "https://example.com/b.png"};
  auto form = BuildMessageForm(m, Senders(), "");
  ASSERT_TRUE(form.ok());
  EXPECT_FALSE(form->Has("Body"));
  EXPECT_THAT(form->All("MediaUrl"),
              ElementsAre("https://example.com/a.jpg", "https://example.com/b.png"));
  m.media.assign(11, "https://example.com/a.jpg");
  EXPECT_EQ(BuildMessageForm(m, Senders(), "").status().code(), StatusCode::kInvalidArgument);
  // Nothing at all to send.
  EXPECT_EQ(BuildMessageForm(Message("", "+14155550101", ""), Senders(), "").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(MessageFormTest, ATemplateGoesAloneWithItsVariables) {
  auto m = Message("", "whatsapp:+14155550101", "ignored beside a template");
  m.media = {"https://example.com/a.jpg"};
  m.content_sid = "HX0123456789abcdef0123456789abcdef";
  m.content_variables = R"({"1":"March 25"})";
  auto form = BuildMessageForm(m, Senders(), "");
  ASSERT_TRUE(form.ok());
  EXPECT_THAT(Fields(*form), ElementsAre("To=whatsapp:+14155550101", "From=whatsapp:+14155238886",
                                         "ContentSid=HX0123456789abcdef0123456789abcdef",
                                         R"(ContentVariables={"1":"March 25"})"));
}

}  // namespace
}  // namespace parley::channel
