// Untrusted input never crashes: random and mutated bytes through every parser of this
// library (run under ASan/UBSan too). Deterministic seeds, so a failure reproduces.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "test/support/random_input.hpp"
#include "test/support/twiml_parser.hpp"
#include "twilio/form.hpp"
#include "twilio/signature.hpp"
#include "twilio/twiml.hpp"

namespace parley::twilio {
namespace {

using testing::Mutate;
using testing::ParseTwiml;
using testing::RandomBytes;

constexpr int kIterations = 5000;

TEST(RobustnessTest, DecodeFormOnArbitraryBytes) {
  std::mt19937 rng(1);
  const std::string seed =
      "ToCountry=US&Body=It%27s+working%21&To=%2B19894655460&From=whatsapp%3A%2B1703&NumMedia=0";
  for (int i = 0; i < kIterations; ++i) {
    const std::string input = i % 3 == 0   ? RandomBytes(rng, 200)
                              : i % 3 == 1 ? RandomBytes(rng, 200, "%&=+aZ09fF\xFF")
                                           : Mutate(rng, seed);
    Result<Form> form = DecodeForm(input);
    if (form.ok()) {
      // Whatever decodes re-encodes to something that decodes to the same fields.
      Result<Form> again = DecodeForm(EncodeForm(*form));
      ASSERT_TRUE(again.ok());
      ASSERT_EQ(again->size(), form->size());
      for (size_t f = 0; f < form->size(); ++f) {
        ASSERT_EQ(again->at(f), form->at(f));
      }
      (void)VerifySignature("token", "https://h/x", *form, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
      for (const auto& [name, value] : *form) {
        ASSERT_TRUE(IsValidUtf8(ToValidUtf8(value)));
      }
    } else {
      ASSERT_EQ(form.status().code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST(RobustnessTest, Utf8RepairOnArbitraryBytes) {
  std::mt19937 rng(2);
  for (int i = 0; i < kIterations; ++i) {
    const std::string input = RandomBytes(rng, 64);
    const std::string repaired = ToValidUtf8(input);
    ASSERT_TRUE(IsValidUtf8(repaired));
    if (IsValidUtf8(input)) {
      ASSERT_EQ(repaired, input);
    }
    ASSERT_EQ(ToValidUtf8(repaired), repaired);
  }
}

TEST(RobustnessTest, RenderTwimlOnArbitraryBytes) {
  std::mt19937 rng(4);
  for (int i = 0; i < kIterations; ++i) {
    const TwimlMessage message{RandomBytes(rng, 50), {RandomBytes(rng, 20)}};
    const std::string xml = RenderTwiml({message});
    auto parsed = ParseTwiml(xml);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    ASSERT_EQ(parsed->size(), 1u);
  }
}

TEST(RobustnessTest, SignatureUrlVariantsOnArbitraryBytes) {
  std::mt19937 rng(6);
  for (int i = 0; i < kIterations; ++i) {
    const std::string url = i % 2 == 0 ? RandomBytes(rng, 60, "htps:/[]@:#?4380ab")
                                       : Mutate(rng, "https://u:p@h.com:443/p?q=1#rc=2");
    const auto variants = SignatureUrlVariants(url);
    ASSERT_FALSE(variants.empty());
    ASSERT_LE(variants.size(), 2u);
    (void)VerifyJsonSignature("t", url, "{}", "x");
  }
}

}  // namespace
}  // namespace parley::twilio
