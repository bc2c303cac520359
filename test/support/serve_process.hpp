// A `parley serve` child process for end-to-end tests: started with a given environment
// (no .env is read: --env points at /dev/null, an empty file), its stderr captured to a
// file, its port learned from the "listening on HOST:PORT" startup line.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "common/status.hpp"

namespace parley::testing {

class ServeProcess {
 public:
  // Starts `binary serve --listen 127.0.0.1:0` in `workdir` with exactly `env` (plus PATH)
  // and waits up to 20 s for it to listen. On failure the status carries the log.
  static Result<std::unique_ptr<ServeProcess>> Start(const std::string& binary,
                                                     const std::string& workdir,
                                                     const std::map<std::string, std::string>& env,
                                                     const std::string& name = "serve");
  ~ServeProcess();  // SIGKILL if still running

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits (up to 30 s) for the exit; returns the exit status as
  // WEXITSTATUS, or 128 + signal number if it was killed.
  Result<int> Stop(int signal);
  // Everything the process wrote to stderr so far.
  std::string Log() const;

 private:
  ServeProcess() = default;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
};

}  // namespace parley::testing
