#include "twilio/signature.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::twilio {
namespace {

using ::testing::ElementsAre;

// Twilio's published test vectors (twilio-node spec/validation.spec.js and twilio-python
// tests/unit/test_request_validator.py), token 12345.
constexpr std::string_view kToken = "12345";
constexpr std::string_view kUrl = "https://mycompany.com/myapp.php?foo=1&bar=2";

Form VoiceParams() {
  Form p;
  // Deliberately not in sorted order: the algorithm sorts.
  p.Add("To", "+18005551212");
  p.Add("Digits", "1234");
  p.Add("CallSid", "CA1234567890ABCDE");
  p.Add("From", "+14158675309");
  p.Add("Caller", "+14158675309");
  return p;
}

TEST(ComputeSignatureTest, ReferenceVectors) {
  const Form p = VoiceParams();
  EXPECT_EQ(ComputeSignature(kToken, kUrl, p), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  EXPECT_EQ(ComputeSignature(kToken, "https://mycompany.com:443/myapp.php?foo=1&bar=2", p),
            "kvajT1Ptam85bY51eRf/AJRuM3w=");
  EXPECT_EQ(ComputeSignature(kToken, "http://mycompany.com:80/myapp.php?foo=1&bar=2", p),
            "0ZXoZLH/DfblKGATFgpif+LLRf4=");
  EXPECT_EQ(ComputeSignature(kToken, "http://mycompany.com:1234/myapp.php?foo=1&bar=2", p),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=");
  EXPECT_EQ(ComputeSignature(kToken, "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", p),
            "CukzLTc1tT5dXEDIHm/tKBanW10=");
}

TEST(ComputeSignatureTest, RepeatedParametersAreDedupedAndSorted) {
  Form p;
  p.Add("Sid", "CA123");
  p.Add("SidAccount", "AC123");
  p.Add("Digits", "5678");
  p.Add("Digits", "1234");
  p.Add("Digits", "1234");
  EXPECT_EQ(ComputeSignature(kToken, kUrl, p), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
  EXPECT_NE(ComputeSignature(kToken, kUrl, p), "tM//N+MVWOh7+ol2z8YCNxSY0Eg=");  // no dedup

  Form binding;
  binding.Add("MessagingBinding.Address", "+1415xxxxxxx");
  binding.Add("MessagingBinding.Address", "+1325xxxxxxx");
  EXPECT_EQ(ComputeSignature(kToken, kUrl, binding), "83O6e2vORAoJHUNzJjDWN1jz+BA=");
}

TEST(ComputeSignatureTest, ApostropheVersusPercent27) {
  const Form p = VoiceParams();
  EXPECT_EQ(ComputeSignature(kToken, std::string(kUrl) + "&Body=It%27s+amazing", p),
            "TfZzewPq8wqrGlMfyAud8+/IvJ0=");
  EXPECT_EQ(ComputeSignature(kToken, std::string(kUrl) + "&Body=It's+amazing", p),
            "dsq4Ehbj6cs+KdTkpF5sSSplOWw=");
  // The URL is used byte for byte: a signature over one spelling does not verify the other.
  EXPECT_TRUE(VerifySignature(kToken, std::string(kUrl) + "&Body=It%27s+amazing", p,
                              "TfZzewPq8wqrGlMfyAud8+/IvJ0="));
  EXPECT_FALSE(VerifySignature(kToken, std::string(kUrl) + "&Body=It's+amazing", p,
                               "TfZzewPq8wqrGlMfyAud8+/IvJ0="));
}

TEST(ComputeSignatureTest, BytewiseOrderAndUtf8) {
  Form p;
  p.Add("a", "2");
  p.Add("Z", "1");  // 'Z' (0x5A) sorts before 'a' (0x61)
  p.Add("Body", "h\xC3\xA9llo \xF0\x9F\x91\x8D");
  // Recomputed with Python's hmac over the same params.
  EXPECT_EQ(ComputeSignature(kToken, "https://mycompany.com/myapp.php", p),
            "rlNC7/r1PSg72S/sGuvZQPmm4vU=");
}

TEST(SignatureUrlVariantsTest, PortsFragmentsAndCredentials) {
  EXPECT_THAT(SignatureUrlVariants("https://h.com/p?q=1"),
              ElementsAre("https://h.com/p?q=1", "https://h.com:443/p?q=1"));
  EXPECT_THAT(SignatureUrlVariants("https://h.com:443/p"),
              ElementsAre("https://h.com:443/p", "https://h.com/p"));
  EXPECT_THAT(SignatureUrlVariants("http://h.com/p"),
              ElementsAre("http://h.com/p", "http://h.com:80/p"));
  EXPECT_THAT(SignatureUrlVariants("http://h.com:80"),
              ElementsAre("http://h.com:80", "http://h.com"));
  EXPECT_THAT(SignatureUrlVariants("HTTPS://h.com?x"),
              ElementsAre("HTTPS://h.com?x", "HTTPS://h.com:443?x"));
  EXPECT_THAT(SignatureUrlVariants("http://h.com:1234/p"), ElementsAre("http://h.com:1234/p"));
  EXPECT_THAT(SignatureUrlVariants("https://h.com:80/p"), ElementsAre("https://h.com:80/p"));
  EXPECT_THAT(SignatureUrlVariants("https://u:p@h.com/p"),
              ElementsAre("https://u:p@h.com/p", "https://u:p@h.com:443/p"));
  EXPECT_THAT(SignatureUrlVariants("https://u:p@h.com:443/p"),
              ElementsAre("https://u:p@h.com:443/p", "https://u:p@h.com/p"));
  EXPECT_THAT(SignatureUrlVariants("https://[::1]/p"),
              ElementsAre("https://[::1]/p", "https://[::1]:443/p"));
  EXPECT_THAT(SignatureUrlVariants("https://[::1]:443/p"),
              ElementsAre("https://[::1]:443/p", "https://[::1]/p"));
  EXPECT_THAT(SignatureUrlVariants("https://h.com/sms?x=1#rc=3&rp=all"),
              ElementsAre("https://h.com/sms?x=1", "https://h.com:443/sms?x=1"));
  EXPECT_THAT(SignatureUrlVariants("/relative?x"), ElementsAre("/relative?x"));
  EXPECT_THAT(SignatureUrlVariants("ftp://h.com/x"), ElementsAre("ftp://h.com/x"));
  EXPECT_THAT(SignatureUrlVariants("https://"), ElementsAre("https://"));
  EXPECT_THAT(SignatureUrlVariants("https://[::1/x"), ElementsAre("https://[::1/x"));
  EXPECT_THAT(SignatureUrlVariants(""), ElementsAre(""));
}

TEST(VerifySignatureTest, AcceptsPortVariants) {
  const Form p = VoiceParams();
  // Signed without a port, received (or configured) with :443, and the reverse.
  EXPECT_TRUE(VerifySignature(kToken, kUrl, p, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
  EXPECT_TRUE(VerifySignature(kToken, kUrl, p, "kvajT1Ptam85bY51eRf/AJRuM3w="));
  EXPECT_TRUE(VerifySignature(kToken, "https://mycompany.com:443/myapp.php?foo=1&bar=2", p,
                              "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
  EXPECT_TRUE(VerifySignature(kToken, "http://mycompany.com/myapp.php?foo=1&bar=2", p,
                              "0ZXoZLH/DfblKGATFgpif+LLRf4="));
  EXPECT_TRUE(VerifySignature(kToken, "http://mycompany.com:1234/myapp.php?foo=1&bar=2", p,
                              "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
  // A custom port is never dropped or swapped.
  EXPECT_FALSE(VerifySignature(kToken, "http://mycompany.com/myapp.php?foo=1&bar=2", p,
                               "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
  // https's default is 443, not 80.
  EXPECT_FALSE(VerifySignature(kToken, "https://mycompany.com:80/myapp.php?foo=1&bar=2", p,
                               "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
  // Credentials kept in every variant.
  EXPECT_TRUE(VerifySignature(kToken, "https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2",
                              p, "CukzLTc1tT5dXEDIHm/tKBanW10="));
}

TEST(VerifySignatureTest, FragmentIsNotSigned) {
  const Form p = VoiceParams();
  EXPECT_TRUE(VerifySignature(kToken, std::string(kUrl) + "#rc=3&rp=all", p,
                              "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
  EXPECT_TRUE(VerifySignature(kToken, std::string(kUrl) + "#", p, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
}

TEST(VerifySignatureTest, RejectsWrongInputs) {
  const Form p = VoiceParams();
  const std::string good = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
  EXPECT_FALSE(VerifySignature("54321", kUrl, p, good));  // wrong token
  EXPECT_FALSE(VerifySignature("", kUrl, p, good));       // no token configured
  EXPECT_FALSE(VerifySignature(kToken, kUrl, p, ""));     // missing header
  EXPECT_FALSE(VerifySignature(kToken, kUrl, p, good.substr(0, 27)));
  EXPECT_FALSE(VerifySignature(kToken, kUrl, p, good + "="));
  EXPECT_FALSE(VerifySignature(kToken, kUrl, p, "rsoydt4t1cutdk1pdd93/vvr8b8="));  // case matters
  EXPECT_FALSE(VerifySignature(kToken, std::string(kUrl) + "&x=1", p, good));
  EXPECT_FALSE(VerifySignature(kToken, "https://mycompany.com/myapp.php?foo=1&bar=2/", p, good));

  Form tampered = VoiceParams();
  tampered.Set("Digits", "1235");
  EXPECT_FALSE(VerifySignature(kToken, kUrl, tampered, good));
  Form extra = VoiceParams();
  extra.Add("AddOns", "{}");  // an unknown parameter is signed too: dropping it would break
  EXPECT_FALSE(VerifySignature(kToken, kUrl, extra, good));
  Form fewer;
  EXPECT_FALSE(VerifySignature(kToken, kUrl, fewer, good));
  // A repeat of an existing (name, value) pair does not change the signature (dedup)...
  Form repeated = VoiceParams();
  repeated.Add("Digits", "1234");
  EXPECT_TRUE(VerifySignature(kToken, kUrl, repeated, good));
  // ... but a new value for an existing name does.
  repeated.Add("Digits", "9999");
  EXPECT_FALSE(VerifySignature(kToken, kUrl, repeated, good));
}

TEST(VerifySignatureTest, HeaderWhitespaceTolerated) {
  EXPECT_TRUE(VerifySignature(kToken, kUrl, VoiceParams(), " RSOYDt4T1cUTdK1PDd93/VVr8B8=\t"));
}

TEST(VerifySignatureTest, RoundTripThroughEncodedBody) {
  Form p;
  p.Add("Body", "It's working!!! +1 & more");
  p.Add("From", "whatsapp:+15017122661");
  const std::string url = "https://parley.example.com/twilio/messages";
  const std::string sig = ComputeSignature("token", url, p);
  Result<Form> decoded = DecodeForm(EncodeForm(p));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(VerifySignature("token", url, *decoded, sig));
}

TEST(JsonSignatureTest, ReferenceVectors) {
  const std::string body = R"({"property": "value", "boolean": true})";
  const std::string hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
  EXPECT_EQ(Sha256Hex(body), hash);
  const std::string url = std::string(kUrl) + "&bodySHA256=" + hash;
  EXPECT_EQ(ComputeSignature(kToken, url, Form()), "a9nBmqA0ju/hNViExpshrM61xv4=");
  EXPECT_TRUE(VerifyJsonSignature(kToken, url, body, "a9nBmqA0ju/hNViExpshrM61xv4="));
  EXPECT_FALSE(VerifyJsonSignature(kToken, url, body + " ", "a9nBmqA0ju/hNViExpshrM61xv4="));
  EXPECT_FALSE(VerifyJsonSignature("54321", url, body, "a9nBmqA0ju/hNViExpshrM61xv4="));
  EXPECT_FALSE(VerifyJsonSignature(kToken, url, body, ""));

  const std::string short_url = "https://mycompany.com/myapp.php?bodySHA256=" + hash;
  EXPECT_EQ(ComputeSignature(kToken, short_url, Form()), "y77kIzt2vzLz71DgmJGsen2scGs=");
  EXPECT_TRUE(VerifyJsonSignature(kToken, short_url, body, "y77kIzt2vzLz71DgmJGsen2scGs="));

  // Signed over the :443 form only; the validator finds it from the port-less URL too.
  const std::string empty_hash = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
  EXPECT_EQ(Sha256Hex("{}"), empty_hash);
  const std::string with_port =
      "https://mycompany.com:443/myapp.php?foo=1&bar=2&bodySHA256=" + empty_hash;
  EXPECT_EQ(ComputeSignature(kToken, with_port, Form()), "Ldidvp12m26NI7eqEvxnEpkd9Hc=");
  EXPECT_TRUE(VerifyJsonSignature(kToken, with_port, "{}", "Ldidvp12m26NI7eqEvxnEpkd9Hc="));
  EXPECT_TRUE(VerifyJsonSignature(kToken, std::string(kUrl) + "&bodySHA256=" + empty_hash, "{}",
                                  "Ldidvp12m26NI7eqEvxnEpkd9Hc="));
}

TEST(JsonSignatureTest, NeedsBodyHashParameter) {
  const std::string sig = ComputeSignature(kToken, kUrl, Form());
  EXPECT_FALSE(VerifyJsonSignature(kToken, kUrl, "{}", sig));
  EXPECT_EQ(QueryParameter("https://h/p?a=1&bodySHA256=ab#x", "bodySHA256"), "ab");
  EXPECT_EQ(QueryParameter("https://h/p?a=%zz&bodySHA256=ab", "bodySHA256"), "");
  EXPECT_EQ(QueryParameter("https://h/p#?bodySHA256=ab", "bodySHA256"), "");
}

}  // namespace
}  // namespace parley::twilio
