// Issue 12 items 6, 7 and 8: what `parley check` says about a LIMA flow ported without (all
// of) its handlers, a script that does not load, and states whose edges are script
// conditions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "flow/loader.hpp"

namespace parley::flow {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kTreeFlow = R"([
  {"name": "OPTIN", "condition": "get_smth_from_user", "enter": "init",
   "states": [
     {"name": "OY1", "condition": "is_user_reply_yes", "enter": "ask_name",
      "states": [{"name": "@OPTIN", "condition": "is_user_reply_yes", "enter": "init"}]},
     {"name": "ON1", "condition": "is_user_reply_no", "enter": "say_np"}]}
])";

// A script that defines `defined` globally and `hidden` as a local function.
class FakeScript final : public ScriptHost {
 public:
  bool HasFunction(std::string_view name) const override {
    return std::find(global_.begin(), global_.end(), name) != global_.end();
  }
  std::vector<std::string> FunctionNames() const override { return global_; }
  bool HasLocalFunction(std::string_view name) const override { return name == "init"; }
  Result<bool> EvalCondition(std::string_view, const HandlerContext&) const override {
    return true;
  }
  Status RunAction(std::string_view, ActionContext&) const override { return Status::Ok(); }

 private:
  std::vector<std::string> global_ = {"get_smth_from_user", "ask_name", "is_user_reply_yess"};
};

CompileOptions TreeOptions(std::function<Result<std::shared_ptr<const ScriptHost>>()> load) {
  CompileOptions options;
  options.default_script = "bgcheck.lua";
  options.source_path = "flows/bgcheck.json";
  options.load_script = [load](std::string_view, const EventLimits&) { return load(); };
  return options;
}

std::string Formatted(const CompileResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) {
    out += FormatDiagnostic(d, "bgcheck.json") + "\n";
  }
  return out;
}

// Issue 12 item 6: no script beside the flow: one diagnostic naming the script looked for,
// every missing name with its uses, and the scaffold command; not one error per use.
TEST(AuthoringDiagnostics, MissingScriptIsOneDiagnosticListingEveryName) {
  const auto r = Compile(kTreeFlow, TreeOptions([]() -> Result<std::shared_ptr<const ScriptHost>> {
                           return Status::NotFound("no such file");
                         }));
  ASSERT_EQ(r.error_count(), 1u) << Formatted(r);
  const std::string& message = r.diagnostics.front().message;
  EXPECT_THAT(message, HasSubstr("6 handlers the flow uses are not defined (bgcheck.lua beside "
                                 "bgcheck.json: not found):"));
  EXPECT_THAT(message, HasSubstr("\n  get_smth_from_user (condition) at 2:34\n"));
  EXPECT_THAT(message, HasSubstr("\n  is_user_reply_yes (condition) at 4:35, 5:50\n"));
  EXPECT_THAT(message, HasSubstr("\n  init (action) at 2:65, 5:80\n"));
  EXPECT_THAT(message, HasSubstr("`parley scaffold flows/bgcheck.json` writes bgcheck.lua with a "
                                 "stub for each"));
  EXPECT_EQ(r.diagnostics.front().pos.line, 2u);
  // The same, as data for `parley scaffold`.
  EXPECT_EQ(r.script_outcome, ScriptOutcome::kNotFound);
  EXPECT_EQ(r.script_name, "bgcheck.lua");
  ASSERT_EQ(r.missing_handlers.size(), 6u);
  EXPECT_EQ(r.missing_handlers[0].name, "get_smth_from_user");
  EXPECT_TRUE(r.missing_handlers[0].as_condition);
  EXPECT_EQ(r.missing_handlers[0].uses[0].path, "[0].condition");
  EXPECT_EQ(r.missing_handlers[1].name, "init");
  EXPECT_TRUE(r.missing_handlers[1].as_action);
  EXPECT_EQ(r.missing_handlers[1].uses.size(), 2u);
}

// Issue 12 item 6: a script that lacks names: the same grouping; a local function is named
// as such; a near name is suggested.
TEST(AuthoringDiagnostics, ScriptLackingNamesIsGroupedAndLocalFunctionsNamed) {
  const auto r = Compile(kTreeFlow, TreeOptions([]() -> Result<std::shared_ptr<const ScriptHost>> {
                           return std::shared_ptr<const ScriptHost>(std::make_shared<FakeScript>());
                         }));
  ASSERT_EQ(r.error_count(), 1u) << Formatted(r);
  const std::string& message = r.diagnostics.front().message;
  EXPECT_THAT(message, HasSubstr("4 handlers the flow uses are not defined in bgcheck.lua:"));
  EXPECT_THAT(message, HasSubstr("  init (action) at 2:65, 5:80: defined as a local function; "
                                 "make it global"));
  EXPECT_THAT(message, HasSubstr("  is_user_reply_yes (condition) at 4:35, 5:50 (did you mean "
                                 "'is_user_reply_yess'?)"));
  EXPECT_THAT(message, HasSubstr("`parley scaffold flows/bgcheck.json --append` adds a stub for "
                                 "each at the end of bgcheck.lua"));
  EXPECT_THAT(message, Not(HasSubstr("get_smth_from_user")));
}

// A document without a script keeps one error per use: a typo of a built-in, most likely.
TEST(AuthoringDiagnostics, DocumentWithoutScriptReportsEachUse) {
  const auto r = Compile(R"({"states": [{"name": "A", "states": [
    {"name": "B", "condition": "yse"}, {"name": "C", "condition": "yse"}]}]})");
  EXPECT_EQ(r.error_count(), 2u);
  EXPECT_THAT(Formatted(r), HasSubstr("unknown condition 'yse' (did you mean 'yes'?)"));
  ASSERT_EQ(r.missing_handlers.size(), 1u);  // still known to `parley scaffold`
  EXPECT_EQ(r.missing_handlers[0].uses.size(), 2u);
}

// Issue 12 item 6: in a document with a script, each use is its own error (a typo, most
// likely, with a suggestion), and a local function is named as such.
TEST(AuthoringDiagnostics, DocumentWithScriptNamesLocalFunctions) {
  CompileOptions options;
  options.load_script = [](std::string_view,
                           const EventLimits&) -> Result<std::shared_ptr<const ScriptHost>> {
    return std::shared_ptr<const ScriptHost>(std::make_shared<FakeScript>());
  };
  const auto r = Compile(R"({"script": "s.lua", "states": [{"name": "A", "enter": "init",
    "states": [{"name": "B", "condition": "is_user_reply_yes"}]}]})",
                         options);
  EXPECT_EQ(r.error_count(), 2u) << Formatted(r);
  EXPECT_THAT(Formatted(r), HasSubstr("error: states[0].enter: unknown action 'init': s.lua "
                                      "defines it as a local function; make it global"));
  EXPECT_THAT(Formatted(r), HasSubstr("unknown condition 'is_user_reply_yes' (did you mean "
                                      "'is_user_reply_yess'?)"));
}

// Issue 12 item 7: a script that does not load is reported alone, with its file and line,
// not followed by an error for every name it would have defined.
TEST(AuthoringDiagnostics, ScriptSyntaxErrorIsReportedAlone) {
  const auto r = Compile(kTreeFlow, TreeOptions([]() -> Result<std::shared_ptr<const ScriptHost>> {
                           return Status::InvalidArgument(
                               "bgcheck.lua:3: ')' expected (to close '(' at line 2) near "
                               "'end'");
                         }));
  ASSERT_EQ(r.error_count(), 1u) << Formatted(r);
  EXPECT_EQ(FormatDiagnostic(r.diagnostics.front(), "bgcheck.json"),
            "bgcheck.json: error: script: bgcheck.lua:3: ')' expected (to close '(' at line 2) "
            "near 'end'");
  EXPECT_EQ(r.script_outcome, ScriptOutcome::kFailed);
  EXPECT_TRUE(r.missing_handlers.empty());
}

// Issue 12 item 8: a state whose edges are script conditions may react to timers (parley
// cannot see inside them), so it does not get "waits for a reply but has no timer edge";
// a state with built-in reply conditions only still does.
TEST(AuthoringDiagnostics, ScriptConditionsSilenceTheNoTimerEdgeWarning) {
  CompileOptions options;
  options.load_script = [](std::string_view,
                           const EventLimits&) -> Result<std::shared_ptr<const ScriptHost>> {
    return std::shared_ptr<const ScriptHost>(std::make_shared<FakeScript>());
  };
  const auto r = Compile(R"({"script": "s.lua", "states": [
    {"name": "A", "states": [{"name": "B", "condition": "get_smth_from_user"}]},
    {"name": "B", "states": [{"name": "C", "condition": {"all": ["yes", "get_smth_from_user"]}}]},
    {"name": "C", "states": [{"name": "D", "condition": "yes"}]}]})",
                         options);
  ASSERT_EQ(r.error_count(), 0u) << Formatted(r);
  const std::string all = Formatted(r);
  EXPECT_THAT(all, Not(HasSubstr("state 'A' waits for a reply")));
  EXPECT_THAT(all, Not(HasSubstr("state 'B' waits for a reply")));
  EXPECT_THAT(all, HasSubstr("state 'C' waits for a reply but has no timer edge"));
  EXPECT_EQ(r.warning_count(), 1u) << all;
}

}  // namespace
}  // namespace parley::flow
