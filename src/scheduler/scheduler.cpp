#include "scheduler/scheduler.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace parley::scheduler {

Scheduler::Scheduler(store::Store& store, conversation::Pipeline& pipeline, const Clock& clock,
                     SchedulerOptions options, metrics::Registry& registry)
    : store_(store),
      pipeline_(pipeline),
      clock_(clock),
      options_(std::move(options)),
      claimed_(registry.AddCounter("parley_scheduler_claimed_total",
                                   "Due timers claimed and submitted as timer events.")),
      failed_(registry.AddCounter("parley_scheduler_failed_total",
                                  "Timer events refused or failed (the timer comes back when "
                                  "its lease runs out), and failed claims.")) {
  options_.batch = std::max(1, options_.batch);
  options_.max_in_flight = std::max(1, options_.max_in_flight);
}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  std::lock_guard lock(mu_);
  if (!thread_.joinable() && !stopping_) {
    thread_ = std::thread([this] { Run(); });
  }
}

void Scheduler::Wake(TimePoint due) {
  {
    std::lock_guard lock(mu_);
    if (due >= wake_at_) {
      return;  // it wakes by then anyway
    }
    woken_ = true;
  }
  wake_cv_.notify_one();
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_cv_.notify_one();
  flight_cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  WaitIdle();
}

void Scheduler::WaitIdle() {
  std::unique_lock lock(mu_);
  flight_cv_.wait(lock, [&] { return in_flight_ == 0; });
}

void Scheduler::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_at_ = TimePoint::max();
    woken_ = false;
    lock.unlock();
    // Claims are writes (on SQLite, the one writer's lock): only when something is due.
    Duration sleep = options_.poll_interval;
    const TimePoint now = clock_.Now();
    auto next = store_.NextTimerDue(now);
    Status failed;
    if (!next.ok()) {
      failed = next.status();
    } else if (*next && **next <= now) {
      if (auto fired = FireDue(); !fired.ok()) {
        failed = fired.status();
      } else {
        sleep = Duration::zero();  // look again: what it claimed is leased, the rest is not
      }
    } else if (*next) {
      sleep = std::min<Duration>(**next - now, options_.poll_interval);
    }
    if (!failed.ok()) {
      failed_.Inc();
      if (options_.log) {
        options_.log("scheduler: looking for due timers failed: " + failed.ToString());
      }
    }
    lock.lock();
    if (woken_ || stopping_ || sleep == Duration::zero()) {
      continue;  // a timer was set while it looked: look again
    }
    wake_at_ = clock_.Now() + sleep;
    wake_cv_.wait_for(lock, sleep, [&] { return woken_ || stopping_; });
  }
}

Result<int> Scheduler::FireDue() {
  int submitted = 0;
  while (true) {
    int room = 0;
    {
      std::unique_lock lock(mu_);
      flight_cv_.wait(lock, [&] { return stopping_ || in_flight_ < options_.max_in_flight; });
      if (stopping_) {
        return submitted;
      }
      room = std::min(options_.batch, options_.max_in_flight - in_flight_);
    }
    const TimePoint now = clock_.Now();
    auto claimed = store_.ClaimTimers(now, room, options_.lease);
    if (!claimed.ok()) {
      return claimed.status();
    }
    // Earliest first: on one lane (SQLite) they are applied in this order.
    for (const store::TimerRecord& timer : *claimed) {
      if (Submit(timer, now).ok()) {
        ++submitted;
      }
    }
    if (static_cast<int>(claimed->size()) < room) {
      return submitted;
    }
  }
}

Status Scheduler::Submit(const store::TimerRecord& timer, TimePoint now) {
  claimed_.Inc();
  const auto fail = [&](const Status& s) {
    failed_.Inc();
    if (options_.log) {
      options_.log("scheduler: timer '" + timer.name + "' of session " +
                   std::to_string(timer.session_id) + " not fired now (it comes back when its " +
                   "lease runs out): " + s.ToString());
    }
    return s;
  };
  if (!timer.contact) {
    return fail(Status::NotFound("its contact is gone"));
  }
  conversation::Timer body{timer.session_id, timer.name, timer.due,  timer.step,
                           timer.keep,       false,      timer.recur};
  body.missed = options_.grace && now - timer.due > *options_.grace;
  if (body.missed && options_.log) {
    options_.log("scheduler: timer '" + timer.name + "' of session " +
                 std::to_string(timer.session_id) + " due at " + FormatUtc(timer.due) +
                 " missed: past PARLEY_TIMER_GRACE, dropped without firing");
  }
  conversation::Event event{{timer.contact->channel, timer.contact->phone, timer.contact->address},
                            std::move(body),
                            conversation::ReplyMode::kQueued};
  {
    std::lock_guard lock(mu_);
    ++in_flight_;
  }
  const auto answered = [this] {
    {
      std::lock_guard lock(mu_);
      --in_flight_;
    }
    flight_cv_.notify_all();
  };
  Status s = pipeline_.Submit(std::move(event), [this, answered,
                                                 timer](Result<conversation::Outcome> r) {
    if (!r.ok()) {
      failed_.Inc();
      if (options_.log) {
        options_.log("scheduler: timer '" + timer.name + "' of session " +
                     std::to_string(timer.session_id) +
                     " failed (it comes back when its lease runs out): " + r.status().ToString());
      }
    }
    answered();
  });
  if (!s.ok()) {
    answered();
    return fail(s);
  }
  return Status::Ok();
}

}  // namespace parley::scheduler
