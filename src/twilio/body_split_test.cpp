#include "twilio/body_split.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace parley::twilio {
namespace {

using ::testing::ElementsAre;

// Issue 9 (delivery): bodies over Twilio's 1,600 characters go out as several messages.

std::string Words(size_t count, std::string_view word) {
  std::string out;
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) {
      out += ' ';
    }
    out += word;
  }
  return out;
}

TEST(BodySplitTest, CountsCodePointsNotBytes) {
  EXPECT_EQ(CountChars(""), 0u);
  EXPECT_EQ(CountChars("abc"), 3u);
  EXPECT_EQ(CountChars("\xC3\xA9t\xC3\xA9"), 3u);  // "été"
  EXPECT_EQ(CountChars("\xF0\x9F\x91\x8D"), 1u);   // U+1F44D, one code point
  EXPECT_EQ(CountChars("\xFF\xFE"), 2u);           // ill-formed bytes count one each
}

TEST(BodySplitTest, ATextThatFitsIsOnePartAsItIs) {
  EXPECT_THAT(SplitBody(""), ElementsAre(""));
  EXPECT_THAT(SplitBody(" hi there "), ElementsAre(" hi there "));
  const std::string exact(kMaxBodyChars, 'x');
  EXPECT_THAT(SplitBody(exact), ElementsAre(exact));
}

TEST(BodySplitTest, CutsAtTheLastWordBoundaryWithinTheLimit) {
  EXPECT_THAT(SplitBody("one two three four", 9), ElementsAre("one two", "three", "four"));
  // A cut right after the limit's last character still fits: "abcd efgh" with limit 4.
  EXPECT_THAT(SplitBody("abcd efgh", 4), ElementsAre("abcd", "efgh"));
  // The whitespace run at a cut is dropped, newlines included.
  EXPECT_THAT(SplitBody("ab \n\n  cd", 3), ElementsAre("ab", "cd"));
}

TEST(BodySplitTest, AWordLongerThanTheLimitIsCutBetweenCodePoints) {
  EXPECT_THAT(SplitBody("abcdefghij", 4), ElementsAre("abcd", "efgh", "ij"));
  // Two-byte characters: never cut inside a sequence.
  EXPECT_THAT(SplitBody("\xC3\xA9\xC3\xA9\xC3\xA9", 2),
              ElementsAre("\xC3\xA9\xC3\xA9", "\xC3\xA9"));
  // An emoji is one character.
  const std::string thumbs = "\xF0\x9F\x91\x8D";
  EXPECT_THAT(SplitBody(thumbs + thumbs + thumbs, 2), ElementsAre(thumbs + thumbs, thumbs));
}

TEST(BodySplitTest, ALongReplyIsSplitIntoPartsOfAtMost1600CharactersInOrder) {
  // 400 five-letter words with spaces: 2,399 characters.
  std::string text;
  for (int i = 0; i < 400; ++i) {
    text += (i == 0 ? "" : " ") + std::string("w") + std::to_string(1000 + i);
  }
  const auto parts = SplitBody(text);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_LE(CountChars(parts[0]), kMaxBodyChars);
  EXPECT_LE(CountChars(parts[1]), kMaxBodyChars);
  EXPECT_EQ(parts[0] + " " + parts[1], text);
  EXPECT_TRUE(parts[1].starts_with("w1"));  // a whole word
  EXPECT_EQ(parts[0].size(), 1595u);        // 266 words of 5 and 265 spaces
}

TEST(BodySplitTest, AccentedTextIsMeasuredInCharacters) {
  // 1,600 "é" (3,200 bytes) are one part; 1,601 are two.
  std::string e;
  for (int i = 0; i < 1600; ++i) {
    e += "\xC3\xA9";
  }
  EXPECT_EQ(SplitBody(e).size(), 1u);
  EXPECT_EQ(SplitBody(e + "\xC3\xA9").size(), 2u);
}

TEST(BodySplitTest, ThePartsFollowTheTextSeparatedOnlyByTheDroppedWhitespace) {
  const std::string text = Words(700, "hello") + "\n\n" + Words(300, "world");
  const auto parts = SplitBody(text, 100);
  size_t pos = 0;
  auto skip_space = [&] {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n')) {
      ++pos;
    }
  };
  for (const auto& p : parts) {
    EXPECT_LE(CountChars(p), 100u);
    ASSERT_FALSE(p.empty());
    EXPECT_NE(p.front(), ' ');
    EXPECT_NE(p.back(), ' ');
    skip_space();
    ASSERT_EQ(text.substr(pos, p.size()), p);
    pos += p.size();
  }
  skip_space();
  EXPECT_EQ(pos, text.size());
  EXPECT_GE(parts.size(), 50u);  // 5,599 characters in parts of at most 100
}

}  // namespace
}  // namespace parley::twilio
