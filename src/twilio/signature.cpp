#include "twilio/signature.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>

namespace parley::twilio {
namespace {

constexpr size_t kSha1Size = 20;
constexpr size_t kBase64Sha1Size = 28;  // 4 * ceil(20 / 3)

// The HMAC implementation, fetched once per process (fetching is a provider lookup).
// OpenSSL objects fetched this way are immutable and safe to share between threads.
EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter>;

// HMAC-SHA1 keyed with the auth token, reusable across messages.
class HmacSha1 {
 public:
  explicit HmacSha1(std::string_view key) : key_(key) {
    if (EVP_MAC* mac = HmacAlgorithm()) {
      ctx_.reset(EVP_MAC_CTX_new(mac));
    }
  }

  // base64(HMAC(key, a + b)); empty if OpenSSL fails (which then never verifies).
  std::string Base64Mac(std::string_view a, std::string_view b) {
    if (!ctx_) {
      return {};
    }
    char digest_name[] = "SHA1";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end()};
    std::array<unsigned char, kSha1Size> mac{};
    size_t mac_size = 0;
    // HMAC accepts an empty key; OpenSSL wants a non-null pointer for it.
    static const unsigned char kEmpty = 0;
    const auto* key = key_.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key_.data());
    if (EVP_MAC_init(ctx_.get(), key, key_.size(), params) != 1 ||
        EVP_MAC_update(ctx_.get(), reinterpret_cast<const unsigned char*>(a.data()), a.size()) !=
            1 ||
        EVP_MAC_update(ctx_.get(), reinterpret_cast<const unsigned char*>(b.data()), b.size()) !=
            1 ||
        EVP_MAC_final(ctx_.get(), mac.data(), &mac_size, mac.size()) != 1 ||
        mac_size != kSha1Size) {
      return {};
    }
    std::string out(kBase64Sha1Size + 1, '\0');  // EVP_EncodeBlock writes a NUL
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), mac.data(),
                                  static_cast<int>(mac_size));
    out.resize(static_cast<size_t>(n));
    return out;
  }

 private:
  std::string_view key_;
  MacCtx ctx_;
};

// name + value of every distinct (name, value) pair, sorted by name then value, bytewise.
// Sorting the pairs and dropping adjacent duplicates equals the libraries' "sorted(set(names)),
// then sorted(set(values)) per name".
std::string SortedParams(const Form& params) {
  const size_t n = params.size();
  std::vector<Form::Field> fields;
  fields.reserve(n);
  size_t total = 0;
  for (const auto& field : params) {
    fields.push_back(field);
    total += field.first.size() + field.second.size();
  }
  std::sort(fields.begin(), fields.end());  // std::string_view compares bytewise (char_traits)
  std::string out;
  out.reserve(total);
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0 && fields[i] == fields[i - 1]) {
      continue;
    }
    out.append(fields[i].first);
    out.append(fields[i].second);
  }
  return out;
}

// std::string_view's operator< uses char_traits<char>::compare, which is memcmp-like
// (unsigned bytes) for char: "Unix-style case-sensitive sorting", 'Z' before 'a'.
static_assert(std::string_view("Z") < std::string_view("a"));

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') {
      x = static_cast<char>(x - 'A' + 'a');
    }
    if (y >= 'A' && y <= 'Z') {
      y = static_cast<char>(y - 'A' + 'a');
    }
    if (x != y) {
      return false;
    }
  }
  return true;
}

bool ConstantTimeEquals(std::string_view expected, std::string_view given) {
  if (expected.empty() || expected.size() != given.size()) {
    return false;
  }
  return CRYPTO_memcmp(expected.data(), given.data(), expected.size()) == 0;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

bool MatchesAnyVariant(std::string_view auth_token, std::string_view url,
                       std::string_view sorted_params, std::string_view header_value) {
  header_value = TrimOws(header_value);
  if (auth_token.empty() || header_value.size() != kBase64Sha1Size) {
    return false;
  }
  HmacSha1 hmac(auth_token);
  bool matched = false;
  // Every variant is computed and compared, so timing does not reveal which one matched.
  for (const std::string& variant : SignatureUrlVariants(url)) {
    matched |= ConstantTimeEquals(hmac.Base64Mac(variant, sorted_params), header_value);
  }
  return matched;
}

}  // namespace

std::string ComputeSignature(std::string_view auth_token, std::string_view url,
                             const Form& params) {
  HmacSha1 hmac(auth_token);
  return hmac.Base64Mac(url, SortedParams(params));
}

std::vector<std::string> SignatureUrlVariants(std::string_view url) {
  std::vector<std::string> variants;
  if (const size_t hash = url.find('#'); hash != std::string_view::npos) {
    url = url.substr(0, hash);
  }
  variants.emplace_back(url);

  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return variants;
  }
  const std::string_view scheme = url.substr(0, scheme_end);
  std::string_view default_port;
  if (EqualsIgnoreCase(scheme, "https")) {
    default_port = "443";
  } else if (EqualsIgnoreCase(scheme, "http")) {
    default_port = "80";
  } else {
    return variants;
  }
  const size_t authority_begin = scheme_end + 3;
  size_t authority_end = url.find_first_of("/?", authority_begin);
  if (authority_end == std::string_view::npos) {
    authority_end = url.size();
  }
  const std::string_view authority = url.substr(authority_begin, authority_end - authority_begin);
  const size_t at = authority.rfind('@');
  const size_t host_begin = at == std::string_view::npos ? 0 : at + 1;
  const std::string_view host_port = authority.substr(host_begin);
  if (host_port.empty()) {
    return variants;
  }
  // The port colon: after an IPv6 literal's ']', else the last ':' in host:port.
  size_t colon = std::string_view::npos;
  if (host_port.front() == '[') {
    const size_t close = host_port.find(']');
    if (close == std::string_view::npos) {
      return variants;
    }
    if (close + 1 < host_port.size() && host_port[close + 1] == ':') {
      colon = close + 1;
    }
  } else {
    colon = host_port.rfind(':');
  }

  const size_t host_port_begin = authority_begin + host_begin;
  if (colon == std::string_view::npos) {
    std::string with_port(url.substr(0, authority_end));
    with_port += ':';
    with_port += default_port;
    with_port += url.substr(authority_end);
    variants.push_back(std::move(with_port));
  } else if (host_port.substr(colon + 1) == default_port) {
    std::string without_port(url.substr(0, host_port_begin + colon));
    without_port += url.substr(authority_end);
    variants.push_back(std::move(without_port));
  }
  return variants;
}

bool VerifySignature(std::string_view auth_token, std::string_view url, const Form& params,
                     std::string_view header_value) {
  return MatchesAnyVariant(auth_token, url, SortedParams(params), header_value);
}

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, 32> digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

std::string QueryParameter(std::string_view url, std::string_view name) {
  if (const size_t hash = url.find('#'); hash != std::string_view::npos) {
    url = url.substr(0, hash);
  }
  const size_t question = url.find('?');
  if (question == std::string_view::npos) {
    return {};
  }
  Result<Form> query = DecodeForm(url.substr(question + 1));
  if (!query.ok()) {
    return {};
  }
  return std::string(query->Get(name));
}

bool VerifyJsonSignature(std::string_view auth_token, std::string_view url,
                         std::string_view raw_body, std::string_view header_value) {
  const std::string claimed = QueryParameter(url, "bodySHA256");
  if (claimed.empty()) {
    return false;
  }
  const bool body_ok = ConstantTimeEquals(Sha256Hex(raw_body), claimed);
  const bool signature_ok = MatchesAnyVariant(auth_token, url, {}, header_value);
  return body_ok && signature_ok;
}

}  // namespace parley::twilio
