// Durations, times of day and time zones for timer actions. Time-zone arithmetic uses ICU's
// compiled-in tz database, so the flow library stays free of file I/O.
#include "flow/text.hpp"

#include "flow/detail/utf8.hpp"

#include <unicode/basictz.h>
#include <unicode/timezone.h>
#include <unicode/tztrans.h>
#include <unicode/ucal.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>

namespace parley::flow {

namespace {

using detail::CharAt;
using detail::IsDigit;
using detail::Quote;

// ---------------------------------------------------------------------------------------------
// Time zones.
// ---------------------------------------------------------------------------------------------

// IANA ids use only these characters; checking first keeps odd bytes (NUL, non-ASCII) away
// from ICU's id lookup, which works on invariant characters.
bool LooksLikeZoneId(std::string_view tz) {
  constexpr size_t kMaxZoneIdLength = 64;
  if (tz.empty() || tz.size() > kMaxZoneIdLength) {
    return false;
  }
  return std::all_of(tz.begin(), tz.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || IsDigit(c) || c == '/' || c == '_' ||
           c == '+' || c == '-';
  });
}

constexpr double kMillisPerDay = 86400000.0;

// A time zone as NextTimeOfDay uses it. ICU offset lookups cost 200-400 ns each, several per
// call, so each zone also remembers one span of instants over which its UTC offset does not
// change (between two transitions; DST periods last months): inside it, local time is plain
// arithmetic.
struct Zone {
  std::unique_ptr<icu::BasicTimeZone> tz;
  // The span: its first instant and the first after it, in ms since the epoch. NaN (every
  // comparison false) until loaded, or when ICU failed.
  double span_from = std::numeric_limits<double>::quiet_NaN();
  double span_until = std::numeric_limits<double>::quiet_NaN();
  double offset_ms = 0;  // raw + DST offset throughout the span
};

// Zones by id, one table per thread. Creating an ICU zone takes microseconds (a resource
// bundle lookup), too slow for every engine step, and ICU does not promise that one zone
// object may be used from several threads at once (it builds transition rules lazily). Only
// valid ids are stored, so a table never holds more than the few hundred ids ICU knows.
Zone* FindZone(std::string_view tz) {
  thread_local std::map<std::string, Zone, std::less<>> zones;
  if (const auto it = zones.find(tz); it != zones.end()) {
    return &it->second;
  }
  if (!LooksLikeZoneId(tz)) {
    return nullptr;
  }
  const icu::UnicodeString id =
      icu::UnicodeString::fromUTF8(icu::StringPiece(tz.data(), static_cast<int32_t>(tz.size())));
  // createTimeZone never fails: an unknown id silently becomes "Etc/Unknown" (GMT). Only
  // getCanonicalID says whether the id is a real one.
  icu::UnicodeString canonical;
  UBool is_system = false;
  UErrorCode status = U_ZERO_ERROR;
  icu::TimeZone::getCanonicalID(id, canonical, is_system, status);
  if (U_FAILURE(status) || !is_system) {
    return nullptr;
  }
  std::unique_ptr<icu::TimeZone> zone(icu::TimeZone::createTimeZone(id));
  auto* basic = dynamic_cast<icu::BasicTimeZone*>(zone.get());
  if (basic == nullptr) {
    return nullptr;  // every tz-database zone is a BasicTimeZone; be safe anyway
  }
  Zone entry;
  entry.tz.reset(static_cast<icu::BasicTimeZone*>(zone.release()));
  return &zones.emplace(std::string(tz), std::move(entry)).first->second;
}

// Points zone.span_* at the span of constant offset that contains instant `t`.
void LoadSpan(Zone& zone, double t) {
  constexpr double kForever = std::numeric_limits<double>::infinity();
  UErrorCode status = U_ZERO_ERROR;
  int32_t raw = 0;
  int32_t dst = 0;
  zone.tz->getOffset(t, /*local=*/false, raw, dst, status);
  icu::TimeZoneTransition transition;
  zone.span_from = zone.tz->getPreviousTransition(t, /*inclusive=*/true, transition)
                       ? transition.getTime()
                       : -kForever;
  zone.span_until = zone.tz->getNextTransition(t, /*inclusive=*/false, transition)
                        ? transition.getTime()
                        : kForever;
  zone.offset_ms = raw + dst;
  if (U_FAILURE(status) || !(zone.span_from <= t && t < zone.span_until)) {
    zone.span_from = zone.span_until = std::numeric_limits<double>::quiet_NaN();
  }
}

// NextTimeOfDay without ICU, when the answer is clear from the cached span: nullopt when `now`
// or the answer is within two days of a transition. UTC offsets lie between -12 h and +14 h,
// so every instant that shows a given wall time lies within two days of any other; with two
// days of constant offset around the answer, it is the only instant showing `at` that day —
// no gap, no overlap.
std::optional<double> NextInSpan(const Zone& zone, double now_ms, double time_ms) {
  constexpr double kMargin = 2 * kMillisPerDay;
  const double off = zone.offset_ms;
  double candidate = std::floor((now_ms + off) / kMillisPerDay) * kMillisPerDay + time_ms - off;
  if (candidate <= now_ms) {
    candidate += kMillisPerDay;
  }
  const bool clear = zone.span_from + kMargin <= now_ms && zone.span_from + kMargin <= candidate &&
                     candidate + kMargin < zone.span_until;
  return clear && candidate > now_ms ? std::optional<double>(candidate) : std::nullopt;
}

// The fallback answer of NextTimeOfDay, saturating instead of overflowing at the end of time.
TimePoint DayAfter(TimePoint now) {
  constexpr auto kDay = std::chrono::days(1);
  return now < TimePoint::max() - kDay ? now + kDay : TimePoint::max();
}

}  // namespace

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  constexpr std::string_view kUnitHint = " (use s, m, h, d or w)";
  if (text.empty()) {
    return Status::InvalidArgument(
        "bad duration '': empty (write a number and a unit, e.g. 90s, 2m, 4h, 1d12h or 1w)");
  }
  const auto fail = [text](const std::string& why) {
    return Status::InvalidArgument("bad duration " + Quote(text) + ": " + why);
  };
  // Units from largest to smallest; each part must use a later unit than the one before.
  constexpr std::string_view kUnits = "wdhms";
  constexpr std::array<int64_t, 5> kUnitSeconds = {int64_t{7} * 86400, 86400, 3600, 60, 1};
  // Ten years: longer is surely a typo, and the bound keeps every later sum far from overflow.
  constexpr int64_t kMaxSeconds = int64_t{10} * 366 * 86400;
  int64_t total = 0;
  size_t previous_unit = std::string_view::npos;
  size_t i = 0;
  while (i < text.size()) {
    const size_t begin = i;
    while (i < text.size() && IsDigit(text[i])) {
      ++i;
    }
    if (i == begin) {
      const std::string found = CharAt(text, i);
      if (kUnits.find(text[i]) != std::string_view::npos) {
        return fail("expected a number before '" + found + "'");
      }
      return fail("unexpected '" + found + "' (write a number and a unit, e.g. 90s or 1d12h)");
    }
    const std::string_view digits = text.substr(begin, i - begin);
    if (i == text.size()) {
      return fail("missing unit after " + Quote(digits) + std::string(kUnitHint));
    }
    if (text[i] == '.' || text[i] == ',') {
      return fail("fractions are not allowed (write 90m, not 1.5h)");
    }
    const size_t unit = kUnits.find(text[i]);
    if (unit == std::string_view::npos) {
      return fail("unknown unit '" + CharAt(text, i) + "'" + std::string(kUnitHint));
    }
    if (previous_unit != std::string_view::npos && unit == previous_unit) {
      return fail(std::string("unit '") + text[i] + "' given twice");
    }
    if (previous_unit != std::string_view::npos && unit < previous_unit) {
      return fail(std::string("'") + text[i] + "' after '" + kUnits[previous_unit] +
                  "' (units go from largest to smallest: w, d, h, m, s)");
    }
    previous_unit = unit;
    int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || n > kMaxSeconds / kUnitSeconds[unit]) {
      return fail("too long (at most ten years)");
    }
    total += n * kUnitSeconds[unit];
    if (total > kMaxSeconds) {
      return fail("too long (at most ten years)");
    }
    ++i;
  }
  if (total == 0) {
    return fail("must be longer than zero");
  }
  return std::chrono::seconds(total);
}

Result<TimeOfDay> ParseTimeOfDay(std::string_view text) {
  const auto fail = [text](const std::string& why) {
    return Status::InvalidArgument("bad time " + Quote(text) + ": " + why);
  };
  const auto bad_form = [&] {
    return fail("expected HH:MM or HH:MM:SS (24-hour, e.g. 09:00 or 21:30)");
  };
  std::array<int, 3> parts = {0, 0, 0};
  size_t count = 0;
  size_t i = 0;
  while (true) {
    const size_t begin = i;
    while (i < text.size() && IsDigit(text[i])) {
      ++i;
    }
    const size_t len = i - begin;
    // The hour may have one digit ("9:00"); minutes and seconds always have two.
    if (len == 0 || len > 2 || (count > 0 && len != 2)) {
      return bad_form();
    }
    std::from_chars(text.data() + begin, text.data() + i, parts[count]);  // 1-2 digits: fits
    ++count;
    if (i == text.size()) {
      break;
    }
    if (text[i] != ':' || count == parts.size()) {
      return bad_form();
    }
    ++i;
  }
  if (count < 2) {
    return bad_form();
  }
  if (parts[0] > 23) {
    return fail("hour must be 0-23");
  }
  if (parts[1] > 59) {
    return fail("minute must be 0-59");
  }
  if (parts[2] > 59) {
    return fail("second must be 0-59");
  }
  return TimeOfDay{parts[0], parts[1], parts[2]};
}

bool IsValidTimeZone(std::string_view tz) { return FindZone(tz) != nullptr; }

TimePoint NextTimeOfDay(TimePoint now, TimeOfDay at, std::string_view tz) {
  // ±100 million days (ECMAScript's Date range): well inside what ICU computes and exact in a
  // double, and the result cannot overflow TimePoint. Nothing real is outside it.
  constexpr double kMaxAbsMillis = 8.64e15;
  Zone* zone = FindZone(tz);
  if (zone == nullptr) {
    zone = FindZone("UTC");  // precondition broken: behave as UTC rather than fail
  }
  const auto now_ms = static_cast<double>(ToUnixMillis(now));
  if (zone == nullptr || std::fabs(now_ms) > kMaxAbsMillis) {
    return DayAfter(now);
  }
  const double time_ms = ((at.hour * 60.0 + at.minute) * 60.0 + at.second) * 1000.0;
  if (!(zone->span_from <= now_ms && now_ms < zone->span_until)) {
    LoadSpan(*zone, now_ms);
  }
  if (const auto fast = NextInSpan(*zone, now_ms, time_ms)) {
    return FromUnixMillis(static_cast<int64_t>(*fast));
  }
  // Near a transition: let ICU resolve the wall time.
  const icu::BasicTimeZone& tzone = *zone->tz;
  UErrorCode status = U_ZERO_ERROR;
  int32_t raw = 0;
  int32_t dst = 0;
  tzone.getOffset(now_ms, /*local=*/false, raw, dst, status);
  const double today = std::floor((now_ms + raw + dst) / kMillisPerDay);
  // Today's occurrence, else tomorrow's; a third day covers a day a zone skipped entirely
  // (Pacific/Apia, 2011-12-30), whose only candidate is the transition that skipped it.
  for (int day = 0; day < 3 && U_SUCCESS(status); ++day) {
    const double wall_ms = (today + day) * kMillisPerDay + time_ms;
    // In an overlap (clocks go back) FORMER picks the first, earlier instant: a daily time
    // happens once a day. In a gap (clocks go forward) FORMER reads the wall time with the
    // offset from before the gap, which lands after the transition; the transition itself is
    // the first instant after the gap.
    tzone.getOffsetFromLocal(wall_ms, UCAL_TZ_LOCAL_FORMER, UCAL_TZ_LOCAL_FORMER, raw, dst, status);
    double candidate = wall_ms - raw - dst;
    tzone.getOffset(candidate, /*local=*/false, raw, dst, status);
    if (candidate + raw + dst != wall_ms) {
      icu::TimeZoneTransition gap;
      if (tzone.getPreviousTransition(candidate, /*inclusive=*/true, gap)) {
        candidate = gap.getTime();
      }
    }
    if (U_SUCCESS(status) && candidate > now_ms) {
      return FromUnixMillis(static_cast<int64_t>(candidate));
    }
  }
  return DayAfter(now);
}

TimePoint NextOccurrence(const TimerRecurrence& r, TimePoint due, TimePoint now) {
  const auto every =
      std::chrono::duration_cast<Duration>(std::max(r.every, std::chrono::seconds(1)));
  TimePoint from = std::max(due, TimePoint{});
  if (!r.at) {
    // Whole periods skipped at once: a long outage costs one division, not a loop.
    if (now >= from) {
      from += every * ((now - from) / every + 1);
    } else {
      from += every;
    }
    return from;
  }
  const int64_t days = std::max<int64_t>(1, r.every.count() / 86400);
  const auto secs = r.at->count();
  const TimeOfDay at{static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                     static_cast<int>(secs % 60)};
  // From half a day before the same local time `days` days on, the next `at` is that day's
  // (offsets move by at most a few hours at a transition).
  const auto period = std::chrono::duration_cast<Duration>(std::chrono::days(days));
  if (now - from > period) {
    // Skip whole periods in one step, keeping the schedule's phase (weekly stays weekly).
    from += period * ((now - from) / period - 1);
  }
  TimePoint next = from;
  do {
    next = NextTimeOfDay(next + period - std::chrono::hours(12), at, r.time_zone);
  } while (next <= now);
  return next;
}

std::string FormatLocal(TimePoint t, std::string_view tz) {
  Zone* zone = FindZone(tz);
  int32_t raw = 0;
  int32_t dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  if (zone != nullptr) {
    zone->tz->getOffset(static_cast<double>(ToUnixMillis(t)), /*local=*/false, raw, dst, status);
  }
  const int32_t offset_ms = U_SUCCESS(status) ? raw + dst : 0;
  const auto local = std::chrono::floor<std::chrono::seconds>(t + Duration(offset_ms));
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(local - day);
  const int32_t offset_min = offset_ms / 60000;
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u %02d:%02d:%02d %c%02d:%02d", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                int(hms.minutes().count()), int(hms.seconds().count()), offset_min < 0 ? '-' : '+',
                std::abs(offset_min) / 60, std::abs(offset_min) % 60);
  return out;
}

}  // namespace parley::flow
