// The HTTP server's standard metrics, registered in the process's metrics::Registry.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>

#include "common/metrics.hpp"

namespace parley::http {

// The server's standard metrics, fed through ServerOptions::observe:
//   parley_http_requests_total{route,code}   route is the matched path, "" if none
//   parley_http_request_duration_seconds     latency histogram (millisecond resolution)
class HttpMetrics {
 public:
  explicit HttpMetrics(metrics::Registry& registry);
  void Observe(std::string_view route, int status, std::chrono::nanoseconds latency);
  // For ServerOptions::observe; `this` must outlive the server.
  std::function<void(std::string_view, int, std::chrono::nanoseconds)> Observer();

 private:
  metrics::CounterFamily& requests_;
  metrics::Histogram& latency_;
};

}  // namespace parley::http
