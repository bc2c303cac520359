#include "flow/detail/step_context.hpp"

namespace parley::flow::detail {

bool StepContext::Allow(EventLimit limit, int64_t& count, int64_t amount) {
  if (!limit_status_.ok()) {
    return false;
  }
  const int64_t cap = EventLimitValue(flow_.limits, limit);
  if (amount > cap - count) {
    const std::string detail = limit == EventLimit::kMessageChars
                                   ? "a message of " + std::to_string(amount) + " characters"
                                   : "more than " + std::to_string(cap) + " requested by one event";
    limit_status_ = EventLimitExceeded(limit, cap, flow_.id, state_, detail);
    return false;
  }
  count += amount;
  return true;
}

void StepContext::Send(SendEffect message) {
  int64_t chars = 0;
  if (Allow(EventLimit::kMessageChars, chars, CountChars(message.text)) &&
      Allow(EventLimit::kSends, sends_)) {
    effects_.emplace_back(std::move(message));
  }
}

void StepContext::Set(std::string_view name, json::Value value) {
  // Each write is copied into its effect, so a loop of writes could take far more memory
  // than the session keeps: what one event writes is bounded too.
  if (!limit_status_.ok()) {
    return;
  }
  const auto bytes = static_cast<int64_t>(name.size() + json::Serialize(value).size());
  const int64_t cap = flow_.limits.vars_bytes;
  if (bytes > kVarsWrittenFactor * cap - vars_written_) {
    limit_status_ =
        EventLimitExceeded(EventLimit::kVarsBytes, cap, flow_.id, state_,
                           "one event wrote more than " + std::to_string(kVarsWrittenFactor) +
                               " times that many bytes of variables");
    return;
  }
  vars_written_ += bytes;
  effects_.emplace_back(VarEffect{std::string(name), value});
  session_.vars.Set(name, std::move(value));
}

void StepContext::Unset(std::string_view name) {
  if (session_.vars.Erase(name)) {
    effects_.emplace_back(VarEffect{std::string(name), std::nullopt});
  }
}

void StepContext::Cancel(std::string_view name) {
  if (!Allow(EventLimit::kTimers, timer_cancels_)) {
    return;
  }
  const bool all = name == "all";
  effects_.emplace_back(TimerCancelEffect{all ? "" : std::string(name), all});
}

void StepContext::AddTimer(std::string name, TimePoint due, bool keep) {
  if (!Allow(EventLimit::kTimers, timer_sets_)) {
    return;
  }
  effects_.emplace_back(TimerSetEffect{std::move(name), due, timer_step_, keep});
}

// An `at` timer's zone: the one asked for, else the contact's (when valid), the flow's, UTC.
std::string_view StepContext::ZoneFor(std::string_view requested) const {
  if (!requested.empty()) {
    return requested;
  }
  if (!event_.contact.time_zone.empty() && IsValidTimeZone(event_.contact.time_zone)) {
    return event_.contact.time_zone;
  }
  if (!flow_.time_zone.empty()) {
    return flow_.time_zone;
  }
  return "UTC";
}

void StepContext::SetTimer(const act::Timer& timer) {
  if (timer.after) {
    AddTimer(timer.name, now_ + std::chrono::duration_cast<Duration>(*timer.after), timer.keep);
  } else {
    AddTimer(timer.name, NextTimeOfDay(now_, *timer.at, ZoneFor(timer.tz)), timer.keep);
  }
}

Status StepContext::Timer(const TimerRequest& request) {
  if (request.name.empty()) {
    return Status::InvalidArgument("timer: 'name' is required");
  }
  if (request.after.empty() == request.at.empty()) {
    return Status::InvalidArgument("timer '" + request.name +
                                   "': give exactly one of 'after' or 'at'");
  }
  act::Timer timer;
  timer.name = request.name;
  timer.keep = request.keep;
  if (!request.after.empty()) {
    auto d = ParseDuration(request.after);
    if (!d.ok()) {
      return Status::InvalidArgument("timer '" + request.name + "': " + d.status().message());
    }
    timer.after = *d;
  } else {
    auto t = ParseTimeOfDay(request.at);
    if (!t.ok()) {
      return Status::InvalidArgument("timer '" + request.name + "': " + t.status().message());
    }
    if (!request.tz.empty() && !IsValidTimeZone(request.tz)) {
      return Status::InvalidArgument("timer '" + request.name + "': unknown time zone '" +
                                     request.tz + "'");
    }
    timer.at = *t;
    timer.tz = request.tz;
  }
  SetTimer(timer);
  return limit_status_;
}

const std::string& StepContext::NormalizedReply() {
  if (!normalized_reply_) {
    normalized_reply_ = NormalizeReply(event_.text);
  }
  return *normalized_reply_;
}

const std::optional<double>& StepContext::ReplyNumber() {
  if (!reply_number_) {
    reply_number_ = ParseNumber(event_.text);
  }
  return *reply_number_;
}

}  // namespace parley::flow::detail
