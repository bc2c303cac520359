// The message log and the broadcast pages (docs/admin.md, "Messages" and "Broadcast"), one
// function each like pages.hpp's: the request and who is asking in, the whole answer out.
// Errors are store failures (the caller answers 500).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/auth.hpp"
#include "common/status.hpp"
#include "common/time.hpp"
#include "http/server.hpp"
#include "store/store.hpp"

namespace parley::admin::web {

// Rows per page of the message log.
inline constexpr int kMessageLogPageSize = 50;

// /admin/messages?direction=&status=&error=&from=&until=&before=ID (viewer): newest first,
// kMessageLogPageSize a page, each row linking to its contact; failed and undelivered ones
// marked. A filter value the form would not send is a 400 page.
Result<http::Response> MessagesPage(store::Store& store, const http::Request& request,
                                    const Principal& who);

// "2026-11-24" or "2026-11-24T09:00[:SS]" (an HTML date or datetime-local input), read as
// UTC; none for anything else.
std::optional<TimePoint> ParseFormTime(std::string_view text);

// What the broadcast pages need beyond the store.
struct BroadcastContext {
  std::function<std::vector<std::string>()> flow_ids;  // the loaded flows; may be null
  std::function<void()> wake_worker;                   // a broadcast was queued; may be null
  const Clock* clock = nullptr;
};

// GET /admin/broadcast (operator): the form and the recent broadcasts.
Result<http::Response> BroadcastFormPage(store::Store& store, const BroadcastContext& cx,
                                         const http::Request& request, const Principal& who);
// POST /admin/broadcast/preview (operator; multipart/form-data or a plain form): the counts
// of the list, its invalid lines, and the form that confirms it. Writes nothing.
Result<http::Response> BroadcastPreview(store::Store& store, const BroadcastContext& cx,
                                        const http::Request& request, const Principal& who);
// POST /admin/broadcast (operator): re-reads the confirmed list, queues its recipients as a
// broadcast with its audit line (broadcast_created), wakes the worker, and sends the browser
// to its progress page.
Result<http::Response> BroadcastConfirm(store::Store& store, const BroadcastContext& cx,
                                        const http::Request& request, const Principal& who);
// GET /admin/broadcasts/{id} (viewer): queued, started, failed of one broadcast.
Result<http::Response> BroadcastProgressPage(store::Store& store, const http::Request& request,
                                             const Principal& who);

}  // namespace parley::admin::web
