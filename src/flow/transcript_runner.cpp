// Running transcripts against a Simulator (docs/testing-flows.md).
#include <re2/re2.h>

#include <deque>
#include <utility>

#include "flow/simulator.hpp"
#include "flow/transcript.hpp"

namespace parley::flow {

namespace {

// "\"Hi \" (ends with 1 space)": trailing white space is easy to miss between quotes, and
// a transcript's `<` text keeps it, so a mismatch says so.
std::string Quote(std::string_view s) {
  std::string out = "\"" + std::string(s) + "\"";
  size_t trailing = 0;
  bool spaces_only = true;
  while (trailing < s.size() &&
         (s[s.size() - 1 - trailing] == ' ' || s[s.size() - 1 - trailing] == '\t' ||
          s[s.size() - 1 - trailing] == '\n')) {
    spaces_only = spaces_only && s[s.size() - 1 - trailing] == ' ';
    ++trailing;
  }
  if (trailing > 0) {
    out += " (ends with " + std::to_string(trailing) + " " +
           (spaces_only ? (trailing == 1 ? "space" : "spaces")
                        : (trailing == 1 ? "white-space character" : "white-space characters")) +
           ")";
  }
  return out;
}

// Replays one transcript, stopping at the first mismatch.
class Runner {
 public:
  Runner(const Transcript& t, std::shared_ptr<const Flow> flow, const ComplianceRules& compliance)
      : t_(t), sim_(std::move(flow), Contact{}, *ParseUtc(kTranscriptDefaultClock)) {
    sim_.contact().phone = std::string(kTranscriptDefaultPhone);
    sim_.set_compliance(compliance);
  }

  TranscriptOutcome Run() {
    TranscriptOutcome out;
    out.passed = RunAll();
    if (!out.passed) {
      out.failure = failure_;
    }
    out.covered_edges = sim_.covered_edges();
    return out;
  }

 private:
  bool RunAll() {
    for (const Directive& d : t_.directives) {
      if (!Do(d)) {
        return false;
      }
    }
    if (!pending_.empty()) {
      const int last = t_.directives.empty() ? 0 : t_.directives.back().line;
      return Fail(last,
                  "unexpected reply " + Quote(pending_.front()) + " at the end of the transcript");
    }
    return true;
  }

  std::string Prefix(int line) const { return t_.name + ":" + std::to_string(line) + ": "; }

  bool Fail(int line, const std::string& message) {
    failure_ = Prefix(line) + message;
    return false;
  }

  // Two lines, "got" right-aligned under "expected":
  //   t.txt:3: expected reply "Good"
  //                 got reply "Bad"
  bool Mismatch(int line, const std::string& expected, const std::string& got) {
    constexpr size_t kAlign = std::string_view("expected").size() - std::string_view("got").size();
    failure_ = Prefix(line) + "expected " + expected + "\n" +
               std::string(Prefix(line).size() + kAlign, ' ') + "got " + got;
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

  bool StartSession(const Directive& d) {
    auto r = sim_.Start();
    if (!r.ok()) {
      return Fail(d.line, "starting the session failed: " + r.status().message());
    }
    Collect(r->effects);
    return true;
  }

  bool Do(const Directive& d) {
    using K = Directive::Kind;
    // Every line but the set-up lines and an explicit start starts the session implicitly.
    const bool setup = d.kind == K::kContact || d.kind == K::kClock || d.kind == K::kStart;
    if (!setup && !sim_.started() && !StartSession(d)) {
      return false;
    }
    switch (d.kind) {
      case K::kContact:
      case K::kClock:
        return SetUp(d);
      case K::kStart:
        return NoPendingReplies(d) && StartSession(d);
      case K::kMedia:
        media_.push_back(d.value);
        return true;
      case K::kSay:
        return Say(d);
      case K::kAdvance:
        return Advance(d);
      case K::kDeliveryFailed:
        return DeliveryFailed(d);
      case K::kExpectReply:
      case K::kExpectRegex:
        return ExpectReply(d);
      case K::kExpectState:
        if (sim_.session().state != d.value) {
          return Mismatch(d.line, "state " + d.value, "state " + sim_.session().state);
        }
        return true;
      case K::kExpectStatus: {
        const std::string got = SessionStatusName(sim_.session().status);
        if (got != d.value) {
          return Mismatch(d.line, "status " + d.value, "status " + got);
        }
        return true;
      }
      case K::kExpectVar:
      case K::kExpectUnset:
        return ExpectVar(d);
    }
    return true;
  }

  bool SetUp(const Directive& d) {
    if (sim_.started()) {
      return Fail(d.line, "'" +
                              std::string(d.kind == Directive::Kind::kClock ? "clock" : "contact") +
                              "' must come before the session starts");
    }
    if (d.kind == Directive::Kind::kClock) {
      sim_.set_now(d.at);
      return true;
    }
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
    return true;
  }

  bool Say(const Directive& d) {
    if (!NoPendingReplies(d)) {
      return false;
    }
    auto r = sim_.Inbound(d.value, std::exchange(media_, {}));
    if (!r.ok()) {
      return Fail(d.line, "the message failed: " + r.status().message());
    }
    Collect(r->effects);
    return true;
  }

  bool DeliveryFailed(const Directive& d) {
    if (!NoPendingReplies(d)) {
      return false;
    }
    auto r = sim_.DeliveryFailed(d.arg, d.value);
    if (!r.ok()) {
      return Fail(d.line, "the delivery failure failed: " + r.status().message());
    }
    Collect(r->effects);
    return true;
  }

  bool Advance(const Directive& d) {
    if (!NoPendingReplies(d)) {
      return false;
    }
    auto r = sim_.Advance(d.duration);
    if (!r.ok()) {
      return Fail(d.line, "a timer failed: " + r.status().message());
    }
    for (const auto& record : *r) {
      Collect(record.effects);
    }
    return true;
  }

  bool ExpectReply(const Directive& d) {
    const bool exact = d.kind == Directive::Kind::kExpectReply;
    const std::string expected = "reply " + (exact ? Quote(d.value) : "/" + d.value + "/");
    if (pending_.empty()) {
      return Mismatch(d.line, expected, "no reply");
    }
    const std::string got = std::move(pending_.front());
    pending_.pop_front();
    const bool ok = exact ? got == d.value : RE2::FullMatch(got, RE2(d.value, RE2::Quiet));
    if (!ok) {
      return Mismatch(d.line, expected, "reply " + Quote(got));
    }
    return true;
  }

  bool ExpectVar(const Directive& d) {
    const json::Value* v = sim_.session().vars.Find(d.arg);
    const std::string got =
        v == nullptr ? d.arg + " unset" : d.arg + " = " + Quote(json::ToDisplayString(*v));
    if (d.kind == Directive::Kind::kExpectUnset) {
      return v == nullptr || Mismatch(d.line, d.arg + " unset", got);
    }
    if (v == nullptr || json::ToDisplayString(*v) != d.value) {
      return Mismatch(d.line, d.arg + " = " + Quote(d.value), got);
    }
    return true;
  }

  const Transcript& t_;
  Simulator sim_;
  std::deque<std::string> pending_;  // replies sent and not yet matched by a '<' line
  std::vector<std::string> media_;   // '+' lines waiting for their '>' line
  std::string failure_;
};

}  // namespace

TranscriptOutcome RunTranscript(const Transcript& transcript, std::shared_ptr<const Flow> flow,
                                const ComplianceRules& compliance) {
  return Runner(transcript, std::move(flow), compliance).Run();
}

}  // namespace parley::flow
