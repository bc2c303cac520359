// The operator actions of a contact's page (docs/admin.md): POST
// /admin/contacts/{id}/{action}, behind the guard with the operator role and CSRF check.
//
// Each action is a conversation::AdminAction event for the contact, applied through the
// conversation pipeline (so the per-contact lock and event order hold as for a webhook) with
// its audit line in the event's transaction. The actions: send (a one-off message, queued
// for the sender), end-session, opt-out, opt-in, edit (name and fields), start-flow.
//
// Answers: 303 back to the contact's page (with ?done=ACTION) when applied; 400 for a form
// the page would not send (limits in contact_form.hpp); 404 for an unknown contact or
// action; 409 with the reason when the core refused (no session to end, a contact that is
// not active, WhatsApp's window closed, an unknown flow); 503 when the pipeline is busy or
// missing. Errors are store failures (the caller answers 500).
#pragma once

#include <functional>

#include "admin/auth.hpp"
#include "common/status.hpp"
#include "conversation/event.hpp"
#include "http/server.hpp"
#include "store/store.hpp"

namespace parley::admin::web {

// Applies an event and waits for its outcome (conversation::Pipeline::Run).
using ApplyEvent = std::function<Result<conversation::Outcome>(conversation::Event)>;

Result<http::Response> ContactAction(store::Store& store, const ApplyEvent& apply,
                                     const http::Request& request, const Principal& who);

}  // namespace parley::admin::web
