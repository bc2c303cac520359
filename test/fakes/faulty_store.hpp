// FaultyStore: a store::Store that forwards to a real one and fails or holds up the calls a
// test names (LevelDB's EnvWrapper / ErrorEnv idea: fault injection by a forwarding wrapper,
// not a mock). The transactions and batches it hands out are wrappers too, so a fault can hit
// any statement of an event, an event's commit or the batch's commit.
//
//   FaultyStore faulty(*real);
//   faulty.FailNth(StoreOp::kSaveSession, 2);   // the 2nd SaveSession from now: kUnavailable
//   faulty.FailNth(StoreOp::kBatchCommit, 1, Status::Internal("disk full"));
//   faulty.Block(StoreOp::kBeginBatch);         // stall the pipeline's lane ...
//   faulty.WaitBlocked(StoreOp::kBeginBatch, 1, 5s);
//   faulty.Unblock(StoreOp::kBeginBatch);       // ... and let it go
//
// An injected failure behaves like a real one: the call does not reach the database, and the
// transaction (or batch) it hit is aborted — every later call on it, Commit() included,
// returns the same error, and destroying it rolls the real one back (store.hpp's contract).
// Store-level reads (FindContact, Messages, RowCounts, ...), migrations and SaveFlow are
// forwarded untouched, so a test can look at what was written.
//
// Thread-safe: counters, faults and blocks may be changed from any thread while other
// threads call the store. The target must outlive the FaultyStore, and every Transaction and
// Batch it handed out must end before it is destroyed.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "common/time.hpp"
#include "store/store.hpp"

namespace parley::fakes {

enum class StoreOp {
  // Store
  kBegin,
  kBeginBatch,
  kPing,
  kClaimOutbox,
  kFinishOutbox,
  kFinishOutboxBatch,
  kRetryOutbox,
  kClaimTimers,
  kNextTimerDue,
  // Batch
  kLockContacts,
  kBeginEvent,
  kBatchCommit,
  kBatchDurable,  // a batch committed with CommitVisible reported durable (held or failed)
  // Transaction statements (a standalone transaction's, or an event's in a batch)
  kLockContact,
  kLockContactById,
  kUpdateContact,
  kInsertInbound,
  kRepliesTo,
  kFindOutboundBySid,
  kSetMessageStatus,
  kEnqueueOutbound,
  kRecordOutbound,
  kActiveSession,
  kSaveSession,
  kSetTimer,
  kCancelTimers,
  kTakeTimer,
  kLastInboundTo,
  kCommit,  // Transaction::Commit
};

const char* StoreOpName(StoreOp op);

namespace detail {
class Aborter;
class FaultyTransaction;
class FaultyBatch;
}  // namespace detail

class FaultyStore final : public store::Store {
 public:
  // How long a blocked call waits for Unblock at most; then it fails with kUnavailable (so
  // a test that forgets to unblock fails instead of hanging).
  static constexpr Duration kMaxBlock = std::chrono::seconds(30);

  explicit FaultyStore(store::Store& target);
  ~FaultyStore() override;

  // Fails the n-th call of `op` counted from now (n = 1: the next one) with `status`.
  void FailNth(StoreOp op, int n, Status status = Status::Unavailable("injected fault"));
  // Fails every call of `op` from now on, until Heal().
  void FailAlways(StoreOp op, Status status = Status::Unavailable("injected fault"));
  // Forgets every pending fault (blocks stay).
  void Heal();

  // Calls of `op` wait, before reaching the database, until Unblock(op) (or kMaxBlock).
  void Block(StoreOp op);
  void Unblock(StoreOp op);
  // Waits up to `timeout` until `n` calls of `op` are waiting in a block; false on timeout.
  bool WaitBlocked(StoreOp op, int n, Duration timeout);

  // Calls of `op` since construction (failed and blocked ones included).
  int Calls(StoreOp op) const;
  // Faults injected so far.
  int InjectedFailures() const;

  // store::Store
  std::string_view dialect() const override;
  Result<std::unique_ptr<store::Transaction>> Begin() override;
  Result<std::unique_ptr<store::Batch>> BeginBatch() override;
  Status Ping() override;
  Status ProbeWrite() override;  // passed through, no faults of its own
  Result<int> SchemaVersion() override;
  int LatestSchemaVersion() const override;
  Status Migrate() override;
  Result<std::vector<store::OutboxItem>> ClaimOutbox(TimePoint now, int limit,
                                                     Duration lease) override;
  Status FinishOutbox(int64_t outbox_id, store::MessageStatus status, std::string_view provider_sid,
                      std::string_view error_code) override;
  Status FinishOutboxBatch(const std::vector<store::OutboxDelivery>& deliveries) override;
  // Counts, and fails, as the FinishOutboxBatch (when it finishes rows) and the ClaimOutbox
  // (when it claims) it combines; a fault in either fails the whole round.
  Result<std::vector<store::OutboxItem>> FinishAndClaimOutbox(
      const store::OutboxRound& round) override;
  Result<std::vector<store::TimerRecord>> ClaimTimers(TimePoint now, int limit,
                                                      Duration lease) override;
  Result<std::optional<TimePoint>> NextTimerDue(TimePoint now) override;
  Status RetryOutbox(int64_t outbox_id, TimePoint next_attempt_at) override;
  Status DeferOutbox(int64_t outbox_id, TimePoint next_attempt_at) override;  // no faults
  Result<store::OutboxStats> ReadOutboxStats() override;                      // no faults
  Status SaveFlow(const store::FlowRecord& f) override;
  Result<std::optional<store::ContactRecord>> FindContact(std::string_view address) override;
  Result<std::optional<store::ContactRecord>> FindContactById(int64_t contact_id) override;
  Result<std::optional<store::MessageRecord>> FindOutboundBySid(
      std::string_view provider_sid) override;
  Result<std::optional<store::SessionRecord>> LatestSession(int64_t contact_id) override;
  Result<std::vector<store::MessageRecord>> Messages(int64_t contact_id) override;
  Result<std::vector<store::TimerRecord>> Timers(int64_t session_id) override;
  Result<std::string> RowCounts() override;
  store::AdminStore& admin() override { return target_.admin(); }  // no faults
  Result<std::vector<store::StateCount>> ActiveSessionStates(std::string_view flow_id) override;

 private:
  friend class detail::Aborter;
  friend class detail::FaultyTransaction;
  friend class detail::FaultyBatch;

  // Counts the call, waits while `op` is blocked, and answers the fault to inject, if any
  // (ok: go on to the database).
  Status Enter(StoreOp op);

  struct Fault {
    StoreOp op;
    int at_call = 0;  // 0: every call
    Status status;
  };

  store::Store& target_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<StoreOp, int> calls_;
  std::map<StoreOp, bool> blocked_;
  std::map<StoreOp, int> waiting_;
  std::vector<Fault> faults_;
  int injected_ = 0;
};

}  // namespace parley::fakes
