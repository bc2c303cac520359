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
  if (IsReservedTimer(name)) {
    return;  // parley's own (the expiry timer): not a flow's to cancel
  }
  if (!Allow(EventLimit::kTimers, timer_cancels_)) {
    return;
  }
  const bool all = name == "all";
  effects_.emplace_back(TimerCancelEffect{all ? "" : std::string(name), all});
}

void StepContext::AddTimer(std::string name, TimePoint due, bool keep,
                           std::optional<TimerRecurrence> recur) {
  if (!Allow(EventLimit::kTimers, timer_sets_)) {
    return;
  }
  // A recurring timer is implicitly keep: it belongs to the session, not to one question.
  const bool keep_it = keep || recur.has_value();
  effects_.emplace_back(
      TimerSetEffect{std::move(name), due, timer_step_, keep_it, std::move(recur)});
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
  std::optional<TimerRecurrence> recur;
  if (timer.every) {
    recur = TimerRecurrence{*timer.every, std::nullopt, {}};
  }
  if (timer.after) {
    AddTimer(timer.name, now_ + std::chrono::duration_cast<Duration>(*timer.after), timer.keep,
             std::move(recur));
    return;
  }
  const std::string_view zone = ZoneFor(timer.tz);
  if (recur) {
    recur->at =
        std::chrono::seconds((timer.at->hour * 60 + timer.at->minute) * 60 + timer.at->second);
    recur->time_zone = zone;
  }
  AddTimer(timer.name, NextTimeOfDay(now_, *timer.at, zone), timer.keep, std::move(recur));
}

Status StepContext::Timer(const TimerRequest& request) {
  if (request.name.empty()) {
    return Status::InvalidArgument("timer: 'name' is required");
  }
  if (IsReservedTimer(request.name)) {
    return Status::InvalidArgument("timer '" + request.name +
                                   "': names beginning with '@' are reserved");
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
