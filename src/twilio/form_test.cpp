#include "twilio/form.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::twilio {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Form MustDecode(std::string_view body) {
  Result<Form> form = DecodeForm(body);
  EXPECT_TRUE(form.ok()) << form.status().ToString();
  return form.ok() ? std::move(form).value() : Form();
}

TEST(DecodeFormTest, TwilioCapture) {
  const Form form = MustDecode(
      "ToCountry=US&ToState=MI&SmsMessageSid=SM99&NumMedia=0&ToCity=COLEMAN&"
      "Body=It%27s+working%21%21%21&To=%2B19894655460&From=%2B17038250630&ApiVersion=2010-04-01");
  EXPECT_EQ(form.size(), 9u);
  EXPECT_EQ(form.Get("Body"), "It's working!!!");
  EXPECT_EQ(form.Get("To"), "+19894655460");
  EXPECT_EQ(form.Get("From"), "+17038250630");
  EXPECT_EQ(form.at(0).first, "ToCountry");
  EXPECT_EQ(form.at(8).second, "2010-04-01");
}

TEST(DecodeFormTest, PlusIsSpaceAndHexEitherCase) {
  const Form form = MustDecode("a=1+2&b=%2b%2B%c3%A9&c=%e2%82%ac");
  EXPECT_EQ(form.Get("a"), "1 2");
  EXPECT_EQ(form.Get("b"), "++\xC3\xA9");
  EXPECT_EQ(form.Get("c"), "\xE2\x82\xAC");
}

TEST(DecodeFormTest, EscapedNamesAndSeparators) {
  const Form form = MustDecode("Media%55rl0=x%26y%3Dz&a%3Db=c");
  EXPECT_EQ(form.Get("MediaUrl0"), "x&y=z");
  EXPECT_EQ(form.Get("a=b"), "c");
}

TEST(DecodeFormTest, RepeatedKeysKeptInOrder) {
  const Form form = MustDecode("MediaUrl=b&x=1&MediaUrl=a&MediaUrl=b");
  EXPECT_THAT(form.All("MediaUrl"), ElementsAre("b", "a", "b"));
  EXPECT_EQ(form.Get("MediaUrl"), "b");
  EXPECT_TRUE(form.All("nope").empty());
}

TEST(DecodeFormTest, EmptyPartsAndMissingEquals) {
  EXPECT_TRUE(MustDecode("").empty());
  EXPECT_TRUE(MustDecode("&&&").empty());
  const Form form = MustDecode("&a&b=&=c&d=1=2&");
  ASSERT_EQ(form.size(), 4u);
  EXPECT_EQ(form.at(0), Form::Field("a", ""));
  EXPECT_EQ(form.at(1), Form::Field("b", ""));
  EXPECT_EQ(form.at(2), Form::Field("", "c"));
  EXPECT_EQ(form.at(3), Form::Field("d", "1=2"));
  EXPECT_TRUE(form.Has("a"));
  EXPECT_TRUE(form.Find("b").has_value());
  EXPECT_FALSE(form.Find("zz").has_value());
  EXPECT_EQ(form.Get("zz"), "");
}

TEST(DecodeFormTest, SemicolonIsNotASeparator) {
  const Form form = MustDecode("a=1;b=2");
  EXPECT_EQ(form.Get("a"), "1;b=2");
}

TEST(DecodeFormTest, RawBytesKept) {
  // Non-UTF-8 values (raw or escaped) survive untouched: the signature covers them.
  const Form form = MustDecode("Body=%FF%FE\xC0&n=%00x");
  EXPECT_EQ(form.Get("Body"), std::string_view("\xFF\xFE\xC0"));
  EXPECT_EQ(form.Get("n"), std::string_view("\0x", 2));
}

TEST(DecodeFormTest, BadEscapesNameOffsetAndReason) {
  Result<Form> bad = DecodeForm("Body=ok&x=%G1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("byte 10"));
  EXPECT_THAT(bad.status().message(), HasSubstr("'G' is not a hex digit"));

  bad = DecodeForm("a=%4");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("byte 2"));
  EXPECT_THAT(bad.status().message(), HasSubstr("truncated"));

  bad = DecodeForm("a=%4&b=1");  // truncated by the separator, not the end
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("truncated"));

  bad = DecodeForm("a=%");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("truncated"));

  bad = DecodeForm("a=%4\xFF");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("byte \\xFF is not a hex digit"));

  bad = DecodeForm("%zz=1");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("byte 0"));
}

TEST(DecodeFormTest, IterationAndBuilding) {
  Form form;
  form.Add("b", "2");
  form.Add("a", "1");
  form.Add("b", "3");
  std::vector<std::string> seen;
  for (const auto& [name, value] : form) {
    seen.push_back(std::string(name) + "=" + std::string(value));
  }
  EXPECT_THAT(seen, ElementsAre("b=2", "a=1", "b=3"));

  form.Set("b", "new");
  ASSERT_EQ(form.size(), 2u);
  EXPECT_EQ(form.at(0), Form::Field("b", "new"));
  EXPECT_EQ(form.at(1), Form::Field("a", "1"));
  form.Set("c", "x");
  EXPECT_EQ(form.at(2), Form::Field("c", "x"));
}

TEST(DecodeFormTest, AddAndSetFromOwnViews) {
  Form form;
  form.Add("name", "a fairly long value that does not fit in a small string");
  for (int i = 0; i < 20; ++i) {  // enough appends to move the buffer several times
    form.Add(form.at(0).first, form.at(0).second);
  }
  EXPECT_EQ(form.All("name").size(), 21u);
  EXPECT_EQ(form.at(20).second, "a fairly long value that does not fit in a small string");
  form.Set("other", form.Get("name"));
  form.Set("other", form.Get("other"));
  EXPECT_EQ(form.Get("other"), "a fairly long value that does not fit in a small string");
}

TEST(EncodeFormTest, TwilioEncoding) {
  Form form;
  form.Add("Body", "It's working!!! ~ok_.-");
  form.Add("To", "+19894655460");
  form.Add("X", "a&b=c/d\xC3\xA9");
  EXPECT_EQ(EncodeForm(form),
            "Body=It%27s+working%21%21%21+~ok_.-&To=%2B19894655460&X=a%26b%3Dc%2Fd%C3%A9");
  EXPECT_EQ(FormEscape(""), "");
  EXPECT_EQ(EncodeForm(Form()), "");
}

TEST(EncodeFormTest, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  Form form;
  form.Add(all, all);
  form.Add("", "");
  const Form back = MustDecode(EncodeForm(form));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back.at(0).first, all);
  EXPECT_EQ(back.at(0).second, all);
  EXPECT_EQ(back.at(1), Form::Field("", ""));
}

}  // namespace
}  // namespace parley::twilio
