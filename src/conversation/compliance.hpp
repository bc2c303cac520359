// Carrier-compliance keywords (STOP / START / HELP) recognised before a message reaches the
// flow (README, "Connecting Twilio"; docs/architecture.md, "Life of an event").
//
// Pure and thread-safe.
#pragma once

#include <string_view>

namespace parley::conversation {

enum class ComplianceKind {
  kNone,   // an ordinary message: hand it to the flow
  kStop,   // opt out: end the session, send nothing more
  kStart,  // opt back in
  kHelp,   // answer the configured help text
};

const char* ComplianceKindName(ComplianceKind kind);  // "none", "stop", "start", "help"

// Classifies an inbound message.
//
// 1. `opt_out_type` is Twilio's OptOutType parameter (sent only with Advanced Opt-Out, where
//    the keywords are configured per Messaging Service and may be localised). When it is
//    STOP, START or HELP (any case, surrounding whitespace ignored) it decides, whatever the
//    body says. An empty or unknown value falls through to step 2.
// 2. Otherwise the *whole* body, with surrounding whitespace and trailing ASCII punctuation
//    removed, is compared case-insensitively (ASCII) with Twilio's default keywords:
//      stop:  STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT
//      start: START, UNSTOP
//      help:  HELP, INFO
//    "Stop!" and " stop. " are stops; "stop please" and "don't stop" are not (Twilio matches
//    the whole message only).
//
// YES is deliberately NOT a start keyword, although Twilio's default opt-in list has it:
// flows ask yes/no questions ("Do you want reminders? yes/no"), and consuming every "yes" as
// a compliance event would take those answers away from the flow. A contact who opted out
// and texts YES is re-subscribed by Twilio itself, which then tells us with
// OptOutType=START when Advanced Opt-Out is on; without it the contact sends START or
// UNSTOP. An inbound handler that wants Twilio's behaviour exactly can treat a YES from an
// opted-out contact as kStart itself (it knows the contact's status; this function does not).
ComplianceKind ClassifyCompliance(std::string_view body, std::string_view opt_out_type);

}  // namespace parley::conversation
