#include "store/store.hpp"

#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace parley::store {

Result<std::unique_ptr<Store>> OpenStore(std::string_view database_url,
                                         const ConnectOptions& options) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (database_url.starts_with(kSqlite)) {
    const std::string_view path = database_url.substr(kSqlite.size());
    if (path.empty()) {
      return Status::InvalidArgument(
          "database URL 'sqlite:' names no file: use sqlite:PATH or sqlite::memory:");
    }
    return OpenSqliteStore(path, options);
  }
  if (database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
    return OpenPgStore(database_url, options);
  }
  // Only the scheme is echoed: the rest may hold a password.
  const std::string_view scheme = database_url.substr(0, database_url.find(':'));
  return Status::InvalidArgument("database URL with unsupported scheme '" + std::string(scheme) +
                                 "': expected sqlite:PATH, sqlite::memory:, postgres://... or "
                                 "postgresql://...");
}

}  // namespace parley::store
