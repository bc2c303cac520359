#include "test/support/pg_cluster.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

extern char** environ;

namespace parley::testing {
namespace {

namespace fs = std::filesystem;

// The unprivileged account the server runs as when the tests run as root.
constexpr const char* kServerUser = "nobody";

// $PARLEY_PG_BINDIR, else the newest /usr/lib/postgresql/<N>/bin holding initdb.
std::string FindBindir() {
  if (const char* env = std::getenv("PARLEY_PG_BINDIR"); env != nullptr && *env != '\0') {
    return env;
  }
  std::string best;
  int best_version = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    const int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && fs::exists(bin / "initdb", ec)) {
      best = bin.string();
      best_version = version;
    }
  }
  return best;
}

std::string FindRunuser() {
  for (const char* p : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"}) {
    if (access(p, X_OK) == 0) {
      return p;
    }
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<PgCluster>> PgCluster::Start(bool durable) {
  const std::string bindir = FindBindir();
  if (bindir.empty()) {
    return Status::FailedPrecondition(
        "no PostgreSQL server binaries (set PARLEY_PG_BINDIR or install postgresql)");
  }
  if (getuid() == 0 && FindRunuser().empty()) {
    return Status::FailedPrecondition("running as root and no runuser to drop privileges");
  }
  // Short: the socket path ("<dir>/.s.PGSQL.5432") must fit in 107 bytes.
  char templ[] = "/tmp/parley-pg-XXXXXX";
  if (mkdtemp(templ) == nullptr) {
    return Status::Internal("mkdtemp failed");
  }
  std::unique_ptr<PgCluster> cluster(new PgCluster(bindir, templ));
  const std::string& dir = cluster->dir_;
  if (getuid() == 0) {
    const passwd* pw = getpwnam(kServerUser);
    if (pw == nullptr || chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return Status::Internal(std::string("cannot give ") + dir + " to user " + kServerUser);
    }
  }
  const std::string data = dir + "/data";
  PARLEY_RETURN_IF_ERROR(
      cluster->Run({bindir + "/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                    "--locale=C", "--no-sync", "--no-instructions"},
                   true));
  // Durability off (fsync, full pages) unless asked for: a test cluster is thrown away.
  const std::string durability =
      durable
          ? " -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c shared_buffers=128MB"
          : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c shared_buffers=16MB";
  const std::string server_options = "-c listen_addresses='' -c unix_socket_directories=" + dir +
                                     durability + " -c max_connections=60";
  PARLEY_RETURN_IF_ERROR(cluster->Run({bindir + "/pg_ctl", "-D", data, "-l", dir + "/server.log",
                                       "-w", "-t", "60", "-o", server_options, "start"},
                                      true));
  cluster->running_ = true;
  auto created = cluster->CreateDatabase("parley");
  if (!created.ok()) {
    return created.status();
  }
  return cluster;
}

namespace {
std::unique_ptr<PgCluster>& SharedSlot() {
  static std::unique_ptr<PgCluster> cluster;
  return cluster;
}
}  // namespace

PgCluster* PgCluster::Shared(std::string* error) {
  auto& slot = SharedSlot();
  if (!slot) {
    auto started = Start();
    if (!started.ok()) {
      *error = started.status().ToString();
      return nullptr;
    }
    slot = std::move(started).value();
  }
  return slot.get();
}

void PgCluster::StopShared() { SharedSlot().reset(); }

PgCluster::~PgCluster() {
  (void)Thaw();  // a frozen server could not stop
  if (running_) {
    (void)Stop();
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string PgCluster::UrlFor(std::string_view database) const {
  return "postgresql:///" + std::string(database) + "?host=" + dir_ + "&user=postgres";
}

Result<std::string> PgCluster::CreateDatabase(std::string_view name) {
  const bool valid =
      !name.empty() && !(name[0] >= '0' && name[0] <= '9') &&
      name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string_view::npos;
  if (!valid) {
    return Status::InvalidArgument("bad database name '" + std::string(name) + "'");
  }
  // FILE_COPY: copying the tiny template0 is faster than WAL-logging it.
  PARLEY_RETURN_IF_ERROR(Run({bindir_ + "/createdb", "-h", dir_, "-U", "postgres", "-T",
                              "template0", "-S", "file_copy", std::string(name)},
                             false));
  return UrlFor(name);
}

Status PgCluster::Stop() {
  if (!running_) {
    return Status::Ok();
  }
  running_ = false;
  return Run({bindir_ + "/pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"}, true);
}

// ---- Freeze and Thaw: the server's processes found through postmaster.pid and /proc ----
namespace {

// The parent pid from /proc/PID/stat ("pid (comm) state ppid ..."; comm may hold spaces).
int ParentOf(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat;
  std::getline(in, stat);
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 4 > stat.size()) {
    return -1;
  }
  try {
    return std::stoi(stat.substr(close + 4));  // ") S " then the ppid
  } catch (const std::exception&) {
    return -1;
  }
}

}  // namespace

Status PgCluster::Freeze() {
  if (!frozen_.empty()) {
    return Status::FailedPrecondition("the cluster is frozen already");
  }
  std::ifstream pid_file(dir_ + "/data/postmaster.pid");
  int postmaster = 0;
  if (!(pid_file >> postmaster) || postmaster <= 0) {
    return Status::Internal("cannot read " + dir_ + "/data/postmaster.pid");
  }
  // The postmaster first, so that it starts no process after the children are listed.
  if (kill(postmaster, SIGSTOP) != 0) {
    return Status::Internal("SIGSTOP postmaster: " + std::string(std::strerror(errno)));
  }
  frozen_.push_back(postmaster);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos || ParentOf(name) != postmaster) {
      continue;
    }
    const int pid = std::stoi(name);
    if (kill(pid, SIGSTOP) == 0) {
      frozen_.push_back(pid);
    }
  }
  return Status::Ok();
}

Status PgCluster::Thaw() {
  Status status;
  for (const int pid : frozen_) {
    if (kill(pid, SIGCONT) != 0 && errno != ESRCH && status.ok()) {
      status = Status::Internal("SIGCONT " + std::to_string(pid) + ": " + std::strerror(errno));
    }
  }
  frozen_.clear();
  return status;
}

// Runs a command to completion with stdin from /dev/null and output appended to
// <dir>/commands.log (so a daemonized postmaster holds no pipe of the test runner).
Status PgCluster::Run(std::initializer_list<std::string> argv, bool as_server_user) const {
  std::vector<std::string> args;
  if (as_server_user && getuid() == 0) {
    args = {FindRunuser(), "-u", kServerUser, "--"};
  }
  args.insert(args.end(), argv.begin(), argv.end());
  std::vector<char*> cargv;
  for (std::string& a : args) {
    cargv.push_back(a.data());
  }
  cargv.push_back(nullptr);

  const std::string log = dir_ + "/commands.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Status::Internal("cannot run " + args[0] + ": " + std::strerror(rc));
  }
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) {
      return Status::Internal("waitpid failed for " + args[0]);
    }
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    std::string line;
    for (const std::string& a : argv) {
      line += (line.empty() ? "" : " ") + a;
    }
    return Status::Internal("'" + line + "' failed; see " + log + " and " + dir_ + "/server.log");
  }
  return Status::Ok();
}

}  // namespace parley::testing
