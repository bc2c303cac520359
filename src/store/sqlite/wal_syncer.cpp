#include "store/sqlite/wal_syncer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace parley::store::detail {

WalSyncer::WalSyncer(std::string wal_path)
    : wal_path_(std::move(wal_path)), thread_([this] { Run(); }) {}

WalSyncer::~WalSyncer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_.notify_all();
  thread_.join();
  if (fd_ >= 0) {
    close(fd_);
  }
}

uint64_t WalSyncer::Committed() {
  std::lock_guard lock(mu_);
  return ++committed_;
}

uint64_t WalSyncer::LastCommitted() const {
  std::lock_guard lock(mu_);
  return committed_;
}

uint64_t WalSyncer::syncs() const {
  std::lock_guard lock(mu_);
  return syncs_;
}

void WalSyncer::OnDurable(uint64_t commit, std::function<void(Status)> done) {
  std::unique_lock lock(mu_);
  if (!failure_.ok() || commit <= synced_) {
    const Status s = failure_;
    lock.unlock();
    done(s);
    return;
  }
  pending_.push_back({commit, std::move(done)});
  wanted_ = std::max(wanted_, commit);
  lock.unlock();
  work_.notify_one();
}

Status WalSyncer::WaitDurable(uint64_t commit) {
  std::unique_lock lock(mu_);
  wanted_ = std::max(wanted_, commit);
  work_.notify_one();
  synced_cv_.wait(lock, [&] { return synced_ >= commit || !failure_.ok(); });
  return failure_.ok() ? Status::Ok() : failure_;
}

Status WalSyncer::Sync() {
  if (fd_ < 0) {
    fd_ = open(wal_path_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) {
      return Status::Unavailable("sqlite: cannot open the WAL " + wal_path_ +
                                 " to sync it: " + std::strerror(errno));
    }
  }
  if (fdatasync(fd_) != 0) {
    return Status::Unavailable("sqlite: fsync of the WAL " + wal_path_ +
                               " failed: " + std::strerror(errno));
  }
  return Status::Ok();
}

void WalSyncer::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    work_.wait(lock, [&] { return (wanted_ > synced_ && failure_.ok()) || stopping_; });
    if (wanted_ <= synced_ || !failure_.ok()) {
      // Stopping with nothing to sync, or broken: what still waits gets the failure.
      std::vector<Pending> left = std::move(pending_);
      pending_.clear();
      lock.unlock();
      for (Pending& p : left) {
        p.done(failure_);
      }
      return;
    }
    // Everything committed so far: the fdatasync starts after those commits returned.
    const uint64_t upto = committed_;
    lock.unlock();
    const Status s = Sync();
    lock.lock();
    ++syncs_;
    if (s.ok()) {
      synced_ = upto;
    } else {
      // Broken for good, as PostgreSQL is after a failed fsync: the kernel may have dropped
      // the unwritten pages, and a later sync that succeeds would not bring them back (nor
      // would SQLite's recovery read past the frames lost). Every durability wait from now
      // on fails; a restart replays the WAL from the disk.
      failure_ = s;
    }
    std::vector<Pending> ready;
    std::vector<Pending> later;
    for (Pending& p : pending_) {
      (p.commit <= upto || !s.ok() ? ready : later).push_back(std::move(p));
    }
    pending_ = std::move(later);
    synced_cv_.notify_all();
    lock.unlock();
    for (Pending& p : ready) {
      p.done(s);
    }
    lock.lock();
  }
}

}  // namespace parley::store::detail
