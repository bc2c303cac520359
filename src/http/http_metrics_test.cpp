#include "http/http_metrics.hpp"

#include <gtest/gtest.h>

#include <string>

namespace parley::http {
namespace {

TEST(MetricsTest, HttpMetricsCountsByRouteAndCode) {
  metrics::Registry registry;
  HttpMetrics metrics(registry);
  auto observe = metrics.Observer();
  observe("/twilio/messages", 200, std::chrono::milliseconds(3));
  observe("", 404, std::chrono::milliseconds(0));
  std::string text = registry.RenderText();
  EXPECT_NE(text.find("parley_http_requests_total{route=\"/twilio/messages\",code=\"200\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("parley_http_requests_total{route=\"\",code=\"404\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("parley_http_request_duration_seconds_count 2\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace parley::http
