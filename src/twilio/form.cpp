#include "twilio/form.hpp"

#include <functional>
#include <limits>

namespace parley::twilio {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// A byte for an error message: printable ASCII as is, anything else as \xNN.
std::string DescribeByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7F) {
    return std::string("'") + c + "'";
  }
  std::string out = "byte \\x";
  out += kUpperHex[u >> 4];
  out += kUpperHex[u & 0xF];
  return out;
}

// Decodes body[begin, end) onto `out`. On a bad escape, returns its offset in `body`.
std::optional<size_t> DecodeComponent(std::string_view body, size_t begin, size_t end,
                                      std::string& out, std::string& why) {
  for (size_t i = begin; i < end; ++i) {
    const char c = body[i];
    if (c == '+') {
      out += ' ';
    } else if (c != '%') {
      // Copy the whole run of plain bytes at once.
      size_t run_end = i + 1;
      while (run_end < end && body[run_end] != '+' && body[run_end] != '%') {
        ++run_end;
      }
      out.append(body.substr(i, run_end - i));
      i = run_end - 1;
    } else {
      const int hi = i + 1 < end ? HexValue(body[i + 1]) : -1;
      const int lo = i + 2 < end ? HexValue(body[i + 2]) : -1;
      if (i + 1 < end && hi < 0) {
        why = "bad percent escape: " + DescribeByte(body[i + 1]) + " is not a hex digit";
        return i;
      }
      if (i + 2 >= end) {
        why = "truncated percent escape (needs two hex digits)";
        return i;
      }
      if (lo < 0) {
        why = "bad percent escape: " + DescribeByte(body[i + 2]) + " is not a hex digit";
        return i;
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return std::nullopt;
}

}  // namespace

Form::Field Form::at(size_t i) const {
  const Span& f = fields_[i];
  return {View(f.name_offset, f.name_size), View(f.value_offset, f.value_size)};
}

std::optional<std::string_view> Form::Find(std::string_view name) const {
  for (const Span& f : fields_) {
    if (View(f.name_offset, f.name_size) == name) {
      return View(f.value_offset, f.value_size);
    }
  }
  return std::nullopt;
}

std::string_view Form::Get(std::string_view name) const {
  return Find(name).value_or(std::string_view());
}

std::vector<std::string_view> Form::All(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const Span& f : fields_) {
    if (View(f.name_offset, f.name_size) == name) {
      values.push_back(View(f.value_offset, f.value_size));
    }
  }
  return values;
}

bool Form::PointsInside(std::string_view s) const {
  const std::less<const char*> before;
  const char* begin = bytes_.data();
  const char* end = begin + bytes_.size();
  return !s.empty() && !before(s.data(), begin) && before(s.data(), end);
}

void Form::Add(std::string_view name, std::string_view value) {
  if (PointsInside(name) || PointsInside(value)) {
    // Appending may move the buffer the views point into: copy them first.
    const std::string name_copy(name);
    const std::string value_copy(value);
    Add(name_copy, value_copy);
    return;
  }
  Span f{};
  f.name_offset = static_cast<uint32_t>(bytes_.size());
  f.name_size = static_cast<uint32_t>(name.size());
  bytes_.append(name);
  f.value_offset = static_cast<uint32_t>(bytes_.size());
  f.value_size = static_cast<uint32_t>(value.size());
  bytes_.append(value);
  fields_.push_back(f);
}

void Form::Set(std::string_view name, std::string_view value) {
  size_t first = fields_.size();
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (View(fields_[i].name_offset, fields_[i].name_size) == name) {
      first = i;
      break;
    }
  }
  if (first == fields_.size()) {
    Add(name, value);
    return;
  }
  if (PointsInside(value)) {
    const std::string value_copy(value);
    Set(name, value_copy);
    return;
  }
  // The old value's bytes stay in the buffer unused: Set is for building, not decoding.
  fields_[first].value_offset = static_cast<uint32_t>(bytes_.size());
  fields_[first].value_size = static_cast<uint32_t>(value.size());
  bytes_.append(value);
  size_t kept = first + 1;
  for (size_t i = first + 1; i < fields_.size(); ++i) {
    if (View(fields_[i].name_offset, fields_[i].name_size) != name) {
      fields_[kept++] = fields_[i];
    }
  }
  fields_.resize(kept);
}

Result<Form> DecodeForm(std::string_view body) {
  if (body.size() > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("form body too large (" + std::to_string(body.size()) +
                                   " bytes)");
  }
  Form form;
  // Decoding never lengthens the input, so one reservation keeps the buffer from moving.
  form.bytes_.reserve(body.size());
  size_t fields = body.empty() ? 0 : 1;
  for (char c : body) {
    fields += c == '&' ? 1 : 0;
  }
  form.fields_.reserve(fields);

  std::string why;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    if (amp == std::string_view::npos) {
      amp = body.size();
    }
    if (amp > pos) {
      size_t eq = body.find('=', pos);
      if (eq == std::string_view::npos || eq > amp) {
        eq = amp;
      }
      Form::Span f{};
      f.name_offset = static_cast<uint32_t>(form.bytes_.size());
      if (auto bad = DecodeComponent(body, pos, eq, form.bytes_, why)) {
        return Status::InvalidArgument("bad form body at byte " + std::to_string(*bad) + ": " +
                                       why);
      }
      f.name_size = static_cast<uint32_t>(form.bytes_.size() - f.name_offset);
      f.value_offset = static_cast<uint32_t>(form.bytes_.size());
      if (eq < amp) {
        if (auto bad = DecodeComponent(body, eq + 1, amp, form.bytes_, why)) {
          return Status::InvalidArgument("bad form body at byte " + std::to_string(*bad) + ": " +
                                         why);
        }
      }
      f.value_size = static_cast<uint32_t>(form.bytes_.size() - f.value_offset);
      form.fields_.push_back(f);
    }
    pos = amp + 1;
  }
  return form;
}

std::string FormEscape(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() + raw.size() / 2);
  for (char c : raw) {
    const auto u = static_cast<unsigned char>(c);
    if (IsUnreserved(u)) {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kUpperHex[u >> 4];
      out += kUpperHex[u & 0xF];
    }
  }
  return out;
}

std::string EncodeForm(const Form& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) {
      out += '&';
    }
    out += FormEscape(name);
    out += '=';
    out += FormEscape(value);
  }
  return out;
}

}  // namespace parley::twilio
