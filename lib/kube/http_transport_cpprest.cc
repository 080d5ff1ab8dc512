// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// HttpTransport on cpprestsdk's http_client. The only translation unit of
// lib/kube that includes cpprestsdk.

#define _TURN_OFF_PLATFORM_STRING
#include <openssl/ssl.h>

#include <atomic>
#include <cerrno>
#include <boost/asio/ssl.hpp>
#include <cpprest/http_client.h>
#include <cpprest/producerconsumerstream.h>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "kube/http_transport.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"

namespace vkubelet::kube::internal {
namespace {

using vkubelet::internal::ToAbsl;
namespace http = web::http;
namespace http_client = web::http::client;

HeaderList CopyHeaders(const http::http_headers& headers) {
  HeaderList out;
  for (const auto& [name, value] : headers) out.emplace_back(name, value);
  return out;
}

// A response body read as it arrives. cpprest's producer/consumer buffer
// completes a read of N bytes only once N bytes are there, so Read asks for
// one byte (blocking until the next chunk) and then takes what is buffered.
class CppRestStream final : public ResponseStream {
 public:
  CppRestStream(std::shared_ptr<std::atomic<int64_t>> open_streams, http::http_response resp,
                std::shared_ptr<pplx::cancellation_token_source> cts, CancelRegistration reg,
                std::shared_ptr<http_client::http_client> client, Context ctx)
      : open_streams_(std::move(open_streams)),
        resp_(std::move(resp)),
        buf_(resp_.body().streambuf()),
        cts_(std::move(cts)),
        reg_(std::move(reg)),
        client_(std::move(client)),
        ctx_(std::move(ctx)),
        content_type_(resp_.headers().content_type()),
        status_code_(resp_.status_code()) {
    open_streams_->fetch_add(1);
  }

  ~CppRestStream() override {
    Close();
    reg_.Reset();
    open_streams_->fetch_sub(1);
  }

  int status_code() const override { return status_code_; }
  const std::string& content_type() const override { return content_type_; }

  absl::StatusOr<bool> Read(std::string* out, size_t max_bytes) override {
    if (closed_.load()) return absl::CancelledError("stream closed");
    if (ended_) return false;
    try {
      size_t avail = buf_.in_avail();
      if (avail == 0) {
        uint8_t first = 0;
        size_t n = buf_.getn(&first, 1).get();
        if (n == 0) return End();
        out->push_back(static_cast<char>(first));
        avail = std::min(buf_.in_avail(), max_bytes > 0 ? max_bytes - 1 : 0);
      } else {
        avail = std::min(avail, max_bytes);
      }
      if (avail > 0) {
        size_t old = out->size();
        out->resize(old + avail);
        size_t n = buf_.getn(reinterpret_cast<uint8_t*>(out->data() + old), avail).get();
        out->resize(old + n);
      }
      return true;
    } catch (const std::exception& e) {
      return Broken(e.what());
    }
  }

  void Close() override {
    if (!closed_.exchange(true)) cts_->cancel();
  }

 private:
  absl::StatusOr<bool> End() {
    ended_ = true;
    if (closed_.load()) return absl::CancelledError("stream closed");
    if (!ctx_.Err().ok()) return ctx_.Err();
    try {
      // Completes with an exception when the body ended because of an error.
      resp_.content_ready().get();
    } catch (const std::exception& e) {
      return Broken(e.what());
    }
    return false;
  }

  absl::Status Broken(std::string_view what) {
    ended_ = true;
    if (closed_.load()) return absl::CancelledError("stream closed");
    if (!ctx_.Err().ok()) return ctx_.Err();
    return errdefs::Unavailable(absl::StrCat("stream from the API server broke: ", ToAbsl(what)));
  }

  std::shared_ptr<std::atomic<int64_t>> open_streams_;
  http::http_response resp_;
  concurrency::streams::streambuf<uint8_t> buf_;
  std::shared_ptr<pplx::cancellation_token_source> cts_;
  CancelRegistration reg_;
  std::shared_ptr<http_client::http_client> client_;
  Context ctx_;
  std::string content_type_;
  int status_code_;
  std::atomic<bool> closed_{false};
  bool ended_ = false;
};

class CppRestTransport final : public HttpTransport {
 public:
  explicit CppRestTransport(TransportConfig config) : config_(std::move(config)) {}

  absl::Status Init() {
    try {
      base_uri_ = web::uri(config_.server);
    } catch (const std::exception& e) {
      return errdefs::InvalidInput(absl::StrCat("server URL \"", config_.server, "\" is not valid: ", e.what()));
    }
    if (base_uri_.scheme() != "https" && base_uri_.scheme() != "http") {
      return errdefs::InvalidInput(absl::StrCat("server URL \"", config_.server, "\" must be http:// or https://"));
    }
    absl::MutexLock lock(&mu_);
    try {
      RebuildClientsLocked(config_.cert_pem, config_.key_pem);
    } catch (const std::exception& e) {
      return errdefs::InvalidInput(absl::StrCat("server URL \"", config_.server, "\": ", e.what()));
    }
    return absl::OkStatus();
  }

  WireResult RoundTrip(const Context& ctx, const WireRequest& request) override;
  uint64_t connections_opened() const override { return 0; }  // cpprest does not tell

 private:
  struct Clients {
    std::shared_ptr<http_client::http_client> normal;
    std::shared_ptr<http_client::http_client> streaming;
  };

  std::shared_ptr<http_client::http_client> MakeClient(absl::Duration idle_timeout, const std::string& cert,
                                                       const std::string& key) {
    http_client::http_client_config cfg;
    cfg.set_timeout(std::chrono::microseconds(absl::ToInt64Microseconds(idle_timeout)));
    cfg.set_validate_certificates(!config_.insecure);
    std::string ca = config_.ca_pem;
    cfg.set_ssl_context_callback([ca, cert, key](boost::asio::ssl::context& ctx) {
      // Validated by RestClient::Create; a throw here would only fail this connection.
      if (!ca.empty()) {
        // Trust only the configured CAs, not the system roots (like kubectl).
        SSL_CTX_set_cert_store(ctx.native_handle(), X509_STORE_new());
        ctx.add_certificate_authority(boost::asio::buffer(ca));
      }
      if (!cert.empty()) {
        ctx.use_certificate_chain(boost::asio::buffer(cert));
        ctx.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
      }
    });
    return std::make_shared<http_client::http_client>(base_uri_, cfg);
  }

  void RebuildClientsLocked(const std::string& cert, const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    clients_.normal = MakeClient(config_.timeout, cert, key);
    clients_.streaming = MakeClient(config_.watch_idle_timeout, cert, key);
    client_cert_pem_ = cert;
  }

  // The clients to use; a new client certificate from the exec plugin means
  // new connections.
  Clients ClientsFor(std::string_view cert, std::string_view key) {
    absl::MutexLock lock(&mu_);
    if (!cert.empty() && cert != client_cert_pem_) RebuildClientsLocked(std::string(cert), std::string(key));
    return clients_;
  }

  absl::Status TransportError(const Context& ctx, const std::exception* e, const std::error_code* ec,
                              bool* not_sent) {
    if (!ctx.Err().ok()) return ctx.Err();
    std::string what = e ? e->what() : "request cancelled";
    if (ec) {
      int v = ec->value();
      if (v == EHOSTUNREACH || v == ECONNREFUSED) {
        *not_sent = true;
        return errdefs::Unavailable(absl::StrCat("connecting to ", config_.server, ": connection refused"));
      }
      if (v == ETIMEDOUT) {
        return errdefs::Unavailable(absl::StrCat("no data from ", config_.server, " within the idle timeout"));
      }
    }
    return errdefs::Unavailable(absl::StrCat("request to ", config_.server, " failed: ", what));
  }

  TransportConfig config_;
  web::uri base_uri_;
  absl::Mutex mu_;
  Clients clients_ ABSL_GUARDED_BY(mu_);
  std::string client_cert_pem_ ABSL_GUARDED_BY(mu_);
};

WireResult CppRestTransport::RoundTrip(const Context& ctx, const WireRequest& request) {
  WireResult out;
  if (!ctx.Err().ok()) {
    out.error = ctx.Err();
    return out;
  }
  Clients clients = ClientsFor(request.cert_pem, request.key_pem);
  std::shared_ptr<http_client::http_client> client = request.streaming ? clients.streaming : clients.normal;

  http::http_request req(request.method);
  try {
    req.set_request_uri(web::uri(request.target));
  } catch (const std::exception& e) {
    out.error = errdefs::InvalidInput(absl::StrCat("request target \"", request.target, "\": ", e.what()));
    return out;
  }
  http::http_headers& h = req.headers();
  for (const auto& [name, value] : request.headers) h.add(name, value);
  // cpprest takes the TLS server name (SNI and verification) from Host.
  if (!config_.server_name.empty()) h.add("Host", config_.server_name);
  if (request.has_body) {
    std::string content_type = h.content_type();
    req.set_body(std::vector<unsigned char>(request.body.begin(), request.body.end()));
    h.set_content_type(content_type);
  }

  auto cts = std::make_shared<pplx::cancellation_token_source>();
  CancelRegistration reg = ctx.OnCancel([cts] { cts->cancel(); });
  std::optional<http::http_response> resp;
  try {
    resp = client->request(req, cts->get_token()).get();
  } catch (const http::http_exception& e) {
    std::error_code ec = e.error_code();
    out.error = TransportError(ctx, &e, &ec, &out.not_sent);
    return out;
  } catch (const pplx::task_canceled&) {
    out.error = TransportError(ctx, nullptr, nullptr, &out.not_sent);
    return out;
  } catch (const std::exception& e) {
    out.error = TransportError(ctx, &e, nullptr, &out.not_sent);
    return out;
  }
  out.status_code = resp->status_code();
  out.content_type = resp->headers().content_type();
  out.headers = CopyHeaders(resp->headers());
  if (request.streaming && out.status_code >= 200 && out.status_code < 300) {
    out.stream = std::make_unique<CppRestStream>(config_.open_streams, std::move(*resp), std::move(cts),
                                                 std::move(reg), std::move(client), ctx);
    return out;
  }
  bool ignored = false;
  absl::Status body_error;
  try {
    std::vector<unsigned char> v = resp->extract_vector().get();
    out.body.assign(v.begin(), v.end());
  } catch (const http::http_exception& e) {
    std::error_code ec = e.error_code();
    body_error = TransportError(ctx, &e, &ec, &ignored);
  } catch (const std::exception& e) {
    body_error = TransportError(ctx, &e, nullptr, &ignored);
  }
  // An error status without a readable body is still an error status.
  if (out.status_code >= 200 && out.status_code < 300) out.error = body_error;
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpTransport>> NewCppRestTransport(const TransportConfig& config) {
  auto t = std::make_unique<CppRestTransport>(config);
  VK_RETURN_IF_ERROR(t->Init());
  return std::unique_ptr<HttpTransport>(std::move(t));
}

}  // namespace vkubelet::kube::internal
