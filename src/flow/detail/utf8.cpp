#include "flow/detail/utf8.hpp"

#include <unicode/utf8.h>

#include <cstdint>

namespace parley::flow::detail {

// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or truncated sequences).
bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const auto n = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < n;) {
    UChar32 c = 0;
    U8_NEXT(s, i, n, c);
    if (c < 0) {
      return false;
    }
  }
  return true;
}

// Copy of `text` with every ill-formed sequence replaced by U+FFFD (one per maximal ill-formed
// subpart, as ICU and the WHATWG decoder do).
std::string RepairUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const auto n = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < n;) {
    const int32_t start = i;
    UChar32 c = 0;
    U8_NEXT(s, i, n, c);
    if (c < 0) {
      out += kReplacementChar;
    } else {
      out.append(text.data() + start, static_cast<size_t>(i - start));
    }
  }
  return out;
}

// The input echoed in an error message: capped (a runaway value should not flood the log) and
// valid UTF-8 (messages end up in JSON output).
std::string Quote(std::string_view text) {
  constexpr size_t kMaxQuoted = 40;
  std::string_view head = text.substr(0, kMaxQuoted);
  if (head.size() < text.size()) {
    while (!head.empty() && (static_cast<unsigned char>(text[head.size()]) & 0xC0) == 0x80) {
      head.remove_suffix(1);  // do not split a UTF-8 sequence
    }
  }
  std::string out = "'";
  out += IsValidUtf8(head) ? std::string(head) : RepairUtf8(head);  // head: <= 40 bytes
  out += head.size() < text.size() ? "...'" : "'";
  return out;
}

// The code point starting at text[i], as UTF-8 (for naming a bad character in a message).
std::string CharAt(std::string_view text, size_t i) {
  const std::string_view rest = text.substr(i, 4);
  const auto* p = reinterpret_cast<const uint8_t*>(rest.data());
  int32_t len = 0;
  UChar32 c = 0;
  U8_NEXT(p, len, static_cast<int32_t>(rest.size()), c);
  return c < 0 ? std::string(kReplacementChar) : std::string(rest.substr(0, len));
}

}  // namespace parley::flow::detail
