// Per-sender send rates (Twilio releases a sender's messages at a fixed rate and queues the
// rest, up to 10 hours' worth, then refuses them with 21611: parley paces its own sends so
// it never fills that queue) and the pacer that keeps each sender within its rate.
//
// Rates, in messages per second, per sender number (docs/delivery.md, "Rate limits"):
// short code 100, toll-free 3, WhatsApp 80, any other number (a long code) 1. PARLEY_SEND_RATE
// overrides them per sender, per kind, or for every sender ("default").
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace parley::channel {

enum class SenderKind { kLongCode, kTollFree, kShortCode, kWhatsApp };

// "whatsapp:..." is WhatsApp; 5 or 6 digits a short code; +1 and 800, 833, 844, 855, 866, 877
// or 888 a toll-free number; anything else (an empty sender too: a Messaging Service picks
// the number) a long code.
SenderKind ClassifySender(std::string_view from);
// "long_code", "toll_free", "short_code", "whatsapp".
const char* SenderKindName(SenderKind kind);
// Twilio's default release rate of a sender of this kind, in messages per second.
double DefaultSendRate(SenderKind kind);

// Which rate applies to a sender: its own entry, else its kind's, else "default", else the
// built-in default of its kind. A rate of 0 means no limit.
class SendRates {
 public:
  // Parses PARLEY_SEND_RATE: comma-separated KEY=RATE, KEY being a sender ("+15551234567",
  // "whatsapp:+15551234567", "12345"), a kind (long_code, toll_free, short_code, whatsapp)
  // or "default"; RATE a decimal >= 0 (0: unlimited). Empty: the built-in defaults.
  // kInvalidArgument naming the bad entry otherwise.
  static Result<SendRates> Parse(std::string_view spec);

  double RateFor(std::string_view from) const;

 private:
  std::map<std::string, double, std::less<>> by_sender_;
  std::map<SenderKind, double> by_kind_;
  std::optional<double> default_;
};

// Spaces each sender's messages evenly at its rate (times `share`: an instance's part of a
// rate shared by several instances). Thread-safe.
//
// Reserve hands out the sender's next free slot (now, or the end of the previous slot): a
// message goes at that time. Slots are handed out only up to `horizon` ahead, so a sender
// with a backlog does not tie up claimed messages (and their leases) in waiting; a message
// refused a slot goes back to the outbox until about when one frees up.
class SendPacer {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  explicit SendPacer(SendRates rates, double share = 1.0)
      : rates_(std::move(rates)), share_(share) {}

  struct Slot {
    bool granted = false;
    SteadyTime at;  // granted: when to send; else: when a slot is within the horizon again
  };
  Slot Reserve(std::string_view from, SteadyTime now, std::chrono::nanoseconds horizon);

 private:
  const SendRates rates_;
  const double share_;
  std::mutex mu_;
  std::map<std::string, SteadyTime, std::less<>> next_free_;  // guarded by mu_
};

}  // namespace parley::channel
