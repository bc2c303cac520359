#include "twilio/body_split.hpp"

#include <cassert>

#include "common/utf8.hpp"

namespace parley::twilio {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Bytes of the code point (or ill-formed byte) at s[i].
size_t StepAt(std::string_view s, size_t i) {
  size_t subpart = 0;
  const size_t n = Utf8SequenceAt(s, i, &subpart);
  return n == 0 ? 1 : n;
}

// The byte offset just after `chars` code points from `from`, or s.size() if fewer remain.
size_t AdvanceChars(std::string_view s, size_t from, size_t chars) {
  size_t i = from;
  for (size_t n = 0; n < chars && i < s.size(); ++n) {
    i += StepAt(s, i);
  }
  return i;
}

}  // namespace

size_t CountChars(std::string_view text) {
  size_t n = 0;
  for (size_t i = 0; i < text.size(); i += StepAt(text, i)) {
    ++n;
  }
  return n;
}

std::vector<std::string> SplitBody(std::string_view text, size_t max_chars) {
  assert(max_chars > 0);
  std::vector<std::string> parts;
  size_t pos = 0;
  while (true) {
    const size_t limit = AdvanceChars(text, pos, max_chars);
    if (limit >= text.size()) {
      if (pos < text.size() || parts.empty()) {
        parts.emplace_back(text.substr(pos));
      }
      return parts;
    }
    // The last whitespace run that starts after a word and within reach: a cut at
    // text[limit] itself still leaves max_chars code points before it. Whitespace is ASCII,
    // and ASCII bytes never occur inside a multi-byte UTF-8 sequence.
    size_t cut = limit;
    for (size_t w = limit; w > pos; --w) {
      if (IsSpace(text[w]) && !IsSpace(text[w - 1])) {
        cut = w;
        break;
      }
    }
    parts.emplace_back(text.substr(pos, cut - pos));
    pos = cut;
    while (pos < text.size() && IsSpace(text[pos])) {
      ++pos;
    }
  }
}

}  // namespace parley::twilio
