#include "app/scaffold.hpp"

#include <array>

namespace parley::app {

namespace {

constexpr std::array<std::string_view, 22> kLuaKeywords = {
    "and",      "break",  "do",   "else", "elseif", "end",  "false", "for",
    "function", "goto",   "if",   "in",   "local",  "nil",  "not",   "or",
    "repeat",   "return", "then", "true", "until",  "while"};

bool IsLuaName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
    return false;
  }
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  for (const std::string_view keyword : kLuaKeywords) {
    if (name == keyword) {
      return false;
    }
  }
  return true;
}

// A Lua string literal: quotes, backslashes and every byte below 0x20 or 0x7f escaped.
std::string LuaString(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      // \ddd: three digits, so a digit after it cannot join the escape.
      out += '\\';
      out += static_cast<char>('0' + byte / 100);
      out += static_cast<char>('0' + byte / 10 % 10);
      out += static_cast<char>('0' + byte % 10);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Text for a comment line: a control character would end the comment.
std::string CommentText(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte < 0x20 || byte == 0x7f ? '?' : c;
  }
  return out;
}

}  // namespace

std::string ScaffoldStubs(const std::vector<flow::MissingHandler>& missing,
                          std::string_view flow_file, bool header) {
  std::string out;
  if (header) {
    out += "-- Handlers for " + CommentText(flow_file) +
           ", stubbed by `parley scaffold`: conditions return\n"
           "-- false and actions do nothing until they are written (docs/flow-format.md,\n"
           "-- \"Lua handlers\"). Conditions get a read-only ctx; actions use ctx:send, ctx:set,\n"
           "-- ctx:timer. Helpers should be `local`: every global function is a handler.\n";
  }
  for (const flow::MissingHandler& m : missing) {
    if (m.local_in_script) {
      continue;
    }
    const bool condition = m.as_condition;
    out += "\n-- ";
    out += condition && m.as_action ? "Condition and action" : condition ? "Condition" : "Action";
    out += ", used at";
    if (m.uses.size() == 1) {
      out += " ";
    } else {
      out += ":\n--   ";
    }
    for (size_t i = 0; i < m.uses.size(); ++i) {
      const auto& use = m.uses[i];
      if (i > 0) {
        out += "\n--   ";
      }
      out += CommentText(flow_file) + ":" + std::to_string(use.pos.line) + ":" +
             std::to_string(use.pos.col) + " " + CommentText(use.path);
    }
    out += "\n";
    out += IsLuaName(m.name) ? "function " + m.name + "(ctx)\n"
                             : "_G[" + LuaString(m.name) + "] = function(ctx)\n";
    out += condition ? "  return false\nend\n" : "end\n";
  }
  return out;
}

}  // namespace parley::app
