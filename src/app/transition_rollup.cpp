#include "app/transition_rollup.hpp"

#include <string>

#include "common/log.hpp"

namespace parley::app {

Result<RollupPass> RollUpTransitions(store::AdminStore& store, TimePoint now,
                                     const TransitionRollupOptions& options,
                                     const std::atomic<bool>* stop) {
  RollupPass pass;
  for (int i = 0; i < options.max_steps; ++i) {
    if (stop != nullptr && stop->load()) {
      break;
    }
    auto step = store.RollUpTransitions(now - options.lag, options.span);
    if (!step.ok()) {
      return step.status();
    }
    pass.watermark = step->watermark;
    pass.steps += step->advanced ? 1 : 0;
    if (step->raced) {
      // Another instance is rolling up the same stretch: leave it the rest of this pass.
      pass.raced = true;
      break;
    }
    if (step->caught_up) {
      break;
    }
    if (options.pause > Duration::zero()) {
      std::this_thread::sleep_for(options.pause);  // let events take the write lock
    }
  }
  return pass;
}

TransitionRollup::TransitionRollup(store::AdminStore& store, const Clock& clock,
                                   TransitionRollupOptions options)
    : store_(store), clock_(clock), options_(options) {
  thread_ = std::thread([this] { Run(); });
}

TransitionRollup::~TransitionRollup() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void TransitionRollup::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    auto pass = RollUpTransitions(store_, clock_.Now(), options_, &stop_);
    if (!pass.ok()) {
      Log(LogLevel::kWarning, "flow numbers rollup: " + pass.status().ToString());
    }
    lock.lock();
    wake_.wait_for(lock, options_.interval, [this] { return stopping_; });
  }
}

}  // namespace parley::app
