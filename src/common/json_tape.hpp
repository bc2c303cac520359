// A read-only JSON document as a flat array ("tape") of 16-byte entries, for documents that
// are read once and may be large: the flow loader compiles a 30 MB flow straight from it.
//
// Where the DOM (json.hpp) gives every value its own heap objects, the tape keeps one entry per
// value in document order (a container's entry, then its whole subtree), with the member's key
// in the entry of its value. Strings without escapes are views into the parsed text; only
// escaped strings are decoded, into one arena. Numbers are read from the text when asked for.
// Positions are byte offsets; line:column is looked up in a table of line starts when asked.
//
// The grammar, the limits and every error message are those of json::Parse, which is built on
// this parser. Nesting deeper than kMaxDepth is an error, never a stack overflow; any byte
// sequence gets a Result, never a crash. Documents of 2 GiB or more are rejected (offsets are
// 32-bit).
//
// Ownership and threads: a Tape refers to the text it was parsed from, which must outlive it.
// TapeValue handles point at their Tape, so a Tape must stay where it is (not be moved or
// destroyed) while handles into it are in use. A Tape is immutable after parsing: any number of
// threads may read it at once.
#pragma once

#include <cassert>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "common/status.hpp"

namespace parley::json {

class Tape;

// One value of a Tape: a pointer and an index, cheap to copy. Calling an accessor for the
// wrong type is a programming error (checked by assert in debug builds).
class TapeValue {
 public:
  Type type() const;
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_number() const { return type() == Type::kNumber; }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  bool as_bool() const;
  double as_number() const;
  // The decoded string: a view into the text or the tape's arena, valid as long as both.
  std::string_view as_string() const;

  class ElementRange;
  class MemberRange;
  // Array elements in order (empty for anything but an array).
  ElementRange elements() const;
  // Object members in file order, duplicate keys included (empty for anything but an object).
  MemberRange members() const;
  // Elements of an array or members of an object (counted by walking them); 0 otherwise.
  size_t size() const;
  bool empty() const;
  // Values nested in this one, at any depth (0 for a scalar); constant time.
  uint32_t nested_count() const;
  // The first member named `key`, or nullopt (also for non-objects).
  std::optional<TapeValue> Find(std::string_view key) const;

  // Where the value starts in the text: a byte offset, and its 1-based line and column
  // (a binary search over the line starts).
  uint32_t offset() const;
  Pos pos() const;

  // A deep DOM copy, positions included.
  Value ToValue() const;

  // The entry's place on the tape: values are numbered in document order.
  uint32_t index() const { return index_; }
  const Tape& tape() const { return *tape_; }

 private:
  friend class Tape;
  TapeValue(const Tape* tape, uint32_t index) : tape_(tape), index_(index) {}

  const Tape* tape_;
  uint32_t index_;
};

struct TapeMember {
  std::string_view key;  // decoded
  TapeValue value;
};

class Tape {
 public:
  // Parses one JSON document (RFC 8259; surrounding whitespace allowed, nothing else). On
  // failure the Status message starts with "line:col: " and, when `error_pos` is given, the
  // position is also stored there. `text` must outlive the Tape.
  static Result<Tape> Parse(std::string_view text, Pos* error_pos = nullptr);

  TapeValue root() const { return TapeValue(this, 0); }
  // The value at `index` (from TapeValue::index()). Precondition: index < value_count().
  TapeValue at(uint32_t index) const { return TapeValue(this, index); }
  size_t value_count() const { return entries_.size(); }

  // Line and column of a byte offset into the text.
  Pos PosAt(uint32_t offset) const;

  std::string_view text() const { return text_; }
  // Bytes the tape uses (entries, escaped strings, line starts), for measurements. It may hold
  // more address space, reserved but never touched.
  size_t MemoryUsage() const;

 private:
  friend class TapeValue;
  friend class TapeParser;
  friend class PosCursor;

  // One value. `bits` holds the type (3 bits), whether the string value and the key are in
  // the arena (1 bit each) and the key's length in the text (the remaining 27; longer keys
  // go to the arena).
  struct Entry {
    uint32_t offset;   // the value's first byte in the text
    uint32_t payload;  // array/object: index of the entry after its subtree;
                       // string: its length in the text, or its arena offset
    uint32_t key;      // the member's key: offset of its first byte in the text, or in the arena
    uint32_t bits;
  };
  static_assert(sizeof(Entry) == 16);
  static constexpr uint32_t kTypeMask = 0x7;
  static constexpr uint32_t kStringInArena = 0x8;
  static constexpr uint32_t kKeyInArena = 0x10;
  static constexpr int kKeySizeShift = 5;
  static constexpr uint32_t kMaxTextKeySize = (1u << (32 - kKeySizeShift)) - 1;

  explicit Tape(std::string_view text) : text_(text) {}

  // After a container's entry come its children; any other entry has none.
  uint32_t Next(uint32_t index) const {
    const Entry& e = entries_[index];
    const auto type = static_cast<Type>(e.bits & kTypeMask);
    return type == Type::kArray || type == Type::kObject ? e.payload : index + 1;
  }
  // A length-prefixed string in the arena.
  std::string_view ArenaString(uint32_t at) const {
    uint32_t size = 0;
    std::memcpy(&size, arena_.data() + at, sizeof size);
    return std::string_view(arena_.data() + at + sizeof size, size);
  }
  std::string_view Key(uint32_t index) const {
    const Entry& e = entries_[index];
    return (e.bits & kKeyInArena) != 0 ? ArenaString(e.key)
                                       : text_.substr(e.key, e.bits >> kKeySizeShift);
  }

  std::string_view text_;
  std::vector<Entry> entries_;
  std::string arena_;                  // decoded escaped strings and overlong keys
  std::vector<uint32_t> line_starts_;  // offset of each line's first byte; [0] == 0
};

// Line and column of offsets visited in document order: a step of a few lines from the
// previous offset is walked, where Tape::PosAt always searches. For walks over many values.
class PosCursor {
 public:
  explicit PosCursor(const Tape& tape) : starts_(tape.line_starts_) {}
  Pos At(uint32_t offset);

 private:
  const std::vector<uint32_t>& starts_;
  size_t line_ = 0;  // index in starts_ of the previous offset's line
};

class TapeValue::ElementRange {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = TapeValue;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = TapeValue;
    Iterator() = default;
    Iterator(const Tape* tape, uint32_t index) : tape_(tape), index_(index) {}
    TapeValue operator*() const { return TapeValue(tape_, index_); }
    Iterator& operator++() {
      index_ = tape_->Next(index_);
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator& o) const { return index_ == o.index_; }

   private:
    const Tape* tape_ = nullptr;
    uint32_t index_ = 0;
  };
  ElementRange(const Tape* tape, uint32_t begin, uint32_t end)
      : begin_(tape, begin), end_(tape, end) {}
  Iterator begin() const { return begin_; }
  Iterator end() const { return end_; }

 private:
  Iterator begin_;
  Iterator end_;
};

class TapeValue::MemberRange {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = TapeMember;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = TapeMember;
    Iterator() = default;
    Iterator(const Tape* tape, uint32_t index) : tape_(tape), index_(index) {}
    TapeMember operator*() const { return {tape_->Key(index_), TapeValue(tape_, index_)}; }
    Iterator& operator++() {
      index_ = tape_->Next(index_);
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator& o) const { return index_ == o.index_; }

   private:
    const Tape* tape_ = nullptr;
    uint32_t index_ = 0;
  };
  MemberRange(const Tape* tape, uint32_t begin, uint32_t end)
      : begin_(tape, begin), end_(tape, end) {}
  Iterator begin() const { return begin_; }
  Iterator end() const { return end_; }

 private:
  Iterator begin_;
  Iterator end_;
};

inline Type TapeValue::type() const {
  return static_cast<Type>(tape_->entries_[index_].bits & Tape::kTypeMask);
}

inline bool TapeValue::as_bool() const {
  assert(is_bool());
  return tape_->text_[tape_->entries_[index_].offset] == 't';
}

inline std::string_view TapeValue::as_string() const {
  assert(is_string());
  const Tape::Entry& e = tape_->entries_[index_];
  return (e.bits & Tape::kStringInArena) != 0 ? tape_->ArenaString(e.payload)
                                              : tape_->text_.substr(e.offset + 1, e.payload);
}

inline TapeValue::ElementRange TapeValue::elements() const {
  if (!is_array()) {
    return ElementRange(tape_, index_, index_);
  }
  return ElementRange(tape_, index_ + 1, tape_->entries_[index_].payload);
}

inline TapeValue::MemberRange TapeValue::members() const {
  if (!is_object()) {
    return MemberRange(tape_, index_, index_);
  }
  return MemberRange(tape_, index_ + 1, tape_->entries_[index_].payload);
}

inline bool TapeValue::empty() const {
  const Type t = type();
  return (t != Type::kArray && t != Type::kObject) || tape_->entries_[index_].payload == index_ + 1;
}

inline uint32_t TapeValue::nested_count() const { return tape_->Next(index_) - index_ - 1; }

inline uint32_t TapeValue::offset() const { return tape_->entries_[index_].offset; }

inline Pos TapeValue::pos() const { return tape_->PosAt(offset()); }

}  // namespace parley::json
