#include "flow/detail/utf8.hpp"

#include <cstdint>

namespace parley::flow::detail {

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
  out += ToValidUtf8(head);  // head: <= 40 bytes
  out += head.size() < text.size() ? "...'" : "'";
  return out;
}

// The code point starting at text[i], as UTF-8 (for naming a bad character in a message).
std::string CharAt(std::string_view text, size_t i) {
  size_t subpart = 0;
  const size_t n = Utf8SequenceAt(text, i, &subpart);
  return n == 0 ? std::string(kReplacementChar) : std::string(text.substr(i, n));
}

}  // namespace parley::flow::detail
