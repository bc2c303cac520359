#include "common/log.hpp"

#include <atomic>
#include <cstdint>
#include <string>

#include "common/utf8.hpp"

namespace parley {
namespace {

std::atomic<LogLevel> g_minimum{LogLevel::kInfo};
std::atomic<LogFormat> g_format{LogFormat::kText};

std::string_view TextName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "ERROR";
}

std::string_view JsonName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "error";
}

void AppendHex(std::string& out, std::string_view prefix, uint32_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += prefix;
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    out += kHex[(value >> shift) & 0xf];
  }
}

// The code point of the well-formed UTF-8 sequence s[i, i + length).
uint32_t DecodeAt(std::string_view s, size_t i, size_t length) {
  auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i + k])); };
  switch (length) {
    case 1:
      return byte(0);
    case 2:
      return ((byte(0) & 0x1f) << 6) | (byte(1) & 0x3f);
    case 3:
      return ((byte(0) & 0x0f) << 12) | ((byte(1) & 0x3f) << 6) | (byte(2) & 0x3f);
    default:
      return ((byte(0) & 0x07) << 18) | ((byte(1) & 0x3f) << 12) | ((byte(2) & 0x3f) << 6) |
             (byte(3) & 0x3f);
  }
}

// Characters a line splitter or a terminal may take for a line break or a command.
bool IsLineUnsafe(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029;
}

// Appends `message` (valid UTF-8) with the unsafe characters escaped, for text or for the
// inside of a JSON string.
void AppendEscaped(std::string& out, std::string_view message, LogFormat format) {
  const bool json = format == LogFormat::kJson;
  size_t i = 0;
  while (i < message.size()) {
    size_t subpart = 0;
    const size_t length = Utf8SequenceAt(message, i, &subpart);  // valid input: never 0
    const uint32_t cp = DecodeAt(message, i, length);
    if (json && (cp == '"' || cp == '\\')) {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (IsLineUnsafe(cp)) {
      if (json || cp > 0xff) {
        AppendHex(out, "\\u", cp, 4);
      } else {
        AppendHex(out, "\\x", cp, 2);
      }
    } else {
      out.append(message.substr(i, length));
    }
    i += length;
  }
}

}  // namespace

void SetLogLevel(LogLevel minimum) { g_minimum.store(minimum, std::memory_order_relaxed); }
void SetLogFormat(LogFormat format) { g_format.store(format, std::memory_order_relaxed); }

bool LogEnabled(LogLevel level) { return level >= g_minimum.load(std::memory_order_relaxed); }

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "debug") {
    return LogLevel::kDebug;
  }
  if (name == "info") {
    return LogLevel::kInfo;
  }
  if (name == "warn" || name == "warning") {
    return LogLevel::kWarning;
  }
  if (name == "error") {
    return LogLevel::kError;
  }
  return std::nullopt;
}

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") {
    return LogFormat::kText;
  }
  if (name == "json") {
    return LogFormat::kJson;
  }
  return std::nullopt;
}

std::string FormatLogLine(TimePoint time, LogLevel level, std::string_view message,
                          LogFormat format) {
  std::string repaired;
  std::string_view text = message;
  if (!IsValidUtf8(message)) {
    repaired = ToValidUtf8(message);
    text = repaired;
  }
  std::string line;
  line.reserve(text.size() + 64);
  if (format == LogFormat::kJson) {
    line += R"({"time":")";
    line += FormatUtc(time);
    line += R"(","level":")";
    line += JsonName(level);
    line += R"(","msg":")";
    AppendEscaped(line, text, format);
    line += "\"}\n";
  } else {
    line += FormatUtc(time);
    line += ' ';
    line += TextName(level);
    line += ' ';
    AppendEscaped(line, text, format);
    line += '\n';
  }
  return line;
}

void Log(LogLevel level, std::string_view message, std::FILE* out) {
  if (!LogEnabled(level)) {
    return;
  }
  const std::string line =
      FormatLogLine(SystemClock().Now(), level, message, g_format.load(std::memory_order_relaxed));
  // One fwrite per line: stdio locks the stream per call, so lines stay whole.
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}

}  // namespace parley
