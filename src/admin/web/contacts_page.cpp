#include "admin/contact_search.hpp"
#include "admin/web/page.hpp"
#include "admin/web/pages.hpp"
#include "admin/web/templates.hpp"
#include "twilio/form.hpp"

namespace parley::admin::web {

Result<http::Response> ContactsPage(store::Store& store, const http::Request& request,
                                    const Principal& who) {
  auto query = twilio::DecodeForm(request.query);
  const twilio::Form empty;
  const twilio::Form& q = query.ok() ? *query : empty;
  const std::string search(q.Get("q").substr(0, kMaxSearchLength));
  // One more than a page: whether there is a next page, without a count.
  auto contacts =
      store.admin().ListContacts(ContactSearchPattern(search), BeforeParam(q), kPageSize + 1);
  if (!contacts.ok()) {
    return contacts.status();
  }
  const bool more = contacts->size() > static_cast<size_t>(kPageSize);
  if (more) {
    contacts->pop_back();
  }
  Data d;
  d.set("q", search);
  List rows;
  for (const store::ContactRecord& c : *contacts) {
    Data row;
    row.set("id", std::to_string(c.id));
    row.set("address", c.address);
    row.set("name", c.name);
    row.set("channel", c.channel);
    row.set("status", std::string(store::ContactStatusName(c.status)));
    row.set("last_inbound", c.last_inbound_at ? ShortTime(*c.last_inbound_at) : std::string());
    row.set("created", ShortTime(c.created_at));
    rows.push_back(row);
  }
  d.set("has_contacts", !rows.empty());
  d.set("contacts", rows);
  if (more) {
    d.set("next", "/admin/contacts?q=" + twilio::FormEscape(search) +
                      "&before=" + std::to_string(contacts->back().id));
  }
  return Html(200, Layout("Contacts", Render(templates::kContacts, d), &who, "/admin/contacts"));
}

}  // namespace parley::admin::web
