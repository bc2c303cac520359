#include "common/json_tape.hpp"

#include "common/utf8.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace parley::json {

namespace {

// Offsets, arena offsets and entry indices are 32-bit. The arena holds at most 5 bytes per 4
// of text (a 4-byte length prefix per escaped string), so 2 GiB of text keeps it in range.
constexpr size_t kMaxTextSize = (size_t{1} << 31) - 1;

// Bytes that may appear as they are inside a string: printable ASCII but '"' and '\\'.
constexpr auto kPlainStringByte = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) {
    t[c] = c != '"' && c != '\\';
  }
  return t;
}();

std::string Describe(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) {
    return std::string("'") + c + "'";
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", u);
  return buf;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Value ToValueAt(TapeValue v, PosCursor& lines) {
  Value out;
  const Pos pos = lines.At(v.offset());
  switch (v.type()) {
    case Type::kNull:
      break;
    case Type::kBool:
      out = Value(v.as_bool());
      break;
    case Type::kNumber:
      out = Value(v.as_number());
      break;
    case Type::kString:
      out = Value(std::string(v.as_string()));
      break;
    case Type::kArray: {
      Array array;
      array.reserve(v.size());
      for (const TapeValue e : v.elements()) {
        array.push_back(ToValueAt(e, lines));  // depth <= kMaxDepth
      }
      out = Value(std::move(array));
      break;
    }
    case Type::kObject: {
      Object object;
      object.reserve(v.size());
      for (const auto& [key, e] : v.members()) {
        object.emplace_back(std::string(key), ToValueAt(e, lines));
      }
      out = Value(std::move(object));
      break;
    }
  }
  out.set_pos(pos);
  return out;
}

}  // namespace

// Recursive descent; the recursion is bounded by kMaxDepth.
class TapeParser {
 public:
  explicit TapeParser(std::string_view text)
      : tape_(text), s_(text), entries_(tape_.entries_), arena_(tape_.arena_) {}

  Result<Tape> Run(Pos* error_pos) {
    tape_.line_starts_.push_back(0);
    if (s_.size() > kMaxTextSize) {
      Fail("document of 2 GiB or more");
      return Error(error_pos);
    }
    // Most flow files spend 10 or more bytes per value; growing past this costs a copy.
    entries_.reserve(s_.size() / 8 + 16);
    SkipWhitespace();
    if (!ParseValue(0, Key{})) {
      return Error(error_pos);
    }
    SkipWhitespace();
    if (i_ != s_.size()) {
      Fail("unexpected content after the JSON value");
      return Error(error_pos);
    }
    return std::move(tape_);
  }

 private:
  using Entry = Tape::Entry;

  // A decoded string: its bytes in the text, or a length-prefixed copy in the arena.
  struct Str {
    bool in_arena = false;
    uint32_t at = 0;
    uint32_t size = 0;
  };
  // The key of the value being parsed, as stored in its entry.
  struct Key {
    uint32_t at = 0;
    uint32_t bits = 0;
  };

  // Every newline before i_ was consumed by SkipWhitespace (a newline anywhere else is an
  // error at its own position), so the recorded line starts give i_'s line.
  Status Error(Pos* error_pos) const {
    const Pos pos{static_cast<uint32_t>(tape_.line_starts_.size()),
                  static_cast<uint32_t>(err_offset_ - tape_.line_starts_.back() + 1)};
    if (error_pos != nullptr) {
      *error_pos = pos;
    }
    return Status::InvalidArgument(std::to_string(pos.line) + ":" + std::to_string(pos.col) + ": " +
                                   err_);
  }

  bool Fail(std::string message) {
    if (err_.empty()) {
      err_ = std::move(message);
      err_offset_ = i_;
    }
    return false;
  }

  void SkipWhitespace() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i_;
      } else if (c == '\n') {
        tape_.line_starts_.push_back(static_cast<uint32_t>(++i_));
      } else {
        break;
      }
    }
  }

  void SetType(uint32_t index, Type type) { entries_[index].bits |= static_cast<uint32_t>(type); }

  bool ParseValue(int depth, Key key) {
    if (i_ >= s_.size()) {
      return Fail("unexpected end of input, expected a value");
    }
    const char c = s_[i_];
    // `depth` containers enclose this value; opening one more must stay within kMaxDepth.
    if (depth >= kMaxDepth && (c == '[' || c == '{')) {
      return Fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    const auto index = static_cast<uint32_t>(entries_.size());
    entries_.push_back(Entry{static_cast<uint32_t>(i_), 0, key.at, key.bits});
    switch (c) {
      case '{':
        SetType(index, Type::kObject);
        return ParseObject(index, depth);
      case '[':
        SetType(index, Type::kArray);
        return ParseArray(index, depth);
      case '"': {
        SetType(index, Type::kString);
        Str str;
        if (!ParseString(str)) {
          return false;
        }
        entries_[index].payload = str.in_arena ? str.at : str.size;
        if (str.in_arena) {
          entries_[index].bits |= Tape::kStringInArena;
        }
        return true;
      }
      case 't':
        SetType(index, Type::kBool);
        return ParseLiteral("true");
      case 'f':
        SetType(index, Type::kBool);
        return ParseLiteral("false");
      case 'n':
        SetType(index, Type::kNull);
        return ParseLiteral("null");
      default:
        if (c == '-' || IsDigit(c)) {
          SetType(index, Type::kNumber);
          return ParseNumber();
        }
        return Fail(std::string("unexpected character ") + Describe(c) + ", expected a value");
    }
  }

  bool ParseLiteral(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) {
      return Fail("invalid literal, expected '" + std::string(word) + "'");
    }
    i_ += word.size();
    return true;
  }

  // Validates the number; TapeValue::as_number reads it again from the text.
  bool ParseNumber() {
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
    return true;
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

  // Checks the UTF-8 sequence at i_ and steps over it; rejects overlongs and surrogates so
  // that every string we hand out is valid UTF-8.
  bool SkipUtf8() {
    const auto b0 = static_cast<unsigned char>(s_[i_]);
    const size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
    if (b0 < 0xC2 || b0 > 0xF4) {
      return Fail("invalid UTF-8 byte " + Describe(s_[i_]) + " in string");
    }
    if (i_ + len > s_.size()) {
      return Fail("truncated UTF-8 sequence in string");
    }
    size_t ill_formed = 0;
    if (Utf8SequenceAt(s_, i_, &ill_formed) != len) {
      return Fail("invalid UTF-8 sequence in string");
    }
    i_ += len;
    return true;
  }

  // A string from its opening quote at i_. Without escapes it stays in the text; the first
  // backslash moves it to the arena, decoded.
  bool ParseString(Str& out) {
    const size_t begin = ++i_;  // after the opening quote
    while (true) {
      if (i_ >= s_.size()) {
        return Fail("unterminated string");
      }
      const char c = s_[i_];
      if (kPlainStringByte[static_cast<unsigned char>(c)]) {
        ++i_;
      } else if (c == '"') {
        out = Str{false, static_cast<uint32_t>(begin), static_cast<uint32_t>(i_ - begin)};
        ++i_;
        return true;
      } else if (c == '\\') {
        break;
      } else if (!CheckRawByte()) {
        return false;
      }
    }
    const size_t at = arena_.size();
    arena_.append(sizeof(uint32_t), '\0');  // the length, once known
    arena_.append(s_.substr(begin, i_ - begin));
    if (!DecodeRest()) {
      return false;
    }
    const auto size = static_cast<uint32_t>(arena_.size() - at - sizeof(uint32_t));
    std::memcpy(arena_.data() + at, &size, sizeof size);
    out = Str{true, static_cast<uint32_t>(at), size};
    return true;
  }

  // A byte that is neither plain ASCII, a quote nor a backslash: a control character (an
  // error) or the start of a UTF-8 sequence.
  bool CheckRawByte() {
    const char c = s_[i_];
    if (static_cast<unsigned char>(c) < 0x20) {
      return Fail(c == '\n' ? "unterminated string (newline inside a string)"
                            : "control character " + Describe(c) + " inside a string");
    }
    return SkipUtf8();
  }

  // The rest of a string that has escapes, appended to the arena up to the closing quote.
  bool DecodeRest() {
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
        if (!DecodeEscape()) {
          return false;
        }
        continue;
      }
      const size_t start = i_;
      if (kPlainStringByte[static_cast<unsigned char>(c)]) {
        ++i_;
      } else if (!CheckRawByte()) {
        return false;
      }
      arena_.append(s_.substr(start, i_ - start));
    }
  }

  // One escape sequence from its backslash at i_.
  bool DecodeEscape() {
    ++i_;
    if (i_ >= s_.size()) {
      return Fail("unterminated string");
    }
    const char e = s_[i_++];
    switch (e) {
      case '"':
        arena_ += '"';
        return true;
      case '\\':
        arena_ += '\\';
        return true;
      case '/':
        arena_ += '/';
        return true;
      case 'b':
        arena_ += '\b';
        return true;
      case 'f':
        arena_ += '\f';
        return true;
      case 'n':
        arena_ += '\n';
        return true;
      case 'r':
        arena_ += '\r';
        return true;
      case 't':
        arena_ += '\t';
        return true;
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
        AppendUtf8(arena_, cp);
        return true;
      }
      default:
        --i_;
        // A control or non-ASCII byte is named in hex: the message stays printable UTF-8.
        return Fail(e > 0x20 && e < 0x7f ? std::string("invalid escape \\") + e + " in string"
                                         : "invalid escape: backslash followed by " + Describe(e));
    }
  }

  std::string_view View(const Str& str) const {
    return str.in_arena ? tape_.ArenaString(str.at) : s_.substr(str.at, str.size);
  }

  // A member's key as its value's entry stores it; a key too long for the entry's bits is
  // copied to the arena.
  Key KeyOf(const Str& str) {
    if (str.in_arena) {
      return Key{str.at, Tape::kKeyInArena};
    }
    if (str.size <= Tape::kMaxTextKeySize) {
      return Key{str.at, str.size << Tape::kKeySizeShift};
    }
    const auto at = static_cast<uint32_t>(arena_.size());
    arena_.append(reinterpret_cast<const char*>(&str.size), sizeof str.size);
    arena_.append(s_.substr(str.at, str.size));
    return Key{at, Tape::kKeyInArena};
  }

  bool ParseArray(uint32_t index, int depth) {
    ++i_;
    SkipWhitespace();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      entries_[index].payload = static_cast<uint32_t>(entries_.size());
      return true;
    }
    while (true) {
      SkipWhitespace();
      if (!ParseValue(depth + 1, Key{})) {
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
        entries_[index].payload = static_cast<uint32_t>(entries_.size());
        return true;
      }
      return Fail("expected ',' or ']' after an array element, found " + Describe(s_[i_]));
    }
  }

  bool ParseObject(uint32_t index, int depth) {
    ++i_;
    SkipWhitespace();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      entries_[index].payload = static_cast<uint32_t>(entries_.size());
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
      Str key;
      if (!ParseString(key)) {
        return false;
      }
      SkipWhitespace();
      if (i_ >= s_.size() || s_[i_] != ':') {
        return Fail("expected ':' after member name \"" + std::string(View(key)) + "\"");
      }
      ++i_;
      SkipWhitespace();
      if (!ParseValue(depth + 1, KeyOf(key))) {
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
        entries_[index].payload = static_cast<uint32_t>(entries_.size());
        return true;
      }
      return Fail("expected ',' or '}' after an object member, found " + Describe(s_[i_]));
    }
  }

  Tape tape_;
  std::string_view s_;
  std::vector<Entry>& entries_;
  std::string& arena_;
  size_t i_ = 0;
  std::string err_;
  size_t err_offset_ = 0;
};

Result<Tape> Tape::Parse(std::string_view text, Pos* error_pos) {
  return TapeParser(text).Run(error_pos);
}

Pos Tape::PosAt(uint32_t offset) const {
  const auto after = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const auto line = static_cast<uint32_t>(after - line_starts_.begin());  // >= 1: [0] == 0
  return Pos{line, offset - line_starts_[line - 1] + 1};
}

size_t Tape::MemoryUsage() const {
  return entries_.size() * sizeof(Entry) + arena_.size() + line_starts_.size() * sizeof(uint32_t);
}

Pos PosCursor::At(uint32_t offset) {
  // A few lines forward are walked; anything else is searched.
  constexpr size_t kWalk = 8;
  if (offset < starts_[line_] ||
      (line_ + kWalk < starts_.size() && starts_[line_ + kWalk] <= offset)) {
    line_ = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), offset) -
                                starts_.begin() - 1);
  } else {
    while (line_ + 1 < starts_.size() && starts_[line_ + 1] <= offset) {
      ++line_;
    }
  }
  return Pos{static_cast<uint32_t>(line_ + 1), offset - starts_[line_] + 1};
}

double TapeValue::as_number() const {
  assert(is_number());
  const std::string_view text = tape_->text_;
  double d = 0;
  std::from_chars(text.data() + offset(), text.data() + text.size(), d);
  return d;
}

size_t TapeValue::size() const {
  if (!is_array() && !is_object()) {
    return 0;
  }
  size_t n = 0;
  const uint32_t end = tape_->entries_[index_].payload;
  for (uint32_t i = index_ + 1; i < end; i = tape_->Next(i)) {
    ++n;
  }
  return n;
}

std::optional<TapeValue> TapeValue::Find(std::string_view key) const {
  for (const auto& [k, v] : members()) {
    if (k == key) {
      return v;
    }
  }
  return std::nullopt;
}

Value TapeValue::ToValue() const {
  PosCursor lines(*tape_);
  return ToValueAt(*this, lines);
}

}  // namespace parley::json
