// Issue 9, the sender, item 4: how a sender number is classified, PARLEY_SEND_RATE, and the
// pacer that spaces a sender's messages at its rate.
#include "channel/send_rate.hpp"

#include <gtest/gtest.h>

namespace parley::channel {
namespace {

using std::chrono::milliseconds;

TEST(SendRateTest, SendersAreClassifiedByTheirShape) {
  EXPECT_EQ(ClassifySender("whatsapp:+14155238886"), SenderKind::kWhatsApp);
  EXPECT_EQ(ClassifySender("12345"), SenderKind::kShortCode);
  EXPECT_EQ(ClassifySender("123456"), SenderKind::kShortCode);
  EXPECT_EQ(ClassifySender("1234567"), SenderKind::kLongCode);
  for (const char* toll_free : {"+18005550100", "+18335550100", "+18445550100", "+18555550100",
                                "+18665550100", "+18775550100", "+18885550100"}) {
    EXPECT_EQ(ClassifySender(toll_free), SenderKind::kTollFree) << toll_free;
  }
  EXPECT_EQ(ClassifySender("+18995550100"), SenderKind::kLongCode);
  EXPECT_EQ(ClassifySender("+15005550006"), SenderKind::kLongCode);
  EXPECT_EQ(ClassifySender("+448005550100"), SenderKind::kLongCode);  // not +1
  EXPECT_EQ(ClassifySender(""), SenderKind::kLongCode);               // a Messaging Service
}

TEST(SendRateTest, DefaultsFollowTwilio) {
  const SendRates rates = SendRates::Parse("").value();
  EXPECT_EQ(rates.RateFor("+15005550006"), 1);
  EXPECT_EQ(rates.RateFor("+18005550100"), 3);
  EXPECT_EQ(rates.RateFor("12345"), 100);
  EXPECT_EQ(rates.RateFor("whatsapp:+14155238886"), 80);
}

TEST(SendRateTest, OverridesBySenderThenKindThenDefault) {
  const SendRates rates =
      SendRates::Parse(" +15551234567=10, whatsapp:+15550000000=40,toll_free=5,default=2 ").value();
  EXPECT_EQ(rates.RateFor("+15551234567"), 10);
  EXPECT_EQ(rates.RateFor("whatsapp:+15550000000"), 40);
  EXPECT_EQ(rates.RateFor("whatsapp:+15550000001"), 2);  // "default" beats built-ins
  EXPECT_EQ(rates.RateFor("+18005550100"), 5);
  EXPECT_EQ(rates.RateFor("+15559999999"), 2);
  EXPECT_EQ(SendRates::Parse("default=0").value().RateFor("12345"), 0);
  EXPECT_EQ(SendRates::Parse("short_code=0.5").value().RateFor("12345"), 0.5);
}

TEST(SendRateTest, BadEntriesAreRefusedNamingThem) {
  for (const char* bad : {"+15551234567", "=3", "+1555=fast", "+1555=-1", "default=1e999"}) {
    const auto parsed = SendRates::Parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_NE(SendRates::Parse("+1555=x").status().message().find("+1555=x"), std::string::npos);
}

TEST(SendRateTest, ThePacerSpacesASendersMessagesAndHandsOutSlotsOnlyUpToTheHorizon) {
  SendPacer pacer(SendRates::Parse("+15551234567=10").value());
  const SendPacer::SteadyTime t0{};
  const auto horizon = milliseconds(250);
  std::vector<SendPacer::SteadyTime> slots;
  for (int i = 0; i < 3; ++i) {
    const SendPacer::Slot slot = pacer.Reserve("+15551234567", t0, horizon);
    ASSERT_TRUE(slot.granted) << i;
    slots.push_back(slot.at);
  }
  EXPECT_EQ(slots[0], t0);
  EXPECT_EQ(slots[1], t0 + milliseconds(100));
  EXPECT_EQ(slots[2], t0 + milliseconds(200));
  // The next slot (300 ms) is past the horizon: refused, with when to ask again.
  const SendPacer::Slot refused = pacer.Reserve("+15551234567", t0, horizon);
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.at, t0 + milliseconds(50));
  EXPECT_TRUE(pacer.Reserve("+15551234567", refused.at, horizon).granted);
  // Other senders have slots of their own; a sender without a limit is never held.
  EXPECT_EQ(pacer.Reserve("+15550000000", t0, horizon).at, t0);
  SendPacer unlimited(SendRates::Parse("default=0").value());
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(unlimited.Reserve("+15551234567", t0, horizon).at, t0);
  }
}

TEST(SendRateTest, AnInstancesShareDividesTheRate) {
  SendPacer half(SendRates::Parse("+15551234567=10").value(), 0.5);
  const SendPacer::SteadyTime t0{};
  EXPECT_EQ(half.Reserve("+15551234567", t0, milliseconds(500)).at, t0);
  EXPECT_EQ(half.Reserve("+15551234567", t0, milliseconds(500)).at, t0 + milliseconds(200));
}

}  // namespace
}  // namespace parley::channel
