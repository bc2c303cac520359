#include "twilio/twiml.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::twilio {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kDecl = R"(<?xml version="1.0" encoding="UTF-8"?>)";

std::string Doc(std::string_view rest) { return std::string(kDecl) + std::string(rest); }

TEST(RenderTwimlTest, LibrarySerialisation) {
  EXPECT_EQ(RenderTwiml({}), Doc("<Response />"));
  EXPECT_EQ(RenderTwiml({{"Hello", {}}}), Doc("<Response><Message>Hello</Message></Response>"));
  EXPECT_EQ(RenderTwiml({{"One", {}}, {"Two", {}}}),
            Doc("<Response><Message>One</Message><Message>Two</Message></Response>"));
  EXPECT_EQ(RenderTwiml({{"Hi", {"https://x/a.jpg", "https://x/b.png"}}}),
            Doc("<Response><Message><Body>Hi</Body><Media>https://x/a.jpg</Media>"
                "<Media>https://x/b.png</Media></Message></Response>"));
  EXPECT_EQ(RenderTwiml({{"", {"https://x/a.jpg"}}}),
            Doc("<Response><Message><Media>https://x/a.jpg</Media></Message></Response>"));
  EXPECT_EQ(RenderTwiml({{"", {}}}), Doc("<Response><Message /></Response>"));
}

TEST(RenderTwimlTest, Escaping) {
  EXPECT_EQ(RenderTwiml({{"a < b && c > d \"q\" 'a'", {"https://x/?a=1&b=2"}}}),
            Doc("<Response><Message><Body>a &lt; b &amp;&amp; c &gt; d \"q\" 'a'</Body>"
                "<Media>https://x/?a=1&amp;b=2</Media></Message></Response>"));
}

TEST(RenderTwimlTest, StripsCharactersXmlForbids) {
  EXPECT_EQ(RenderTwiml({{std::string("a\0b\x01\x1F\tc\nd\re\x7F", 12), {}}}),
            Doc("<Response><Message>ab\tc\nd\re\x7F</Message></Response>"));
  EXPECT_EQ(RenderTwiml({{"x\xEF\xBF\xBEy\xEF\xBF\xBFz\xEF\xBF\xBD", {}}}),
            Doc("<Response><Message>xyz\xEF\xBF\xBD</Message></Response>"));
  // Ill-formed UTF-8 becomes U+FFFD (the document must be valid UTF-8).
  EXPECT_EQ(RenderTwiml({{"caf\xE9", {}}}),
            Doc("<Response><Message>caf\xEF\xBF\xBD</Message></Response>"));
  EXPECT_EQ(RenderTwiml({{"\xF0\x9F\x91\x8D ok", {}}}),
            Doc("<Response><Message>\xF0\x9F\x91\x8D ok</Message></Response>"));
}

}  // namespace
}  // namespace parley::twilio
