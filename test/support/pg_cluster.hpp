// A private PostgreSQL cluster for tests: initdb in a fresh temp dir and a server that
// listens only on a unix socket in that dir (no TCP port, nothing shared with other tests
// or a system server). Stopped and deleted by the destructor.
//
// Needs the PostgreSQL server binaries: $PARLEY_PG_BINDIR, else /usr/lib/postgresql/<N>/bin
// (newest N). When run as root (initdb refuses root) the server runs as user "nobody"
// through runuser, and the temp dir belongs to it.
//
// Not thread-safe: create, use and destroy from one thread (the URLs it hands out are
// plain strings any thread may use).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace parley::testing {

class PgCluster {
 public:
  // Starts a cluster (about a second) with an empty database "parley". kFailedPrecondition
  // when no PostgreSQL server binaries are installed (tests may skip on that code);
  // kInternal with the server log's path on any other failure. `durable`: the server's
  // default durability (fsync, synchronous_commit, full pages: for benchmarks); otherwise
  // all three are off (a test cluster is thrown away).
  static Result<std::unique_ptr<PgCluster>> Start(bool durable = false);
  // One cluster per test process, started on first use: a suite's tests share it, each in a
  // fresh database (CreateDatabase). Null, with the reason in *error, when it cannot start.
  static PgCluster* Shared(std::string* error);
  // Stops the shared cluster (a suite's TearDownTestSuite); the next Shared starts another.
  static void StopShared();
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // libpq URI of the "parley" database:
  // "postgresql:///parley?host=/tmp/parley-pg-XXXXXX&user=postgres".
  std::string url() const { return UrlFor("parley"); }
  std::string UrlFor(std::string_view database) const;
  // Creates an empty database (name: [a-z0-9_], not starting with a digit) and returns its URL.
  Result<std::string> CreateDatabase(std::string_view name);
  // Stops the server now (immediate shutdown: clients see their connections drop). The
  // destructor then only deletes the directory.
  Status Stop();

  // Freezes the server as a hung host would: SIGSTOP to the postmaster, then to every
  // process it started (backends, checkpointer, ...). Connections stay open and the kernel
  // still accepts their bytes, but nothing answers. Thaw (SIGCONT) resumes them; the
  // destructor thaws a frozen server before stopping it. Freeze only a cluster of your own:
  // never the Shared one, which other tests are using.
  Status Freeze();
  Status Thaw();

  // The temp dir; also the unix socket directory.
  const std::string& dir() const { return dir_; }

 private:
  PgCluster(std::string bindir, std::string dir)
      : bindir_(std::move(bindir)), dir_(std::move(dir)) {}
  Status Run(std::initializer_list<std::string> argv, bool as_server_user) const;

  std::string bindir_;
  std::string dir_;
  bool running_ = false;
  std::vector<int> frozen_;  // pids stopped by Freeze, postmaster first
};

}  // namespace parley::testing
