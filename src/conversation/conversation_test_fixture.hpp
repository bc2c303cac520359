// The fixture of the in-process conversation suite (service_test.cpp, pipeline_test.cpp): a
// real Service and Pipeline over a fresh database of the backend under test — "sqlite" (a
// file in a fresh temp dir) or "postgres" (a fresh database in a private cluster shared by
// the suite, started on first use; the store conformance suite does the same) — running the
// check-in example and small flows written for the tests. No mocks: only the clock is manual.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/metrics.hpp"
#include "common/time.hpp"
#include "conversation/event.hpp"
#include "conversation/flow_catalog.hpp"
#include "conversation/pipeline.hpp"
#include "conversation/service.hpp"
#include "flow/handlers.hpp"
#include "store/store.hpp"
#include "test/support/status_testing.hpp"

namespace parley::conversation::testing {

inline constexpr char kOurNumber[] = "+15005550006";
inline constexpr char kOurWhatsApp[] = "whatsapp:+15005550006";
inline constexpr char kAna[] = "+14155550101";
inline constexpr char kBob[] = "+14155550102";
inline constexpr char kCid[] = "+14155550103";
inline constexpr char kHelpText[] = "Parley test line: reply STOP to opt out.";
// How long a test waits for the pipeline before failing (instead of hanging).
inline constexpr Duration kWait = std::chrono::seconds(20);

// 2023-11-14T22:13:20Z (17:13 in Lima): all test times are offsets from here.
inline const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);

// The flows of the suite, beside the check-in example (examples/checkin/checkin.json):
//   tally     (trigger TALLY)    counts messages in `n` and appends each reply to `log`
//   boom      (trigger BOOM)     the reply "explode" runs a Lua action that calls error(),
//                                "flood" one that sends 1,000 messages (over the cap of 10)
//   badstart  (trigger BADSTART) the initial state's enter runs a C++ action that fails
//   finish    (trigger FINISH)   one question; any answer completes the session
//   reach     (trigger REACH)    asks "Are you there?"; a delivery_failed edge to UNREACHABLE
//                                (sets failed=yes, sends a fallback), an `always` self-loop
class ConversationTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite();
  void SetUp() override;  // the database, store_ and catalog_; no pipeline yet
  void TearDown() override;

  bool postgres() const { return GetParam() == "postgres"; }

  static ServiceOptions DefaultServiceOptions();
  // Builds service_ and pipeline_ over `store` (store_ when null) with a fresh registry_,
  // starts the pipeline, and makes Run use it. Replaces a previous pipeline.
  void StartPipeline(PipelineOptions pipeline = {},
                     ServiceOptions service = DefaultServiceOptions(),
                     store::Store* store = nullptr);
  // Opens a second Store on the test's database.
  Result<std::unique_ptr<store::Store>> OpenStore(const store::ConnectOptions& options = {}) const;

  // An inbound SMS to kOurNumber, classified as the webhook does (ClassifyCompliance with
  // `opt_out_type`). A fresh MessageSid when `sid` is empty.
  static Event Sms(std::string_view from, std::string body, std::string sid = "",
                   std::string_view opt_out_type = "");
  static Event WhatsApp(std::string_view phone, std::string body, std::string profile_name);
  static Event StartEvent(std::string_view contact, std::string flow_id);
  static std::string NewSid();

  // Submits `event` and waits (at most kWait) for its result.
  Result<Outcome> Run(Event event);
  // Run, expecting success; the replies' bodies.
  std::vector<std::string> Replies(Event event);
  static std::vector<std::string> Bodies(const Outcome& outcome);

  // Reads through store_.
  std::string Counts();
  std::optional<store::ContactRecord> Contact(std::string_view address);
  std::optional<store::SessionRecord> Session(std::string_view address);
  std::vector<store::MessageRecord> Messages(std::string_view address);
  // "in:BODY" / "out:BODY:STATUS" per message of the contact, oldest first.
  std::vector<std::string> Log(std::string_view address);
  // Every session of the contact, oldest first, as "FLOW/STATE/STATUS/END_REASON" (read
  // with SQL behind the Store's back: the Store reads only the latest session).
  std::vector<std::string> AllSessions(std::string_view address) const;
  std::string Metrics() const { return registry_->RenderText(); }

  std::string url_;
  std::string sqlite_dir_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{kT0};
  flow::HandlerRegistry handlers_;  // outlives the flows compiled with it
  std::shared_ptr<const FlowCatalog> catalog_;
  std::unique_ptr<metrics::Registry> registry_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<Pipeline> pipeline_;
};

}  // namespace parley::conversation::testing
