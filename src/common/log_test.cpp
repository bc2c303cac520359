// Issue 8 item 15: one event, one line (escaped control characters), a JSON format, and a
// level threshold with DEBUG.
#include "common/log.hpp"

#include <cstdio>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/json.hpp"

namespace parley {
namespace {

using ::testing::HasSubstr;

const TimePoint kTime = FromUnixMillis(1'700'000'000'123);

// A Lua traceback and a libpq message: several lines each, as they reach the log.
constexpr std::string_view kTraceback =
    "flow checkin: handler score: [string \"checkin.lua\"]:3: boom\r\n"
    "stack traceback:\n\t[C]: in function 'error'\n\t[string \"checkin.lua\"]:3: in function "
    "'score'";
constexpr std::string_view kLibpq = "ERROR:  deadlock detected\nDETAIL:  Process 1 waits\n";

// What Log writes, read back from a temporary file.
std::string Captured(LogLevel level, std::string_view message) {
  std::FILE* file = std::tmpfile();
  EXPECT_NE(file, nullptr);
  Log(level, message, file);
  std::string text(4096, '\0');
  std::rewind(file);
  text.resize(std::fread(text.data(), 1, text.size(), file));
  std::fclose(file);
  return text;
}

// Restores the process-wide settings after each test.
class LogTest : public ::testing::Test {
 protected:
  void TearDown() override {
    SetLogLevel(LogLevel::kInfo);
    SetLogFormat(LogFormat::kText);
  }
};

TEST_F(LogTest, TextLinesAreOneLineWithControlCharactersEscaped) {
  for (std::string_view message : {kTraceback, kLibpq}) {
    std::string line = FormatLogLine(kTime, LogLevel::kError, message, LogFormat::kText);
    ASSERT_TRUE(line.ends_with('\n'));
    line.pop_back();
    EXPECT_EQ(line.find_first_of("\r\n\t"), std::string::npos) << line;
  }
  EXPECT_EQ(FormatLogLine(kTime, LogLevel::kError, kLibpq, LogFormat::kText),
            "2023-11-14T22:13:20.123Z ERROR ERROR:  deadlock detected\\nDETAIL:  Process 1 "
            "waits\\n\n");
  // Other C0 controls, DEL, C1 controls and the Unicode line/paragraph separators.
  EXPECT_EQ(FormatLogLine(kTime, LogLevel::kInfo,
                          "a\x1b[2Jb\x7f"
                          "c\xc2\x85"
                          "d\xe2\x80\xa8"
                          "e\xe2\x80\xa9",
                          LogFormat::kText),
            "2023-11-14T22:13:20.123Z INFO a\\x1b[2Jb\\x7fc\\x85d\\u2028e\\u2029\n");
  // A forged entry stays inside the first one.
  EXPECT_EQ(FormatLogLine(kTime, LogLevel::kInfo, "x\n2023-11-14T22:13:20.123Z ERROR fake",
                          LogFormat::kText),
            "2023-11-14T22:13:20.123Z INFO x\\n2023-11-14T22:13:20.123Z ERROR fake\n");
  // Ill-formed UTF-8 becomes U+FFFD; other text is untouched (backslashes included).
  EXPECT_EQ(FormatLogLine(kTime, LogLevel::kWarning, "caf\xc3\xa9 \xff C:\\x", LogFormat::kText),
            "2023-11-14T22:13:20.123Z WARN caf\xc3\xa9 \xef\xbf\xbd C:\\x\n");
}

TEST_F(LogTest, JsonLinesAreOneObjectPerLineThatParsesBackToTheMessage) {
  for (std::string_view message :
       {kTraceback, kLibpq, std::string_view("quote \" backslash \\ nul \0 end", 30),
        std::string_view("\xe2\x80\xa8\xc2\x85\x1f")}) {
    std::string line = FormatLogLine(kTime, LogLevel::kWarning, message, LogFormat::kJson);
    ASSERT_TRUE(line.ends_with("}\n")) << line;
    line.pop_back();
    EXPECT_EQ(line.find_first_of("\r\n"), std::string::npos) << line;
    auto value = json::Parse(line);
    ASSERT_TRUE(value.ok()) << value.status().ToString() << ": " << line;
    ASSERT_TRUE(value->is_object());
    EXPECT_EQ(value->Find("time")->as_string(), "2023-11-14T22:13:20.123Z");
    EXPECT_EQ(value->Find("level")->as_string(), "warn");
    EXPECT_EQ(value->Find("msg")->as_string(), message);
  }
  EXPECT_EQ(FormatLogLine(kTime, LogLevel::kDebug, "a\nb", LogFormat::kJson),
            "{\"time\":\"2023-11-14T22:13:20.123Z\",\"level\":\"debug\",\"msg\":\"a\\nb\"}\n");
}

TEST_F(LogTest, LogUsesTheProcessFormatAndLevelThreshold) {
  EXPECT_THAT(Captured(LogLevel::kInfo, "hello\nworld"), HasSubstr(" INFO hello\\nworld\n"));
  EXPECT_EQ(Captured(LogLevel::kDebug, "hidden by default"), "");

  SetLogLevel(LogLevel::kDebug);
  EXPECT_THAT(Captured(LogLevel::kDebug, "shown"), HasSubstr(" DEBUG shown\n"));
  EXPECT_TRUE(LogEnabled(LogLevel::kDebug));

  SetLogLevel(LogLevel::kWarning);
  EXPECT_EQ(Captured(LogLevel::kInfo, "below"), "");
  EXPECT_FALSE(LogEnabled(LogLevel::kInfo));
  SetLogFormat(LogFormat::kJson);
  const std::string line = Captured(LogLevel::kError, "two\nlines");
  EXPECT_THAT(line, HasSubstr(R"("level":"error","msg":"two\nlines"})"));
  EXPECT_TRUE(line.starts_with(R"({"time":")")) << line;
}

TEST_F(LogTest, LevelAndFormatNamesParse) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(ParseLogLevel("warn"), LogLevel::kWarning);
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarning);
  EXPECT_EQ(ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(ParseLogLevel("INFO"), std::nullopt);
  EXPECT_EQ(ParseLogLevel("trace"), std::nullopt);
  EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("logfmt"), std::nullopt);
}

}  // namespace
}  // namespace parley
