// Fuzzes what an untrusted client reaches first: the HTTP request parser with parley's
// framing rules (issue 8 item 2: one Content-Length, or one `Transfer-Encoding: chunked`
// on HTTP/1.1, nothing else) and absolute-form targets (item 3), and the log line formatter
// (item 15) on the same bytes. None may crash or hang; a request the parser accepts must
// obey the framing rules and have an origin-form target; a log line must be one line, and
// in JSON one object whose message is the input made valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include "common/json.hpp"
#include "common/log.hpp"
#include "common/utf8.hpp"
#include "http/detail/request_parser.hpp"

namespace {

void CheckRequest(std::string_view input) {
  parley::http::Request request;
  parley::http::detail::RequestParser parser(request, 4096, 4096);
  parser.eager(true);
  boost::beast::error_code ec;
  size_t offset = 0;
  // In two pieces when the input is long enough, so a split anywhere is exercised.
  const size_t first_piece = input.empty() ? 0 : input.size() / 2 + 1;
  size_t available = first_piece;
  while (!parser.is_done()) {
    const size_t n = parser.put(boost::asio::buffer(input.data() + offset, available - offset), ec);
    offset += n;
    if (ec == boost::beast::http::error::need_more && available < input.size()) {
      available = input.size();
      ec = {};
      continue;
    }
    if (ec || n == 0) {
      break;
    }
  }
  if (ec || !parser.is_header_done()) {
    return;
  }
  int transfer_encodings = 0;
  int content_lengths = 0;
  for (const auto& [name, value] : request.headers) {
    if (boost::beast::iequals(name, "Transfer-Encoding")) {
      ++transfer_encodings;
      if (!boost::beast::iequals(value, "chunked")) {
        __builtin_trap();
      }
    } else if (boost::beast::iequals(name, "Content-Length")) {
      ++content_lengths;
    }
  }
  if (transfer_encodings > 1 || content_lengths > 1 ||
      (transfer_encodings == 1 && (content_lengths == 1 || parser.version() < 11))) {
    __builtin_trap();
  }
  if (request.target != "*" && (request.target.empty() || request.target.front() != '/')) {
    __builtin_trap();
  }
}

void CheckLog(std::string_view input) {
  const parley::TimePoint time = parley::FromUnixMillis(0);
  const std::string text =
      parley::FormatLogLine(time, parley::LogLevel::kInfo, input, parley::LogFormat::kText);
  if (text.find_first_of("\r\n") != text.size() - 1) {
    __builtin_trap();
  }
  std::string json =
      parley::FormatLogLine(time, parley::LogLevel::kInfo, input, parley::LogFormat::kJson);
  if (json.find_first_of("\r\n") != json.size() - 1) {
    __builtin_trap();
  }
  json.pop_back();
  auto value = parley::json::Parse(json);
  if (!value.ok() || !value->is_object() || value->Find("msg") == nullptr ||
      value->Find("msg")->as_string() != parley::ToValidUtf8(input)) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckRequest(input);
  CheckLog(input);
  return 0;
}
