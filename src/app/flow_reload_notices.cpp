#include "app/flow_reload_notices.hpp"

namespace parley::app {

Result<std::unique_ptr<FlowReloadNotices>> FlowReloadNotices::Listen(
    store::Notifications& notifications, std::function<ReloadReport()> reload) {
  std::unique_ptr<FlowReloadNotices> notices(
      new FlowReloadNotices(notifications, std::move(reload)));
  FlowReloadNotices* self = notices.get();
  PARLEY_RETURN_IF_ERROR(notifications.Listen(kFlowsReloadedChannel, [self](const store::Notice&) {
    // A notice, or a connection after which one may have been lost: look again either way (a
    // reload with nothing changed is cheap). The first connection too: another instance's
    // notice may have gone out between this one's start and its LISTEN.
    {
      std::lock_guard lock(self->mu_);
      self->pending_ = true;
    }
    self->cv_.notify_one();
  }));
  return notices;
}

FlowReloadNotices::FlowReloadNotices(store::Notifications& notifications,
                                     std::function<ReloadReport()> reload)
    : notifications_(notifications), reload_(std::move(reload)) {}

FlowReloadNotices::~FlowReloadNotices() { Stop(); }

void FlowReloadNotices::Start() {
  std::lock_guard lock(mu_);
  if (!thread_.joinable() && !stop_) {
    thread_ = std::thread([this] { Run(); });
  }
}

void FlowReloadNotices::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void FlowReloadNotices::Announce(const ReloadReport& report) {
  if (report.published) {
    notifications_.Notify(kFlowsReloadedChannel, "reload");
  }
}

void FlowReloadNotices::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return pending_ || stop_; });
    if (stop_) {
      return;
    }
    pending_ = false;
    lock.unlock();
    reload_();  // logs what it did
    lock.lock();
  }
}

}  // namespace parley::app
