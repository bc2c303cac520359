#include "flow/loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::flow {
namespace {

using ::testing::HasSubstr;

// Every diagnostic formatted as "L:C: error|warning: path: message", for readable asserts.
std::vector<std::string> Lines(const CompileResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) {
    out.push_back(FormatDiagnostic(d, "").substr(1));
  }
  return out;
}

std::string Joined(const CompileResult& r) {
  std::string s;
  for (const auto& l : Lines(r)) {
    s += l + "\n";
  }
  return s;
}

constexpr const char* kLimaSample = R"([
  {
    "name": "OPTIN",
    "condition": "get_smth_from_user",
    "enter": "init",
    "states": [
      {
        "name": "OY1",
        "condition": "is_user_reply_yes",
        "enter": "ask_name",
        "states": [
          {
            "name": "@INITBG",
            "condition": "user_reply_name",
            "enter": "greet_user_create_task"
          }
        ]
      },
      {
        "name": "ON1",
        "condition": "is_user_reply_no",
        "enter": "say_np"
      }
    ]
  }
])";

// The LIMA handler names supplied as C++ handlers (Lua is tested in src/script).
HandlerRegistry LimaRegistry() {
  HandlerRegistry r;
  for (const char* c :
       {"get_smth_from_user", "is_user_reply_yes", "is_user_reply_no", "user_reply_name"}) {
    r.AddCondition(c, [](const HandlerContext&) -> Result<bool> { return true; });
  }
  for (const char* a : {"init", "ask_name", "greet_user_create_task", "say_np"}) {
    r.AddAction(a, [](ActionContext&) { return Status::Ok(); });
  }
  return r;
}

TEST(Loader, LimaSampleLoadsUnchangedWithHandlers) {
  const HandlerRegistry registry = LimaRegistry();
  CompileOptions options;
  options.registry = &registry;
  const auto r = Compile(kLimaSample, options);
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  const Flow& f = *r.flow;
  EXPECT_EQ(f.states.size(), 4u);  // OPTIN, OY1, ON1, INITBG (made by the link)
  EXPECT_EQ(f.states[f.start].name, "OPTIN");
  EXPECT_EQ(f.start_enter.size(), 1u);
  const State* optin = f.FindState("OPTIN");
  ASSERT_EQ(optin->edges.size(), 2u);
  EXPECT_EQ(f.states[optin->edges[0].target].name, "OY1");
  EXPECT_EQ(f.states[optin->edges[1].target].name, "ON1");
  EXPECT_TRUE(f.FindState("INITBG")->terminal());
  EXPECT_TRUE(f.FindState("ON1")->terminal());
  EXPECT_THAT(Joined(r), HasSubstr("13:21: warning: [0].states[0].states[0].name: link '@INITBG' "
                                   "goes to a state that is not defined"));
}

TEST(Loader, LimaSampleWithoutHandlersNamesEveryUnknownOne) {
  const auto r = Compile(kLimaSample);
  EXPECT_EQ(r.flow, nullptr);
  EXPECT_EQ(r.error_count(), 8u) << Joined(r);
  EXPECT_THAT(Joined(r), HasSubstr("4:18: error: [0].condition: unknown condition "
                                   "'get_smth_from_user'"));
  EXPECT_THAT(Joined(r), HasSubstr("5:14: error: [0].enter: unknown action 'init'"));
}

TEST(Loader, SuggestsTheClosestHandlerName) {
  const auto r = Compile(R"({"conditions": {"is_user_reply_yes": "yes"},
    "states": [{"name": "A", "states": [{"name": "B", "condition": "is_user_reply_yse"}]}]})");
  EXPECT_THAT(Joined(r), HasSubstr("2:68: error: states[0].states[0].condition: unknown "
                                   "condition 'is_user_reply_yse' (did you mean "
                                   "'is_user_reply_yes'?)"));
}

TEST(Loader, MalformedJsonGivesLineAndColumn) {
  const auto r = Compile("[\n  {\"name\": \"A\",}\n]");
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(Lines(r)[0], "2:16: error: malformed JSON: trailing comma before '}'");
}

TEST(Loader, LinksResolveRegardlessOfOrder) {
  // The link comes before the state it names, and a later top-level node defines it.
  const auto r = Compile(R"({"states": [
    {"name": "A", "states": [{"name": "@C", "condition": "yes"},
                             {"name": "B", "condition": "no"}]},
    {"name": "C", "states": [{"name": "@A", "condition": "always"}]}]})");
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  const Flow& f = *r.flow;
  EXPECT_EQ(f.states[f.FindState("A")->edges[0].target].name, "C");
  EXPECT_EQ(f.states[f.FindState("C")->edges[0].target].name, "A");
  // Only: A waits for a reply with no timer edge and no otherwise.
  EXPECT_EQ(r.warning_count(), 1u) << Joined(r);
}

TEST(Loader, SelfLoopsAreAllowed) {
  const auto r = Compile(R"({"states": [{"name": "A", "states": [
    {"name": "@A", "condition": "any_text", "enter": {"send": "again"}},
    {"name": "B", "condition": {"timer": "t"}}]}]})");
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  EXPECT_EQ(r.flow->states[r.flow->FindState("A")->edges[0].target].name, "A");
}

TEST(Loader, ContinuationBlockSuppliesTheNestedStatesEdges) {
  const auto r = Compile(R"({"states": [
    {"name": "A", "states": [{"name": "B", "condition": "yes"}]},
    {"name": "B", "states": [{"name": "C", "condition": "always"}]}]})");
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  const State* b = r.flow->FindState("B");
  ASSERT_EQ(b->edges.size(), 1u);
  EXPECT_EQ(r.flow->states[b->edges[0].target].name, "C");
}

TEST(Loader, ContinuedStateMayNotAlsoHaveNestedStates) {
  const auto r = Compile(R"({"states": [
    {"name": "A", "states": [{"name": "B", "condition": "yes",
                              "states": [{"name": "D", "condition": "always"}]}]},
    {"name": "B", "states": [{"name": "C", "condition": "always"}]}]})");
  EXPECT_THAT(Joined(r), HasSubstr("error: states[0].states[0].states: state 'B' is continued "
                                   "at states[1] (line 4)"));
}

TEST(Loader, DuplicateStatesNameBothPlaces) {
  const auto r = Compile(R"({"states": [
    {"name": "A", "states": [{"name": "B", "condition": "yes"},
                             {"name": "B", "condition": "no"}]}]})");
  EXPECT_THAT(Joined(r), HasSubstr("2:39: error: states[0].states[0].name: duplicate state 'B', "
                                   "also defined at states[0].states[1] (line 3)"));
  EXPECT_THAT(Joined(r), HasSubstr("3:39: error: states[0].states[1].name: duplicate state 'B', "
                                   "also defined at states[0].states[0] (line 2)"));
}

TEST(Loader, LinkWithChildrenIsAnError) {
  const auto r = Compile(R"({"states": [{"name": "A", "states": [
    {"name": "@A", "condition": "yes", "states": []}]}]})");
  EXPECT_THAT(Joined(r), HasSubstr("error: states[0].states[0].states: link '@A' cannot have "
                                   "states of its own"));
}

TEST(Loader, ShapeErrorsAreAllReportedAtOnce) {
  const auto r = Compile(R"({"flow": 3, "stats": [], "states": [
    {"condition": "yes"},
    {"name": 5},
    "B",
    {"name": "C", "states": {"name": "D"}},
    {"name": "E", "states": [{"name": "F"}], "colour": "red"}]})");
  const std::string all = Joined(r);
  EXPECT_THAT(all, HasSubstr("1:10: error: flow: expected a string, got number"));
  EXPECT_THAT(all, HasSubstr("1:22: error: stats: unknown key 'stats' (did you mean 'states'?)"));
  EXPECT_THAT(all, HasSubstr("2:5: error: states[0]: missing 'name'"));
  EXPECT_THAT(all, HasSubstr("3:14: error: states[1].name: expected a string, got number"));
  EXPECT_THAT(all, HasSubstr("4:5: error: states[2]: expected a state object, got string"));
  EXPECT_THAT(all, HasSubstr("5:29: error: states[3].states: expected an array, got object"));
  EXPECT_THAT(all, HasSubstr("6:30: error: states[4].states[0]: edge to 'F' has no 'condition'"));
  EXPECT_THAT(all, HasSubstr("6:56: error: states[4].colour: unknown key 'colour'"));
}

TEST(Loader, EmptyFlowIsAnError) {
  EXPECT_THAT(Joined(Compile("[]")), HasSubstr("error: the flow has no states"));
  EXPECT_THAT(Joined(Compile(R"({"flow": "x"})")), HasSubstr("missing 'states'"));
  EXPECT_THAT(Joined(Compile("42")), HasSubstr("a flow is a JSON array of states"));
}

TEST(Loader, TreeFormToleratesUnknownKeysWithAWarning) {
  const auto r = Compile(R"([{"name": "A", "comment": "x"}])");
  EXPECT_EQ(r.error_count(), 0u);
  EXPECT_THAT(Joined(r), HasSubstr("warning: [0].comment: unknown key 'comment' (ignored)"));
}

TEST(Loader, BadRegexDurationTimeAndZone) {
  const auto r = Compile(R"({"states": [{"name": "A", "states": [
    {"name": "B", "condition": {"matches": "(unclosed"}},
    {"name": "C", "condition": "yes", "enter": {"timer": {"name": "t", "after": "2x"}}},
    {"name": "D", "condition": "yes", "enter": {"timer": {"name": "t", "at": "25:00"}}},
    {"name": "E", "condition": "yes",
     "enter": {"timer": {"name": "t", "at": "09:00", "tz": "Mars/Olympus"}}}]}]})");
  const std::string all = Joined(r);
  EXPECT_THAT(all, HasSubstr("states[0].states[0].condition.matches: bad regex '(unclosed'"));
  EXPECT_THAT(all, HasSubstr("states[0].states[1].enter.timer.after: bad duration '2x'"));
  EXPECT_THAT(all, HasSubstr("states[0].states[2].enter.timer.at: bad time '25:00'"));
  EXPECT_THAT(all, HasSubstr("states[0].states[3].enter.timer.tz: unknown time zone "
                             "'Mars/Olympus'"));
}

TEST(Loader, ConditionShapes) {
  const auto r = Compile(R"({"states": [{"name": "A", "states": [
    {"name": "B", "condition": {"number": {"gte": 70, "lt": 54}}},
    {"name": "C", "condition": {"number": {"gte": 1, "gt": 0}}},
    {"name": "D", "condition": {"var": "n", "eq": 1, "lt": 3}},
    {"name": "E", "condition": {"var": "n", "gt": "x"}},
    {"name": "F", "condition": {"reply": []}},
    {"name": "G", "condition": {"all": []}},
    {"name": "H", "condition": {"reply": ["a"], "matches": "b"}},
    {"name": "I", "condition": {"mathces": "a"}}]}]})");
  const std::string all = Joined(r);
  EXPECT_THAT(all, HasSubstr("states[0].states[0].condition.number: the range is empty"));
  EXPECT_THAT(all, HasSubstr("states[0].states[1].condition.number: a range has at most one "
                             "lower bound"));
  EXPECT_THAT(all, HasSubstr("states[0].states[2].condition: a var condition needs exactly one "
                             "comparison"));
  EXPECT_THAT(all, HasSubstr("states[0].states[3].condition.gt: expected a number, got string"));
  EXPECT_THAT(all, HasSubstr("states[0].states[4].condition.reply: expected a word or a "
                             "non-empty array"));
  EXPECT_THAT(all, HasSubstr("states[0].states[5].condition.all: expected a non-empty array"));
  EXPECT_THAT(all, HasSubstr("states[0].states[6].condition: a condition object has exactly one "
                             "key, got 2"));
  EXPECT_THAT(all, HasSubstr("states[0].states[7].condition.mathces: unknown condition "
                             "'mathces' (did you mean 'matches'?)"));
}

TEST(Loader, ActionShapes) {
  const auto r = Compile(R"({"states": [{"name": "A", "states": [
    {"name": "B", "condition": "yes", "enter": {"sned": "hi"}},
    {"name": "C", "condition": "yes", "enter": [{"send": "Hi {{name"}]},
    {"name": "D", "condition": "yes", "enter": {"save": {"var": "x", "as": "date"}}},
    {"name": "E", "condition": "yes", "enter": {"timer": {"after": "1h"}}},
    {"name": "F", "condition": "yes", "enter": {"timer": {"name": "t"}}},
    {"name": "G", "condition": "yes", "enter": {"set": {"reply": 1}}},
    {"name": "H", "condition": "yes", "enter": "finish"}]}]})");
  const std::string all = Joined(r);
  EXPECT_THAT(all, HasSubstr("states[0].states[0].enter.sned: unknown action 'sned' (did you "
                             "mean 'send'?)"));
  EXPECT_THAT(all, HasSubstr("states[0].states[1].enter[0].send: bad template: '{{' at offset 3 "
                             "is never closed"));
  EXPECT_THAT(all, HasSubstr("states[0].states[2].enter.save.as: 'as' must be \"number\" or "
                             "\"text\""));
  EXPECT_THAT(all, HasSubstr("states[0].states[3].enter.timer: a timer needs a 'name'"));
  EXPECT_THAT(all, HasSubstr("states[0].states[4].enter.timer: a timer needs exactly one of "
                             "'after'"));
  EXPECT_THAT(all, HasSubstr("states[0].states[5].enter.set.reply: 'reply' is reserved"));
  EXPECT_THAT(all, HasSubstr("states[0].states[6].enter: unknown action 'finish'"));
}

TEST(Loader, NamedSectionsResolveFirstAndDetectCycles) {
  const auto r = Compile(R"({
    "conditions": {"yes": {"reply": ["yup"]}, "loop": "loop2", "loop2": "loop"},
    "actions": {"greet": [{"send": "hi"}, "end"]},
    "states": [{"name": "A", "states": [{"name": "B", "condition": "yes", "enter": "greet"},
                                        {"name": "C", "condition": "loop"}]}]})");
  EXPECT_THAT(Joined(r), HasSubstr("is defined in terms of itself"));
  const auto ok = Compile(R"({
    "conditions": {"yes": {"reply": ["yup"]}},
    "actions": {"greet": [{"send": "hi"}, "end"]},
    "otherwise": {"send": "?"},
    "states": [{"name": "A", "states": [{"name": "B", "condition": "yes", "enter": "greet"}]}]})");
  ASSERT_EQ(ok.error_count(), 0u) << Joined(ok);
  const Edge& e = ok.flow->FindState("A")->edges[0];
  EXPECT_TRUE(std::holds_alternative<cond::Reply>(e.condition.v));  // the section won
  EXPECT_EQ(e.enter.size(), 2u);
}

TEST(Loader, StartKeyChoosesTheInitialState) {
  const auto r = Compile(R"({"start": "B", "states": [
    {"name": "A", "states": [{"name": "@B", "condition": "always"}]},
    {"name": "B", "enter": {"send": "hello"}, "states": [{"name": "@A", "condition": "always"}]}]})");
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  EXPECT_EQ(r.flow->states[r.flow->start].name, "B");
  EXPECT_EQ(r.flow->start_enter.size(), 1u);
  EXPECT_THAT(Joined(Compile(R"({"start": "Z", "states": [{"name": "A"}]})")),
              HasSubstr("start: start state 'Z' is not defined"));
}

TEST(Loader, Warnings) {
  const auto r = Compile(R"({"states": [
    {"name": "A", "states": [{"name": "B", "condition": "always"},
                             {"name": "C", "condition": "yes",
                              "enter": {"send": "Hi {{nmae}} {{contact.name}} {{reply}}"}}]},
    {"name": "ORPHAN"},
    {"name": "B", "states": [{"name": "D", "condition": "yes", "enter": {"save": "name"}}]}]})");
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  const std::string all = Joined(r);
  EXPECT_THAT(all, HasSubstr("warning: states[0].states[1]: edge to 'C' is never taken: the "
                             "earlier edge at states[0].states[0] is 'always'"));
  EXPECT_THAT(all, HasSubstr("warning: states[1]: state 'ORPHAN' is unreachable"));
  EXPECT_THAT(all, HasSubstr("warning: states[2]: state 'B' waits for a reply but has "
                             "no timer edge and no 'otherwise'"));
  EXPECT_THAT(all, HasSubstr("warning: states[0].states[1].enter.send: template variable 'nmae' "
                             "is never set"));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("'name' is never set")));
  EXPECT_EQ(r.warning_count(), 4u) << all;
}

TEST(Loader, ScriptIsLoadedThroughTheCallerAndItsErrorsReported) {
  CompileOptions options;
  options.load_script = [](std::string_view name) -> Result<std::shared_ptr<const ScriptHost>> {
    return Status::InvalidArgument(std::string(name) + ":3: syntax error near 'end'");
  };
  const auto r = Compile(R"({"script": "x.lua", "states": [{"name": "A"}]})", options);
  EXPECT_THAT(Joined(r), HasSubstr("1:12: error: script: script 'x.lua': x.lua:3: syntax error"));

  // A tree-form file without a script beside it is fine.
  options.default_script = "lima.lua";
  options.load_script = [](std::string_view) -> Result<std::shared_ptr<const ScriptHost>> {
    return Status::NotFound("no such file");
  };
  EXPECT_EQ(Compile(R"([{"name": "A"}])", options).error_count(), 0u);
}

TEST(Loader, DocumentKeys) {
  const auto r = Compile(R"({"flow": "checkin", "version": 2, "tz": "America/Lima",
    "expire_after": "30d", "triggers": ["JOIN", " Check-in! "],
    "states": [{"name": "A"}]})");
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  EXPECT_EQ(r.flow->id, "checkin");
  EXPECT_EQ(r.flow->version, 2);
  EXPECT_EQ(r.flow->time_zone, "America/Lima");
  EXPECT_EQ(r.flow->expire_after, std::chrono::seconds(30 * 86400));
  EXPECT_EQ(r.flow->triggers, (std::vector<std::string>{"join", "check-in"}));
}

}  // namespace
}  // namespace parley::flow
