#include "admin/web/live_transcript.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "admin/web/contact_form.hpp"
#include "admin/web/page.hpp"
#include "admin/web/pages.hpp"
#include "admin/web/transcript.hpp"
#include "common/json.hpp"
#include "twilio/form.hpp"

namespace parley::admin::web {
namespace {

int64_t NumberParam(const twilio::Form& query, std::string_view name) {
  const std::string_view v = query.Get(name);
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  return ec == std::errc() && end == v.data() + v.size() && n > 0 ? n : 0;
}

}  // namespace

Result<http::Response> TranscriptUpdates(store::Store& store, const http::Request& request,
                                         const Principal& who) {
  const int64_t id = ContactIdParam(request);
  auto found = id > 0 ? store.FindContactById(id)
                      : Result<std::optional<store::ContactRecord>>(std::nullopt);
  if (!found.ok()) {
    return found.status();
  }
  if (!*found) {
    return ErrorPage(404, "No such contact.", &who);
  }
  auto query = twilio::DecodeForm(request.query);
  const twilio::Form empty;
  const twilio::Form& q = query.ok() ? *query : empty;
  TranscriptCursor cursor;
  cursor.after_message = NumberParam(q, "after");
  cursor.after_transition = NumberParam(q, "transition");
  cursor.since = FromUnixMillis(NumberParam(q, "since"));

  // The newest messages (one more than a page tells a gap), keeping those past the cursor.
  auto newest = store.admin().ContactMessages(id, std::numeric_limits<int64_t>::max(),
                                              kTranscriptPageSize + 1);
  if (!newest.ok()) {
    return newest.status();
  }
  std::vector<store::MessageRecord> fresh;
  for (store::MessageRecord& m : *newest) {
    if (m.id > cursor.after_message) {
      fresh.push_back(std::move(m));
    }
  }
  const bool gap = fresh.size() > static_cast<size_t>(kTranscriptPageSize);
  if (gap) {
    fresh.pop_back();
  }
  std::reverse(fresh.begin(), fresh.end());  // oldest first
  auto recorded = store.admin().ContactTransitions(
      id, cursor.since, FromUnixMillis(std::numeric_limits<int64_t>::max() / 2), kTransitionsShown);
  if (!recorded.ok()) {
    return recorded.status();
  }
  std::vector<store::TransitionRecord> transitions;
  for (store::TransitionRecord& t : *recorded) {
    if (t.id > cursor.after_transition) {
      transitions.push_back(std::move(t));
    }
  }

  TranscriptCursor next = cursor;
  for (const store::MessageRecord& m : fresh) {
    next.after_message = std::max(next.after_message, m.id);
    next.since = std::max(next.since, m.created_at);
  }
  for (const store::TransitionRecord& t : transitions) {
    next.after_transition = std::max(next.after_transition, t.id);
    next.since = std::max(next.since, t.at);
  }
  const List entries = MergeTranscript(fresh, transitions);
  json::Value answer = json::Object{};
  answer.Set("html",
             json::Value(entries.empty() ? std::string() : RenderTranscriptEntries(entries)));
  answer.Set("after", json::Value(next.after_message));
  answer.Set("transition", json::Value(next.after_transition));
  answer.Set("since", json::Value(ToUnixMillis(next.since)));
  answer.Set("gap", json::Value(gap));
  http::Response r;
  r.content_type = "application/json";
  r.body = json::Serialize(answer);
  AddSecurityHeaders(r);
  return r;
}

// Plain ES2017 for Debian's chromium and every current browser; no framework, no build step.
const std::string_view kTranscriptScript =
    R"js(// parley admin: the contact page's live transcript (docs/admin.md, "A contact's page").
// Polls for entries newer than the page shows and appends them; the page works without it.
'use strict';
(function () {
  const list = document.getElementById('transcript-list');
  if (!list || !list.dataset.live) return;
  const every = 2000;  // ms between polls
  let cursor = { after: list.dataset.after, transition: list.dataset.transition, since: list.dataset.since };
  let failures = 0;
  async function poll() {
    if (document.hidden) return schedule(every);
    try {
      const query = new URLSearchParams(cursor);
      // A redirect means the session ended (to the login page): stop, as for any error.
      const r = await fetch(list.dataset.live + '?' + query, {
        credentials: 'same-origin', redirect: 'error', headers: { Accept: 'application/json' },
      });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      const d = await r.json();
      failures = 0;
      if (d.html) {
        list.insertAdjacentHTML('beforeend', d.html);  // rendered and escaped by the server
        const empty = document.getElementById('transcript-empty');
        if (empty) empty.remove();
      }
      if (d.gap) list.dataset.gap = 'true';
      cursor = { after: String(d.after), transition: String(d.transition), since: String(d.since) };
      schedule(every);
    } catch (e) {
      failures += 1;
      if (failures < 5) schedule(every * 2 ** failures);  // then stop: a reload starts again
    }
  }
  function schedule(ms) { setTimeout(poll, ms); }
  schedule(every);
})();
)js";

}  // namespace parley::admin::web
