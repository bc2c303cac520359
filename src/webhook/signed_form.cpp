#include "webhook/signed_form.hpp"

#include <cctype>

#include "twilio/signature.hpp"

namespace parley::webhook {
namespace {

bool IsFormContentType(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') {
    type.remove_suffix(1);
  }
  if (type.size() != 33) {
    return false;
  }
  constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  for (size_t i = 0; i < kForm.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(type[i])) != kForm[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::variant<twilio::Form, Refusal> DecodeSignedForm(const http::Request& request,
                                                     const SignatureOptions& options) {
  if (!IsFormContentType(request.Header("Content-Type"))) {
    return Refusal{Refusal::Kind::kMalformed, 415,
                   "Unsupported Media Type: expected application/x-www-form-urlencoded",
                   "content type is not a form"};
  }
  auto form = twilio::DecodeForm(request.body);
  if (!form.ok()) {
    return Refusal{Refusal::Kind::kMalformed, 400, "Bad Request: malformed form encoding",
                   form.status().message()};
  }
  if (options.validate_signature) {
    const std::string_view signature = request.Header("X-Twilio-Signature");
    if (signature.empty() ||
        !twilio::VerifySignature(options.auth_token, options.public_url + request.target, *form,
                                 signature)) {
      return Refusal{Refusal::Kind::kSignature, 403, "Forbidden: invalid X-Twilio-Signature",
                     signature.empty() ? "no X-Twilio-Signature header"
                                       : "X-Twilio-Signature does not match (check "
                                         "TWILIO_AUTH_TOKEN and PUBLIC_URL)"};
    }
  }
  return std::move(*form);
}

}  // namespace parley::webhook
