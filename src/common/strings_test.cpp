#include "common/strings.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsSubstitutions) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("is_user_reply_yse", "is_user_reply_yes"), 1u);  // transposition
  EXPECT_EQ(EditDistance("sned", "send"), 1u);
}

TEST(ClosestMatch, SuggestsOnlyPlausibleTypos) {
  const std::vector<std::string> names = {"is_user_reply_yes", "is_user_reply_no", "ask_name"};
  EXPECT_EQ(ClosestMatch("is_user_reply_yse", names), "is_user_reply_yes");
  EXPECT_EQ(ClosestMatch("ask_nam", names), "ask_name");
  EXPECT_EQ(ClosestMatch("completely_different", names), "");
}

TEST(TrimAscii, TrimsBothEnds) {
  EXPECT_EQ(TrimAscii("  a b \r\n"), "a b");
  EXPECT_EQ(TrimAscii("   "), "");
}

}  // namespace
}  // namespace parley
