// The admin's pages behind the guard (admin_web.hpp), one function each: the request and
// who is asking in, the whole answer out. Errors are store failures (the caller answers 500).
#pragma once

#include <string>
#include <vector>

#include "admin/auth.hpp"
#include "admin/web/admin_web.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "conversation/flow_catalog.hpp"
#include "http/server.hpp"
#include "store/store.hpp"

namespace parley::admin::web {

// Rows per page of the contact list and the audit log.
inline constexpr int kPageSize = 50;

// /admin: messages in and out since midnight UTC, active sessions per flow.
Result<http::Response> DashboardPage(store::Store& store, const Clock& clock,
                                     const http::Request& request, const Principal& who);
// /admin/contacts?q=SEARCH&before=ID: newest first, kPageSize per page.
Result<http::Response> ContactsPage(store::Store& store, const http::Request& request,
                                    const Principal& who);
// Messages per page of a contact's transcript; past sessions shown on a contact's page.
inline constexpr int kTranscriptPageSize = 50;
inline constexpr int kPastSessionsShown = 20;
// Transitions shown at most between one page's messages (a flow that loops on timers
// without sending could record many).
inline constexpr int kTransitionsShown = 500;

// /admin/contacts/{id}?before=MESSAGE_ID[&done=ACTION] (contact_page.cpp): the contact, its
// WhatsApp window, fields, current session (state, variables, timers), past sessions and a
// page of its transcript (kTranscriptPageSize messages before the given one, oldest of them
// first, with the recorded transitions of their period between them). The action forms are shown to
// operators and admins; `flow_ids` offers the loaded flows to start; `flows` (may be null) gives
// the session's expiry its real due time. An unknown id is a 404 page (not an error).
Result<http::Response> ContactPage(store::Store& store, const Clock& clock,
                                   const http::Request& request, const Principal& who,
                                   const std::vector<std::string>& flow_ids,
                                   const conversation::FlowCatalog* flows);
// /admin/flows (flows_page.cpp): the flows serving, each with its revision, number of
// states, live sessions and warnings.
Result<http::Response> FlowsPage(store::Store& store, const conversation::FlowCatalog* catalog,
                                 const Principal& who);
// Days a flow page's numbers cover by default, and at most.
inline constexpr int kFlowPeriodDays = 7;
inline constexpr int kMaxFlowPeriodDays = 365;
// /admin/flows/{id}?days=N: the flow's graph annotated per state with the sessions there now
// and those that entered, left and ended there today and the N - 1 UTC days before
// (kFlowPeriodDays by default), the same as a table, its warnings, the revisions the database has
// seen, and for admins the reload button. `reload`, when given, is shown at the top (the answer to
// the reload button; 422 when it has errors). An unknown flow is a 404 page.
Result<http::Response> FlowPage(store::Store& store, const Clock& clock,
                                const conversation::FlowCatalog* catalog,
                                const http::Request& request, const Principal& who,
                                const FlowReloadResult* reload = nullptr);
// /admin/flows/{id}/graph.dot: flow::ToDot of the flow, for Graphviz.
Result<http::Response> FlowDot(const conversation::FlowCatalog* catalog,
                               const http::Request& request, const Principal& who);
// /admin/users (admin role): every user.
Result<http::Response> UsersPage(store::Store& store, const http::Request& request,
                                 const Principal& who);
// /admin/audit?before=ID (admin role): newest first, kPageSize per page.
Result<http::Response> AuditPage(store::Store& store, const http::Request& request,
                                 const Principal& who);

}  // namespace parley::admin::web
