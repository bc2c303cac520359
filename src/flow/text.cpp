// Interpreting replies. ASCII input (most SMS) takes fast paths that avoid ICU; anything
// else goes through ICU's NFKC case folding. Time-zone arithmetic uses ICU's compiled-in
// tz database, so the flow library stays free of file I/O.
#include "flow/text.hpp"

#include <unicode/calendar.h>
#include <unicode/gregocal.h>
#include <unicode/normalizer2.h>
#include <unicode/timezone.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <memory>

#include "common/strings.hpp"

namespace parley::flow {

namespace {

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Trimmed at both ends: whitespace, punctuation (Unicode P*) and the ASCII symbols that
// people wrap words in. Emoji and other symbols stay: "👍" is an answer.
bool IsTrimmable(UChar32 c) {
  if (u_isUWhiteSpace(c) || u_ispunct(c)) {
    return true;
  }
  return c < 0x80 && (c == '$' || c == '+' || c == '<' || c == '=' || c == '>' || c == '^' ||
                      c == '`' || c == '|' || c == '~');
}

std::string NormalizeAscii(std::string_view s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && IsTrimmable(static_cast<unsigned char>(s[begin]))) ++begin;
  while (end > begin && IsTrimmable(static_cast<unsigned char>(s[end - 1]))) --end;
  std::string out(s.substr(begin, end - begin));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    } else if (c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      c = ' ';
    }
  }
  // Runs of inner whitespace collapse to one space ("not   now" == "not now").
  out.erase(
      std::unique(out.begin(), out.end(), [](char a, char b) { return a == ' ' && b == ' '; }),
      out.end());
  return out;
}

std::string NormalizeUnicode(std::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* fold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  // fromUTF8 replaces invalid sequences with U+FFFD.
  const icu::UnicodeString input = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  icu::UnicodeString folded;
  if (U_SUCCESS(status)) {
    fold->normalize(input, folded, status);
  }
  if (U_FAILURE(status)) {
    folded = input;
  }
  int32_t begin = 0;
  int32_t end = folded.length();
  while (begin < end && IsTrimmable(folded.char32At(begin))) {
    begin = folded.moveIndex32(begin, 1);
  }
  while (end > begin) {
    const int32_t prev = folded.moveIndex32(end, -1);
    if (!IsTrimmable(folded.char32At(prev))) break;
    end = prev;
  }
  // Runs of inner whitespace collapse to one space, as on the ASCII path.
  icu::UnicodeString collapsed;
  bool in_space = false;
  for (int32_t i = begin; i < end; i = folded.moveIndex32(i, 1)) {
    const UChar32 c = folded.char32At(i);
    if (u_isUWhiteSpace(c)) {
      if (!in_space) collapsed.append(static_cast<UChar32>(' '));
      in_space = true;
    } else {
      collapsed.append(c);
      in_space = false;
    }
  }
  std::string out;
  collapsed.toUTF8String(out);
  return out;
}

// Synonym sets (English and Spanish, and answer emoji), matched after NormalizeReply.
constexpr std::array kYes = std::to_array<std::string_view>({"absolutely",
                                                             "affirmative",
                                                             "alright",
                                                             "certainly",
                                                             "claro",
                                                             "claro que si",
                                                             "claro que sí",
                                                             "correct",
                                                             "correcto",
                                                             "de acuerdo",
                                                             "definitely",
                                                             "exacto",
                                                             "k",
                                                             "of course",
                                                             "ok",
                                                             "okay",
                                                             "okey",
                                                             "por supuesto",
                                                             "si",
                                                             "sii",
                                                             "sip",
                                                             "sure",
                                                             "sí",
                                                             "ya",
                                                             "yeah",
                                                             "yeh",
                                                             "yep",
                                                             "yes",
                                                             "yes please",
                                                             "yess",
                                                             "yup",
                                                             "y",
                                                             "vale",
                                                             "dale",
                                                             "bueno",
                                                             "👌",
                                                             "👍",
                                                             "✅",
                                                             "✔",
                                                             "✔️"});
constexpr std::array kNo = std::to_array<std::string_view>({"de ninguna manera",
                                                            "en absoluto",
                                                            "n",
                                                            "nah",
                                                            "negative",
                                                            "nel",
                                                            "never",
                                                            "no",
                                                            "no gracias",
                                                            "no thank you",
                                                            "no thanks",
                                                            "nop",
                                                            "nope",
                                                            "not now",
                                                            "not really",
                                                            "nunca",
                                                            "para nada",
                                                            "todavia no",
                                                            "todavía no",
                                                            "👎",
                                                            "❌",
                                                            "✖"});

bool InSet(std::string_view normalized, const auto& set) {
  return std::find(set.begin(), set.end(), normalized) != set.end();
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string NormalizeReply(std::string_view text) {
  return IsAscii(text) ? NormalizeAscii(text) : NormalizeUnicode(text);
}

bool IsYes(std::string_view text) { return InSet(NormalizeReply(text), kYes); }
bool IsNo(std::string_view text) { return InSet(NormalizeReply(text), kNo); }

std::optional<double> ParseNumber(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && !IsDigit(text[i])) {
    // ".5" and "-3": a sign or point directly before the first digit belongs to it.
    ++i;
  }
  if (i == text.size()) {
    return std::nullopt;
  }
  const size_t start = i;
  const auto attached = [&](char c) {
    return start > 0 && text[start - 1] == c && (start < 2 || !IsDigit(text[start - 2]));
  };
  bool negative = attached('-');
  std::string digits;
  if (attached('.')) {  // ".5"
    digits = "0.";
    negative = start >= 2 && text[start - 2] == '-';
  }
  while (i < text.size() && IsDigit(text[i])) digits += text[i++];
  // Thousands groups: ",ddd" not followed by another digit (also "1,000,000").
  while (digits.find('.') == std::string::npos && i + 3 < text.size() && text[i] == ',' &&
         IsDigit(text[i + 1]) && IsDigit(text[i + 2]) && IsDigit(text[i + 3]) &&
         (i + 4 >= text.size() || !IsDigit(text[i + 4]))) {
    digits.append(text.substr(i + 1, 3));
    i += 4;
  }
  if (digits.find('.') == std::string::npos && i + 1 < text.size() &&
      (text[i] == '.' || text[i] == ',') && IsDigit(text[i + 1])) {
    digits += '.';
    ++i;
    while (i < text.size() && IsDigit(text[i])) digits += text[i++];
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return negative ? -value : value;
}

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  const std::string quoted = "bad duration '" + std::string(text) + "': ";
  if (text.empty()) {
    return Status::InvalidArgument("bad duration '': empty (use e.g. 90s, 2m, 4h, 1d, 1d12h)");
  }
  constexpr std::string_view kUnits = "wdhms";
  constexpr int64_t kSeconds[] = {604800, 86400, 3600, 60, 1};
  constexpr int64_t kMaxSeconds = int64_t{10} * 366 * 86400;  // ten years
  int64_t total = 0;
  size_t last_unit = std::string_view::npos;
  size_t i = 0;
  while (i < text.size()) {
    const size_t begin = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i == begin) {
      return Status::InvalidArgument(quoted + "expected a number at '" +
                                     std::string(text.substr(begin)) + "'");
    }
    if (i == text.size()) {
      return Status::InvalidArgument(quoted + "missing unit after " +
                                     std::string(text.substr(begin)) + " (use s, m, h, d or w)");
    }
    const size_t unit = kUnits.find(text[i]);
    if (unit == std::string_view::npos) {
      return Status::InvalidArgument(quoted + "unknown unit '" + std::string(1, text[i]) +
                                     "' (use s, m, h, d or w)");
    }
    if (last_unit != std::string_view::npos && unit <= last_unit) {
      return Status::InvalidArgument(quoted + "units must go from largest to smallest, each once");
    }
    last_unit = unit;
    int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(text.data() + begin, text.data() + i, n);
    if (ec != std::errc() || n > kMaxSeconds / kSeconds[unit]) {
      return Status::InvalidArgument(quoted + "too long (at most ten years)");
    }
    total += n * kSeconds[unit];
    if (total > kMaxSeconds) {
      return Status::InvalidArgument(quoted + "too long (at most ten years)");
    }
    ++i;
  }
  if (total <= 0) {
    return Status::InvalidArgument(quoted + "must be longer than zero");
  }
  return std::chrono::seconds(total);
}

Result<TimeOfDay> ParseTimeOfDay(std::string_view text) {
  const std::string quoted = "bad time '" + std::string(text) + "': ";
  int parts[3] = {0, 0, 0};
  int count = 0;
  size_t i = 0;
  while (count < 3) {
    const size_t begin = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    const size_t len = i - begin;
    if (len == 0 || len > 2 || (count > 0 && len != 2)) {
      return Status::InvalidArgument(quoted + "expected HH:MM or HH:MM:SS (24-hour)");
    }
    std::from_chars(text.data() + begin, text.data() + i, parts[count]);
    ++count;
    if (i == text.size()) break;
    if (text[i] != ':') {
      return Status::InvalidArgument(quoted + "expected HH:MM or HH:MM:SS (24-hour)");
    }
    ++i;
  }
  if (count < 2 || i != text.size()) {
    return Status::InvalidArgument(quoted + "expected HH:MM or HH:MM:SS (24-hour)");
  }
  if (parts[0] > 23) return Status::InvalidArgument(quoted + "hour must be 0-23");
  if (parts[1] > 59) return Status::InvalidArgument(quoted + "minute must be 0-59");
  if (parts[2] > 59) return Status::InvalidArgument(quoted + "second must be 0-59");
  return TimeOfDay{parts[0], parts[1], parts[2]};
}

bool IsValidTimeZone(std::string_view tz) {
  if (tz.empty() || tz.size() > 64) {
    return false;
  }
  const icu::UnicodeString id =
      icu::UnicodeString::fromUTF8(icu::StringPiece(tz.data(), static_cast<int32_t>(tz.size())));
  icu::UnicodeString canonical;
  UBool is_system = false;
  UErrorCode status = U_ZERO_ERROR;
  icu::TimeZone::getCanonicalID(id, canonical, is_system, status);
  return U_SUCCESS(status) && is_system;
}

TimePoint NextTimeOfDay(TimePoint now, TimeOfDay at, std::string_view tz) {
  const icu::UnicodeString id =
      icu::UnicodeString::fromUTF8(icu::StringPiece(tz.data(), static_cast<int32_t>(tz.size())));
  UErrorCode status = U_ZERO_ERROR;
  icu::GregorianCalendar cal(icu::TimeZone::createTimeZone(id), status);
  if (U_FAILURE(status)) {
    return now + std::chrono::days(1);  // unreachable for a valid zone
  }
  // Lenient fields: a wall time inside a DST gap resolves to the instant after the gap;
  // in an overlap ICU picks the earlier (daylight) instant.
  cal.setLenient(true);
  cal.setRepeatedWallTimeOption(UCAL_WALLTIME_FIRST);
  cal.setSkippedWallTimeOption(UCAL_WALLTIME_NEXT_VALID);
  const double now_ms = static_cast<double>(ToUnixMillis(now));
  for (int day = 0; day < 3; ++day) {
    cal.setTime(now_ms, status);
    cal.add(UCAL_DATE, day, status);
    cal.set(UCAL_HOUR_OF_DAY, at.hour);
    cal.set(UCAL_MINUTE, at.minute);
    cal.set(UCAL_SECOND, at.second);
    cal.set(UCAL_MILLISECOND, 0);
    const double candidate = cal.getTime(status);
    if (U_SUCCESS(status) && candidate > now_ms) {
      return FromUnixMillis(static_cast<int64_t>(candidate));
    }
  }
  return now + std::chrono::days(1);
}

}  // namespace parley::flow
