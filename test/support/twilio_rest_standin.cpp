#include "test/support/twilio_rest_standin.hpp"

#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <ctime>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "common/json.hpp"
#include "common/utf8.hpp"

namespace parley::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::string_view kWhatsApp = "whatsapp:";

struct Answer {
  int status = 201;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string sid;  // set when a message was created
};

Answer Error(int status, int code, const std::string& message) {
  json::Object o;
  o.emplace_back("code", code);
  o.emplace_back("message", message);
  o.emplace_back("more_info", "https://www.twilio.com/docs/errors/" + std::to_string(code));
  o.emplace_back("status", status);
  return {status, json::Serialize(json::Value(std::move(o))), {}, ""};
}

std::string Base64Decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0;
  uint32_t acc = 0;
  for (const char c : in) {
    if (c == '=') {
      break;
    }
    const int v = value(c);
    if (v < 0) {
      return "";
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

bool IsWhatsApp(std::string_view a) { return a.starts_with(kWhatsApp); }

std::string_view Number(std::string_view a) {
  return IsWhatsApp(a) ? a.substr(kWhatsApp.size()) : a;
}

// E.164: '+', a non-zero digit, at most 15 digits in all.
bool IsE164(std::string_view n) {
  if (n.size() < 3 || n.size() > 16 || n[0] != '+' || n[1] < '1' || n[1] > '9') {
    return false;
  }
  for (const char c : n.substr(1)) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

bool IsSid(std::string_view sid, std::string_view prefix) {
  if (sid.size() != prefix.size() + 32 || !sid.starts_with(prefix)) {
    return false;
  }
  for (const char c : sid.substr(prefix.size())) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

std::vector<uint32_t> CodePoints(std::string_view s) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    size_t subpart = 0;
    const size_t n = Utf8SequenceAt(s, i, &subpart);
    if (n == 0) {
      out.push_back(0xFFFD);
      i += subpart;
      continue;
    }
    uint32_t cp = static_cast<unsigned char>(s[i]);
    if (n > 1) {
      cp &= 0xFF >> (n + 1);
      for (size_t k = 1; k < n; ++k) {
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      }
    }
    out.push_back(cp);
    i += n;
  }
  return out;
}

// SMS segments of `body`: GSM-7 (160 alone, 153 per part; the extension characters take
// two septets) unless one character is outside it, then UCS-2 (70 alone, 67 per part; a
// character outside the BMP takes two units).
int Segments(std::string_view body) {
  static const std::vector<uint32_t> basic = CodePoints(
      "@\xC2\xA3$\xC2\xA5\xC3\xA8\xC3\xA9\xC3\xB9\xC3\xAC\xC3\xB2\xC3\x87\n\xC3\x98\xC3\xB8\r"
      "\xC3\x85\xC3\xA5\xCE\x94_\xCE\xA6\xCE\x93\xCE\x9B\xCE\xA9\xCE\xA0\xCE\xA8\xCE\xA3\xCE\x98"
      "\xCE\x9E\xC3\x86\xC3\xA6\xC3\x9F\xC3\x89 !\"#\xC2\xA4%&'()*+,-./0123456789:;<=>?"
      "\xC2\xA1"
      "ABCDEFGHIJKLMNOPQRSTUVWXYZ\xC3\x84\xC3\x96\xC3\x91\xC3\x9C\xC2\xA7\xC2\xBF"
      "abcdefghijklmnopqrstuvwxyz\xC3\xA4\xC3\xB6\xC3\xB1\xC3\xBC\xC3\xA0");
  static const std::vector<uint32_t> extension = CodePoints("^{}\\[~]|\xE2\x82\xAC\f");
  auto in = [](const std::vector<uint32_t>& set, uint32_t cp) {
    return std::find(set.begin(), set.end(), cp) != set.end();
  };
  int septets = 0;
  int units = 0;
  bool gsm = true;
  for (const uint32_t cp : CodePoints(body)) {
    units += cp > 0xFFFF ? 2 : 1;
    if (in(basic, cp)) {
      septets += 1;
    } else if (in(extension, cp)) {
      septets += 2;
    } else {
      gsm = false;
    }
  }
  if (gsm) {
    return septets <= 160 ? 1 : (septets + 152) / 153;
  }
  return units <= 70 ? 1 : (units + 66) / 67;
}

std::string Rfc2822Now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[64];
  std::strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return out;
}

}  // namespace

struct TwilioRestStandin::Impl {
  explicit Impl(TwilioRestStandinOptions o) : options(std::move(o)) {}

  void AcceptLoop();
  void Serve(tcp::socket& socket, int connection);
  Answer Handle(const StandinRequest& request);
  Answer Create(const StandinRequest& request);
  // The statuses Twilio would report for a message it created, after its 201.
  std::vector<CallbackStep> Fate(const twilio::Form& form);
  std::optional<StandinFault> NextFault();

  const TwilioRestStandinOptions options;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;

  mutable std::mutex mu;
  mutable std::condition_variable changed;
  bool stopping = false;
  std::vector<std::thread> connection_threads;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  int connections = 0;
  std::deque<StandinFault> faults;
  std::string retry_after = "1";
  std::chrono::milliseconds slow_delay{2000};
  std::set<std::string> blocked;
  double fault_rate = 0;
  int faults_injected = 0;
  std::vector<StandinFault> random_faults;
  std::map<std::string, std::chrono::steady_clock::time_point> wrote_at;  // WhatsApp windows
  std::vector<StandinRequest> requests;
  StatusCallbackSender callbacks{{options.auth_token, options.account_sid, options.callback_delay,
                                  options.reorder_callbacks, options.duplicate_callbacks}};
  std::mt19937_64 random{std::random_device{}()};

  std::string NewSid(std::string_view prefix) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string sid(prefix);
    std::lock_guard lock(mu);
    for (int i = 0; i < 32; ++i) {
      sid += kHex[random() & 15];
    }
    return sid;
  }
};

TwilioRestStandin::TwilioRestStandin(TwilioRestStandinOptions options)
    : options_(options), impl_(std::make_unique<Impl>(std::move(options))) {}

TwilioRestStandin::~TwilioRestStandin() { Stop(); }

Result<std::unique_ptr<TwilioRestStandin>> TwilioRestStandin::Start(
    TwilioRestStandinOptions options) {
  std::unique_ptr<TwilioRestStandin> s(new TwilioRestStandin(std::move(options)));
  Impl& impl = *s->impl_;
  boost::system::error_code ec;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    impl.acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Status::Unavailable("stand-in: cannot listen: " + ec.message());
  }
  s->port_ = impl.acceptor.local_endpoint().port();
  impl.accept_thread = std::thread([&impl] { impl.AcceptLoop(); });
  return s;
}

std::string TwilioRestStandin::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void TwilioRestStandin::InjectFault(StandinFault fault, int count) {
  std::lock_guard lock(impl_->mu);
  for (int i = 0; i < count; ++i) {
    impl_->faults.push_back(fault);
  }
}

void TwilioRestStandin::SetRetryAfter(std::string value) {
  std::lock_guard lock(impl_->mu);
  impl_->retry_after = std::move(value);
}

void TwilioRestStandin::SetSlowDelay(std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mu);
  impl_->slow_delay = delay;
}

void TwilioRestStandin::Block(const std::string& to) {
  std::lock_guard lock(impl_->mu);
  impl_->blocked.insert(to);
}

void TwilioRestStandin::SetFaultRate(double rate, std::vector<StandinFault> faults) {
  std::lock_guard lock(impl_->mu);
  impl_->fault_rate = faults.empty() ? 0 : rate;
  impl_->random_faults = std::move(faults);
}

void TwilioRestStandin::OpenWhatsAppWindow(const std::string& to) {
  std::lock_guard lock(impl_->mu);
  impl_->wrote_at[to] = std::chrono::steady_clock::now();
}

void TwilioRestStandin::CloseWhatsAppWindow(const std::string& to) {
  std::lock_guard lock(impl_->mu);
  impl_->wrote_at.erase(to);
}

void TwilioRestStandin::SendCallbacksTo(const std::string& host, uint16_t port) {
  impl_->callbacks.SetTarget(host, port);
}

bool TwilioRestStandin::WaitForCallbacks(std::chrono::milliseconds timeout) const {
  return impl_->callbacks.WaitIdle(timeout);
}

std::vector<SentCallback> TwilioRestStandin::callbacks() const { return impl_->callbacks.sent(); }

int TwilioRestStandin::faults_injected() const {
  std::lock_guard lock(impl_->mu);
  return impl_->faults_injected;
}

std::vector<StandinRequest> TwilioRestStandin::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

std::vector<StandinRequest> TwilioRestStandin::created() const {
  std::lock_guard lock(impl_->mu);
  std::vector<StandinRequest> out;
  for (const auto& r : impl_->requests) {
    if (!r.sid.empty()) {
      out.push_back(r);
    }
  }
  return out;
}

int TwilioRestStandin::connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections;
}

bool TwilioRestStandin::WaitForCreated(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->changed.wait_for(lock, timeout, [&] {
    size_t created = 0;
    for (const auto& r : impl_->requests) {
      created += r.sid.empty() ? 0 : 1;
    }
    return created >= n;
  });
}

void TwilioRestStandin::Stop() {
  if (!impl_) {
    return;
  }
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) {
      return;
    }
    impl_->stopping = true;
  }
  impl_->changed.notify_all();
  // shutdown() wakes a blocking accept() or read() on Linux, from any thread.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  if (impl_->accept_thread.joinable()) {
    impl_->accept_thread.join();
  }
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& socket : impl_->sockets) {
      ::shutdown(socket->native_handle(), SHUT_RDWR);
    }
    threads = std::move(impl_->connection_threads);
  }
  for (auto& t : threads) {
    t.join();
  }
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  impl_->callbacks.Stop();
}

std::optional<StandinFault> TwilioRestStandin::Impl::NextFault() {
  std::lock_guard lock(mu);
  if (!faults.empty()) {
    const StandinFault f = faults.front();
    faults.pop_front();
    ++faults_injected;
    return f;
  }
  if (fault_rate > 0 && std::uniform_real_distribution<double>(0, 1)(random) < fault_rate) {
    ++faults_injected;
    return random_faults[random() % random_faults.size()];
  }
  return std::nullopt;
}

std::vector<CallbackStep> TwilioRestStandin::Impl::Fate(const twilio::Form& f) {
  const std::string to(f.Get("To"));
  if (options.whatsapp_window && IsWhatsApp(to) && !f.Has("ContentSid")) {
    std::lock_guard lock(mu);
    const auto wrote = wrote_at.find(to);
    if (wrote == wrote_at.end() ||
        std::chrono::steady_clock::now() - wrote->second >= std::chrono::hours(24)) {
      return {{"failed", "63016"}};
    }
  }
  static const std::map<std::string, CallbackStep> kDeliveryFailures = {
      {"+15005550010", {"undelivered", "30003"}},
      {"+15005550011", {"undelivered", "30005"}},
      {"+15005550012", {"failed", "30008"}},
  };
  if (const auto it = kDeliveryFailures.find(std::string(Number(to)));
      it != kDeliveryFailures.end()) {
    if (it->second.status == "failed") {
      return {it->second};
    }
    return {{"sent", ""}, it->second};
  }
  std::vector<CallbackStep> steps;
  if (f.Has("MessagingServiceSid")) {
    steps.push_back({"queued", ""});
  }
  steps.push_back({"sent", ""});
  steps.push_back({"delivered", ""});
  return steps;
}

void TwilioRestStandin::Impl::AcceptLoop() {
  while (true) {
    auto socket = std::make_shared<tcp::socket>(ioc);
    boost::system::error_code ec;
    acceptor.accept(*socket, ec);
    std::lock_guard lock(mu);
    if (stopping) {
      return;
    }
    if (ec) {
      continue;
    }
    const int id = ++connections;
    sockets.push_back(socket);
    connection_threads.emplace_back([this, socket, id] { Serve(*socket, id); });
  }
}

void TwilioRestStandin::Impl::Serve(tcp::socket& socket, int connection) {
  beast::flat_buffer buffer;
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    boost::system::error_code ec;
    http::read(socket, buffer, parser, ec);
    if (ec) {
      break;
    }
    const auto& req = parser.get();
    StandinRequest record;
    record.received_at = std::chrono::steady_clock::now();
    record.method = std::string(req.method_string());
    const auto raw_target = req.target();
    const std::string_view target(raw_target.data(), raw_target.size());
    record.path = std::string(target.substr(0, target.find('?')));
    record.content_type = std::string(req[http::field::content_type]);
    record.connection = connection;
    const auto raw_auth = req[http::field::authorization];
    if (const std::string_view auth(raw_auth.data(), raw_auth.size()); auth.starts_with("Basic ")) {
      const std::string decoded = Base64Decode(auth.substr(6));
      const size_t colon = decoded.find(':');
      record.user = decoded.substr(0, colon);
      record.password = colon == std::string::npos ? "" : decoded.substr(colon + 1);
    }
    if (record.content_type.starts_with("application/x-www-form-urlencoded")) {
      if (auto form = twilio::DecodeForm(req.body()); form.ok()) {
        record.form = std::move(*form);
      }
    }

    const std::optional<StandinFault> fault = NextFault();
    record.faulted = fault.has_value();
    record.slow = fault == StandinFault::kSlow;
    std::string retry_after_value;
    std::chrono::milliseconds delay{0};
    {
      std::lock_guard lock(mu);
      retry_after_value = retry_after;
      delay = slow_delay;
    }
    if (fault == StandinFault::kDrop) {
      {
        std::lock_guard lock(mu);
        requests.push_back(std::move(record));
      }
      changed.notify_all();
      break;
    }
    if (fault == StandinFault::kSlow) {
      std::unique_lock lock(mu);
      if (changed.wait_for(lock, delay, [&] { return stopping; })) {
        break;
      }
    }
    Answer answer;
    if (fault == StandinFault::kServerError) {
      answer = Error(500, 20500, "Internal Server Error");
    } else if (fault == StandinFault::kTooManyRequests) {
      answer = Error(429, 20429, "Too Many Requests");
      answer.headers.emplace_back("Retry-After", retry_after_value);
    } else {
      answer = Handle(record);
    }
    record.status = answer.status;
    record.sid = answer.sid;
    if (!answer.sid.empty() && record.form.Has("StatusCallback")) {
      // Through a Messaging Service Twilio picks the sender; its callbacks name it.
      std::string from(record.form.Get("From"));
      if (from.empty() && !options.owned_numbers.empty()) {
        from = *options.owned_numbers.begin();
      }
      callbacks.Schedule(std::string(record.form.Get("StatusCallback")), answer.sid, from,
                         std::string(record.form.Get("To")), Fate(record.form));
    }
    {
      std::lock_guard lock(mu);
      requests.push_back(std::move(record));
    }
    changed.notify_all();

    http::response<http::string_body> res{static_cast<http::status>(answer.status), req.version()};
    res.set(http::field::server, "twilio-standin");
    res.set(http::field::content_type, "application/json; charset=utf-8");
    for (const auto& [name, value] : answer.headers) {
      res.set(name, value);
    }
    res.keep_alive(req.keep_alive());
    res.body() = std::move(answer.body);
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !res.keep_alive()) {
      break;
    }
  }
  // Closed under the lock: Stop() shuts sockets down under it, never a reused descriptor.
  std::lock_guard lock(mu);
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

Answer TwilioRestStandin::Impl::Handle(const StandinRequest& r) {
  constexpr std::string_view kPrefix = "/2010-04-01/Accounts/";
  constexpr std::string_view kSuffix = "/Messages.json";
  const std::string_view path = r.path;
  if (!path.starts_with(kPrefix) || !path.ends_with(kSuffix) ||
      path.size() <= kPrefix.size() + kSuffix.size()) {
    return Error(404, 20404, "The requested resource " + r.path + " was not found");
  }
  const std::string_view account =
      path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  const bool with_token = r.user == options.account_sid && r.password == options.auth_token;
  const bool with_key =
      !options.api_key.empty() && r.user == options.api_key && r.password == options.api_secret;
  if ((!with_token && !with_key) || account != options.account_sid) {
    Answer a = Error(401, 20003, "Authenticate");
    a.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Twilio API\"");
    return a;
  }
  if (r.method != "POST") {
    return Error(405, 20004, "Method not allowed");
  }
  return Create(r);
}

Answer TwilioRestStandin::Impl::Create(const StandinRequest& r) {
  const twilio::Form& f = r.form;
  if (!f.Has("To")) {
    return Error(400, 21604, "A 'To' phone number is required.");
  }
  const std::string to(f.Get("To"));
  if (!IsE164(Number(to))) {
    return Error(400, 21211, "The 'To' number " + to + " is not a valid phone number.");
  }
  const std::string from(f.Get("From"));
  const std::string service(f.Get("MessagingServiceSid"));
  if (from.empty() && service.empty()) {
    return Error(400, 21603, "A 'From' phone number is required.");
  }
  if (!service.empty() && !IsSid(service, "MG")) {
    return Error(400, 21701, "The Messaging Service Sid " + service + " is invalid.");
  }
  if (!f.Has("Body") && !f.Has("MediaUrl") && !f.Has("ContentSid")) {
    return Error(400, 21602, "Message body is required.");
  }
  const std::string body(f.Get("Body"));
  if (CodePoints(body).size() > 1600) {
    return Error(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
  }
  if (!from.empty()) {
    if (IsWhatsApp(from) != IsWhatsApp(to)) {
      return Error(400, 21910,
                   "Invalid From and To pair. From and To should be of the same channel");
    }
    static const std::map<std::string, std::pair<int, std::string>> kMagicFrom = {
        {"+15005550001",
         {21212,
          "The 'From' number +15005550001 is not a valid phone number, shortcode, or "
          "alphanumeric sender ID."}},
        {"+15005550007",
         {21606,
          "The From phone number +15005550007 is not a valid, SMS-capable inbound phone "
          "number or short code for your account."}},
        {"+15005550008",
         {21611, "This 'From' number has exceeded the maximum number of queued messages"}},
    };
    if (const auto it = kMagicFrom.find(from); it != kMagicFrom.end()) {
      return Error(400, it->second.first, it->second.second);
    }
    if (!options.owned_numbers.contains(from)) {
      return Error(400, 21606,
                   "The From phone number " + from +
                       " is not a valid, SMS-capable inbound phone number or short code for "
                       "your account.");
    }
  }
  static const std::map<std::string, std::pair<int, std::string>> kMagicTo = {
      {"+15005550001", {21211, "The 'To' number +15005550001 is not a valid phone number."}},
      {"+15005550002", {21612, "The 'To' phone number is not currently reachable via SMS."}},
      {"+15005550003",
       {21408,
        "Permission to send an SMS has not been enabled for the region indicated by the "
        "'To' number: +15005550003."}},
      {"+15005550004", {21610, "Attempt to send to unsubscribed recipient"}},
      {"+15005550009", {21614, "'To' number is not a valid mobile number"}},
  };
  if (const auto it = kMagicTo.find(std::string(Number(to))); it != kMagicTo.end()) {
    return Error(400, it->second.first, it->second.second);
  }
  {
    std::lock_guard lock(mu);
    if (blocked.contains(to)) {
      return Error(400, 21610, "Attempt to send to unsubscribed recipient");
    }
  }

  const size_t media = f.All("MediaUrl").size();
  const std::string sid = NewSid(media > 0 ? "MM" : "SM");
  const std::string account = options.account_sid;
  const std::string uri = "/2010-04-01/Accounts/" + account + "/Messages/" + sid;
  const std::string now = Rfc2822Now();
  const bool whatsapp = IsWhatsApp(to);
  json::Object o;
  o.emplace_back("account_sid", account);
  o.emplace_back("api_version", "2010-04-01");
  o.emplace_back("body", body);
  o.emplace_back("date_created", now);
  o.emplace_back("date_sent", nullptr);
  o.emplace_back("date_updated", now);
  o.emplace_back("direction", "outbound-api");
  o.emplace_back("error_code", nullptr);
  o.emplace_back("error_message", nullptr);
  o.emplace_back("from", from.empty() ? json::Value() : json::Value(from));
  o.emplace_back("messaging_service_sid", service.empty() ? json::Value() : json::Value(service));
  o.emplace_back("num_media", std::to_string(media));
  // Through a Messaging Service the count starts at "0"; WhatsApp has no segments.
  o.emplace_back("num_segments", std::to_string(!service.empty() && from.empty() ? 0
                                                : whatsapp                       ? 1
                                                                                 : Segments(body)));
  o.emplace_back("price", nullptr);
  o.emplace_back("price_unit", "USD");
  o.emplace_back("sid", sid);
  o.emplace_back("status", service.empty() ? "queued" : "accepted");
  json::Object subresources;
  subresources.emplace_back("media", uri + "/Media.json");
  o.emplace_back("subresource_uris", std::move(subresources));
  o.emplace_back("to", to);
  o.emplace_back("uri", uri + ".json");
  return {201, json::Serialize(json::Value(std::move(o))), {}, sid};
}

}  // namespace parley::testing
