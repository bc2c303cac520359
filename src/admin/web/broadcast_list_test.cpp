// Issue 11: a broadcast's list as pasted or uploaded (broadcast_list.hpp) and the
// multipart/form-data upload it comes in (multipart.hpp): CSV quotes, a byte order mark,
// CRLF line ends, a header naming the name and field columns, invalid lines with their line
// numbers and why, repeated numbers, and the limits.
#include "admin/web/broadcast_list.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admin/web/multipart.hpp"
#include "test/support/status_testing.hpp"

namespace parley::admin::web {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Lines(const BroadcastList& list) {
  std::vector<std::string> out;
  for (const auto& e : list.valid) {
    out.push_back(std::to_string(e.line) + " " + e.address + " [" + e.name + "] " + e.fields_json);
  }
  return out;
}
std::vector<std::string> Invalid(const BroadcastList& list) {
  std::vector<std::string> out;
  for (const auto& i : list.invalid) {
    out.push_back(std::to_string(i.line) + ": " + i.reason);
  }
  return out;
}

TEST(BroadcastListTest, APastedListIsNumberAndOptionalName) {
  ASSERT_OK_AND_ASSIGN(BroadcastList list,
                       ParseBroadcastList("+14155550101\n(415) 555-0102, Bob \n\n"
                                          "whatsapp:+14155550103,Cid\n"));
  EXPECT_THAT(Lines(list), ElementsAre("1 +14155550101 [] {}", "2 +14155550102 [Bob] {}",
                                       "4 whatsapp:+14155550103 [Cid] {}"));
  EXPECT_TRUE(list.invalid.empty());
}

TEST(BroadcastListTest, ACsvWithBomCrlfQuotesAndAHeaderNamingFields) {
  const std::string csv =
      "\xEF\xBB\xBFphone,Name,city,note\r\n"
      "+14155550101,\"Ana, the first\",Lima,\"said \"\"hi\"\"\"\r\n"
      "+14155550102,Bob,,\"two\r\nlines\"\r\n"
      "+14155550103,,Cusco,\r\n";
  ASSERT_OK_AND_ASSIGN(BroadcastList list, ParseBroadcastList(csv));
  EXPECT_THAT(Lines(list),
              ElementsAre(R"(2 +14155550101 [Ana, the first] {"city":"Lima","note":"said \"hi\""})",
                          "3 +14155550102 [Bob] {\"note\":\"two\\r\\nlines\"}",
                          // the quoted line break moved the next record to line 5
                          "5 +14155550103 [] {\"city\":\"Cusco\"}"));
  EXPECT_TRUE(list.invalid.empty());
}

TEST(BroadcastListTest, InvalidLinesSayWhereAndWhy) {
  ASSERT_OK_AND_ASSIGN(BroadcastList list,
                       ParseBroadcastList("+14155550101\n"
                                          "12345\n"
                                          "call me\n"
                                          ",Nobody\n"
                                          "+1 415 555 0101\n"
                                          "+14155550104,Dee,extra\n" +
                                          ("+14155550105," + std::string(201, 'x') + "\n")));
  EXPECT_THAT(Lines(list), ElementsAre("1 +14155550101 [] {}"));
  EXPECT_THAT(Invalid(list),
              ElementsAre("2: not a phone number", "3: not a phone number",
                          "4: no number in the first column", "5: the number repeats line 1",
                          "6: more than two columns (name them in a header line)",
                          "7: the name is longer than 200 bytes"));
}

TEST(BroadcastListTest, RefusesTextThatCannotBeRead) {
  EXPECT_EQ(ParseBroadcastList("+14155550101,\"open\n").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseBroadcastList("+1415555\xff").status().code(), StatusCode::kInvalidArgument);
  std::string many;
  for (size_t i = 0; i <= kMaxBroadcastLines; ++i) many += "+14155550101\n";
  EXPECT_THAT(ParseBroadcastList(many).status().message(), ::testing::HasSubstr("at most"));
}

TEST(MultipartTest, SplitsAFormWithAFile) {
  EXPECT_EQ(MultipartBoundary("multipart/form-data; boundary=----x1"), "----x1");
  EXPECT_EQ(MultipartBoundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b");
  EXPECT_FALSE(MultipartBoundary("application/x-www-form-urlencoded"));
  EXPECT_FALSE(MultipartBoundary("multipart/form-data"));
  const std::string body =
      "--XB\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok\r\n"
      "--XB\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\n"
      "Content-Type: text/csv\r\n\r\nphone\r\n+14155550101\r\n\r\n"
      "--XB--\r\n";
  ASSERT_OK_AND_ASSIGN(auto parts, ParseMultipart(body, "XB"));
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(FindPart(parts, "csrf")->body, "tok");
  EXPECT_EQ(FindPart(parts, "file")->filename, "list.csv");
  EXPECT_EQ(FindPart(parts, "file")->body, "phone\r\n+14155550101\r\n");
  EXPECT_EQ(FindPart(parts, "flow"), nullptr);
  EXPECT_FALSE(ParseMultipart("--XB\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx", "XB")
                   .ok());  // never closed
  EXPECT_FALSE(ParseMultipart("junk", "XB").ok());
  EXPECT_FALSE(ParseMultipart("--XB\r\nContent-Type: text/plain\r\n\r\nx\r\n--XB--", "XB").ok());
}

}  // namespace
}  // namespace parley::admin::web
