// Fuzzes what an untrusted webhook reaches before the database: the form decoder, the
// signature check over the decoded form, the From address parser, the compliance keyword
// classifier and (for the Twilio driver and tests) the TwiML parser. None may crash, hang or
// leak; a form that decodes must survive a round trip through EncodeForm.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/utf8.hpp"
#include "conversation/address.hpp"
#include "conversation/compliance.hpp"
#include "test/support/twiml_parser.hpp"
#include "twilio/form.hpp"
#include "twilio/signature.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto form = parley::twilio::DecodeForm(input);
  if (form.ok()) {
    const std::string signature = parley::twilio::ComputeSignature(
        "token", "https://parley.example.com/twilio/messages", *form);
    if (!parley::twilio::VerifySignature("token", "https://parley.example.com/twilio/messages",
                                         *form, signature)) {
      __builtin_trap();  // a signature we computed must verify
    }
    auto again = parley::twilio::DecodeForm(parley::twilio::EncodeForm(*form));
    if (!again.ok() || again->size() != form->size()) {
      __builtin_trap();
    }
    for (size_t i = 0; i < form->size(); ++i) {
      if (again->at(i) != form->at(i)) {
        __builtin_trap();
      }
    }
    const std::string from = parley::ToValidUtf8(form->Get("From"));
    (void)parley::conversation::ParseAddress(from, "US");
    (void)parley::conversation::MaskPhone(from);
    (void)parley::conversation::ClassifyCompliance(parley::ToValidUtf8(form->Get("Body")),
                                                   form->Get("OptOutType"));
  }
  (void)parley::testing::ParseTwiml(input);
  (void)parley::twilio::SignatureUrlVariants(input);
  return 0;
}
