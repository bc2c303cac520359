// Transcripts: scripted conversations as tests (docs/testing-flows.md). Parsing and running
// are pure; the CLI reads the files.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "flow/model.hpp"

namespace parley::flow {

struct Directive {
  enum class Kind {
    kContact,  // arg = field, value = value ("phone", "+1555…")
    kClock,    // at = the start time
    kStart,
    kSay,           // value = text
    kMedia,         // value = URL, attached to the next kSay
    kExpectReply,   // value = exact text
    kExpectRegex,   // value = RE2 pattern (without slashes)
    kExpectState,   // value = state name
    kExpectVar,     // arg = variable, value = display text
    kExpectUnset,   // arg = variable
    kExpectStatus,  // value = status name
    kAdvance,       // duration
  };
  Kind kind;
  int line = 0;
  std::string arg;
  std::string value;
  Duration duration{};
  TimePoint at;
};

struct Transcript {
  std::string name;  // file name, for messages
  std::vector<Directive> directives;
};

// Parse errors name the line: "low.txt:7: unknown directive 'x'".
Result<Transcript> ParseTranscript(std::string_view text, std::string name);

struct TranscriptOutcome {
  bool passed = false;
  // "low.txt:14: expected reply "Good job!"\n                      got reply "That is low.""
  std::string failure;
  std::set<std::string> covered_edges;
};

TranscriptOutcome RunTranscript(const Transcript& transcript, std::shared_ptr<const Flow> flow);

// "2026-11-24T08:00:00Z" -> TimePoint.
Result<TimePoint> ParseUtc(std::string_view text);

}  // namespace parley::flow
