#include "common/metrics.hpp"

#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace parley::metrics {
namespace {

TEST(MetricsTest, RendersCounterGaugeAndHistogramExactly) {
  Registry registry;
  Counter& requests = registry.AddCounter("parley_requests_total", "Requests seen.");
  Gauge& open = registry.AddGauge("parley_open", "Open things.");
  Histogram& latency = registry.AddHistogram("parley_latency_seconds", "Latency.", {0.1, 0.5, 1});
  requests.Inc();
  requests.Inc(2);
  open.Set(5);
  open.Add(-2);
  latency.Observe(0.05);
  latency.Observe(0.1);  // le is inclusive
  latency.Observe(0.7);
  latency.Observe(3);

  EXPECT_EQ(registry.RenderText(),
            "# HELP parley_requests_total Requests seen.\n"
            "# TYPE parley_requests_total counter\n"
            "parley_requests_total 3\n"
            "# HELP parley_open Open things.\n"
            "# TYPE parley_open gauge\n"
            "parley_open 3\n"
            "# HELP parley_latency_seconds Latency.\n"
            "# TYPE parley_latency_seconds histogram\n"
            "parley_latency_seconds_bucket{le=\"0.1\"} 2\n"
            "parley_latency_seconds_bucket{le=\"0.5\"} 2\n"
            "parley_latency_seconds_bucket{le=\"1\"} 3\n"
            "parley_latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "parley_latency_seconds_sum 3.85\n"
            "parley_latency_seconds_count 4\n");
}

TEST(MetricsTest, FamiliesRenderSortedChildrenWithEscapedLabels) {
  Registry registry;
  CounterFamily& codes =
      registry.AddCounterFamily("http_requests_total", "By code.", {"route", "code"});
  HistogramFamily& by_route =
      registry.AddHistogramFamily("http_seconds", "Line one\nline \\two.", {"route"}, {1});
  codes.WithLabels({"/a", "500"}).Inc();
  codes.WithLabels({"/a", "200"}).Inc(4);
  codes.WithLabels({"say \"hi\"\n", "200"}).Inc();
  Counter& same = codes.WithLabels({"/a", "200"});
  same.Inc();
  by_route.WithLabels("/a").Observe(0.5);

  EXPECT_EQ(registry.RenderText(),
            "# HELP http_requests_total By code.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{route=\"/a\",code=\"200\"} 5\n"
            "http_requests_total{route=\"/a\",code=\"500\"} 1\n"
            "http_requests_total{route=\"say \\\"hi\\\"\\n\",code=\"200\"} 1\n"
            "# HELP http_seconds Line one\\nline \\\\two.\n"
            "# TYPE http_seconds histogram\n"
            "http_seconds_bucket{route=\"/a\",le=\"1\"} 1\n"
            "http_seconds_bucket{route=\"/a\",le=\"+Inf\"} 1\n"
            "http_seconds_sum{route=\"/a\"} 0.5\n"
            "http_seconds_count{route=\"/a\"} 1\n");
}

TEST(MetricsTest, EmptyFamilyRendersOnlyItsHeader) {
  Registry registry;
  registry.AddCounterFamily("x_total", "X.", {"code"});
  EXPECT_EQ(registry.RenderText(), "# HELP x_total X.\n# TYPE x_total counter\n");
}

TEST(MetricsTest, LatencyBucketsRenderAsWritten) {
  Registry registry;
  Histogram& h = registry.AddHistogram("lat", "L.", Histogram::LatencyBuckets());
  h.ObserveDuration(std::chrono::milliseconds(2));
  std::string text = registry.RenderText();
  EXPECT_NE(text.find("lat_bucket{le=\"0.0005\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_bucket{le=\"0.0025\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_bucket{le=\"10\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_sum 0.002\n"), std::string::npos) << text;
}

TEST(MetricsTest, MistakesThrow) {
  Registry registry;
  registry.AddCounter("ok_total", "");
  EXPECT_THROW(registry.AddCounter("ok_total", ""), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("9bad", ""), std::invalid_argument);
  EXPECT_THROW(registry.AddCounter("bad-name", ""), std::invalid_argument);
  EXPECT_THROW(registry.AddCounterFamily("f", "", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogramFamily("h", "", {"le"}, {1}), std::invalid_argument);
  EXPECT_THROW(registry.AddHistogram("h2", "", {1, 1}), std::invalid_argument);
  CounterFamily& family = registry.AddCounterFamily("g", "", {"a", "b"});
  EXPECT_THROW(family.WithLabels("only-one"), std::invalid_argument);
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  Registry registry;
  CounterFamily& family = registry.AddCounterFamily("c_total", "C.", {"code"});
  Histogram& histogram = registry.AddHistogram("h", "H.", {0.5});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        family.WithLabels(t % 2 == 0 ? "200" : "500").Inc();
        histogram.Observe(1);
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(family.WithLabels("200").Value() + family.WithLabels("500").Value(),
            uint64_t{kThreads * kPerThread});
  Histogram::Snapshot snapshot = histogram.Read();
  EXPECT_EQ(snapshot.count, uint64_t{kThreads * kPerThread});
  EXPECT_DOUBLE_EQ(snapshot.sum, kThreads * kPerThread);
}

}  // namespace
}  // namespace parley::metrics
