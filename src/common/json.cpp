#include "common/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/json_tape.hpp"
#include "common/utf8.hpp"

namespace parley::json {

const char* TypeName(Type t) {
  switch (t) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "boolean";
    case Type::kNumber:
      return "number";
    case Type::kString:
      return "string";
    case Type::kArray:
      return "array";
    case Type::kObject:
      return "object";
  }
  return "?";
}

const Value* Value::Find(std::string_view key) const {
  if (!is_object()) {
    return nullptr;
  }
  for (const auto& [k, v] : as_object()) {
    if (k == key) {
      return &v;
    }
  }
  return nullptr;
}

void Value::Set(std::string_view key, Value v) {
  auto& obj = as_object();
  for (auto& [k, existing] : obj) {
    if (k == key) {
      existing = std::move(v);
      return;
    }
  }
  obj.emplace_back(std::string(key), std::move(v));
}

bool Value::Erase(std::string_view key) {
  if (!is_object()) {
    return false;  // like Find: nothing named `key` here
  }
  auto& obj = as_object();
  const auto before = obj.size();
  std::erase_if(obj, [&](const Member& m) { return m.first == key; });
  return obj.size() != before;
}

namespace {

void SerializeString(const std::string& s, std::string& out) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      // Strings built in code (a Lua value, a saved reply) may hold any bytes, but JSON text is
      // UTF-8 and Parse rejects anything else: ill-formed bytes become U+FFFD so that what is
      // serialized can always be read back.
      size_t ill_formed = 0;
      const size_t len = Utf8SequenceAt(s, i, &ill_formed);
      if (len == 0) {  // one U+FFFD per ill-formed byte
        out += "\xEF\xBF\xBD";
      } else {
        out.append(s, i, len);
        i += len - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void SerializeTo(const Value& v, std::string& out) {
  switch (v.type()) {
    case Type::kNull:
      out += "null";
      break;
    case Type::kBool:
      out += v.as_bool() ? "true" : "false";
      break;
    case Type::kNumber:
      // JSON has no NaN or infinity (Parse rejects them); null is what JSON.stringify writes.
      out += std::isfinite(v.as_number()) ? FormatNumber(v.as_number()) : "null";
      break;
    case Type::kString:
      SerializeString(v.as_string(), out);
      break;
    case Type::kArray: {
      out += '[';
      bool first = true;
      for (const auto& e : v.as_array()) {
        if (!first) out += ',';
        first = false;
        SerializeTo(e, out);
      }
      out += ']';
      break;
    }
    case Type::kObject: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.as_object()) {
        if (!first) out += ',';
        first = false;
        SerializeString(k, out);
        out += ':';
        SerializeTo(e, out);
      }
      out += '}';
      break;
    }
  }
}

}  // namespace

Result<Value> Parse(std::string_view text, Pos* error_pos) {
  // One parser for both models: the DOM is copied from a tape.
  auto tape = Tape::Parse(text, error_pos);
  if (!tape.ok()) {
    return tape.status();
  }
  return tape->root().ToValue();
}

std::string Serialize(const Value& v) {
  std::string out;
  SerializeTo(v, out);
  return out;
}

std::string FormatNumber(double d) {
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e15) {
    return std::to_string(static_cast<int64_t>(d));
  }
  char buf[32];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, ec == std::errc() ? ptr : buf);
}

std::string ToDisplayString(const Value& v) {
  switch (v.type()) {
    case Type::kNull:
      return "";
    case Type::kBool:
      return v.as_bool() ? "true" : "false";
    case Type::kNumber:
      return FormatNumber(v.as_number());
    case Type::kString:
      return v.as_string();
    default:
      return Serialize(v);
  }
}

}  // namespace parley::json
