#include "scheduler/timer_notices.hpp"

#include <charconv>

namespace parley::scheduler {

std::string EncodeTimerNotice(TimePoint due) { return std::to_string(ToUnixMillis(due)); }

std::optional<TimePoint> DecodeTimerNotice(std::string_view payload) {
  int64_t ms = 0;
  const auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), ms);
  if (ec != std::errc() || end != payload.data() + payload.size() || payload.empty()) {
    return std::nullopt;
  }
  return FromUnixMillis(ms);
}

Status ListenForTimers(store::Notifications& notifications, Scheduler& scheduler) {
  return notifications.Listen(kTimerChannel, [&scheduler](const store::Notice& notice) {
    if (notice.missed) {
      scheduler.Wake(TimePoint::min());  // look at the database again
      return;
    }
    if (auto due = DecodeTimerNotice(notice.payload)) {
      scheduler.Wake(*due);
    }
  });
}

bool AnnounceTimer(store::Notifications& notifications, TimePoint due, TimePoint now,
                   Duration horizon) {
  if (due > now + horizon) {
    return false;
  }
  notifications.Notify(kTimerChannel, EncodeTimerNotice(due));
  return true;
}

}  // namespace parley::scheduler
