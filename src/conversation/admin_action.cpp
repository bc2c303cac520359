// conversation::Service's body for an operator's action (the admin console, docs/admin.md),
// in a file of its own: it only reuses the other kinds' pieces (service.cpp).
#include <string>

#include "common/json.hpp"

#include "conversation/service.hpp"
#include "conversation/service_event_context.hpp"
#include "conversation/whatsapp_window.hpp"
#include "store/statuses.hpp"

namespace parley::conversation {
namespace {

// A non-empty `name` replaces the contact's; each of `fields_json`'s members replaces the
// field of that key, the other fields are kept.
Status MergeNameAndFields(store::ContactRecord& contact, const std::string& name,
                          const std::string& fields_json) {
  if (!name.empty()) {
    contact.name = name;
  }
  auto add = json::Parse(fields_json);
  if (!add.ok() || !add->is_object()) {
    return Status::InvalidArgument("the fields are not a JSON object");
  }
  auto fields = json::Parse(contact.fields_json);
  json::Value merged = fields.ok() && fields->is_object() ? *fields : json::Value(json::Object{});
  for (const auto& [key, value] : add->as_object()) {
    merged.Set(key, value);
  }
  contact.fields_json = json::Serialize(merged);
  return Status::Ok();
}

}  // namespace

// An operator's action (the admin console). Kept apart from the kinds above: it only
// reuses their pieces (EndSession, Deliver, the StartFlow body), then writes its audit line
// in the event's transaction.
Status Service::Apply(EventContext& cx, const AdminAction& action) const {
  using Kind = AdminAction::Kind;
  if (cx.event.reply_mode != ReplyMode::kQueued) {
    return Status::InvalidArgument("an admin action has no inline answer: its messages are queued");
  }
  auto active = cx.tx.ActiveSession(cx.contact.id);
  if (!active.ok()) {
    return active.status();
  }
  switch (action.kind) {
    case Kind::kEndSession:
      if (!*active) {
        return Status::FailedPrecondition("the contact has no active session");
      }
      PARLEY_RETURN_IF_ERROR(
          EndSession(cx, **active, flow::SessionStatus::kEnded, "ended_by_admin"));
      break;
    case Kind::kOptOut:
      cx.contact.status = store::ContactStatus::kOptedOut;
      if (*active) {
        PARLEY_RETURN_IF_ERROR(
            EndSession(cx, **active, flow::SessionStatus::kOptedOut, "opted_out"));
      }
      PARLEY_RETURN_IF_ERROR(cx.tx.UpdateContact(cx.contact));
      break;
    case Kind::kOptIn:
      cx.contact.status = store::ContactStatus::kActive;
      PARLEY_RETURN_IF_ERROR(cx.tx.UpdateContact(cx.contact));
      break;
    case Kind::kSendMessage: {
      if (cx.contact.status != store::ContactStatus::kActive) {
        return Status::FailedPrecondition("the contact is " +
                                          std::string(store::ContactStatusName(cx.contact.status)) +
                                          ": nothing is sent to them");
      }
      if (!FreeFormAllowed(cx.contact, cx.now)) {
        return Status::FailedPrecondition(
            "WhatsApp's 24-hour window is closed: only a template reaches the contact");
      }
      PARLEY_RETURN_IF_ERROR(SendFromLastInbound(cx));
      PARLEY_RETURN_IF_ERROR(
          Deliver(cx, store::SessionRecord{}, flow::SendEffect{action.body, {}, "", {}}));
      break;
    }
    case Kind::kEditContact:
      cx.contact.name = action.name;
      cx.contact.fields_json = action.fields_json;
      PARLEY_RETURN_IF_ERROR(cx.tx.UpdateContact(cx.contact));
      break;
    case Kind::kStartFlow:
      // A broadcast's list may name the contact and add fields: written first, so the
      // flow's first state sees them (the contact page sends neither).
      if (!action.name.empty() || action.fields_json != "{}") {
        PARLEY_RETURN_IF_ERROR(MergeNameAndFields(cx.contact, action.name, action.fields_json));
        PARLEY_RETURN_IF_ERROR(cx.tx.UpdateContact(cx.contact));
      }
      PARLEY_RETURN_IF_ERROR(Apply(cx, StartFlow{action.flow_id}));
      break;
  }
  store::AuditRecord audit = action.audit;
  audit.at = cx.now;
  return cx.tx.AppendAudit(audit);
}

}  // namespace parley::conversation
