// The contact page's live transcript (docs/admin.md, "A contact's page"): a small script,
// served as a file (the CSP allows scripts from the admin itself and nothing inline), polls
// an endpoint for the entries newer than those the page shows and appends them. Without
// JavaScript the page is the same, and a reload shows the new entries.
//
// The page gives the script its cursor (data attributes of the transcript's list); each
// answer gives the next one. Messages are new when their id is above the cursor's;
// transitions when their id is above the cursor's and their time is at or after `since`
// (the range of transitions_by_contact): a contact's events are applied one at a time under
// its lock, so its ids ascend with time. Statuses of entries already shown are not updated.
#pragma once

#include <cstdint>
#include <string_view>

#include "admin/auth.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "http/server.hpp"
#include "store/store.hpp"

namespace parley::admin::web {

struct TranscriptCursor {
  int64_t after_message = 0;     // the newest message shown
  int64_t after_transition = 0;  // the newest transition shown
  TimePoint since{};             // the time of the newest entry shown
};

// GET /admin/contacts/{id}/transcript.json?after=ID&transition=ID&since=UNIX_MS (viewer):
// {"html": the new entries as the page's <li> items (transcript.hpp; "" when none),
//  "after", "transition", "since": the next cursor, "gap": true when more messages arrived
//  than one answer holds (the newest kTranscriptPageSize are given; a reload shows all)}.
// A parameter that is not a number counts as 0. An unknown contact is a 404 page.
Result<http::Response> TranscriptUpdates(store::Store& store, const http::Request& request,
                                         const Principal& who);

// The script (GET /admin/static/transcript.js).
extern const std::string_view kTranscriptScript;

}  // namespace parley::admin::web
