// Parsing transcripts (docs/testing-flows.md); running them is in transcript_runner.cpp.
#include "flow/transcript.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <cstdio>

#include "flow/session.hpp"
#include "flow/text.hpp"

namespace parley::flow {

namespace {

constexpr std::string_view kUnsetSuffix = " unset";

Status LineError(const std::string& name, int line, const std::string& message) {
  return Status::InvalidArgument(name + ":" + std::to_string(line) + ": " + message);
}

std::string_view TrimLine(std::string_view line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    line.remove_prefix(1);
  }
  return line;
}

// `line` without its leading white space and a CR that ended it (a file with CRLF lines).
std::string_view TrimLeftAndCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    line.remove_prefix(1);
  }
  return line;
}

bool IsSymbolDirective(char c) {
  return std::string_view("><=?!~+").find(c) != std::string_view::npos;
}

// Fills `d` from the directive word `head` and the text after it; returns an error message,
// or an empty string when the line is fine.
std::string ParseDirective(std::string_view head, std::string_view rest, Directive& d) {
  using K = Directive::Kind;
  d.value = std::string(rest);
  if (head == ">") {
    d.kind = K::kSay;
  } else if (head == "+") {
    d.kind = K::kMedia;
    if (rest.empty()) {
      return "'+' needs a media URL";
    }
  } else if (head == "<") {
    const std::string_view trimmed = TrimLine(rest);
    if (trimmed.size() >= 2 && trimmed.front() == '/' && trimmed.back() == '/') {
      d.kind = K::kExpectRegex;
      d.value = std::string(trimmed.substr(1, trimmed.size() - 2));
      const RE2 re(d.value, RE2::Quiet);
      if (!re.ok()) {
        return "bad regex /" + d.value + "/: " + re.error();
      }
    } else {
      d.kind = K::kExpectReply;
    }
  } else if (head == "=") {
    d.kind = K::kExpectState;
    if (rest.empty()) {
      return "'=' needs a state name";
    }
  } else if (head == "!") {
    d.kind = K::kExpectStatus;
    if (!ParseSessionStatus(rest)) {
      return "unknown status '" + d.value +
             "' (use active, completed, ended, opted_out or expired)";
    }
  } else if (head == "?") {
    const size_t eq = rest.find(" =");
    if (eq != std::string_view::npos && eq > 0 && (eq + 2 == rest.size() || rest[eq + 2] == ' ')) {
      d.kind = K::kExpectVar;
      d.arg = std::string(rest.substr(0, eq));
      d.value = eq + 2 == rest.size() ? "" : std::string(rest.substr(eq + 3));
    } else if (rest.size() > kUnsetSuffix.size() && rest.ends_with(kUnsetSuffix)) {
      d.kind = K::kExpectUnset;
      d.arg = std::string(rest.substr(0, rest.size() - kUnsetSuffix.size()));
    } else {
      return "expected '? var = value' or '? var unset'";
    }
  } else if (head == "~") {
    d.kind = K::kAdvance;
    auto duration = ParseDuration(rest);
    if (!duration.ok()) {
      return duration.status().message();
    }
    d.duration = std::chrono::duration_cast<Duration>(*duration);
  } else if (head == "failed" || head == "undelivered") {
    d.kind = K::kDeliveryFailed;
    d.arg = std::string(head);
    if (rest.size() > 10 ||
        !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return "'" + d.arg + "' takes an optional Twilio error code (digits), e.g. '" + d.arg +
             " 30003'";
    }
  } else if (head == "start") {
    d.kind = K::kStart;
    if (!rest.empty()) {
      return "'start' takes nothing after it";
    }
  } else if (head == "clock") {
    d.kind = K::kClock;
    auto at = ParseUtc(rest);
    if (!at.ok()) {
      return at.status().message();
    }
    d.at = *at;
  } else if (head == "contact") {
    d.kind = K::kContact;
    const size_t sp = rest.find(' ');
    d.arg = std::string(rest.substr(0, sp));
    d.value = sp == std::string_view::npos ? "" : std::string(rest.substr(sp + 1));
    if (d.arg != "phone" && d.arg != "name" && d.arg != "channel" && d.arg != "tz" &&
        d.arg != "field") {
      return "unknown contact attribute '" + d.arg + "' (use phone, name, channel, tz or field)";
    }
  } else if (IsSymbolDirective(head.front())) {
    return "unknown directive '" + std::string(head) + "' (put a space after '" + head.front() +
           "')";
  } else {
    return "unknown directive '" + std::string(head) + "'";
  }
  return "";
}

}  // namespace

Result<TimePoint> ParseUtc(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char z = 0;
  char extra = 0;
  const std::string str(text);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%c", &y, &mo, &d, &h, &mi, &s, &z,
                  &extra) != 7 ||
      z != 'Z') {
    return Status::InvalidArgument("bad time '" + str + "': expected 2026-11-24T08:00:00Z");
  }
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) {
    return Status::InvalidArgument("bad time '" + str + "': no such date or time");
  }
  return time_point_cast<Duration>(sys_days(ymd) + hours(h) + minutes(mi) + seconds(s));
}

Result<Transcript> ParseTranscript(std::string_view text, std::string name) {
  Transcript t;
  t.name = std::move(name);
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t eol = std::min(text.find('\n', pos), text.size());
    const size_t line_start = pos;
    const std::string_view line = TrimLine(text.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const size_t space = line.find(' ');
    const std::string_view head = line.substr(0, space);
    std::string_view rest =
        space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    if (head == "<" && space != std::string_view::npos) {
      // An expected reply keeps its trailing spaces: a flow that sends "Hi " must be
      // testable, and a mismatch shows them (transcript_runner.cpp).
      const std::string_view whole = TrimLeftAndCr(text.substr(line_start, eol - line_start));
      rest = whole.substr(space + 1);
    }
    Directive d;
    d.line = line_no;
    if (std::string error = ParseDirective(head, rest, d); !error.empty()) {
      return LineError(t.name, line_no, error);
    }
    t.directives.push_back(std::move(d));
  }
  // Media lines belong to the message right after them.
  for (size_t i = 0; i < t.directives.size(); ++i) {
    if (t.directives[i].kind != Directive::Kind::kMedia) {
      continue;
    }
    size_t next = i + 1;
    while (next < t.directives.size() && t.directives[next].kind == Directive::Kind::kMedia) {
      ++next;
    }
    if (next == t.directives.size() || t.directives[next].kind != Directive::Kind::kSay) {
      return LineError(t.name, t.directives[i].line,
                       "'+' attaches media to a '>' message, but no '>' line follows it");
    }
  }
  return t;
}

}  // namespace parley::flow
