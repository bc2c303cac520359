#include "webhook/inbound_handler.hpp"

#include <charconv>

#include "webhook/form.hpp"
#include "webhook/signature.hpp"
#include "webhook/twiml.hpp"

namespace parley::webhook {

namespace {

// Twilio sends at most 10 media items; a larger NumMedia is not trusted for a loop bound.
constexpr int kMaxMedia = 10;

http::Response Twiml(const std::vector<Reply>& replies) {
  std::vector<TwimlMessage> messages;
  messages.reserve(replies.size());
  for (const Reply& r : replies) {
    messages.push_back({r.body, r.media});
  }
  http::Response response;
  response.content_type = std::string(kTwimlContentType);
  response.body = RenderTwiml(messages);
  return response;
}

bool IsFormContentType(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') {
    type.remove_suffix(1);
  }
  if (type.size() != 33) {
    return false;
  }
  constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  for (size_t i = 0; i < kForm.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(type[i])) != kForm[i]) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> MediaUrls(const Form& form) {
  std::vector<std::string> media;
  int count = 0;
  const std::string_view num = form.Get("NumMedia");
  std::from_chars(num.data(), num.data() + num.size(), count);
  for (int i = 0; i < std::min(count, kMaxMedia); ++i) {
    const std::string_view url = form.Get("MediaUrl" + std::to_string(i));
    if (!url.empty()) {
      media.push_back(ToValidUtf8(url));
    }
  }
  return media;
}

}  // namespace

InboundHandler::InboundHandler(Conversations& conversations, const Clock& clock,
                               InboundOptions options)
    : conversations_(conversations), clock_(clock), options_(std::move(options)) {}

http::Response InboundHandler::Fail(int status, std::string_view answer,
                                    const http::Request& request, const std::string& detail) {
  if (options_.log) {
    options_.log("req=" + request.request_id + " webhook " + std::to_string(status) + ": " +
                 detail);
  }
  return http::Response::Text(status, std::string(answer) + "\n");
}

http::Response InboundHandler::operator()(const http::Request& request) {
  if (!IsFormContentType(request.Header("Content-Type"))) {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    return Fail(415, "Unsupported Media Type: expected application/x-www-form-urlencoded", request,
                "content type is not a form");
  }
  auto form = DecodeForm(request.body);
  if (!form.ok()) {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    return Fail(400, "Bad Request: malformed form encoding", request, form.status().message());
  }
  if (options_.validate_signature) {
    const std::string_view signature = request.Header("X-Twilio-Signature");
    if (signature.empty() ||
        !VerifySignature(options_.auth_token, options_.public_url + request.target, *form,
                         signature)) {
      signature_failures_.fetch_add(1, std::memory_order_relaxed);
      return Fail(403, "Forbidden: invalid X-Twilio-Signature", request,
                  signature.empty() ? "no X-Twilio-Signature header"
                                    : "X-Twilio-Signature does not match (check "
                                      "TWILIO_AUTH_TOKEN and PUBLIC_URL)");
    }
  }
  const std::string_view from = form->Get("From");
  const std::string_view sid = form->Get("MessageSid");
  if (from.empty() || sid.empty()) {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    return Fail(400, "Bad Request: From and MessageSid are required", request,
                from.empty() ? "no From parameter" : "no MessageSid parameter");
  }
  auto address = ParseAddress(ToValidUtf8(from), options_.default_region);
  if (!address.ok()) {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    return Fail(400, "Bad Request: From is not a phone number", request,
                "From " + MaskPhone(ToValidUtf8(from)) + ": " + address.status().message());
  }

  InboundMessage message;
  message.from = std::move(*address);
  message.to = ToValidUtf8(form->Get("To"));
  message.message_sid = ToValidUtf8(sid);
  message.body = ToValidUtf8(form->Get("Body"));
  message.media = MediaUrls(*form);
  message.profile_name = ToValidUtf8(form->Get("ProfileName"));
  message.wa_id = ToValidUtf8(form->Get("WaId"));
  message.compliance = ClassifyCompliance(message.body, form->Get("OptOutType"));

  auto outcome = conversations_.HandleInbound(message, clock_.Now());
  if (!outcome.ok()) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    if (outcome.status().code() == StatusCode::kUnavailable) {
      return Fail(503, "Service Unavailable", request, outcome.status().ToString());
    }
    return Fail(500, "Internal Server Error", request, outcome.status().ToString());
  }
  if (!outcome->flow_error.empty() && options_.log) {
    options_.log("req=" + request.request_id + " flow error for " + MaskPhone(message.from.key) +
                 ": " + outcome->flow_error);
  }
  return Twiml(outcome->replies_inline ? outcome->replies : std::vector<Reply>{});
}

}  // namespace parley::webhook
