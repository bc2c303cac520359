// A clock for end-to-end tests of `parley serve` (PARLEY_TEST_CLOCK_FILE,
// docs/configuration.md, "Testing"): the system clock plus an offset that a test controls by
// rewriting a file, so it can move the server's time to just before a 09:00 check-in.
//
// The file is marked test-only: its first line must be exactly `parley-test-clock`, its second
// the offset in whole seconds (may be negative). Any other content is refused at start, so the
// key cannot shift a production server's clock by accident. The file is read again at most
// every 50 ms of real time; a later unreadable or malformed file keeps the last offset.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.hpp"
#include "common/time.hpp"

namespace parley::app {

class TestOffsetClock final : public Clock {
 public:
  // kInvalidArgument naming the file when it is not a marked test clock file.
  static Result<std::unique_ptr<TestOffsetClock>> Open(std::string path);

  TimePoint Now() const override;
  std::chrono::seconds offset() const;

 private:
  TestOffsetClock(std::string path, std::chrono::seconds offset);
  void Refresh() const;  // with mu_ held

  SystemClock system_;
  std::string path_;
  mutable std::mutex mu_;
  mutable std::chrono::seconds offset_;
  mutable std::chrono::steady_clock::time_point read_at_;
};

// Parses a test clock file's text: the offset, or kInvalidArgument.
Result<std::chrono::seconds> ParseTestClockFile(const std::string& text);

}  // namespace parley::app
