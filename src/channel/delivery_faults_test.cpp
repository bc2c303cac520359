// Issue 9, the sender, against the Twilio REST stand-in (a real HTTP server) and a real
// store, SQLite and PostgreSQL:
//   - with 20% of sends failing (500, 429 + Retry-After, an answer slower than our timeout,
//     a dropped connection), every message is delivered, each contact's in the order queued,
//     and none twice except where Twilio created a message whose answer never reached us
//     (docs/delivery.md, "What can be sent twice");
//   - two instances on one PostgreSQL, one sender number limited to 10 messages per second:
//     together they stay within the limit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

#include "channel/outbox_sender.hpp"
#include "channel/twilio/twilio_channel.hpp"
#include "test/support/pg_cluster.hpp"
#include "test/support/twilio_rest_standin.hpp"

namespace parley::channel {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::StandinFault;

constexpr char kOurNumber[] = "+15005550006";

// Opens a fresh, migrated store of `backend`: SQLite in a temp dir, or a new database of
// the shared PostgreSQL cluster. Skips (GTEST_SKIP by the caller) when PostgreSQL is absent.
class Databases {
 public:
  explicit Databases(std::string backend) : backend_(std::move(backend)) {}
  ~Databases() {
    if (!dir_.empty()) {
      std::filesystem::remove_all(dir_);
    }
  }
  // The URL of a fresh database; empty with `*skip` set when PostgreSQL cannot start.
  std::string FreshUrl(std::string* skip) {
    static int counter = 0;
    const std::string name =
        "delivery_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    if (backend_ == "sqlite") {
      dir_ = (std::filesystem::temp_directory_path() / name).string();
      std::filesystem::create_directories(dir_);
      return "sqlite:" + dir_ + "/parley.db";
    }
    std::string error;
    parley::testing::PgCluster* cluster = parley::testing::PgCluster::Shared(&error);
    if (cluster == nullptr) {
      *skip = error;
      return "";
    }
    auto url = cluster->CreateDatabase(name);
    if (!url.ok()) {
      *skip = url.status().ToString();
      return "";
    }
    return *url;
  }

 private:
  std::string backend_;
  std::string dir_;
};

// Queues, for each contact, `per_contact` messages "<i>-<k>" in one transaction each.
void QueueMessages(store::Store& store, int contacts, int per_contact) {
  for (int i = 0; i < contacts; ++i) {
    auto tx = store.Begin().value();
    store::ContactRecord init;
    init.address = "+1555200" + std::to_string(1000 + i);
    init.phone = init.address;
    auto contact = tx->LockContact(init).value();
    for (int k = 0; k < per_contact; ++k) {
      store::MessageRecord m;
      m.contact_id = contact.id;
      m.direction = store::MessageRecord::Direction::kOutbound;
      m.from = kOurNumber;
      m.to = init.address;
      m.body = std::to_string(i) + "-" + std::to_string(k);
      m.status = store::MessageStatus::kQueued;
      m.created_at = SystemClock().Now();
      ASSERT_TRUE(tx->EnqueueOutbound(m).ok());
    }
    ASSERT_TRUE(tx->Commit().ok());
  }
}

// Waits until the outbox is empty; false after `timeout`.
bool WaitForEmptyOutbox(store::Store& store, Duration timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    auto stats = store.ReadOutboxStats();
    if (stats.ok() && stats->depth == 0) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

// Before 20% of sends (a seeded draw), injects the next of the four faults into the
// stand-in; the fault hits whichever request reaches it next.
class FaultyTwilio final : public Channel {
 public:
  FaultyTwilio(Channel& inner, parley::testing::TwilioRestStandin& standin)
      : inner_(inner), standin_(standin) {}
  SendOutcome Send(const OutboundMessage& m) override {
    {
      std::lock_guard lock(mu_);
      if (std::uniform_int_distribution<int>(0, 4)(rng_) == 0) {
        const StandinFault fault = kFaults[injected_ % 4];
        ++injected_;
        slow_ += fault == StandinFault::kSlow ? 1 : 0;
        standin_.InjectFault(fault);
      }
    }
    return inner_.Send(m);
  }
  int injected() const {
    std::lock_guard lock(mu_);
    return injected_;
  }
  int slow() const {
    std::lock_guard lock(mu_);
    return slow_;
  }

 private:
  static constexpr StandinFault kFaults[] = {StandinFault::kServerError,
                                             StandinFault::kTooManyRequests, StandinFault::kSlow,
                                             StandinFault::kDrop};
  Channel& inner_;
  parley::testing::TwilioRestStandin& standin_;
  mutable std::mutex mu_;
  std::mt19937 rng_{20261201};
  int injected_ = 0;
  int slow_ = 0;
};

class DeliveryFaultsTest : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Backends, DeliveryFaultsTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_P(DeliveryFaultsTest, UnderFaultsEveryMessageArrivesInOrderAndOnlyOnce) {
  Databases databases(GetParam());
  std::string skip;
  const std::string url = databases.FreshUrl(&skip);
  if (url.empty()) {
    GTEST_SKIP() << skip;
  }
  auto store = store::OpenStore(url).value();
  ASSERT_TRUE(store->Migrate().ok());
  constexpr int kContacts = 16;
  constexpr int kPerContact = 5;
  QueueMessages(*store, kContacts, kPerContact);

  auto standin = parley::testing::TwilioRestStandin::Start().value();
  standin->SetSlowDelay(milliseconds(700));  // past our 300 ms timeout
  standin->SetRetryAfter("1");
  TwilioChannelOptions o;
  o.api_base = standin->base_url();
  o.account_sid = standin->options().account_sid;
  o.auth_token = standin->options().auth_token;
  o.senders.sms_from = kOurNumber;
  o.http.connect_timeout = milliseconds(1000);
  o.http.timeout = milliseconds(300);
  auto twilio = TwilioChannel::Create(o).value();
  FaultyTwilio faulty(*twilio, *standin);

  SystemClock clock;
  OutboxSenderOptions options;
  options.rates = SendRates::Parse("default=0").value();
  options.first_retry = milliseconds(20);
  options.max_retry = milliseconds(200);
  options.poll_interval = milliseconds(20);
  options.threads = 4;
  OutboxSender sender(*store, faulty, clock, options);
  sender.Start();
  sender.Wake();
  ASSERT_TRUE(WaitForEmptyOutbox(*store, seconds(60)));
  sender.Stop();
  EXPECT_GE(faulty.injected(), 8);  // about 20% of ~100 sends

  // Every message is sent, each contact's in order.
  std::map<std::string, std::vector<std::string>> created;  // by recipient, arrival order
  std::map<std::string, int> copies;
  for (const auto& r : standin->created()) {
    const std::string body(r.form.Get("Body"));
    if (copies[body]++ == 0) {
      created[std::string(r.form.Get("To"))].push_back(body);
    }
  }
  int duplicates = 0;
  for (const auto& [body, n] : copies) {
    duplicates += n - 1;
  }
  for (int i = 0; i < kContacts; ++i) {
    const std::string to = "+1555200" + std::to_string(1000 + i);
    std::vector<std::string> expected;
    for (int k = 0; k < kPerContact; ++k) {
      expected.push_back(std::to_string(i) + "-" + std::to_string(k));
    }
    EXPECT_EQ(created[to], expected) << to;
    const int64_t contact_id = store->FindContact(to).value()->id;
    // Held in a local: value() of a temporary Result would dangle in the loop.
    const auto messages = store->Messages(contact_id);
    for (const auto& m : messages.value()) {
      EXPECT_EQ(m.status, store::MessageStatus::kQueued) << m.body;  // as Twilio answered
    }
  }
  // Twice only where Twilio created the message but its answer came after our timeout.
  EXPECT_LE(duplicates, faulty.slow());
}

// Records when each message was sent; answers "sent".
class TimedChannel final : public Channel {
 public:
  SendOutcome Send(const OutboundMessage&) override {
    std::lock_guard lock(mu_);
    times_.push_back(std::chrono::steady_clock::now());
    SendResult r;
    r.provider_sid = "SM" + std::to_string(times_.size());
    return r;
  }
  std::vector<std::chrono::steady_clock::time_point> times() const {
    std::lock_guard lock(mu_);
    return times_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::chrono::steady_clock::time_point> times_;
};

TEST(DeliveryRateTest, TwoInstancesOnOnePostgresStayWithinTheSendersRate) {
  Databases databases("postgres");
  std::string skip;
  const std::string url = databases.FreshUrl(&skip);
  if (url.empty()) {
    GTEST_SKIP() << skip;
  }
  std::vector<std::unique_ptr<store::Store>> stores;
  for (int i = 0; i < 2; ++i) {
    stores.push_back(store::OpenStore(url).value());
    ASSERT_TRUE(stores.back()->Migrate().ok());
  }
  constexpr int kMessages = 30;  // one per contact: order does not slow them
  QueueMessages(*stores[0], kMessages, 1);

  SystemClock clock;
  TimedChannel channel;  // both instances' sends, on one timeline
  OutboxSenderOptions options;
  options.rates = SendRates::Parse(std::string(kOurNumber) + "=10").value();
  options.instances = 2;
  options.poll_interval = milliseconds(20);
  options.rate_horizon = milliseconds(300);
  OutboxSender one(*stores[0], channel, clock, options);
  OutboxSender two(*stores[1], channel, clock, options);
  one.Start();
  two.Start();
  one.Wake();
  two.Wake();
  ASSERT_TRUE(WaitForEmptyOutbox(*stores[0], seconds(30)));
  one.Stop();
  two.Stop();
  auto times = channel.times();
  ASSERT_EQ(times.size(), static_cast<size_t>(kMessages));
  std::sort(times.begin(), times.end());
  // 10 per second together: 30 messages take at least 2.9 s (each instance sends its first
  // at once); in no second do more than 10 + 2 go (each instance's first slot).
  const double span = std::chrono::duration<double>(times.back() - times.front()).count();
  EXPECT_GE(span, 2.5) << "sent " << kMessages << " in " << span << " s";
  for (size_t i = 0; i < times.size(); ++i) {
    size_t in_second = 0;
    for (size_t j = i; j < times.size() && times[j] - times[i] < seconds(1); ++j) {
      ++in_second;
    }
    EXPECT_LE(in_second, 12u) << "from send " << i;
  }
}

}  // namespace
}  // namespace parley::channel
