#include "flow/json.hpp"

#include <gtest/gtest.h>

namespace parley::json {
namespace {

TEST(Json, ParsesAllTypesWithPositions) {
  auto v = Parse("{\n  \"a\": [1, -2.5e1, true, null],\n  \"b\": {\"c\": \"\\u00e9\\n\"}\n}");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->pos().line, 1u);
  const Value& a = *v->Find("a");
  EXPECT_EQ(a.pos().line, 2u);
  EXPECT_EQ(a.pos().col, 8u);
  EXPECT_EQ(a.as_array()[1].as_number(), -25);
  EXPECT_EQ(a.as_array()[1].pos().col, 12u);
  EXPECT_TRUE(a.as_array()[2].as_bool());
  EXPECT_TRUE(a.as_array()[3].is_null());
  const Value& c = *v->Find("b")->Find("c");
  EXPECT_EQ(c.as_string(), "é\n");
  EXPECT_EQ(c.pos().line, 3u);
  EXPECT_EQ(c.pos().col, 14u);
}

TEST(Json, KeepsDuplicateKeysInOrder) {
  auto v = Parse(R"({"k": 1, "k": 2})");
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->as_object().size(), 2u);
  EXPECT_EQ(v->Find("k")->as_number(), 1);
}

TEST(Json, ErrorsCarryLineAndColumn) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "1:1: unexpected end of input, expected a value"},
      {"[1,]", "1:4: trailing comma before ']'"},
      {"{\"a\":1,}", "1:8: trailing comma before '}'"},
      {"\"abc", "1:5: unterminated string"},
      {"\"\\x\"", "1:3: invalid escape \\x in string"},
      {"01", "1:2: invalid number: leading zeros are not allowed"},
      {"[1] 2", "1:5: unexpected content after the JSON value"},
      {"{\"a\" 1}", "1:6: expected ':' after member name \"a\""},
      {"\"\\ud800\"", "1:8: invalid \\u escape: unpaired surrogate"},
      {"\"\xff\"", "1:2: invalid UTF-8 byte 0xFF in string"},
      {"\n\n  tru", "3:3: invalid literal, expected 'true'"},
      {"1e999", "1:6: number out of range"},
  };
  for (const auto& [text, message] : cases) {
    auto v = Parse(text);
    ASSERT_FALSE(v.ok()) << text;
    EXPECT_EQ(v.status().message(), message) << text;
  }
}

TEST(Json, DeepNestingIsAnErrorNotACrash) {
  const std::string deep(100000, '[');
  Pos pos;
  auto v = Parse(deep, &pos);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("nesting deeper than 256"), std::string::npos);
  EXPECT_EQ(pos.line, 1u);
}

TEST(Json, SerializesCompactlyAndRoundTrips) {
  const char* text = R"({"s":"a\"b\\c\n\u0001","n":[3,5.5,-0.25,1e+20],"t":true,"z":null,"o":{}})";
  auto v = Parse(text);
  ASSERT_TRUE(v.ok());
  const std::string out = Serialize(*v);
  auto again = Parse(out);
  ASSERT_TRUE(again.ok()) << out;
  EXPECT_EQ(*v, *again);
  EXPECT_EQ(FormatNumber(3), "3");
  EXPECT_EQ(FormatNumber(5.5), "5.5");
  EXPECT_EQ(FormatNumber(-0.25), "-0.25");
  EXPECT_EQ(ToDisplayString(Value("x")), "x");
  EXPECT_EQ(ToDisplayString(Value(nullptr)), "");
  EXPECT_EQ(ToDisplayString(Value(Array{1, "a"})), R"([1,"a"])");
}

TEST(Json, ObjectMutators) {
  Value o = Object{};
  o.Set("a", 1);
  o.Set("a", 2);
  o.Set("b", "x");
  EXPECT_EQ(Serialize(o), R"({"a":2,"b":"x"})");
  EXPECT_TRUE(o.Erase("a"));
  EXPECT_FALSE(o.Erase("a"));
  EXPECT_EQ(Serialize(o), R"({"b":"x"})");
}

}  // namespace
}  // namespace parley::json
