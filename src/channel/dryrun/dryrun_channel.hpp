// The dry-run channel: the default when no Twilio credentials are set. Sends nothing;
// every message is stored with status "simulated" and a made-up id ("DR" + 32 hex), so a
// conversation can be followed in the database, the admin and the logs.
#pragma once

#include <atomic>
#include <cstdint>

#include "channel/channel.hpp"

namespace parley::channel {

class DryRunChannel final : public Channel {
 public:
  DryRunChannel();
  SendOutcome Send(const OutboundMessage& message) override;
  uint64_t sent() const { return sent_.load(); }

 private:
  const uint64_t instance_;
  std::atomic<uint64_t> sent_{0};
};

}  // namespace parley::channel
