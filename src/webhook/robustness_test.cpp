// Untrusted input never crashes: random and mutated bytes through every parser of this
// library (run under ASan/UBSan too). Deterministic seeds, so a failure reproduces.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "webhook/address.hpp"
#include "webhook/compliance.hpp"
#include "webhook/form.hpp"
#include "webhook/signature.hpp"
#include "webhook/twiml.hpp"

namespace parley::webhook {
namespace {

constexpr int kIterations = 5000;

std::string RandomBytes(std::mt19937& rng, size_t max_size, std::string_view alphabet = {}) {
  std::uniform_int_distribution<size_t> size_dist(0, max_size);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  const size_t n = size_dist(rng);
  std::string s(n, '\0');
  for (char& c : s) {
    if (alphabet.empty()) {
      c = static_cast<char>(byte_dist(rng));
    } else {
      c = alphabet[static_cast<size_t>(byte_dist(rng)) % alphabet.size()];
    }
  }
  return s;
}

// `seed` with a few random bytes replaced, inserted or deleted.
std::string Mutate(std::mt19937& rng, std::string s) {
  std::uniform_int_distribution<int> edits(1, 4);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  for (int e = edits(rng); e > 0; --e) {
    const size_t pos = s.empty() ? 0 : std::uniform_int_distribution<size_t>(0, s.size() - 1)(rng);
    switch (byte_dist(rng) % 3) {
      case 0:
        if (!s.empty()) {
          s[pos] = static_cast<char>(byte_dist(rng));
        }
        break;
      case 1:
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>(byte_dist(rng)));
        break;
      default:
        if (!s.empty()) {
          s.erase(pos, 1);
        }
        break;
    }
  }
  return s;
}

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

TEST(RobustnessTest, ParseTwimlOnArbitraryBytes) {
  std::mt19937 rng(3);
  const std::string seed = RenderTwiml({{"a & b <c>", {"https://x/a?b=1&c=2"}}, {"two", {}}}) +
                           "<!-- c --><![CDATA[x]]>&#x41;";
  for (int i = 0; i < kIterations; ++i) {
    const std::string input = i % 3 == 0   ? RandomBytes(rng, 200)
                              : i % 3 == 1 ? RandomBytes(rng, 200, "<>/&;#x!-[]?'\"= MRsponeagBdyi")
                                           : Mutate(rng, seed);
    auto parsed = ParseTwiml(input);
    if (parsed.ok()) {
      // What parses renders back to a document that parses to the same messages, unless
      // the text held characters RenderTwiml drops (\r survives, others cannot get in).
      auto again = ParseTwiml(RenderTwiml(*parsed));
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      ASSERT_EQ(*again, *parsed);
    }
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
}  // namespace parley::webhook
