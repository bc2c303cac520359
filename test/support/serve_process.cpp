#include "test/support/serve_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

namespace parley::testing {

namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Result<std::unique_ptr<ServeProcess>> ServeProcess::Start(
    const std::string& binary, const std::string& workdir,
    const std::map<std::string, std::string>& env, const std::string& name) {
  std::unique_ptr<ServeProcess> p(new ServeProcess());
  p->log_path_ = workdir + "/" + name + ".log";
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) {
    env_strings.push_back(k + "=" + v);
  }
  if (const char* path = std::getenv("PATH")) {
    env_strings.push_back(std::string("PATH=") + path);
  }
  std::vector<char*> envp;
  for (auto& s : env_strings) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::string bin = binary, serve = "serve", listen = "--listen", addr = "127.0.0.1:0",
              env_flag = "--env", no_env = "/dev/null";
  std::vector<char*> argv = {bin.data(),      serve.data(),  listen.data(), addr.data(),
                             env_flag.data(), no_env.data(), nullptr};

  const pid_t pid = fork();
  if (pid < 0) {
    return Status::Internal("fork failed");
  }
  if (pid == 0) {
    const int fd = open(p->log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, 2) < 0 || dup2(fd, 1) < 0 || chdir(workdir.c_str()) != 0) {
      _exit(127);
    }
    execve(bin.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  p->pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string log = p->Log();
    const size_t at = log.find("listening on 127.0.0.1:");
    if (at != std::string::npos) {
      p->port_ = static_cast<uint16_t>(std::stoi(log.substr(at + 23)));
      return p;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      p->pid_ = -1;
      return Status::Internal("parley serve exited at startup:\n" + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Internal("parley serve did not start listening within 20 s:\n" + p->Log());
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

Result<int> ServeProcess::Stop(int signal) {
  if (pid_ <= 0) {
    return Status::FailedPrecondition("not running");
  }
  kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::Unavailable("parley serve did not exit within 30 s of the signal");
}

std::string ServeProcess::Log() const { return ReadAll(log_path_); }

}  // namespace parley::testing
