// A Beast parser that writes straight into a (reused) parley::http::Request, so a request
// is not copied out of a beast::http::message.
//
// Framing is stricter than Beast's (issue 8 item 2, request smuggling; RFC 9112 §6): a body
// is framed either by one Content-Length (digits only, one field) or by exactly one
// `Transfer-Encoding: chunked` on HTTP/1.1, never both. Any other Transfer-Encoding (an
// unknown or extra coding, `chunked` not alone, a second field, or one on HTTP/1.0) makes
// the length of the body unknowable, so it is a parse error: the session answers 400 and
// closes the connection, and nothing after the header is read as a request.
//
// An absolute-form target (`POST http://host/path?q HTTP/1.1`, RFC 9112 §3.2.2) is turned
// into its origin form (`/path?q`) for Request::target/path/query, and its authority is
// kept for the session's Host check (authority()).
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
  // The authority of an absolute-form target ("host:port"); empty for origin form.
  const std::string& authority() const { return authority_; }

 private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;
  using field = boost::beast::http::field;

  void on_request_impl(boost::beast::http::verb /*method*/, string_view method_str,
                       string_view target, int version, error_code& ec) override {
    request_.method.assign(method_str.data(), method_str.size());
    if (!target.empty() && target.front() != '/' && target != "*") {
      if (!SplitAbsoluteForm(target, authority_, target)) {
        ec = boost::beast::http::error::bad_target;
        return;
      }
    }
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
                     error_code& ec) override {
    if (name == field::host) {
      ++host_count_;
    } else if (name == field::expect) {
      expect_continue_ = boost::beast::iequals(value, "100-continue");
    } else if (name == field::transfer_encoding) {
      // Beast frames by the last coding when it is `chunked` and otherwise ignores the
      // field (and frames by Content-Length, or not at all): exactly what a smuggled
      // request needs. Only a lone `chunked` is accepted.
      if (++transfer_encoding_count_ > 1 || !boost::beast::iequals(value, "chunked")) {
        ec = boost::beast::http::error::bad_transfer_encoding;
        return;
      }
    } else if (name == field::content_length) {
      // Beast accepts repeated equal values ("5, 5" or two fields); one is enough.
      if (++content_length_count_ > 1 ||
          value.find_first_not_of("0123456789") != string_view::npos) {
        ec = boost::beast::http::error::bad_content_length;
        return;
      }
    }
    request_.headers.emplace_back(std::string(name_string.data(), name_string.size()),
                                  std::string(value.data(), value.size()));
  }

  void on_header_impl(error_code& ec) override {
    // RFC 9112 §6.1: Transfer-Encoding on HTTP/1.0 is faulty framing; with Content-Length
    // it is the classic smuggling pair (§6.3 lets a server reject it: we do). Beast
    // rejects TE + CL itself only when it took the TE for chunked.
    if (transfer_encoding_count_ > 0 && (content_length_count_ > 0 || version_ < 11)) {
      ec = boost::beast::http::error::bad_transfer_encoding;
    }
  }

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

  // "http://authority/path?query" (scheme case-insensitive, http or https) into its
  // authority and origin-form target ("/" when the path is empty). False when the target
  // is not such a URL, has no authority, carries userinfo (RFC 9110 §4.2.4) or a fragment.
  bool SplitAbsoluteForm(string_view target, std::string& authority, string_view& origin_form) {
    size_t scheme_end = target.find("://");
    if (scheme_end == string_view::npos) {
      return false;
    }
    string_view scheme = target.substr(0, scheme_end);
    if (!boost::beast::iequals(scheme, "http") && !boost::beast::iequals(scheme, "https")) {
      return false;
    }
    string_view rest = target.substr(scheme_end + 3);
    size_t path_start = rest.find_first_of("/?");
    string_view host = rest.substr(0, path_start);
    if (host.empty() || host.find('@') != string_view::npos ||
        target.find('#') != string_view::npos) {
      return false;
    }
    authority.assign(host.data(), host.size());
    origin_form = path_start == string_view::npos ? string_view() : rest.substr(path_start);
    if (origin_form.empty() || origin_form.front() == '?') {
      // RFC 9112 §3.2.1: an empty path is "/".
      origin_form_storage_ = "/";
      origin_form_storage_.append(origin_form.data(), origin_form.size());
      origin_form = origin_form_storage_;
    }
    return true;
  }

  Request& request_;
  size_t max_body_bytes_;
  std::string authority_;
  std::string origin_form_storage_;  // the origin form when it is not a view of the input
  int transfer_encoding_count_ = 0;
  int content_length_count_ = 0;
  bool got_request_line_ = false;
  int version_ = 11;
  int host_count_ = 0;
  bool expect_continue_ = false;
};

}  // namespace parley::http::detail
