#include "admin/web/contact_actions.hpp"

#include <algorithm>

#include "admin/web/contact_form.hpp"
#include "admin/web/page.hpp"
#include "common/utf8.hpp"
#include "twilio/form.hpp"

namespace parley::admin::web {
namespace {

using Kind = conversation::AdminAction::Kind;

struct ActionName {
  std::string_view path;  // the URL's {action}
  Kind kind;
};

constexpr ActionName kActions[] = {
    {"send", Kind::kSendMessage}, {"end-session", Kind::kEndSession},
    {"opt-out", Kind::kOptOut},   {"opt-in", Kind::kOptIn},
    {"edit", Kind::kEditContact}, {"start-flow", Kind::kStartFlow},
};

http::Response BadForm(std::string_view message, const Principal& who) {
  return ErrorPage(400, message, &who);
}

}  // namespace

Result<http::Response> ContactAction(store::Store& store, const ApplyEvent& apply,
                                     const http::Request& request, const Principal& who) {
  const std::string_view name = request.PathParam("action");
  const ActionName* found_action = nullptr;
  for (const ActionName& a : kActions) {
    if (a.path == name) {
      found_action = &a;
    }
  }
  const int64_t id = ContactIdParam(request);
  if (found_action == nullptr || id == 0) {
    return ErrorPage(404, "No such contact or action.", &who);
  }
  auto contact = store.FindContactById(id);
  if (!contact.ok()) {
    return contact.status();
  }
  if (!*contact) {
    return ErrorPage(404, "No such contact.", &who);
  }
  if (!apply) {
    return ErrorPage(503, "Actions are not available on this server.", &who);
  }
  auto form = twilio::DecodeForm(request.body);
  if (!form.ok()) {
    return BadForm("The form could not be read.", who);
  }

  conversation::AdminAction action;
  action.kind = found_action->kind;
  action.audit.actor = who.email;
  // "contact_end_session": the audit log's actions are snake_case, as "login_failed".
  action.audit.action = "contact_" + std::string(name);
  std::replace(action.audit.action.begin(), action.audit.action.end(), '-', '_');
  action.audit.target = (*contact)->address;
  action.audit.remote = ClientAddress(request);
  switch (action.kind) {
    case Kind::kSendMessage: {
      action.body = std::string(form->Get("body"));
      if (!IsValidUtf8(action.body) ||
          action.body.find_first_not_of(" \t\r\n") == std::string::npos) {
        return BadForm("Write the message first.", who);
      }
      const size_t chars = CountChars(action.body);
      if (chars > kMaxMessageChars) {
        return BadForm(
            "A one-off message is at most " + std::to_string(kMaxMessageChars) + " characters.",
            who);
      }
      // The text itself stays out of the audit log, as it stays out of the server log.
      action.audit.detail = std::to_string(chars) + " characters";
      break;
    }
    case Kind::kEditContact: {
      action.name = std::string(form->Get("name"));
      if (!IsValidUtf8(action.name) || action.name.size() > kMaxNameBytes) {
        return BadForm("The name is at most " + std::to_string(kMaxNameBytes) + " bytes of text.",
                       who);
      }
      auto fields = ParseFieldsText(form->Get("fields"));
      if (!fields.ok()) {
        return BadForm(fields.status().message(), who);
      }
      action.fields_json = std::move(*fields);
      action.audit.detail = "name and fields";
      break;
    }
    case Kind::kStartFlow:
      action.flow_id = std::string(form->Get("flow"));
      if (action.flow_id.empty() || action.flow_id.size() > 200 || !IsValidUtf8(action.flow_id)) {
        return BadForm("Name the flow to start.", who);
      }
      action.audit.detail = action.flow_id;
      break;
    case Kind::kEndSession:
    case Kind::kOptOut:
    case Kind::kOptIn:
      break;
  }

  const store::ContactRecord& c = **contact;
  conversation::Event event{
      {c.channel, c.phone, c.address}, std::move(action), conversation::ReplyMode::kQueued};
  auto outcome = apply(std::move(event));
  if (!outcome.ok()) {
    const Status& s = outcome.status();
    switch (s.code()) {
      case StatusCode::kFailedPrecondition:
      case StatusCode::kNotFound:
      case StatusCode::kInvalidArgument:
        return ErrorPage(409, s.message(), &who);
      case StatusCode::kUnavailable:
        return ErrorPage(503, "The server is busy; try again in a moment.", &who);
      default:
        return s;
    }
  }
  return Redirect("/admin/contacts/" + std::to_string(c.id) + "?done=" + std::string(name));
}

}  // namespace parley::admin::web
