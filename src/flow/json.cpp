#include "flow/json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

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

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Pos error_pos() const { return err_pos_; }

  Result<Value> ParseDocument() {
    SkipWhitespace();
    Value v;
    if (!ParseValue(v, 0)) {
      return Error();
    }
    SkipWhitespace();
    if (i_ != s_.size()) {
      Fail("unexpected content after the JSON value");
      return Error();
    }
    return v;
  }

 private:
  Status Error() const {
    return Status::InvalidArgument(std::to_string(err_pos_.line) + ":" +
                                   std::to_string(err_pos_.col) + ": " + err_);
  }

  Pos Here() const { return Pos{line_, static_cast<uint32_t>(i_ - line_start_ + 1)}; }

  bool Fail(std::string message) {
    if (err_.empty()) {
      err_ = std::move(message);
      err_pos_ = Here();
    }
    return false;
  }

  void SkipWhitespace() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '\n') {
        ++line_;
        line_start_ = ++i_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++i_;
      } else {
        break;
      }
    }
  }

  bool ParseValue(Value& out, int depth) {
    if (i_ >= s_.size()) {
      return Fail("unexpected end of input, expected a value");
    }
    // `depth` containers enclose this value; opening one more must stay within kMaxDepth.
    if (depth >= kMaxDepth && (s_[i_] == '[' || s_[i_] == '{')) {
      return Fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    const Pos start = Here();
    bool ok = false;
    switch (s_[i_]) {
      case '{':
        ok = ParseObject(out, depth);
        break;
      case '[':
        ok = ParseArray(out, depth);
        break;
      case '"': {
        std::string str;
        ok = ParseString(str);
        out = Value(std::move(str));
        break;
      }
      case 't':
        ok = ParseLiteral("true", Value(true), out);
        break;
      case 'f':
        ok = ParseLiteral("false", Value(false), out);
        break;
      case 'n':
        ok = ParseLiteral("null", Value(nullptr), out);
        break;
      default:
        if (s_[i_] == '-' || (s_[i_] >= '0' && s_[i_] <= '9')) {
          ok = ParseNumber(out);
        } else {
          return Fail(std::string("unexpected character ") + Describe(s_[i_]) +
                      ", expected a value");
        }
    }
    out.set_pos(start);
    return ok;
  }

  static std::string Describe(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      return std::string("'") + c + "'";
    }
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", u);
    return buf;
  }

  bool ParseLiteral(std::string_view word, Value v, Value& out) {
    if (s_.substr(i_, word.size()) != word) {
      return Fail("invalid literal, expected '" + std::string(word) + "'");
    }
    i_ += word.size();
    out = std::move(v);
    return true;
  }

  bool ParseNumber(Value& out) {
    const size_t begin = i_;
    if (s_[i_] == '-') {
      ++i_;
    }
    if (i_ >= s_.size() || !IsDigit(s_[i_])) {
      return Fail("invalid number: expected a digit");
    }
    if (s_[i_] == '0') {
      ++i_;
      if (i_ < s_.size() && IsDigit(s_[i_])) {
        return Fail("invalid number: leading zeros are not allowed");
      }
    } else {
      while (i_ < s_.size() && IsDigit(s_[i_])) {
        ++i_;
      }
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (i_ >= s_.size() || !IsDigit(s_[i_])) {
        return Fail("invalid number: expected a digit after '.'");
      }
      while (i_ < s_.size() && IsDigit(s_[i_])) {
        ++i_;
      }
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) {
        ++i_;
      }
      if (i_ >= s_.size() || !IsDigit(s_[i_])) {
        return Fail("invalid number: expected a digit in the exponent");
      }
      while (i_ < s_.size() && IsDigit(s_[i_])) {
        ++i_;
      }
    }
    double d = 0;
    const auto [ptr, ec] = std::from_chars(s_.data() + begin, s_.data() + i_, d);
    if (ec != std::errc() || !std::isfinite(d)) {
      return Fail("number out of range");
    }
    out = Value(d);
    return true;
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool ParseHex4(uint32_t& out) {
    if (i_ + 4 > s_.size()) {
      return Fail("invalid \\u escape: expected 4 hex digits");
    }
    out = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = HexValue(s_[i_ + k]);
      if (h < 0) {
        return Fail("invalid \\u escape: expected 4 hex digits");
      }
      out = out * 16 + static_cast<uint32_t>(h);
    }
    i_ += 4;
    return true;
  }

  static void AppendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Validates one UTF-8 sequence starting at i_ and copies it; rejects overlongs and
  // surrogates so that every string we hand out is valid UTF-8.
  bool CopyUtf8(std::string& out) {
    const auto b0 = static_cast<unsigned char>(s_[i_]);
    int len = 0;
    uint32_t min = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4, min = 0x10000;
    } else {
      return Fail("invalid UTF-8 byte " + Describe(s_[i_]) + " in string");
    }
    if (i_ + len > s_.size()) {
      return Fail("truncated UTF-8 sequence in string");
    }
    uint32_t cp = b0 & (0x7F >> len);
    for (int k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s_[i_ + k]);
      if ((b & 0xC0) != 0x80) {
        return Fail("invalid UTF-8 sequence in string");
      }
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return Fail("invalid UTF-8 sequence in string");
    }
    out.append(s_.data() + i_, len);
    i_ += len;
    return true;
  }

  bool ParseString(std::string& out) {
    ++i_;  // opening quote
    while (true) {
      if (i_ >= s_.size()) {
        return Fail("unterminated string");
      }
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c == '\\') {
        ++i_;
        if (i_ >= s_.size()) {
          return Fail("unterminated string");
        }
        const char e = s_[i_++];
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            uint32_t cp = 0;
            if (!ParseHex4(cp)) {
              return false;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              uint32_t lo = 0;
              if (s_.substr(i_, 2) != "\\u") {
                return Fail("invalid \\u escape: unpaired surrogate");
              }
              i_ += 2;
              if (!ParseHex4(lo)) {
                return false;
              }
              if (lo < 0xDC00 || lo > 0xDFFF) {
                return Fail("invalid \\u escape: unpaired surrogate");
              }
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              return Fail("invalid \\u escape: unpaired surrogate");
            }
            AppendUtf8(out, cp);
            break;
          }
          default:
            --i_;
            // A control or non-ASCII byte is named in hex: the message stays printable UTF-8.
            return Fail(e > 0x20 && e < 0x7f
                            ? std::string("invalid escape \\") + e + " in string"
                            : "invalid escape: backslash followed by " + Describe(e));
        }
        continue;
      }
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20) {
        return Fail(c == '\n' ? "unterminated string (newline inside a string)"
                              : "control character " + Describe(c) + " inside a string");
      }
      if (u < 0x80) {
        out += c;
        ++i_;
      } else if (!CopyUtf8(out)) {
        return false;
      }
    }
  }

  bool ParseArray(Value& out, int depth) {
    ++i_;
    Array arr;
    SkipWhitespace();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      out = Value(std::move(arr));
      return true;
    }
    while (true) {
      SkipWhitespace();
      arr.emplace_back();
      if (!ParseValue(arr.back(), depth + 1)) {
        return false;
      }
      SkipWhitespace();
      if (i_ >= s_.size()) {
        return Fail("unexpected end of input, expected ',' or ']'");
      }
      if (s_[i_] == ',') {
        ++i_;
        SkipWhitespace();
        if (i_ < s_.size() && s_[i_] == ']') {
          return Fail("trailing comma before ']'");
        }
        continue;
      }
      if (s_[i_] == ']') {
        ++i_;
        arr.shrink_to_fit();  // documents are kept whole while a flow compiles
        out = Value(std::move(arr));
        return true;
      }
      return Fail("expected ',' or ']' after an array element, found " + Describe(s_[i_]));
    }
  }

  bool ParseObject(Value& out, int depth) {
    ++i_;
    Object obj;
    SkipWhitespace();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      out = Value(std::move(obj));
      return true;
    }
    while (true) {
      SkipWhitespace();
      if (i_ >= s_.size()) {
        return Fail("unexpected end of input, expected a member name");
      }
      if (s_[i_] != '"') {
        return Fail(s_[i_] == '}'
                        ? "trailing comma before '}'"
                        : "expected a member name in double quotes, found " + Describe(s_[i_]));
      }
      std::string key;
      if (!ParseString(key)) {
        return false;
      }
      SkipWhitespace();
      if (i_ >= s_.size() || s_[i_] != ':') {
        return Fail("expected ':' after member name \"" + key + "\"");
      }
      ++i_;
      SkipWhitespace();
      obj.emplace_back(std::move(key), Value());
      if (!ParseValue(obj.back().second, depth + 1)) {
        return false;
      }
      SkipWhitespace();
      if (i_ >= s_.size()) {
        return Fail("unexpected end of input, expected ',' or '}'");
      }
      if (s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (s_[i_] == '}') {
        ++i_;
        obj.shrink_to_fit();
        out = Value(std::move(obj));
        return true;
      }
      return Fail("expected ',' or '}' after an object member, found " + Describe(s_[i_]));
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
  std::string err_;
  Pos err_pos_;
};

// Length of the well-formed UTF-8 sequence at s[i] (2-4), or 0 if the bytes there are not one.
size_t Utf8SequenceLength(const std::string& s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t len = 0;
  uint32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  uint32_t cp = b0 & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

void SerializeString(const std::string& s, std::string& out) {
  out += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) >= 0x80) {
      // Strings built in code (a Lua value, a saved reply) may hold any bytes, but JSON text is
      // UTF-8 and Parse rejects anything else: ill-formed bytes become U+FFFD so that what is
      // serialized can always be read back.
      const size_t len = Utf8SequenceLength(s, i);
      if (len == 0) {
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
  Parser parser(text);
  auto result = parser.ParseDocument();
  if (!result.ok() && error_pos != nullptr) {
    *error_pos = parser.error_pos();
  }
  return result;
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
