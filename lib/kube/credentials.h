// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Credentials a RestClient attaches to requests: a static or file-backed bearer
// token (the file is read again when it changes), HTTP basic authentication,
// or an exec credential plugin (token or client certificate, cached until it
// expires, run again after a 401). Private to lib/kube.

#ifndef VKUBELET_LIB_KUBE_CREDENTIALS_H_
#define VKUBELET_LIB_KUBE_CREDENTIALS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/kube/config.h"

namespace vkubelet::kube::internal {

// What one request uses.
struct Credentials {
  std::string authorization;  // the Authorization header value, or ""
  // A client certificate obtained from an exec plugin (PEM), or "".
  std::string cert_pem;
  std::string key_pem;
  // Changes whenever the credentials change (lets the caller notice a new
  // client certificate and rebuild its connections).
  uint64_t generation = 0;
};

// The result of one run of an exec credential plugin.
struct ExecCredential {
  std::string token;
  std::string cert_pem;
  std::string key_pem;
  std::optional<absl::Time> expiry;
};

// Runs the plugin described by `exec` once and parses its ExecCredential.
// `cluster` supplies spec.cluster when exec.provide_cluster_info is set.
// Errors name the command and say what was wrong (exit status and stderr,
// malformed output, wrong apiVersion, missing token or key pair).
absl::StatusOr<ExecCredential> RunExecPlugin(const Context& ctx, const ExecConfig& exec, const ClientConfig& cluster);

// Parses a plugin's stdout. Exposed for tests.
absl::StatusOr<ExecCredential> ParseExecCredential(std::string_view json, std::string_view expected_api_version);

// Thread-safe.
class CredentialSource {
 public:
  // Validates what can be checked up front (the token file is readable).
  static absl::StatusOr<std::unique_ptr<CredentialSource>> Create(const ClientConfig& config, const Clock* clock);

  // The credentials for the next request; may run the exec plugin.
  absl::StatusOr<Credentials> Get(const Context& ctx);

  // The server rejected `used` with 401. Drops cached credentials (the token
  // file is read again, the plugin run again). Returns true when sending the
  // request once more may help.
  bool OnUnauthorized(const Credentials& used);

  // True when a client certificate comes from the exec plugin.
  bool dynamic_client_cert() const { return config_.exec.has_value(); }

 private:
  CredentialSource(ClientConfig config, const Clock* clock) : config_(std::move(config)), clock_(clock) {}
  absl::Status RefreshTokenFileLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ClientConfig config_;
  const Clock* clock_;
  absl::Mutex mu_;
  // Token file state: the file is read again when its stamp changes.
  std::string file_token_ ABSL_GUARDED_BY(mu_);
  std::string file_stamp_ ABSL_GUARDED_BY(mu_);
  // Exec plugin cache.
  std::optional<ExecCredential> exec_cached_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 1;
  // Serializes plugin runs so that concurrent requests run it once.
  absl::Mutex exec_mu_ ABSL_ACQUIRED_BEFORE(mu_);
};

}  // namespace vkubelet::kube::internal

#endif  // VKUBELET_LIB_KUBE_CREDENTIALS_H_
