#include "flow/text.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <climits>
#include <cstdint>
#include <ctime>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace parley::flow {
namespace {

using std::chrono::seconds;

// Whether `s` is well-formed UTF-8 (written independently of the code under test).
bool IsValidUtf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2, cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3, cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4, cp = b & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) {
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (c & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

// ----------------------------------------------------------------------------------------------
// NormalizeReply
// ----------------------------------------------------------------------------------------------

TEST(NormalizeReply, FoldsCase) {
  EXPECT_EQ(NormalizeReply("YES"), "yes");
  EXPECT_EQ(NormalizeReply("Yes Please"), "yes please");
  EXPECT_EQ(NormalizeReply("already lower"), "already lower");
  EXPECT_EQ(NormalizeReply("ÑANDÚ"), "ñandú");  // non-ASCII upper case folds too
  EXPECT_EQ(NormalizeReply("ΣΊ"), "σί");
}

TEST(NormalizeReply, KeepsAccents) {
  EXPECT_EQ(NormalizeReply("Sí"), "sí");
  EXPECT_EQ(NormalizeReply("SÍ"), "sí");
  EXPECT_EQ(NormalizeReply("todavía"), "todavía");
  EXPECT_NE(NormalizeReply("sí"), NormalizeReply("si"));
  // Decomposed input (s, i, combining acute) composes to the same text as precomposed "sí".
  EXPECT_EQ(NormalizeReply("si\u0301"), "s\u00ED");
}

TEST(NormalizeReply, AppliesCompatibilityFolding) {
  EXPECT_EQ(NormalizeReply("ＹＥＳ"), "yes");  // full-width
  EXPECT_EQ(NormalizeReply("Straße"), "strasse");
  EXPECT_EQ(NormalizeReply("\uFB01ne"), "fine");  // "ﬁ" ligature
  EXPECT_EQ(NormalizeReply("①"), "1");
  // Invisible format characters are dropped: zero-width space, byte-order mark, and the
  // emoji variation selector (so "✔️" and "✔" are the same reply).
  EXPECT_EQ(NormalizeReply("ye\u200Bs"), "yes");
  EXPECT_EQ(NormalizeReply("\uFEFFyes"), "yes");
  EXPECT_EQ(NormalizeReply("\u2714\uFE0F"), "\u2714");
}

TEST(NormalizeReply, TrimsWhitespaceAndCollapsesInnerRuns) {
  EXPECT_EQ(NormalizeReply("  yes \n"), "yes");
  EXPECT_EQ(NormalizeReply("not \t  now"), "not now");
  EXPECT_EQ(NormalizeReply("not\r\nnow"), "not now");
  EXPECT_EQ(NormalizeReply("not\u00A0now"), "not now");                // no-break space
  EXPECT_EQ(NormalizeReply("claro \t que\u3000 sí"), "claro que sí");  // ideographic space
  EXPECT_EQ(NormalizeReply("\u2003sí\u2028"), "sí");                   // em space, line separator
  EXPECT_EQ(NormalizeReply(" \t\r\n "), "");
  EXPECT_EQ(NormalizeReply(""), "");
}

TEST(NormalizeReply, DropsPunctuationAndSymbolsAtTheEnds) {
  EXPECT_EQ(NormalizeReply("yes!!"), "yes");
  EXPECT_EQ(NormalizeReply("  YES!! "), "yes");
  EXPECT_EQ(NormalizeReply("'ok'"), "ok");
  EXPECT_EQ(NormalizeReply("\"no\""), "no");
  EXPECT_EQ(NormalizeReply("(yes)"), "yes");
  EXPECT_EQ(NormalizeReply("¡Sí!"), "sí");
  EXPECT_EQ(NormalizeReply("¿si?"), "si");
  EXPECT_EQ(NormalizeReply("«vale»"), "vale");
  EXPECT_EQ(NormalizeReply("yes\u2026"), "yes");      // ellipsis
  EXPECT_EQ(NormalizeReply("\u201Cok\u201D"), "ok");  // curly quotes
  EXPECT_EQ(NormalizeReply("~ok~"), "ok");
  EXPECT_EQ(NormalizeReply("$5+"), "5");
  EXPECT_EQ(NormalizeReply("<yes>"), "yes");
  EXPECT_EQ(NormalizeReply("si\u00B4"), "si");      // stray acute accent (Sk)
  EXPECT_EQ(NormalizeReply("€5"), "5");             // currency (Sc)
  EXPECT_EQ(NormalizeReply("\x01yes\x7f"), "yes");  // control characters
  EXPECT_EQ(NormalizeReply("...!?"), "");
  EXPECT_EQ(NormalizeReply(" ! yes ! "), "yes");
}

TEST(NormalizeReply, KeepsInnerPunctuation) {
  EXPECT_EQ(NormalizeReply("O'Neil"), "o'neil");
  EXPECT_EQ(NormalizeReply("e-mail."), "e-mail");
  EXPECT_EQ(NormalizeReply("yes/no"), "yes/no");
  EXPECT_EQ(NormalizeReply("No, thanks!"), "no, thanks");
  EXPECT_EQ(NormalizeReply("a  .  b"), "a . b");
}

TEST(NormalizeReply, KeepsEmojiAndOtherSymbols) {
  EXPECT_EQ(NormalizeReply("👍"), "👍");
  EXPECT_EQ(NormalizeReply("👍!!"), "👍");
  EXPECT_EQ(NormalizeReply("¡👍"), "👍");
  EXPECT_EQ(NormalizeReply("✅"), "✅");
  EXPECT_EQ(NormalizeReply("❌ "), "❌");
  EXPECT_EQ(NormalizeReply("38°"), "38°");
  // A trailing skin-tone modifier is a modifier symbol (Sk) and goes: "👍🏽" reads as "👍".
  EXPECT_EQ(NormalizeReply("👍🏽"), "👍");
  EXPECT_EQ(NormalizeReply("👍🏽 ok"), "👍🏽 ok");
}

TEST(NormalizeReply, ReplacesInvalidUtf8) {
  EXPECT_EQ(NormalizeReply("a\xff"), "a\uFFFD");
  EXPECT_EQ(NormalizeReply("\xff"), "\uFFFD");
  EXPECT_EQ(NormalizeReply("S\xC3"), "s\uFFFD");                        // truncated sequence
  EXPECT_EQ(NormalizeReply("\xC3\xA9\xC0\xAF"), "é\uFFFD\uFFFD");       // overlong '/'
  EXPECT_EQ(NormalizeReply("x\xED\xA0\x80y"), "x\uFFFD\uFFFD\uFFFDy");  // UTF-8 surrogate
  EXPECT_EQ(NormalizeReply("YES\xF5!"), "yes\uFFFD");
  EXPECT_EQ(NormalizeReply(std::string("n\0o", 3)), std::string("n\0o", 3));  // NUL is data
}

// The ASCII fast path and the ICU path must classify every ASCII character the same way.
TEST(NormalizeReply, AsciiFastPathAgreesWithUnicodePath) {
  for (int c = 0; c < 128; ++c) {
    const std::string ch(1, static_cast<char>(c));
    SCOPED_TRACE("character " + std::to_string(c));
    // At the ends: trimmed on one path iff on the other ("é" forces the ICU path).
    const bool trimmed_ascii = NormalizeReply(ch + "a").size() == 1;
    const bool trimmed_unicode = NormalizeReply(ch + "é") == "é";
    EXPECT_EQ(trimmed_ascii, trimmed_unicode);
    EXPECT_EQ(NormalizeReply("a" + ch).size() == 1, NormalizeReply("é" + ch) == "é");
    // Inside: kept, lower-cased or turned into a space identically.
    const std::string ascii = NormalizeReply("a" + ch + "b");
    const std::string unicode = NormalizeReply("é" + ch + "b");
    EXPECT_EQ("é" + ascii.substr(1), unicode);
    // Every printable ASCII character that is not a letter or digit is trimmed.
    const bool alnum = std::isalnum(c) != 0;
    EXPECT_EQ(trimmed_ascii, !alnum);
  }
}

TEST(NormalizeReply, NeverFailsOnArbitraryBytes) {
  std::mt19937 rng(20261124);
  const std::string alphabet[] = {"a",      "Y",      " ",    "!",    "¡",        "é",
                                  "👍",      "\xff",   "\xC3", "\x80", "\xED\xA0", "\xF0\x9F",
                                  "\u0301", "\uFE0F", "\t",   "\0"};
  for (int round = 0; round < 2000; ++round) {
    std::string input;
    const int parts = static_cast<int>(rng() % 12);
    for (int k = 0; k < parts; ++k) {
      if (rng() % 4 == 0) {
        input += static_cast<char>(rng() % 256);
      } else {
        input += alphabet[rng() % std::size(alphabet)];
      }
    }
    const std::string once = NormalizeReply(input);
    ASSERT_TRUE(IsValidUtf8(once)) << testing::PrintToString(input);
    EXPECT_EQ(NormalizeReply(once), once) << testing::PrintToString(input);  // idempotent
  }
  const std::string long_input(100000, 'A');
  EXPECT_EQ(NormalizeReply(long_input), std::string(100000, 'a'));
}

TEST(NormalizeReply, HugeInputIsCutAt16MiB) {
  // Far beyond any message; the cap keeps ICU's int32_t lengths safe after folding expands.
  constexpr size_t kCap = size_t{16} << 20;
  EXPECT_EQ(NormalizeReply(std::string(kCap + 100, 'a')).size(), kCap);
  // U+FDFA folds to 18 characters (33 bytes): a large input of it must not overflow.
  std::string expanding;
  for (int i = 0; i < 100000; ++i) {
    expanding += "ﷺ";
  }
  EXPECT_GT(NormalizeReply(expanding).size(), expanding.size() * 10);
}

// ----------------------------------------------------------------------------------------------
// IsYes / IsNo
// ----------------------------------------------------------------------------------------------

// The built-in sets, as documented in text.cpp.
const char* const kYesWords[] = {"absolutely",
                                 "affirmative",
                                 "all right",
                                 "alright",
                                 "bueno",
                                 "certainly",
                                 "claro",
                                 "claro que si",
                                 "claro que sí",
                                 "correct",
                                 "correcto",
                                 "dale",
                                 "de acuerdo",
                                 "definitely",
                                 "esta bien",
                                 "está bien",
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
                                 "sí",
                                 "sí claro",
                                 "sí por favor",
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
                                 "☑",
                                 "✅",
                                 "✓",
                                 "✔",
                                 "🆗",
                                 "👌",
                                 "👍"};
const char* const kNoWords[] = {"ahora no",    "aun no",
                                "aún no",      "de ninguna manera",
                                "en absoluto", "mejor no",
                                "n",           "nah",
                                "negative",    "nel",
                                "never",       "no",
                                "no gracias",  "no por ahora",
                                "no quiero",   "no thank you",
                                "no thanks",   "no way",
                                "nop",         "nope",
                                "not now",     "not really",
                                "nunca",       "para nada",
                                "todavia no",  "todavía no",
                                "✖",           "✗",
                                "❌",           "❎",
                                "👎",           "🚫"};

TEST(YesNo, EveryListedWordMatchesItsOwnSetOnly) {
  for (const char* word : kYesWords) {
    EXPECT_EQ(NormalizeReply(word), word) << "not in normalized form: " << word;
    EXPECT_TRUE(IsYes(word)) << word;
    EXPECT_FALSE(IsNo(word)) << word;
  }
  for (const char* word : kNoWords) {
    EXPECT_EQ(NormalizeReply(word), word) << "not in normalized form: " << word;
    EXPECT_TRUE(IsNo(word)) << word;
    EXPECT_FALSE(IsYes(word)) << word;
  }
}

TEST(YesNo, EnglishVariants) {
  for (const char* yes :
       {"Yes", "YES!", "y", "Y.", " yeah ", "Yep!", "Sure", "OK", "Okay.", "Of course!",
        "Absolutely", "yes please", "Yes, please", "O.K.", "ＹＥＳ"}) {
    EXPECT_TRUE(IsYes(yes)) << yes;
    EXPECT_FALSE(IsNo(yes)) << yes;
  }
  for (const char* no : {"No", "NO!", "n", "Nope", "nah", "Not now", "No thanks", "No, thanks!",
                         "No,thanks", "no - thanks", "No thank you."}) {
    EXPECT_TRUE(IsNo(no)) << no;
    EXPECT_FALSE(IsYes(no)) << no;
  }
}

TEST(YesNo, SpanishVariants) {
  for (const char* yes :
       {"sí", "Sí", "SÍ", "si", "Si", "¡Sí!", "¿si?", "claro", "Claro que sí", "dale", "Vale",
        "Por supuesto", "Sí, claro", "Sí, por favor", "si\u0301", "Está bien"}) {
    EXPECT_TRUE(IsYes(yes)) << yes;
    EXPECT_FALSE(IsNo(yes)) << yes;
  }
  for (const char* no : {"no", "No gracias", "No, gracias.", "nunca", "Todavía no", "ahora no",
                         "Para nada", "¡No!"}) {
    EXPECT_TRUE(IsNo(no)) << no;
    EXPECT_FALSE(IsYes(no)) << no;
  }
}

TEST(YesNo, Emoji) {
  for (const char* yes : {"👍", "👍🏽", "👍🏻!", "✅", "✔️", "✔", "👌", "👍👍"}) {
    EXPECT_TRUE(IsYes(yes)) << yes;
    EXPECT_FALSE(IsNo(yes)) << yes;
  }
  for (const char* no : {"👎", "👎🏿", "❌", "❌❌"}) {
    EXPECT_TRUE(IsNo(no)) << no;
    EXPECT_FALSE(IsYes(no)) << no;
  }
}

TEST(YesNo, RepeatedLastLetter) {
  for (const char* yes : {"yesss", "Siii", "sii", "yeahhh", "okkk", "yupp"}) {
    EXPECT_TRUE(IsYes(yes)) << yes;
  }
  for (const char* no : {"nooo", "Noo!", "nopeee"}) {
    EXPECT_TRUE(IsNo(no)) << no;
  }
}

TEST(YesNo, NeitherForAnythingElse) {
  for (const char* neither :
       {"",        " ",        "!!",           "maybe",     "yes no", "yes/no",  "no yes",
        "Yes, no", "si no",    "sino",         "yesterday", "noon",   "nothing", "know",
        "síntoma", "not sure", "I don't know", "yess no",   "ok no",  "👍👎",      "🙂",
        "tal vez", "quizás",   "123",          "\xff",      "y\xffs"}) {
    EXPECT_FALSE(IsYes(neither)) << neither;
    EXPECT_FALSE(IsNo(neither)) << neither;
  }
}

// ----------------------------------------------------------------------------------------------
// ParseNumber
// ----------------------------------------------------------------------------------------------

TEST(ParseNumber, PlainNumbers) {
  EXPECT_EQ(ParseNumber("120"), 120);
  EXPECT_EQ(ParseNumber("0"), 0);
  EXPECT_EQ(ParseNumber("007"), 7);
  EXPECT_EQ(ParseNumber("5.5"), 5.5);
  EXPECT_EQ(ParseNumber("0.1"), 0.1);
  EXPECT_EQ(ParseNumber("3."), 3);
  EXPECT_EQ(ParseNumber("5.5.5"), 5.5);
  EXPECT_EQ(ParseNumber("1e5"), 1);  // nobody texts exponents
}

TEST(ParseNumber, DecimalComma) {
  EXPECT_EQ(ParseNumber("5,5"), 5.5);
  EXPECT_EQ(ParseNumber("12,75 kg"), 12.75);
  EXPECT_EQ(ParseNumber("1,00"), 1.0);
  EXPECT_EQ(ParseNumber("1,0000"), 1.0);  // four digits: not a thousands group
  EXPECT_EQ(ParseNumber("1,2345"), 1.2345);
  EXPECT_EQ(ParseNumber("5,"), 5);  // a comma with no digit after it ends the number
}

TEST(ParseNumber, ThousandsComma) {
  EXPECT_EQ(ParseNumber("1,000"), 1000);
  EXPECT_EQ(ParseNumber("12,345"), 12345);
  EXPECT_EQ(ParseNumber("1,000,000"), 1000000);
  EXPECT_EQ(ParseNumber("1,000.5"), 1000.5);
  EXPECT_EQ(ParseNumber("$1,500 total"), 1500);
  EXPECT_EQ(ParseNumber("1,000,5"), 1000.5);  // a group, then a decimal comma
}

TEST(ParseNumber, SignOnlyWhenAttached) {
  EXPECT_EQ(ParseNumber("-3"), -3);
  EXPECT_EQ(ParseNumber("-3,5"), -3.5);
  EXPECT_EQ(ParseNumber("it is -3 outside"), -3);
  EXPECT_EQ(ParseNumber("- 3"), 3);
  EXPECT_EQ(ParseNumber("+5"), 5);
  EXPECT_EQ(ParseNumber("120-130"), 120);
  EXPECT_EQ(ParseNumber("555-1234"), 555);
}

TEST(ParseNumber, LeadingPoint) {
  EXPECT_EQ(ParseNumber(".5"), 0.5);
  EXPECT_EQ(ParseNumber("-.5"), -0.5);
  EXPECT_EQ(ParseNumber("about .25 ml"), 0.25);
}

TEST(ParseNumber, FirstNumberInText) {
  EXPECT_EQ(ParseNumber("120 mg/dl"), 120);
  EXPECT_EQ(ParseNumber("120mg/dl"), 120);
  EXPECT_EQ(ParseNumber("it was 95 today"), 95);
  EXPECT_EQ(ParseNumber("bp 120/80"), 120);
  EXPECT_EQ(ParseNumber("took 2 of 3"), 2);
  EXPECT_EQ(ParseNumber("glucosa: 5,5 mmol/L"), 5.5);
  EXPECT_EQ(ParseNumber("\xff\xfe"
                        "42\xff"),
            42);  // invalid UTF-8 around it is ignored
}

TEST(ParseNumber, NoNumber) {
  EXPECT_EQ(ParseNumber(""), std::nullopt);
  EXPECT_EQ(ParseNumber("abc"), std::nullopt);
  EXPECT_EQ(ParseNumber("-"), std::nullopt);
  EXPECT_EQ(ParseNumber("."), std::nullopt);
  EXPECT_EQ(ParseNumber(",,"), std::nullopt);
  EXPECT_EQ(ParseNumber("one hundred"), std::nullopt);
  EXPECT_EQ(ParseNumber("１２０"), std::nullopt);               // only ASCII digits count
  EXPECT_EQ(ParseNumber(std::string(400, '9')), std::nullopt);  // beyond a double
}

TEST(ParseNumber, LongButFiniteNumbers) {
  EXPECT_EQ(ParseNumber(std::string(300, '9')), 1e300);
  EXPECT_EQ(ParseNumber("0." + std::string(400, '0') + "1"), 0.0);  // underflows to zero
}

// ----------------------------------------------------------------------------------------------
// ParseDuration
// ----------------------------------------------------------------------------------------------

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
