#include "common/json_tape.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace parley::json {
namespace {

// The tape refers to its text: tests keep both in one place.
struct Parsed {
  explicit Parsed(std::string t) : text(std::move(t)), tape(Tape::Parse(text)) {}
  std::string text;
  Result<Tape> tape;
  TapeValue root() const { return tape->root(); }
};

bool PointsInto(std::string_view view, const std::string& text) {
  return view.data() >= text.data() && view.data() + view.size() <= text.data() + text.size();
}

TEST(JsonTape, ScalarsAndTypes) {
  const Parsed p(R"([null, true, false, 0, -2.5e3, 1E2, "", "x"])");
  ASSERT_TRUE(p.tape.ok()) << p.tape.status().ToString();
  std::vector<TapeValue> v(p.root().elements().begin(), p.root().elements().end());
  ASSERT_EQ(v.size(), 8u);
  EXPECT_TRUE(v[0].is_null());
  EXPECT_TRUE(v[1].is_bool() && v[1].as_bool());
  EXPECT_TRUE(v[2].is_bool() && !v[2].as_bool());
  EXPECT_EQ(v[3].as_number(), 0);
  EXPECT_EQ(v[4].as_number(), -2500);
  EXPECT_EQ(v[5].as_number(), 100);
  EXPECT_EQ(v[6].as_string(), "");
  EXPECT_EQ(v[7].as_string(), "x");
  for (const TapeValue s : v) {
    EXPECT_EQ(s.size(), 0u);
    EXPECT_TRUE(s.empty());
    EXPECT_EQ(s.nested_count(), 0u);
    EXPECT_FALSE(s.Find("x").has_value());
  }
  EXPECT_EQ(p.tape->value_count(), 9u);
}

TEST(JsonTape, ContainersSkipWholeSubtrees) {
  const Parsed p(R"({"a": [1, [2, [3]], {"b": {}}], "c": {}, "d": [], "e": "f"})");
  ASSERT_TRUE(p.tape.ok());
  const TapeValue root = p.root();
  EXPECT_EQ(root.size(), 4u);
  EXPECT_EQ(root.nested_count(), p.tape->value_count() - 1);
  std::vector<std::string> keys;
  for (const auto& [key, value] : root.members()) {
    keys.emplace_back(key);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "c", "d", "e"}));
  const TapeValue a = *root.Find("a");
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a.nested_count(), 7u);  // 1, [2, [3]] (4 values), {"b": {}} (2 values)
  EXPECT_TRUE(root.Find("c")->is_object() && root.Find("c")->empty());
  EXPECT_TRUE(root.Find("d")->is_array() && root.Find("d")->empty());
  EXPECT_EQ(root.Find("e")->as_string(), "f");
  EXPECT_FALSE(root.Find("b").has_value());  // only direct members
  // A scalar or the wrong container kind iterates as empty.
  EXPECT_EQ(root.elements().begin(), root.elements().end());
  EXPECT_EQ(a.members().begin(), a.members().end());
}

TEST(JsonTape, DuplicateKeysStayAndFindReturnsTheFirst) {
  const Parsed p(R"({"k": 1, "z": 2, "k": 3})");
  ASSERT_TRUE(p.tape.ok());
  EXPECT_EQ(p.root().size(), 3u);
  EXPECT_EQ(p.root().Find("k")->as_number(), 1);
  std::vector<double> ks;
  for (const auto& [key, value] : p.root().members()) {
    if (key == "k") {
      ks.push_back(value.as_number());
    }
  }
  EXPECT_EQ(ks, (std::vector<double>{1, 3}));
}

TEST(JsonTape, PlainStringsAreViewsEscapedOnesAreDecoded) {
  const Parsed p(
      R"({"plain": "héllo", "esc\u0061ped": "a\"b\\c\/d\n\u00e9\ud83d\ude00", "e": "\u0000"})");
  ASSERT_TRUE(p.tape.ok());
  const auto members = p.root().members();
  auto it = members.begin();
  EXPECT_EQ((*it).key, "plain");
  EXPECT_TRUE(PointsInto((*it).key, p.text));
  EXPECT_EQ((*it).value.as_string(), "héllo");
  EXPECT_TRUE(PointsInto((*it).value.as_string(), p.text));
  ++it;
  EXPECT_EQ((*it).key, "escaped");
  EXPECT_FALSE(PointsInto((*it).key, p.text));
  EXPECT_EQ((*it).value.as_string(), "a\"b\\c/d\né😀");
  EXPECT_FALSE(PointsInto((*it).value.as_string(), p.text));
  EXPECT_EQ(p.root().Find("escaped")->as_string(), "a\"b\\c/d\né😀");
  EXPECT_EQ(p.root().Find("e")->as_string(), std::string(1, '\0'));
}

TEST(JsonTape, PositionsCountBytesAndLines) {
  const Parsed p("{\"a\": [1,\n  \"é👍\", 2],\r\n \"b\":\n\n    true}");
  ASSERT_TRUE(p.tape.ok());
  const TapeValue a = *p.root().Find("a");
  std::vector<TapeValue> items(a.elements().begin(), a.elements().end());
  EXPECT_EQ(p.root().pos().line, 1u);
  EXPECT_EQ(p.root().pos().col, 1u);
  EXPECT_EQ(a.pos().col, 7u);
  EXPECT_EQ(items[0].pos().col, 8u);
  EXPECT_EQ(items[1].pos().line, 2u);
  EXPECT_EQ(items[1].pos().col, 3u);
  EXPECT_EQ(items[2].pos().line, 2u);
  EXPECT_EQ(items[2].pos().col, 13u);  // after "é👍": 2 quotes + 2 + 4 bytes from column 3
  const TapeValue b = *p.root().Find("b");
  EXPECT_EQ(b.pos().line, 5u);
  EXPECT_EQ(b.pos().col, 5u);
  EXPECT_EQ(p.tape->PosAt(0).line, 1u);
  EXPECT_EQ(p.tape->PosAt(static_cast<uint32_t>(p.text.size())).line, 5u);
}

TEST(JsonTape, PosCursorAgreesWithPosAtInAnyOrder) {
  std::string text = "[";
  for (int i = 0; i < 300; ++i) {
    text += (i ? ",\n" : "") + std::string(static_cast<size_t>(i % 7), ' ') + "{\"k\": [" +
            std::to_string(i) + ",\n\n 1]}";
  }
  text += "]";
  const Parsed p(text);
  ASSERT_TRUE(p.tape.ok());
  std::vector<uint32_t> offsets;
  for (uint32_t i = 0; i < p.tape->value_count(); ++i) {
    offsets.push_back(p.tape->at(i).offset());
  }
  PosCursor in_order(*p.tape);
  for (const uint32_t o : offsets) {
    const Pos a = in_order.At(o);
    const Pos b = p.tape->PosAt(o);
    ASSERT_EQ(a.line, b.line) << o;
    ASSERT_EQ(a.col, b.col) << o;
  }
  std::mt19937 rng(7);
  std::shuffle(offsets.begin(), offsets.end(), rng);
  PosCursor shuffled(*p.tape);
  for (const uint32_t o : offsets) {
    const Pos a = shuffled.At(o);
    const Pos b = p.tape->PosAt(o);
    ASSERT_EQ(a.line, b.line) << o;
    ASSERT_EQ(a.col, b.col) << o;
  }
}

TEST(JsonTape, ToValueIsTheDomWithPositions) {
  const std::string text =
      "{\"a\": [1, \"x\\ty\", null],\n \"b\": {\"c\": true, \"c\": false}, \"d\": -0.5}";
  const Parsed p(text);
  ASSERT_TRUE(p.tape.ok());
  const Value v = p.root().ToValue();
  EXPECT_EQ(Serialize(v), R"({"a":[1,"x\ty",null],"b":{"c":true,"c":false},"d":-0.5})");
  EXPECT_EQ(v.Find("b")->pos().line, 2u);
  EXPECT_EQ(v.Find("b")->pos().col, 7u);
  EXPECT_EQ(v.Find("b")->as_object()[1].second.pos().col, 24u);
  // A value inside the document converts on its own, positions included.
  const Value b = p.root().Find("b")->ToValue();
  EXPECT_EQ(b, *v.Find("b"));
  EXPECT_EQ(b.as_object()[1].second.pos().col, 24u);
}

TEST(JsonTape, ErrorsAreThoseOfParse) {
  const std::string inputs[] = {"",           "[1,]",           "{\"a\" 1}", "\"\\ud800\"",
                                "[\"\xff\"]", "{\"k\":\n tru}", "[1] 2",     "01"};
  for (const std::string& text : inputs) {
    Pos tape_pos;
    Pos dom_pos;
    const auto tape = Tape::Parse(text, &tape_pos);
    const auto dom = Parse(text, &dom_pos);
    ASSERT_FALSE(tape.ok()) << text;
    EXPECT_EQ(tape.status().message(), dom.status().message());
    EXPECT_EQ(tape_pos.line, dom_pos.line);
    EXPECT_EQ(tape_pos.col, dom_pos.col);
  }
}

TEST(JsonTape, NestingLimitIsExact) {
  std::string ok(kMaxDepth, '[');
  ok.append(kMaxDepth, ']');
  const Parsed deepest(ok);
  ASSERT_TRUE(deepest.tape.ok());
  EXPECT_EQ(deepest.root().nested_count(), static_cast<uint32_t>(kMaxDepth - 1));
  const std::string too_deep = "[" + ok + "]";
  Pos pos;
  const auto r = Tape::Parse(too_deep, &pos);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "1:" + std::to_string(kMaxDepth + 1) + ": nesting deeper than " +
                                      std::to_string(kMaxDepth) + " levels");
}

TEST(JsonTape, RandomDocumentsMatchTheirSerialization) {
  // Builds random values, serializes them, and checks that the tape reads them back.
  std::mt19937 rng(42);
  std::function<Value(int)> random_value = [&](int depth) -> Value {
    const int kind = static_cast<int>(rng() % (depth > 4 ? 4 : 6));
    switch (kind) {
      case 0:
        return Value(nullptr);
      case 1:
        return Value(rng() % 2 == 0);
      case 2:
        return Value(static_cast<double>(static_cast<int>(rng() % 2001) - 1000) / 8);
      case 3: {
        static const char* kWords[] = {
            "", "a", "é", "tab\there", "quote\"", "\xF0\x9F\x91\x8D", "back\\slash", "ctl\x01"};
        return Value(kWords[rng() % 8]);
      }
      case 4: {
        Array a;
        for (int i = static_cast<int>(rng() % 4); i > 0; --i) {
          a.push_back(random_value(depth + 1));
        }
        return Value(std::move(a));
      }
      default: {
        Object o;
        for (int i = static_cast<int>(rng() % 4); i > 0; --i) {
          o.emplace_back(std::string(1, static_cast<char>('a' + rng() % 3)),
                         random_value(depth + 1));
        }
        return Value(std::move(o));
      }
    }
  };
  for (int i = 0; i < 500; ++i) {
    const Value v = random_value(0);
    const Parsed p(Serialize(v));
    ASSERT_TRUE(p.tape.ok()) << p.text;
    EXPECT_EQ(p.root().ToValue(), v) << p.text;
    EXPECT_EQ(Serialize(p.root().ToValue()), p.text);
  }
}

}  // namespace
}  // namespace parley::json
