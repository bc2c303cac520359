#include "twilio/inbound_params.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace parley::twilio {
namespace {

// Twilio sends at most 10 media items per message.
constexpr int kMaxMedia = 10;
constexpr size_t kSidHexDigits = 32;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }

bool AllDigits(std::string_view s, size_t min, size_t max) {
  return s.size() >= min && s.size() <= max && std::all_of(s.begin(), s.end(), IsDigit);
}

bool IsSid(std::string_view s, std::string_view prefix) {
  return s.size() == prefix.size() + kSidHexDigits && s.starts_with(prefix) &&
         std::all_of(s.begin() + static_cast<std::ptrdiff_t>(prefix.size()), s.end(), IsLowerHex);
}

// "2010-04-01".
bool IsApiVersion(std::string_view s) {
  return s.size() == 10 && s[4] == '-' && s[7] == '-' && AllDigits(s.substr(0, 4), 4, 4) &&
         AllDigits(s.substr(5, 2), 2, 2) && AllDigits(s.substr(8, 2), 2, 2);
}

// What Twilio sends as To: "+15005550006", "whatsapp:+15005550006", a short code "12345".
bool IsAddressShaped(std::string_view s) {
  if (const size_t colon = s.find(':'); colon != std::string_view::npos) {
    const std::string_view channel = s.substr(0, colon);
    if (channel.empty() || !std::all_of(channel.begin(), channel.end(), IsLower)) {
      return false;
    }
    s.remove_prefix(colon + 1);
  }
  if (s.starts_with('+')) {
    s.remove_prefix(1);
  }
  return AllDigits(s, 3, 15);
}

Status Bad(std::string_view name, std::string_view why) {
  return Status::InvalidArgument(std::string(name) + ": " + std::string(why));
}

// A parameter's name for an error message: itself when it is short printable ASCII (a name
// Twilio could send), else `fallback` (a shifted name may carry a message body).
std::string_view NameForError(std::string_view name, std::string_view fallback) {
  constexpr size_t kMaxQuoted = 40;
  const bool printable =
      std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 0x7F; });
  return printable && !name.empty() && name.size() <= kMaxQuoted ? name : fallback;
}

Status CheckNoRepeats(const Form& form) {
  std::vector<std::string_view> names;
  names.reserve(form.size());
  for (const auto& [name, value] : form) {
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  if (auto it = std::adjacent_find(names.begin(), names.end()); it != names.end()) {
    return Bad(NameForError(*it, "a parameter"), "appears more than once");
  }
  return Status::Ok();
}

Status CheckSids(const Form& form, std::string_view expected_account_sid) {
  const auto sid = form.Find("MessageSid");
  if (!sid) {
    return Bad("MessageSid", "required");
  }
  if (!IsMessageSid(*sid)) {
    return Bad("MessageSid", "expected SM or MM followed by 32 lower-case hex digits");
  }
  for (const std::string_view alias : {"SmsSid", "SmsMessageSid"}) {
    if (const auto value = form.Find(alias); value && *value != *sid) {
      return Bad(alias, "must equal MessageSid");
    }
  }
  const auto account = form.Find("AccountSid");
  if (!account) {
    return Bad("AccountSid", "required");
  }
  if (!IsAccountSid(*account)) {
    return Bad("AccountSid", "expected AC followed by 32 lower-case hex digits");
  }
  if (!expected_account_sid.empty() && *account != expected_account_sid) {
    return Bad("AccountSid", "not this server's account (TWILIO_ACCOUNT_SID)");
  }
  return Status::Ok();
}

Status CheckAddresses(const Form& form) {
  for (const std::string_view name : {"From", "To"}) {
    const auto value = form.Find(name);
    if (!value) {
      return Bad(name, "required");
    }
    if (!IsAddressShaped(*value)) {
      return Bad(name, "expected a phone number or short code (optionally channel:)");
    }
  }
  return Status::Ok();
}

// The index of a "MediaUrl<i>"/"MediaContentType<i>" name (-1 for a suffix that is not a
// canonical decimal), or nullopt for any other name.
std::optional<int> MediaIndex(std::string_view name) {
  for (const std::string_view prefix : {"MediaUrl", "MediaContentType"}) {
    if (name.starts_with(prefix)) {
      const std::string_view suffix = name.substr(prefix.size());
      if (!AllDigits(suffix, 1, 2) || (suffix.size() > 1 && suffix[0] == '0')) {
        return -1;
      }
      return std::stoi(std::string(suffix));
    }
  }
  return std::nullopt;
}

Status CheckMedia(const Form& form) {
  int count = 0;
  if (const auto num = form.Find("NumMedia")) {
    if (!AllDigits(*num, 1, 2) || std::stoi(std::string(*num)) > kMaxMedia) {
      return Bad("NumMedia", "expected a number from 0 to 10");
    }
    count = std::stoi(std::string(*num));
  }
  for (const auto& [name, value] : form) {
    const auto index = MediaIndex(name);
    if (index && (*index < 0 || *index >= count)) {
      return Bad(NameForError(name, "a media parameter"),
                 "does not match NumMedia (MediaUrl0..MediaUrl{NumMedia-1} expected)");
    }
  }
  for (int i = 0; i < count; ++i) {
    const std::string name = "MediaUrl" + std::to_string(i);
    if (form.Get(name).empty()) {
      return Bad(name, "required by NumMedia");
    }
  }
  return Status::Ok();
}

Status CheckSmallFields(const Form& form) {
  for (const std::string_view name : {"NumSegments", "ReferralNumMedia"}) {
    if (const auto value = form.Find(name); value && !AllDigits(*value, 1, 3)) {
      return Bad(name, "expected a number");
    }
  }
  if (const auto wa_id = form.Find("WaId"); wa_id && !AllDigits(*wa_id, 1, 15)) {
    return Bad("WaId", "expected the sender's number as digits");
  }
  if (const auto version = form.Find("ApiVersion"); version && !IsApiVersion(*version)) {
    return Bad("ApiVersion", "expected a date such as 2010-04-01");
  }
  if (const auto status = form.Find("SmsStatus");
      status && (status->empty() || !std::all_of(status->begin(), status->end(), IsLower))) {
    return Bad("SmsStatus", "expected a status such as received");
  }
  return Status::Ok();
}

bool AllOf(std::string_view s, size_t min, size_t max, bool (*pred)(char)) {
  return s.size() >= min && s.size() <= max && std::all_of(s.begin(), s.end(), pred);
}

bool IsStatusChar(char c) { return IsLower(c) || c == '_'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }

Status CheckStatusFields(const Form& form) {
  const auto status = form.Find("MessageStatus");
  if (!status) {
    return Bad("MessageStatus", "required");
  }
  if (!AllOf(*status, 1, 32, IsStatusChar)) {
    return Bad("MessageStatus", "expected a status such as delivered");
  }
  if (const auto sms = form.Find("SmsStatus"); sms && !AllOf(*sms, 1, 32, IsStatusChar)) {
    return Bad("SmsStatus", "expected a status such as delivered");
  }
  if (const auto code = form.Find("ErrorCode"); code && !AllDigits(*code, 0, 10)) {
    return Bad("ErrorCode", "expected a number");
  }
  const auto to = form.Find("To");
  if (!to) {
    return Bad("To", "required");
  }
  if (!IsAddressShaped(*to)) {
    return Bad("To", "expected a phone number or short code (optionally channel:)");
  }
  if (form.Get("From").empty()) {
    return Bad("From", "required");
  }
  if (const auto ms = form.Find("MessagingServiceSid"); ms && !IsSid(*ms, "MG")) {
    return Bad("MessagingServiceSid", "expected MG followed by 32 lower-case hex digits");
  }
  if (const auto version = form.Find("ApiVersion"); version && !IsApiVersion(*version)) {
    return Bad("ApiVersion", "expected a date such as 2010-04-01");
  }
  if (const auto done = form.Find("RawDlrDoneDate"); done && !AllDigits(*done, 10, 10)) {
    return Bad("RawDlrDoneDate", "expected YYMMDDhhmm");
  }
  if (const auto prefix = form.Find("ChannelPrefix"); prefix && !AllOf(*prefix, 1, 32, IsLower)) {
    return Bad("ChannelPrefix", "expected a channel such as whatsapp");
  }
  if (const auto type = form.Find("EventType"); type && !AllOf(*type, 1, 32, IsUpper)) {
    return Bad("EventType", "expected an event type such as READ");
  }
  return Status::Ok();
}

}  // namespace

bool IsMessageSid(std::string_view s) { return IsSid(s, "SM") || IsSid(s, "MM"); }

bool IsAccountSid(std::string_view s) { return IsSid(s, "AC"); }

Status CheckInboundParams(const Form& form, std::string_view expected_account_sid) {
  PARLEY_RETURN_IF_ERROR(CheckNoRepeats(form));
  PARLEY_RETURN_IF_ERROR(CheckSids(form, expected_account_sid));
  PARLEY_RETURN_IF_ERROR(CheckAddresses(form));
  PARLEY_RETURN_IF_ERROR(CheckMedia(form));
  return CheckSmallFields(form);
}

Status CheckStatusParams(const Form& form, std::string_view expected_account_sid) {
  PARLEY_RETURN_IF_ERROR(CheckNoRepeats(form));
  PARLEY_RETURN_IF_ERROR(CheckSids(form, expected_account_sid));
  return CheckStatusFields(form);
}

}  // namespace parley::twilio
