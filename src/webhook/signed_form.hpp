// The checks every Twilio webhook (incoming messages, status callbacks) starts with, in one
// place so both routes refuse alike: the body is application/x-www-form-urlencoded, it
// decodes, and its X-Twilio-Signature matches PUBLIC_URL + the raw request target (the
// signature is checked before anything of the request is used).
#pragma once

#include <string>
#include <variant>

#include "http/server.hpp"
#include "twilio/form.hpp"

namespace parley::webhook {

struct SignatureOptions {
  std::string auth_token;
  std::string public_url;  // what Twilio signs: scheme://host[:port], no trailing slash
  bool validate_signature = true;
};

// Why a request was refused, before its parameters were looked at.
struct Refusal {
  enum class Kind { kMalformed, kSignature };
  Kind kind = Kind::kMalformed;
  int status = 400;    // 415 not a form, 400 malformed encoding, 403 signature
  std::string answer;  // the response body's text
  std::string detail;  // for the server log; never a value of the request
};

// The decoded form of a correctly signed request, or why it was refused.
std::variant<twilio::Form, Refusal> DecodeSignedForm(const http::Request& request,
                                                     const SignatureOptions& options);

}  // namespace parley::webhook
