#include "test/support/twiml_parser.hpp"

#include <cstdint>
#include <optional>

#include "common/utf8.hpp"

namespace parley::testing {
namespace {

using twilio::TwimlMessage;

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr size_t kMaxCharRefDigits = 8;

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (!IsXmlSpace(c)) {
      return false;
    }
  }
  return true;
}

std::string_view TrimXmlSpace(std::string_view s) {
  while (!s.empty() && IsXmlSpace(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && IsXmlSpace(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

bool IsNameStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

bool IsXmlChar(uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= kMaxCodePoint);
}

// A tokenizer over the document plus the MessagingResponse structure on top of it. The
// structure is at most three elements deep (Response > Message > Body|Media), so the parser
// has no recursion and no stack to exhaust.
class TwimlParser {
 public:
  explicit TwimlParser(std::string_view xml) : xml_(xml) {}

  Result<std::vector<TwimlMessage>> Parse() {
    if (!IsValidUtf8(xml_)) {
      return Status::InvalidArgument("TwiML is not valid UTF-8");
    }
    if (xml_.substr(0, 5) == "<?xml") {
      const size_t end = xml_.find("?>");
      if (end == std::string_view::npos) {
        return Error(0, "unterminated XML declaration");
      }
      pos_ = end + 2;
    }
    PARLEY_RETURN_IF_ERROR(SkipMisc());
    if (pos_ >= xml_.size()) {
      return Error(pos_, "no root element");
    }
    Tag root;
    PARLEY_RETURN_IF_ERROR(ReadStartTag(root));
    if (root.name != "Response") {
      return Error(root.offset, "root element is <" + root.name + ">, not <Response>");
    }
    std::vector<TwimlMessage> messages;
    if (!root.self_closing) {
      PARLEY_RETURN_IF_ERROR(ReadResponseContent(messages));
    }
    PARLEY_RETURN_IF_ERROR(SkipMisc());
    if (pos_ < xml_.size()) {
      return Error(pos_, "content after the root element");
    }
    return messages;
  }

 private:
  struct Tag {
    std::string name;
    bool self_closing = false;
    size_t offset = 0;
  };

  Status Error(size_t at, std::string_view why) const {
    return Status::InvalidArgument("bad TwiML at byte " + std::to_string(at) + ": " +
                                   std::string(why));
  }

  bool LookingAt(std::string_view s) const { return xml_.substr(pos_, s.size()) == s; }

  void SkipSpace() {
    while (pos_ < xml_.size() && IsXmlSpace(xml_[pos_])) {
      ++pos_;
    }
  }

  Status SkipComment() {
    const size_t end = xml_.find("-->", pos_ + 4);
    if (end == std::string_view::npos) {
      return Error(pos_, "unterminated comment");
    }
    pos_ = end + 3;
    return Status::Ok();
  }

  // Whitespace and comments outside the root element.
  Status SkipMisc() {
    for (;;) {
      SkipSpace();
      if (LookingAt("<!--")) {
        PARLEY_RETURN_IF_ERROR(SkipComment());
      } else if (LookingAt("<!")) {
        return Error(pos_, "DOCTYPE and other declarations are not allowed");
      } else if (LookingAt("<?")) {
        return Error(pos_, "processing instruction (an XML declaration must come first)");
      } else if (pos_ < xml_.size() && xml_[pos_] != '<') {
        return Error(pos_, "text outside the root element");
      } else {
        return Status::Ok();
      }
    }
  }

  Status ReadName(std::string& name) {
    if (pos_ >= xml_.size() || !IsNameStart(xml_[pos_])) {
      return Error(pos_, "expected a name");
    }
    const size_t begin = pos_;
    while (pos_ < xml_.size() && IsNameChar(xml_[pos_])) {
      ++pos_;
    }
    name.assign(xml_.substr(begin, pos_ - begin));
    return Status::Ok();
  }

  // At '&': decodes one entity or character reference onto `out`.
  Status ReadReference(std::string& out) {
    const size_t at = pos_;
    const size_t semi = xml_.find(';', pos_);
    if (semi == std::string_view::npos || semi - pos_ > kMaxCharRefDigits + 3) {
      return Error(at, "'&' must start an entity such as &amp;");
    }
    const std::string_view ref = xml_.substr(pos_ + 1, semi - pos_ - 1);
    pos_ = semi + 1;
    if (ref == "amp") {
      out += '&';
    } else if (ref == "lt") {
      out += '<';
    } else if (ref == "gt") {
      out += '>';
    } else if (ref == "quot") {
      out += '"';
    } else if (ref == "apos") {
      out += '\'';
    } else if (ref.size() >= 2 && ref[0] == '#') {
      const bool hex = ref[1] == 'x';
      const std::string_view digits = ref.substr(hex ? 2 : 1);
      if (digits.empty() || digits.size() > kMaxCharRefDigits) {
        return Error(at, "bad character reference");
      }
      uint32_t cp = 0;
      for (char c : digits) {
        int d = -1;
        if (c >= '0' && c <= '9') {
          d = c - '0';
        } else if (hex && c >= 'a' && c <= 'f') {
          d = c - 'a' + 10;
        } else if (hex && c >= 'A' && c <= 'F') {
          d = c - 'A' + 10;
        }
        if (d < 0) {
          return Error(at, "bad character reference");
        }
        cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
        if (cp > kMaxCodePoint) {
          return Error(at, "character reference beyond U+10FFFF");
        }
      }
      if (!IsXmlChar(cp)) {
        return Error(at, "character reference to a character XML does not allow");
      }
      AppendUtf8(out, cp);
    } else {
      return Error(at, "unknown entity (only &amp; &lt; &gt; &quot; &apos; and &#...;)");
    }
    return Status::Ok();
  }

  // At '<' of a start tag: name, attributes (checked, then ignored), '>' or '/>'.
  Status ReadStartTag(Tag& tag) {
    tag.offset = pos_;
    ++pos_;
    PARLEY_RETURN_IF_ERROR(ReadName(tag.name));
    std::vector<std::string> seen;
    for (;;) {
      const size_t before = pos_;
      SkipSpace();
      if (pos_ >= xml_.size()) {
        return Error(tag.offset, "unterminated tag <" + tag.name + ">");
      }
      if (LookingAt("/>")) {
        pos_ += 2;
        tag.self_closing = true;
        return Status::Ok();
      }
      if (xml_[pos_] == '>') {
        ++pos_;
        return Status::Ok();
      }
      if (pos_ == before) {
        return Error(pos_, "expected whitespace, '>' or '/>' in <" + tag.name + ">");
      }
      std::string attribute;
      PARLEY_RETURN_IF_ERROR(ReadName(attribute));
      for (const std::string& s : seen) {
        if (s == attribute) {
          return Error(pos_, "duplicate attribute '" + attribute + "'");
        }
      }
      seen.push_back(attribute);
      SkipSpace();
      if (pos_ >= xml_.size() || xml_[pos_] != '=') {
        return Error(pos_, "expected '=' after attribute '" + attribute + "'");
      }
      ++pos_;
      SkipSpace();
      if (pos_ >= xml_.size() || (xml_[pos_] != '"' && xml_[pos_] != '\'')) {
        return Error(pos_, "attribute value must be quoted");
      }
      const char quote = xml_[pos_++];
      std::string value;
      for (;;) {
        if (pos_ >= xml_.size()) {
          return Error(pos_, "unterminated attribute value");
        }
        const char c = xml_[pos_];
        if (c == quote) {
          ++pos_;
          break;
        }
        if (c == '<') {
          return Error(pos_, "'<' in an attribute value");
        }
        if (c == '&') {
          PARLEY_RETURN_IF_ERROR(ReadReference(value));
        } else {
          ++pos_;
        }
      }
    }
  }

  // At "</": the end tag, which must close `name`.
  Status ReadEndTag(std::string_view name) {
    const size_t at = pos_;
    pos_ += 2;
    std::string closing;
    PARLEY_RETURN_IF_ERROR(ReadName(closing));
    SkipSpace();
    if (pos_ >= xml_.size() || xml_[pos_] != '>') {
      return Error(pos_, "expected '>' to end </" + closing + ">");
    }
    ++pos_;
    if (closing != name) {
      return Error(at, "</" + closing + "> does not close <" + std::string(name) + ">");
    }
    return Status::Ok();
  }

  // Character data up to the next tag (CDATA sections and comments included; comments are
  // dropped), appended to `out`. Stops at '<' of a tag or end tag, or at the end.
  Status ReadText(std::string& out) {
    while (pos_ < xml_.size()) {
      const char c = xml_[pos_];
      if (c == '&') {
        PARLEY_RETURN_IF_ERROR(ReadReference(out));
      } else if (LookingAt("<![CDATA[")) {
        const size_t end = xml_.find("]]>", pos_ + 9);
        if (end == std::string_view::npos) {
          return Error(pos_, "unterminated CDATA section");
        }
        PARLEY_RETURN_IF_ERROR(CheckChars(pos_ + 9, end));
        out.append(xml_.substr(pos_ + 9, end - pos_ - 9));
        pos_ = end + 3;
      } else if (LookingAt("<!--")) {
        PARLEY_RETURN_IF_ERROR(SkipComment());
      } else if (c == '<') {
        return Status::Ok();
      } else {
        PARLEY_RETURN_IF_ERROR(CheckChars(pos_, pos_ + 1));
        out += c;
        ++pos_;
      }
    }
    return Status::Ok();
  }

  // Text must consist of XML 1.0 characters: no C0 controls but tab, LF and CR, no U+FFFE or
  // U+FFFF (the input is already known to be valid UTF-8).
  Status CheckChars(size_t begin, size_t end) const {
    for (size_t i = begin; i < end; ++i) {
      const auto u = static_cast<unsigned char>(xml_[i]);
      if (u < 0x20 && !IsXmlSpace(xml_[i])) {
        return Error(i, "control character in text");
      }
      if (u == 0xEF && xml_.substr(i, 2) == "\xEF\xBF" && i + 2 < xml_.size() &&
          static_cast<unsigned char>(xml_[i + 2]) >= 0xBE) {
        return Error(i, "U+FFFE or U+FFFF in text");
      }
    }
    return Status::Ok();
  }

  // The text content of a <Body> or <Media> element (no child elements allowed).
  Status ReadTextElement(const Tag& tag, std::string& out) {
    if (tag.self_closing) {
      return Status::Ok();
    }
    PARLEY_RETURN_IF_ERROR(ReadText(out));
    if (pos_ >= xml_.size()) {
      return Error(tag.offset, "<" + tag.name + "> is not closed");
    }
    if (!LookingAt("</")) {
      return Error(pos_, "<" + tag.name + "> may contain only text");
    }
    return ReadEndTag(tag.name);
  }

  Status ReadMessage(const Tag& message_tag, TwimlMessage& message) {
    if (message_tag.self_closing) {
      return Status::Ok();
    }
    std::string direct_text;
    bool has_children = false;
    bool has_body = false;
    for (;;) {
      PARLEY_RETURN_IF_ERROR(ReadText(direct_text));
      if (pos_ >= xml_.size()) {
        return Error(message_tag.offset, "<Message> is not closed");
      }
      if (LookingAt("</")) {
        PARLEY_RETURN_IF_ERROR(ReadEndTag("Message"));
        break;
      }
      Tag child;
      PARLEY_RETURN_IF_ERROR(ReadStartTag(child));
      has_children = true;
      if (child.name == "Body") {
        if (has_body) {
          return Error(child.offset, "more than one <Body> in a <Message>");
        }
        has_body = true;
        PARLEY_RETURN_IF_ERROR(ReadTextElement(child, message.body));
      } else if (child.name == "Media") {
        std::string url;
        PARLEY_RETURN_IF_ERROR(ReadTextElement(child, url));
        message.media.emplace_back(TrimXmlSpace(url));
      } else {
        return Error(child.offset, "<" + child.name + "> is not allowed in <Message>");
      }
    }
    if (!has_children) {
      message.body = std::move(direct_text);
    } else if (!IsBlank(direct_text)) {
      if (has_body) {
        return Error(message_tag.offset, "<Message> has both text and a <Body>");
      }
      message.body = std::move(direct_text);
    }
    return Status::Ok();
  }

  Status ReadResponseContent(std::vector<TwimlMessage>& messages) {
    for (;;) {
      std::string text;
      const size_t text_at = pos_;
      PARLEY_RETURN_IF_ERROR(ReadText(text));
      if (!IsBlank(text)) {
        return Error(text_at, "text directly inside <Response>");
      }
      if (pos_ >= xml_.size()) {
        return Error(pos_, "<Response> is not closed");
      }
      if (LookingAt("</")) {
        return ReadEndTag("Response");
      }
      Tag verb;
      PARLEY_RETURN_IF_ERROR(ReadStartTag(verb));
      if (verb.name != "Message") {
        return Error(verb.offset, "unsupported verb <" + verb.name + "> (only <Message>)");
      }
      TwimlMessage message;
      PARLEY_RETURN_IF_ERROR(ReadMessage(verb, message));
      messages.push_back(std::move(message));
    }
  }

  std::string_view xml_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::vector<twilio::TwimlMessage>> ParseTwiml(std::string_view xml) {
  return TwimlParser(xml).Parse();
}

}  // namespace parley::testing
