#include "app/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

namespace parley::app {

namespace {

void Add(std::string& out, const char* name, const char* type, const char* help, double value) {
  char number[32];
  const auto end = std::to_chars(number, number + sizeof number, value).ptr;  // shortest exact
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
         name + " " + std::string(number, end) + "\n";
}

// The fields of /proc/self/stat after the command name (which may hold spaces and
// parentheses, so the split starts after its last ')'); field 3 (state) is the first.
std::vector<std::string> StatFields(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) {
    return fields;
  }
  std::istringstream rest(text.substr(close + 1));
  for (std::string f; rest >> f;) {
    fields.push_back(f);
  }
  return fields;
}

// Seconds since the epoch at boot, from /proc/stat's btime.
double BootTime() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

}  // namespace

std::string ProcessMetricsText() {
  std::string out;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  // proc(5): utime is field 14, stime 15, num_threads 20, starttime 22, vsize 23, rss 24;
  // fields[0] is field 3.
  const std::vector<std::string> f = StatFields("/proc/self/stat");
  if (f.size() > 21 && ticks > 0) {
    const auto field = [&](int n) { return std::stod(f[static_cast<size_t>(n - 3)]); };
    Add(out, "process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.",
        (field(14) + field(15)) / ticks);
    Add(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
        field(24) * page);
    Add(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", field(23));
    if (const double boot = BootTime(); boot > 0) {
      Add(out, "process_start_time_seconds", "gauge",
          "Start time of the process since unix epoch in seconds.", boot + field(22) / ticks);
    }
    Add(out, "process_threads", "gauge", "Number of OS threads in the process.", field(20));
  }
  std::error_code ec;
  size_t fds = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++fds;
  }
  if (!ec) {
    // Less the descriptor the directory listing itself held.
    Add(out, "process_open_fds", "gauge", "Number of open file descriptors.",
        static_cast<double>(fds > 0 ? fds - 1 : 0));
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    Add(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
        static_cast<double>(limit.rlim_cur));
  }
  return out;
}

}  // namespace parley::app
