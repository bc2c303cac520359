#include "admin/web/broadcast_failures.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "admin/web/contact_form.hpp"
#include "common/json.hpp"
#include "twilio/form.hpp"

namespace parley::admin::web {
namespace {

// Rows read per statement for the CSV: a broadcast holds at most kMaxBroadcastLines.
constexpr int kCsvChunk = 1000;

int64_t AfterParam(const http::Request& request) {
  auto query = twilio::DecodeForm(request.query);
  if (!query.ok()) {
    return 0;
  }
  const std::string_view v = query->Get("after");
  int64_t after = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), after);
  return ec == std::errc() && end == v.data() + v.size() && after > 0 ? after : 0;
}

// Digits, with the punctuation a written phone number has; at least one digit.
bool LooksLikePhoneNumber(std::string_view s) {
  const bool chars_ok = std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == ' ' || c == '(' || c == ')' ||
           c == '.';
  });
  return chars_ok && std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The fields of a recipient as (key, text) in stored order; none when not an object.
std::vector<std::pair<std::string, std::string>> Fields(const std::string& fields_json) {
  std::vector<std::pair<std::string, std::string>> out;
  auto parsed = json::Parse(fields_json);
  if (!parsed.ok() || !parsed->is_object()) {
    return out;
  }
  for (const auto& [key, value] : parsed->as_object()) {
    out.emplace_back(key, value.is_string() ? value.as_string() : json::ToDisplayString(value));
  }
  return out;
}

}  // namespace

Status AddBroadcastFailures(store::Store& store, const http::Request& request,
                            const store::BroadcastRecord& b, Data& data) {
  const int64_t after = AfterParam(request);
  // One more than a page: whether there is a next page, without a count.
  auto rows = store.admin().BroadcastFailures(b.id, after, kBroadcastFailuresPageSize + 1);
  if (!rows.ok()) {
    return rows.status();
  }
  const bool more = rows->size() > static_cast<size_t>(kBroadcastFailuresPageSize);
  if (more) {
    rows->pop_back();
  }
  List failures;
  for (const store::BroadcastRecipient& r : *rows) {
    Data row;
    row.set("number", r.address.empty() ? std::string("(none)") : r.address);
    row.set("name", r.name);
    row.set("reason", r.error);
    if (r.contact_id > 0) {
      row.set("contact", std::to_string(r.contact_id));
    }
    failures.push_back(row);
  }
  const std::string self = "/admin/broadcasts/" + std::to_string(b.id);
  data.set("has_failures", !failures.empty() || after != 0);
  data.set("failures", failures);
  if (more) {
    data.set("next", self + "?after=" + std::to_string(rows->back().id));
  }
  if (after != 0) {
    data.set("first", self);
  }
  return Status::Ok();
}

Result<http::Response> BroadcastFailuresCsv(store::Store& store, const http::Request& request,
                                            const Principal& who) {
  const int64_t id = ContactIdParam(request);
  auto found =
      id > 0 ? store.admin().Broadcasts(id, 1)
             : Result<std::vector<store::BroadcastRecord>>(std::vector<store::BroadcastRecord>{});
  if (!found.ok()) {
    return found.status();
  }
  if (found->empty()) {
    return ErrorPage(404, "No such broadcast.", &who);
  }
  std::vector<store::BroadcastRecipient> all;
  for (int64_t after = 0;;) {
    auto chunk = store.admin().BroadcastFailures(id, after, kCsvChunk);
    if (!chunk.ok()) {
      return chunk.status();
    }
    if (chunk->empty()) {
      break;
    }
    after = chunk->back().id;
    const bool last = chunk->size() < static_cast<size_t>(kCsvChunk);
    all.insert(all.end(), std::make_move_iterator(chunk->begin()),
               std::make_move_iterator(chunk->end()));
    if (last) {
      break;
    }
  }
  http::Response r;
  r.content_type = "text/csv; charset=utf-8";
  r.body = FailuresCsv(all);
  AddSecurityHeaders(r);
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"broadcast-" +
                                                    std::to_string(id) + "-failed.csv\"");
  return r;
}

std::string CsvCell(std::string_view text) {
  std::string cell;
  const bool formula =
      !text.empty() && (text[0] == '=' || text[0] == '@' || text[0] == '\t' || text[0] == '\r' ||
                        ((text[0] == '+' || text[0] == '-') && !LooksLikePhoneNumber(text)));
  if (formula) {
    cell += '\'';
  }
  cell += text;
  if (cell.find_first_of(",\"\r\n") == std::string::npos) {
    return cell;
  }
  std::string quoted = "\"";
  for (const char c : cell) {
    quoted += c;
    if (c == '"') {
      quoted += '"';
    }
  }
  quoted += '"';
  return quoted;
}

std::string FailuresCsv(const std::vector<store::BroadcastRecipient>& failures) {
  // The field columns, in order of first use.
  std::vector<std::string> keys;
  std::map<std::string, size_t> column;
  std::vector<std::vector<std::pair<std::string, std::string>>> fields;
  fields.reserve(failures.size());
  for (const store::BroadcastRecipient& r : failures) {
    fields.push_back(Fields(r.fields_json));
    for (const auto& [key, value] : fields.back()) {
      if (column.emplace(key, keys.size()).second) {
        keys.push_back(key);
      }
    }
  }
  std::string out = "number,name";
  for (const std::string& key : keys) {
    out += ',' + CsvCell(key);
  }
  out += ",reason\r\n";
  for (size_t i = 0; i < failures.size(); ++i) {
    const store::BroadcastRecipient& r = failures[i];
    std::vector<std::string> values(keys.size());
    for (auto& [key, value] : fields[i]) {
      values[column[key]] = std::move(value);
    }
    out += CsvCell(r.address) + ',' + CsvCell(r.name);
    for (const std::string& v : values) {
      out += ',' + CsvCell(v);
    }
    out += ',' + CsvCell(r.error) + "\r\n";
  }
  return out;
}

}  // namespace parley::admin::web
