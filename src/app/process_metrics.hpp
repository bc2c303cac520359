// The process_* metrics Prometheus client libraries export (CPU time, memory, file
// descriptors, threads, start time), read from /proc/self at each scrape, in the text
// exposition format, to append to the registry's output on GET /metrics. Linux only; a
// value /proc does not give is left out rather than reported as 0.
#pragma once

#include <string>

namespace parley::app {

std::string ProcessMetricsText();

}  // namespace parley::app
