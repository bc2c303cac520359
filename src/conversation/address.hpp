// Channel addresses: Twilio's From/To values ("+14155550100", "whatsapp:+14155550100")
// parsed into the contact key parley stores, and masked for logs.
//
// Thread-safe (libphonenumber's PhoneNumberUtil singleton is immutable after creation).
// Cost: one libphonenumber parse, about 9 µs (measured at -O2; 15-20 µs on a busy machine);
// ParseAddress remembers its last few thousand successes per thread, so a contact's repeated
// From costs a hash lookup.
#pragma once

#include <string>
#include <string_view>

#include "common/status.hpp"

namespace parley::conversation {

struct Address {
  std::string channel;  // "sms" or "whatsapp"
  std::string phone;    // E.164, "+15551234567"
  std::string key;      // the contact's unique address: phone for sms, "whatsapp:" + phone

  bool operator==(const Address&) const = default;
};

// Parses a Twilio channel address into E.164 with libphonenumber.
//
// - "whatsapp:" (any case) selects the WhatsApp channel; no prefix means SMS. Any other
//   "xxx:" prefix (messenger:, rcs:, ...) is InvalidArgument (unsupported channel).
// - Surrounding ASCII whitespace is ignored. Only digits, '+', spaces and the separators
//   "-.()" are accepted before libphonenumber sees the text (so no vanity letters, no
//   extensions, no non-ASCII bytes); at most 64 bytes.
// - Numbers without a leading '+' are read as national numbers of `default_region`
//   (ISO 3166 alpha-2; "US": "(555) 123-4567" -> "+15551234567"). Twilio itself always
//   sends E.164, so this only matters for numbers typed by people (CLI, admin).
// - A number is accepted when libphonenumber says it is *possible* (right length for its
//   country), not only when it is *valid* (an allocated range): the 555 numbers used in
//   tests and examples (+1555…) are possible but not valid, and new ranges appear faster
//   than the library's metadata is updated. A number that is merely possible is still
//   normalized to E.164.
// - Short codes ("12345", "787-473": 3 to 8 digits without '+') and alphanumeric sender
//   IDs ("TWILIO") are rejected with InvalidArgument saying which they are: they are not
//   addresses of a person, cannot be written in E.164, and cannot be replied to from a
//   long code; the inbound handler answers such messages with an empty TwiML and logs
//   them rather than creating a contact.
// Error messages mask the number (MaskPhone): they are meant for logs.
Result<Address> ParseAddress(std::string_view raw, std::string_view default_region = "US");
// The same without the per-thread cache (tests compare the two).
Result<Address> ParseAddressUncached(std::string_view raw, std::string_view default_region = "US");

// Whether libphonenumber has metadata for `region`, an upper-case ISO 3166 alpha-2 code ("US",
// "GB"; not "us", "XX" or the non-geographic "001"): only those can be a default region.
bool IsSupportedRegion(std::string_view region);

// A phone number or channel address for logs: the "whatsapp:" prefix (if any), the '+' and
// country-code-ish leading digits (one for +1 and +7, two otherwise), and the last two
// characters are kept; every other byte becomes '*', so the length is preserved:
// "+15551234567" -> "+1********67", "whatsapp:+51987654321" -> "whatsapp:+51*******21".
// Values shorter than 7 characters are masked completely ("12345" -> "*****"). Any byte
// that is not an ASCII digit or '+' in a kept position is masked too, so the result is
// always printable ASCII. Never fails.
std::string MaskPhone(std::string_view raw);

}  // namespace parley::conversation
