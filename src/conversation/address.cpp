#include "conversation/address.hpp"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <set>
#include <unordered_map>

namespace parley::conversation {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

constexpr std::string_view kWhatsAppPrefix = "whatsapp:";
constexpr size_t kMaxAddressBytes = 64;
constexpr size_t kMaxShortCodeDigits = 8;
constexpr size_t kMinMaskedLength = 7;
constexpr size_t kMaskedTail = 2;
constexpr std::string_view kShortCodeMessage =
    "looks like a short code (3-8 digits without '+'), not a personal phone number";

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) {
    return false;
  }
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (LowerAscii(s[i]) != prefix[i]) {
      return false;
    }
  }
  return true;
}

std::string_view TrimAsciiSpace(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && space(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

const char* ReasonText(PhoneNumberUtil::ValidationResult reason) {
  switch (reason) {
    case PhoneNumberUtil::IS_POSSIBLE:
      return "possible";
    case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
      return "a local number without its area code";
    case PhoneNumberUtil::INVALID_COUNTRY_CODE:
      return "unknown country code";
    case PhoneNumberUtil::TOO_SHORT:
      return "too short for its country";
    case PhoneNumberUtil::INVALID_LENGTH:
      return "wrong length for its country";
    case PhoneNumberUtil::TOO_LONG:
      return "too long for its country";
  }
  return "not a possible number";
}

const char* ParseErrorText(PhoneNumberUtil::ErrorType error) {
  switch (error) {
    case PhoneNumberUtil::NO_PARSING_ERROR:
      return "no error";
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return "unknown country code (or a national number with no usable default region)";
    case PhoneNumberUtil::NOT_A_NUMBER:
      return "not a phone number";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN:
      return "too short";
    case PhoneNumberUtil::TOO_LONG_NSN:
      return "too long";
  }
  return "not a phone number";
}

Status Invalid(std::string_view raw, std::string_view why) {
  std::string message = "bad address '";
  message += MaskPhone(raw);
  message += "': ";
  message += why;
  return Status::InvalidArgument(std::move(message));
}

}  // namespace

namespace {

// libphonenumber's parse costs ~9 µs (its ICU regexes), and a contact's From repeats on every
// message: each thread remembers what it parsed. Successes only (failures are rare and cheap
// to repeat); bounded, emptied whole when full.
constexpr size_t kCachedAddresses = 4096;

struct AddressCache {
  std::unordered_map<std::string, Address> entries;
  std::string key;  // reused: region + '\n' + raw
};

}  // namespace

Result<Address> ParseAddress(std::string_view raw, std::string_view default_region) {
  thread_local AddressCache cache;
  cache.key.assign(default_region);
  cache.key += '\n';
  cache.key.append(raw);
  if (auto it = cache.entries.find(cache.key); it != cache.entries.end()) {
    return it->second;
  }
  auto parsed = ParseAddressUncached(raw, default_region);
  if (parsed.ok()) {
    if (cache.entries.size() >= kCachedAddresses) {
      cache.entries.clear();
    }
    cache.entries.emplace(cache.key, *parsed);
  }
  return parsed;
}

Result<Address> ParseAddressUncached(std::string_view raw, std::string_view default_region) {
  std::string_view text = TrimAsciiSpace(raw);
  if (text.empty()) {
    return Invalid(raw, "empty");
  }
  if (text.size() > kMaxAddressBytes) {
    return Invalid(raw, "longer than 64 bytes");
  }
  Address address;
  address.channel = "sms";
  if (StartsWithIgnoreCase(text, kWhatsAppPrefix)) {
    address.channel = "whatsapp";
    text = TrimAsciiSpace(text.substr(kWhatsAppPrefix.size()));
  } else if (const size_t colon = text.find(':'); colon != std::string_view::npos) {
    return Invalid(raw, "unsupported channel prefix (only 'whatsapp:' or none)");
  }
  if (text.empty()) {
    return Invalid(raw, "no number after the channel prefix");
  }

  size_t digits = 0;
  bool letters = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsDigit(c)) {
      ++digits;
    } else if (IsAsciiLetter(c)) {
      letters = true;
    } else if (c == '+' && i == 0) {
      continue;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return Invalid(raw, "unexpected character in a phone number");
    }
  }
  if (letters) {
    return Invalid(raw,
                   "alphanumeric sender ID, not a phone number (contacts need an E.164 number)");
  }
  if (digits == 0) {
    return Invalid(raw, "no digits");
  }
  const bool international = text.front() == '+';

  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  const PhoneNumberUtil::ErrorType error =
      util.Parse(std::string(text), std::string(default_region), &number);
  const bool short_code_shape = !international && digits >= 3 && digits <= kMaxShortCodeDigits;
  if (error != PhoneNumberUtil::NO_PARSING_ERROR) {
    if (short_code_shape) {
      return Invalid(raw, kShortCodeMessage);
    }
    return Invalid(raw, ParseErrorText(error));
  }
  const PhoneNumberUtil::ValidationResult reason = util.IsPossibleNumberWithReason(number);
  if (reason != PhoneNumberUtil::IS_POSSIBLE) {
    if (short_code_shape) {
      return Invalid(raw, kShortCodeMessage);
    }
    return Invalid(raw, ReasonText(reason));
  }
  util.Format(number, PhoneNumberUtil::E164, &address.phone);
  address.key =
      address.channel == "whatsapp" ? std::string(kWhatsAppPrefix) + address.phone : address.phone;
  return address;
}

bool IsSupportedRegion(std::string_view region) {
  static const auto* regions = [] {
    auto* out = new std::set<std::string, std::less<>>();
    std::set<std::string> supported;
    PhoneNumberUtil::GetInstance()->GetSupportedRegions(&supported);
    out->insert(supported.begin(), supported.end());
    return out;
  }();
  return regions->find(region) != regions->end();
}

std::string MaskPhone(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  if (StartsWithIgnoreCase(raw, kWhatsAppPrefix)) {
    out += kWhatsAppPrefix;
    raw.remove_prefix(kWhatsAppPrefix.size());
  }
  if (raw.size() < kMinMaskedLength) {
    out.append(raw.size(), '*');
    return out;
  }
  size_t head = 0;
  if (raw[0] == '+') {
    head = (raw[1] == '1' || raw[1] == '7') ? 2 : 3;
  }
  const size_t tail_begin = raw.size() - kMaskedTail;
  for (size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    const bool kept = i < head || i >= tail_begin;
    out += kept && (IsDigit(c) || c == '+') ? c : '*';
  }
  return out;
}

}  // namespace parley::conversation
