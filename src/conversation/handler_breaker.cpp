#include "conversation/handler_breaker.hpp"

#include <algorithm>

namespace parley::conversation {

std::optional<TimePoint> HandlerBreaker::PausedUntil(std::string_view contact,
                                                     TimePoint now) const {
  std::lock_guard lock(mu_);
  if (entries_.empty()) {
    return std::nullopt;
  }
  const auto it = entries_.find(std::string(contact));
  if (it == entries_.end() || it->second.until <= now) {
    return std::nullopt;
  }
  return it->second.until;
}

void HandlerBreaker::Failed(std::string_view contact, TimePoint now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(contact));
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_contacts) {
      std::erase_if(entries_, [now](const auto& e) { return e.second.until <= now; });
      if (entries_.size() >= options_.max_contacts) {
        return;
      }
    }
    it = entries_.emplace(std::string(contact), Entry{}).first;
  }
  Entry& e = it->second;
  e.failures = std::min(e.failures + 1, 30);
  Duration backoff = options_.first_backoff;
  for (int i = 1; i < e.failures && backoff < options_.max_backoff; ++i) {
    backoff *= 2;
  }
  e.until = now + std::min(backoff, options_.max_backoff);
}

void HandlerBreaker::Succeeded(std::string_view contact) {
  std::lock_guard lock(mu_);
  if (!entries_.empty()) {
    entries_.erase(std::string(contact));
  }
}

}  // namespace parley::conversation
