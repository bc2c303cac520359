#include "common/log.hpp"

#include <string>

#include "common/time.hpp"

namespace parley {

void Log(LogLevel level, std::string_view message, std::FILE* out) {
  const char* name = level == LogLevel::kInfo      ? "INFO"
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
