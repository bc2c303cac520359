#include "channel/twilio/message_reply.hpp"

#include <charconv>
#include <ctime>

#include "common/json.hpp"

namespace parley::channel {

namespace {

using store::MessageStatus;

// A JSON value Twilio sends as a string or a number ("num_segments": "1", "code": 21211),
// as text; empty for null, absent or anything else.
std::string TextOf(const json::Value* v) {
  if (v == nullptr) {
    return "";
  }
  if (v->is_string()) {
    return v->as_string();
  }
  if (v->is_number()) {
    return json::FormatNumber(v->as_number());
  }
  return "";
}

int IntOf(std::string_view text) {
  int n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc() && end == text.data() + text.size() ? n : 0;
}

// Twilio's status as it gave it, so later status callbacks move it forward from there
// (conversation/delivery_status.hpp).
MessageStatus FromTwilioStatus(std::string_view s) {
  static constexpr std::pair<std::string_view, MessageStatus> kAsGiven[] = {
      {"queued", MessageStatus::kQueued},       {"accepted", MessageStatus::kAccepted},
      {"scheduled", MessageStatus::kScheduled}, {"sending", MessageStatus::kSending},
      {"sent", MessageStatus::kSent},           {"delivered", MessageStatus::kDelivered},
      {"read", MessageStatus::kRead},           {"undelivered", MessageStatus::kUndelivered},
      {"failed", MessageStatus::kFailed},
  };
  for (const auto& [name, status] : kAsGiven) {
    if (s == name) {
      return status;
    }
  }
  // canceled (of a send parley did not schedule): it will not go out.
  if (s == "canceled") {
    return MessageStatus::kFailed;
  }
  // A word Twilio may add, or an unreadable body: Twilio has the message; say no more than
  // that it was taken ("queued", the first status without a Messaging Service).
  return MessageStatus::kQueued;
}

SendOutcome Accepted(std::string_view body) {
  SendResult result;
  result.status = MessageStatus::kQueued;
  auto doc = json::Parse(body);
  if (!doc.ok() || !doc->is_object()) {
    return result;
  }
  result.provider_sid = TextOf(doc->Find("sid"));
  result.provider_status = TextOf(doc->Find("status"));
  result.status = FromTwilioStatus(result.provider_status);
  result.error_code = TextOf(doc->Find("error_code"));
  result.segments = IntOf(TextOf(doc->Find("num_segments")));
  return result;
}

// Twilio's error body: {"code": 21211, "message": "...", "more_info": "...", "status": 400}.
// The message is not kept: it can quote the phone number, and logs must not.
std::string ErrorCodeOf(std::string_view body) {
  auto doc = json::Parse(body);
  return doc.ok() && doc->is_object() ? TextOf(doc->Find("code")) : "";
}

}  // namespace

std::optional<Duration> ParseRetryAfter(std::string_view value, TimePoint now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
    value.remove_suffix(1);
  }
  if (value.empty()) {
    return std::nullopt;
  }
  int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && end == value.data() + value.size()) {
    return seconds < 0 ? std::nullopt : std::optional<Duration>(std::chrono::seconds(seconds));
  }
  // IMF-fixdate, the form HTTP/1.1 senders must use: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  const std::string text(value);
  const char* rest = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (rest == nullptr || *rest != '\0') {
    return std::nullopt;
  }
  const TimePoint at = FromUnixMillis(static_cast<int64_t>(timegm(&tm)) * 1000);
  return at > now ? at - now : Duration(0);
}

SendOutcome InterpretMessageReply(const HttpReply& reply, TimePoint now) {
  const int code = reply.status;
  if (code >= 200 && code < 300) {
    return Accepted(reply.body);
  }
  const std::string what = "Twilio answered HTTP " + std::to_string(code);
  if (code == 429 || code == 408 || (code >= 500 && code < 600)) {
    const std::string twilio_code = ErrorCodeOf(reply.body);
    SendOutcome out =
        Status::Unavailable(what + (twilio_code.empty() ? "" : " (error " + twilio_code + ")"));
    out.retry_after = ParseRetryAfter(reply.retry_after, now);
    return out;
  }
  if (code >= 400 && code < 500) {
    std::string twilio_code = ErrorCodeOf(reply.body);
    if (twilio_code.empty()) {
      return Status::FailedPrecondition(what + " without a Twilio error code");
    }
    SendResult failed;
    failed.status = MessageStatus::kFailed;
    failed.error_code = std::move(twilio_code);
    return failed;
  }
  return Status::FailedPrecondition(what + ": is TWILIO_API_BASE right?");
}

}  // namespace parley::channel
