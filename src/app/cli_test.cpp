// Runs the built `parley` binary as a user would and checks exit codes and output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace {

using ::testing::HasSubstr;

struct Outcome {
  int code = -1;
  std::string out;  // stdout and stderr together
};

Outcome Parley(const std::string& args, const std::string& input = "") {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string in = (dir / ("parley_cli_in_" + std::to_string(::getpid()))).string();
  std::ofstream(in) << input;
  const std::string cmd = std::string(PARLEY_BINARY) + " " + args + " < " + in + " 2>&1";
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
  const Outcome r = Parley("check --json " + path);
  EXPECT_EQ(r.code, 0);
  EXPECT_THAT(r.out, HasSubstr(R"("severity":"warning","path":"[0]","line":1,"column":2)"));
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
  EXPECT_THAT(fail.out, HasSubstr("bad.txt:3: expected reply \"Finished.\""));
  EXPECT_THAT(fail.out, HasSubstr("got reply \"Done.\""));
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

}  // namespace
