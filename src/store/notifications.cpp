#include "store/notifications.hpp"

#include <algorithm>

#include "store/postgres/pg_notifications.hpp"

namespace parley::store {
namespace {

// SQLite: one instance per database file, nobody else to tell (notifications.hpp).
class LocalNotifications final : public Notifications {
 public:
  Status Listen(std::string_view channel, Handler) override {
    return ValidChannelName(channel)
               ? Status::Ok()
               : Status::InvalidArgument("notification channel '" + std::string(channel) +
                                         "': expected [a-z0-9_], 1 to 63 characters");
  }
  void Start() override {}
  void Notify(std::string_view, std::string_view) override {}
  void Stop() override {}
  Counts counts() const override { return {}; }
};

}  // namespace

bool ValidChannelName(std::string_view channel) {
  return !channel.empty() && channel.size() <= 63 &&
         std::all_of(channel.begin(), channel.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

Result<std::unique_ptr<Notifications>> OpenNotifications(std::string_view database_url) {
  if (database_url.starts_with("sqlite:")) {
    return std::unique_ptr<Notifications>(std::make_unique<LocalNotifications>());
  }
  if (database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
    return OpenPgNotifications(database_url);
  }
  const std::string_view scheme = database_url.substr(0, database_url.find(':'));
  return Status::InvalidArgument("database URL with unsupported scheme '" + std::string(scheme) +
                                 "': expected sqlite:PATH, sqlite::memory:, postgres://... or "
                                 "postgresql://...");
}

}  // namespace parley::store
