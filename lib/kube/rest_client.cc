// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// RestClient: what every request needs whatever carries it (credentials,
// rate limit, retries, Status decoding, metrics). The bytes move through an
// internal::HttpTransport (kube/http_transport.h).

#include "vkubelet/kube/rest_client.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <sstream>
#include <boost/asio/ssl.hpp>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "kube/credentials.h"
#include "kube/http_transport.h"
#include "kube/rate_limiter.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/log.h"
#include "vkubelet/types.h"

#ifndef VKUBELET_VERSION
#define VKUBELET_VERSION "0.0.0"
#endif

namespace vkubelet::kube {

using vkubelet::internal::ToAbsl;

namespace {

#if defined(__x86_64__)
constexpr const char* kArch = "amd64";
#elif defined(__aarch64__)
constexpr const char* kArch = "arm64";
#else
constexpr const char* kArch = "unknown";
#endif

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60};
  return kBuckets;
}

std::string PercentEncode(std::string_view in) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// Path characters that may stay as they are; everything else is escaped.
std::string EncodePath(std::string_view in) {
  std::string out;
  for (char c : in) {
    if (c == '/' || c == ':' || c == '@' || c == '+' || c == ',' || c == '=') {
      out.push_back(c);
    } else {
      out += PercentEncode(std::string_view(&c, 1));
    }
  }
  return out;
}

std::optional<absl::Duration> ParseRetryAfter(const std::string& value) {
  int64_t seconds = 0;
  if (value.empty() || !absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &seconds) || seconds < 0) {
    return std::nullopt;
  }
  return absl::Seconds(std::min<int64_t>(seconds, 3600));
}

std::string ReadFileOrEmpty(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  *ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string FindHeader(const HeaderList& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (absl::EqualsIgnoreCase(ToAbsl(n), ToAbsl(name))) return v;
  }
  return "";
}

}  // namespace

std::string RestResponse::Header(std::string_view name) const { return FindHeader(headers, name); }

int HttpStatusOf(const absl::Status& status) {
  metav1::Status st;
  if (errdefs::GetKubernetesStatus(status, &st)) return st.code();
  return 0;
}

// ---------------------------------------------------------------------------

class RestClient::Impl {
 public:
  Impl(ClientConfig config, const Clock* clock, std::unique_ptr<internal::CredentialSource> creds)
      : config_(std::move(config)),
        clock_(clock),
        credentials_(std::move(creds)),
        limiter_(config_.qps, config_.burst, clock) {
    if (config_.user_agent.empty()) {
      config_.user_agent = absl::StrCat("vkubelet/", VKUBELET_VERSION, " (linux/", kArch, ")");
    }
    default_accept_ = config_.content_type == ContentType::kProtobuf
                          ? absl::StrCat(ToAbsl(kProtobufMediaType), ", ", ToAbsl(kJsonMediaType))
                          : std::string(kJsonMediaType);
  }

  absl::Status Init() {
    // Inline PEM wins over files, like client-go.
    if (config_.tls.ca_pem.empty() && !config_.tls.ca_file.empty()) {
      bool ok;
      ca_pem_ = ReadFileOrEmpty(config_.tls.ca_file, &ok);
      if (!ok) return errdefs::InvalidInput(absl::StrCat("certificate authority file ", config_.tls.ca_file, " cannot be read"));
    } else {
      ca_pem_ = config_.tls.ca_pem;
    }
    std::string cert = config_.tls.cert_pem, key = config_.tls.key_pem;
    if (cert.empty() && !config_.tls.cert_file.empty()) {
      bool ok;
      cert = ReadFileOrEmpty(config_.tls.cert_file, &ok);
      if (!ok) return errdefs::InvalidInput(absl::StrCat("client certificate file ", config_.tls.cert_file, " cannot be read"));
    }
    if (key.empty() && !config_.tls.key_file.empty()) {
      bool ok;
      key = ReadFileOrEmpty(config_.tls.key_file, &ok);
      if (!ok) return errdefs::InvalidInput(absl::StrCat("client key file ", config_.tls.key_file, " cannot be read"));
    }
    if (cert.empty() != key.empty()) {
      return errdefs::InvalidInput("a client certificate needs both a certificate and a key");
    }
    VK_RETURN_IF_ERROR(CheckTlsMaterial(ca_pem_, cert, key));
    internal::TransportConfig tc;
    tc.server = config_.server;
    tc.ca_pem = ca_pem_;
    tc.cert_pem = cert;
    tc.key_pem = key;
    tc.insecure = config_.tls.insecure;
    tc.server_name = config_.tls.server_name;
    tc.timeout = config_.timeout;
    tc.watch_idle_timeout = config_.watch_idle_timeout;
    tc.open_streams = open_streams_;
    absl::StatusOr<std::unique_ptr<internal::HttpTransport>> t =
        config_.transport == HttpTransportKind::kCppRest ? internal::NewCppRestTransport(tc)
                                                         : internal::NewNativeTransport(tc);
    if (!t.ok()) return t.status();
    transport_ = *std::move(t);
    return absl::OkStatus();
  }

  absl::StatusOr<RestResponse> Do(const Context& ctx, const RestRequest& request);
  absl::StatusOr<std::unique_ptr<ResponseStream>> Stream(const Context& ctx, const RestRequest& request);

  const ClientConfig& config() const { return config_; }
  const std::string& default_accept() const { return default_accept_; }
  RequestMetrics Metrics() const;

  const std::shared_ptr<std::atomic<int64_t>>& open_streams() const { return open_streams_; }

 private:
  // Loads the PEM material into a throwaway context so that bad input is an
  // error now rather than a failed handshake later.
  absl::Status CheckTlsMaterial(const std::string& ca, const std::string& cert, const std::string& key) {
    try {
      boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
      if (!ca.empty()) {
        try {
          ctx.add_certificate_authority(boost::asio::buffer(ca));
        } catch (const std::exception& e) {
          return errdefs::InvalidInput(absl::StrCat("certificate authority (",
                                                    config_.tls.ca_file.empty() ? "inline data" : config_.tls.ca_file,
                                                    ") is not valid PEM: ", e.what()));
        }
      }
      if (!cert.empty()) {
        try {
          ctx.use_certificate_chain(boost::asio::buffer(cert));
        } catch (const std::exception& e) {
          return errdefs::InvalidInput(absl::StrCat("client certificate (",
                                                    config_.tls.cert_file.empty() ? "inline data" : config_.tls.cert_file,
                                                    ") is not valid PEM: ", e.what()));
        }
        try {
          ctx.use_private_key(boost::asio::buffer(key), boost::asio::ssl::context::pem);
        } catch (const std::exception& e) {
          return errdefs::InvalidInput(absl::StrCat("client key (",
                                                    config_.tls.key_file.empty() ? "inline data" : config_.tls.key_file,
                                                    ") is not valid PEM or does not match the certificate: ", e.what()));
        }
      }
    } catch (const std::exception& e) {
      return errdefs::InvalidInput(absl::StrCat("TLS configuration: ", e.what()));
    }
    return absl::OkStatus();
  }

  // The request as the transport sends it: encoded target, every header.
  internal::WireRequest BuildWire(const RestRequest& request, const internal::Credentials& creds,
                                  bool streaming) const {
    internal::WireRequest w;
    w.method = request.method;
    w.target = EncodePath(request.path);
    if (!request.query.empty()) {
      w.target.push_back('?');
      bool first = true;
      for (const auto& [name, value] : request.query) {
        if (!first) w.target.push_back('&');
        first = false;
        absl::StrAppend(&w.target, PercentEncode(name), "=", PercentEncode(value));
      }
    }
    w.headers.reserve(5 + request.headers.size());
    w.headers.emplace_back("User-Agent", config_.user_agent);
    w.headers.emplace_back("Accept", request.accept.empty() ? default_accept_ : request.accept);
    if (!creds.authorization.empty()) w.headers.emplace_back("Authorization", creds.authorization);
    for (const auto& h : request.headers) w.headers.push_back(h);
    w.has_body = !request.body.empty() || request.method == "POST" || request.method == "PUT" ||
                 request.method == "PATCH";
    if (w.has_body) {
      w.headers.emplace_back("Content-Type",
                             request.content_type.empty() ? std::string(kJsonMediaType) : request.content_type);
      w.body = request.body;
    }
    w.streaming = streaming;
    w.cert_pem = creds.cert_pem;
    w.key_pem = creds.key_pem;
    return w;
  }

  absl::Status ErrorFromResponse(int code, const std::string& content_type, const std::string& body,
                                 const std::string& retry_after_header) {
    metav1::Status st;
    bool decoded = false;
    std::optional<ContentType> ct = ParseContentType(content_type);
    if (ct && !body.empty()) {
      TypeMeta tm;
      decoded = Decode(*ct, body, &st, "", &tm).ok() && tm.kind == "Status";
    }
    if (!decoded) {
      st.Clear();
      st.set_status("Failure");
      st.set_reason(std::string(errdefs::ReasonForHttp(code)));
      std::string excerpt = body.substr(0, 512);
      for (char& c : excerpt) {
        if (!absl::ascii_isprint(static_cast<unsigned char>(c))) c = '?';
      }
      st.set_message(absl::StrCat("the server responded with HTTP ", code,
                                  excerpt.empty() ? "" : ": ", excerpt));
    }
    st.set_code(code);
    if (auto ra = ParseRetryAfter(retry_after_header); ra && st.details().retryafterseconds() == 0) {
      st.mutable_details()->set_retryafterseconds(static_cast<int32_t>(absl::ToInt64Seconds(*ra)));
    }
    return errdefs::FromKubernetesStatus(st, code);
  }

  absl::Duration Backoff(int attempt) {
    absl::Duration d = config_.retry.initial_backoff;
    for (int i = 0; i < attempt && d < config_.retry.max_backoff; ++i) d *= 2;
    d = std::min(d, config_.retry.max_backoff);
    double j = config_.retry.jitter;
    if (j > 0) {
      absl::MutexLock lock(&rng_mu_);
      d *= absl::Uniform(rng_, 1.0 - j / 2, 1.0 + j / 2);
    }
    return d;
  }

  // Decides whether to retry after a failed attempt and sleeps if so.
  // Returns true to retry.
  bool WaitBeforeRetry(const Context& ctx, const RestRequest& request, int attempt, int code, bool not_sent,
                       std::optional<absl::Duration> retry_after) {
    if (attempt >= config_.retry.max_retries) return false;
    bool retry = false;
    if (code == 429) {
      retry = true;
    } else if (code == 0) {
      retry = not_sent || internal::IsIdempotent(request.method);
    } else if (code >= 500) {
      bool known = code == 500 || code == 502 || code == 503 || code == 504;
      retry = retry_after.has_value() || (known && internal::IsIdempotent(request.method));
    }
    if (!retry) return false;
    absl::Duration wait = retry_after ? *retry_after : Backoff(attempt);
    if (wait > ctx.Remaining()) return false;
    retries_.fetch_add(1);
    log::Debug(ctx, "Retrying Kubernetes API request",
               {{"method", request.method}, {"path", request.path}, {"code", code}, {"wait", wait}});
    return clock_->SleepUntil(ctx, clock_->Now() + wait).ok();
  }

  void Record(const std::string& method, int code, absl::Duration latency) {
    double seconds = absl::ToDoubleSeconds(latency);
    const std::vector<double>& b = LatencyBuckets();
    size_t bucket = std::lower_bound(b.begin(), b.end(), seconds) - b.begin();
    absl::MutexLock lock(&metrics_mu_);
    RequestMetrics::Series& s = series_[{method, code}];
    if (s.latency_counts.empty()) {
      s.method = method;
      s.code = code;
      s.latency_counts.assign(b.size() + 1, 0);
    }
    ++s.count;
    s.latency_sum_seconds += seconds;
    ++s.latency_counts[bucket];
  }

  absl::Status WaitForLimiter(const Context& ctx) {
    absl::Duration waited;
    absl::Status s = limiter_.Wait(ctx, &waited);
    if (waited > absl::ZeroDuration()) {
      absl::MutexLock lock(&metrics_mu_);
      ++rate_limited_;
      rate_limiter_wait_ += waited;
    }
    return s;
  }

  // The loop of Do and Stream: the first 2xx response (for streams, with its
  // body unread) or the final error.
  absl::StatusOr<internal::WireResult> Execute(const Context& ctx, const RestRequest& request, bool streaming);

  ClientConfig config_;
  const Clock* clock_;
  std::unique_ptr<internal::CredentialSource> credentials_;
  internal::TokenBucket limiter_;
  std::string default_accept_;
  std::string ca_pem_;
  std::unique_ptr<internal::HttpTransport> transport_;

  absl::Mutex rng_mu_;
  absl::BitGen rng_ ABSL_GUARDED_BY(rng_mu_);

  mutable absl::Mutex metrics_mu_;
  std::map<std::pair<std::string, int>, RequestMetrics::Series> series_ ABSL_GUARDED_BY(metrics_mu_);
  uint64_t rate_limited_ ABSL_GUARDED_BY(metrics_mu_) = 0;
  absl::Duration rate_limiter_wait_ ABSL_GUARDED_BY(metrics_mu_);
  std::atomic<uint64_t> retries_{0};
  // Shared with the streams, which may outlive the client.
  std::shared_ptr<std::atomic<int64_t>> open_streams_ = std::make_shared<std::atomic<int64_t>>(0);
};

absl::StatusOr<internal::WireResult> RestClient::Impl::Execute(const Context& ctx, const RestRequest& request,
                                                               bool streaming) {
  bool auth_retried = false;
  for (int attempt = 0;; ++attempt) {
    VK_RETURN_IF_ERROR(ctx.Err());
    VK_ASSIGN_OR_RETURN(internal::Credentials creds, credentials_->Get(ctx));
    VK_RETURN_IF_ERROR(WaitForLimiter(ctx));
    internal::WireRequest wire = BuildWire(request, creds, streaming);
    absl::Time start = absl::Now();
    internal::WireResult r = transport_->RoundTrip(ctx, wire);
    if (!r.error.ok()) {
      Record(request.method, 0, absl::Now() - start);
      if (!ctx.Err().ok()) return ctx.Err();
      if (WaitBeforeRetry(ctx, request, attempt, 0, r.not_sent, std::nullopt)) continue;
      if (!ctx.Err().ok()) return ctx.Err();
      return std::move(r.error);
    }
    int code = r.status_code;
    Record(request.method, code, absl::Now() - start);
    if (code >= 200 && code < 300) return r;
    std::string retry_after_header = FindHeader(r.headers, "Retry-After");
    absl::Status err = ErrorFromResponse(code, r.content_type, r.body, retry_after_header);
    if (code == 401 && !auth_retried && credentials_->OnUnauthorized(creds)) {
      auth_retried = true;
      retries_.fetch_add(1);
      continue;
    }
    std::optional<absl::Duration> retry_after = ParseRetryAfter(retry_after_header);
    if (!retry_after && code == 429) retry_after = errdefs::RetryAfter(err);
    if (WaitBeforeRetry(ctx, request, attempt, code, false, retry_after)) continue;
    if (!ctx.Err().ok() && attempt < config_.retry.max_retries && (code == 429 || code >= 500)) {
      return ctx.Err();
    }
    return err;
  }
}

absl::StatusOr<RestResponse> RestClient::Impl::Do(const Context& ctx, const RestRequest& request) {
  VK_ASSIGN_OR_RETURN(internal::WireResult r, Execute(ctx, request, false));
  RestResponse out;
  out.status_code = r.status_code;
  out.content_type = std::move(r.content_type);
  out.body = std::move(r.body);
  out.headers = std::move(r.headers);
  return out;
}

absl::StatusOr<std::unique_ptr<ResponseStream>> RestClient::Impl::Stream(const Context& ctx,
                                                                         const RestRequest& request) {
  VK_ASSIGN_OR_RETURN(internal::WireResult r, Execute(ctx, request, true));
  if (r.stream == nullptr) return errdefs::Internal("the transport returned no stream");
  return std::move(r.stream);
}

RequestMetrics RestClient::Impl::Metrics() const {
  RequestMetrics m;
  m.latency_buckets = LatencyBuckets();
  absl::MutexLock lock(&metrics_mu_);
  for (const auto& [key, s] : series_) m.requests.push_back(s);
  m.retries = retries_.load();
  m.rate_limited = rate_limited_;
  m.rate_limiter_wait_seconds = absl::ToDoubleSeconds(rate_limiter_wait_);
  m.open_streams = static_cast<uint64_t>(std::max<int64_t>(0, open_streams_->load()));
  return m;
}

// ---------------------------------------------------------------------------

absl::StatusOr<std::shared_ptr<RestClient>> RestClient::Create(ClientConfig config, const Clock* clock) {
  if (config.server.empty()) return errdefs::InvalidInput("ClientConfig.server is empty");
  VK_ASSIGN_OR_RETURN(std::unique_ptr<internal::CredentialSource> creds,
                      internal::CredentialSource::Create(config, clock));
  auto impl = std::make_unique<Impl>(std::move(config), clock, std::move(creds));
  VK_RETURN_IF_ERROR(impl->Init());
  return std::shared_ptr<RestClient>(new RestClient(std::move(impl)));
}

RestClient::RestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestClient::~RestClient() = default;

absl::StatusOr<RestResponse> RestClient::Do(const Context& ctx, const RestRequest& request) {
  return impl_->Do(ctx, request);
}

absl::StatusOr<std::unique_ptr<ResponseStream>> RestClient::Stream(const Context& ctx, const RestRequest& request) {
  return impl_->Stream(ctx, request);
}

const ClientConfig& RestClient::config() const { return impl_->config(); }
std::string RestClient::DefaultAccept() const { return impl_->default_accept(); }
RequestMetrics RestClient::Metrics() const { return impl_->Metrics(); }

}  // namespace vkubelet::kube
