// A contact's transcript (docs/admin.md, "A contact's page"): its messages and the recorded
// transitions between them, as the contact page shows them and as the live refresh
// (live_transcript.hpp) appends them. One rendering for both, so an appended entry looks
// like one the page was served with.
#pragma once

#include <vector>

#include "admin/web/page.hpp"
#include "store/store.hpp"

namespace parley::admin::web {

// Messages (oldest first) and the transitions of their period (oldest first) merged by
// time. At one instant an event wrote its inbound message first, then its transitions, then
// its replies.
List MergeTranscript(const std::vector<store::MessageRecord>& oldest_first,
                     const std::vector<store::TransitionRecord>& transitions);

// The entries as the <li> items of the transcript's list (escaped: messages and state names
// are shown as text).
std::string RenderTranscriptEntries(const List& entries);

}  // namespace parley::admin::web
