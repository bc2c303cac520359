#include "app/test_clock.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <utility>

namespace parley::app {

namespace {

constexpr char kMarker[] = "parley-test-clock";
constexpr auto kRereadEvery = std::chrono::milliseconds(50);

Result<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return Status::InvalidArgument("cannot read the test clock file " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<std::chrono::seconds> ParseTestClockFile(const std::string& text) {
  std::istringstream lines(text);
  std::string marker;
  std::string offset;
  std::getline(lines, marker);
  std::getline(lines, offset);
  if (marker != kMarker) {
    return Status::InvalidArgument(std::string("not a test clock file: its first line must be '") +
                                   kMarker + "' (PARLEY_TEST_CLOCK_FILE is for tests only)");
  }
  long long seconds = 0;
  const char* end = offset.data() + offset.size();
  const auto [ptr, ec] = std::from_chars(offset.data(), end, seconds);
  if (offset.empty() || ec != std::errc() || ptr != end) {
    return Status::InvalidArgument(
        "test clock file: the second line must be the offset in "
        "whole seconds, got '" +
        offset + "'");
  }
  return std::chrono::seconds(seconds);
}

Result<std::unique_ptr<TestOffsetClock>> TestOffsetClock::Open(std::string path) {
  auto text = ReadAll(path);
  if (!text.ok()) {
    return text.status();
  }
  auto offset = ParseTestClockFile(*text);
  if (!offset.ok()) {
    return Status::InvalidArgument("PARLEY_TEST_CLOCK_FILE " + path + ": " +
                                   offset.status().message());
  }
  return std::unique_ptr<TestOffsetClock>(new TestOffsetClock(std::move(path), *offset));
}

TestOffsetClock::TestOffsetClock(std::string path, std::chrono::seconds offset)
    : path_(std::move(path)), offset_(offset), read_at_(std::chrono::steady_clock::now()) {}

void TestOffsetClock::Refresh() const {
  const auto now = std::chrono::steady_clock::now();
  if (now - read_at_ < kRereadEvery) {
    return;
  }
  read_at_ = now;
  auto text = ReadAll(path_);
  if (!text.ok()) {
    return;
  }
  if (auto offset = ParseTestClockFile(*text); offset.ok()) {
    offset_ = *offset;
  }
}

TimePoint TestOffsetClock::Now() const {
  std::lock_guard lock(mu_);
  Refresh();
  return system_.Now() + std::chrono::duration_cast<Duration>(offset_);
}

std::chrono::seconds TestOffsetClock::offset() const {
  std::lock_guard lock(mu_);
  Refresh();
  return offset_;
}

}  // namespace parley::app
