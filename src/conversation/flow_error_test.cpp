#include "conversation/flow_error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace parley::conversation {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Issue 8 item 17: a script's error() can carry the contact's reply; the summary that reaches
// the log above DEBUG names the handler and the kind of error, never the script's words.
TEST(FlowError, SummaryNamesHandlerAndClassButNoScriptText) {
  const Status runtime = Status::InvalidArgument(
      "tally.lua: error in 'count': tally.lua:3: my card is 4111 1111\nstack traceback:\n...");
  EXPECT_EQ(SummarizeFlowError(runtime, "tally", "ASK"),
            "flow 'tally' state 'ASK' handler 'count': runtime error");
  const Status timed_out = Status::ResourceExhausted(
      "x.lua: error in 'spin': x.lua:1: timed out: the call ran longer than 100 ms");
  EXPECT_EQ(SummarizeFlowError(timed_out, "f", "S"),
            "flow 'f' state 'S' handler 'spin': timed out");
  EXPECT_EQ(FlowErrorClass(Status::ResourceExhausted(
                "x.lua: error in 'f': x.lua:1: instruction budget exceeded (10 instructions)")),
            "instruction budget exceeded");
  EXPECT_EQ(FlowErrorClass(Status::ResourceExhausted(
                "x.lua: error in 'f': not enough memory (a string of 9 bytes: longer than 1 MiB, "
                "the longest string a script may build)")),
            "string cap");
  EXPECT_EQ(FlowErrorClass(Status::ResourceExhausted("x.lua: error in 'f': not enough memory")),
            "memory cap");
  EXPECT_EQ(FlowErrorClass(Status::ResourceExhausted("native: out of quota")), "resource limit");
  EXPECT_EQ(
      SummarizeFlowError(Status::NotFound("x.lua: Lua function 'gone' is not defined"), "f", ""),
      "flow 'f' handler 'gone': handler not defined");
  // A script's text that looks like the host's prefix does not come first, and a name that
  // is not an identifier is not taken for one.
  const Status forged =
      Status::InvalidArgument("native handler failed: error in 'my secret reply'");
  EXPECT_THAT(SummarizeFlowError(forged, "f", "S"), Not(HasSubstr("secret")));
  // A script's error that merely says "timed out" is a runtime error.
  EXPECT_EQ(FlowErrorClass(Status::InvalidArgument(
                "x.lua: error in 'f': x.lua:1: timed out: the call ran longer than 100 ms")),
            "runtime error");
}

}  // namespace
}  // namespace parley::conversation
