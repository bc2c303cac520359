#include "conversation/address.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "common/utf8.hpp"
#include "conversation/compliance.hpp"
#include "test/support/random_input.hpp"

namespace parley::conversation {
namespace {

using parley::testing::Mutate;
using parley::testing::RandomBytes;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kIterations = 5000;

Address MustParse(std::string_view raw, std::string_view region = "US") {
  Result<Address> a = ParseAddress(raw, region);
  EXPECT_TRUE(a.ok()) << raw << ": " << a.status().ToString();
  return a.ok() ? *a : Address{};
}

std::string ErrorOf(std::string_view raw, std::string_view region = "US") {
  Result<Address> a = ParseAddress(raw, region);
  EXPECT_FALSE(a.ok()) << raw << " parsed as " << (a.ok() ? a->key : "");
  EXPECT_EQ(a.status().code(), StatusCode::kInvalidArgument);
  return a.status().message();
}

TEST(ParseAddressTest, SmsE164) {
  const Address a = MustParse("+14158675309");
  EXPECT_EQ(a.channel, "sms");
  EXPECT_EQ(a.phone, "+14158675309");
  EXPECT_EQ(a.key, "+14158675309");
  EXPECT_EQ(MustParse("+51987654321").phone, "+51987654321");
  EXPECT_EQ(MustParse("+442079460958").phone, "+442079460958");
}

TEST(ParseAddressTest, WhatsApp) {
  const Address a = MustParse("whatsapp:+15017122661");
  EXPECT_EQ(a.channel, "whatsapp");
  EXPECT_EQ(a.phone, "+15017122661");
  EXPECT_EQ(a.key, "whatsapp:+15017122661");
  EXPECT_EQ(MustParse("WhatsApp:+15017122661"), a);
  EXPECT_EQ(MustParse("WHATSAPP: +1 501 712 2661"), a);
}

TEST(ParseAddressTest, PossibleButNotValidNumbersAccepted) {
  // 555 numbers are possible (right length) but not allocated; tests and examples use them.
  EXPECT_EQ(MustParse("+15551234567").key, "+15551234567");
  EXPECT_EQ(MustParse("whatsapp:+15558675310").key, "whatsapp:+15558675310");
  EXPECT_EQ(MustParse("+15005550006").key, "+15005550006");  // Twilio magic number
}

TEST(ParseAddressTest, NormalizesFormattingAndNationalNumbers) {
  EXPECT_EQ(MustParse("+1 (415) 867-5309").phone, "+14158675309");
  EXPECT_EQ(MustParse("  +1.415.867.5309\n").phone, "+14158675309");
  EXPECT_EQ(MustParse("(415) 867-5309").phone, "+14158675309");
  EXPECT_EQ(MustParse("987 654 321", "PE").phone, "+51987654321");
  EXPECT_EQ(MustParse("020 7946 0958", "GB").phone, "+442079460958");
  EXPECT_EQ(MustParse("+51987654321", "GB").phone, "+51987654321");  // '+' wins over region
}

TEST(ParseAddressTest, ShortCodesAndAlphanumericSendersRejected) {
  EXPECT_THAT(ErrorOf("12345"), HasSubstr("short code"));
  EXPECT_THAT(ErrorOf("898-211"), HasSubstr("short code"));
  EXPECT_THAT(ErrorOf("whatsapp:12345"), HasSubstr("short code"));
  EXPECT_THAT(ErrorOf("TWILIO"), HasSubstr("alphanumeric sender ID"));
  EXPECT_THAT(ErrorOf("MyBrand 2"), HasSubstr("alphanumeric sender ID"));
  EXPECT_THAT(ErrorOf("1-800-FLOWERS"), HasSubstr("alphanumeric"));  // no vanity numbers
}

TEST(ParseAddressTest, RejectsJunk) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("   "), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("whatsapp:"), HasSubstr("no number"));
  EXPECT_THAT(ErrorOf("messenger:+14158675309"), HasSubstr("unsupported channel"));
  EXPECT_THAT(ErrorOf("+"), HasSubstr("no digits"));
  EXPECT_THAT(ErrorOf("+1555"), HasSubstr("too short"));
  EXPECT_THAT(ErrorOf("+1415867530912345"), HasSubstr("too long"));
  EXPECT_THAT(ErrorOf("+999123456"), HasSubstr("country code"));
  EXPECT_THAT(ErrorOf("+1 415 867 5309 #2"), HasSubstr("unexpected character"));
  EXPECT_THAT(ErrorOf("+1415867\xC3\xA9"), HasSubstr("unexpected character"));
  EXPECT_THAT(ErrorOf("1+4158675309"), HasSubstr("unexpected character"));
  EXPECT_THAT(ErrorOf(std::string(65, '1')), HasSubstr("longer than 64"));
  EXPECT_FALSE(ParseAddress("4158675309", "ZZ").ok());  // national number, unknown region
}

TEST(ParseAddressTest, ErrorsDoNotLeakTheNumber) {
  const std::string message = ErrorOf("+1415867530912345");
  EXPECT_THAT(message, Not(HasSubstr("8675309")));
  EXPECT_THAT(message, HasSubstr("+1*************45"));
}

// Issue 8 item 12: PARLEY_DEFAULT_REGION is checked against libphonenumber's regions.
TEST(IsSupportedRegionTest, OnlyRegionsLibphonenumberKnows) {
  EXPECT_TRUE(IsSupportedRegion("US"));
  EXPECT_TRUE(IsSupportedRegion("GB"));
  EXPECT_TRUE(IsSupportedRegion("PE"));
  EXPECT_FALSE(IsSupportedRegion("XX"));
  EXPECT_FALSE(IsSupportedRegion("ZZ"));
  EXPECT_FALSE(IsSupportedRegion("001"));  // non-geographic entities have no national numbers
  EXPECT_FALSE(IsSupportedRegion("us"));
  EXPECT_FALSE(IsSupportedRegion(""));
}

TEST(MaskPhoneTest, KeepsCountryCodeAndLastDigits) {
  EXPECT_EQ(MaskPhone("+15551234567"), "+1********67");
  EXPECT_EQ(MaskPhone("+51987654321"), "+51*******21");
  EXPECT_EQ(MaskPhone("+79161234567"), "+7********67");
  EXPECT_EQ(MaskPhone("whatsapp:+15017122661"), "whatsapp:+1********61");
  EXPECT_EQ(MaskPhone("WhatsApp:+51987654321"), "whatsapp:+51*******21");
  EXPECT_EQ(MaskPhone("4158675309"), "********09");
}

TEST(MaskPhoneTest, ShortAndOddInputs) {
  EXPECT_EQ(MaskPhone(""), "");
  EXPECT_EQ(MaskPhone("12345"), "*****");
  EXPECT_EQ(MaskPhone("whatsapp:"), "whatsapp:");
  EXPECT_EQ(MaskPhone("TWILIO"), "******");
  EXPECT_EQ(MaskPhone("MyBrandName"), std::string(11, '*'));  // letters are never kept
  EXPECT_EQ(MaskPhone("+1\xFF\xFE\xFD\xFC\xFB\xFA\xF9"), "+1*******");
  EXPECT_EQ(MaskPhone("+\xC3\xA9\xC3\xA9\xC3\xA9"), "+******");
}

// Untrusted input never crashes: random and mutated bytes (run under ASan/UBSan too).
TEST(RobustnessTest, ParseAddressOnArbitraryBytes) {
  std::mt19937 rng(5);
  for (int i = 0; i < kIterations; ++i) {
    const std::string input = i % 3 == 0   ? RandomBytes(rng, 40)
                              : i % 3 == 1 ? RandomBytes(rng, 24, "+0123456789 -().whatsapp:")
                                           : Mutate(rng, "whatsapp:+15017122661");
    Result<Address> address = ParseAddress(input);
    if (address.ok()) {
      ASSERT_EQ(address->phone.front(), '+');
      ASSERT_TRUE(address->channel == "sms" || address->channel == "whatsapp");
      // Normalization is idempotent.
      Result<Address> again = ParseAddress(address->key);
      ASSERT_TRUE(again.ok());
      ASSERT_EQ(*again, *address);
    }
    const std::string masked = MaskPhone(input);
    ASSERT_TRUE(IsValidUtf8(masked));
    (void)ClassifyCompliance(input, RandomBytes(rng, 6));
  }
}

// The per-thread cache answers exactly what a fresh parse answers, region included.
TEST(AddressCacheTest, CachedEqualsUncached) {
  const char* inputs[] = {"+15551234567", "whatsapp:+15551234567", "(555) 123-4567",
                          "5551234567",   "+442071838750",         "TWILIO",
                          "12345",        "messenger:+1555"};
  for (int round = 0; round < 3; ++round) {
    for (const char* raw : inputs) {
      for (const char* region : {"US", "GB"}) {
        Result<Address> cached = ParseAddress(raw, region);
        Result<Address> fresh = ParseAddressUncached(raw, region);
        ASSERT_EQ(cached.ok(), fresh.ok()) << raw << " " << region;
        if (cached.ok()) {
          EXPECT_EQ(*cached, *fresh) << raw << " " << region;
        } else {
          EXPECT_EQ(cached.status().message(), fresh.status().message());
        }
      }
    }
  }
  // A national number means something else in another region.
  EXPECT_NE(ParseAddress("02071838750", "GB")->key, ParseAddress("2071838750", "US")->key);
}

}  // namespace
}  // namespace parley::conversation
