// A contact's page (pages.hpp, ContactPage).
#include <algorithm>
#include <charconv>
#include <limits>

#include "admin/web/contact_form.hpp"
#include "admin/web/live_transcript.hpp"
#include "admin/web/page.hpp"
#include "admin/web/pages.hpp"
#include "admin/web/templates.hpp"
#include "admin/web/transcript.hpp"
#include "common/json.hpp"
#include "conversation/session_expiry.hpp"
#include "conversation/whatsapp_window.hpp"
#include "twilio/form.hpp"

namespace parley::admin::web {
namespace {

// What a redirect after an action says on the page: a fixed text per action, so nothing the
// URL carries is echoed.
std::string Notice(std::string_view done) {
  if (done == "send") return "The message is queued for the sender.";
  if (done == "end-session") return "The session has ended.";
  if (done == "opt-out") return "The contact is opted out.";
  if (done == "opt-in") return "The contact is active again.";
  if (done == "edit") return "Name and fields are saved.";
  if (done == "start-flow") return "The flow has started.";
  return "";
}

// The members of a JSON object as key/value rows (a non-object shows as one row).
List KeyValues(const json::Value& object) {
  List rows;
  if (!object.is_object()) {
    Data row;
    row.set("key", "(value)");
    row.set("value", json::ToDisplayString(object));
    rows.push_back(row);
    return rows;
  }
  for (const auto& [key, value] : object.as_object()) {
    Data row;
    row.set("key", key);
    row.set("value", json::ToDisplayString(value));
    rows.push_back(row);
  }
  return rows;
}

std::string WindowText(const store::ContactRecord& c, TimePoint now) {
  const auto end = conversation::WhatsAppWindowEnd(c);
  if (!end) {
    return "closed (the contact never wrote)";
  }
  return (now < *end ? "open until " : "closed since ") + ShortTime(*end) + " UTC";
}

}  // namespace

Result<http::Response> ContactPage(store::Store& store, const Clock& clock,
                                   const http::Request& request, const Principal& who,
                                   const std::vector<std::string>& flow_ids,
                                   const conversation::FlowCatalog* flows) {
  const int64_t id = ContactIdParam(request);
  auto found = id > 0 ? store.FindContactById(id)
                      : Result<std::optional<store::ContactRecord>>(std::nullopt);
  if (!found.ok()) {
    return found.status();
  }
  if (!*found) {
    return ErrorPage(404, "No such contact.", &who);
  }
  const store::ContactRecord& c = **found;
  auto query = twilio::DecodeForm(request.query);
  const twilio::Form empty;
  const twilio::Form& q = query.ok() ? *query : empty;
  const int64_t before = BeforeParam(q);
  const TimePoint now = clock.Now();

  Data d;
  d.set("id", std::to_string(c.id));
  d.set("address", c.address);
  d.set("name", c.name);
  d.set("channel", c.channel == "whatsapp" ? "WhatsApp" : "SMS");
  d.set("status", std::string(store::ContactStatusName(c.status)));
  d.set("active", c.status == store::ContactStatus::kActive);
  d.set("whatsapp", c.channel == "whatsapp");
  d.set("window", WindowText(c, now));
  d.set("last_inbound", c.last_inbound_at ? ShortTime(*c.last_inbound_at) : "never");
  d.set("created", ShortTime(c.created_at));
  if (const std::string notice = Notice(q.Get("done")); !notice.empty()) {
    d.set("notice", notice);
  }
  auto fields = json::Parse(c.fields_json);
  const List field_rows = fields.ok() ? KeyValues(*fields) : List{};
  d.set("has_fields", !field_rows.empty());
  d.set("fields", field_rows);
  d.set("fields_text", fields.ok() ? FieldsText(*fields) : std::string());

  auto sessions = store.admin().ContactSessions(c.id, kPastSessionsShown + 1);
  if (!sessions.ok()) {
    return sessions.status();
  }
  List past;
  for (const store::SessionRecord& s : *sessions) {
    if (s.session.active()) {
      Data cur;
      cur.set("flow", s.session.flow_id);
      cur.set("state", s.session.state);
      cur.set("started", ShortTime(s.started_at));
      cur.set("updated", ShortTime(s.updated_at));
      const List vars = KeyValues(s.session.vars);
      cur.set("has_vars", !vars.empty());
      cur.set("vars", vars);
      auto timers = store.Timers(s.id);
      if (!timers.ok()) {
        return timers.status();
      }
      List timer_rows;
      const auto flow = flows != nullptr ? flows->Find(s.session.flow_id) : nullptr;
      for (const store::TimerRecord& t : *timers) {
        Data row;
        row.set("name", t.name);
        // The expiry's row may trail the real due time (session_expiry.hpp): show the real one.
        const bool expiry = t.name == flow::kExpiryTimer && flow != nullptr;
        row.set("due", ShortTime(expiry ? conversation::ExpiryDue(*flow, c, t.due) : t.due));
        row.set("keep", t.keep ? "yes" : "no");
        timer_rows.push_back(row);
      }
      cur.set("has_timers", !timer_rows.empty());
      cur.set("timers", timer_rows);
      d.set("session", cur);
      continue;
    }
    if (past.size() >= static_cast<size_t>(kPastSessionsShown)) {
      break;
    }
    Data row;
    row.set("flow", s.session.flow_id);
    row.set("state", s.session.state);
    row.set("status", std::string(flow::SessionStatusName(s.session.status)));
    row.set("reason", s.end_reason);
    row.set("started", ShortTime(s.started_at));
    row.set("ended", s.ended_at ? ShortTime(*s.ended_at) : std::string());
    past.push_back(row);
  }
  d.set("has_past", !past.empty());
  d.set("past", past);

  // One more than a page: whether there are older messages, without a count.
  auto messages = store.admin().ContactMessages(c.id, before, kTranscriptPageSize + 1);
  if (!messages.ok()) {
    return messages.status();
  }
  const bool more = messages->size() > static_cast<size_t>(kTranscriptPageSize);
  if (more) {
    messages->pop_back();
  }
  // The transitions of the page's period: from its oldest message (the start of history on
  // the last page) to the next page's oldest message (now on the newest page).
  const TimePoint from = more ? messages->back().created_at : FromUnixMillis(0);
  TimePoint to = FromUnixMillis(std::numeric_limits<int64_t>::max() / 2);
  if (before != 0) {
    auto next = store.admin().ContactMessages(c.id, before + 1, 1);
    if (!next.ok()) {
      return next.status();
    }
    if (!next->empty()) {
      to = next->front().created_at - std::chrono::milliseconds(1);
    }
  }
  auto transitions = store.admin().ContactTransitions(c.id, from, to, kTransitionsShown);
  if (!transitions.ok()) {
    return transitions.status();
  }
  const std::vector<store::MessageRecord> oldest_first(messages->rbegin(), messages->rend());
  const List entries = MergeTranscript(oldest_first, *transitions);
  d.set("has_entries", !entries.empty());
  d.set("entries_html", RenderTranscriptEntries(entries));
  const std::string self = "/admin/contacts/" + std::to_string(c.id);
  if (before == 0) {
    // The newest page refreshes itself (live_transcript.hpp) from what it shows.
    TranscriptCursor cursor;
    if (!messages->empty()) {
      cursor.after_message = messages->front().id;
      cursor.since = messages->front().created_at;
    }
    for (const store::TransitionRecord& t : *transitions) {
      cursor.after_transition = std::max(cursor.after_transition, t.id);
      cursor.since = std::max(cursor.since, t.at);
    }
    Data live;
    live.set("url", self + "/transcript.json");
    live.set("after", std::to_string(cursor.after_message));
    live.set("transition", std::to_string(cursor.after_transition));
    live.set("since", std::to_string(ToUnixMillis(cursor.since)));
    d.set("live", live);
  }
  if (more) {
    d.set("older", self + "?before=" + std::to_string(messages->back().id));
  }
  if (before != 0) {
    d.set("newest", self);
  }

  if (Allows(who.role, Role::kOperator)) {
    d.set("can_act", true);
    d.set("csrf", who.csrf_token);
    List flows;
    for (const std::string& f : flow_ids) {
      flows.push_back(Data(f));
    }
    d.set("flow_ids", flows);
  }
  const std::string title = c.name.empty() ? c.address : c.name;
  return Html(200, Layout(title, Render(templates::kContact, d), &who, "/admin/contacts"));
}

}  // namespace parley::admin::web
