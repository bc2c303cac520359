// application/x-www-form-urlencoded bodies, as Twilio sends and signs them.
//
// Twilio's webhook body is a form whose values are the raw bytes it signed: the signature
// (signature.hpp) is computed over the decoded bytes, so decoding keeps them exactly, even
// when they are not UTF-8. Convert with ToValidUtf8 (common/utf8.hpp) before a value leaves the
// webhook layer (flow engine, database, logs).
//
// All functions here are pure and thread-safe; a Form is a plain value (no sharing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.hpp"
#include "common/utf8.hpp"

namespace parley::twilio {

// An ordered multimap of decoded form fields. Repeated names are kept, in body order.
//
// Storage is one byte buffer plus one small index entry per field, so decoding a typical
// webhook (20 fields) costs two allocations. The string_views handed out point into the
// Form and stay valid until the Form is modified (Add/Set) or destroyed.
class Form {
 public:
  using Field = std::pair<std::string_view, std::string_view>;

  Form() = default;

  // Number of fields (repeats counted).
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }

  // The i-th field in order; precondition i < size().
  Field at(size_t i) const;

  // The first value of `name` (exact, case-sensitive), or nullopt if absent.
  std::optional<std::string_view> Find(std::string_view name) const;
  // The first value of `name`, or empty if absent (use Find to tell absent from empty).
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Find(name).has_value(); }
  // Every value of `name`, in order.
  std::vector<std::string_view> All(std::string_view name) const;

  // Appends a field (repeats allowed). `name` and `value` may point into this Form.
  void Add(std::string_view name, std::string_view value);
  // Replaces the first field named `name` in place and drops later repeats; appends when
  // absent. Meant for building requests (tests, the driver), not for the hot path.
  void Set(std::string_view name, std::string_view value);

  class Iterator {
   public:
    using value_type = Field;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    Iterator(const Form* form, size_t i) : form_(form), i_(i) {}
    Field operator*() const { return form_->at(i_); }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++i_;
      return old;
    }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }

   private:
    const Form* form_ = nullptr;
    size_t i_ = 0;
  };
  Iterator begin() const { return {this, 0}; }
  Iterator end() const { return {this, fields_.size()}; }

 private:
  friend Result<Form> DecodeForm(std::string_view body);

  struct Span {
    uint32_t name_offset;
    uint32_t name_size;
    uint32_t value_offset;
    uint32_t value_size;
  };
  // Whether `s` points into bytes_ (so appending to bytes_ could invalidate it).
  bool PointsInside(std::string_view s) const;
  std::string_view View(uint32_t offset, uint32_t size) const {
    return std::string_view(bytes_).substr(offset, size);
  }

  std::string bytes_;  // decoded names and values, back to back
  std::vector<Span> fields_;
};

// Decodes an application/x-www-form-urlencoded body: fields separated by '&', name and
// value by the first '='; '+' is a space and %XX (either hex case) a byte. Empty segments
// ("a=1&&b=2", a trailing '&') are skipped; a segment without '=' is a name with an empty
// value. ';' is not a separator. Bytes other than '+' and '%' are taken as they are.
// Fails with InvalidArgument naming the byte offset and the reason on a bad escape
// ("%G1", a truncated "%4") or when the body exceeds 4 GiB. Never crashes on any input.
Result<Form> DecodeForm(std::string_view body);

// Encodes fields the way Twilio does: unreserved characters (A-Z a-z 0-9 - . _ ~) are
// kept, a space becomes '+', every other byte %XX with upper-case hex ("It's" ->
// "It%27s", "+1415" -> "%2B1415"). Fields are joined with '&' in order.
std::string EncodeForm(const Form& fields);

// Percent-encodes one component with the same rules as EncodeForm.
std::string FormEscape(std::string_view raw);

}  // namespace parley::twilio
