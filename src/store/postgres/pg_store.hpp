// The PostgreSQL Store: a pool of libpq connections, for several parley instances on one
// database.
//
// Connections are opened lazily, up to pool_size; Begin() waits up to busy_timeout for a
// free one, then gives kUnavailable. A connection that fails is discarded and the next user
// opens a new one, so the store recovers by itself once the server is back. The server bounds
// its side: connect_timeout bounds connecting, statement_timeout (ConnectOptions) every
// statement, lock_timeout (= busy_timeout) the per-contact lock, and
// idle_in_transaction_session_timeout a transaction left open; TCP keepalives and
// tcp_user_timeout notice a server host that vanished. A server that is alive but stuck
// (SIGSTOP, a hung disk) can still hold a call for as long as it is stuck: the event
// pipeline's budget answers the webhook regardless. Settings in the URL take precedence.
//
// Errors: SQLSTATE class 23 (constraints) is kFailedPrecondition; a lost connection, class
// 08, 57P0x (shutdown), 57014 (timeout), 55P03 (lock timeout) and class 40 (serialization,
// deadlock) are kUnavailable: retrying the whole transaction later may work. Anything else
// is kInternal. Messages carry the SQLSTATE and the server's text.
#pragma once

#include <memory>
#include <string_view>

#include "common/status.hpp"
#include "store/store.hpp"

namespace parley::store {

// Checks the URI (kInvalidArgument if libpq cannot parse it) without connecting.
Result<std::unique_ptr<Store>> OpenPgStore(std::string_view url, const ConnectOptions& options);

}  // namespace parley::store
