// Durations, times of day, time zones and NextTimeOfDay (time_text.cpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "flow/detail/utf8.hpp"
#include "flow/text.hpp"

namespace parley::flow {
namespace {

using std::chrono::seconds;

TEST(ParseDuration, EachUnit) {
  EXPECT_EQ(*ParseDuration("90s"), seconds(90));
  EXPECT_EQ(*ParseDuration("2m"), seconds(120));
  EXPECT_EQ(*ParseDuration("4h"), seconds(4 * 3600));
  EXPECT_EQ(*ParseDuration("1d"), seconds(86400));
  EXPECT_EQ(*ParseDuration("1w"), seconds(7 * 86400));
  EXPECT_EQ(*ParseDuration("1s"), seconds(1));
  EXPECT_EQ(*ParseDuration("90m"), seconds(90 * 60));  // no need to carry into hours
  EXPECT_EQ(*ParseDuration("007m"), seconds(7 * 60));
}

TEST(ParseDuration, Combinations) {
  EXPECT_EQ(*ParseDuration("1d12h"), seconds(86400 + 12 * 3600));
  EXPECT_EQ(*ParseDuration("1h30m"), seconds(5400));
  EXPECT_EQ(*ParseDuration("1w2d3h4m5s"), seconds(((9 * 24 + 3) * 60 + 4) * 60 + 5));
  EXPECT_EQ(*ParseDuration("1d5s"), seconds(86405));  // units may be skipped
  EXPECT_EQ(*ParseDuration("0d1s"), seconds(1));      // zero parts are fine if the total is not
}

TEST(ParseDuration, AtMostTenYears) {
  EXPECT_EQ(*ParseDuration("3660d"), seconds(3660 * 86400));
  EXPECT_EQ(*ParseDuration("87840h"), seconds(3660 * 86400));
  EXPECT_EQ(ParseDuration("3661d").status().message(),
            "bad duration '3661d': too long (at most ten years)");
  EXPECT_EQ(ParseDuration("3660d1s").status().message(),
            "bad duration '3660d1s': too long (at most ten years)");
  EXPECT_FALSE(ParseDuration("523w").ok());
  EXPECT_EQ(ParseDuration("99999999999999999999d").status().message(),
            "bad duration '99999999999999999999d': too long (at most ten years)");
  EXPECT_FALSE(ParseDuration("9223372036854775807s").ok());
  EXPECT_FALSE(ParseDuration("520w520w").ok());
}

TEST(ParseDuration, ErrorsNameTheInputAndTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "bad duration '': empty (write a number and a unit, e.g. 90s, 2m, 4h, 1d12h or 1w)"},
      {"0s", "bad duration '0s': must be longer than zero"},
      {"0d0h", "bad duration '0d0h': must be longer than zero"},
      {"2x", "bad duration '2x': unknown unit 'x' (use s, m, h, d or w)"},
      {"2H", "bad duration '2H': unknown unit 'H' (use s, m, h, d or w)"},
      {"2é", "bad duration '2é': unknown unit 'é' (use s, m, h, d or w)"},
      {"12", "bad duration '12': missing unit after '12' (use s, m, h, d or w)"},
      {"1d12", "bad duration '1d12': missing unit after '12' (use s, m, h, d or w)"},
      {"h", "bad duration 'h': expected a number before 'h'"},
      {"1hm", "bad duration '1hm': expected a number before 'm'"},
      {"-5m", "bad duration '-5m': unexpected '-' (write a number and a unit, e.g. 90s or 1d12h)"},
      {"1d 12h",
       "bad duration '1d 12h': unexpected ' ' (write a number and a unit, e.g. 90s or 1d12h)"},
      {" 1h", "bad duration ' 1h': unexpected ' ' (write a number and a unit, e.g. 90s or 1d12h)"},
      {"1.5h", "bad duration '1.5h': fractions are not allowed (write 90m, not 1.5h)"},
      {"1h1d",
       "bad duration '1h1d': 'd' after 'h' (units go from largest to smallest: w, d, h, m, s)"},
      {"30s1m",
       "bad duration '30s1m': 'm' after 's' (units go from largest to smallest: w, d, h, m, s)"},
      {"1h1h", "bad duration '1h1h': unit 'h' given twice"},
      {"2\xff", "bad duration '2\uFFFD': unknown unit '\uFFFD' (use s, m, h, d or w)"},
  };
  for (const auto& [text, message] : cases) {
    const auto d = ParseDuration(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(d.status().message(), message) << text;
  }
}

TEST(ParseDuration, LongInputIsQuotedShort) {
  const std::string text = std::string(100, '1') + "x";
  const auto d = ParseDuration(text);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "bad duration '" + std::string(40, '1') +
                                      "...': unknown unit 'x' (use s, m, h, d or w)");
  // The cut never splits a UTF-8 sequence.
  std::string accents;
  for (int i = 0; i < 30; ++i) {
    accents += "é";
  }
  const auto e = ParseDuration("1" + accents);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(IsValidUtf8(e.status().message())) << e.status().message();
}

// ----------------------------------------------------------------------------------------------
// ParseTimeOfDay
// ----------------------------------------------------------------------------------------------

void ExpectTime(std::string_view text, int h, int m, int s) {
  const auto t = ParseTimeOfDay(text);
  ASSERT_TRUE(t.ok()) << text << ": " << t.status().message();
  EXPECT_EQ(t->hour, h) << text;
  EXPECT_EQ(t->minute, m) << text;
  EXPECT_EQ(t->second, s) << text;
}

TEST(ParseTimeOfDay, AcceptsHourMinuteAndSecond) {
  ExpectTime("09:00", 9, 0, 0);
  ExpectTime("9:00", 9, 0, 0);
  ExpectTime("9:05", 9, 5, 0);
  ExpectTime("00:00", 0, 0, 0);
  ExpectTime("0:00", 0, 0, 0);
  ExpectTime("23:59", 23, 59, 0);
  ExpectTime("21:30:15", 21, 30, 15);
  ExpectTime("23:59:59", 23, 59, 59);
  ExpectTime("7:08:09", 7, 8, 9);
}

TEST(ParseTimeOfDay, RangeErrors) {
  EXPECT_EQ(ParseTimeOfDay("25:00").status().message(), "bad time '25:00': hour must be 0-23");
  EXPECT_EQ(ParseTimeOfDay("24:00").status().message(), "bad time '24:00': hour must be 0-23");
  EXPECT_EQ(ParseTimeOfDay("10:60").status().message(), "bad time '10:60': minute must be 0-59");
  EXPECT_EQ(ParseTimeOfDay("10:00:60").status().message(),
            "bad time '10:00:60': second must be 0-59");
  EXPECT_EQ(ParseTimeOfDay("99:99").status().message(), "bad time '99:99': hour must be 0-23");
}

TEST(ParseTimeOfDay, FormErrors) {
  EXPECT_EQ(ParseTimeOfDay("09:00pm").status().message(),
            "bad time '09:00pm': expected HH:MM or HH:MM:SS (24-hour, e.g. 09:00 or 21:30)");
  EXPECT_EQ(ParseTimeOfDay("").status().message(),
            "bad time '': expected HH:MM or HH:MM:SS (24-hour, e.g. 09:00 or 21:30)");
  for (const char* bad :
       {"9",      "09",     "9:5",   "9:005", "123:00",    "09:00:00:00", "a:b",    "09-00",
        "9h",     "09h00",  "-1:00", "+9:00", ":30",       "09:",         "09::00", " 09:00",
        "09:00 ", "09:00:", "0x:00", "９:00", "09:00\xff", "09.00"}) {
    const auto t = ParseTimeOfDay(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(IsValidUtf8(t.status().message())) << bad;
  }
}

// ----------------------------------------------------------------------------------------------
// Time zones
// ----------------------------------------------------------------------------------------------

TEST(IsValidTimeZone, KnownIanaIds) {
  for (const char* tz : {"America/Lima", "UTC", "Etc/UTC", "Europe/Madrid", "America/New_York",
                         "America/Argentina/Buenos_Aires", "Asia/Kolkata", "Etc/GMT+5",
                         "US/Eastern", "America/Port-au-Prince", "Pacific/Apia"}) {
    EXPECT_TRUE(IsValidTimeZone(tz)) << tz;
    EXPECT_TRUE(IsValidTimeZone(tz)) << tz << " (second call, cached)";
  }
}

TEST(IsValidTimeZone, RejectsUnknownIds) {
  // ICU turns any unknown id into "Etc/Unknown" instead of failing; none of these may pass.
  for (const char* tz :
       {"Mars/Olympus", "", "Etc/Unknown", "america/lima", "America/Lima ", " UTC", "America/Lim",
        "GMT+5", "Lima", "../etc/passwd", "UTC/", "Europe/Madrid\xff", "Am\xC3\xA9rica/Lima"}) {
    EXPECT_FALSE(IsValidTimeZone(tz)) << tz;
  }
  EXPECT_FALSE(IsValidTimeZone(std::string("UTC\0x", 5)));  // embedded NUL
  EXPECT_FALSE(IsValidTimeZone(std::string(1000, 'A')));
  EXPECT_FALSE(IsValidTimeZone("America/" + std::string(100, 'x')));
}

TimePoint At(const char* iso) {
  // "2026-11-24T09:00:00Z"
  std::tm tm{};
  strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return FromUnixMillis(static_cast<int64_t>(timegm(&tm)) * 1000);
}

std::string Next(const char* now, TimeOfDay at, const char* tz) {
  return FormatUtc(NextTimeOfDay(At(now), at, tz));
}

constexpr TimeOfDay kNine{9, 0, 0};

TEST(NextTimeOfDay, LimaHasNoDst) {
  // Lima is UTC-5 all year: 09:00 there is 14:00Z.
  EXPECT_EQ(Next("2026-11-24T08:00:00Z", kNine, "America/Lima"), "2026-11-24T14:00:00.000Z");
  EXPECT_EQ(Next("2026-07-01T08:00:00Z", kNine, "America/Lima"), "2026-07-01T14:00:00.000Z");
  EXPECT_EQ(Next("2026-11-24T15:00:00Z", kNine, "America/Lima"), "2026-11-25T14:00:00.000Z");
  // Late evening in Lima is already the next day in UTC.
  EXPECT_EQ(Next("2026-11-25T03:00:00Z", TimeOfDay{23, 0, 0}, "America/Lima"),
            "2026-11-25T04:00:00.000Z");
  EXPECT_EQ(Next("2026-11-25T03:00:00Z", kNine, "America/Lima"), "2026-11-25T14:00:00.000Z");
  EXPECT_EQ(Next("2026-12-31T20:00:00Z", TimeOfDay{0, 0, 0}, "America/Lima"),
            "2027-01-01T05:00:00.000Z");
}

TEST(NextTimeOfDay, StrictlyAfterNow) {
  // Exactly at the time: the next day's.
  EXPECT_EQ(Next("2026-11-24T14:00:00Z", kNine, "America/Lima"), "2026-11-25T14:00:00.000Z");
  EXPECT_EQ(
      FormatUtc(NextTimeOfDay(At("2026-11-24T14:00:00Z") - Duration(1), kNine, "America/Lima")),
      "2026-11-24T14:00:00.000Z");
  EXPECT_EQ(
      FormatUtc(NextTimeOfDay(At("2026-11-24T14:00:00Z") + Duration(1), kNine, "America/Lima")),
      "2026-11-25T14:00:00.000Z");
  EXPECT_EQ(Next("2026-11-24T09:00:00Z", kNine, "UTC"), "2026-11-25T09:00:00.000Z");
  EXPECT_EQ(Next("2026-11-24T15:00:00Z", kNine, "UTC"), "2026-11-25T09:00:00.000Z");
  EXPECT_EQ(Next("2026-11-24T08:59:59Z", kNine, "UTC"), "2026-11-24T09:00:00.000Z");
  EXPECT_EQ(Next("2026-11-24T09:00:00Z", TimeOfDay{9, 0, 1}, "UTC"), "2026-11-24T09:00:01.000Z");
}

TEST(NextTimeOfDay, MadridAroundSpringForward) {
  // Madrid: CET (UTC+1) until 2026-03-29 01:00Z, when 02:00 local becomes 03:00 CEST (UTC+2).
  EXPECT_EQ(Next("2026-03-28T12:00:00Z", kNine, "Europe/Madrid"), "2026-03-29T07:00:00.000Z");
  EXPECT_EQ(Next("2026-03-28T07:00:00Z", kNine, "Europe/Madrid"), "2026-03-28T08:00:00.000Z");
  EXPECT_EQ(Next("2026-03-29T07:00:00Z", kNine, "Europe/Madrid"), "2026-03-30T07:00:00.000Z");
  // Just before the gap, local 01:59:59 CET.
  EXPECT_EQ(Next("2026-03-28T23:30:00Z", TimeOfDay{1, 59, 59}, "Europe/Madrid"),
            "2026-03-29T00:59:59.000Z");
  // 02:00-02:59 do not exist that day: the instant just after the gap (03:00 CEST = 01:00Z).
  for (const TimeOfDay in_gap : {TimeOfDay{2, 0, 0}, TimeOfDay{2, 30, 0}, TimeOfDay{2, 59, 59}}) {
    EXPECT_EQ(Next("2026-03-28T23:30:00Z", in_gap, "Europe/Madrid"), "2026-03-29T01:00:00.000Z");
  }
  EXPECT_EQ(Next("2026-03-28T23:30:00Z", TimeOfDay{3, 0, 0}, "Europe/Madrid"),
            "2026-03-29T01:00:00.000Z");
  // At the transition itself the gap's stand-in has passed: 02:30 the next day, in CEST.
  EXPECT_EQ(Next("2026-03-29T01:00:00Z", TimeOfDay{2, 30, 0}, "Europe/Madrid"),
            "2026-03-30T00:30:00.000Z");
}

TEST(NextTimeOfDay, MadridAroundFallBack) {
  // 2026-10-25 01:00Z: 03:00 CEST becomes 02:00 CET, so 02:00-02:59 happen twice.
  const TimeOfDay half_past_two{2, 30, 0};
  // The earlier instant (CEST) is used...
  EXPECT_EQ(Next("2026-10-24T12:00:00Z", half_past_two, "Europe/Madrid"),
            "2026-10-25T00:30:00.000Z");
  // ...and only once: after it, even during the repeated hour, the next is the next day's.
  EXPECT_EQ(Next("2026-10-25T00:30:00Z", half_past_two, "Europe/Madrid"),
            "2026-10-26T01:30:00.000Z");
  EXPECT_EQ(Next("2026-10-25T01:00:00Z", half_past_two, "Europe/Madrid"),
            "2026-10-26T01:30:00.000Z");
  EXPECT_EQ(Next("2026-10-24T12:00:00Z", TimeOfDay{3, 0, 0}, "Europe/Madrid"),
            "2026-10-25T02:00:00.000Z");
  EXPECT_EQ(Next("2026-10-24T12:00:00Z", TimeOfDay{1, 59, 0}, "Europe/Madrid"),
            "2026-10-24T23:59:00.000Z");
  EXPECT_EQ(Next("2026-10-25T12:00:00Z", kNine, "Europe/Madrid"), "2026-10-26T08:00:00.000Z");
}

TEST(NextTimeOfDay, NewYorkSpringForward) {
  // 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00Z.
  EXPECT_EQ(Next("2026-03-08T05:00:00Z", TimeOfDay{2, 15, 0}, "America/New_York"),
            "2026-03-08T07:00:00.000Z");
  EXPECT_EQ(Next("2026-03-08T05:00:00Z", kNine, "America/New_York"), "2026-03-08T13:00:00.000Z");
}

TEST(NextTimeOfDay, SkippedDay) {
  // Samoa skipped 2011-12-30 (local midnight went from the 29th to the 31st at 10:00Z). A time
  // on the missing day falls in a day-long gap, so the instant after the gap stands in for it.
  EXPECT_EQ(Next("2011-12-29T20:00:00Z", kNine, "Pacific/Apia"), "2011-12-30T10:00:00.000Z");
  EXPECT_EQ(Next("2011-12-30T10:00:00Z", kNine, "Pacific/Apia"), "2011-12-30T19:00:00.000Z");
}

TEST(NextTimeOfDay, UnknownZoneBehavesAsUtc) {
  // A broken precondition, but no crash and no surprise.
  EXPECT_EQ(Next("2026-11-24T08:00:00Z", kNine, "Mars/Olympus"), "2026-11-24T09:00:00.000Z");
  EXPECT_EQ(Next("2026-11-24T08:00:00Z", kNine, ""), "2026-11-24T09:00:00.000Z");
}

TEST(NextTimeOfDay, ExtremeInstantsDoNotOverflow) {
  const TimePoint min = FromUnixMillis(INT64_MIN);
  const TimePoint max = FromUnixMillis(INT64_MAX);
  EXPECT_GT(NextTimeOfDay(min, kNine, "Europe/Madrid"), min);
  EXPECT_EQ(NextTimeOfDay(max, kNine, "Europe/Madrid"), max);  // nothing is after the end
  EXPECT_GT(NextTimeOfDay(FromUnixMillis(0), kNine, "America/Lima"), FromUnixMillis(0));
  const TimePoint far = FromUnixMillis(int64_t{250000} * 365 * 86400000);  // year ~252000
  EXPECT_GT(NextTimeOfDay(far, kNine, "Europe/Madrid"), far);
}

TEST(NextTimeOfDay, SafeFromSeveralThreads) {
  // Each thread keeps its own zone objects; all must agree.
  std::vector<std::thread> threads;
  std::vector<std::string> results(8);
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&results, t] {
      std::string last;
      for (int i = 0; i < 200; ++i) {
        EXPECT_TRUE(IsValidTimeZone("Europe/Madrid"));
        last = FormatUtc(NextTimeOfDay(At("2026-03-28T23:30:00Z"), TimeOfDay{2, 30, 0},
                                       i % 2 == 0 ? "Europe/Madrid" : "America/Lima"));
      }
      results[t] = last;
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (const auto& r : results) {
    EXPECT_EQ(r, "2026-03-29T07:30:00.000Z");  // the last call, i = 199, is Lima
  }
}

}  // namespace
}  // namespace parley::flow
