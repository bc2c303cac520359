#include "http/http_metrics.hpp"

#include <charconv>

namespace parley::http {

HttpMetrics::HttpMetrics(metrics::Registry& registry)
    : requests_(registry.AddCounterFamily("parley_http_requests_total",
                                          "HTTP requests answered, by route and status code.",
                                          {"route", "code"})),
      latency_(registry.AddHistogram("parley_http_request_duration_seconds",
                                     "Time from a request's first byte to its answer written.",
                                     metrics::Histogram::LatencyBuckets())) {}

void HttpMetrics::Observe(std::string_view route, int status, std::chrono::nanoseconds latency) {
  char code[12];
  auto [end, ec] = std::to_chars(code, code + sizeof(code), status);
  requests_.WithLabels({route, std::string_view(code, static_cast<size_t>(end - code))}).Inc();
  latency_.ObserveDuration(latency);
}

std::function<void(std::string_view, int, std::chrono::nanoseconds)> HttpMetrics::Observer() {
  return [this](std::string_view route, int status, std::chrono::nanoseconds latency) {
    Observe(route, status, latency);
  };
}

}  // namespace parley::http
