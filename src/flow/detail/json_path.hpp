// JSON paths for diagnostics ("states[0].enter[1].send"), spelled out only when a diagnostic
// needs one: a large flow has millions of values and almost never a diagnostic about them.
// Internal to the loader.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::flow::detail {

// A path as a chain of links on the caller's stack: each link adds a key or an index to its
// parent; the root is the text of a path ("" for the document). Making one costs nothing;
// str() spells it out: Child of "" is the key itself ("condition"), Index appends "[1]".
//
// A JsonPath refers to its parent and to its key's characters: pass paths down the call
// stack, and keep str() when a path must outlive the call.
class JsonPath {
 public:
  JsonPath(std::string_view text) : text_(text) {}    // NOLINT(google-explicit-constructor)
  JsonPath(const char* text) : text_(text) {}         // NOLINT(google-explicit-constructor)
  JsonPath(const std::string& text) : text_(text) {}  // NOLINT(google-explicit-constructor)
  JsonPath() = default;

  JsonPath Child(std::string_view key) const { return JsonPath(this, key, kNoIndex); }
  JsonPath Index(size_t i) const { return JsonPath(this, {}, i); }

  std::string str() const;

 private:
  static constexpr size_t kNoIndex = static_cast<size_t>(-1);
  JsonPath(const JsonPath* parent, std::string_view key, size_t index)
      : parent_(parent), text_(key), index_(index) {}

  void AppendTo(std::string& out) const;

  const JsonPath* parent_ = nullptr;
  std::string_view text_;  // the root's path, or this link's key
  size_t index_ = kNoIndex;
};

}  // namespace parley::flow::detail
