// A broadcast's list of contacts (docs/admin.md, "Broadcast"), pasted or uploaded as CSV:
// one contact a line, the number first. Untrusted input with limits (docs/security.md).
//
// Format: RFC 4180 CSV (commas; a field in double quotes may hold commas, doubled quotes and
// line breaks), lines ending in LF or CRLF, an optional UTF-8 byte order mark. A first line
// whose first cell holds no digit is a header: it names the columns after the number — a
// column named "name" (any case) is the contact's name, every other named column is a
// custom field of that key (an empty cell sets nothing). Without a header a line is
// `number[,name]`. Blank lines are skipped. Numbers are read as the CLI reads them
// (conversation::ParseAddress: E.164, or national numbers of the default region;
// "whatsapp:+..." for WhatsApp).
//
// Pure: checks the text only; what the store knows (opted out, in a session) is the
// preview's (broadcast_page.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace parley::admin::web {

// At most this many lines (contacts) in one broadcast.
inline constexpr size_t kMaxBroadcastLines = 50000;

struct BroadcastEntry {
  size_t line = 0;      // 1-based line where its record starts
  std::string address;  // the contact's key: "+15551234567" or "whatsapp:+15551234567"
  std::string name;     // empty: keep the contact's
  std::string fields_json = "{}";
};

struct InvalidLine {
  size_t line = 0;
  std::string reason;  // for the operator
  // The line's number cell and name as written (trimmed, cut to kInvalidTextBytes, storable
  // text), kept with the broadcast's failures so the operator can fix and send them again.
  std::string number;
  std::string name;
};

// The most bytes of an invalid line's number or name that are kept.
inline constexpr size_t kInvalidTextBytes = 200;

struct BroadcastList {
  std::vector<BroadcastEntry> valid;
  std::vector<InvalidLine> invalid;
};

// Reads the list. InvalidArgument, with a message for the operator, when the text as a
// whole cannot be used (not UTF-8, an unclosed quote, more than kMaxBroadcastLines lines, a
// header without a number column); a bad line is an InvalidLine, not an error.
Result<BroadcastList> ParseBroadcastList(std::string_view text,
                                         std::string_view default_region = "US");

// The records of CSV `text` (BOM dropped), each with its starting line number. Exposed for
// tests. InvalidArgument for an unclosed quote.
struct CsvRecord {
  size_t line = 0;
  std::vector<std::string> cells;
};
Result<std::vector<CsvRecord>> ParseCsv(std::string_view text);

}  // namespace parley::admin::web
