// The message log (log_pages.hpp, MessagesPage).
#include <charconv>
#include <chrono>

#include "admin/web/log_pages.hpp"
#include "admin/web/log_templates.hpp"
#include "admin/web/page.hpp"
#include "store/statuses.hpp"
#include "twilio/form.hpp"

namespace parley::admin::web {
namespace {

constexpr store::MessageStatus kStatuses[] = {
    store::MessageStatus::kReceived,  store::MessageStatus::kQueued,
    store::MessageStatus::kAccepted,  store::MessageStatus::kScheduled,
    store::MessageStatus::kSending,   store::MessageStatus::kSent,
    store::MessageStatus::kDelivered, store::MessageStatus::kUndelivered,
    store::MessageStatus::kFailed,    store::MessageStatus::kRead,
    store::MessageStatus::kCanceled,  store::MessageStatus::kSimulated,
    store::MessageStatus::kTwiml,
};

bool Digits(std::string_view s, size_t min, size_t max) {
  return s.size() >= min && s.size() <= max &&
         s.find_first_not_of("0123456789") == std::string_view::npos;
}

int Number(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

std::optional<TimePoint> ParseFormTime(std::string_view t) {
  // 2026-11-24 | 2026-11-24T09:00 | 2026-11-24T09:00:30
  if (t.size() != 10 && t.size() != 16 && t.size() != 19) {
    return std::nullopt;
  }
  if (!Digits(t.substr(0, 4), 4, 4) || t[4] != '-' || !Digits(t.substr(5, 2), 2, 2) ||
      t[7] != '-' || !Digits(t.substr(8, 2), 2, 2)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day day{std::chrono::year(Number(t.substr(0, 4))),
                                        std::chrono::month(Number(t.substr(5, 2))),
                                        std::chrono::day(Number(t.substr(8, 2)))};
  if (!day.ok()) {
    return std::nullopt;
  }
  int hours = 0, minutes = 0, seconds = 0;
  if (t.size() >= 16) {
    if (t[10] != 'T' || !Digits(t.substr(11, 2), 2, 2) || t[13] != ':' ||
        !Digits(t.substr(14, 2), 2, 2)) {
      return std::nullopt;
    }
    hours = Number(t.substr(11, 2));
    minutes = Number(t.substr(14, 2));
    if (t.size() == 19) {
      if (t[16] != ':' || !Digits(t.substr(17, 2), 2, 2)) {
        return std::nullopt;
      }
      seconds = Number(t.substr(17, 2));
    }
    if (hours > 23 || minutes > 59 || seconds > 59) {
      return std::nullopt;
    }
  }
  const auto since_epoch = std::chrono::sys_days(day).time_since_epoch() +
                           std::chrono::hours(hours) + std::chrono::minutes(minutes) +
                           std::chrono::seconds(seconds);
  return TimePoint(std::chrono::duration_cast<Duration>(since_epoch));
}

Result<http::Response> MessagesPage(store::Store& store, const http::Request& request,
                                    const Principal& who) {
  auto query = twilio::DecodeForm(request.query);
  const twilio::Form empty;
  const twilio::Form& q = query.ok() ? *query : empty;
  store::MessageLogFilter filter;
  filter.direction = std::string(q.Get("direction"));
  filter.status = std::string(q.Get("status"));
  filter.error_code = std::string(q.Get("error"));
  const std::string from(q.Get("from"));
  const std::string until(q.Get("until"));
  if (!filter.direction.empty() && filter.direction != "inbound" &&
      filter.direction != "outbound") {
    return ErrorPage(400, "The direction is inbound or outbound.", &who);
  }
  if (!filter.status.empty() && !store::ParseMessageStatus(filter.status)) {
    return ErrorPage(400, "No such message status.", &who);
  }
  // Twilio's error codes are numbers (30007); a few letters would never match.
  if (!filter.error_code.empty() && !Digits(filter.error_code, 1, 10)) {
    return ErrorPage(400, "An error code is a number, such as 30007.", &who);
  }
  if (!from.empty() && !(filter.from = ParseFormTime(from))) {
    return ErrorPage(400, "Write the start as 2026-11-24 or 2026-11-24T09:00 (UTC).", &who);
  }
  if (!until.empty() && !(filter.until = ParseFormTime(until))) {
    return ErrorPage(400, "Write the end as 2026-11-24 or 2026-11-24T09:00 (UTC).", &who);
  }
  filter.before_id = BeforeParam(q);
  filter.limit = kMessageLogPageSize + 1;  // one more: whether there is an older page
  auto messages = store.admin().MessageLog(filter);
  if (!messages.ok()) {
    return messages.status();
  }
  const bool more = messages->size() > static_cast<size_t>(kMessageLogPageSize);
  if (more) {
    messages->pop_back();
  }
  Data d;
  d.set("in", filter.direction == "inbound");
  d.set("out", filter.direction == "outbound");
  List statuses;
  for (const store::MessageStatus s : kStatuses) {
    Data o;
    o.set("name", std::string(store::MessageStatusName(s)));
    o.set("selected", filter.status == store::MessageStatusName(s));
    statuses.push_back(o);
  }
  d.set("statuses", statuses);
  d.set("error", filter.error_code);
  d.set("from", from);
  d.set("until", until);
  List rows;
  for (const store::MessageRecord& m : *messages) {
    const bool in = m.direction == store::MessageRecord::Direction::kInbound;
    Data row;
    row.set("at", ShortTime(m.created_at));
    row.set("direction", in ? "inbound" : "outbound");
    row.set("contact_id", std::to_string(m.contact_id));
    row.set("contact", in ? m.from : m.to);
    row.set("body", m.body);
    row.set("status", std::string(store::MessageStatusName(m.status)));
    row.set("failed", m.status == store::MessageStatus::kFailed ||
                          m.status == store::MessageStatus::kUndelivered);
    if (!m.error_code.empty()) {
      row.set("error_code", m.error_code);
    }
    rows.push_back(row);
  }
  d.set("has_messages", !rows.empty());
  d.set("messages", rows);
  if (more) {
    d.set("next", "/admin/messages?direction=" + twilio::FormEscape(filter.direction) +
                      "&status=" + twilio::FormEscape(filter.status) +
                      "&error=" + twilio::FormEscape(filter.error_code) +
                      "&from=" + twilio::FormEscape(from) + "&until=" + twilio::FormEscape(until) +
                      "&before=" + std::to_string(messages->back().id));
  }
  return Html(200, Layout("Messages", Render(templates::kMessages, d), &who, "/admin/messages"));
}

}  // namespace parley::admin::web
