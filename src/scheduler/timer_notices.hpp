// Timers set on one instance wake the idle schedulers of the others (docs/architecture.md,
// "Timers"): after a commit that set a timer, the instance announces its due time on the
// `parley_timer_set` channel (store/notifications.hpp: PostgreSQL's NOTIFY); every other
// instance's scheduler hears it and wakes if that is sooner than it planned to.
//
// Only timers due within `horizon` of now are announced: the other schedulers look at the
// database at least that often anyway (their safety poll), so a later timer needs no notice.
// That keeps NOTIFY (which serializes the committing sessions on PostgreSQL) off the common
// path of reminders set hours ahead.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.hpp"
#include "common/time.hpp"
#include "scheduler/scheduler.hpp"
#include "store/notifications.hpp"

namespace parley::scheduler {

inline constexpr std::string_view kTimerChannel = "parley_timer_set";

// The payload: the due time in Unix milliseconds, decimal.
std::string EncodeTimerNotice(TimePoint due);
// None for a payload that is not one (another version's, or garbage).
std::optional<TimePoint> DecodeTimerNotice(std::string_view payload);

// Subscribes `scheduler` to timers announced by other instances: a notice wakes it when its
// timer is due sooner than it sleeps; a `missed` one (the connection was re-made) wakes it to
// look at the database. Call before notifications.Start().
Status ListenForTimers(store::Notifications& notifications, Scheduler& scheduler);

// Announces a timer due at `due` to the other instances if it is due within `horizon` of
// `now` (returns whether it did). Returns at once (the notice is sent by the notifications'
// thread).
bool AnnounceTimer(store::Notifications& notifications, TimePoint due, TimePoint now,
                   Duration horizon);

}  // namespace parley::scheduler
