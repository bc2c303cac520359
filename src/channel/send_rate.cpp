#include "channel/send_rate.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace parley::channel {
namespace {

constexpr std::array<std::pair<SenderKind, const char*>, 4> kKinds = {{
    {SenderKind::kLongCode, "long_code"},
    {SenderKind::kTollFree, "toll_free"},
    {SenderKind::kShortCode, "short_code"},
    {SenderKind::kWhatsApp, "whatsapp"},
}};

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

SenderKind ClassifySender(std::string_view from) {
  if (from.starts_with("whatsapp:")) {
    return SenderKind::kWhatsApp;
  }
  if ((from.size() == 5 || from.size() == 6) && AllDigits(from)) {
    return SenderKind::kShortCode;
  }
  if (from.size() == 12 && from.starts_with("+1") && AllDigits(from.substr(1))) {
    const std::string_view area = from.substr(2, 3);
    for (std::string_view toll_free : {"800", "833", "844", "855", "866", "877", "888"}) {
      if (area == toll_free) {
        return SenderKind::kTollFree;
      }
    }
  }
  return SenderKind::kLongCode;
}

const char* SenderKindName(SenderKind kind) {
  for (const auto& [k, name] : kKinds) {
    if (k == kind) {
      return name;
    }
  }
  return "long_code";
}

double DefaultSendRate(SenderKind kind) {
  switch (kind) {
    case SenderKind::kLongCode:
      return 1;
    case SenderKind::kTollFree:
      return 3;
    case SenderKind::kShortCode:
      return 100;
    case SenderKind::kWhatsApp:
      return 80;
  }
  return 1;
}

Result<SendRates> SendRates::Parse(std::string_view spec) {
  SendRates rates;
  while (!Trim(spec).empty()) {
    const size_t comma = spec.find(',');
    const std::string_view entry = Trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    // The last '=' splits: a sender never contains one.
    const size_t eq = entry.rfind('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Status::InvalidArgument("'" + std::string(entry) + "' is not KEY=RATE");
    }
    const std::string_view key = Trim(entry.substr(0, eq));
    const std::string value(Trim(entry.substr(eq + 1)));
    double rate = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), rate);
    if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(rate) ||
        rate < 0) {
      return Status::InvalidArgument("'" + std::string(entry) +
                                     "': the rate must be a number of messages per second >= 0");
    }
    if (key == "default") {
      rates.default_ = rate;
      continue;
    }
    bool kind = false;
    for (const auto& [k, name] : kKinds) {
      if (key == name) {
        rates.by_kind_[k] = rate;
        kind = true;
      }
    }
    if (!kind) {
      rates.by_sender_[std::string(key)] = rate;
    }
  }
  return rates;
}

double SendRates::RateFor(std::string_view from) const {
  if (auto it = by_sender_.find(from); it != by_sender_.end()) {
    return it->second;
  }
  const SenderKind kind = ClassifySender(from);
  if (auto it = by_kind_.find(kind); it != by_kind_.end()) {
    return it->second;
  }
  return default_.value_or(DefaultSendRate(kind));
}

SendPacer::Slot SendPacer::Reserve(std::string_view from, SteadyTime now,
                                   std::chrono::nanoseconds horizon) {
  const double rate = rates_.RateFor(from) * share_;
  if (rate <= 0) {
    return {true, now};  // no limit
  }
  const auto interval = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(1.0 / rate));
  std::lock_guard lock(mu_);
  auto it = next_free_.find(from);
  if (it == next_free_.end()) {
    it = next_free_.emplace(std::string(from), now).first;
  }
  const SteadyTime at = std::max(it->second, now);
  if (at > now + horizon) {
    return {false, at - horizon};
  }
  it->second = at + interval;
  return {true, at};
}

}  // namespace parley::channel
