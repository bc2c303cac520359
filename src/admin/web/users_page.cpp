// The admin-role pages: users and the audit log.
#include "admin/web/page.hpp"
#include "admin/web/pages.hpp"
#include "admin/web/templates.hpp"
#include "twilio/form.hpp"

namespace parley::admin::web {

Result<http::Response> UsersPage(store::Store& store, const http::Request&, const Principal& who) {
  auto users = store.admin().AdminUsers();
  if (!users.ok()) {
    return users.status();
  }
  List rows;
  for (const store::AdminUserRecord& u : *users) {
    Data row;
    row.set("email", u.email);
    row.set("role", u.role);
    row.set("status", u.disabled ? "disabled" : "active");
    row.set("created", ShortTime(u.created_at));
    rows.push_back(row);
  }
  Data d;
  d.set("users", rows);
  return Html(200, Layout("Users", Render(templates::kUsers, d), &who, "/admin/users"));
}

Result<http::Response> AuditPage(store::Store& store, const http::Request& request,
                                 const Principal& who) {
  auto query = twilio::DecodeForm(request.query);
  const int64_t before = query.ok() ? BeforeParam(*query) : 0;
  auto entries = store.admin().AuditLog(before, kPageSize + 1);
  if (!entries.ok()) {
    return entries.status();
  }
  const bool more = entries->size() > static_cast<size_t>(kPageSize);
  if (more) {
    entries->pop_back();
  }
  List rows;
  for (const store::AuditRecord& a : *entries) {
    Data row;
    row.set("at", FormatUtc(a.at).substr(0, 19));
    row.set("actor", a.actor);
    row.set("action", a.action);
    row.set("target", a.target);
    row.set("detail", a.detail);
    row.set("remote", a.remote);
    rows.push_back(row);
  }
  Data d;
  d.set("entries", rows);
  if (more) {
    d.set("next", "/admin/audit?before=" + std::to_string(entries->back().id));
  }
  return Html(200, Layout("Audit log", Render(templates::kAudit, d), &who, "/admin/audit"));
}

}  // namespace parley::admin::web
