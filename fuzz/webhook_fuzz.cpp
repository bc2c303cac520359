// Fuzzes what an untrusted webhook reaches before the database: the form decoder, the
// signature check over the decoded form, the parameter checks (twilio/inbound_params.hpp),
// the From address parser, the compliance keyword classifier, the text normalization for the
// store and (for the Twilio driver and tests) the TwiML parser. None may crash, hang or leak;
// a form that decodes must survive a round trip through EncodeForm; a form the parameter
// checks accept has well-formed identifiers, and moving its MessageSid's end boundary (the
// replay of issue 8 item 1) keeps the signature but is refused.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.hpp"
#include "conversation/address.hpp"
#include "conversation/compliance.hpp"
#include "test/support/twiml_parser.hpp"
#include "twilio/form.hpp"
#include "twilio/inbound_params.hpp"
#include "twilio/signature.hpp"

namespace {

constexpr char kUrl[] = "https://parley.example.com/twilio/messages";

// The form with MessageSid's value extended by the next parameter in signing order (dropped).
std::optional<parley::twilio::Form> ShiftMessageSidEnd(const parley::twilio::Form& form) {
  std::vector<parley::twilio::Form::Field> sorted(form.begin(), form.end());
  std::sort(sorted.begin(), sorted.end());
  auto it = std::find_if(sorted.begin(), sorted.end(),
                         [](const auto& f) { return f.first == "MessageSid"; });
  if (it == sorted.end() || it + 1 == sorted.end()) {
    return std::nullopt;
  }
  const auto next = *(it + 1);
  const std::string sid =
      std::string(it->second) + std::string(next.first) + std::string(next.second);
  parley::twilio::Form out;
  for (const auto& [name, value] : form) {
    if (name == next.first && value == next.second) {
      continue;
    }
    out.Add(name, name == "MessageSid" ? std::string_view(sid) : value);
  }
  return out;
}

void CheckParams(const parley::twilio::Form& form) {
  using namespace parley::twilio;
  if (!CheckInboundParams(form, "").ok()) {
    return;
  }
  if (!IsMessageSid(form.Get("MessageSid")) || !IsAccountSid(form.Get("AccountSid")) ||
      !CheckInboundParams(form, form.Get("AccountSid")).ok()) {
    __builtin_trap();
  }
  if (auto shifted = ShiftMessageSidEnd(form)) {
    const std::string signature = ComputeSignature("token", kUrl, form);
    if (!VerifySignature("token", kUrl, *shifted, signature) ||
        CheckInboundParams(*shifted, "").ok()) {
      __builtin_trap();  // the replay must keep the signature, and must be refused
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto form = parley::twilio::DecodeForm(input);
  if (form.ok()) {
    const std::string signature = parley::twilio::ComputeSignature("token", kUrl, *form);
    if (!parley::twilio::VerifySignature("token", kUrl, *form, signature)) {
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
    CheckParams(*form);
    for (const auto& [name, value] : *form) {
      if (!parley::IsStorableText(parley::ToStorableText(value))) {
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
