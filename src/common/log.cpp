#include "common/log.hpp"

#include <atomic>
#include <string>

#include "common/time.hpp"

namespace parley {

namespace {
std::atomic<LogLevel> g_minimum{LogLevel::kInfo};
}  // namespace

void SetLogLevel(LogLevel minimum) { g_minimum.store(minimum); }

bool LogEnabled(LogLevel level) { return level >= g_minimum.load(); }

void Log(LogLevel level, std::string_view message, std::FILE* out) {
  if (!LogEnabled(level)) {
    return;
  }
  const char* name = level == LogLevel::kDebug     ? "DEBUG"
                     : level == LogLevel::kInfo    ? "INFO"
                     : level == LogLevel::kWarning ? "WARN"
                                                   : "ERROR";
  std::string line = FormatUtc(SystemClock().Now());
  line += ' ';
  line += name;
  line += ' ';
  line += message;
  line += '\n';
  // One fwrite per line: stdio locks the stream per call, so lines stay whole.
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}

}  // namespace parley
