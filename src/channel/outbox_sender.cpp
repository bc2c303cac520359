#include "channel/outbox_sender.hpp"

#include <algorithm>
#include <deque>

namespace parley::channel {
namespace {

using SteadyClock = std::chrono::steady_clock;

// WhatsApp's customer-service window: free-form messages only within 24 hours of the
// contact's last message (docs/delivery.md).
constexpr Duration kWhatsAppWindow = std::chrono::hours(24);

// What a refusal's Twilio code says about the contact (docs/operations.md).
store::ContactEffect EffectOf(std::string_view error_code) {
  if (error_code == "21610") {
    return store::ContactEffect::kOptOut;
  }
  if (error_code == "21211" || error_code == "21614") {
    return store::ContactEffect::kInvalid;
  }
  if (error_code == "63016") {
    return store::ContactEffect::kWindowClosed;
  }
  return store::ContactEffect::kNone;
}

std::string Describe(const store::OutboxItem& item) {
  return "message " + std::to_string(item.message_id) + " to contact " +
         std::to_string(item.contact_id);
}

}  // namespace

struct OutboxSender::Metrics {
  explicit Metrics(metrics::Registry& r)
      : outbound(r.AddCounterFamily("parley_outbound_total",
                                    "Outbound messages finished, by status and error code "
                                    "(\"none\" without one); docs/operations.md",
                                    {"status", "error_code"})),
        latency(r.AddHistogram("parley_send_latency_seconds",
                               "Time of one send attempt to the channel (Twilio's REST API)",
                               metrics::Histogram::LatencyBuckets())),
        retries(r.AddCounter("parley_send_retries_total",
                             "Send attempts that failed in passing and were rescheduled")),
        rate_waits(r.AddCounter("parley_send_rate_waits_total",
                                "Messages that waited for their sender's rate (paced or put "
                                "back in the outbox)")),
        depth(r.AddGauge("parley_outbox_depth", "Messages in the outbox (all instances)")),
        oldest(r.AddGauge("parley_outbox_oldest_age_seconds",
                          "Age of the oldest message in the outbox; 0 when it is empty")) {}
  metrics::CounterFamily& outbound;
  metrics::Histogram& latency;
  metrics::Counter& retries;
  metrics::Counter& rate_waits;
  metrics::Gauge& depth;
  metrics::Gauge& oldest;
};

// The sending threads: they share one queue of jobs ordered by send time, so a slow
// answer ties up one thread and no particular contact's successor. (A contact has at most one
// message in hand: the store hands out only the head of its queue.)
class OutboxSender::SendPool {
 public:
  SendPool(OutboxSender& sender, int threads) : sender_(sender) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { Run(); });
    }
  }
  ~SendPool() { Join(); }

  void Push(Job job) {
    {
      std::lock_guard lock(mu_);
      const auto at =
          std::upper_bound(jobs_.begin(), jobs_.end(), job.send_at,
                           [](SendPacer::SteadyTime t, const Job& j) { return t < j.send_at; });
      jobs_.insert(at, std::move(job));
    }
    cv_.notify_one();
  }
  // Stops after the jobs in hand; the jobs not started are returned.
  std::deque<Job> Join() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) {
      if (t.joinable()) {
        t.join();
      }
    }
    std::lock_guard lock(mu_);
    return std::move(jobs_);
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (jobs_.empty()) {
        cv_.wait(lock);
        continue;
      }
      const auto due = jobs_.front().send_at;
      if (SteadyClock::now() < due) {
        cv_.wait_until(lock, due);  // an earlier job may come meanwhile
        continue;
      }
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      if (!jobs_.empty()) {
        cv_.notify_one();  // the next job may be due too
      }
      lock.unlock();
      Disposition done = sender_.SendOne(job);
      bool wake_claimer = false;
      {
        std::lock_guard sender_lock(sender_.mu_);
        if (sender_.done_.empty()) {
          sender_.first_done_at_ = SteadyClock::now();
        }
        sender_.done_.push_back(std::move(done));
        // Only what can make a round due (RoundDue): the first result starts the wait for
        // the round that records it; a busy claimer refills at the low-water mark.
        wake_claimer =
            sender_.done_.size() == 1 ||
            (sender_.busy_ &&
             sender_.in_hand_ - static_cast<int>(sender_.done_.size()) <= sender_.LowWater());
      }
      if (wake_claimer) {
        sender_.cv_.notify_one();
      }
      lock.lock();
    }
  }

  OutboxSender& sender_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;   // guarded by mu_, by send time
  bool stopping_ = false;  // guarded by mu_
  std::vector<std::thread> threads_;
};

OutboxSender::OutboxSender(store::Store& store, Channel& channel, const Clock& clock,
                           OutboxSenderOptions options)
    : store_(store),
      channel_(channel),
      clock_(clock),
      options_(std::move(options)),
      pacer_(options_.rates, 1.0 / std::max(1, options_.instances)),
      rng_(std::random_device{}()) {
  if (options_.metrics != nullptr) {
    metrics_ = std::make_unique<Metrics>(*options_.metrics);
  }
}

OutboxSender::~OutboxSender() { Stop(); }

void OutboxSender::Start() {
  if (claimer_.joinable()) {
    return;
  }
  pool_ = std::make_unique<SendPool>(*this, std::max(1, options_.threads));
  claimer_ = std::thread([this] { RunClaimer(); });
}

void OutboxSender::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void OutboxSender::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (claimer_.joinable()) {
    claimer_.join();
  }
  std::vector<Disposition> results;
  if (pool_) {
    for (Job& job : pool_->Join()) {
      results.push_back({std::nullopt, job.item.id, clock_.Now(), true});
    }
    pool_.reset();
  }
  {
    std::lock_guard lock(mu_);
    results.insert(results.end(), done_.begin(), done_.end());
    done_.clear();
  }
  results.insert(results.end(), unrecorded_.begin(), unrecorded_.end());
  unrecorded_.clear();
  // Best effort: what cannot be written now comes back when its lease ends.
  const auto recorded = Round(results, 0);
  if (!recorded.ok() && options_.log) {
    options_.log("outbox: stopping: " + recorded.status().ToString());
  }
}

std::optional<OutboxSender::Disposition> OutboxSender::Refusal(const store::OutboxItem& item,
                                                               TimePoint now) const {
  std::string_view code;
  switch (item.contact_status) {
    case store::ContactStatus::kActive:
      break;
    case store::ContactStatus::kOptedOut:
      // The answer to a HELP the opted-out contact sent (conversation/service.cpp): queued by
      // the contact's latest message, where nothing else is queued for an opted-out contact.
      // What was queued before the opt-out is older than the STOP and stays refused.
      if (!item.last_inbound_at || item.created_at < *item.last_inbound_at) {
        code = store::kErrorOptedOut;
      }
      break;
    case store::ContactStatus::kInvalid:
      code = store::kErrorInvalidAddress;
      break;
    case store::ContactStatus::kBlocked:
      code = store::kErrorBlocked;
      break;
  }
  if (code.empty() && item.to.starts_with("whatsapp:") && item.content_sid.empty() &&
      (!item.last_inbound_at || now - *item.last_inbound_at >= kWhatsAppWindow)) {
    code = store::kErrorWindowClosed;
  }
  if (code.empty()) {
    return std::nullopt;
  }
  store::OutboxDelivery d{item.id, store::MessageStatus::kFailed, "", std::string(code)};
  return Disposition{std::move(d), item.id, {}, false};
}

std::variant<OutboxSender::Job, OutboxSender::Disposition> OutboxSender::Pace(
    const store::OutboxItem& item, TimePoint now) {
  const auto steady_now = SteadyClock::now();
  const SendPacer::Slot slot = pacer_.Reserve(item.from, steady_now, options_.rate_horizon);
  if (metrics_ && (!slot.granted || slot.at > steady_now)) {
    metrics_->rate_waits.Inc();
  }
  if (!slot.granted) {
    const auto wait = std::chrono::duration_cast<Duration>(slot.at - steady_now);
    return Disposition{std::nullopt, item.id, now + wait, true};
  }
  return Job{item, slot.at, steady_now};
}

OutboxSender::Disposition OutboxSender::SendOne(const Job& job) {
  const store::OutboxItem& item = job.item;
  // The claim and the pacing happened a little before job.claimed_at, so the margin.
  const auto lease_left = options_.lease - (SteadyClock::now() - job.claimed_at);
  if (lease_left < options_.send_timeout + std::chrono::seconds(1)) {
    if (options_.log) {
      options_.log("outbox: " + Describe(item) +
                   " waited too long for a sending thread; put back in the outbox");
    }
    return {std::nullopt, item.id, clock_.Now(), true};
  }
  OutboundMessage message;
  message.from = item.from;
  message.to = item.to;
  message.body = item.body;
  message.media = item.media;
  message.content_sid = item.content_sid;
  message.content_variables = item.content_variables;
  const auto started = SteadyClock::now();
  const SendOutcome sent = channel_.Send(message);
  if (metrics_) {
    metrics_->latency.ObserveDuration(SteadyClock::now() - started);
  }
  return Judge(item, sent, clock_.Now());
}

Duration OutboxSender::Backoff(int attempts, std::optional<Duration> retry_after) {
  // attempts counts the one that just failed: first_retry after the first, then x2, x4, ...
  const int doublings = std::clamp(attempts - 1, 0, 30);
  const auto ceiling = std::min<Duration>(
      options_.max_retry,
      options_.first_retry * (int64_t{1} << std::min(doublings, 20)));  // no overflow
  double fraction = 1;
  {
    std::lock_guard lock(rng_mu_);
    fraction = std::uniform_real_distribution<double>(0.5, 1.0)(rng_);
  }
  Duration delay = std::chrono::duration_cast<Duration>(ceiling * fraction);
  if (retry_after && *retry_after > delay) {
    delay = *retry_after;
  }
  return delay;
}

OutboxSender::Disposition OutboxSender::Judge(const store::OutboxItem& item,
                                              const SendOutcome& sent, TimePoint now) {
  if (sent.ok()) {
    store::OutboxDelivery d{item.id, sent->status, sent->provider_sid, sent->error_code};
    if (sent->status == store::MessageStatus::kFailed) {
      d.effect = EffectOf(sent->error_code);
      d.contact_id = item.contact_id;
      d.finished_at = now;
      if (options_.log) {
        options_.log("outbox: " + Describe(item) + " refused by the provider, error " +
                     (sent->error_code.empty() ? std::string("(none)") : sent->error_code));
      }
    }
    return {std::move(d), item.id, {}, false};
  }
  if (sent.status().code() == StatusCode::kUnavailable) {
    const TimePoint retry_at = now + Backoff(item.attempts, sent.retry_after);
    const bool too_old = retry_at > item.created_at + options_.max_age;
    const bool too_many = options_.max_attempts > 0 && item.attempts >= options_.max_attempts;
    if (!too_old && !too_many) {
      if (metrics_) {
        metrics_->retries.Inc();
      }
      return {std::nullopt, item.id, retry_at, false};
    }
    if (options_.log) {
      options_.log("outbox: " + Describe(item) + " expired after " + std::to_string(item.attempts) +
                   " attempts; the last: " + sent.status().ToString());
    }
    store::OutboxDelivery d{item.id, store::MessageStatus::kFailed, "",
                            std::string(store::kErrorExpired)};
    return {std::move(d), item.id, {}, false};
  }
  if (options_.log) {
    options_.log("outbox: " + Describe(item) + " failed: " + sent.status().ToString());
  }
  return {
      store::OutboxDelivery{item.id, store::MessageStatus::kFailed, "", ""}, item.id, {}, false};
}

Result<std::vector<store::OutboxItem>> OutboxSender::Round(std::vector<Disposition>& results,
                                                           int claim) {
  store::OutboxRound round;
  for (const Disposition& r : results) {
    if (r.final) {
      round.finished.push_back(*r.final);
    } else {
      round.rescheduled.push_back({r.outbox_id, r.retry_at, r.deferred});
    }
  }
  round.claim = std::max(0, claim);
  round.now = clock_.Now();
  round.lease = options_.lease;
  if (round.finished.empty() && round.rescheduled.empty() && round.claim == 0) {
    return std::vector<store::OutboxItem>{};
  }
  auto claimed = store_.FinishAndClaimOutbox(round);
  if (!claimed.ok()) {
    return claimed.status();
  }
  if (metrics_) {
    for (const store::OutboxDelivery& d : round.finished) {
      metrics_->outbound
          .WithLabels({store::MessageStatusName(d.status),
                       d.error_code.empty() ? std::string_view("none") : d.error_code})
          .Inc();
    }
  }
  results.clear();
  return claimed;
}

void OutboxSender::RefreshGauges(bool force) {
  if (!metrics_) {
    return;
  }
  const auto now = SteadyClock::now();
  if (!force && now - gauges_at_ < options_.stats_interval) {
    return;
  }
  gauges_at_ = now;
  auto stats = store_.ReadOutboxStats();
  if (!stats.ok()) {
    return;  // the next refresh tries again; the claim reports the database's state
  }
  metrics_->depth.Set(stats->depth);
  metrics_->oldest.Set(stats->oldest_at
                           ? std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::seconds>(
                                                      clock_.Now() - *stats->oldest_at)
                                                      .count())
                           : 0);
}

Result<int> OutboxSender::DrainOnce() {
  int handled = 0;
  while (true) {
    // Each round records the previous one's results and claims the next rows.
    auto claimed = Round(unrecorded_, options_.batch);
    if (!claimed.ok()) {
      return claimed.status();
    }
    if (claimed->empty()) {
      RefreshGauges(false);
      return handled;
    }
    std::vector<Job> jobs;
    for (const store::OutboxItem& item : *claimed) {
      const TimePoint now = clock_.Now();
      if (auto refusal = Refusal(item, now)) {
        unrecorded_.push_back(std::move(*refusal));
        ++handled;
        continue;
      }
      auto paced = Pace(item, now);
      if (auto* job = std::get_if<Job>(&paced)) {
        jobs.push_back(std::move(*job));
      } else {
        unrecorded_.push_back(std::get<Disposition>(std::move(paced)));
      }
    }
    std::stable_sort(jobs.begin(), jobs.end(),
                     [](const Job& a, const Job& b) { return a.send_at < b.send_at; });
    for (const Job& job : jobs) {
      std::this_thread::sleep_until(job.send_at);
      unrecorded_.push_back(SendOne(job));
      ++handled;
    }
  }
}

int OutboxSender::InHandLimit() const { return std::max(1, options_.batch); }

// A round is due when the sender is stopping; when a commit queued messages (woken_); when
// the last claim was full (more is claimable) and the sending threads are down to the
// low-water mark, so they never run dry while a round is written; or when a result has
// waited `coalesce` (it bounds how long a sent message's result waits to be written, and so
// the window in which a crash can make it go out twice: docs/delivery.md). Results alone do
// not make a round due sooner: a round per result would be a transaction per message.
bool OutboxSender::RoundDue(SteadyClock::time_point now) const {
  if (stopping_ || woken_) {
    return true;
  }
  const int with_threads = in_hand_ - static_cast<int>(done_.size());
  if (busy_ && with_threads <= LowWater()) {
    return true;
  }
  return !done_.empty() && now >= first_done_at_ + options_.coalesce;
}

void OutboxSender::WaitForRound(std::unique_lock<std::mutex>& lock) {
  const auto poll_at = SteadyClock::now() + options_.poll_interval;
  while (true) {
    const auto now = SteadyClock::now();
    if (RoundDue(now) || now >= poll_at) {
      return;
    }
    auto until = poll_at;
    if (!done_.empty()) {
      until = std::min(until, first_done_at_ + options_.coalesce);
    }
    cv_.wait_until(lock, until);
  }
}

void OutboxSender::RunClaimer() {
  while (true) {
    std::vector<Disposition> results;
    int with_threads = 0;
    {
      std::unique_lock lock(mu_);
      WaitForRound(lock);
      if (stopping_) {
        return;
      }
      const bool woken = woken_;
      woken_ = false;
      const bool refill = busy_ && in_hand_ - static_cast<int>(done_.size()) <= LowWater();
      if (woken && !refill) {
        // Let the events of a burst queue their messages (and the sending threads return
        // more results), so one round serves many: under a steady stream of events, about
        // one round per window rather than one per commit that woke us.
        lock.unlock();
        std::this_thread::sleep_for(options_.coalesce);
        lock.lock();
      }
      results = std::move(done_);
      done_.clear();
      in_hand_ -= static_cast<int>(results.size());
      with_threads = in_hand_;
    }
    unrecorded_.insert(unrecorded_.end(), std::make_move_iterator(results.begin()),
                       std::make_move_iterator(results.end()));
    // Finished messages may have freed their contacts' next ones: the same round claims them.
    const int wanted = std::max(0, InHandLimit() - with_threads);
    auto claimed = Round(unrecorded_, wanted);
    bool busy = false;
    if (claimed.ok()) {
      int dispatched = 0;
      for (const store::OutboxItem& item : *claimed) {
        const TimePoint now = clock_.Now();
        if (auto refusal = Refusal(item, now)) {
          unrecorded_.push_back(std::move(*refusal));
          continue;
        }
        auto paced = Pace(item, now);
        if (auto* job = std::get_if<Job>(&paced)) {
          pool_->Push(std::move(*job));
          ++dispatched;
        } else {
          unrecorded_.push_back(std::get<Disposition>(std::move(paced)));
        }
      }
      // More may be claimable now: the claim was full, or refusals and deferrals (written
      // by the next round, which then comes at once) end some contacts' heads.
      busy = (wanted > 0 && static_cast<int>(claimed->size()) == wanted) || !unrecorded_.empty();
      std::lock_guard lock(mu_);
      in_hand_ += dispatched;
    } else if (options_.log) {
      // The database is away: results stay in hand and are written when it is back (the
      // next round comes with new results or at the poll, never in a tight loop).
      options_.log("outbox: " + claimed.status().ToString());
    }
    {
      std::lock_guard lock(mu_);
      busy_ = busy;
    }
    RefreshGauges(false);
  }
}

}  // namespace parley::channel
