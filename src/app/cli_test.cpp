// Runs the built `parley` binary as a user would and checks exit codes and output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/json.hpp"

namespace {

using ::testing::HasSubstr;

struct Outcome {
  int code = -1;
  std::string out;  // what the command printed (see Parley / ParleyStdoutOnly)
};

// Runs `ENV parley ARGS < INPUT STDERR` in a shell and collects stdout.
Outcome Run(const std::string& args, const std::string& input, const std::string& env,
            const std::string& stderr_to) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string in = (dir / ("parley_cli_in_" + std::to_string(::getpid()))).string();
  std::ofstream(in) << input;
  const std::string cmd =
      env + " " + std::string(PARLEY_BINARY) + " " + args + " < " + in + " " + stderr_to;
  Outcome r;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::filesystem::remove(in);
  return r;
}

// stdout and stderr together.
Outcome Parley(const std::string& args, const std::string& input = "",
               const std::string& env = "") {
  return Run(args, input, env, "2>&1");
}

Outcome ParleyStdoutOnly(const std::string& args) { return Run(args, "", "", "2>/dev/null"); }

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("parley_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  std::filesystem::path dir_;
};

constexpr const char* kFlow = R"({"flow": "demo", "states": [
  {"name": "ASK", "enter": [{"send": "Ready?"}, {"timer": {"name": "nudge", "after": "1h"}}],
   "otherwise": {"send": "Say yes."},
   "states": [
    {"name": "DONE", "condition": "yes", "enter": {"send": "Done."}},
    {"name": "@ASK", "condition": {"timer": "nudge"}, "enter": {"send": "Still there?"}}]}]})";

TEST_F(Cli, CheckAcceptsAValidFlow) {
  const Outcome r = Parley("check " + Write("demo.json", kFlow));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("demo.json: ok — 2 states, 2 edges, 0 handlers, 0 warnings"));
}

TEST_F(Cli, CheckPointsAtTheBrokenPlace) {
  const std::string path = Write("bad.json", R"({"states": [
  {"name": "A", "states": [{"name": "B", "condition": "yse"}]}]})");
  const Outcome r = Parley("check " + path);
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("bad.json:2:55: error: states[0].states[0].condition: unknown "
                               "condition 'yse' (did you mean 'yes'?)"));
  EXPECT_THAT(r.out, HasSubstr("bad.json: invalid — 1 error, 0 warnings"));
  const Outcome malformed = Parley("check " + Write("m.json", "[{\"name\": }]"));
  EXPECT_EQ(malformed.code, 1);
  EXPECT_THAT(malformed.out, HasSubstr("m.json:1:11: error: malformed JSON"));
}

TEST_F(Cli, CheckStrictAndJson) {
  const std::string path = Write("w.json", R"([{"name": "A", "states": [
    {"name": "B", "condition": "yes"}]}])");
  EXPECT_EQ(Parley("check " + path).code, 0);
  EXPECT_EQ(Parley("check --strict " + path).code, 1);
  const Outcome r = ParleyStdoutOnly("check --json " + path);
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr(R"("severity":"warning","path":"[0]","line":1,"column":2)"));
}

// Issue 8 item 7: per-event caps. `check` warns about an edge that exceeds one whenever it
// runs, and `chat` fails that event as the server does, keeping the session where it was.
TEST_F(Cli, CheckWarnsAboutPerEventCapsAndChatEnforcesThem) {
  const std::string path = Write("caps.json", R"({"limits": {"sends_per_event": 2},
    "states": [{"name": "A", "otherwise": {"send": "?"}, "states": [
      {"name": "@A", "condition": "yes",
       "enter": [{"send": "one"}, {"send": "two"}, {"send": "three"}]}]}]})");
  const Outcome check = Parley("check " + path);
  EXPECT_EQ(check.code, 0) << check.out;
  EXPECT_THAT(check.out, HasSubstr("warning: states[0].states[0]: the actions of the edge to 'A' "
                                   "send 3 messages, over sends_per_event (2)"));
  EXPECT_EQ(Parley("check --strict " + path).code, 1);
  const Outcome chat = Parley("chat " + path, "yes\n/state\n/quit\n");
  EXPECT_EQ(chat.code, 0) << chat.out;
  EXPECT_THAT(chat.out, HasSubstr("event limit exceeded: sends_per_event is 2"));
  EXPECT_THAT(chat.out, ::testing::Not(HasSubstr("< one")));
  EXPECT_THAT(chat.out, HasSubstr("state A (active), step 0"));
}

// Issue 9 (status callbacks): chat plays a delivery failure of the last message.
TEST_F(Cli, ChatPlaysDeliveryFailures) {
  const std::string path = Write("reach.json", R"({"states": [{"name": "ASK",
    "enter": {"send": "Are you there?"}, "states": [
      {"name": "LOST", "condition": {"delivery_failed": "30003"}, "enter": {"send": "lost"}}]}]})");
  const Outcome chat =
      Parley("chat " + path, "/failedx\n/failed 63016\n/undelivered 30003\n/quit\n");
  EXPECT_EQ(chat.code, 0) << chat.out;
  EXPECT_THAT(chat.out, HasSubstr("[no delivery_failed edge here: nothing happens]"));
  EXPECT_THAT(chat.out, HasSubstr("[ASK -> LOST]"));
  EXPECT_THAT(chat.out, HasSubstr("< lost"));
  EXPECT_THAT(chat.out, HasSubstr("unknown command /failedx"));
}

TEST_F(Cli, CheckJsonIsOneParsableDocument) {
  const std::string good = Write("good.json", kFlow);
  const std::string bad = Write("bad.json", R"({"states": [
  {"name": "A", "states": [{"name": "B", "condition": "yse"}]}]})");
  const Outcome r = ParleyStdoutOnly("check --json " + good + " " + bad);
  EXPECT_EQ(r.code, 1);
  const auto doc = parley::json::Parse(r.out);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString() << "\n" << r.out;
  EXPECT_EQ(doc->Find("valid")->as_bool(), false);
  EXPECT_EQ(doc->Find("errors")->as_number(), 1);
  const auto& files = doc->Find("files")->as_array();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].Find("valid")->as_bool(), true);
  EXPECT_EQ(files[0].Find("flow")->as_string(), "demo");
  EXPECT_EQ(files[0].Find("states")->as_number(), 2);
  EXPECT_EQ(files[1].Find("file")->as_string(), bad);
  const auto& diagnostic = files[1].Find("diagnostics")->as_array().at(0);
  EXPECT_EQ(diagnostic.Find("severity")->as_string(), "error");
  EXPECT_EQ(diagnostic.Find("path")->as_string(), "states[0].states[0].condition");
  EXPECT_EQ(diagnostic.Find("line")->as_number(), 2);
  EXPECT_EQ(diagnostic.Find("column")->as_number(), 55);
  EXPECT_THAT(diagnostic.Find("message")->as_string(), HasSubstr("did you mean 'yes'?"));
}

TEST_F(Cli, ScriptsMustLiveBesideTheFlow) {
  const Outcome r = Parley("check " + Write("s.json", R"({"script": "../../etc/passwd",
    "states": [{"name": "A"}]})"));
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("s.json:1:12: error: script: script '../../etc/passwd': the "
                               "script must be a path inside the flow's folder"));
  Write("h.lua", "function yes_please(ctx) return ctx.reply == 'yes please' end");
  const Outcome ok = Parley("check " + Write("h.json", R"({"script": "h.lua", "states": [
    {"name": "A", "states": [{"name": "B", "condition": "yes_please"}]}]})"));
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_THAT(ok.out, HasSubstr("1 handler (1 Lua)"));
}

TEST_F(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(Parley("check").code, 2);
  EXPECT_EQ(Parley("frobnicate").code, 2);
  EXPECT_EQ(Parley("").code, 2);
  EXPECT_EQ(Parley("check --nope x.json").code, 2);
}

TEST_F(Cli, MissingFileIsAClearError) {
  const Outcome r = Parley("check " + (dir_ / "nope.json").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("cannot read"));
  EXPECT_THAT(r.out, HasSubstr("No such file or directory"));
}

// Issue 8 item 11: `--env FILE` naming a missing file is an error (it used to be skipped, and
// the server started on defaults); only the default .env may be absent.
TEST_F(Cli, EnvFlagNamingAMissingFileIsAnError) {
  const std::string in_dir =
      "cd " + dir_.string() + " && DATABASE_URL=sqlite:" + (dir_ / "parley.db").string();
  for (const std::string command :
       {"serve --listen 127.0.0.1:0", "migrate", "start +14155550101 --flow demo"}) {
    const Outcome r = Parley(command + " --env nope.env", "", in_dir);
    EXPECT_EQ(r.code, 1) << command << ": " << r.out;
    EXPECT_THAT(r.out, HasSubstr("--env nope.env: No such file or directory")) << command;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "parley.db"));  // nothing was opened
  // Without --env a missing .env is fine: migrate runs on the environment alone.
  const Outcome ok = Parley("migrate", "", in_dir);
  EXPECT_EQ(ok.code, 0) << ok.out;
  Write(".env", "PARLEY_REPLY_MODE=twiml\n");
  EXPECT_EQ(Parley("migrate --env .env", "", in_dir).code, 0);
}

TEST_F(Cli, ChatWithPipedInputShowsRepliesStatesAndTimers) {
  const Outcome r =
      Parley("chat " + Write("demo.json", kFlow), "hmm\n/wait 1h\n/state\nyes\n/vars\n/quit\n");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("< Ready?"));
  EXPECT_THAT(r.out, HasSubstr("[timer nudge set for 2026-01-05T09:00:00.000Z]"));
  EXPECT_THAT(r.out, HasSubstr("> hmm\n  [no edge matched]\n< Say yes."));
  EXPECT_THAT(r.out, HasSubstr("timer nudge fired]\n  [ASK -> ASK]\n< Still there?"));
  EXPECT_THAT(r.out, HasSubstr("[ASK -> DONE]\n< Done."));
  EXPECT_THAT(r.out, HasSubstr("[session completed"));
}

TEST_F(Cli, TestPassesAndFailsWithLineNumbers) {
  const std::string flow = Write("demo.json", kFlow);
  const std::string good = Write("good.txt", "< Ready?\n~ 1h\n< Still there?\n> yes\n< Done.\n");
  const std::string bad = Write("bad.txt", "< Ready?\n> yes\n< Finished.\n");
  const Outcome pass = Parley("test " + flow + " " + good + " --coverage --require-full-coverage");
  EXPECT_EQ(pass.code, 0) << pass.out;
  EXPECT_THAT(pass.out, HasSubstr("PASS good.txt"));
  EXPECT_THAT(pass.out, HasSubstr("coverage: 2/2 edges"));
  const Outcome fail = Parley("test " + flow + " " + bad);
  EXPECT_EQ(fail.code, 1);
  EXPECT_THAT(fail.out, HasSubstr("FAIL bad.txt\n"
                                  "  bad.txt:3: expected reply \"Finished.\"\n"
                                  "                  got reply \"Done.\"\n"));
  EXPECT_THAT(fail.out, HasSubstr("0/1 transcripts passed"));
  const Outcome partial =
      Parley("test " + flow + " " + Write("p.txt", "< Ready?\n> yes\n< Done.\n") +
             " --require-full-coverage");
  EXPECT_EQ(partial.code, 1);
  EXPECT_THAT(partial.out, HasSubstr("states[0].states[1] (line 6): ASK -> ASK"));
}

TEST_F(Cli, GraphPrintsDot) {
  const Outcome r = Parley("graph " + Write("demo.json", kFlow));
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr("\"__start\" -> \"ASK\""));
  EXPECT_THAT(r.out, HasSubstr("\"ASK\" -> \"DONE\" [label=\"yes\"]"));
  EXPECT_THAT(r.out, HasSubstr("\"ASK\" -> \"ASK\" [label=\"timer nudge\", style=dashed]"));
  EXPECT_THAT(r.out, HasSubstr("\"DONE\" [shape=doublecircle"));
}

TEST_F(Cli, TestReportsUnreadableAndMalformedTranscripts) {
  const std::string flow = Write("demo.json", kFlow);
  const Outcome r = Parley("test " + flow + " " + Write("x.txt", "< Ready?\nwat\n") + " " +
                           (dir_ / "missing.txt").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("FAIL x.txt\n  x.txt:2: unknown directive 'wat'"));
  EXPECT_THAT(r.out, HasSubstr("FAIL missing.txt\n  cannot read"));
  EXPECT_EQ(Parley("test " + flow).code, 2);  // no transcript
  const Outcome invalid = Parley("test " + Write("bad.json", "[]") + " " + flow);
  EXPECT_EQ(invalid.code, 1);
  EXPECT_THAT(invalid.out, HasSubstr("invalid flow, no transcript was run"));
}

TEST_F(Cli, ChatKeepsTheSessionWhenAHandlerFails) {
  Write("lua.lua", R"(
function boom(ctx) error("kaboom") end
function hello(ctx) ctx:send("Hello " .. ctx.contact.name .. " at " .. ctx.contact.phone) end
)");
  const std::string flow = Write("lua.json", R"({"script": "lua.lua", "states": [
    {"name": "A", "enter": "hello", "states": [
      {"name": "B", "condition": {"reply": ["go"]}, "enter": "boom"},
      {"name": "C", "condition": {"reply": ["ok"]}, "enter": {"send": "Fine."}}]}]})");
  const Outcome r =
      Parley("chat " + flow + " --as +15551234567 --name Ana", "go\n/state\nok\n/reset\n");
  EXPECT_EQ(r.code, 0) << r.out;  // end of input exits cleanly
  EXPECT_THAT(r.out, HasSubstr("< Hello Ana at +15551234567"));
  EXPECT_THAT(r.out, HasSubstr("kaboom"));
  EXPECT_THAT(r.out, HasSubstr("the session stays in A"));
  EXPECT_THAT(r.out, HasSubstr("state A (active), step 0"));
  EXPECT_THAT(r.out, HasSubstr("[A -> C]\n< Fine.\n  [session completed"));
  EXPECT_THAT(r.out, HasSubstr("> /reset\n  [2026-01-05T08:00:00.000Z session started in A]"));
}

TEST_F(Cli, ChatCommands) {
  const Outcome r = Parley("chat " + Write("demo.json", kFlow),
                           "/help\n/wait 2x\n/frob\n/wait 30m\n/vars\nyes\nyes\n/quit\nyes\n");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("/wait DURATION"));
  EXPECT_THAT(r.out, HasSubstr("bad duration '2x'"));
  EXPECT_THAT(r.out, HasSubstr("unknown command /frob (/help lists them)"));
  EXPECT_THAT(r.out, HasSubstr("[clock now 2026-01-05T08:30:00.000Z]"));
  EXPECT_THAT(r.out, HasSubstr("  {}\n"));
  EXPECT_THAT(r.out, HasSubstr("the session is completed; /reset starts a new one"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("> yes\n> yes\n> yes")));  // stopped at /quit
  EXPECT_EQ(Parley("chat").code, 2);
  EXPECT_EQ(Parley("chat " + Write("bad.json", "{")).code, 1);
}

TEST_F(Cli, GraphSvgNeedsGraphviz) {
  const std::string flow = Write("demo.json", kFlow);
  const Outcome r = Parley("graph --svg " + flow, "", "PATH=/nonexistent");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("needs Graphviz's 'dot' on PATH"));
  EXPECT_EQ(Parley("graph " + Write("bad.json", "{")).code, 1);
  if (std::system("command -v dot >/dev/null 2>&1") == 0) {
    const Outcome svg = Parley("graph --svg " + flow);
    EXPECT_EQ(svg.code, 0);
    EXPECT_THAT(svg.out, HasSubstr("<svg"));
  }
}

}  // namespace
