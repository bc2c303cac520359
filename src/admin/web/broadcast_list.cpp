#include "admin/web/broadcast_list.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "admin/web/contact_form.hpp"
#include "common/json.hpp"
#include "common/utf8.hpp"
#include "conversation/address.hpp"

namespace parley::admin::web {
namespace {

std::string Trim(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return std::string(s);
}

// At most `max` bytes of valid UTF-8 `s`, cut before a character that would not fit, as
// text every store keeps (no U+0000).
std::string Cut(std::string_view s, size_t max) {
  if (s.size() > max) {
    size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) {
      --end;
    }
    s = s.substr(0, end);
  }
  return ToStorableText(s);
}

bool HasDigit(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool Blank(const CsvRecord& r) {
  return std::all_of(r.cells.begin(), r.cells.end(),
                     [](const std::string& c) { return Trim(c).empty(); });
}

std::string LowerAscii(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Result<std::vector<CsvRecord>> ParseCsv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  std::vector<CsvRecord> records;
  CsvRecord record{1, {}};
  std::string cell;
  size_t line = 1;
  bool quoted = false;  // inside a quoted field
  bool any = false;     // the record has content (a cell or a separator)
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          cell += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        line += c == '\n' ? 1 : 0;
        cell += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      record.cells.push_back(std::move(cell));
      cell.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
      record.cells.push_back(std::move(cell));
      cell.clear();
      records.push_back(std::move(record));
      ++line;
      record = CsvRecord{line, {}};
      any = false;
    } else {
      cell += c;
      any = true;
    }
  }
  if (quoted) {
    return Status::InvalidArgument("Line " + std::to_string(record.line) +
                                   ": a quote is not closed.");
  }
  if (any || !cell.empty()) {
    record.cells.push_back(std::move(cell));
    records.push_back(std::move(record));
  }
  return records;
}

Result<BroadcastList> ParseBroadcastList(std::string_view text, std::string_view default_region) {
  if (!IsValidUtf8(text)) {
    return Status::InvalidArgument("The list is not UTF-8 text.");
  }
  auto records = ParseCsv(text);
  if (!records.ok()) {
    return records.status();
  }
  // Hold the records: the loop below keeps references into them.
  std::vector<CsvRecord> rows = std::move(*records);
  rows.erase(std::remove_if(rows.begin(), rows.end(), Blank), rows.end());
  if (rows.size() > kMaxBroadcastLines + 1) {
    return Status::InvalidArgument("A broadcast has at most " + std::to_string(kMaxBroadcastLines) +
                                   " contacts.");
  }
  // The header: column names after the number ("" for a column it does not name).
  std::vector<std::string> columns = {"", "name"};
  size_t first = 0;
  if (!rows.empty() && !HasDigit(rows[0].cells[0])) {
    columns.assign(rows[0].cells.size(), "");
    for (size_t i = 1; i < rows[0].cells.size(); ++i) {
      columns[i] = Trim(rows[0].cells[i]);
      if (LowerAscii(columns[i]) == "name") {
        columns[i] = "name";
      }
      if (columns[i].size() > kMaxFieldKeyBytes) {
        return Status::InvalidArgument("Header: column names are at most " +
                                       std::to_string(kMaxFieldKeyBytes) + " bytes.");
      }
    }
    first = 1;
  }
  if (rows.size() - first > kMaxBroadcastLines) {
    return Status::InvalidArgument("A broadcast has at most " + std::to_string(kMaxBroadcastLines) +
                                   " contacts.");
  }
  BroadcastList list;
  std::map<std::string, size_t> seen;  // address: its line
  for (size_t r = first; r < rows.size(); ++r) {
    const CsvRecord& row = rows[r];
    const auto invalid = [&](std::string reason) {
      std::string name;
      for (size_t i = 1; i < row.cells.size() && i < columns.size(); ++i) {
        if (columns[i] == "name") {
          name = Cut(Trim(row.cells[i]), kInvalidTextBytes);
        }
      }
      list.invalid.push_back(
          {row.line, std::move(reason), Cut(Trim(row.cells[0]), kInvalidTextBytes), name});
    };
    const std::string number = Trim(row.cells[0]);
    if (number.empty()) {
      invalid("no number in the first column");
      continue;
    }
    auto address = conversation::ParseAddress(number, default_region);
    if (!address.ok()) {
      invalid("not a phone number");
      continue;
    }
    if (row.cells.size() > columns.size()) {
      invalid(first == 0 ? "more than two columns (name them in a header line)"
                         : "more columns than the header");
      continue;
    }
    BroadcastEntry entry{row.line, address->key, "", "{}"};
    json::Value fields = json::Object{};
    std::string problem;
    for (size_t i = 1; i < row.cells.size(); ++i) {
      const std::string value = Trim(row.cells[i]);
      if (value.empty() || columns[i].empty()) {
        continue;
      }
      if (columns[i] == "name") {
        if (value.size() > kMaxNameBytes) {
          problem = "the name is longer than " + std::to_string(kMaxNameBytes) + " bytes";
        }
        entry.name = value;
      } else if (value.size() > kMaxFieldValueBytes) {
        problem = "field " + columns[i] + " is longer than " + std::to_string(kMaxFieldValueBytes) +
                  " bytes";
      } else {
        fields.Set(columns[i], json::Value(value));
      }
    }
    if (fields.as_object().size() > kMaxFields) {
      problem = "more than " + std::to_string(kMaxFields) + " fields";
    }
    if (!problem.empty()) {
      invalid(problem);
      continue;
    }
    if (const auto [it, fresh] = seen.emplace(entry.address, row.line); !fresh) {
      invalid("the number repeats line " + std::to_string(it->second));
      continue;
    }
    entry.fields_json = json::Serialize(fields);
    list.valid.push_back(std::move(entry));
  }
  return list;
}

}  // namespace parley::admin::web
