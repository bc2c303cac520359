#include "test/support/twilio_driver.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "twilio/signature.hpp"

namespace parley::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view kApiVersion = "2010-04-01";
constexpr std::string_view kWhatsAppPrefix = "whatsapp:";
constexpr size_t kSidHexDigits = 32;
constexpr int kHttp11 = 11;

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return LowerAscii(x) == LowerAscii(y);
         });
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// "https://user:pass@host:443/x" -> "host:443".
std::string AuthorityHost(std::string_view url) {
  const size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    rest = rest.substr(at + 1);
  }
  return std::string(rest);
}

// ISO country of a few common calling codes, for the FromCountry/ToCountry fields.
std::string_view CountryOf(std::string_view number) {
  if (StartsWithIgnoreCase(number, kWhatsAppPrefix)) {
    number.remove_prefix(kWhatsAppPrefix.size());
  }
  struct Code {
    std::string_view prefix;
    std::string_view country;
  };
  static constexpr std::array kCodes = {
      Code{"+1", "US"},  Code{"+44", "GB"}, Code{"+51", "PE"}, Code{"+52", "MX"},
      Code{"+34", "ES"}, Code{"+55", "BR"}, Code{"+57", "CO"}, Code{"+49", "DE"},
  };
  for (const Code& c : kCodes) {
    if (number.substr(0, c.prefix.size()) == c.prefix) {
      return c.country;
    }
  }
  return "";
}

std::string WithWhatsAppPrefix(std::string_view address) {
  if (StartsWithIgnoreCase(address, kWhatsAppPrefix)) {
    return std::string(address);
  }
  return std::string(kWhatsAppPrefix) + std::string(address);
}

std::string_view WhatsAppMessageType(std::string_view content_type) {
  if (StartsWithIgnoreCase(content_type, "image/")) {
    return "image";
  }
  if (StartsWithIgnoreCase(content_type, "video/")) {
    return "video";
  }
  if (StartsWithIgnoreCase(content_type, "audio/")) {
    return "audio";
  }
  return "document";
}

bool IsXmlContentType(std::string_view content_type) {
  const std::string_view media_type = content_type.substr(0, content_type.find(';'));
  std::string_view trimmed = media_type;
  while (!trimmed.empty() && trimmed.back() == ' ') {
    trimmed.remove_suffix(1);
  }
  return EqualsIgnoreCase(trimmed, "text/xml") || EqualsIgnoreCase(trimmed, "application/xml");
}

// Runs `ioc` until the operation started just before completes, then readies it for the next.
void RunOnce(asio::io_context& ioc) {
  ioc.run();
  ioc.restart();
}

}  // namespace

std::string_view DriverResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) {
      return value;
    }
  }
  return {};
}

TwilioDriver::TwilioDriver(TwilioDriverOptions options)
    : options_(std::move(options)),
      public_host_(AuthorityHost(options_.public_url)),
      random_(std::make_unique<Random>()) {
  random_->engine.seed(std::random_device{}());
}

std::string TwilioDriver::RandomHex(size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digits);
  std::lock_guard<std::mutex> lock(random_->mu);
  while (out.size() < digits) {
    uint64_t bits = random_->engine();
    for (int i = 0; i < 16 && out.size() < digits; ++i, bits >>= 4) {
      out += kHex[bits & 0xF];
    }
  }
  return out;
}

std::string TwilioDriver::NewMessageSid(std::string_view prefix) {
  return std::string(prefix) + RandomHex(kSidHexDigits);
}

std::string TwilioDriver::NewUuid() {
  std::string hex = RandomHex(kSidHexDigits);
  hex[12] = '4';                                       // version 4
  hex[16] = "89ab"[static_cast<size_t>(hex[16]) % 4];  // RFC 4122 variant
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

twilio::Form TwilioDriver::SmsParams(std::string_view from, std::string_view to,
                                     std::string_view body, std::string_view message_sid) const {
  twilio::Form p;
  p.Add("ToCountry", CountryOf(to));
  p.Add("ToState", "");
  p.Add("SmsMessageSid", message_sid);
  p.Add("NumMedia", "0");
  p.Add("ToCity", "");
  p.Add("FromZip", "");
  p.Add("SmsSid", message_sid);
  p.Add("FromState", "");
  p.Add("SmsStatus", "received");
  p.Add("FromCity", "");
  p.Add("Body", body);
  p.Add("FromCountry", CountryOf(from));
  p.Add("To", to);
  p.Add("ToZip", "");
  p.Add("NumSegments", "1");
  p.Add("ReferralNumMedia", "0");
  p.Add("MessageSid", message_sid);
  p.Add("AccountSid", options_.account_sid);
  p.Add("From", from);
  p.Add("ApiVersion", kApiVersion);
  return p;
}

twilio::Form TwilioDriver::WhatsAppParams(std::string_view from, std::string_view to,
                                          std::string_view body, std::string_view message_sid,
                                          std::string_view profile_name) const {
  const std::string wa_from = WithWhatsAppPrefix(from);
  std::string wa_id = wa_from.substr(kWhatsAppPrefix.size());
  if (!wa_id.empty() && wa_id.front() == '+') {
    wa_id.erase(0, 1);
  }
  twilio::Form p;
  p.Add("SmsMessageSid", message_sid);
  p.Add("NumMedia", "0");
  p.Add("ProfileName", profile_name);
  p.Add("MessageType", "text");
  p.Add("SmsSid", message_sid);
  p.Add("WaId", wa_id);
  p.Add("SmsStatus", "received");
  p.Add("Body", body);
  p.Add("To", WithWhatsAppPrefix(to));
  p.Add("NumSegments", "1");
  p.Add("ReferralNumMedia", "0");
  p.Add("MessageSid", message_sid);
  p.Add("AccountSid", options_.account_sid);
  p.Add("From", wa_from);
  p.Add("ApiVersion", kApiVersion);
  return p;
}

twilio::Form TwilioDriver::StatusParams(std::string_view message_sid, std::string_view status,
                                        std::string_view from, std::string_view to,
                                        std::string_view error_code) const {
  const bool whatsapp = to.starts_with(kWhatsAppPrefix);
  twilio::Form p;
  p.Add("ApiVersion", kApiVersion);
  p.Add("MessageStatus", status);
  if (whatsapp) {
    p.Add("ChannelPrefix", "whatsapp");
    p.Add("ChannelInstallSid", "XE0123456789abcdef0123456789abcdef");
    if (!error_code.empty()) {
      p.Add("ChannelStatusMessage", "Message failed to send");
    }
    if (status == "read") {
      p.Add("EventType", "READ");
    }
  }
  p.Add("SmsSid", message_sid);
  p.Add("SmsStatus", status);
  p.Add("To", to);
  p.Add("MessageSid", message_sid);
  p.Add("AccountSid", options_.account_sid);
  p.Add("From", from);
  if (!error_code.empty()) {
    p.Add("ErrorCode", error_code);
  }
  return p;
}

void TwilioDriver::AddMedia(twilio::Form& params, const std::vector<TwilioMedia>& media) {
  params.Set("NumMedia", std::to_string(media.size()));
  if (params.Has("MessageType") && !media.empty()) {
    params.Set("MessageType", WhatsAppMessageType(media.front().content_type));
  }
  const std::string message_sid(params.Get("MessageSid"));
  for (size_t i = 0; i < media.size(); ++i) {
    const std::string index = std::to_string(i);
    params.Set("MediaContentType" + index, media[i].content_type);
    std::string url = media[i].url;
    if (url.empty()) {
      url = "https://api.twilio.com/2010-04-01/Accounts/" + options_.account_sid + "/Messages/" +
            message_sid + "/Media/" + NewMessageSid("ME");
    }
    params.Set("MediaUrl" + index, url);
  }
}

twilio::Form TwilioDriver::AbsorbNextParameter(const twilio::Form& params, std::string_view name) {
  std::vector<twilio::Form::Field> sorted(params.begin(), params.end());
  std::sort(sorted.begin(), sorted.end());
  auto it = std::find_if(sorted.begin(), sorted.end(),
                         [&](const twilio::Form::Field& f) { return f.first == name; });
  if (it == sorted.end() || it + 1 == sorted.end()) {
    return params;
  }
  const twilio::Form::Field absorbed = *(it + 1);
  const std::string value =
      std::string(it->second) + std::string(absorbed.first) + std::string(absorbed.second);
  twilio::Form out;
  for (const auto& [n, v] : params) {
    if (n == absorbed.first && v == absorbed.second) {
      continue;
    }
    out.Add(n, n == name ? std::string_view(value) : v);
  }
  return out;
}

std::string TwilioDriver::PublicUrl(std::string_view path) const {
  return options_.public_url + std::string(path);
}

std::string TwilioDriver::Sign(std::string_view url, const twilio::Form& params) const {
  return twilio::ComputeSignature(options_.auth_token, url, params);
}

std::string TwilioDriver::SignatureFor(const PostOptions& options, std::string_view url,
                                       const twilio::Form& params) const {
  // Connection overrides ("#rc=2&rp=all") configure Twilio's client and are never signed.
  url = url.substr(0, url.find('#'));
  switch (options.signature) {
    case SignatureMode::kValid:
      return Sign(url, params);
    case SignatureMode::kWrong:
      return twilio::ComputeSignature(options_.auth_token + "-wrong", url, params);
    case SignatureMode::kNone:
      return {};
  }
  return {};
}

Result<DriverResponse> TwilioDriver::Post(std::string_view path, const twilio::Form& params,
                                          const PostOptions& options) {
  Request request;
  if (options.use_get) {
    request.method = "GET";
    request.target = std::string(path);
    const std::string query = twilio::EncodeForm(params);
    if (!query.empty()) {
      request.target += request.target.find('?') == std::string::npos ? '?' : '&';
      request.target += query;
    }
    const std::string url =
        options.signed_url.empty() ? PublicUrl(request.target) : options.signed_url;
    request.signature = SignatureFor(options, url, twilio::Form());
  } else {
    request.method = "POST";
    request.target = std::string(path);
    request.content_type = options.content_type;
    request.body = options.raw_body ? *options.raw_body : twilio::EncodeForm(params);
    const std::string url = options.signed_url.empty() ? PublicUrl(path) : options.signed_url;
    request.signature = SignatureFor(options, url, params);
  }
  return Send(request, options);
}

Result<DriverResponse> TwilioDriver::PostJson(std::string_view path, std::string_view json,
                                              const PostOptions& options) {
  Request request;
  request.method = "POST";
  request.target = std::string(path);
  request.target += request.target.find('?') == std::string::npos ? '?' : '&';
  request.target += "bodySHA256=" + twilio::Sha256Hex(json);
  request.content_type = "application/json";
  request.body = std::string(json);
  const std::string url =
      options.signed_url.empty() ? PublicUrl(request.target) : options.signed_url;
  request.signature = SignatureFor(options, url, twilio::Form());
  return Send(request, options);
}

Result<DriverResponse> TwilioDriver::Send(const Request& request, const PostOptions& options) {
  http::request<http::string_body> req;
  req.method_string(request.method);
  req.target(request.target);
  req.version(kHttp11);
  req.set(http::field::host, public_host_);
  req.set(http::field::accept, "*/*");
  req.set(http::field::accept_encoding, "gzip");
  if (!request.content_type.empty()) {
    req.set(http::field::content_type, request.content_type);
  }
  req.set("I-Twilio-Idempotency-Token",
          options.idempotency_token.empty() ? NewUuid() : options.idempotency_token);
  req.set(http::field::user_agent, "TwilioProxy/1.1");
  req.set("X-Home-Region", "us1");
  if (!request.signature.empty()) {
    req.set("X-Twilio-Signature", request.signature);
  }
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : options.extra_headers) {
    req.insert(name, value);
  }
  req.body() = request.body;
  if (request.method != "GET" || !request.body.empty()) {
    req.prepare_payload();
  }

  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + options_.total_timeout;
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;

  tcp::resolver resolver(ioc);
  const auto endpoints =
      resolver.resolve(options_.connect_host, std::to_string(options_.connect_port), ec);
  if (ec) {
    return Status::Unavailable("resolve " + options_.connect_host + ": " + ec.message());
  }
  stream.expires_after(std::min<std::chrono::steady_clock::duration>(options_.connect_timeout,
                                                                     options_.total_timeout));
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  RunOnce(ioc);
  if (ec) {
    return Status::Unavailable("connect to " + options_.connect_host + ":" +
                               std::to_string(options_.connect_port) +
                               " failed (11205): " + ec.message());
  }

  stream.expires_at(deadline);
  http::async_write(stream, req, [&](beast::error_code e, size_t) { ec = e; });
  RunOnce(ioc);
  if (ec) {
    return Status::Unavailable("sending the request failed (11205): " + ec.message());
  }
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::async_read(stream, buffer, res, [&](beast::error_code e, size_t) { ec = e; });
  RunOnce(ioc);
  if (ec) {
    const bool timeout = ec == beast::error::timeout;
    return Status::Unavailable(std::string(timeout ? "no complete response within the timeout"
                                                   : "reading the response failed") +
                               " (11205): " + ec.message());
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);

  DriverResponse out;
  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(res.body());
  out.content_type = std::string(out.Header("Content-Type"));
  out.is_twiml = IsXmlContentType(out.content_type);
  if (out.is_twiml) {
    auto parsed = ParseTwiml(out.body);
    if (parsed.ok()) {
      out.messages = std::move(parsed).value();
    } else {
      out.twiml_error = parsed.status().message();
    }
  }
  return out;
}

}  // namespace parley::testing
