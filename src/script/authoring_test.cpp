// Issue 12: what LIMA authors meet in the Lua sandbox (item 5: a guard returning nil; item
// 6: local functions named in the "not defined" diagnostic) and the Lua examples of
// docs/flow-format.md (item 10: the yes check; item 4: the differences table).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "script/local_functions.hpp"
#include "script/lua_script.hpp"
#include "script/lua_script_testing.hpp"

namespace parley::script {
namespace {

using ::testing::ElementsAre;
using testing::FakeContext;
using ::testing::HasSubstr;
using testing::Load;
using testing::Message;

// Issue 12 item 5: a guard that returns nil (a forgotten `return`, a failed match) is false,
// as in the replaced system, instead of failing the event; WARN once per handler.
TEST(LuaAuthoring, AGuardReturningNilIsFalseAndWarnsOncePerHandler) {
  auto host = Load(
      "function forgot(ctx) local x = ctx.reply == 'yes' end\n"
      "function match(ctx) return ctx.reply:match('^yes$') end\n"
      "function number(ctx) return 1 end\n");
  FakeContext ctx(Message("no"));
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 3; ++i) {
    auto forgot = host->EvalCondition("forgot", ctx);
    ASSERT_TRUE(forgot.ok()) << forgot.status().message();
    EXPECT_FALSE(*forgot);
    auto match = host->EvalCondition("match", ctx);
    ASSERT_TRUE(match.ok()) << match.status().message();
    EXPECT_FALSE(*match);
  }
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(log, HasSubstr("WARN test.lua: condition 'forgot' returned nil; counted as false"));
  EXPECT_EQ(log.find("'forgot'"), log.rfind("'forgot'")) << log;  // once
  EXPECT_EQ(log.find("'match'"), log.rfind("'match'")) << log;
  EXPECT_NE(log.find("'match'"), std::string::npos) << log;
  // Other non-booleans are still errors: a number is no answer.
  EXPECT_FALSE(host->EvalCondition("number", ctx).ok());
}

// Issue 12 item 6: local functions are found in the text, comments skipped.
TEST(LuaAuthoring, LocalFunctionNames) {
  EXPECT_THAT(LocalFunctionNames("local function trim(s) end\n"
                                 "local  answer = function(ctx) end\n"
                                 "local a, b = 1, 2\n"
                                 "local x = 3\n"
                                 "-- local function commented() end\n"
                                 "--[[ local function long() end ]]\n"
                                 "function global(ctx) end\n"
                                 "local function trim(s) end\n"),
              ElementsAre("answer", "trim"));
  auto host = Load("local function init(ctx) end\nfunction ask(ctx) end\n");
  EXPECT_TRUE(host->HasLocalFunction("init"));
  EXPECT_FALSE(host->HasLocalFunction("ask"));
}

std::string ReadDoc(const std::string& relative) {
  std::ifstream in(std::string(TEST_SOURCE_DIR) + "/" + relative);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The first ```lua block of the docs' "Lua handlers" section.
std::string FirstLuaExample(const std::string& doc) {
  const size_t section = doc.find("## Lua handlers");
  const size_t start = doc.find("```lua\n", section);
  if (section == std::string::npos || start == std::string::npos) {
    return "";
  }
  const size_t end = doc.find("```", start + 7);
  return doc.substr(start + 7, end - start - 7);
}

// Issue 12 item 10: the docs' yes check matches "yes" and "Yes!" but not "yesterday".
TEST(LuaAuthoring, TheDocsYesCheckDoesNotMatchYesterday) {
  const std::string example = FirstLuaExample(ReadDoc("docs/flow-format.md"));
  ASSERT_THAT(example, HasSubstr("function is_user_reply_yes(ctx)"));
  auto host = Load(example);
  for (const auto& [reply, yes] : std::vector<std::pair<std::string, bool>>{{"yes", true},
                                                                            {"  Yes!", true},
                                                                            {"YES.", true},
                                                                            {"yesterday", false},
                                                                            {"yes I did", false},
                                                                            {"no", false},
                                                                            {"eyes", false}}) {
    FakeContext ctx(Message(reply));
    auto r = host->EvalCondition("is_user_reply_yes", ctx);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(*r, yes) << reply;
  }
}

// Issue 12 item 4: the differences table names every behaviour a LIMA team meets.
TEST(LuaAuthoring, TheDifferencesTableIsComplete) {
  const std::string doc = ReadDoc("docs/flow-format.md");
  const size_t table = doc.find("## What differs from the replaced system");
  ASSERT_NE(table, std::string::npos);
  const std::string section = doc.substr(table);
  for (const char* row : {"the initial state's `enter` runs when the session starts",
                          "entering a terminal state completes the session",
                          "save in the edge's action", "timers fired once", "dropped when stale",
                          "recurring timers", "a guard returning `nil` counts as false"}) {
    EXPECT_THAT(section, HasSubstr(row));
  }
}

}  // namespace
}  // namespace parley::script
