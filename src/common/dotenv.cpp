#include "common/dotenv.hpp"

namespace parley {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && IsSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsKeyChar(char c, bool first) {
  return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (!first && ((c >= '0' && c <= '9') || c == '.'));
}

// The value after '=': quoted, or bare up to an inline comment. Sets `why` on error.
bool ParseValue(std::string_view raw, std::string& out, std::string& why) {
  raw = Trim(raw);
  if (raw.empty()) {
    return true;
  }
  const char quote = raw.front();
  if (quote == '"' || quote == '\'') {
    size_t i = 1;
    for (; i < raw.size() && raw[i] != quote; ++i) {
      if (quote == '"' && raw[i] == '\\' && i + 1 < raw.size()) {
        const char e = raw[++i];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
      } else {
        out += raw[i];
      }
    }
    if (i == raw.size()) {
      why = std::string("unterminated ") + (quote == '"' ? "double" : "single") + " quote";
      return false;
    }
    const std::string_view rest = Trim(raw.substr(i + 1));
    if (!rest.empty() && rest.front() != '#') {
      why = "unexpected text after the closing quote";
      return false;
    }
    return true;
  }
  // Bare value: " #" starts a comment (a '#' inside a value, as in a URL fragment, stays).
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '#' && i > 0 && IsSpace(raw[i - 1])) {
      raw = Trim(raw.substr(0, i));
      break;
    }
  }
  out.assign(raw);
  return true;
}

}  // namespace

Result<std::vector<DotenvEntry>> ParseDotenv(std::string_view text, std::string_view name) {
  std::vector<DotenvEntry> entries;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    line = Trim(line);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    if (line.starts_with("export ")) {
      line = Trim(line.substr(7));
    }
    const auto fail = [&](const std::string& why) {
      return Status::InvalidArgument(std::string(name) + ":" + std::to_string(line_no) + ": " +
                                     why);
    };
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return fail("expected KEY=VALUE");
    }
    const std::string_view key = Trim(line.substr(0, eq));
    if (key.empty()) {
      return fail("missing key before '='");
    }
    for (size_t i = 0; i < key.size(); ++i) {
      if (!IsKeyChar(key[i], i == 0)) {
        return fail("bad key '" + std::string(key) +
                    "' (letters, digits and '_', not starting with a digit)");
      }
    }
    DotenvEntry entry{std::string(key), {}, line_no};
    std::string why;
    if (!ParseValue(line.substr(eq + 1), entry.value, why)) {
      return fail(entry.key + ": " + why);
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace parley
