#include "channel/dryrun/dryrun_channel.hpp"

#include <cstdio>
#include <random>

namespace parley::channel {

DryRunChannel::DryRunChannel() : instance_(std::random_device{}() * 0x9E3779B97F4A7C15ULL) {}

SendOutcome DryRunChannel::Send(const OutboundMessage&) {
  const uint64_t n = sent_.fetch_add(1, std::memory_order_relaxed) + 1;
  // Unique across restarts and instances: a random per-process half and a counter.
  char sid[35];
  std::snprintf(sid, sizeof sid, "DR%016llx%016llx", static_cast<unsigned long long>(instance_),
                static_cast<unsigned long long>(n));
  SendResult result;
  result.status = store::MessageStatus::kSimulated;
  result.provider_sid = sid;
  return result;
}

}  // namespace parley::channel
