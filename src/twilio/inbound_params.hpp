// The shape of an inbound-message webhook's parameters (and of a status callback's, below),
// checked after the signature.
//
// Why the signature is not enough: X-Twilio-Signature (signature.hpp) is an HMAC over the URL
// followed by the sorted parameters' names and values concatenated with NO separator. Any
// other split of that byte string into names and values, in the same sorted order, carries
// the same valid signature. So from one captured webhook an attacker can move a boundary:
//   MessageSid=SM…&NumMedia=0   →   MessageSid=SM…NumMedia0        (NumMedia dropped)
// which gives a "new" MessageSid, defeats the dedupe and applies the message again.
//
// The defence is to accept only the splits Twilio itself produces: the identifiers have fixed
// formats, so their boundaries cannot move; the numbers are digits; the addresses are
// addresses. A free-text value (Body, ProfileName, FromCity, ...) can still absorb the field
// that follows it, but then that field is missing, and every field that follows a free-text
// one in sorted order and matters is required (From after Body; To after ProfileName) or
// pinned (MessageSid after MediaUrlN). What remains possible keeps the MessageSid, so the
// dedupe answers it as a repeat.
//
// The rules (each failure names the parameter):
//   - no parameter name appears twice (Twilio sends each once; with repeats, the signature's
//     sort by value lets a value move between the copies);
//   - MessageSid: required, "SM" or "MM" and 32 lower-case hex digits;
//     SmsSid, SmsMessageSid: optional (deprecated), equal to MessageSid when present;
//   - AccountSid: required, "AC" and 32 lower-case hex digits; equal to the configured
//     account when one is configured;
//   - From, To: required; an optional lower-case "channel:" prefix, an optional '+', 3 to 15
//     digits, nothing else (Twilio sends E.164, "whatsapp:+…" or a short code; the caller
//     then parses From as a contact's number);
//   - NumMedia: optional, 0 to 10; MediaUrl0..N-1 present and non-empty, no MediaUrl or
//     MediaContentType with another index (none at all when NumMedia is absent);
//   - NumSegments, ReferralNumMedia: optional, 1 to 3 digits; WaId: optional, 1 to 15 digits;
//   - ApiVersion: optional, YYYY-MM-DD; SmsStatus: optional, lower-case letters.
// Parameters not named here are not checked (Twilio adds new ones over time).
//
// What this does not close (the signature scheme is ambiguous by design): someone who can
// read the signed webhook of a message whose Body THEY wrote can choose a body that, split
// differently, holds a From and a fresh MessageSid of their choosing, the genuine fields
// being swallowed by a free-text or unknown parameter that sorts after them. Defences are
// outside this check: TLS all the way to parley, and never logging a webhook's body
// together with its X-Twilio-Signature.
//
// Pure and thread-safe.
#pragma once

#include <string_view>

#include "common/status.hpp"
#include "twilio/form.hpp"

namespace parley::twilio {

// Twilio's message SID: "SM" or "MM" followed by 32 lower-case hex digits.
bool IsMessageSid(std::string_view s);
// Twilio's account SID: "AC" followed by 32 lower-case hex digits.
bool IsAccountSid(std::string_view s);

// Ok, or InvalidArgument whose message starts with the parameter's name ("MessageSid: ...").
// `expected_account_sid` empty: any well-formed AccountSid is accepted.
// Error messages quote no values (they may hold a message body or a phone number).
Status CheckInboundParams(const Form& form, std::string_view expected_account_sid);

// The same defence for a delivery status callback (POST /twilio/status), whose parameters
// sort as AccountSid, ApiVersion, ChannelInstallSid, ChannelPrefix, ChannelStatusMessage,
// ErrorCode, ErrorMessage, EventType, From, MessageSid, MessageStatus, MessagingServiceSid,
// RawDlrDoneDate, SmsSid, SmsStatus, To. The rules:
//   - no repeated names; MessageSid, SmsSid, AccountSid as for an inbound message;
//   - MessageStatus: required, 1 to 32 lower-case letters or '_' (an unknown value is the
//     caller's to ignore: Twilio adds statuses); SmsStatus: optional, the same shape;
//   - ErrorCode: optional, up to 10 digits (empty allowed);
//   - To: required and address-shaped (the contact, as for an inbound From); From: required,
//     non-empty (our number, or an alphanumeric sender ID). Both are required so the free-text
//     ChannelStatusMessage/ErrorMessage cannot swallow MessageSid or MessageStatus;
//   - MessagingServiceSid: optional, "MG" and 32 lower-case hex digits; ApiVersion as above;
//     RawDlrDoneDate: optional, 10 digits (YYMMDDhhmm); ChannelPrefix: optional, lower-case
//     letters; EventType: optional, upper-case letters ("READ").
Status CheckStatusParams(const Form& form, std::string_view expected_account_sid);

}  // namespace parley::twilio
