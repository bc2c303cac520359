// Interpreting replies: normalization, yes/no synonyms and numbers. Most SMS replies are ASCII,
// so ASCII input takes fast paths that never call ICU and allocate nothing but the result;
// anything else goes through ICU's NFKC case folding.
#include "flow/text.hpp"

#include "flow/detail/utf8.hpp"

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <span>

namespace parley::flow {

namespace {

using detail::IsDigit;

// ---------------------------------------------------------------------------------------------
// Character classes.
//
// What NormalizeReply trims from the ends of a reply, and what yes/no matching also ignores
// inside it:
//   - white space (White_Space) and control characters (Cc);
//   - all punctuation (P*: "¡!¿?.,;:'\"()«»-_…" and the rest);
//   - math, currency and modifier symbols (Sm, Sc, Sk): in ASCII that is $ + < = > ^ ` | ~,
//     so every printable ASCII character that is not a letter or digit goes. Sk also covers
//     the stray acute accent of Spanish keyboards ("si´") and the emoji skin-tone modifiers,
//     so "👍🏽" ends up as "👍".
// "Other symbols" (So) are kept: that is where emoji and check marks live, and "👍", "✅" or
// "❌" is a whole answer, not decoration. (The few emoji outside So — "‼", "⁉", "〰", "↔" —
// are punctuation-like and may go.)
// ---------------------------------------------------------------------------------------------

constexpr uint32_t kTrimmedCategories =
    U_GC_P_MASK | U_GC_SM_MASK | U_GC_SC_MASK | U_GC_SK_MASK | U_GC_CC_MASK;

bool IsTrimmable(UChar32 c) {
  return (U_GET_GC_MASK(c) & kTrimmedCategories) != 0 || u_isUWhiteSpace(c);
}

// The same classes for ASCII, as a table, so that the fast path never calls ICU. A test checks
// that both paths agree on every ASCII character.
enum AsciiClass : uint8_t { kAsciiTrim = 1, kAsciiSpace = 2 };

constexpr std::array<uint8_t, 128> kAsciiClasses = [] {
  std::array<uint8_t, 128> t{};
  for (int c = 0; c < 128; ++c) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    t[c] = alnum ? 0 : kAsciiTrim;  // controls, space, punctuation, symbols
  }
  for (const char c : {' ', '\t', '\n', '\v', '\f', '\r'}) {
    t[static_cast<unsigned char>(c)] |= kAsciiSpace;
  }
  return t;
}();

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

uint8_t ClassOf(char c) { return kAsciiClasses[static_cast<unsigned char>(c)]; }

// Replies longer than this are cut here before normalizing. Nothing real comes near it (an SMS
// is at most 1,600 characters, a WhatsApp message 4,096); the cap keeps every length, even
// after compatibility folding expands the text (at most about 11 times), within ICU's int32_t.
constexpr size_t kMaxNormalizedInput = size_t{16} << 20;

// ---------------------------------------------------------------------------------------------
// NormalizeReply.
// ---------------------------------------------------------------------------------------------

std::string NormalizeAscii(std::string_view s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && (ClassOf(s[begin]) & kAsciiTrim) != 0) {
    ++begin;
  }
  while (end > begin && (ClassOf(s[end - 1]) & kAsciiTrim) != 0) {
    --end;
  }
  std::string out;
  out.reserve(end - begin);
  bool in_space = false;
  for (size_t i = begin; i < end; ++i) {
    const char c = s[i];
    if ((ClassOf(c) & kAsciiSpace) != 0) {
      // Runs of inner white space become one space ("not   now" == "not now").
      if (!in_space) {
        out += ' ';
      }
      in_space = true;
      continue;
    }
    in_space = false;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

// Narrows [begin, end) of valid UTF-8 `p` to exclude trimmable characters at both ends.
void TrimBounds(const uint8_t* p, int32_t& begin, int32_t& end) {
  while (begin < end) {
    int32_t next = begin;
    UChar32 c = 0;
    U8_NEXT(p, next, end, c);
    if (!IsTrimmable(c)) {
      break;
    }
    begin = next;
  }
  while (end > begin) {
    int32_t prev = end;
    UChar32 c = 0;
    U8_PREV(p, begin, prev, c);
    if (!IsTrimmable(c)) {
      break;
    }
    end = prev;
  }
}

// Trims trimmable characters from both ends of valid UTF-8 `s` and collapses runs of inner
// white space to one ASCII space, in place.
void TrimAndCollapse(std::string& s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  int32_t begin = 0;
  int32_t end = static_cast<int32_t>(s.size());
  TrimBounds(p, begin, end);
  size_t out = 0;
  bool in_space = false;
  for (int32_t i = begin; i < end;) {
    const int32_t start = i;
    UChar32 c = 0;
    U8_NEXT(p, i, end, c);
    if (u_isUWhiteSpace(c)) {
      if (!in_space) {
        s[out++] = ' ';
      }
      in_space = true;
      continue;
    }
    in_space = false;
    // out <= start, so the copy moves bytes backwards within the string (memmove semantics).
    std::copy(s.begin() + start, s.begin() + i, s.begin() + static_cast<std::ptrdiff_t>(out));
    out += static_cast<size_t>(i - start);
  }
  s.resize(out);
}

std::string NormalizeUnicode(std::string_view text) {
  // ICU's UTF-8 normalizer does not promise what it does with ill-formed input, so repair it
  // first (rare: carriers deliver valid UTF-8) and hand ICU only well-formed text.
  std::string repaired;
  if (!IsValidUtf8(text)) {
    repaired = ToValidUtf8(text);
    text = repaired;
  }
  // Trim before folding as well as after: compatibility folding turns a trailing spacing
  // accent into a space and a combining mark ("si´" -> "si \u0301"), which no longer looks
  // like decoration.
  int32_t begin = 0;
  int32_t end = static_cast<int32_t>(text.size());
  TrimBounds(reinterpret_cast<const uint8_t*>(text.data()), begin, end);
  text = text.substr(static_cast<size_t>(begin), static_cast<size_t>(end - begin));
  std::string folded;
  folded.reserve(text.size());
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* fold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_SUCCESS(status)) {
    icu::StringByteSink<std::string> sink(&folded);
    fold->normalizeUTF8(0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())), sink,
                        nullptr, status);
  }
  if (U_FAILURE(status)) {
    // Only possible without ICU data; trimming still works on the unfolded text.
    folded.assign(text);
  }
  TrimAndCollapse(folded);
  return folded;
}

// ---------------------------------------------------------------------------------------------
// Yes / no.
//
// The synonym tables hold normalized forms (NormalizeReply of themselves, which a test checks),
// sorted bytewise for binary search (checked at compile time). English and Spanish, the two
// languages of the flows this replaces, plus answer emoji. Kept short on purpose: a word that
// is sometimes a yes and sometimes not ("fine", "maybe", "perhaps") belongs in a flow's own
// {"reply": [...]} condition, not here.
//
// Yes: absolutely, affirmative, all right, alright, certainly, correct, definitely, k, of
//   course, ok, okay, okey, sure, y, ya, yea, yeah, yeh, yep, yes, yes please, yup; bueno, claro,
//   claro que si/sí, correcto, dale, de acuerdo, esta/está bien, exacto, listo, por supuesto,
//   si/sí, si/sí claro, si/sí por favor, sip, vale; ☑ ✅ ✓ ✔ 👌 👍 🆗.
// No: n, nah, negative, never, no, no thank you, no thanks, no way, nope, not now, not
//   really; ahora no, aun/aún no, de ninguna manera, en absoluto, mejor no, nel, no gracias,
//   no por ahora, no quiero, nop, nunca, para nada, todavia/todavía no; ✖ ✗ ❌ ❎ 👎 🚫.
//
// Besides the exact normalized reply, matching tries two spellings of it with inner
// punctuation ignored — replaced by a space ("no, thanks" -> "no thanks") and removed
// ("o.k" -> "ok") — and, for each, the word with its last character's repeats collapsed
// ("yesss" -> "yes", "siii" -> "si", "nooo" -> "no", "👍👍" -> "👍"). "yes no" and "maybe"
// match neither set.
// ---------------------------------------------------------------------------------------------

constexpr auto kYes = std::to_array<std::string_view>({
    "absolutely",
    "affirmative",
    "all right",
    "alright",
    "bueno",
    "certainly",
    "claro",
    "claro que si",
    "claro que s\u00ED",  // claro que sí
    "correct",
    "correcto",
    "dale",
    "de acuerdo",
    "definitely",
    "esta bien",
    "est\u00E1 bien",  // está bien
    "exacto",
    "k",
    "listo",
    "of course",
    "ok",
    "okay",
    "okey",
    "por supuesto",
    "si",
    "si claro",
    "si por favor",
    "sip",
    "sure",
    "s\u00ED",            // sí
    "s\u00ED claro",      // sí claro
    "s\u00ED por favor",  // sí por favor
    "vale",
    "y",
    "ya",
    "yea",
    "yeah",
    "yeh",
    "yep",
    "yes",
    "yes please",
    "yup",
    "\u2611",      // ☑ ballot box with check
    "\u2705",      // ✅ white heavy check mark
    "\u2713",      // ✓ check mark
    "\u2714",      // ✔ heavy check mark
    "\U0001F197",  // 🆗 squared OK
    "\U0001F44C",  // 👌 OK hand
    "\U0001F44D",  // 👍 thumbs up
});

constexpr auto kNo = std::to_array<std::string_view>({
    "ahora no",
    "aun no",
    "a\u00FAn no",  // aún no
    "de ninguna manera",
    "en absoluto",
    "mejor no",
    "n",
    "nah",
    "negative",
    "nel",
    "never",
    "no",
    "no gracias",
    "no por ahora",
    "no quiero",
    "no thank you",
    "no thanks",
    "no way",
    "nop",
    "nope",
    "not now",
    "not really",
    "nunca",
    "para nada",
    "todavia no",
    "todav\u00EDa no",  // todavía no
    "\u2716",           // ✖ heavy multiplication x
    "\u2717",           // ✗ ballot x
    "\u274C",           // ❌ cross mark
    "\u274E",           // ❎ negative squared cross mark
    "\U0001F44E",       // 👎 thumbs down
    "\U0001F6AB",       // 🚫 no entry sign
});

// std::string_view compares as unsigned bytes, so this is the UTF-8 byte order.
static_assert(std::is_sorted(kYes.begin(), kYes.end()), "kYes must stay sorted");
static_assert(std::is_sorted(kNo.begin(), kNo.end()), "kNo must stay sorted");

using Table = std::span<const std::string_view>;

bool InTable(std::string_view key, Table table) {
  return std::binary_search(table.begin(), table.end(), key);
}

// `key` with the repeats of its last code point collapsed to one ("yesss" -> "yes"); `key`
// itself when the last code point is not repeated.
std::string_view WithoutTrailingRepeats(std::string_view key, std::string& scratch) {
  const auto* p = reinterpret_cast<const uint8_t*>(key.data());
  int32_t end = static_cast<int32_t>(key.size());
  if (end == 0) {
    return key;
  }
  int32_t last = end;
  UChar32 c = 0;
  U8_PREV(p, 0, last, c);
  const std::string_view unit = key.substr(static_cast<size_t>(last));
  int32_t run_start = last;
  while (run_start >= static_cast<int32_t>(unit.size()) &&
         key.substr(static_cast<size_t>(run_start) - unit.size(), unit.size()) == unit) {
    run_start -= static_cast<int32_t>(unit.size());
  }
  if (run_start == last) {
    return key;
  }
  scratch.assign(key.substr(0, static_cast<size_t>(run_start)));
  scratch += unit;
  return scratch;
}

bool MatchesKey(std::string_view key, Table table) {
  if (InTable(key, table)) {
    return true;
  }
  std::string scratch;
  const std::string_view collapsed = WithoutTrailingRepeats(key, scratch);
  return collapsed.size() != key.size() && InTable(collapsed, table);
}

// Inner punctuation of the normalized reply replaced by `separator` (a space, or nothing),
// white space collapsed and trimmed again. Returns false when there was nothing to replace.
bool IgnoringInnerPunctuation(std::string_view normalized, std::string_view separator,
                              std::string& out) {
  out.clear();
  bool changed = false;
  const auto* p = reinterpret_cast<const uint8_t*>(normalized.data());
  const auto n = static_cast<int32_t>(normalized.size());
  for (int32_t i = 0; i < n;) {
    const int32_t start = i;
    UChar32 c = 0;
    U8_NEXT(p, i, n, c);
    if (IsTrimmable(c)) {  // the only white space left after NormalizeReply is ' '
      changed = changed || c != ' ';
      const std::string_view sep = c == ' ' ? std::string_view(" ") : separator;
      if (!sep.empty() && !out.empty() && out.back() != ' ') {
        out += sep;
      }
      continue;
    }
    out.append(normalized.data() + start, static_cast<size_t>(i - start));
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return changed;
}

bool MatchesSynonym(std::string_view text, Table table) {
  const std::string normalized = NormalizeReply(text);
  if (MatchesKey(normalized, table)) {
    return true;
  }
  std::string key;
  for (const std::string_view separator : {" ", ""}) {
    if (!IgnoringInnerPunctuation(normalized, separator, key)) {
      return false;  // no inner punctuation: the other spelling is the same too
    }
    if (MatchesKey(key, table)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string NormalizeReply(std::string_view text) {
  text = text.substr(0, kMaxNormalizedInput);
  return IsAscii(text) ? NormalizeAscii(text) : NormalizeUnicode(text);
}

bool IsYes(std::string_view text) { return MatchesSynonym(text, kYes); }
bool IsNo(std::string_view text) { return MatchesSynonym(text, kNo); }

std::optional<double> ParseNumber(std::string_view text) {
  // Only ASCII digits count; a sign or point directly before the first digit belongs to it
  // ("-3", ".5", "-.5"), unless it follows a digit ("120-130" is 120, not 120 and -130).
  const auto first_digit = std::find_if(text.begin(), text.end(), IsDigit);
  if (first_digit == text.end()) {
    return std::nullopt;
  }
  const size_t start = static_cast<size_t>(first_digit - text.begin());
  const auto before = [&](size_t k) { return start >= k ? text[start - k] : '\0'; };
  std::string number;  // normalized for from_chars; short numbers fit in the inline buffer
  bool negative = false;
  if (before(1) == '.' && !IsDigit(before(2))) {
    number = "0.";
    negative = before(2) == '-' && !IsDigit(before(3));
  } else {
    negative = before(1) == '-' && !IsDigit(before(2));
  }
  const bool has_point = !number.empty();
  size_t i = start;
  while (i < text.size() && IsDigit(text[i])) {
    number += text[i++];
  }
  if (!has_point) {
    // Thousands groups: a comma, exactly three digits, then no further digit ("1,000",
    // "1,000,000", "1,000.5").
    while (i + 3 < text.size() && text[i] == ',' && IsDigit(text[i + 1]) && IsDigit(text[i + 2]) &&
           IsDigit(text[i + 3]) && (i + 4 == text.size() || !IsDigit(text[i + 4]))) {
      number.append(text.substr(i + 1, 3));
      i += 4;
    }
    // A decimal point or comma followed by a digit ("5.5", "5,5", "1,0000").
    if (i + 1 < text.size() && (text[i] == '.' || text[i] == ',') && IsDigit(text[i + 1])) {
      number += '.';
      ++i;
      while (i < text.size() && IsDigit(text[i])) {
        number += text[i++];
      }
    }
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec == std::errc::result_out_of_range && number.find_first_not_of("0.") != std::string::npos &&
      number.find_first_not_of('0') == number.find('.')) {
    value = 0;  // "0.000…0001": too small for a double, but a number
  } else if (ec != std::errc() || !std::isfinite(value)) {
    return std::nullopt;  // more integer digits than a double holds
  }
  return negative ? -value : value;
}

}  // namespace parley::flow
