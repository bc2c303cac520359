// The only file in parley that reads the real clock.
#include "common/time.hpp"

namespace parley {

TimePoint SystemClock::Now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

}  // namespace parley
