// A Backend decorator that observes how long each database call takes, by kind of call:
// `exec` (a query whose result is waited for; on SQLite every Send runs at once and counts
// too), `flush` (PostgreSQL's pipelined queries), `begin`, `commit` and `script`
// (migrations). The kinds are fixed, so the series are few whatever the queries.
#pragma once

#include <memory>

#include "common/metrics.hpp"
#include "store/detail/backend.hpp"

namespace parley::store::detail {

// `backend` itself when `latency` is null, else the decorator; `latency` (one label, "call")
// must outlive it.
std::unique_ptr<Backend> WithCallLatency(std::unique_ptr<Backend> backend,
                                         metrics::HistogramFamily* latency);

}  // namespace parley::store::detail
