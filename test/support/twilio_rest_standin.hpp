// A stand-in for Twilio's REST API (the side parley sends messages to), for tests: a real
// HTTP/1.1 server on 127.0.0.1 and a free port, answering
//   POST /2010-04-01/Accounts/{AccountSid}/Messages.json
// the way Twilio does (docs/delivery.md lists the behaviour parley relies on):
//
// - HTTP Basic auth with the Account SID and auth token, or an API key SID and secret;
//   anything else: 401 with Twilio's error 20003 (and WWW-Authenticate). The path's account
//   must be the authenticated one.
// - Parameters validated as Twilio does: `To` required (21604) and E.164, optionally with
//   "whatsapp:" (21211); one of `From` or `MessagingServiceSid` (21603; a malformed service
//   SID 21701); one of `Body`, `MediaUrl` or `ContentSid` (21602); `Body` at most 1,600
//   characters (21617); `From` and `To` on the same channel (21910); `From` must be one of
//   the account's numbers (21606).
// - Twilio's test-credential magic numbers: From +15005550001 → 21212, +15005550007 →
//   21606, +15005550008 → 21611; To +15005550001 → 21211, +15005550002 → 21612,
//   +15005550003 → 21408, +15005550004 → 21610, +15005550009 → 21614. A recipient blocked
//   with Block() (as if they had replied STOP) → 21610.
// - Success: 201 with a message resource shaped like Twilio's (`sid` SM/MM + 32 hex,
//   `status` "queued", or "accepted" through a Messaging Service, counts as strings,
//   `num_segments` computed for GSM-7 or UCS-2, `error_code` null).
// - Errors: Twilio's JSON {"code", "message", "more_info", "status"}.
// - Faults on demand for the next requests (any path): 500, 429 with Retry-After, an
//   answer slower than the client waits, a connection closed without an answer; or, with
//   SetFaultRate, each request faulted at random.
// - WhatsApp's 24-hour window per contact: a free-form message (no ContentSid) to a WhatsApp
//   contact who has not written within 24 hours (OpenWhatsAppWindow says they did) is created,
//   then fails with 63016 in its status callback, as Twilio does; a template always goes.
// - Status callbacks (once SendCallbacksTo names where the server is): for each created
//   message with a StatusCallback, signed posts of its later statuses, asynchronously
//   (status_callback_sender.hpp): queued (through a Messaging Service only) → sent →
//   delivered; for the stand-in's delivery magic numbers (`To` +15005550010 → undelivered
//   30003, +15005550011 → undelivered 30005, +15005550012 → failed 30008) that failure
//   instead; for a closed WhatsApp window failed 63016. Optionally reordered or duplicated.
//
// Every request is recorded (faulted ones too) with the connection it came on, so a test
// can check what was sent, with which credentials, and whether connections were reused.
//
// Thread-safe: a connection is served by a thread of its own; tests read and configure it
// from theirs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "test/support/status_callback_sender.hpp"
#include "twilio/form.hpp"

namespace parley::testing {

struct TwilioRestStandinOptions {
  std::string account_sid = "AC0123456789abcdef0123456789abcdef";
  std::string auth_token = "standin-auth-token";
  // An API key accepted as well (Basic auth with key SID and secret); empty: none.
  std::string api_key;
  std::string api_secret;
  // Senders the account owns: a `From` outside this set is 21606 (as Twilio answers for a
  // number that is not yours), except the magic test numbers.
  std::set<std::string> owned_numbers = {"+15005550006", "whatsapp:+14155238886"};
  // Free-form WhatsApp messages outside the contact's 24-hour window fail (63016).
  bool whatsapp_window = true;
  // Status callbacks: the delay before the first and between steps; reordered; duplicated.
  std::chrono::milliseconds callback_delay{100};
  bool reorder_callbacks = false;
  bool duplicate_callbacks = false;
};

// A request the stand-in received, and what it answered.
struct StandinRequest {
  std::string method;
  std::string path;
  std::string user;      // Basic auth user ("" without Basic auth)
  std::string password;  // Basic auth password
  std::string content_type;
  twilio::Form form;     // the decoded body (empty if it did not decode)
  int connection = 0;    // the connection it came on: 1, 2, ... in accept order
  int status = 0;        // the answer's HTTP status; 0: none (the connection was dropped)
  std::string sid;       // the created message's sid, when it was created
  bool faulted = false;  // an injected fault hit it
  bool slow = false;     // the fault was kSlow: answered after the client's timeout, created
  // When its request was read in full (a rate test measures what the stand-in received).
  std::chrono::steady_clock::time_point received_at{};
};

enum class StandinFault {
  kServerError,      // 500 with Twilio's error 20500
  kTooManyRequests,  // 429 with error 20429 and Retry-After (SetRetryAfter)
  kSlow,             // waits SetSlowDelay() before answering normally (the message is created)
  kDrop,             // reads the request, then closes the connection without an answer
};

class TwilioRestStandin {
 public:
  static Result<std::unique_ptr<TwilioRestStandin>> Start(TwilioRestStandinOptions options = {});
  ~TwilioRestStandin();  // Stop()
  TwilioRestStandin(const TwilioRestStandin&) = delete;
  TwilioRestStandin& operator=(const TwilioRestStandin&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT": TWILIO_API_BASE for the client under test.
  std::string base_url() const;
  const TwilioRestStandinOptions& options() const { return options_; }

  // The next `count` requests get `fault` (queued behind faults injected earlier).
  void InjectFault(StandinFault fault, int count = 1);
  void SetRetryAfter(std::string value);               // default "1"
  void SetSlowDelay(std::chrono::milliseconds delay);  // default 2 s
  // Sends to `to` fail with 21610 from now on, as after a STOP.
  void Block(const std::string& to);
  // From now on each request is faulted with probability `rate`, each fault drawn evenly
  // from `faults` (after the faults injected with InjectFault). 0 turns it off.
  void SetFaultRate(double rate, std::vector<StandinFault> faults);
  // The WhatsApp contact `to` ("whatsapp:+1...") wrote now: free-form messages go for 24 h.
  void OpenWhatsAppWindow(const std::string& to);
  void CloseWhatsAppWindow(const std::string& to);

  // Status callbacks go to the server listening on host:port (signed over each message's
  // StatusCallback URL). Until this is called they wait.
  void SendCallbacksTo(const std::string& host, uint16_t port);
  // Waits up to `timeout` until every scheduled callback was posted; false on timeout.
  bool WaitForCallbacks(std::chrono::milliseconds timeout) const;
  // Every callback post so far, with the server's answer.
  std::vector<SentCallback> callbacks() const;

  // Faults drawn so far (a slow answer's request is recorded only once it is answered).
  int faults_injected() const;
  // Every request so far, in arrival order (faulted ones included).
  std::vector<StandinRequest> requests() const;
  // The requests that created a message (answered 201), in order.
  std::vector<StandinRequest> created() const;
  // Connections accepted so far.
  int connections() const;
  // Waits up to `timeout` for at least `n` created messages; false on timeout.
  bool WaitForCreated(size_t n, std::chrono::milliseconds timeout) const;

  // Stops accepting, closes every connection, joins the threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit TwilioRestStandin(TwilioRestStandinOptions options);

  TwilioRestStandinOptions options_;
  uint16_t port_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley::testing
