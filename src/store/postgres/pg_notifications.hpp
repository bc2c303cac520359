// Notifications (store/notifications.hpp) over PostgreSQL's LISTEN/NOTIFY, on one libpq
// connection of their own, driven by one thread: it waits (poll) on the connection's socket
// and an eventfd that Notify and Stop signal, so it sleeps until a notice arrives or is to be
// sent. Outgoing notices go out as one NOTIFY statement per wake-up (several notices, one
// round trip). A dropped connection is reopened after a back-off that doubles from 0.1 s to
// 5 s, and is reset only once a connection has stayed up for 10 s, so a server that accepts
// and drops at once is not hammered either.
#pragma once

#include <memory>
#include <string_view>

#include "common/status.hpp"
#include "store/notifications.hpp"

namespace parley::store {

// Checks the URI (kInvalidArgument if libpq cannot parse it) without connecting.
Result<std::unique_ptr<Notifications>> OpenPgNotifications(std::string_view url);

}  // namespace parley::store
