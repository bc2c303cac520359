// Drains the outbox: claims due rows from the store, hands each to the Channel, and records
// the result (docs/delivery.md, "The sender").
//
// - Per-contact order: the store hands out only the head of each contact's queue, so a
//   contact's next message is claimed once the previous one is finished (accepted, or
//   failed for good); a message waiting for a retry holds back its contact only.
// - Threads: Start() runs one claimer thread (the only one that touches the store) and
//   `threads` sending threads that share one queue, so one slow answer from Twilio ties up
//   one thread, not every contact. The claimer works in rounds: one transaction records the
//   results since the last round and claims the next rows (Store::FinishAndClaimOutbox), at
//   most one round per `coalesce` window unless the threads need a refill (RoundDue).
// - Retries: connection errors, timeouts, 429 and 5xx (the channel's kUnavailable) are
//   retried with exponential backoff and jitter, never sooner than Twilio's Retry-After,
//   until the message is `max_age` old (or `max_attempts`); then it is failed ("expired").
// - Rates: a SendPacer spaces each sender's messages at its rate, times 1/`instances` (each
//   of several instances on one database takes its share).
// - Refusals that say something about the contact (21610 opted out, which also ends the
//   contact's session as STOP does; 21211/21614 invalid address; 63016 WhatsApp window
//   closed) change the contact and fail its other queued messages, in the finishing
//   transaction. A message to a contact that is not active, or a
//   free-form WhatsApp message outside the 24-hour window, is failed without being sent —
//   except, for an opted-out contact, the answer to their latest message (queued no earlier
//   than it: only the HELP answer is queued for an opted-out contact).
//
// Wake() after a commit that queued messages; otherwise the sender polls every
// `poll_interval` (rows queued by other instances, retries that came due).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "channel/channel.hpp"
#include "channel/send_rate.hpp"
#include "common/metrics.hpp"
#include "common/time.hpp"
#include "store/store.hpp"

namespace parley::channel {

struct OutboxSenderOptions {
  // The most messages one instance has in hand (claimed, result not yet recorded), and so
  // the largest claim. The sending threads share them; the claimer tops them up once half
  // are back, so a round finishes and claims about half of this at a time (on PostgreSQL
  // the rounds, not the sending, bound throughput: docs/benchmarks.md, "Delivery").
  int batch = 256;
  // A crashed sender's rows come back after it (another instance may claim them then).
  Duration lease = std::chrono::seconds(60);
  // The longest one Send can take (the channel's request timeout). A claimed message that
  // waited so long for a thread that its lease could end before its Send does goes back to
  // the outbox untried: no other instance can claim a message while it is being sent.
  // Must be well under `lease`.
  Duration send_timeout = std::chrono::seconds(10);
  Duration poll_interval = std::chrono::milliseconds(500);
  // After a wake-up, wait this long for more messages before claiming, and let results
  // wait at most this long for the round that records them: one round (one transaction)
  // then serves many events, and on SQLite the sender holds the one connection less often
  // (10 ms: +4% webhook throughput over 2 ms in the load harness).
  Duration coalesce = std::chrono::milliseconds(10);
  // Backoff: first_retry, doubling per attempt, at most max_retry; each delay is drawn
  // between half and all of that (jitter), and is never shorter than Retry-After.
  Duration first_retry = std::chrono::seconds(2);
  Duration max_retry = std::chrono::minutes(10);
  // PARLEY_SEND_MAX_AGE: a message not accepted by then is failed ("expired"). 10 hours:
  // Twilio itself drops a message it could not send within 10 hours (ValidityPeriod).
  Duration max_age = std::chrono::hours(10);
  int max_attempts = 0;  // attempts before "expired" as well; 0: no cap (max_age decides)
  int threads = 4;       // PARLEY_SENDER_THREADS: sending threads of Start()
  SendRates rates;       // PARLEY_SEND_RATE
  int instances = 1;     // PARLEY_SEND_INSTANCES: each instance sends at rate / instances
  // How far ahead the pacer hands out a sender's slots; a message beyond goes back to the
  // outbox untried (Store::DeferOutbox) until its sender has room.
  Duration rate_horizon = std::chrono::seconds(1);
  // The outbox depth and oldest-age gauges are refreshed at most this often.
  Duration stats_interval = std::chrono::seconds(5);
  metrics::Registry* metrics = nullptr;  // null: no metrics
  std::function<void(std::string_view)> log;
};

class OutboxSender {
 public:
  // `parley serve` claims at least this many per sending thread (more threads, larger rounds).
  static constexpr int kInHandPerThread = 16;

  OutboxSender(store::Store& store, Channel& channel, const Clock& clock,
               OutboxSenderOptions options = {});
  ~OutboxSender();  // Stop()

  void Start();
  void Wake();
  // Lets the sending threads finish the messages in hand, records their results, puts the
  // messages not yet sent back in the outbox, then returns. Idempotent.
  void Stop();

  // Drains what is due now on the calling thread, one message at a time, until nothing is
  // claimable; returns how many rows were handled (sent, failed or rescheduled). Tests and
  // `parley start` call it; do not mix it with Start().
  Result<int> DrainOnce();

 private:
  struct Job {
    store::OutboxItem item;
    SendPacer::SteadyTime send_at;
    SendPacer::SteadyTime claimed_at;  // the lease runs from here
  };
  // What became of one claimed row, for the claimer to record.
  struct Disposition {
    std::optional<store::OutboxDelivery> final;  // set: finished for good
    int64_t outbox_id = 0;
    TimePoint retry_at{};   // without `final`: tried again then
    bool deferred = false;  // without `final`: put back untried
  };
  class SendPool;
  struct Metrics;

  // The checks before sending; a final result when the message must not be sent.
  std::optional<Disposition> Refusal(const store::OutboxItem& item, TimePoint now) const;
  // A job for the item, or (the sender is past its horizon) a deferral.
  std::variant<Job, Disposition> Pace(const store::OutboxItem& item, TimePoint now);
  // Sends the job's message, or (its lease could run out during the send) puts it back.
  Disposition SendOne(const Job& job);
  Disposition Judge(const store::OutboxItem& item, const SendOutcome& sent, TimePoint now);
  Duration Backoff(int attempts, std::optional<Duration> retry_after);
  // One round of bookkeeping in one transaction (Store::FinishAndClaimOutbox): writes
  // `results` and claims up to `claim` rows. On failure nothing is written and `results`
  // stay for the next round.
  Result<std::vector<store::OutboxItem>> Round(std::vector<Disposition>& results, int claim);
  void RefreshGauges(bool force);
  void RunClaimer();
  // Waits (mu_ held through `lock`) until the claimer has a round to run: see RoundDue.
  void WaitForRound(std::unique_lock<std::mutex>& lock);
  bool RoundDue(std::chrono::steady_clock::time_point now) const;  // mu_ held
  int InHandLimit() const;
  // Messages still with the sending threads at or below which a busy claimer refills.
  int LowWater() const { return InHandLimit() / 2; }

  store::Store& store_;
  Channel& channel_;
  const Clock& clock_;
  OutboxSenderOptions options_;
  SendPacer pacer_;
  std::unique_ptr<Metrics> metrics_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;  // guarded by rng_mu_: backoff jitter

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;             // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  std::vector<Disposition> done_;  // guarded by mu_: results from the sending threads
  std::chrono::steady_clock::time_point first_done_at_{};  // guarded by mu_: done_'s oldest
  int in_hand_ = 0;  // guarded by mu_: dispatched, result not yet taken by the claimer
  // guarded by mu_: more may be claimable now (the last claim was full, or it left refusals
  // or deferrals to write); true at the start, so the first round claims at once
  bool busy_ = true;
  std::vector<Disposition> unrecorded_;  // claimer only: results the store did not take yet
  std::chrono::steady_clock::time_point gauges_at_{};
  std::unique_ptr<SendPool> pool_;
  std::thread claimer_;
};

}  // namespace parley::channel
