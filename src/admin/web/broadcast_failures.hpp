// A broadcast's failed recipients (docs/admin.md, "Broadcast"): the lines of its list that
// did not start — invalid at the confirmation, contacts not active or already in a session,
// starts the conversation core refused — each with why, listed on the broadcast's page a page
// at a time and downloaded as CSV, so an operator can fix them and broadcast them again.
// Reading only: every role that may watch the broadcast (viewer) may see and download them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "admin/auth.hpp"
#include "admin/web/page.hpp"
#include "common/status.hpp"
#include "http/server.hpp"
#include "store/store.hpp"

namespace parley::admin::web {

// Failed recipients per page of a broadcast's page.
inline constexpr int kBroadcastFailuresPageSize = 50;

// Adds the page of failures after the query's `after` (a recipient id; keyset pagination in
// list order) to the data of broadcast `b`'s page: `failures` (number, name, reason, and
// `contact` — the contact's id — when the number is a contact's), `has_failures`, `next`
// (the following page) and `first` (back to the first page, when not on it).
Status AddBroadcastFailures(store::Store& store, const http::Request& request,
                            const store::BroadcastRecord& b, Data& data);

// GET /admin/broadcasts/{id}/failed.csv (viewer): every failed recipient as CSV, in list
// order. An unknown broadcast is a 404 page.
Result<http::Response> BroadcastFailuresCsv(store::Store& store, const http::Request& request,
                                            const Principal& who);

// The CSV of `failures` (RFC 4180, CRLF line ends), a list the broadcast form reads back: a
// header `number,name,<each field key, in order of first use>,reason`, then one line each.
// Delete the `reason` column before sending it again (else it becomes a custom field).
std::string FailuresCsv(const std::vector<store::BroadcastRecipient>& failures);

// One CSV cell: quoted when it holds a comma, a quote or a line break; a cell a spreadsheet
// would evaluate as a formula (it starts with = @ tab or CR, or with + or - and is not a phone
// number such as "+14155550101") is prefixed with ' so that it stays text
// (docs/security.md).
std::string CsvCell(std::string_view text);

}  // namespace parley::admin::web
