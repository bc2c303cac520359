#include "webhook/inbound_handler.hpp"

#include <charconv>

#include "common/utf8.hpp"
#include "conversation/address.hpp"
#include "conversation/compliance.hpp"
#include "twilio/form.hpp"
#include "twilio/inbound_params.hpp"
#include "twilio/twiml.hpp"
#include "webhook/signed_form.hpp"

namespace parley::webhook {

namespace {

using twilio::Form;

http::Response Twiml(const std::vector<conversation::Reply>& replies) {
  std::vector<twilio::TwimlMessage> messages;
  messages.reserve(replies.size());
  for (const conversation::Reply& r : replies) {
    messages.push_back({r.body, r.media});
  }
  http::Response response;
  response.content_type = std::string(twilio::kTwimlContentType);
  response.body = twilio::RenderTwiml(messages);
  return response;
}

// Precondition: CheckInboundParams accepted the form (NumMedia is 0..10, its URLs present).
std::vector<std::string> MediaUrls(const Form& form) {
  std::vector<std::string> media;
  int count = 0;
  const std::string_view num = form.Get("NumMedia");
  std::from_chars(num.data(), num.data() + num.size(), count);
  for (int i = 0; i < count; ++i) {
    media.push_back(ToStorableText(form.Get("MediaUrl" + std::to_string(i))));
  }
  return media;
}

}  // namespace

InboundHandler::InboundHandler(conversation::Pipeline& pipeline, InboundOptions options,
                               metrics::Registry& registry)
    : pipeline_(pipeline),
      options_(std::move(options)),
      signature_failures_(
          registry.AddCounter("parley_signature_failures_total",
                              "Webhooks refused for a missing or wrong X-Twilio-Signature.")),
      bad_requests_(registry.AddCounter("parley_bad_webhooks_total",
                                        "Webhooks refused as malformed (400/415).")),
      errors_(registry.AddCounter("parley_inbound_webhooks_failed_total",
                                  "Inbound message webhooks answered 500 or 503: the message "
                                  "was not applied (Twilio retries it).")) {}

http::Response InboundHandler::Fail(int status, std::string_view answer,
                                    std::string_view request_id, const std::string& detail) const {
  if (options_.log) {
    options_.log("req=" + std::string(request_id) + " webhook " + std::to_string(status) + ": " +
                 detail);
  }
  return http::Response::Text(status, std::string(answer) + "\n");
}

void InboundHandler::operator()(const http::Request& request, http::Responder respond) {
  auto decoded = DecodeSignedForm(
      request, {options_.auth_token, options_.public_url, options_.validate_signature});
  if (auto* refusal = std::get_if<Refusal>(&decoded)) {
    (refusal->kind == Refusal::Kind::kSignature ? signature_failures_ : bad_requests_).Inc();
    respond(Fail(refusal->status, refusal->answer, request.request_id, refusal->detail));
    return;
  }
  const auto* form = &std::get<twilio::Form>(decoded);
  // The signature does not pin where one parameter ends (twilio/inbound_params.hpp).
  if (Status shape = twilio::CheckInboundParams(*form, options_.account_sid); !shape.ok()) {
    bad_requests_.Inc();
    respond(Fail(400, "Bad Request: " + shape.message(), request.request_id, shape.message()));
    return;
  }
  const std::string_view from = form->Get("From");
  auto address = conversation::ParseAddress(ToValidUtf8(from), options_.default_region);
  if (!address.ok()) {
    bad_requests_.Inc();
    respond(Fail(
        400, "Bad Request: From is not a phone number", request.request_id,
        "From " + conversation::MaskPhone(ToValidUtf8(from)) + ": " + address.status().message()));
    return;
  }

  // Every text that reaches the store is storable text (common/utf8.hpp): ill-formed UTF-8
  // and U+0000 become U+FFFD here, the same for SQLite and PostgreSQL.
  conversation::InboundMessage message;
  message.to = ToStorableText(form->Get("To"));
  message.message_sid = std::string(form->Get("MessageSid"));
  message.body = ToStorableText(form->Get("Body"));
  message.media = MediaUrls(*form);
  message.profile_name = ToStorableText(form->Get("ProfileName"));
  message.wa_id = std::string(form->Get("WaId"));
  message.compliance = conversation::ClassifyCompliance(message.body, form->Get("OptOutType"));

  std::string masked_from = conversation::MaskPhone(address->key);
  conversation::Event event{std::move(*address), std::move(message), options_.reply_mode};
  Status queued =
      pipeline_.Submit(std::move(event), [this, request_id = request.request_id, masked_from,
                                          respond](Result<conversation::Outcome> outcome) {
        Finish(request_id, masked_from, std::move(outcome), respond);
      });
  if (!queued.ok()) {
    errors_.Inc();
    respond(Fail(503, "Service Unavailable", request.request_id, queued.ToString()));
  }
}

void InboundHandler::Finish(const std::string& request_id, const std::string& masked_from,
                            Result<conversation::Outcome> outcome,
                            const http::Responder& respond) const {
  if (!outcome.ok()) {
    errors_.Inc();
    if (outcome.status().code() == StatusCode::kUnavailable) {
      respond(Fail(503, "Service Unavailable", request_id, outcome.status().ToString()));
    } else {
      respond(Fail(500, "Internal Server Error", request_id, outcome.status().ToString()));
    }
    return;
  }
  // The summary names the flow, state, handler and kind of error; the script's own text
  // (which may quote the message) goes to DEBUG only.
  if (!outcome->flow_error.empty() && options_.log) {
    options_.log("req=" + request_id + " flow error for " + masked_from + ": " +
                 outcome->flow_error_summary);
  }
  if (!outcome->flow_error.empty() && options_.debug_log) {
    options_.debug_log("req=" + request_id + " flow error detail for " + masked_from + ": " +
                       outcome->flow_error);
  }
  respond(Twiml(options_.reply_mode == conversation::ReplyMode::kInline
                    ? outcome->replies
                    : std::vector<conversation::Reply>{}));
}

}  // namespace parley::webhook
