// A strict TwiML MessagingResponse parser: test support, for checking what parley answered
// (the Twilio driver, the webhook tests and the load harness). Production code only renders
// TwiML (twilio/twiml.hpp).
#pragma once

#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "twilio/twiml.hpp"

namespace parley::testing {

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
Result<std::vector<twilio::TwimlMessage>> ParseTwiml(std::string_view xml);

}  // namespace parley::testing
