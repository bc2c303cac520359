// TwiML MessagingResponse: the XML body parley answers a Twilio messaging webhook with
// (twilio-protocol.md §4), and a small strict parser for tests and the Twilio driver.
//
// Pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace parley::webhook {

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

// Parses a MessagingResponse strictly, for checking what parley answered:
// - valid UTF-8 only; an optional <?xml ...?> declaration, which must be the very first bytes
//   (Twilio rejects whitespace before it, error 12100); comments and whitespace around the
//   root; no DOCTYPE (no entity expansion of any kind beyond the five predefined entities and
//   numeric character references).
// - the root element must be <Response> (error otherwise, like Twilio's 12102); its children
//   may only be <Message> elements (attributes allowed and ignored; <Redirect> and unknown
//   verbs are errors).
// - a <Message> holds either text, or <Body> and <Media> children; text directly inside
//   <Message> next to <Media> children is accepted as the body (the libraries' own
//   "<Message>Hello<Media>u</Media></Message>" form). Whitespace-only text between child
//   elements is ignored; the text of a message with no children is kept as is.
// - entities &amp; &lt; &gt; &quot; &apos; &#NN; &#xHH; and CDATA sections are decoded.
// Errors are InvalidArgument with the byte offset. Never crashes on any input.
Result<std::vector<TwimlMessage>> ParseTwiml(std::string_view xml);

}  // namespace parley::webhook
