// Notifications between parley instances that share one database: a channel name and a
// payload, fire and forget (docs/architecture.md, "Notifications"). The timer scheduler uses
// it so an idle instance wakes when another one sets a timer due sooner than it sleeps; the
// flow reload can use it to make instances converge.
//
// Contract:
//   - Listen(channel, handler) before Start(); handlers run on the facility's own thread, one
//     at a time, and must be quick (wake a thread, set a flag).
//   - Notify(channel, payload) returns at once: the notice is queued and sent by that thread.
//     It reaches every OTHER Notifications object listening on the channel (other instances;
//     never this object's own handlers: the caller has woken its own process already).
//     Delivery is best effort: a notice may be lost while a connection is down (or dropped
//     when 4,096 are queued), so a listener must also look for itself now and then (the
//     scheduler's safety poll).
//   - After every (re)connection each handler is called once with `missed` set: notices may
//     have been lost while the connection was down, so look at the database again.
//   - Stop() sends what is queued (waiting at most about a second), closes the connection and
//     joins the thread. Idempotent; the destructor calls it.
// Channel names are [a-z0-9_], 1 to 63 characters (PostgreSQL identifiers); payloads are
// printable ASCII under 8,000 bytes (PostgreSQL's limit). Anything else is refused
// (kInvalidArgument) by Listen and dropped by Notify (both are programming errors).
//
// PostgreSQL: LISTEN/NOTIFY on a connection of its own (not the pool's), which it reopens
// after it drops (a server restart) with a growing back-off (0.1 s doubling to 5 s): never a
// busy loop. SQLite: one instance per database file, so there is nobody to tell; Notify does
// nothing (another process writing the file, `parley start`, is seen by the safety poll).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace parley::store {

struct Notice {
  std::string_view channel;
  std::string_view payload;  // empty when `missed`
  bool missed = false;       // (re)connected: notices may have been lost meanwhile
};

class Notifications {
 public:
  using Handler = std::function<void(const Notice&)>;
  virtual ~Notifications() = default;

  // Subscribes `handler` to `channel`. Before Start() (or the first Notify).
  virtual Status Listen(std::string_view channel, Handler handler) = 0;
  // Connects and starts listening, on a thread of its own. A server that cannot be reached is
  // retried in the background; Start itself does not fail.
  virtual void Start() = 0;
  // Queues a notice for the other listeners (starts the thread if Start was not called, so a
  // one-shot command's notices go out too).
  virtual void Notify(std::string_view channel, std::string_view payload) = 0;
  virtual void Stop() = 0;
  // Notices sent and received, and reconnections, so far (tests, benchmarks).
  struct Counts {
    long sent = 0;
    long received = 0;
    long dropped = 0;
    long connects = 0;         // connections made (and listening)
    long failed_connects = 0;  // attempts that failed (the back-off bounds them)
  };
  virtual Counts counts() const = 0;
};

// "sqlite:..." gives the do-nothing implementation; "postgres://" and "postgresql://" one on
// its own libpq connection (connected lazily, by Start or the first Notify). Other schemes
// are kInvalidArgument, as for OpenStore.
Result<std::unique_ptr<Notifications>> OpenNotifications(std::string_view database_url);

// Whether `channel` is a valid channel name ([a-z0-9_], 1 to 63 characters).
bool ValidChannelName(std::string_view channel);

}  // namespace parley::store
