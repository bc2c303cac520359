// Issue 12: the first hour of a team coming from LIMA, through the built `parley` binary:
// `parley scaffold` (item 2), grouped and alone-standing diagnostics (items 6, 7), script
// conditions and the no-timer-edge warning (item 8), and `chat`/`test` behaving as the
// server with triggers and STOP/START/HELP (item 9).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Outcome {
  int code = -1;
  std::string out;  // stdout and stderr together
};

class AuthoringCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("parley_authoring_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  std::string Read(const std::string& name) {
    std::ifstream in(dir_ / name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Runs `parley ARGS < INPUT` in the test's folder.
  Outcome Parley(const std::string& args, const std::string& input = "") {
    const std::string in = Write("stdin.txt", input);
    const std::string cmd = "cd " + dir_.string() + " && " + std::string(PARLEY_BINARY) + " " +
                            args + " < " + in + " 2>&1";
    Outcome r;
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  std::filesystem::path dir_;
};

// The LIMA sample's shape: every handler a Python function, one of them used twice.
constexpr const char* kLima = R"([
  {"name": "OPTIN", "condition": "get_smth_from_user", "enter": "init",
   "states": [
     {"name": "OY1", "condition": "is_user_reply_yes", "enter": "ask_name",
      "states": [{"name": "@OPTIN", "condition": "is_user_reply_yes", "enter": "init"}]},
     {"name": "ON1", "condition": "is_user_reply_no", "enter": "say_np"}]}
])";

// Issue 12 item 2: scaffold writes a stub for every handler, with where it is used; the
// flow then loads; a second run never overwrites.
TEST_F(AuthoringCli, ScaffoldWritesStubsThatLoadAndNeverOverwrites) {
  Write("bgcheck.json", kLima);
  const Outcome before = Parley("check bgcheck.json");
  EXPECT_EQ(before.code, 1);
  EXPECT_THAT(before.out, HasSubstr("6 handlers the flow uses are not defined (bgcheck.lua beside "
                                    "bgcheck.json: not found)"));
  EXPECT_THAT(before.out, HasSubstr("`parley scaffold bgcheck.json` writes bgcheck.lua"));
  EXPECT_THAT(before.out, HasSubstr("invalid — 1 error"));

  const Outcome scaffold = Parley("scaffold bgcheck.json");
  EXPECT_EQ(scaffold.code, 0) << scaffold.out;
  EXPECT_THAT(scaffold.out,
              HasSubstr("6 stubs (3 conditions returning false, 3 actions doing nothing)"));
  const std::string script = Read("bgcheck.lua");
  EXPECT_THAT(script, HasSubstr("-- Condition, used at:\n--   bgcheck.json:4:35 "
                                "[0].states[0].condition\n--   bgcheck.json:5:50 "
                                "[0].states[0].states[0].condition\n"
                                "function is_user_reply_yes(ctx)\n  return false\nend\n"));
  EXPECT_THAT(script, HasSubstr("-- Action, used at bgcheck.json:6:64 [0].states[1].enter\n"
                                "function say_np(ctx)\nend\n"));
  const Outcome after = Parley("check bgcheck.json");
  EXPECT_EQ(after.code, 0) << after.out;

  Write("bgcheck.lua", "-- mine\n");
  const Outcome again = Parley("scaffold bgcheck.json");
  EXPECT_EQ(again.code, 1);
  EXPECT_THAT(again.out, HasSubstr("exists and is never overwritten; --append adds the 6 "
                                   "missing stubs at its end"));
  EXPECT_EQ(Read("bgcheck.lua"), "-- mine\n");
}

// Issue 12 items 2 and 6: --append adds only what is missing; a local function is named as
// such, in check and in scaffold, and gets no stub.
TEST_F(AuthoringCli, ScaffoldAppendsOnlyTheMissingStubs) {
  Write("bgcheck.json", kLima);
  const std::string mine =
      "local function init(ctx) ctx:send('hi') end\n"
      "function get_smth_from_user(ctx) return true end\n"
      "function ask_name(ctx) end\n";
  Write("bgcheck.lua", mine);
  const Outcome check = Parley("check bgcheck.json");
  EXPECT_THAT(check.out, HasSubstr("4 handlers the flow uses are not defined in bgcheck.lua:\n"
                                   "  init (action) at 2:65, 5:80: defined as a local function; "
                                   "make it global\n"));
  EXPECT_THAT(check.out, HasSubstr("`parley scaffold bgcheck.json --append` adds a stub"));

  const Outcome append = Parley("scaffold bgcheck.json --append");
  EXPECT_EQ(append.code, 0) << append.out;
  EXPECT_THAT(append.out, HasSubstr("init is defined as a local function; make it global"));
  EXPECT_THAT(append.out, HasSubstr("appended to"));
  const std::string script = Read("bgcheck.lua");
  EXPECT_EQ(script.rfind(mine, 0), 0u);  // the author's text untouched, first
  EXPECT_THAT(script, HasSubstr("function is_user_reply_yes(ctx)"));
  EXPECT_THAT(script, Not(HasSubstr("function init(ctx)\nend")));
  EXPECT_THAT(script, Not(HasSubstr("function ask_name(ctx)\nend")));
}

// Issue 12 item 7: a syntax error in the script is reported alone, with its file and line.
TEST_F(AuthoringCli, ScriptSyntaxErrorIsReportedAlone) {
  Write("bgcheck.json", kLima);
  Write("bgcheck.lua", "function init(ctx)\n  ctx:send('x'\nend\n");
  const Outcome check = Parley("check bgcheck.json");
  EXPECT_EQ(check.code, 1);
  EXPECT_THAT(check.out, HasSubstr("bgcheck.json: error: script: bgcheck.lua:3: ')' expected (to "
                                   "close '(' at line 2) near 'end'\n"));
  EXPECT_THAT(check.out, HasSubstr("invalid — 1 error"));
  EXPECT_THAT(check.out, Not(HasSubstr("not defined")));
  const Outcome scaffold = Parley("scaffold bgcheck.json --append");
  EXPECT_EQ(scaffold.code, 1);
  EXPECT_THAT(scaffold.out, HasSubstr("the script does not load; fix it first"));
}

// Issue 12 item 8: states whose edges are Lua conditions do not warn "waits for a reply but
// has no timer edge", so `check --strict` passes and `chat` starts quietly.
TEST_F(AuthoringCli, ScriptConditionsDoNotMakeStrictFail) {
  Write("bgcheck.json", R"([
  {"name": "ASK", "enter": "ask", "states": [
    {"name": "@ASK", "condition": "is_reminder_due", "enter": "ask"},
    {"name": "DONE", "condition": "is_user_reply_yes", "enter": "thank"}]}])");
  Write("bgcheck.lua",
        "function ask(ctx) ctx:send('Did you check?') end\n"
        "function thank(ctx) ctx:send('Thanks') end\n"
        "function is_reminder_due(ctx) return ctx.event == 'timer' end\n"
        "function is_user_reply_yes(ctx) return ctx.reply == 'yes' end\n");
  const Outcome check = Parley("check --strict bgcheck.json");
  EXPECT_EQ(check.code, 0) << check.out;
  EXPECT_THAT(check.out, HasSubstr("0 warnings"));
  const Outcome chat = Parley("chat bgcheck.json", "yes\n");
  EXPECT_THAT(chat.out, Not(HasSubstr("warning")));
  EXPECT_THAT(chat.out, HasSubstr("< Thanks"));
}

// A flow with a trigger and a help-worthy question, as the check-in example.
constexpr const char* kTriggered = R"({"flow": "demo", "triggers": ["JOIN"], "states": [
  {"name": "ASK", "enter": [{"send": "Ready? "}, {"timer": {"name": "nudge", "after": "1h"}}],
   "otherwise": {"send": "Say yes."},
   "states": [
    {"name": "DONE", "condition": "yes", "enter": {"send": "Done."}},
    {"name": "@ASK", "condition": {"timer": "nudge"}, "enter": {"send": "Still there?"}}]}]})";

// Issue 12 item 9: chat starts the way the server does, on the first message matching a
// trigger, and STOP/START/HELP behave as on the server.
TEST_F(AuthoringCli, ChatStartsOnATriggerAndHandlesStopStartHelp) {
  Write("demo.json", kTriggered);
  const Outcome chat =
      Parley("chat demo.json", "hello\nJOIN\nHELP\nSTOP\nyes\n/wait 2h\nSTART\njoin!\n");
  EXPECT_EQ(chat.code, 0) << chat.out;
  const std::string& out = chat.out;
  EXPECT_THAT(out, HasSubstr("[no session yet: flow 'demo' starts when the contact sends join"));
  EXPECT_THAT(out, HasSubstr("> hello\n  [no session: not a trigger (join); /reset starts one]\n"
                             "> JOIN\n  [2026-01-05T08:00:00.000Z session started in ASK]\n"
                             "< Ready? \n"));
  EXPECT_THAT(out, HasSubstr("> HELP\n< Reply STOP to unsubscribe, START to resubscribe."));
  EXPECT_THAT(out, HasSubstr("> STOP\n  [STOP: the contact opted out; the session ended "
                             "(opted_out); START opts back in]\n"
                             "> yes\n  [the contact has opted out: nothing reaches a flow until "
                             "START]\n"));
  EXPECT_THAT(out, Not(HasSubstr("Still there?")));  // its timer went with the session
  EXPECT_THAT(out, HasSubstr("> join!\n  [2026-01-05T10:00:00.000Z session started in ASK]\n"));
  EXPECT_THAT(out, Not(HasSubstr("no edge matched")));
}

// Issue 12 item 9: `parley test` applies the server's keywords, so `! opted_out` is
// testable offline; an expected reply keeps its trailing space.
TEST_F(AuthoringCli, TestPlaysStopAsTheServer) {
  Write("demo.json", kTriggered);
  Write("stop.txt", "< Ready? \n> unsubscribe\n! opted_out\n~ 2h\n> yes\n! opted_out\n> START\n");
  const Outcome test = Parley("test demo.json stop.txt");
  EXPECT_EQ(test.code, 0) << test.out;
  EXPECT_THAT(test.out, HasSubstr("PASS stop.txt"));
  Write("trimmed.txt", "< Ready?\n");
  const Outcome trimmed = Parley("test demo.json trimmed.txt");
  EXPECT_EQ(trimmed.code, 1);
  EXPECT_THAT(trimmed.out, HasSubstr("got reply \"Ready? \" (ends with 1 space)"));
}

}  // namespace
