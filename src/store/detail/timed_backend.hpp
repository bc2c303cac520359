// A Backend decorator that observes how long each database call takes, by kind of call:
// `exec` (a query whose result is waited for; on SQLite every Send runs at once and counts
// too), `flush` (PostgreSQL's pipelined queries), `begin`, `commit` and `script`
// (migrations): a histogram per kind, so those series are few whatever the queries. And, as
// two plain counters per query name used so far (no buckets), how often each statement ran
// and the wall time spent in it: what an event costs, statement by statement.
#pragma once

#include <memory>

#include "common/metrics.hpp"
#include "store/detail/backend.hpp"
#include "store/store.hpp"

namespace parley::store::detail {

// `backend` itself when `options` asks for no metrics (ConnectOptions::call_latency,
// query_calls, query_nanoseconds), else the decorator observing those that are set; they must
// outlive it.
std::unique_ptr<Backend> WithCallMetrics(std::unique_ptr<Backend> backend,
                                         const ConnectOptions& options);

}  // namespace parley::store::detail
