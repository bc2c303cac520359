// The SQLite Store: one file (or ":memory:"), one connection, one writer at a time.
//
// The single connection is guarded by a mutex: Begin() waits up to busy_timeout for it and
// then gives kUnavailable. The transaction holds it until Commit() or destruction, so a
// thread holding a Transaction must not call the Store (it would wait for itself). Other
// processes sharing the file are kept out by SQLite's own lock (BEGIN IMMEDIATE, WAL, the
// same busy timeout).
#pragma once

#include <memory>
#include <string_view>

#include "common/status.hpp"
#include "store/store.hpp"

namespace parley::store {

// Opens (creating if needed) the database at `path`; ":memory:" for a private in-memory one.
// A file that cannot be opened is kUnavailable.
Result<std::unique_ptr<Store>> OpenSqliteStore(std::string_view path,
                                               const ConnectOptions& options);

}  // namespace parley::store
