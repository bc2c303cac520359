#include "twilio/twiml.hpp"

#include <cstdint>
#include <optional>

#include "common/utf8.hpp"

namespace parley::twilio {
namespace {

constexpr std::string_view kXmlDeclaration = R"(<?xml version="1.0" encoding="UTF-8"?>)";

// Appends `text` as XML character data: valid UTF-8, XML 1.0 characters only, & < > escaped.
void AppendEscaped(std::string& out, std::string_view text) {
  std::string repaired;
  if (!IsValidUtf8(text)) {
    repaired = ToValidUtf8(text);
    text = repaired;
  }
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto u = static_cast<unsigned char>(c);
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      continue;  // C0 controls are not XML 1.0 characters
    } else if (u == 0xEF && i + 2 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0xBF &&
               (static_cast<unsigned char>(text[i + 2]) == 0xBE ||
                static_cast<unsigned char>(text[i + 2]) == 0xBF)) {
      i += 2;  // U+FFFE and U+FFFF are not XML characters either
    } else {
      out += c;
    }
  }
}

void AppendElement(std::string& out, std::string_view name, std::string_view text) {
  out += '<';
  out += name;
  out += '>';
  AppendEscaped(out, text);
  out += "</";
  out += name;
  out += '>';
}

}  // namespace

std::string RenderTwiml(const std::vector<TwimlMessage>& messages) {
  std::string out(kXmlDeclaration);
  if (messages.empty()) {
    out += "<Response />";
    return out;
  }
  out += "<Response>";
  for (const TwimlMessage& m : messages) {
    if (m.media.empty()) {
      if (m.body.empty()) {
        out += "<Message />";
      } else {
        AppendElement(out, "Message", m.body);
      }
      continue;
    }
    out += "<Message>";
    if (!m.body.empty()) {
      AppendElement(out, "Body", m.body);
    }
    for (const std::string& url : m.media) {
      AppendElement(out, "Media", url);
    }
    out += "</Message>";
  }
  out += "</Response>";
  return out;
}

}  // namespace parley::twilio
