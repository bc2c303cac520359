// What Twilio's answer to "create a Message" means for parley. Pure.
//
//   2xx            accepted: the JSON message resource (`sid`, `status`, `error_code`,
//                  `num_segments`, the counts as strings); the status as Twilio gave it
//                  (queued, accepted, scheduled, sending, sent, delivered, read, failed,
//                  undelivered; canceled → failed; a word parley does not know → queued):
//                  status callbacks move it on from there. An unreadable 2xx body is still
//                  taken ("queued", no sid): Twilio created the message, and sending it
//                  again would duplicate it.
//   429, 408, 5xx  kUnavailable (retry), with Retry-After when the answer had one.
//   other 4xx      a final failure: SendResult{failed, error_code = Twilio's "code"} (e.g.
//                  21211 invalid To, 21610 unsubscribed, 20003 bad credentials); without a
//                  Twilio code, a FailedPrecondition naming the HTTP status.
//   anything else  FailedPrecondition (a redirect or 1xx means TWILIO_API_BASE is wrong).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "channel/channel.hpp"
#include "common/time.hpp"

namespace parley::channel {

struct HttpReply {
  int status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header's value, empty if none
};

SendOutcome InterpretMessageReply(const HttpReply& reply, TimePoint now);

// A Retry-After value as a delay from `now`: delta-seconds ("30") or an HTTP-date ("Wed, 21
// Oct 2015 07:28:00 GMT"; a date in the past is 0). nullopt when empty or unreadable.
std::optional<Duration> ParseRetryAfter(std::string_view value, TimePoint now);

}  // namespace parley::channel
