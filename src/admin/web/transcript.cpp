#include "admin/web/transcript.hpp"

#include "admin/web/templates.hpp"

namespace parley::admin::web {
namespace {

// One message of the transcript.
Data MessageEntry(const store::MessageRecord& m) {
  const bool in = m.direction == store::MessageRecord::Direction::kInbound;
  Data e;
  e.set("direction", in ? "inbound" : "outbound");
  e.set("arrow", in ? "In" : "Out");
  e.set("at", ShortTime(m.created_at));
  e.set("body", m.body);
  e.set("status", std::string(store::MessageStatusName(m.status)));
  if (!m.error_code.empty()) {
    e.set("error_code", m.error_code);
  }
  List media;
  for (const std::string& url : m.media) {
    media.push_back(Data(url));
  }
  e.set("media", media);
  Data entry;
  entry.set("message", e);
  return entry;
}

// One recorded transition, in words: "moved from ask to thanks by edge 1 (reply: yes)".
// Edges are counted from 1 in file order, as the flow page's table lists them.
Data TransitionEntry(const store::TransitionRecord& t) {
  std::string text;
  if (t.moved && t.from_state.empty()) {
    text = "started " + t.flow_id + " at " + t.to_state;
  } else if (t.moved) {
    text = "moved from " + t.from_state + " to " + t.to_state;
    if (t.edge_index) {
      text += " by edge " + std::to_string(*t.edge_index + 1);
      if (!t.edge_label.empty()) {
        text += " (" + t.edge_label + ")";
      }
    }
  } else {
    text = "session ended at " + t.to_state;
  }
  if (t.moved && !t.ended.empty()) {
    text += ", and the session ended";
  }
  if (!t.ended.empty()) {
    text += ": " + t.ended;
  }
  Data e;
  e.set("at", ShortTime(t.at));
  e.set("text", text);
  e.set("cause", t.event);
  Data entry;
  entry.set("transition", e);
  return entry;
}

}  // namespace

List MergeTranscript(const std::vector<store::MessageRecord>& oldest_first,
                     const std::vector<store::TransitionRecord>& transitions) {
  List entries;
  size_t t = 0;
  for (const store::MessageRecord& m : oldest_first) {
    const bool in = m.direction == store::MessageRecord::Direction::kInbound;
    while (t < transitions.size() &&
           (transitions[t].at < m.created_at || (!in && transitions[t].at == m.created_at))) {
      entries.push_back(TransitionEntry(transitions[t++]));
    }
    entries.push_back(MessageEntry(m));
  }
  for (; t < transitions.size(); ++t) {
    entries.push_back(TransitionEntry(transitions[t]));
  }
  return entries;
}

std::string RenderTranscriptEntries(const List& entries) {
  Data d;
  d.set("entries", entries);
  return Render(templates::kTranscriptEntries, d);
}

}  // namespace parley::admin::web
