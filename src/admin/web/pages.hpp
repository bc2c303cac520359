// The admin's pages behind the guard (admin_web.hpp), one function each: the request and
// who is asking in, the whole answer out. Errors are store failures (the caller answers 500).
#pragma once

#include "admin/auth.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
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
// /admin/users (admin role): every user.
Result<http::Response> UsersPage(store::Store& store, const http::Request& request,
                                 const Principal& who);
// /admin/audit?before=ID (admin role): newest first, kPageSize per page.
Result<http::Response> AuditPage(store::Store& store, const http::Request& request,
                                 const Principal& who);

}  // namespace parley::admin::web
