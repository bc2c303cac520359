// Conformance, continued: the per-query counters (ConnectOptions::query_calls and
// query_nanoseconds) on both backends.
#include <gmock/gmock.h>

#include "common/metrics.hpp"
#include "store/store_test_fixture.hpp"

namespace parley::store::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The value of the series `name{query="query"}` in `text`, or -1 when it is not there.
double Series(const std::string& text, const std::string& name, const std::string& query) {
  const std::string key = "\n" + name + "{query=\"" + query + "\"} ";
  const size_t at = text.find(key);
  return at == std::string::npos ? -1 : std::stod(text.substr(at + key.size()));
}

}  // namespace

// Every statement is counted under its query name with the time spent in it; a query never
// run shows no series; a store opened without the counters still works.
TEST_P(StoreTest, CountsStatementsByQueryName) {
  metrics::Registry registry;
  ConnectOptions options;
  options.query_calls = &registry.AddCounterFamily("calls_total", "calls", {"query"});
  options.query_nanoseconds = &registry.AddCounterFamily("nanoseconds_total", "time", {"query"});
  ASSERT_OK_AND_ASSIGN(auto store, Open(options));

  ASSERT_OK(MakeContact(*store, "+15551230001").status());
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(auto found, store->FindContact("+15551230001"));
    ASSERT_TRUE(found.has_value());
  }

  const std::string text = "\n" + registry.RenderText();
  EXPECT_EQ(Series(text, "calls_total", "FindContact"), 3);
  EXPECT_GT(Series(text, "nanoseconds_total", "FindContact"), 0);
  EXPECT_GE(Series(text, "calls_total", "InsertContact"), 1);
  EXPECT_THAT(text, Not(HasSubstr("\"ClaimTimers\"")));

  ASSERT_OK_AND_ASSIGN(auto plain, Open());
  ASSERT_OK_AND_ASSIGN(auto found, plain->FindContact("+15551230001"));
  EXPECT_TRUE(found.has_value());
}

}  // namespace parley::store::testing
