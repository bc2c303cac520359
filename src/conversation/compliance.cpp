#include "conversation/compliance.hpp"

#include <array>

namespace parley::conversation {
namespace {

struct Keyword {
  std::string_view word;  // upper case
  ComplianceKind kind;
};

constexpr std::array kKeywords = {
    Keyword{"STOP", ComplianceKind::kStop},        Keyword{"STOPALL", ComplianceKind::kStop},
    Keyword{"UNSUBSCRIBE", ComplianceKind::kStop}, Keyword{"CANCEL", ComplianceKind::kStop},
    Keyword{"END", ComplianceKind::kStop},         Keyword{"QUIT", ComplianceKind::kStop},
    Keyword{"REVOKE", ComplianceKind::kStop},      Keyword{"OPTOUT", ComplianceKind::kStop},
    Keyword{"START", ComplianceKind::kStart},      Keyword{"UNSTOP", ComplianceKind::kStart},
    Keyword{"HELP", ComplianceKind::kHelp},        Keyword{"INFO", ComplianceKind::kHelp},
};

constexpr size_t kLongestKeyword = 11;  // UNSUBSCRIBE

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsAsciiPunct(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

bool EqualsUpper(std::string_view text, std::string_view upper) {
  if (text.size() != upper.size()) {
    return false;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
    if (c != upper[i]) {
      return false;
    }
  }
  return true;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && IsSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

const char* ComplianceKindName(ComplianceKind kind) {
  switch (kind) {
    case ComplianceKind::kNone:
      return "none";
    case ComplianceKind::kStop:
      return "stop";
    case ComplianceKind::kStart:
      return "start";
    case ComplianceKind::kHelp:
      return "help";
  }
  return "none";
}

ComplianceKind ClassifyCompliance(std::string_view body, std::string_view opt_out_type) {
  const std::string_view type = TrimSpace(opt_out_type);
  if (EqualsUpper(type, "STOP")) {
    return ComplianceKind::kStop;
  }
  if (EqualsUpper(type, "START")) {
    return ComplianceKind::kStart;
  }
  if (EqualsUpper(type, "HELP")) {
    return ComplianceKind::kHelp;
  }

  std::string_view word = TrimSpace(body);
  while (!word.empty() && (IsSpace(word.back()) || IsAsciiPunct(word.back()))) {
    word.remove_suffix(1);
  }
  if (word.empty() || word.size() > kLongestKeyword) {
    return ComplianceKind::kNone;
  }
  for (const Keyword& k : kKeywords) {
    if (EqualsUpper(word, k.word)) {
      return k.kind;
    }
  }
  return ComplianceKind::kNone;
}

}  // namespace parley::conversation
