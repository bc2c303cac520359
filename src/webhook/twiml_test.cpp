#include "webhook/twiml.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::webhook {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::string_view kDecl = R"(<?xml version="1.0" encoding="UTF-8"?>)";

std::string Doc(std::string_view rest) { return std::string(kDecl) + std::string(rest); }

std::vector<TwimlMessage> MustParse(std::string_view xml) {
  auto parsed = ParseTwiml(xml);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << xml;
  return parsed.ok() ? *parsed : std::vector<TwimlMessage>{};
}

std::string ErrorOf(std::string_view xml) {
  auto parsed = ParseTwiml(xml);
  EXPECT_FALSE(parsed.ok()) << xml;
  return parsed.status().message();
}

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

TEST(ParseTwimlTest, RoundTrip) {
  const std::vector<std::vector<TwimlMessage>> cases = {
      {},
      {{"Hello", {}}},
      {{"", {}}},
      {{"a < b && c > d \"q\" 'a' \xF0\x9F\x91\x8D\n\tline", {}}},
      {{"Hi", {"https://x/a.jpg?a=1&b=2", "https://x/b.png"}}, {"Second", {}}},
      {{"", {"https://x/a.jpg"}}},
  };
  for (const auto& messages : cases) {
    const std::string xml = RenderTwiml(messages);
    EXPECT_EQ(MustParse(xml), messages) << xml;
  }
}

TEST(ParseTwimlTest, LibraryFormsAndWhitespace) {
  // twilio-python's own test output: text and <Media> side by side.
  EXPECT_THAT(MustParse(Doc("<Response><Message>Hello<Media>example.com</Media></Message>"
                            "</Response>")),
              ElementsAre(TwimlMessage{"Hello", {"example.com"}}));
  // Pretty-printed, with comments, attributes, no declaration.
  EXPECT_THAT(
      MustParse("<!-- reply -->\n<Response>\n  <Message to='+1555' action=\"/s?a=1&amp;b\">\n"
                "    <Body>Hi &amp; bye</Body>\n    <Media> https://x/a.jpg </Media>\n"
                "  </Message>\n  <!-- c -->\n</Response>\n"),
      ElementsAre(TwimlMessage{"Hi & bye", {"https://x/a.jpg"}}));
  EXPECT_THAT(MustParse(Doc("<Response><Message>  spaced  </Message></Response>")),
              ElementsAre(TwimlMessage{"  spaced  ", {}}));
  EXPECT_THAT(MustParse(Doc("<Response/>")), ElementsAre());
  EXPECT_THAT(MustParse(Doc("<Response></Response>")), ElementsAre());
  EXPECT_THAT(MustParse(Doc("<Response><Message><Body/></Message></Response>")),
              ElementsAre(TwimlMessage{"", {}}));
}

TEST(ParseTwimlTest, EntitiesAndCdata) {
  EXPECT_THAT(MustParse("<Response><Message>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1F44D;"
                        "<![CDATA[<raw & text>]]></Message></Response>"),
              ElementsAre(TwimlMessage{"<>&\"'AB\xF0\x9F\x91\x8D<raw & text>", {}}));
}

TEST(ParseTwimlTest, StructuralErrors) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("no root"));
  EXPECT_THAT(ErrorOf(std::string(kDecl)), HasSubstr("no root"));
  EXPECT_THAT(ErrorOf("<Foo/>"), HasSubstr("not <Response>"));
  EXPECT_THAT(ErrorOf("<response/>"), HasSubstr("not <Response>"));  // case-sensitive
  EXPECT_THAT(ErrorOf(" " + Doc("<Response/>")), HasSubstr("processing instruction"));
  EXPECT_THAT(ErrorOf("<Response><Redirect>/x</Redirect></Response>"),
              HasSubstr("unsupported verb <Redirect>"));
  EXPECT_THAT(ErrorOf("<Response>text</Response>"), HasSubstr("text directly inside"));
  EXPECT_THAT(ErrorOf("<Response><Message>Hi</Message>"), HasSubstr("not closed"));
  EXPECT_THAT(ErrorOf("<Response><Message>Hi</Response>"), HasSubstr("does not close"));
  EXPECT_THAT(ErrorOf("<Response><Message><Body>a</Body><Body>b</Body></Message></Response>"),
              HasSubstr("more than one <Body>"));
  EXPECT_THAT(ErrorOf("<Response><Message>a<Body>b</Body></Message></Response>"),
              HasSubstr("both text and a <Body>"));
  EXPECT_THAT(ErrorOf("<Response><Message><Body><b>x</b></Body></Message></Response>"),
              HasSubstr("only text"));
  EXPECT_THAT(ErrorOf("<Response><Message><Foo/></Message></Response>"),
              HasSubstr("<Foo> is not allowed"));
  EXPECT_THAT(ErrorOf("<Response/><Response/>"), HasSubstr("after the root"));
  EXPECT_THAT(ErrorOf("<Response/>junk"), HasSubstr("text outside"));
  EXPECT_THAT(ErrorOf("<!DOCTYPE x [<!ENTITY a 'b'>]><Response/>"), HasSubstr("DOCTYPE"));
  EXPECT_THAT(ErrorOf("<Response a='1' a='2'/>"), HasSubstr("duplicate attribute"));
  EXPECT_THAT(ErrorOf("<Response a=1/>"), HasSubstr("quoted"));
  EXPECT_THAT(ErrorOf("<Response a='<'/>"), HasSubstr("'<' in an attribute"));
  EXPECT_THAT(ErrorOf("<Response a='1'b='2'/>"), HasSubstr("expected whitespace"));
  EXPECT_THAT(ErrorOf("<Response"), HasSubstr("unterminated tag"));
  EXPECT_THAT(ErrorOf("<?xml version='1.0'"), HasSubstr("unterminated XML declaration"));
  EXPECT_THAT(ErrorOf("<!-- x"), HasSubstr("unterminated comment"));
}

TEST(ParseTwimlTest, TextErrors) {
  EXPECT_THAT(ErrorOf("<Response><Message>&nbsp;</Message></Response>"),
              HasSubstr("unknown entity"));
  EXPECT_THAT(ErrorOf("<Response><Message>a & b</Message></Response>"), HasSubstr("'&'"));
  EXPECT_THAT(ErrorOf("<Response><Message>&#0;</Message></Response>"), HasSubstr("does not allow"));
  EXPECT_THAT(ErrorOf("<Response><Message>&#xD800;</Message></Response>"),
              HasSubstr("does not allow"));
  EXPECT_THAT(ErrorOf("<Response><Message>&#x110000;</Message></Response>"),
              HasSubstr("beyond U+10FFFF"));
  EXPECT_THAT(ErrorOf("<Response><Message>&#xZZ;</Message></Response>"),
              HasSubstr("bad character reference"));
  EXPECT_THAT(ErrorOf("<Response><Message>&#;</Message></Response>"), HasSubstr("unknown entity"));
  EXPECT_THAT(ErrorOf("<Response><Message>a\x01</Message></Response>"),
              HasSubstr("control character"));
  EXPECT_THAT(ErrorOf("<Response><Message><![CDATA[x</Message></Response>"),
              HasSubstr("unterminated CDATA"));
  EXPECT_THAT(ErrorOf("<Response><Message>caf\xE9</Message></Response>"),
              HasSubstr("not valid UTF-8"));
}

}  // namespace
}  // namespace parley::webhook
