#include "common/dotenv.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley {
namespace {

using ::testing::HasSubstr;

TEST(Dotenv, ParsesTheFormsLimaUses) {
  auto entries = ParseDotenv(
      "# Twilio\n"
      "TWILIO_ACCOUNT_SID=AC123\n"
      "  export TWILIO_AUTH_TOKEN = 'abc$def'  \n"
      "\n"
      "PUBLIC_URL=https://x.example/#not-a-comment # but this is\n"
      "HELP=\"line one\\nsay \\\"hi\\\"\" # comment\n"
      "EMPTY=\n",
      ".env");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 5u);
  EXPECT_EQ((*entries)[0].key, "TWILIO_ACCOUNT_SID");
  EXPECT_EQ((*entries)[0].value, "AC123");
  EXPECT_EQ((*entries)[1].key, "TWILIO_AUTH_TOKEN");
  EXPECT_EQ((*entries)[1].value, "abc$def");
  EXPECT_EQ((*entries)[1].line, 3);
  EXPECT_EQ((*entries)[2].value, "https://x.example/#not-a-comment");
  EXPECT_EQ((*entries)[3].value, "line one\nsay \"hi\"");
  EXPECT_EQ((*entries)[4].value, "");
}

TEST(Dotenv, ErrorsNameTheLineAndNeverTheValue) {
  auto no_eq = ParseDotenv("A=1\nJUST_A_WORD\n", ".env");
  ASSERT_FALSE(no_eq.ok());
  EXPECT_EQ(no_eq.status().message(), ".env:2: expected KEY=VALUE");

  auto open_quote = ParseDotenv("SECRET_KEY=\"s3cr3t\n", "conf/.env");
  ASSERT_FALSE(open_quote.ok());
  EXPECT_THAT(open_quote.status().message(), HasSubstr("conf/.env:1: SECRET_KEY"));
  EXPECT_THAT(open_quote.status().message(), HasSubstr("unterminated double quote"));
  EXPECT_THAT(open_quote.status().message(), ::testing::Not(HasSubstr("s3cr3t")));

  auto bad_key = ParseDotenv("1KEY=x\n", ".env");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_THAT(bad_key.status().message(), HasSubstr("bad key '1KEY'"));

  auto trailing = ParseDotenv("K='v' extra\n", ".env");
  ASSERT_FALSE(trailing.ok());
  EXPECT_THAT(trailing.status().message(), HasSubstr("after the closing quote"));
}

}  // namespace
}  // namespace parley
