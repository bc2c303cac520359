// TwiML MessagingResponse: the XML body parley answers a Twilio messaging webhook with
// (docs/architecture.md; Twilio's MessagingResponse). The strict parser that checks what
// parley answered is test support (test/support/twiml_parser.hpp).
//
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace parley::twilio {

// One <Message> verb: a text and zero or more media URLs. `to`/`from` attributes are not
// modelled: replies go to the sender from the number that received the message (Twilio's
// defaults).
struct TwimlMessage {
  std::string body;
  std::vector<std::string> media;

  bool operator==(const TwimlMessage&) const = default;
};

// Content-Type for RenderTwiml's output.
inline constexpr std::string_view kTwimlContentType = "text/xml";

// Serialises exactly as Twilio's helper libraries do: the declaration
// <?xml version="1.0" encoding="UTF-8"?> and then, with no whitespace between elements,
//   {}               -> <Response />
//   {{"Hello"}}      -> <Response><Message>Hello</Message></Response>
//   {{"Hi", {"u"}}}  -> <Response><Message><Body>Hi</Body><Media>u</Media></Message></Response>
//   {{"", {"u"}}}    -> <Response><Message><Media>u</Media></Message></Response>
//   {{""}}           -> <Response><Message /></Response>
// Text is made safe for XML 1.0: ill-formed UTF-8 becomes U+FFFD, characters XML forbids
// (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF) are dropped, and & < > are
// escaped as &amp; &lt; &gt;. Never fails.
std::string RenderTwiml(const std::vector<TwimlMessage>& messages);

}  // namespace parley::twilio
