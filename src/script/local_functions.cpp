#include "script/local_functions.hpp"

#include <algorithm>

namespace parley::script {

namespace {

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Reads one scanned position at a time: identifiers whole, comments skipped.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  // The next identifier or single character after spaces and comments; "" at the end.
  std::string_view Next() {
    SkipSpaceAndComments();
    if (pos_ >= text_.size()) {
      return {};
    }
    const size_t start = pos_;
    if (IsIdentStart(text_[pos_])) {
      while (pos_ < text_.size() && IsIdentChar(text_[pos_])) {
        ++pos_;
      }
    } else {
      ++pos_;
    }
    return text_.substr(start, pos_ - start);
  }
  size_t pos() const { return pos_; }
  void set_pos(size_t pos) { pos_ = pos; }

 private:
  void SkipSpaceAndComments() {
    while (pos_ < text_.size()) {
      if (IsSpace(text_[pos_])) {
        ++pos_;
      } else if (text_.substr(pos_, 2) == "--") {
        // A long comment --[[ ... ]] (or --[==[ ... ]==]) or one to the end of the line.
        size_t level = pos_ + 2;
        if (level < text_.size() && text_[level] == '[') {
          size_t eq = level + 1;
          while (eq < text_.size() && text_[eq] == '=') {
            ++eq;
          }
          if (eq < text_.size() && text_[eq] == '[') {
            const std::string close = "]" + std::string(eq - level - 1, '=') + "]";
            const size_t end = text_.find(close, eq + 1);
            pos_ = end == std::string_view::npos ? text_.size() : end + close.size();
            continue;
          }
        }
        const size_t end = text_.find('\n', pos_);
        pos_ = end == std::string_view::npos ? text_.size() : end + 1;
      } else {
        return;
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::vector<std::string> LocalFunctionNames(std::string_view source) {
  std::vector<std::string> names;
  Scanner scan(source);
  for (std::string_view token = scan.Next(); !token.empty(); token = scan.Next()) {
    if (token != "local") {
      continue;
    }
    const size_t after_local = scan.pos();
    std::string_view next = scan.Next();
    if (next == "function") {
      const std::string_view name = scan.Next();
      if (!name.empty() && IsIdentStart(name[0])) {
        names.emplace_back(name);
      }
      continue;
    }
    // local name = function
    if (!next.empty() && IsIdentStart(next[0]) && scan.Next() == "=" && scan.Next() == "function") {
      names.emplace_back(next);
      continue;
    }
    scan.set_pos(after_local);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace parley::script
