#include "common/utf8.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(Utf8Test, ValidUnchanged) {
  const std::string s = "plain, \xC3\xA9t\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x91\x8D, \xEF\xBF\xBD";
  EXPECT_TRUE(IsValidUtf8(s));
  EXPECT_EQ(ToValidUtf8(s), s);
  EXPECT_EQ(ToValidUtf8(""), "");
}

TEST(Utf8Test, MaximalSubparts) {
  const std::string r = "\xEF\xBF\xBD";
  // Examples from the Unicode Standard, chapter 3 (U+FFFD substitution of maximal subparts).
  EXPECT_EQ(ToValidUtf8("\xC0\xAF"), r + r);                  // overlong lead never valid
  EXPECT_EQ(ToValidUtf8("\xE0\x80\xAF"), r + r + r);          // E0 needs A0..BF next
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80"), r + r + r);          // surrogate
  EXPECT_EQ(ToValidUtf8("\xF4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(ToValidUtf8("\xF5"), r);
  EXPECT_EQ(ToValidUtf8("\x80"), r);
  EXPECT_EQ(ToValidUtf8("\xE1\x80"), r);            // truncated 3-byte: one subpart
  EXPECT_EQ(ToValidUtf8("\xF1\x80\x80"), r);        // truncated 4-byte: one subpart
  EXPECT_EQ(ToValidUtf8("\xE1\x80\x41"), r + "A");  // cut short by an ASCII byte
  EXPECT_EQ(ToValidUtf8("\xF1\x80\xC3\xA9"), r + "\xC3\xA9");
  EXPECT_EQ(ToValidUtf8("a\xFF"
                        "b"),
            "a" + r + "b");
  // The Unicode Standard's Table 3-8 example: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64
  EXPECT_EQ(ToValidUtf8("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            "a" + r + r + r + "b" + r + "c" + r + r + "d");
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));
}

TEST(Utf8Test, AppendUtf8EncodesEveryLength) {
  std::string out;
  AppendUtf8(out, 0x41);
  AppendUtf8(out, 0xE9);
  AppendUtf8(out, 0x20AC);
  AppendUtf8(out, 0x1F44D);
  EXPECT_EQ(out, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x91\x8D");
  EXPECT_TRUE(IsValidUtf8(out));
}

TEST(Utf8Test, SequenceAtReportsLengthsAndSubparts) {
  size_t subpart = 0;
  EXPECT_EQ(Utf8SequenceAt("\xE2\x82\xAC", 0, &subpart), 3u);
  EXPECT_EQ(Utf8SequenceAt("\xE2\x82", 0, &subpart), 0u);
  EXPECT_EQ(subpart, 2u);
  EXPECT_EQ(Utf8SequenceAt("\xFF", 0, &subpart), 0u);
  EXPECT_EQ(subpart, 1u);
}

}  // namespace
// Issue 8 item 9: PostgreSQL's text cannot hold U+0000; both stores get it as U+FFFD.
TEST(Utf8Test, StorableTextReplacesNulLikeAnIllFormedByte) {
  using namespace std::string_literals;
  const std::string r(kReplacementChar);
  EXPECT_TRUE(IsStorableText("plain caf\xC3\xA9"));
  EXPECT_FALSE(IsStorableText("a\0b"s));
  EXPECT_FALSE(IsStorableText("\xFF"));
  EXPECT_EQ(ToStorableText("a\0b"s), "a" + r + "b");
  EXPECT_EQ(ToStorableText("\0\0"s), r + r);
  EXPECT_EQ(ToStorableText("\0\xFFz"s), r + r + "z");
  EXPECT_EQ(ToStorableText("ok"), "ok");
  EXPECT_TRUE(IsStorableText(ToStorableText("x\0\xC0\xAF\0"s)));
}

}  // namespace parley
