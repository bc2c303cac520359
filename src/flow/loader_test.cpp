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

// Issue 12 item 6: one diagnostic for the tree form's missing handlers, not one per use.
TEST(Loader, LimaSampleWithoutHandlersNamesEveryUnknownOne) {
  const auto r = Compile(kLimaSample);
  EXPECT_EQ(r.flow, nullptr);
  EXPECT_EQ(r.error_count(), 1u) << Joined(r);
  EXPECT_THAT(Joined(r), HasSubstr("4:18: error: 8 handlers the flow uses are not defined (no "
                                   "script was loaded):\n  get_smth_from_user (condition) at "
                                   "4:18\n  init (action) at 5:14\n"));
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

// Issue 10: the state on_missing_state names is where sessions of a removed state enter, so
// `check` must not call it unreachable; one no edge and no on_missing_state reaches still is.
TEST(Loader, OnMissingStateCountsAsReachable) {
  const auto r = Compile(R"({"on_missing_state": "UPDATED", "states": [
    {"name": "A", "states": [{"name": "@A", "condition": "always"}]},
    {"name": "UPDATED", "states": [{"name": "@A", "condition": "always"}]},
    {"name": "ORPHAN", "states": [{"name": "@A", "condition": "always"}]}]})");
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  ASSERT_NE(r.flow, nullptr);
  EXPECT_EQ(r.flow->on_missing_state, "UPDATED");
  EXPECT_THAT(Joined(r), ::testing::Not(HasSubstr("'UPDATED' is unreachable")));
  EXPECT_THAT(Joined(r), HasSubstr("state 'ORPHAN' is unreachable"));
  EXPECT_EQ(r.warning_count(), 1u) << Joined(r);
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

// Issue 12 item 19: a "version" far outside int's range is a diagnostic, not an undefined
// double-to-int conversion (the fuzz and sanitizer builds stop on the latter).
TEST(Loader, VersionOutsideIntRangeIsAnError) {
  for (const char* version : {"3.3e125", "-3.3e125", "2147483648", "1.5", "0"}) {
    const std::string text =
        std::string(R"({"flow": "x", "version": )") + version + R"(, "states": [{"name": "A"}]})";
    EXPECT_THAT(Joined(Compile(text)), HasSubstr("version must be a positive integer")) << version;
  }
  EXPECT_EQ(
      Compile(R"({"flow": "x", "version": 2147483647, "states": [{"name": "A"}]})").flow->version,
      2147483647);
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
  options.load_script = [](std::string_view name,
                           const EventLimits&) -> Result<std::shared_ptr<const ScriptHost>> {
    return Status::InvalidArgument(std::string(name) + ":3: syntax error near 'end'");
  };
  const auto r = Compile(R"({"script": "x.lua", "states": [{"name": "A"}]})", options);
  EXPECT_THAT(Joined(r), HasSubstr("1:12: error: script: x.lua:3: syntax error"));

  // A tree-form file without a script beside it is fine.
  options.default_script = "lima.lua";
  options.load_script = [](std::string_view,
                           const EventLimits&) -> Result<std::shared_ptr<const ScriptHost>> {
    return Status::NotFound("no such file");
  };
  EXPECT_EQ(Compile(R"([{"name": "A"}])", options).error_count(), 0u);
}

// Issue 8 item 5: a flow may set its handlers' deadline; the script loader receives it.
TEST(Loader, LimitsReachTheScriptLoader) {
  std::optional<std::chrono::milliseconds> seen;
  CompileOptions options;
  options.load_script =
      [&seen](std::string_view,
              const EventLimits& limits) -> Result<std::shared_ptr<const ScriptHost>> {
    seen = limits.script_timeout;
    return Status::InvalidArgument("not loaded");
  };
  const auto r = Compile(
      R"({"script": "x.lua", "limits": {"script_timeout_ms": 250}, "states": [{"name": "A"}]})",
      options);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(*seen, std::chrono::milliseconds(250));
  const auto ok = Compile(R"({"limits": {"script_timeout_ms": 40}, "states": [{"name": "A"}]})");
  ASSERT_NE(ok.flow, nullptr) << Joined(ok);
  EXPECT_EQ(ok.flow->limits.script_timeout, std::chrono::milliseconds(40));
  EXPECT_FALSE(Compile(R"({"states": [{"name": "A"}]})").flow->limits.script_timeout);

  for (const char* bad : {R"("fast")", "0", "10001", "1.5", "-3"}) {
    const auto e = Compile(std::string(R"({"limits": {"script_timeout_ms": )") + bad +
                           R"(}, "states": [{"name": "A"}]})");
    EXPECT_THAT(Joined(e), HasSubstr("error: limits.script_timeout_ms: script_timeout_ms must be "
                                     "a whole number of milliseconds from 1 to 10000"))
        << bad;
  }
  EXPECT_THAT(Joined(Compile(R"({"limits": {"script_timeout": 5}, "states": [{"name": "A"}]})")),
              HasSubstr("unknown limit 'script_timeout' (did you mean 'script_timeout_ms'?)"));
  EXPECT_THAT(Joined(Compile(R"({"limits": 5, "states": [{"name": "A"}]})")), HasSubstr("limits"));
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

// ---- Edge cases of reading the JSON: every diagnostic as the DOM-based loader gave it ------

TEST(LoaderJson, EscapedKeysAndNamesAreDecoded) {
  const auto r = Compile(
      R"({"st\u0061tes": [{"n\u0061me": "A\u00e9", "states": [{"name": "@A\u00e9", )"
      R"("condition": {"reply": "s\u00ed"}, "enter": {"send": "\"hi\"\n{{n\u0061me}}"}}]}]})");
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  const State* a = r.flow->FindState("Aé");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->edges.size(), 1u);
  EXPECT_EQ(r.flow->states[a->edges[0].target].name, "Aé");
  EXPECT_EQ(std::get<cond::Reply>(a->edges[0].condition.v).words, std::vector<std::string>{"sí"});
  EXPECT_EQ(std::get<act::Send>(a->edges[0].enter[0].v).text, "\"hi\"\n{{name}}");
  EXPECT_EQ(Lines(r), (std::vector<std::string>{
                          "1:18: warning: states[0]: state 'Aé' waits for a reply but has no "
                          "timer edge and no 'otherwise': a reply that matches no edge gets no "
                          "answer and the contact may be stuck",
                          "1:128: warning: states[0].states[0].enter.send: template variable "
                          "'name' is never set by any action of this flow (it renders as \"\")"}));
}

TEST(LoaderJson, PathsAndMessagesShowDecodedKeysAndNames) {
  EXPECT_EQ(Lines(Compile(R"([{"name": "A", "col\u006fur": "red", "t\u00e9st": 1}])")),
            (std::vector<std::string>{"1:31: warning: [0].colour: unknown key 'colour' (ignored)",
                                      "1:51: warning: [0].tést: unknown key 'tést' (ignored)"}));
  EXPECT_EQ(
      Lines(Compile(R"({"states": [{"name": "A", "states": [{"name": "B", "condition": "yes"}, )"
                    R"({"name": "\u0042", "condition": "no"}]}]})")),
      (std::vector<std::string>{"1:47: error: states[0].states[0].name: duplicate state 'B', also "
                                "defined at states[0].states[1] (line 1)",
                                "1:82: error: states[0].states[1].name: duplicate state 'B', also "
                                "defined at states[0].states[0] (line 1)"}));
  EXPECT_EQ(Lines(Compile(R"({"states": [{"name": "A", "states": [{"name": "@\u0042x", )"
                          R"("condition": "yes"}]}], "otherwise": {"send": "?"}})")),
            (std::vector<std::string>{"1:47: warning: states[0].states[0].name: link '@Bx' goes "
                                      "to a state that is not defined; 'Bx' becomes a terminal "
                                      "state"}));
  EXPECT_EQ(Lines(Compile(R"({"states": [{"name": "A", "states": [{"name": "B", )"
                          R"("condition": {"reply": ["ok", "\u0021\u0021"]}}]}]})")),
            (std::vector<std::string>{"1:82: error: states[0].states[0].condition.reply[1]: "
                                      "reply word '!!' is empty after normalization"}));
}

TEST(LoaderJson, DuplicateKeysTheFirstCountsAndEachUnknownOneIsReported) {
  const auto r = Compile(R"({"states": [{"name": "A", "name": "B", "states": [{"name": "C", )"
                         R"("condition": "yes", "condition": "bogus", "enter": "end", )"
                         R"("enter": "nope"}]}], "states": 3})");
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  ASSERT_NE(r.flow->FindState("A"), nullptr);
  EXPECT_EQ(r.flow->FindState("B"), nullptr);
  const Edge& e = r.flow->FindState("A")->edges.at(0);
  EXPECT_TRUE(std::holds_alternative<cond::Yes>(e.condition.v));
  ASSERT_EQ(e.enter.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<act::End>(e.enter[0].v));
  EXPECT_EQ(
      Lines(Compile(R"({"states": [{"name": "A", "x": 1, "x": 2}], "y": 1, "y": 2})")),
      (std::vector<std::string>{
          "1:32: error: states[0].x: unknown key 'x'", "1:40: error: states[0].x: unknown key 'x'",
          "1:50: error: y: unknown key 'y'", "1:58: error: y: unknown key 'y'"}));
}

TEST(LoaderJson, ColumnsCountBytesAfterMultiByteUtf8) {
  EXPECT_EQ(Lines(Compile(R"({"states": [{"name": "é👍", "states": [{"name": "@Ω", )"
                          R"("condition": "yes"}, {"name": "B", "condition": "nope", )"
                          R"("enter": {"send": "ñ {{x}}"}}]}]})")),
            (std::vector<std::string>{
                "1:107: error: states[0].states[1].condition: unknown condition 'nope'",
                "1:52: warning: states[0].states[0].name: link '@Ω' goes to a state that is not "
                "defined; 'Ω' becomes a terminal state"}));
  const auto r = Compile(
      "{\"states\": [\n  {\"name\": \"é\", \"states\": [{\"name\": \"👍\", \"condition\": "
      "\"always\", \"enter\": {\"send\": \"ñ {{x}}\"}}]}]}");
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  EXPECT_EQ(Lines(r), (std::vector<std::string>{
                          "2:87: warning: states[0].states[0].enter.send: template variable 'x' "
                          "is never set by any action of this flow (it renders as \"\")"}));
  const Edge& e = r.flow->FindState("é")->edges.at(0);
  EXPECT_EQ(e.path, "states[0].states[0]");
  EXPECT_EQ(e.pos.line, 2u);
  EXPECT_EQ(e.pos.col, 29u);
}

TEST(LoaderJson, CrLfEndsALine) {
  const auto r = Compile(
      "{\"states\": [\r\n{\"name\": \"A\",\r\n \"states\": [{\"name\": \"B\", \"condition\": "
      "\"always\"}]},\r\n{\"name\": \"Z\"}]}");
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  EXPECT_EQ(Lines(r), (std::vector<std::string>{"4:1: warning: states[1]: state 'Z' is "
                                                "unreachable from the start state 'A'"}));
  EXPECT_EQ(r.flow->FindState("A")->edges.at(0).pos.line, 3u);
  EXPECT_EQ(r.flow->FindState("A")->edges.at(0).pos.col, 13u);
}

TEST(LoaderJson, InvalidUtf8IsMalformedJsonAtItsFirstByte) {
  const std::pair<std::string, std::string> cases[] = {
      {"{\"states\": [{\"name\": \"A\xc3\"}]}",
       "1:24: error: malformed JSON: invalid UTF-8 sequence in string"},
      {"{\"states\": [{\"na\xffme\": \"A\"}]}",
       "1:17: error: malformed JSON: invalid UTF-8 byte 0xFF in string"},
      {"{\"states\": [{\"name\": \"\xe2\x82",
       "1:23: error: malformed JSON: truncated UTF-8 sequence in string"},
      {"[{\"name\": \"A\", \"description\": \"\xc0\xaf\"}]",
       "1:32: error: malformed JSON: invalid UTF-8 byte 0xC0 in string"},
      {"{\"states\": [{\"name\": \"\\ud800\"}]}",
       "1:29: error: malformed JSON: invalid \\u escape: unpaired surrogate"},
      {"{\"states\": [{\"name\": \"A\\x\"}]}",
       "1:25: error: malformed JSON: invalid escape \\x in string"},
  };
  for (const auto& [text, line] : cases) {
    EXPECT_EQ(Lines(Compile(text)), std::vector<std::string>{line}) << text;
  }
}

TEST(LoaderJson, NestingLimitIsExact) {
  const auto nested = [](int levels) {
    return std::string(static_cast<size_t>(levels), '[') +
           std::string(static_cast<size_t>(levels), ']');
  };
  // The document object plus 255 arrays: 256 levels.
  EXPECT_EQ(Lines(Compile(R"({"states": [{"name": "A"}], "description": )" + nested(255) + "}")),
            (std::vector<std::string>{"1:44: error: description: expected a string, got array"}));
  EXPECT_EQ(
      Lines(Compile("{\"states\": [{\"name\": \"A\"}],\n \"description\": " + nested(256) + "}")),
      (std::vector<std::string>{"2:272: error: malformed JSON: nesting deeper than 256 levels"}));
}

TEST(LoaderJson, DeepestStateTreeCompilesAndOneMoreLevelIsMalformed) {
  // Each level of states is an array and an object: 127 levels, the document and the last
  // (empty) "states" make 256.
  const auto tree = [](int levels) {
    std::string text = "{\"states\": ";
    for (int i = 0; i < levels; ++i) {
      text += "[{\"name\": \"S" + std::to_string(i) + "\", \"condition\": \"always\", \"states\": ";
    }
    text += "[]";
    for (int i = 0; i < levels; ++i) {
      text += "}]";
    }
    return text + "}";
  };
  const auto r = Compile(tree(127));
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  std::string deepest = "states[0]";
  for (int i = 1; i < 127; ++i) {
    deepest += ".states[0]";
  }
  EXPECT_EQ(r.flow->FindState("S125")->edges.at(0).path, deepest);
  const std::string too_deep = tree(128);
  const size_t offender = too_deep.find("{\"name\": \"S127\"");
  EXPECT_EQ(Lines(Compile(too_deep)),
            (std::vector<std::string>{"1:" + std::to_string(offender + 1) +
                                      ": error: malformed JSON: nesting deeper than 256 levels"}));
}

TEST(LoaderJson, OtherwiseTwiceIsReportedAfterItsOwnErrors) {
  // Both diagnostics are at the second 'otherwise': the order is the order they were found.
  EXPECT_EQ(Lines(Compile(R"({"states": [{"name": "A", "states": [{"name": "B", )"
                          R"("condition": "yes", "otherwise": "nope"}]},
 {"name": "B", "otherwise": {"sned": 1}, "states": [{"name": "@A", "condition": "always"}]}]})")),
            (std::vector<std::string>{
                "1:85: error: states[0].states[0].otherwise: unknown action 'nope'",
                "2:29: error: states[1].otherwise.sned: unknown action 'sned' (did you mean "
                "'send'?)",
                "2:29: error: states[1].otherwise: state 'B' already has 'otherwise' at "
                "states[0].states[0]"}));
}

TEST(LoaderJson, StartEnterComesFromTheDefiningNode) {
  // B is defined twice (a continuation block): the top-level node defines it, and has no
  // `enter`; the nested node's `enter` belongs to the edge into B.
  const auto r =
      Compile(R"({"start": "B", "states": [{"name": "A", "states": [{"name": "B", )"
              R"("condition": "yes", "enter": {"send": "b"}, "otherwise": {"send": "?"}}]},
 {"name": "B", "states": [{"name": "@A", "condition": {"timer": "t"}}]}]})");
  ASSERT_EQ(r.error_count(), 0u) << Joined(r);
  EXPECT_EQ(r.flow->states[r.flow->start].name, "B");
  EXPECT_TRUE(r.flow->start_enter.empty());
  EXPECT_EQ(r.flow->FindState("A")->edges.at(0).enter.size(), 1u);
  EXPECT_TRUE(r.flow->FindState("B")->otherwise.has_value());
}

// ---- Definitions that use one another: bounded, so that no file can crash the loader -------

// {"conditions"|"actions": {"d0": <uses d1>, ..., "d<n-1>": <uses d<n>>, "d<n>": last}}.
std::string Definitions(const char* section, int n, const std::string& uses, const char* last,
                        const char* states) {
  std::string text = std::string("{\"") + section + "\": {";
  for (int i = 0; i < n; ++i) {
    std::string use = uses;
    for (size_t at; (at = use.find('#')) != std::string::npos;) {
      use.replace(at, 1, "d" + std::to_string(i + 1));
    }
    text += "\"d" + std::to_string(i) + "\": " + use + ", ";
  }
  return text + "\"d" + std::to_string(n) + "\": " + last + "}, \"states\": " + states + "}";
}

TEST(LoaderDefinitions, ALongChainIsAnErrorNotAStackOverflow) {
  constexpr const char* kStates =
      R"([{"name": "A", "states": [{"name": "B", "condition": "d0", "enter": "d0"}]}])";
  const auto conditions = Compile(Definitions("conditions", 5000, "\"#\"", "\"yes\"", kStates));
  ASSERT_GT(conditions.error_count(), 0u);
  EXPECT_THAT(Lines(conditions)[0],
              ::testing::EndsWith("error: conditions.d510: condition 'd511' nests too deeply: with "
                                  "the definitions they use, conditions and actions may nest at "
                                  "most 512 levels"));
  const auto actions = Compile(Definitions("actions", 5000, "\"#\"", "\"end\"", kStates));
  ASSERT_GT(actions.error_count(), 0u);
  EXPECT_THAT(Lines(actions)[0], HasSubstr("error: actions.d510: action 'd511' nests too deeply"));
  // Chains of ordinary length are fine.
  EXPECT_EQ(Compile(Definitions("conditions", 100, "\"#\"", "\"yes\"", kStates)).error_count(),
            1u);  // only "d0" as an action: unknown action
}

TEST(LoaderDefinitions, ExponentialCopiesAreAnErrorNotAnOutOfMemory) {
  constexpr const char* kStates =
      R"([{"name": "A", "states": [{"name": "B", "condition": "d0", "enter": "d0"}]}])";
  const auto conditions =
      Compile(Definitions("conditions", 60, R"({"all": ["#", "#"]})", "\"yes\"", kStates));
  EXPECT_THAT(Joined(conditions), HasSubstr("is copied too often: definitions are copied where "
                                            "they are used, at most 1048576 conditions and "
                                            "actions in all"));
  const auto actions = Compile(Definitions("actions", 60, R"(["#", "#"])", "\"end\"", kStates));
  EXPECT_THAT(Joined(actions), HasSubstr("is copied too often"));
  // Reported once, however many uses follow.
  EXPECT_EQ(std::count_if(actions.diagnostics.begin(), actions.diagnostics.end(),
                          [](const Diagnostic& d) {
                            return d.message.find("copied too often") != std::string::npos;
                          }),
            1);
  // Many copies of something small are fine.
  const auto ok = Compile(Definitions("actions", 15, R"(["#", "#"])", "\"end\"", kStates));
  EXPECT_EQ(ok.error_count(), 1u) << Joined(ok);  // only "d0" as a condition: unknown
  ASSERT_EQ(ok.diagnostics.size(), 1u);
}

}  // namespace
}  // namespace parley::flow
