#include "webhook/status_handler.hpp"

#include "conversation/address.hpp"
#include "conversation/delivery_status.hpp"
#include "twilio/inbound_params.hpp"

namespace parley::webhook {

namespace {

// Twilio wants 200 with an empty body.
http::Response Accepted() { return http::Response::Text(200, ""); }

}  // namespace

StatusHandler::StatusHandler(conversation::Pipeline& pipeline, StatusOptions options,
                             metrics::Registry& registry)
    : pipeline_(pipeline),
      options_(std::move(options)),
      refused_(registry.AddCounterFamily(
          "parley_status_callbacks_refused_total",
          "Status callbacks refused: signature (403), malformed (400/415).", {"reason"})),
      ignored_(registry.AddCounter("parley_status_callbacks_ignored_total",
                                   "Status callbacks answered 200 without an event: a "
                                   "MessageStatus that says nothing about delivery, or a To that "
                                   "is not a contact's number.")),
      errors_(registry.AddCounter("parley_status_callback_errors_total",
                                  "Status callbacks answered 500 or 503.")) {}

http::Response StatusHandler::Fail(int status, std::string_view answer, std::string_view request_id,
                                   const std::string& detail) const {
  if (options_.log) {
    options_.log("req=" + std::string(request_id) + " status callback " + std::to_string(status) +
                 ": " + detail);
  }
  return http::Response::Text(status, std::string(answer) + "\n");
}

void StatusHandler::operator()(const http::Request& request, http::Responder respond) {
  auto decoded = DecodeSignedForm(request, options_.signature);
  if (auto* refusal = std::get_if<Refusal>(&decoded)) {
    refused_.WithLabels(refusal->kind == Refusal::Kind::kSignature ? "signature" : "malformed")
        .Inc();
    respond(Fail(refusal->status, refusal->answer, request.request_id, refusal->detail));
    return;
  }
  const twilio::Form& form = std::get<twilio::Form>(decoded);
  // The signature does not pin where one parameter ends (twilio/inbound_params.hpp).
  if (Status shape = twilio::CheckStatusParams(form, options_.account_sid); !shape.ok()) {
    refused_.WithLabels("malformed").Inc();
    respond(Fail(400, "Bad Request: " + shape.message(), request.request_id, shape.message()));
    return;
  }
  const std::string sid(form.Get("MessageSid"));
  const std::string_view twilio_status = form.Get("MessageStatus");
  const auto status = conversation::ParseDeliveryStatus(twilio_status);
  if (!status) {
    ignored_.Inc();
    if (options_.debug_log) {
      options_.debug_log("req=" + request.request_id + " status callback for " + sid +
                         ": MessageStatus '" + std::string(twilio_status) +
                         "' says nothing about delivery; ignored");
    }
    respond(Accepted());
    return;
  }
  // To is the contact the message went to (CheckStatusParams: address-shaped, so no text).
  auto address = conversation::ParseAddress(form.Get("To"), options_.default_region);
  if (!address.ok()) {
    ignored_.Inc();
    if (options_.info_log) {
      options_.info_log("req=" + request.request_id + " status callback for " + sid +
                        ": To is not a contact's number; ignored");
    }
    respond(Accepted());
    return;
  }
  conversation::DeliveryStatus event_body;
  event_body.provider_sid = sid;
  event_body.status = *status;
  event_body.error_code = std::string(form.Get("ErrorCode"));
  conversation::Event event{std::move(*address), std::move(event_body),
                            conversation::ReplyMode::kQueued};
  Status queued = pipeline_.Submit(
      std::move(event),
      [this, request_id = request.request_id, sid, respond](Result<conversation::Outcome> outcome) {
        Finish(request_id, sid, std::move(outcome), respond);
      });
  if (!queued.ok()) {
    errors_.Inc();
    respond(Fail(503, "Service Unavailable", request.request_id, queued.ToString()));
  }
}

void StatusHandler::Finish(const std::string& request_id, const std::string& sid,
                           Result<conversation::Outcome> outcome,
                           const http::Responder& respond) const {
  if (!outcome.ok()) {
    errors_.Inc();
    const bool unavailable = outcome.status().code() == StatusCode::kUnavailable;
    respond(Fail(unavailable ? 503 : 500,
                 unavailable ? "Service Unavailable" : "Internal Server Error", request_id,
                 outcome.status().ToString()));
    return;
  }
  if (outcome->delivery == conversation::DeliveryUpdate::kUnknownMessage && options_.info_log) {
    // A callback can come before the sender recorded the sid Twilio gave it (a window of
    // milliseconds), or for a message parley did not send (another app on the account).
    options_.info_log("req=" + request_id + " status callback for unknown MessageSid " + sid +
                      "; ignored");
  }
  if (!outcome->flow_error.empty() && options_.log) {
    options_.log("req=" + request_id + " flow error on a delivery failure of " + sid + ": " +
                 outcome->flow_error_summary);
  }
  if (!outcome->flow_error.empty() && options_.debug_log) {
    options_.debug_log("req=" + request_id + " flow error detail for " + sid + ": " +
                       outcome->flow_error);
  }
  respond(Accepted());
}

}  // namespace parley::webhook
