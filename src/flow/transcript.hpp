// Transcripts: scripted conversations as tests (format in docs/testing-flows.md). Parsing
// and running are pure; the caller reads the files. Thread-compatible: a parsed Transcript
// is a plain value and RunTranscript works on its own Simulator.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "common/time.hpp"
#include "flow/model.hpp"
#include "flow/simulator.hpp"

namespace parley::flow {

// Defaults a transcript starts from unless its `contact phone` / `clock` lines say otherwise.
inline constexpr std::string_view kTranscriptDefaultPhone = "+15550000000";
inline constexpr std::string_view kTranscriptDefaultClock = "2026-01-05T08:00:00Z";  // a Monday

struct Directive {
  enum class Kind {
    kContact,  // arg = attribute ("phone", "name", "channel", "tz", "field"), value = the rest
    kClock,    // at = the start time
    kStart,
    kSay,             // value = text (media from the kMedia lines just before it)
    kMedia,           // value = URL, attached to the next kSay
    kExpectReply,     // value = exact text
    kExpectRegex,     // value = RE2 pattern (without slashes), validated when parsed
    kExpectState,     // value = state name
    kExpectVar,       // arg = variable, value = display text
    kExpectUnset,     // arg = variable
    kExpectStatus,    // value = status name, validated when parsed
    kAdvance,         // duration
    kDeliveryFailed,  // arg = "failed" or "undelivered", value = the error code (may be empty)
  };
  Kind kind = Kind::kStart;
  int line = 0;  // 1-based line in the transcript file
  std::string arg;
  std::string value;
  Duration duration{};
  TimePoint at;
};

struct Transcript {
  std::string name;  // file name, for messages
  std::vector<Directive> directives;
};

// Parses a transcript. InvalidArgument naming the first bad line:
// "low.txt:7: unknown directive 'x'".
Result<Transcript> ParseTranscript(std::string_view text, std::string name);

struct TranscriptOutcome {
  bool passed = false;
  // Empty when passed; else the first mismatch, possibly over two lines:
  //   low.txt:14: expected reply "Good job!"
  //                    got reply "That is low."
  std::string failure;
  std::set<std::string> covered_edges;  // Edge::path of every edge taken (also on failure)
};

// Replays `transcript` against `flow` on a fresh Simulator, stopping at the first mismatch.
// `compliance`: the server's STOP/START/HELP handling (`parley test` passes the server's
// classifier, so `! opted_out` is testable offline); by default no keywords.
// Precondition: flow is not null.
TranscriptOutcome RunTranscript(const Transcript& transcript, std::shared_ptr<const Flow> flow,
                                const ComplianceRules& compliance = {});

// "2026-11-24T08:00:00Z" -> TimePoint. InvalidArgument on anything else.
Result<TimePoint> ParseUtc(std::string_view text);

}  // namespace parley::flow
