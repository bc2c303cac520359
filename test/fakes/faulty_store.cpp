#include "test/fakes/faulty_store.hpp"

#include <algorithm>

namespace parley::fakes {

const char* StoreOpName(StoreOp op) {
  switch (op) {
    case StoreOp::kBegin:
      return "Begin";
    case StoreOp::kBeginBatch:
      return "BeginBatch";
    case StoreOp::kPing:
      return "Ping";
    case StoreOp::kClaimOutbox:
      return "ClaimOutbox";
    case StoreOp::kFinishOutbox:
      return "FinishOutbox";
    case StoreOp::kFinishOutboxBatch:
      return "FinishOutboxBatch";
    case StoreOp::kRetryOutbox:
      return "RetryOutbox";
    case StoreOp::kClaimTimers:
      return "ClaimTimers";
    case StoreOp::kNextTimerDue:
      return "NextTimerDue";
    case StoreOp::kLockContacts:
      return "LockContacts";
    case StoreOp::kBeginEvent:
      return "BeginEvent";
    case StoreOp::kBatchCommit:
      return "BatchCommit";
    case StoreOp::kBatchDurable:
      return "BatchDurable";
    case StoreOp::kLockContact:
      return "LockContact";
    case StoreOp::kLockContactById:
      return "LockContactById";
    case StoreOp::kUpdateContact:
      return "UpdateContact";
    case StoreOp::kInsertInbound:
      return "InsertInbound";
    case StoreOp::kRepliesTo:
      return "RepliesTo";
    case StoreOp::kFindOutboundBySid:
      return "FindOutboundBySid";
    case StoreOp::kSetMessageStatus:
      return "SetMessageStatus";
    case StoreOp::kEnqueueOutbound:
      return "EnqueueOutbound";
    case StoreOp::kRecordOutbound:
      return "RecordOutbound";
    case StoreOp::kActiveSession:
      return "ActiveSession";
    case StoreOp::kSaveSession:
      return "SaveSession";
    case StoreOp::kSetTimer:
      return "SetTimer";
    case StoreOp::kCancelTimers:
      return "CancelTimers";
    case StoreOp::kTakeTimer:
      return "TakeTimer";
    case StoreOp::kLastInboundTo:
      return "LastInboundTo";
    case StoreOp::kCommit:
      return "Commit";
  }
  return "?";
}

namespace detail {

// The first failure, injected or real, aborts the wrapper as it aborts a real transaction.
class Aborter {
 protected:
  template <typename R>
  R Track(R r) {
    const Status& s = StatusOf(r);
    if (!s.ok() && failed_.ok()) {
      failed_ = s;
    }
    return r;
  }
  // The fault to answer before forwarding `op`: an earlier failure, or an injected one.
  Status Check(FaultyStore& store, StoreOp op) {
    if (!failed_.ok()) {
      return failed_;
    }
    return Track(store.Enter(op));
  }

 private:
  static const Status& StatusOf(const Status& s) { return s; }
  template <typename T>
  static const Status& StatusOf(const Result<T>& r) {
    return r.status();
  }

  Status failed_;
};

class FaultyTransaction final : public store::Transaction, private Aborter {
 public:
  FaultyTransaction(FaultyStore& store, std::unique_ptr<store::Transaction> target)
      : store_(store), target_(std::move(target)) {}

  Result<store::ContactRecord> LockContact(const store::ContactRecord& init) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kLockContact));
    return Track(target_->LockContact(init));
  }
  Result<store::ContactRecord> LockContactById(int64_t contact_id) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kLockContactById));
    return Track(target_->LockContactById(contact_id));
  }
  Status UpdateContact(const store::ContactRecord& contact) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kUpdateContact));
    return Track(target_->UpdateContact(contact));
  }
  Result<bool> InsertInbound(store::MessageRecord& m) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kInsertInbound));
    return Track(target_->InsertInbound(m));
  }
  Result<std::vector<store::MessageRecord>> RepliesTo(std::string_view inbound_sid) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kRepliesTo));
    return Track(target_->RepliesTo(inbound_sid));
  }
  Result<std::optional<store::MessageRecord>> FindOutboundBySid(
      std::string_view provider_sid) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kFindOutboundBySid));
    return Track(target_->FindOutboundBySid(provider_sid));
  }
  Status SetMessageStatus(int64_t message_id, store::MessageStatus status,
                          std::string_view error_code) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kSetMessageStatus));
    return Track(target_->SetMessageStatus(message_id, status, error_code));
  }
  Status EnqueueOutbound(store::MessageRecord& m) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kEnqueueOutbound));
    return Track(target_->EnqueueOutbound(m));
  }
  Status RecordOutbound(store::MessageRecord& m) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kRecordOutbound));
    return Track(target_->RecordOutbound(m));
  }
  Result<std::optional<store::SessionRecord>> ActiveSession(int64_t contact_id) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kActiveSession));
    return Track(target_->ActiveSession(contact_id));
  }
  Status SaveSession(store::SessionRecord& s) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kSaveSession));
    return Track(target_->SaveSession(s));
  }
  Status SetTimer(const store::TimerRecord& t) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kSetTimer));
    return Track(target_->SetTimer(t));
  }
  Status PushBackTimer(const store::TimerRecord& t, Duration slack) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kSetTimer));
    return Track(target_->PushBackTimer(t, slack));
  }
  Status CancelTimers(int64_t session_id, std::string_view name) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kCancelTimers));
    return Track(target_->CancelTimers(session_id, name));
  }
  Status CancelFlowTimers(int64_t session_id) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kCancelTimers));
    return Track(target_->CancelFlowTimers(session_id));
  }
  Result<bool> TakeTimer(const store::TimerRecord& t, int64_t contact_id) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kTakeTimer));
    return Track(target_->TakeTimer(t, contact_id));
  }
  Result<std::string> LastInboundTo(int64_t contact_id) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kLastInboundTo));
    return Track(target_->LastInboundTo(contact_id));
  }
  // Forwarded without a fault point: no test injects a failure into an admin's audit line.
  Status AppendAudit(const store::AuditRecord& audit) override {
    return Track(target_->AppendAudit(audit));
  }
  Status RecordTransition(const store::TransitionRecord& t) override {
    return Track(target_->RecordTransition(t));
  }
  Status Commit() override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kCommit));
    return Track(target_->Commit());
  }

 private:
  FaultyStore& store_;
  std::unique_ptr<store::Transaction> target_;  // destroyed uncommitted: rolled back
};

class FaultyBatch final : public store::Batch, private Aborter {
 public:
  FaultyBatch(FaultyStore& store, std::unique_ptr<store::Batch> target)
      : store_(store), target_(std::move(target)) {}

  Status LockContacts(const std::vector<store::ContactRecord>& inits) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kLockContacts));
    return Track(target_->LockContacts(inits));
  }
  Result<std::unique_ptr<store::Transaction>> BeginEvent() override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kBeginEvent));
    auto tx = target_->BeginEvent();
    if (!tx.ok()) {
      return Track(Result<std::unique_ptr<store::Transaction>>(tx.status()));
    }
    return std::unique_ptr<store::Transaction>(
        new FaultyTransaction(store_, std::move(tx).value()));
  }
  Status Commit() override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kBatchCommit));
    return Track(target_->Commit());
  }
  // The durability report goes through kBatchDurable, on whatever thread the target reports
  // it: a block there holds the report (the commit is visible meanwhile), a fault replaces it.
  Status CommitVisible(std::function<void(Status)> on_durable) override {
    PARLEY_RETURN_IF_ERROR(Check(store_, StoreOp::kBatchCommit));
    FaultyStore& store = store_;
    return Track(target_->CommitVisible([&store, on_durable = std::move(on_durable)](Status s) {
      Status injected = store.Enter(StoreOp::kBatchDurable);
      on_durable(injected.ok() ? std::move(s) : std::move(injected));
    }));
  }

 private:
  FaultyStore& store_;
  std::unique_ptr<store::Batch> target_;
};

}  // namespace detail

FaultyStore::FaultyStore(store::Store& target) : target_(target) {}

FaultyStore::~FaultyStore() = default;

void FaultyStore::FailNth(StoreOp op, int n, Status status) {
  std::lock_guard lock(mu_);
  faults_.push_back({op, calls_[op] + std::max(1, n), std::move(status)});
}

void FaultyStore::FailAlways(StoreOp op, Status status) {
  std::lock_guard lock(mu_);
  faults_.push_back({op, 0, std::move(status)});
}

void FaultyStore::Heal() {
  std::lock_guard lock(mu_);
  faults_.clear();
}

void FaultyStore::Block(StoreOp op) {
  std::lock_guard lock(mu_);
  blocked_[op] = true;
}

void FaultyStore::Unblock(StoreOp op) {
  {
    std::lock_guard lock(mu_);
    blocked_[op] = false;
  }
  cv_.notify_all();
}

bool FaultyStore::WaitBlocked(StoreOp op, int n, Duration timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return waiting_[op] >= n; });
}

int FaultyStore::Calls(StoreOp op) const {
  std::lock_guard lock(mu_);
  const auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

int FaultyStore::InjectedFailures() const {
  std::lock_guard lock(mu_);
  return injected_;
}

Status FaultyStore::Enter(StoreOp op) {
  std::unique_lock lock(mu_);
  const int call = ++calls_[op];
  if (blocked_[op]) {
    ++waiting_[op];
    cv_.notify_all();  // WaitBlocked
    const bool released = cv_.wait_for(lock, kMaxBlock, [&] { return !blocked_[op]; });
    --waiting_[op];
    if (!released) {
      return Status::Unavailable(std::string("FaultyStore: ") + StoreOpName(op) +
                                 " was blocked and never unblocked");
    }
  }
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->op != op || (it->at_call != 0 && it->at_call != call)) {
      continue;
    }
    Status s = it->status;
    if (it->at_call != 0) {
      faults_.erase(it);
    }
    ++injected_;
    return s;
  }
  return Status::Ok();
}

std::string_view FaultyStore::dialect() const { return target_.dialect(); }

Result<std::unique_ptr<store::Transaction>> FaultyStore::Begin() {
  PARLEY_RETURN_IF_ERROR(Enter(StoreOp::kBegin));
  auto tx = target_.Begin();
  if (!tx.ok()) {
    return tx.status();
  }
  return std::unique_ptr<store::Transaction>(
      new detail::FaultyTransaction(*this, std::move(tx).value()));
}

Result<std::unique_ptr<store::Batch>> FaultyStore::BeginBatch() {
  PARLEY_RETURN_IF_ERROR(Enter(StoreOp::kBeginBatch));
  auto batch = target_.BeginBatch();
  if (!batch.ok()) {
    return batch.status();
  }
  return std::unique_ptr<store::Batch>(new detail::FaultyBatch(*this, std::move(batch).value()));
}

Status FaultyStore::Ping() {
  PARLEY_RETURN_IF_ERROR(Enter(StoreOp::kPing));
  return target_.Ping();
}

Status FaultyStore::ProbeWrite() { return target_.ProbeWrite(); }

Result<int> FaultyStore::SchemaVersion() { return target_.SchemaVersion(); }

int FaultyStore::LatestSchemaVersion() const { return target_.LatestSchemaVersion(); }

Status FaultyStore::Migrate() { return target_.Migrate(); }

Result<std::vector<store::OutboxItem>> FaultyStore::ClaimOutbox(TimePoint now, int limit,
                                                                Duration lease) {
  PARLEY_RETURN_IF_ERROR(Enter(StoreOp::kClaimOutbox));
  return target_.ClaimOutbox(now, limit, lease);
}

Status FaultyStore::FinishOutbox(int64_t outbox_id, store::MessageStatus status,
                                 std::string_view provider_sid, std::string_view error_code) {
  PARLEY_RETURN_IF_ERROR(Enter(StoreOp::kFinishOutbox));
  return target_.FinishOutbox(outbox_id, status, provider_sid, error_code);
}

Status FaultyStore::FinishOutboxBatch(const std::vector<store::OutboxDelivery>& deliveries) {
  PARLEY_RETURN_IF_ERROR(Enter(StoreOp::kFinishOutboxBatch));
  return target_.FinishOutboxBatch(deliveries);
}

Result<std::vector<store::OutboxItem>> FaultyStore::FinishAndClaimOutbox(
    const store::OutboxRound& round) {
  if (!round.finished.empty()) {
    PARLEY_RETURN_IF_ERROR(Enter(StoreOp::kFinishOutboxBatch));
  }
  if (round.claim > 0) {
    PARLEY_RETURN_IF_ERROR(Enter(StoreOp::kClaimOutbox));
  }
  return target_.FinishAndClaimOutbox(round);
}

Result<std::vector<store::TimerRecord>> FaultyStore::ClaimTimers(TimePoint now, int limit,
                                                                 Duration lease) {
  PARLEY_RETURN_IF_ERROR(Enter(StoreOp::kClaimTimers));
  return target_.ClaimTimers(now, limit, lease);
}

Result<std::optional<TimePoint>> FaultyStore::NextTimerDue(TimePoint now) {
  PARLEY_RETURN_IF_ERROR(Enter(StoreOp::kNextTimerDue));
  return target_.NextTimerDue(now);
}

Status FaultyStore::RetryOutbox(int64_t outbox_id, TimePoint next_attempt_at) {
  PARLEY_RETURN_IF_ERROR(Enter(StoreOp::kRetryOutbox));
  return target_.RetryOutbox(outbox_id, next_attempt_at);
}

Status FaultyStore::DeferOutbox(int64_t outbox_id, TimePoint next_attempt_at) {
  return target_.DeferOutbox(outbox_id, next_attempt_at);
}

Result<store::OutboxStats> FaultyStore::ReadOutboxStats() { return target_.ReadOutboxStats(); }

Status FaultyStore::SaveFlow(const store::FlowRecord& f) { return target_.SaveFlow(f); }

Result<std::optional<store::ContactRecord>> FaultyStore::FindContact(std::string_view address) {
  return target_.FindContact(address);
}

Result<std::optional<store::ContactRecord>> FaultyStore::FindContactById(int64_t contact_id) {
  return target_.FindContactById(contact_id);
}

Result<std::optional<store::MessageRecord>> FaultyStore::FindOutboundBySid(
    std::string_view provider_sid) {
  return target_.FindOutboundBySid(provider_sid);
}

Result<std::optional<store::SessionRecord>> FaultyStore::LatestSession(int64_t contact_id) {
  return target_.LatestSession(contact_id);
}

Result<std::vector<store::MessageRecord>> FaultyStore::Messages(int64_t contact_id) {
  return target_.Messages(contact_id);
}

Result<std::vector<store::TimerRecord>> FaultyStore::Timers(int64_t session_id) {
  return target_.Timers(session_id);
}

Result<std::string> FaultyStore::RowCounts() { return target_.RowCounts(); }

Result<std::vector<store::StateCount>> FaultyStore::ActiveSessionStates(std::string_view flow_id) {
  return target_.ActiveSessionStates(flow_id);
}

}  // namespace parley::fakes
