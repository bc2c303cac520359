#include "flow/transcript.hpp"

#include <re2/re2.h>

#include <cstdio>
#include <deque>

#include "common/strings.hpp"
#include "flow/simulator.hpp"
#include "flow/text.hpp"

namespace parley::flow {

namespace {

constexpr const char* kDefaultClock = "2026-01-05T08:00:00Z";  // a Monday
constexpr const char* kDefaultPhone = "+15550000000";

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

Status LineError(const std::string& name, int line, const std::string& message) {
  return Status::InvalidArgument(name + ":" + std::to_string(line) + ": " + message);
}

}  // namespace

Result<TimePoint> ParseUtc(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char z = 0;
  const std::string str(text);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &s, &z) != 7 ||
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
  while (pos <= text.size()) {
    const size_t eol = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      line.remove_prefix(1);
    }
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const size_t space = line.find(' ');
    const std::string_view head = line.substr(0, space);
    const std::string_view rest =
        space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    Directive d{};
    d.line = line_no;
    d.value = std::string(rest);
    if (head == ">") {
      d.kind = Directive::Kind::kSay;
    } else if (head == "+") {
      d.kind = Directive::Kind::kMedia;
    } else if (head == "<") {
      if (rest.size() >= 2 && rest.front() == '/' && rest.back() == '/') {
        d.kind = Directive::Kind::kExpectRegex;
        d.value = std::string(rest.substr(1, rest.size() - 2));
        RE2 re(d.value, RE2::Quiet);
        if (!re.ok()) {
          return LineError(t.name, line_no, "bad regex /" + d.value + "/: " + re.error());
        }
      } else {
        d.kind = Directive::Kind::kExpectReply;
      }
    } else if (head == "=") {
      d.kind = Directive::Kind::kExpectState;
    } else if (head == "!") {
      d.kind = Directive::Kind::kExpectStatus;
      if (!ParseSessionStatus(rest)) {
        return LineError(t.name, line_no,
                         "unknown status '" + d.value +
                             "' (use active, completed, ended, opted_out or expired)");
      }
    } else if (head == "?") {
      const size_t eq = rest.find(" = ");
      if (eq != std::string_view::npos) {
        d.kind = Directive::Kind::kExpectVar;
        d.arg = std::string(rest.substr(0, eq));
        d.value = std::string(rest.substr(eq + 3));
      } else if (rest.size() > 6 && rest.substr(rest.size() - 6) == " unset") {
        d.kind = Directive::Kind::kExpectUnset;
        d.arg = std::string(rest.substr(0, rest.size() - 6));
      } else {
        return LineError(t.name, line_no, "expected '? var = value' or '? var unset'");
      }
    } else if (head == "~") {
      d.kind = Directive::Kind::kAdvance;
      auto duration = ParseDuration(rest);
      if (!duration.ok()) {
        return LineError(t.name, line_no, duration.status().message());
      }
      d.duration = std::chrono::duration_cast<Duration>(*duration);
    } else if (head == "start" && rest.empty()) {
      d.kind = Directive::Kind::kStart;
    } else if (head == "clock") {
      d.kind = Directive::Kind::kClock;
      auto at = ParseUtc(rest);
      if (!at.ok()) {
        return LineError(t.name, line_no, at.status().message());
      }
      d.at = *at;
    } else if (head == "contact") {
      d.kind = Directive::Kind::kContact;
      const size_t sp = rest.find(' ');
      d.arg = std::string(rest.substr(0, sp));
      d.value = sp == std::string_view::npos ? "" : std::string(rest.substr(sp + 1));
      if (d.arg != "phone" && d.arg != "name" && d.arg != "channel" && d.arg != "tz" &&
          d.arg != "field") {
        return LineError(
            t.name, line_no,
            "unknown contact attribute '" + d.arg + "' (use phone, name, channel, tz or field)");
      }
    } else {
      return LineError(t.name, line_no, "unknown directive '" + std::string(head) + "'");
    }
    t.directives.push_back(std::move(d));
  }
  return t;
}

namespace {

// Replays one transcript, stopping at the first mismatch.
class Runner {
 public:
  Runner(const Transcript& t, std::shared_ptr<const Flow> flow)
      : t_(t), sim_(std::move(flow), Contact{}, *ParseUtc(kDefaultClock)) {
    sim_.contact().phone = kDefaultPhone;
  }

  TranscriptOutcome Run() {
    TranscriptOutcome out;
    for (const Directive& d : t_.directives) {
      if (!Do(d)) {
        out.failure = failure_;
        out.covered_edges = sim_.covered_edges();
        return out;
      }
    }
    if (!pending_.empty()) {
      const int last = t_.directives.empty() ? 0 : t_.directives.back().line;
      Fail(last, "unexpected reply " + Quote(pending_.front()) + " at the end of the transcript");
      out.failure = failure_;
    } else {
      out.passed = true;
    }
    out.covered_edges = sim_.covered_edges();
    return out;
  }

 private:
  bool Fail(int line, const std::string& message) {
    failure_ = t_.name + ":" + std::to_string(line) + ": " + message;
    return false;
  }

  bool NoPendingReplies(const Directive& d) {
    if (pending_.empty()) {
      return true;
    }
    return Fail(d.line, "unexpected reply " + Quote(pending_.front()) +
                            " (add a '<' line for it before this one)");
  }

  void Collect(const std::vector<Effect>& effects) {
    for (const Effect& e : effects) {
      if (const auto* send = std::get_if<SendEffect>(&e)) {
        pending_.push_back(send->text);
      }
    }
  }

  bool EnsureStarted(const Directive& d) {
    if (sim_.started()) {
      return true;
    }
    auto r = sim_.Start();
    if (!r.ok()) {
      return Fail(d.line, "starting the session failed: " + r.status().message());
    }
    Collect(r->effects);
    return true;
  }

  std::string Pad() const { return std::string(t_.name.size() + 6, ' '); }

  bool Do(const Directive& d) {
    using K = Directive::Kind;
    // Everything but the set-up lines and an explicit start starts the session implicitly.
    if (d.kind != K::kContact && d.kind != K::kClock && d.kind != K::kStart && !EnsureStarted(d)) {
      return false;
    }
    switch (d.kind) {
      case K::kContact:
      case K::kClock:
        if (sim_.started()) {
          return Fail(d.line, "'contact' and 'clock' must come before the session starts");
        }
        if (d.kind == K::kClock) {
          sim_.set_now(d.at);
        } else {
          SetContact(d);
        }
        return true;
      case K::kStart: {
        if (!NoPendingReplies(d)) return false;
        auto r = sim_.Start();
        if (!r.ok()) return Fail(d.line, "starting the session failed: " + r.status().message());
        Collect(r->effects);
        return true;
      }
      case K::kMedia:
        media_.push_back(d.value);
        return true;
      case K::kSay: {
        if (!NoPendingReplies(d) || !EnsureStarted(d)) return false;
        auto r = sim_.Inbound(d.value, std::exchange(media_, {}));
        if (!r.ok()) return Fail(d.line, "the message failed: " + r.status().message());
        Collect(r->effects);
        return true;
      }
      case K::kAdvance: {
        if (!NoPendingReplies(d) || !EnsureStarted(d)) return false;
        auto r = sim_.Advance(d.duration);
        if (!r.ok()) return Fail(d.line, "a timer failed: " + r.status().message());
        for (const auto& record : *r) {
          Collect(record.effects);
        }
        return true;
      }
      case K::kExpectReply:
      case K::kExpectRegex: {
        const std::string expected =
            d.kind == K::kExpectReply ? Quote(d.value) : "/" + d.value + "/";
        if (pending_.empty()) {
          return Fail(d.line, "expected reply " + expected + "\n" + Pad() + "got no reply");
        }
        const std::string got = pending_.front();
        pending_.pop_front();
        const bool ok = d.kind == K::kExpectReply ? got == d.value
                                                  : RE2::FullMatch(got, RE2(d.value, RE2::Quiet));
        if (!ok) {
          return Fail(d.line,
                      "expected reply " + expected + "\n" + Pad() + "     got reply " + Quote(got));
        }
        return true;
      }
      case K::kExpectState:
        if (sim_.session().state != d.value) {
          return Fail(d.line, "expected state " + d.value + ", but the session is in " +
                                  (sim_.session().state.empty() ? "no state (not started)"
                                                                : sim_.session().state));
        }
        return true;
      case K::kExpectStatus: {
        const std::string got = SessionStatusName(sim_.session().status);
        if (got != d.value) {
          return Fail(d.line, "expected status " + d.value + ", got " + got);
        }
        return true;
      }
      case K::kExpectVar:
      case K::kExpectUnset: {
        const json::Value* v = sim_.session().vars.Find(d.arg);
        if (d.kind == K::kExpectUnset) {
          if (v != nullptr) {
            return Fail(d.line, "expected " + d.arg + " to be unset, but it is " +
                                    Quote(json::ToDisplayString(*v)));
          }
          return true;
        }
        if (v == nullptr) {
          return Fail(d.line, "expected " + d.arg + " = " + Quote(d.value) + ", but it is unset");
        }
        if (json::ToDisplayString(*v) != d.value) {
          return Fail(d.line, "expected " + d.arg + " = " + Quote(d.value) + ", got " +
                                  Quote(json::ToDisplayString(*v)));
        }
        return true;
      }
    }
    return true;
  }

  void SetContact(const Directive& d) {
    Contact& c = sim_.contact();
    if (d.arg == "phone") {
      c.phone = d.value;
    } else if (d.arg == "name") {
      c.name = d.value;
    } else if (d.arg == "channel") {
      c.channel = d.value;
    } else if (d.arg == "tz") {
      c.time_zone = d.value;
    } else {
      const size_t sp = d.value.find(' ');
      c.fields[d.value.substr(0, sp)] = sp == std::string::npos ? "" : d.value.substr(sp + 1);
    }
  }

  const Transcript& t_;
  Simulator sim_;
  std::deque<std::string> pending_;
  std::vector<std::string> media_;
  std::string failure_;
};

}  // namespace

TranscriptOutcome RunTranscript(const Transcript& transcript, std::shared_ptr<const Flow> flow) {
  return Runner(transcript, std::move(flow)).Run();
}

}  // namespace parley::flow
