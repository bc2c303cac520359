// Makes SQLite's commits durable off the writer's path: group commit with the fsync
// overlapped (docs/architecture.md, "Durability on SQLite").
//
// The connection runs synchronous=NORMAL, so a commit writes its WAL frames and returns
// without an fsync: visible at once, durable against a process crash. This syncer then
// fdatasyncs the WAL file on a thread of its own, once for every commit that arrived since
// its last sync, and reports each commit durable only after that. Meanwhile the writer goes
// on with the next transaction, so the fsync no longer holds the one write connection.
//
// Why that is as durable as synchronous=FULL: a commit's frames are in the WAL file (written,
// in the OS's page cache) when sqlite3's COMMIT returns, and an fdatasync of the file started
// after that return puts them on the disk. SQLite itself syncs the WAL before a checkpoint
// copies frames into the database, at any synchronous level but OFF.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.hpp"

namespace parley::store::detail {

class WalSyncer {
 public:
  // `wal_path`: the database's WAL file (sqlite3_filename_wal), opened on the first sync
  // (it exists once a transaction has written to it).
  explicit WalSyncer(std::string wal_path);
  // Syncs what is pending and runs the last callbacks first.
  ~WalSyncer();
  WalSyncer(const WalSyncer&) = delete;
  WalSyncer& operator=(const WalSyncer&) = delete;

  // Call after each commit returned (in commit order: the caller holds the write lock). The
  // commit's number, for OnDurable and WaitDurable.
  uint64_t Committed();
  // The number of the last commit counted.
  uint64_t LastCommitted() const;
  // Runs `done` once commit `commit` is durable (Ok) or a sync failed, on the syncer's
  // thread. Callbacks run in commit order. After a failed sync every later one fails too:
  // the syncer is broken until the process restarts (see Run).
  void OnDurable(uint64_t commit, std::function<void(Status)> done);
  // Blocks until commit `commit` is durable; the sync's error otherwise.
  Status WaitDurable(uint64_t commit);

  // fdatasync calls made so far (each covers every commit counted before it began).
  uint64_t syncs() const;

 private:
  void Run();
  Status Sync();

  const std::string wal_path_;
  int fd_ = -1;  // the syncer thread's only

  mutable std::mutex mu_;
  std::condition_variable work_;  // a commit waits to be synced, or stopping
  std::condition_variable synced_cv_;
  uint64_t committed_ = 0;
  uint64_t synced_ = 0;  // every commit up to this one is durable
  Status failure_;       // a sync failed: nothing is durable any more (see Run)
  uint64_t wanted_ = 0;  // the newest commit someone waits for
  uint64_t syncs_ = 0;
  bool stopping_ = false;
  struct Pending {
    uint64_t commit;
    std::function<void(Status)> done;
  };
  std::vector<Pending> pending_;
  std::thread thread_;
};

}  // namespace parley::store::detail
