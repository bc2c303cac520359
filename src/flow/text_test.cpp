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

}  // namespace
}  // namespace parley::flow
