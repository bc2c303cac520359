// A Beast parser that writes straight into a (reused) parley::http::Request, so a request
// is not copied out of a beast::http::message.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include "http/server.hpp"

namespace parley::http::detail {

class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  // `request` must outlive the parser and be cleared by the caller beforehand.
  RequestParser(Request& request, size_t max_body_bytes, size_t max_header_bytes)
      : request_(request), max_body_bytes_(max_body_bytes) {
    body_limit(max_body_bytes);
    header_limit(static_cast<std::uint32_t>(
        std::min<size_t>(max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  }

  // The request line has been parsed: method, target, path and query are set.
  bool got_request_line() const { return got_request_line_; }
  int version() const { return version_; }
  int host_count() const { return host_count_; }
  bool expect_continue() const { return expect_continue_; }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;
  using field = boost::beast::http::field;

  void on_request_impl(boost::beast::http::verb /*method*/, string_view method_str,
                       string_view target, int version, error_code& /*ec*/) override {
    request_.method.assign(method_str.data(), method_str.size());
    request_.target.assign(target.data(), target.size());
    size_t question = target.find('?');
    if (question == string_view::npos) {
      request_.path.assign(target.data(), target.size());
      request_.query.clear();
    } else {
      request_.path.assign(target.data(), question);
      request_.query.assign(target.data() + question + 1, target.size() - question - 1);
    }
    version_ = version;
    got_request_line_ = true;
  }

  void on_response_impl(int /*code*/, string_view /*reason*/, int /*version*/,
                        error_code& /*ec*/) override {}

  void on_field_impl(field name, string_view name_string, string_view value,
                     error_code& /*ec*/) override {
    if (name == field::host) {
      ++host_count_;
    } else if (name == field::expect) {
      expect_continue_ = boost::beast::iequals(value, "100-continue");
    }
    request_.headers.emplace_back(std::string(name_string.data(), name_string.size()),
                                  std::string(value.data(), value.size()));
  }

  void on_header_impl(error_code& /*ec*/) override {}

  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& /*ec*/) override {
    if (content_length) {
      request_.body.reserve(
          static_cast<size_t>(std::min<std::uint64_t>(*content_length, max_body_bytes_)));
    }
  }

  std::size_t on_body_impl(string_view body, error_code& /*ec*/) override {
    request_.body.append(body.data(), body.size());
    return body.size();
  }

  void on_chunk_header_impl(std::uint64_t /*size*/, string_view /*extensions*/,
                            error_code& /*ec*/) override {}

  std::size_t on_chunk_body_impl(std::uint64_t /*remain*/, string_view body,
                                 error_code& ec) override {
    if (request_.body.size() + body.size() > max_body_bytes_) {
      ec = boost::beast::http::error::body_limit;
      return 0;
    }
    request_.body.append(body.data(), body.size());
    return body.size();
  }

  void on_finish_impl(error_code& /*ec*/) override {}

  Request& request_;
  size_t max_body_bytes_;
  bool got_request_line_ = false;
  int version_ = 11;
  int host_count_ = 0;
  bool expect_continue_ = false;
};

}  // namespace parley::http::detail
