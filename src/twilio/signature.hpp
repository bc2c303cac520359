// X-Twilio-Signature: computing and verifying Twilio's webhook signature.
//
// Algorithm (Twilio's documented algorithm, identical in twilio-python and twilio-node):
//   S = the full URL Twilio requested (scheme, host, optional port, path, query as sent)
//   for each parameter name in byte order, without repeats:
//     for each distinct value of that name in byte order: S += name + value
//   signature = base64(HMAC-SHA1(key = auth token, message = S))
// Values are the decoded form bytes (`Form`), never re-encoded. For a GET webhook, or the
// JSON-body variant, no parameters are appended.
//
// The URL must be the one Twilio signed: behind a proxy or TLS terminator that is the
// configured public URL plus the raw request-target, not what the server saw on its socket.
//
// All functions are pure and thread-safe. Verification compares in constant time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "twilio/form.hpp"

namespace parley::twilio {

// base64(HMAC-SHA1(auth_token, url + sorted params)). `url` is used byte for byte (a
// fragment, if any, is NOT stripped here; see VerifySignature).
std::string ComputeSignature(std::string_view auth_token, std::string_view url, const Form& params);

// The URL forms Twilio may have signed for `url`, the given form first, without repeats:
// a "#fragment" (connection overrides such as "#rc=2") is dropped; then the URL as given,
// with the scheme's default port added (https :443, http :80) when it has none, and with it
// removed when it has exactly that port. "user:pass@" is kept. Custom ports are left alone.
// Anything that is not an http(s) URL yields just the fragment-less form.
std::vector<std::string> SignatureUrlVariants(std::string_view url);

// Whether `header_value` (the X-Twilio-Signature header) is Twilio's signature of this
// form-encoded request, for any of SignatureUrlVariants(url). False for an empty header or
// an empty token. Constant-time comparison (CRYPTO_memcmp on equal lengths).
bool VerifySignature(std::string_view auth_token, std::string_view url, const Form& params,
                     std::string_view header_value);

// The JSON-body variant (Content-Type: application/json): Twilio adds the query parameter
// bodySHA256 = lower-case hex SHA-256 of the raw body and signs the URL alone. True when the
// URL carries bodySHA256, it equals Sha256Hex(raw_body), and the header is the signature of
// one of the URL's variants with no parameters appended.
bool VerifyJsonSignature(std::string_view auth_token, std::string_view url,
                         std::string_view raw_body, std::string_view header_value);

// Lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);

// The value of query parameter `name` in `url` (after '?', before '#'), percent-decoded;
// empty when absent or undecodable.
std::string QueryParameter(std::string_view url, std::string_view name);

}  // namespace parley::twilio
