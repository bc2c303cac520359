#include "common/json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <regex>
#include <string>
#include <utility>

namespace parley::json {
namespace {

Value MustParse(std::string_view text) {
  auto v = Parse(text);
  EXPECT_TRUE(v.ok()) << testing::PrintToString(std::string(text)) << ": " << v.status().ToString();
  return v.ok() ? std::move(v).value() : Value();
}

// ----------------------------------------------------------------------------------------------
// Values
// ----------------------------------------------------------------------------------------------

TEST(JsonParse, Literals) {
  EXPECT_TRUE(MustParse("null").is_null());
  EXPECT_EQ(MustParse("true").type(), Type::kBool);
  EXPECT_TRUE(MustParse("true").as_bool());
  EXPECT_FALSE(MustParse("false").as_bool());
}

TEST(JsonParse, Numbers) {
  const std::pair<const char*, double> cases[] = {
      {"0", 0},
      {"-0", 0},
      {"7", 7},
      {"-12", -12},
      {"1.5", 1.5},
      {"-2.5e1", -25},
      {"1E2", 100},
      {"1e+2", 100},
      {"1e-2", 0.01},
      {"0.000", 0},
      {"10.25e-1", 1.025},
      {"1e308", 1e308},
      {"5e-324", 5e-324},
      {"123456789012345678", 123456789012345678.0},
  };
  for (const auto& [text, expected] : cases) {
    const Value v = MustParse(text);
    ASSERT_TRUE(v.is_number()) << text;
    EXPECT_EQ(v.as_number(), expected) << text;
  }
  EXPECT_TRUE(std::signbit(MustParse("-0").as_number()));
}

TEST(JsonParse, StringsAndEscapes) {
  EXPECT_EQ(MustParse(R"("")").as_string(), "");
  EXPECT_EQ(MustParse(R"("plain")").as_string(), "plain");
  EXPECT_EQ(MustParse(R"("\" \\ \/ \b \f \n \r \t")").as_string(), "\" \\ / \b \f \n \r \t");
  EXPECT_EQ(MustParse(R"("\u00e9\u00E9")").as_string(), "éé");
  EXPECT_EQ(MustParse(R"("\u20AC")").as_string(), "€");
  EXPECT_EQ(MustParse(R"("\ud83d\ude00")").as_string(), "😀");  // surrogate pair
  EXPECT_EQ(MustParse(R"("\u0000")").as_string(), std::string(1, '\0'));
  EXPECT_EQ(MustParse("\"sí 👍 \x7f\"").as_string(), "sí 👍 \x7f");  // raw UTF-8 and DEL
  EXPECT_EQ(MustParse("\"\xF4\x8F\xBF\xBF\"").as_string(), "\xF4\x8F\xBF\xBF");  // U+10FFFF
}

TEST(JsonParse, ArraysAndObjects) {
  const Value v = MustParse(R"({"a": [], "b": {}, "c": [1, "x", null, [true]], "d": {"e": {}}})");
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.as_object().size(), 4u);
  EXPECT_TRUE(v.Find("a")->is_array());
  EXPECT_TRUE(v.Find("a")->as_array().empty());
  EXPECT_TRUE(v.Find("b")->is_object());
  EXPECT_TRUE(v.Find("b")->as_object().empty());
  const Array& c = v.Find("c")->as_array();
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].as_number(), 1);
  EXPECT_EQ(c[1].as_string(), "x");
  EXPECT_TRUE(c[2].is_null());
  EXPECT_TRUE(c[3].as_array()[0].as_bool());
  EXPECT_TRUE(v.Find("d")->Find("e")->is_object());
  EXPECT_EQ(v.Find("missing"), nullptr);
  EXPECT_EQ(c[0].Find("a"), nullptr);  // Find on a non-object
}

TEST(JsonParse, WhitespaceAroundEverything) {
  const Value v = MustParse(" \t\r\n[ 1 ,\t2 ,\r\n{ \"k\" : \"v\" } ] \n");
  ASSERT_TRUE(v.is_array());
  ASSERT_EQ(v.as_array().size(), 3u);
  EXPECT_EQ(v.as_array()[2].Find("k")->as_string(), "v");
}

TEST(JsonParse, KeepsMemberOrderAndDuplicateKeys) {
  const Value v = MustParse(R"({"z": 1, "k": 2, "a": 3, "k": 4})");
  const Object& o = v.as_object();
  ASSERT_EQ(o.size(), 4u);
  EXPECT_EQ(o[0].first, "z");
  EXPECT_EQ(o[1].first, "k");
  EXPECT_EQ(o[2].first, "a");
  EXPECT_EQ(o[3].first, "k");
  EXPECT_EQ(o[3].second.as_number(), 4);
  EXPECT_EQ(v.Find("k")->as_number(), 2);  // the first one
  EXPECT_EQ(o[3].second.pos().col, 31u);   // the duplicate keeps its own position
}

TEST(JsonTypes, Names) {
  EXPECT_STREQ(TypeName(Type::kNull), "null");
  EXPECT_STREQ(TypeName(Type::kBool), "boolean");
  EXPECT_STREQ(TypeName(Type::kNumber), "number");
  EXPECT_STREQ(TypeName(Type::kString), "string");
  EXPECT_STREQ(TypeName(Type::kArray), "array");
  EXPECT_STREQ(TypeName(Type::kObject), "object");
  EXPECT_EQ(MustParse("[]").type(), Type::kArray);
  EXPECT_EQ(MustParse("{}").type(), Type::kObject);
  EXPECT_EQ(MustParse("\"\"").type(), Type::kString);
  EXPECT_EQ(MustParse("1").type(), Type::kNumber);
}

// ----------------------------------------------------------------------------------------------
// Positions
// ----------------------------------------------------------------------------------------------

TEST(JsonPositions, NestedValuesOnSeveralLines) {
  const Value v = MustParse(
      "{\n"
      "  \"a\": [1, -2.5e1, true, null],\n"
      "  \"b\": {\"c\": \"\\u00e9\\n\"},\n"
      "  \"d\":\n"
      "    [\n"
      "      {\"e\": false}\n"
      "    ]\n"
      "}");
  EXPECT_EQ(v.pos().line, 1u);
  EXPECT_EQ(v.pos().col, 1u);
  const Value& a = *v.Find("a");
  EXPECT_EQ(a.pos().line, 2u);
  EXPECT_EQ(a.pos().col, 8u);
  const Array& items = a.as_array();
  EXPECT_EQ(items[0].pos().col, 9u);
  EXPECT_EQ(items[1].pos().col, 12u);
  EXPECT_EQ(items[2].pos().col, 20u);
  EXPECT_EQ(items[3].pos().col, 26u);
  const Value& c = *v.Find("b")->Find("c");
  EXPECT_EQ(c.as_string(), "é\n");
  EXPECT_EQ(c.pos().line, 3u);
  EXPECT_EQ(c.pos().col, 14u);
  const Value& d = *v.Find("d");
  EXPECT_EQ(d.pos().line, 5u);
  EXPECT_EQ(d.pos().col, 5u);
  const Value& e = *d.as_array()[0].Find("e");
  EXPECT_EQ(d.as_array()[0].pos().line, 6u);
  EXPECT_EQ(d.as_array()[0].pos().col, 7u);
  EXPECT_EQ(e.pos().line, 6u);
  EXPECT_EQ(e.pos().col, 13u);
}

TEST(JsonPositions, ColumnsCountBytesAndCrLfEndsALine) {
  // "é" is two bytes, "👍" four: columns count bytes.
  const Value v = MustParse("[\"é\", \"👍\", 1]");
  EXPECT_EQ(v.as_array()[1].pos().col, 8u);
  EXPECT_EQ(v.as_array()[2].pos().col, 16u);
  const Value w = MustParse("[\r\n  1,\r\n  2]");
  EXPECT_EQ(w.as_array()[1].pos().line, 3u);
  EXPECT_EQ(w.as_array()[1].pos().col, 3u);
  // A newline inside a string literal is an error, so only whitespace newlines count, and an
  // escaped "\n" does not start a line.
  const Value x = MustParse("[\"a\\nb\",\n 2]");
  EXPECT_EQ(x.as_array()[1].pos().line, 2u);
}

TEST(JsonPositions, BuiltValuesHaveNoPosition) {
  const Value v = Value(Array{1, 2});
  EXPECT_EQ(v.pos().line, 0u);
  EXPECT_EQ(v.pos().col, 0u);
  Value w = 3;
  w.set_pos(Pos{4, 5});
  EXPECT_EQ(w.pos().line, 4u);
  EXPECT_EQ(w.pos().col, 5u);
  EXPECT_EQ(w, Value(3));  // equality ignores positions
}

// ----------------------------------------------------------------------------------------------
// Errors
// ----------------------------------------------------------------------------------------------

struct ErrorCase {
  std::string text;
  std::string message;
};

void ExpectErrors(const std::vector<ErrorCase>& cases) {
  const std::regex prefix(R"(^(\d+):(\d+): [\s\S]+)");
  for (const auto& [text, message] : cases) {
    Pos pos;
    const auto v = Parse(text, &pos);
    ASSERT_FALSE(v.ok()) << testing::PrintToString(text);
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(v.status().message(), message) << testing::PrintToString(text);
    // The position out-parameter agrees with the message.
    std::smatch m;
    ASSERT_TRUE(std::regex_match(v.status().message(), m, prefix)) << v.status().message();
    EXPECT_EQ(std::to_string(pos.line), m[1].str()) << testing::PrintToString(text);
    EXPECT_EQ(std::to_string(pos.col), m[2].str()) << testing::PrintToString(text);
  }
}

TEST(JsonErrors, EmptyAndTruncatedInput) {
  ExpectErrors({
      {"", "1:1: unexpected end of input, expected a value"},
      {"   ", "1:4: unexpected end of input, expected a value"},
      {"\n\n", "3:1: unexpected end of input, expected a value"},
      {"[", "1:2: unexpected end of input, expected a value"},
      {"[1", "1:3: unexpected end of input, expected ',' or ']'"},
      {"[1,", "1:4: unexpected end of input, expected a value"},
      {"{", "1:2: unexpected end of input, expected a member name"},
      {"{\"a\"", "1:5: expected ':' after member name \"a\""},
      {"{\"a\":", "1:6: unexpected end of input, expected a value"},
      {"{\"a\":1", "1:7: unexpected end of input, expected ',' or '}'"},
      {"{\"a\":1,", "1:8: unexpected end of input, expected a member name"},
  });
}

TEST(JsonErrors, Strings) {
  ExpectErrors({
      {"\"abc", "1:5: unterminated string"},
      {"\"abc\\", "1:6: unterminated string"},
      {"[\"a\nb\"]", "1:4: unterminated string (newline inside a string)"},
      {"\"a\tb\"", "1:3: control character 0x09 inside a string"},
      {std::string("\"a\0b\"", 5), "1:3: control character 0x00 inside a string"},
      {"\"\\x\"", "1:3: invalid escape \\x in string"},
      {"\"\\U0041\"", "1:3: invalid escape \\U in string"},
      {"\"\\'\"", "1:3: invalid escape \\' in string"},
      {"\"\\\xC3\xA9\"", "1:3: invalid escape: backslash followed by 0xC3"},
      {"\"\\\n\"", "1:3: invalid escape: backslash followed by 0x0A"},
      {"\"\\u12\"", "1:4: invalid \\u escape: expected 4 hex digits"},
      {"\"\\u12G4\"", "1:4: invalid \\u escape: expected 4 hex digits"},
      {"\"\\u", "1:4: invalid \\u escape: expected 4 hex digits"},
  });
}

TEST(JsonErrors, Surrogates) {
  ExpectErrors({
      {"\"\\ud800\"", "1:8: invalid \\u escape: unpaired surrogate"},
      {"\"\\udc00\"", "1:8: invalid \\u escape: unpaired surrogate"},
      {"\"\\ud800\\u0041\"", "1:14: invalid \\u escape: unpaired surrogate"},
      {"\"\\ud800\\ud800\"", "1:14: invalid \\u escape: unpaired surrogate"},
      {"\"\\ud800\\n\"", "1:8: invalid \\u escape: unpaired surrogate"},
      {"\"\\ud800\\u12\"", "1:10: invalid \\u escape: expected 4 hex digits"},
  });
}

TEST(JsonErrors, InvalidUtf8) {
  ExpectErrors({
      {"\"\xff\"", "1:2: invalid UTF-8 byte 0xFF in string"},
      {"\"ab\x80\"", "1:4: invalid UTF-8 byte 0x80 in string"},       // stray continuation byte
      {"\"\xC0\xAF\"", "1:2: invalid UTF-8 byte 0xC0 in string"},     // overlong, impossible lead
      {"\"\xE0\x80\xAF\"", "1:2: invalid UTF-8 sequence in string"},  // overlong
      {"\"\xED\xA0\x80\"", "1:2: invalid UTF-8 sequence in string"},  // surrogate
      {"\"\xF4\x90\x80\x80\"", "1:2: invalid UTF-8 sequence in string"},  // above U+10FFFF
      {"\"\xF5\x80\x80\x80\"", "1:2: invalid UTF-8 byte 0xF5 in string"},
      {"\"\xC3\"", "1:2: invalid UTF-8 sequence in string"},
      {"\"\xC3", "1:2: truncated UTF-8 sequence in string"},
      {"\xff", "1:1: unexpected character 0xFF, expected a value"},
      {"\xEF\xBB\xBF{}", "1:1: unexpected character 0xEF, expected a value"},  // byte-order mark
  });
}

TEST(JsonErrors, Numbers) {
  ExpectErrors({
      {"01", "1:2: invalid number: leading zeros are not allowed"},
      {"-01", "1:3: invalid number: leading zeros are not allowed"},
      {"00", "1:2: invalid number: leading zeros are not allowed"},
      {"-", "1:2: invalid number: expected a digit"},
      {"-a", "1:2: invalid number: expected a digit"},
      {"1.", "1:3: invalid number: expected a digit after '.'"},
      {"1.e5", "1:3: invalid number: expected a digit after '.'"},
      {"1e", "1:3: invalid number: expected a digit in the exponent"},
      {"1e+", "1:4: invalid number: expected a digit in the exponent"},
      {".5", "1:1: unexpected character '.', expected a value"},
      {"+1", "1:1: unexpected character '+', expected a value"},
      {"1e999", "1:6: number out of range"},
      {"[-1e999]", "1:8: number out of range"},
      {"NaN", "1:1: unexpected character 'N', expected a value"},
      {"Infinity", "1:1: unexpected character 'I', expected a value"},
      {"0x10", "1:2: unexpected content after the JSON value"},
  });
}

TEST(JsonErrors, LiteralsAndStructure) {
  ExpectErrors({
      {"\n\n  tru", "3:3: invalid literal, expected 'true'"},
      {"nul", "1:1: invalid literal, expected 'null'"},
      {"fals", "1:1: invalid literal, expected 'false'"},
      {"True", "1:1: unexpected character 'T', expected a value"},
      {"[1,]", "1:4: trailing comma before ']'"},
      {"[1,\n  ]", "2:3: trailing comma before ']'"},
      {"{\"a\":1,}", "1:8: trailing comma before '}'"},
      {"{\"a\":1,\n}", "2:1: trailing comma before '}'"},
      {"[,]", "1:2: unexpected character ',', expected a value"},
      {"[1 2]", "1:4: expected ',' or ']' after an array element, found '2'"},
      {"[1}", "1:3: expected ',' or ']' after an array element, found '}'"},
      {"{\"a\":1 \"b\":2}", "1:8: expected ',' or '}' after an object member, found '\"'"},
      {"{\"a\":1]", "1:7: expected ',' or '}' after an object member, found ']'"},
      {"{\"a\" 1}", "1:6: expected ':' after member name \"a\""},
      {"{1:2}", "1:2: expected a member name in double quotes, found '1'"},
      {"{'a':1}", "1:2: expected a member name in double quotes, found '''"},
      {"{a:1}", "1:2: expected a member name in double quotes, found 'a'"},
      {"{\"a\":}", "1:6: unexpected character '}', expected a value"},
      {"// comment\n{}", "1:1: unexpected character '/', expected a value"},
  });
}

TEST(JsonErrors, GarbageAfterTheValue) {
  ExpectErrors({
      {"[1] 2", "1:5: unexpected content after the JSON value"},
      {"{} x", "1:4: unexpected content after the JSON value"},
      {"1 2", "1:3: unexpected content after the JSON value"},
      {"\"a\" \"b\"", "1:5: unexpected content after the JSON value"},
      {"nulll", "1:5: unexpected content after the JSON value"},
      {"true\n\n]", "3:1: unexpected content after the JSON value"},
      {std::string("{}\0", 3), "1:3: unexpected content after the JSON value"},
  });
}

TEST(JsonErrors, ErrorPositionUntouchedOnSuccess) {
  Pos pos{7, 9};
  ASSERT_TRUE(Parse("[1]", &pos).ok());
  EXPECT_EQ(pos.line, 7u);
  EXPECT_EQ(pos.col, 9u);
}

// ----------------------------------------------------------------------------------------------
// Nesting limit
// ----------------------------------------------------------------------------------------------

std::string Nested(int depth, char open, char close, std::string_view inner = "") {
  std::string s;
  for (int i = 0; i < depth; ++i) {
    s += open;
    if (open == '{') {
      s += "\"a\":";
    }
  }
  s += inner;
  if (open == '{' && inner.empty()) {
    s += "1";
  }
  s.append(static_cast<size_t>(depth), close);
  return s;
}

TEST(JsonNesting, UpToMaxDepthIsFine) {
  EXPECT_TRUE(Parse(Nested(kMaxDepth, '[', ']')).ok());
  EXPECT_TRUE(Parse(Nested(kMaxDepth, '[', ']', "1")).ok());
  EXPECT_TRUE(Parse(Nested(kMaxDepth, '{', '}')).ok());
  // Depth counts arrays and objects together.
  EXPECT_TRUE(Parse(Nested(kMaxDepth / 2, '[', ']', Nested(kMaxDepth / 2, '{', '}'))).ok());
}

TEST(JsonNesting, DeeperIsAnErrorAtTheOpeningBracket) {
  const std::string message = "nesting deeper than " + std::to_string(kMaxDepth) + " levels";
  Pos pos;
  auto v = Parse(Nested(kMaxDepth + 1, '[', ']'), &pos);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "1:" + std::to_string(kMaxDepth + 1) + ": " + message);
  EXPECT_EQ(pos.col, static_cast<uint32_t>(kMaxDepth + 1));
  v = Parse(Nested(kMaxDepth + 1, '{', '}'));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find(message), std::string::npos);
}

TEST(JsonNesting, VeryDeepInputDoesNotOverflowTheStack) {
  for (const char open : {'[', '{'}) {
    std::string deep;
    for (int i = 0; i < 1000000; ++i) {
      deep += open;
      if (open == '{') {
        deep += "\"a\":";
      }
    }
    Pos pos;
    auto v = Parse(deep, &pos);
    ASSERT_FALSE(v.ok());
    EXPECT_NE(v.status().message().find("nesting deeper than 256"), std::string::npos);
    EXPECT_EQ(pos.line, 1u);
  }
}

// ----------------------------------------------------------------------------------------------
// Robustness: any bytes give a Result.
// ----------------------------------------------------------------------------------------------

TEST(JsonRobustness, RandomAndMutatedInputNeverCrash) {
  const std::string seeds[] = {
      R"({"flow": "x", "states": [{"name": "A", "enter": [{"send": "hi \u00e9"}]}]})",
      R"([1, -2.5e10, true, false, null, "\ud83d\ude00", {"a": {}}, []])",
  };
  const std::regex prefix(R"(^\d+:\d+: [\s\S]+)");
  constexpr std::string_view kInserted = "{}[]\",:\\u0e-+. \n";
  std::mt19937 rng(8259);
  for (int round = 0; round < 5000; ++round) {
    std::string text = seeds[rng() % std::size(seeds)];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !text.empty(); ++k) {
      const size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0:
          text[at] = static_cast<char>(rng() % 256);
          break;
        case 1:
          text.erase(at, 1 + rng() % 3);
          break;
        default:
          text.insert(at, 1, kInserted[rng() % kInserted.size()]);
      }
    }
    const auto v = Parse(text);
    if (!v.ok()) {
      EXPECT_TRUE(std::regex_match(v.status().message(), prefix)) << v.status().message();
    } else {
      // Whatever parses serializes to JSON that parses to the same value.
      const auto again = Parse(Serialize(*v));
      ASSERT_TRUE(again.ok()) << Serialize(*v);
      EXPECT_EQ(*again, *v);
    }
  }
}

// ----------------------------------------------------------------------------------------------
// Serialize, FormatNumber, ToDisplayString
// ----------------------------------------------------------------------------------------------

TEST(JsonSerialize, Compact) {
  EXPECT_EQ(Serialize(Value()), "null");
  EXPECT_EQ(Serialize(Value(true)), "true");
  EXPECT_EQ(Serialize(Value(false)), "false");
  EXPECT_EQ(Serialize(Value(3)), "3");
  EXPECT_EQ(Serialize(Value(Array{})), "[]");
  EXPECT_EQ(Serialize(Value(Object{})), "{}");
  EXPECT_EQ(Serialize(MustParse(" { \"a\" : [ 1 , 2.5 , { } ] , \"b\" : null } ")),
            R"({"a":[1,2.5,{}],"b":null})");
}

TEST(JsonSerialize, EscapesStrings) {
  EXPECT_EQ(Serialize(Value("a\"b\\c")), R"("a\"b\\c")");
  EXPECT_EQ(Serialize(Value("\n\r\t")), R"("\n\r\t")");
  EXPECT_EQ(Serialize(Value("\x01\b\f\x1f")), R"("\u0001\u0008\u000c\u001f")");
  EXPECT_EQ(Serialize(Value(std::string(1, '\0'))), R"("\u0000")");
  // No needless escaping: slash, DEL, HTML characters and UTF-8 pass through.
  EXPECT_EQ(Serialize(Value("a/b\x7f<>&'")), "\"a/b\x7f<>&'\"");
  EXPECT_EQ(Serialize(Value("sí 👍")), "\"sí 👍\"");
}

TEST(JsonSerialize, InvalidUtf8BecomesReplacementCharacter) {
  // A Lua script or a raw reply can put any bytes in a string; the output must still parse.
  EXPECT_EQ(Serialize(Value("a\xff"
                            "b")),
            "\"a\uFFFDb\"");
  EXPECT_EQ(Serialize(Value("\xC3")), "\"\uFFFD\"");
  EXPECT_EQ(Serialize(Value("\xED\xA0\x80")), "\"\uFFFD\uFFFD\uFFFD\"");
  const Value tricky = Object{{"k\xfe", "\xC0\xAF\xE0\x80 ok \xF0\x9F\x91\x8D"}};
  const auto back = Parse(Serialize(tricky));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->as_object()[0].second.as_string(), "\uFFFD\uFFFD\uFFFD\uFFFD ok 👍");
}

TEST(JsonSerialize, NonFiniteNumbersBecomeNull) {
  EXPECT_EQ(Serialize(Value(std::numeric_limits<double>::quiet_NaN())), "null");
  EXPECT_EQ(Serialize(Value(Array{std::numeric_limits<double>::infinity(), 1})), "[null,1]");
  EXPECT_EQ(Serialize(Value(-std::numeric_limits<double>::infinity())), "null");
}

TEST(JsonSerialize, RoundTrips) {
  const char* docs[] = {
      R"({"s":"a\"b\\c\n\u0001","n":[3,5.5,-0.25,1e+20],"t":true,"z":null,"o":{}})",
      R"([0.1,0.2,0.30000000000000004,1e-7,123456789.125,-1e308,5e-324,9007199254740993])",
      R"({"dup":1,"dup":2,"nested":[[[{"a":[{}]}]]],"emoji":"\ud83d\udc4d","esc":"\/"})",
  };
  for (const char* text : docs) {
    const Value v = MustParse(text);
    const std::string out = Serialize(v);
    const Value again = MustParse(out);
    EXPECT_EQ(v, again) << out;
    EXPECT_EQ(Serialize(again), out);  // serialization is stable
  }
  // Every ASCII character survives a round trip.
  std::string all;
  for (int c = 0; c < 128; ++c) {
    all += static_cast<char>(c);
  }
  EXPECT_EQ(MustParse(Serialize(Value(all))).as_string(), all);
}

TEST(JsonFormatNumber, IntegersWithoutFraction) {
  EXPECT_EQ(FormatNumber(3), "3");
  EXPECT_EQ(FormatNumber(0), "0");
  EXPECT_EQ(FormatNumber(-0.0), "0");
  EXPECT_EQ(FormatNumber(-3), "-3");
  EXPECT_EQ(FormatNumber(120.0), "120");
  EXPECT_EQ(FormatNumber(999999999999999.0), "999999999999999");
}

TEST(JsonFormatNumber, FractionsAndLargeNumbers) {
  EXPECT_EQ(FormatNumber(5.5), "5.5");
  EXPECT_EQ(FormatNumber(-0.25), "-0.25");
  EXPECT_EQ(FormatNumber(0.1), "0.1");
  EXPECT_EQ(FormatNumber(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(FormatNumber(0.1 + 0.2), "0.30000000000000004");  // shortest exact form
  EXPECT_EQ(FormatNumber(1e20), "1e+20");
  EXPECT_EQ(FormatNumber(1e15), "1e+15");
  EXPECT_EQ(FormatNumber(1e-7), "1e-07");
  // Whatever it prints reads back as the same double.
  for (const double d : {1.0 / 7, 6.02214076e23, -1e-300, 123456.789, 2.5e15 + 1}) {
    EXPECT_EQ(std::stod(FormatNumber(d)), d) << FormatNumber(d);
  }
}

TEST(JsonDisplayString, ScalarsAsTextContainersAsJson) {
  EXPECT_EQ(ToDisplayString(Value("x")), "x");
  EXPECT_EQ(ToDisplayString(Value("a \"quoted\"\nline")), "a \"quoted\"\nline");  // as is
  EXPECT_EQ(ToDisplayString(Value(nullptr)), "");
  EXPECT_EQ(ToDisplayString(Value(true)), "true");
  EXPECT_EQ(ToDisplayString(Value(false)), "false");
  EXPECT_EQ(ToDisplayString(Value(42)), "42");
  EXPECT_EQ(ToDisplayString(Value(5.5)), "5.5");
  EXPECT_EQ(ToDisplayString(Value(Array{1, "a"})), R"([1,"a"])");
  EXPECT_EQ(ToDisplayString(Value(Object{{"k", Array{}}})), R"({"k":[]})");
}

// ----------------------------------------------------------------------------------------------
// Value construction and mutation
// ----------------------------------------------------------------------------------------------

TEST(JsonValue, ConstructorsAndEquality) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_TRUE(Value(nullptr).is_null());
  EXPECT_EQ(Value(2), Value(2.0));
  EXPECT_EQ(Value(int64_t{1} << 40), Value(static_cast<double>(int64_t{1} << 40)));
  EXPECT_EQ(Value("s"), Value(std::string("s")));
  EXPECT_NE(Value("1"), Value(1));
  EXPECT_NE(Value(true), Value(1));
  EXPECT_NE(Value(Array{}), Value(Object{}));
  EXPECT_EQ(MustParse(R"({"a":[1,{"b":null}]})"),
            Value(Object{{"a", Array{1, Object{{"b", nullptr}}}}}));
  EXPECT_NE(MustParse(R"({"a":1,"b":2})"), MustParse(R"({"b":2,"a":1})"));  // order matters
}

TEST(JsonValue, ObjectMutators) {
  Value o = Object{};
  o.Set("a", 1);
  o.Set("a", 2);
  o.Set("b", "x");
  EXPECT_EQ(Serialize(o), R"({"a":2,"b":"x"})");
  EXPECT_TRUE(o.Erase("a"));
  EXPECT_FALSE(o.Erase("a"));
  EXPECT_EQ(Serialize(o), R"({"b":"x"})");
}

TEST(JsonValue, MutatorsWithDuplicateKeys) {
  Value o = MustParse(R"({"k":1,"x":0,"k":2})");
  o.Set("k", 3);  // replaces the first only
  EXPECT_EQ(Serialize(o), R"({"k":3,"x":0,"k":2})");
  EXPECT_TRUE(o.Erase("k"));  // removes every one
  EXPECT_EQ(Serialize(o), R"({"x":0})");
}

TEST(JsonValue, EraseOnANonObjectRemovesNothing) {
  Value n = 3;
  EXPECT_FALSE(n.Erase("a"));
  Value a = Array{1};
  EXPECT_FALSE(a.Erase("a"));
  EXPECT_EQ(a, Value(Array{1}));
}

TEST(JsonValue, MutableAccessors) {
  Value v = MustParse(R"({"list":[1]})");
  v.as_object()[0].second.as_array().emplace_back("two");
  EXPECT_EQ(Serialize(v), R"({"list":[1,"two"]})");
}

}  // namespace
}  // namespace parley::json
