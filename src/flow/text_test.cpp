#include "flow/text.hpp"

#include <gtest/gtest.h>

namespace parley::flow {
namespace {

TEST(NormalizeReply, FoldsCaseTrimsPunctuationKeepsInnerText) {
  EXPECT_EQ(NormalizeReply("  YES!! "), "yes");
  EXPECT_EQ(NormalizeReply("'ok'"), "ok");
  EXPECT_EQ(NormalizeReply("O'Neil"), "o'neil");
  EXPECT_EQ(NormalizeReply("not \t  now."), "not now");
  EXPECT_EQ(NormalizeReply("¡Sí!"), "sí");
  EXPECT_EQ(NormalizeReply("ＹＥＳ"), "yes");  // full-width, NFKC
  EXPECT_EQ(NormalizeReply("Straße"), "strasse");
  EXPECT_EQ(NormalizeReply("👍"), "👍");
  EXPECT_EQ(NormalizeReply("claro \t que  sí"), "claro que sí");  // non-ASCII path collapses too
  EXPECT_EQ(NormalizeReply("..."), "");
  EXPECT_EQ(NormalizeReply(""), "");
  EXPECT_EQ(NormalizeReply("a\xff"), "a\xEF\xBF\xBD");  // invalid UTF-8 -> U+FFFD
}

TEST(YesNo, EnglishSpanishAndEmoji) {
  for (const char* yes :
       {"yes", "Y", "Yeah!", "sure", "OK", "sí", "Si", "claro", "vale", "👍", "Of course."}) {
    EXPECT_TRUE(IsYes(yes)) << yes;
    EXPECT_FALSE(IsNo(yes)) << yes;
  }
  for (const char* no : {"no", "N", "nope", "No thanks!", "nunca", "todavía no", "👎"}) {
    EXPECT_TRUE(IsNo(no)) << no;
    EXPECT_FALSE(IsYes(no)) << no;
  }
  for (const char* neither : {"maybe", "yes no", "", "yesterday", "noon"}) {
    EXPECT_FALSE(IsYes(neither)) << neither;
    EXPECT_FALSE(IsNo(neither)) << neither;
  }
}

TEST(ParseNumber, FindsTheFirstNumber) {
  EXPECT_EQ(ParseNumber("120"), 120);
  EXPECT_EQ(ParseNumber("5.5"), 5.5);
  EXPECT_EQ(ParseNumber("5,5"), 5.5);
  EXPECT_EQ(ParseNumber("120 mg/dl"), 120);
  EXPECT_EQ(ParseNumber("it was 95 today"), 95);
  EXPECT_EQ(ParseNumber("-3"), -3);
  EXPECT_EQ(ParseNumber("1,000"), 1000);
  EXPECT_EQ(ParseNumber("1,000,000"), 1000000);
  EXPECT_EQ(ParseNumber("1,0000"), 1.0);  // not a thousands group: decimal comma
  EXPECT_EQ(ParseNumber(".5"), 0.5);
  EXPECT_EQ(ParseNumber("120-130"), 120);
  EXPECT_EQ(ParseNumber("abc"), std::nullopt);
  EXPECT_EQ(ParseNumber(""), std::nullopt);
  EXPECT_EQ(ParseNumber(std::string(400, '9')), std::nullopt);  // not finite
}

TEST(ParseDuration, UnitsAndCombinations) {
  using std::chrono::seconds;
  EXPECT_EQ(*ParseDuration("90s"), seconds(90));
  EXPECT_EQ(*ParseDuration("2m"), seconds(120));
  EXPECT_EQ(*ParseDuration("4h"), seconds(4 * 3600));
  EXPECT_EQ(*ParseDuration("1d"), seconds(86400));
  EXPECT_EQ(*ParseDuration("1d12h"), seconds(86400 + 12 * 3600));
  EXPECT_EQ(*ParseDuration("1w"), seconds(7 * 86400));
}

TEST(ParseDuration, ErrorsSayWhy) {
  EXPECT_EQ(ParseDuration("2x").status().message(),
            "bad duration '2x': unknown unit 'x' (use s, m, h, d or w)");
  EXPECT_EQ(ParseDuration("1h1d").status().message(),
            "bad duration '1h1d': units must go from largest to smallest, each once");
  EXPECT_EQ(ParseDuration("0s").status().message(), "bad duration '0s': must be longer than zero");
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("12").ok());
  EXPECT_FALSE(ParseDuration("h").ok());
  EXPECT_FALSE(ParseDuration("1h1h").ok());
  EXPECT_FALSE(ParseDuration("99999999999999999999d").ok());
}

TEST(ParseTimeOfDay, AcceptsHourMinuteSecond) {
  EXPECT_EQ(ParseTimeOfDay("09:00")->hour, 9);
  EXPECT_EQ(ParseTimeOfDay("9:05")->minute, 5);
  EXPECT_EQ(ParseTimeOfDay("21:30:15")->second, 15);
  EXPECT_EQ(ParseTimeOfDay("25:00").status().message(), "bad time '25:00': hour must be 0-23");
  EXPECT_EQ(ParseTimeOfDay("10:60").status().message(), "bad time '10:60': minute must be 0-59");
  for (const char* bad : {"", "9", "9:5", "09:00pm", "a:b", "09:00:00:00", "123:00"}) {
    EXPECT_FALSE(ParseTimeOfDay(bad).ok()) << bad;
  }
}

TEST(TimeZones, ValidIds) {
  EXPECT_TRUE(IsValidTimeZone("America/Lima"));
  EXPECT_TRUE(IsValidTimeZone("UTC"));
  EXPECT_TRUE(IsValidTimeZone("Europe/Madrid"));
  EXPECT_FALSE(IsValidTimeZone("Mars/Olympus"));
  EXPECT_FALSE(IsValidTimeZone(""));
}

TimePoint At(const char* iso) {
  // "2026-11-24T09:00:00Z"
  std::tm tm{};
  strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return FromUnixMillis(static_cast<int64_t>(timegm(&tm)) * 1000);
}

TEST(NextTimeOfDay, StrictlyAfterNowInTheZone) {
  const TimeOfDay nine{9, 0, 0};
  // Lima is UTC-5 all year.
  EXPECT_EQ(FormatUtc(NextTimeOfDay(At("2026-11-24T08:00:00Z"), nine, "America/Lima")),
            "2026-11-24T14:00:00.000Z");
  EXPECT_EQ(FormatUtc(NextTimeOfDay(At("2026-11-24T14:00:00Z"), nine, "America/Lima")),
            "2026-11-25T14:00:00.000Z");  // exactly now -> tomorrow
  EXPECT_EQ(FormatUtc(NextTimeOfDay(At("2026-11-24T15:00:00Z"), nine, "UTC")),
            "2026-11-25T09:00:00.000Z");
  // Madrid: CET (UTC+1) before 2026-03-29, CEST (UTC+2) after.
  EXPECT_EQ(FormatUtc(NextTimeOfDay(At("2026-03-28T12:00:00Z"), nine, "Europe/Madrid")),
            "2026-03-29T07:00:00.000Z");
  // 02:30 does not exist in Madrid on 2026-03-29: the instant after the gap (03:00 CEST).
  EXPECT_EQ(
      FormatUtc(NextTimeOfDay(At("2026-03-28T23:30:00Z"), TimeOfDay{2, 30, 0}, "Europe/Madrid")),
      "2026-03-29T01:00:00.000Z");
}

}  // namespace
}  // namespace parley::flow
