// A small JSON document model that remembers where every value came from.
//
// Flow files are authored by hand, so every diagnostic must point at a line and column;
// general-purpose JSON libraries drop positions after parsing. Objects keep their members in
// file order and keep duplicate keys (the validator reports them). Values are immutable
// after parsing except through the mutators used to build session variables.
//
// Parsing is pure and bounded: nesting deeper than kMaxDepth is an error, never a stack
// overflow, and any byte sequence gets a Result, never a crash. Large documents read once are
// cheaper as a json::Tape (json_tape.hpp), the parser behind Parse.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.hpp"

namespace parley::json {

// 1-based line and column (column counts bytes). {0,0} means "not from a file".
struct Pos {
  uint32_t line = 0;
  uint32_t col = 0;
};

class Value;
using Array = std::vector<Value>;
using Member = std::pair<std::string, Value>;
using Object = std::vector<Member>;

enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
const char* TypeName(Type t);

class Value {
 public:
  Value() = default;                                // null
  Value(std::nullptr_t) {}                          // NOLINT
  Value(bool b) : v_(b) {}                          // NOLINT
  Value(double d) : v_(d) {}                        // NOLINT
  Value(int i) : v_(static_cast<double>(i)) {}      // NOLINT
  Value(int64_t i) : v_(static_cast<double>(i)) {}  // NOLINT
  Value(std::string s) : v_(std::move(s)) {}        // NOLINT
  Value(const char* s) : v_(std::string(s)) {}      // NOLINT
  Value(Array a) : v_(std::move(a)) {}              // NOLINT
  Value(Object o) : v_(std::move(o)) {}             // NOLINT

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_number() const { return type() == Type::kNumber; }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  // Accessors; calling the wrong one is a programming error (std::bad_variant_access).
  bool as_bool() const { return std::get<bool>(v_); }
  double as_number() const { return std::get<double>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  Array& as_array() { return std::get<Array>(v_); }
  Object& as_object() { return std::get<Object>(v_); }

  // Object lookup: the first member named `key`, or nullptr (also for non-objects).
  const Value* Find(std::string_view key) const;
  // Object update: replaces the first member named `key` or appends one. Precondition:
  // is_object().
  void Set(std::string_view key, Value v);
  // Object erase: removes every member named `key`; returns whether any was removed.
  bool Erase(std::string_view key);

  Pos pos() const { return pos_; }
  void set_pos(Pos p) { pos_ = p; }

  // Deep equality of content (positions ignored; numbers compare by value).
  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

 private:
  std::variant<std::nullptr_t, bool, double, std::string, Array, Object> v_;
  Pos pos_;
};

inline constexpr int kMaxDepth = 256;

// Parses one JSON document (RFC 8259; surrounding whitespace allowed, nothing else; less than
// 2 GiB). On failure the Status message starts with "line:col: " and, when `error_pos` is
// given, the position is also stored there.
Result<Value> Parse(std::string_view text, Pos* error_pos = nullptr);

// Compact serialization. Numbers that are integers print without a fraction ("3", not
// "3.0"); others print with up to 17 significant digits; NaN and infinities (which JSON
// cannot hold) print as null. Strings are escaped as JSON requires (control characters as
// \uXXXX; no HTML escaping), and ill-formed UTF-8 becomes U+FFFD: the output is always
// valid JSON.
std::string Serialize(const Value& v);

// Formats a number the way Serialize does, for templates and messages.
std::string FormatNumber(double d);

// Text of a scalar for templates: strings as is, numbers via FormatNumber, bools
// "true"/"false", null "" ; arrays and objects as compact JSON.
std::string ToDisplayString(const Value& v);

}  // namespace parley::json
