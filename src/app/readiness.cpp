#include "app/readiness.hpp"

#include "app/runtime.hpp"

namespace parley::app {

Readiness::Readiness(store::Store& store, std::function<size_t()> flow_count, const Clock& clock,
                     ReadinessOptions options)
    : store_(store),
      flow_count_(std::move(flow_count)),
      clock_(clock),
      options_(std::move(options)) {}

Readiness::Verdict Readiness::Check() {
  if (flow_count_() == 0) {
    return {false, "no flows loaded"};
  }
  {
    std::unique_lock lock(mu_);
    if (database_ && (probing_ || clock_.Now() - probed_at_ < options_.interval)) {
      return *database_;
    }
    if (probing_) {  // the first probe is under way: there is no verdict to give yet
      probed_.wait(lock, [this] { return !probing_; });
      return *database_;
    }
    probing_ = true;
  }
  std::string detail;
  Verdict verdict = ProbeDatabase(detail);
  std::optional<Verdict> previous;
  {
    std::lock_guard lock(mu_);
    previous = std::exchange(database_, verdict);
    probed_at_ = clock_.Now();
    probing_ = false;
  }
  probed_.notify_all();
  if (options_.log && (previous ? previous->reason != verdict.reason : !verdict.ready)) {
    options_.log("readiness: " + verdict.reason + (detail.empty() ? "" : ": " + detail));
  }
  return verdict;
}

Readiness::Verdict Readiness::ProbeDatabase(std::string& detail) {
  if (Status s = store_.Ping(); !s.ok()) {
    detail = s.message();
    return {false, "database unreachable"};
  }
  if (Status s = CheckSchema(store_); !s.ok()) {
    detail = s.message();
    return {false, "database schema not current"};
  }
  if (Status s = store_.ProbeWrite(); !s.ok()) {
    detail = s.message();
    return {false, "database not writable"};
  }
  return {true, "ready"};
}

}  // namespace parley::app
