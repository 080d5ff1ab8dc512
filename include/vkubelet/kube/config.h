// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// How to reach and authenticate to the API server: ClientConfig (the resolved
// settings a RestClient is built from) and the two ways to obtain one.
//
//  * Kubeconfig files, read exactly as kubectl reads them: an explicit file, or
//    every file of $KUBECONFIG merged with kubectl's precedence rules (the first
//    file that sets a value or a map key wins; entries are never merged field by
//    field; missing files are skipped), or ~/.kube/config. A context override
//    replaces current-context. Relative paths (certificate-authority,
//    client-certificate, client-key, tokenFile, an exec command containing a
//    '/') are resolved against the directory of the file that defined them.
//  * In-cluster: KUBERNETES_SERVICE_HOST/PORT plus the service-account token
//    and CA files mounted into every pod.
//
// Errors are InvalidArgument (bad content) or NotFound (no file, unknown
// context/cluster/user) and name the file and the field that is wrong.

#ifndef VKUBELET_KUBE_CONFIG_H_
#define VKUBELET_KUBE_CONFIG_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/kube/codec.h"

namespace vkubelet::kube {

// Server certificate verification and the client certificate. Each PEM value
// comes either inline (*_pem) or from a file (*_file); inline wins. Files are
// read when the RestClient is created.
struct TlsConfig {
  std::string ca_file;
  std::string ca_pem;  // PEM bundle; when both are empty the system roots are used
  std::string cert_file;
  std::string cert_pem;
  std::string key_file;
  std::string key_pem;
  // Skips server certificate verification (kubeconfig insecure-skip-tls-verify).
  bool insecure = false;
  // Name used for SNI and to verify the server certificate instead of the
  // host of `server` (kubeconfig tls-server-name).
  std::string server_name;
};

// A client-go credential plugin (kubeconfig users[].user.exec). The command is
// run with `args`, the process environment plus `env`, and
// KUBERNETES_EXEC_INFO; its stdout must be an ExecCredential of `api_version`
// (client.authentication.k8s.io/v1 or v1beta1) carrying a token or a client
// certificate/key. The result is cached until status.expirationTimestamp and
// the command is run again after a 401.
struct ExecConfig {
  std::string api_version;
  std::string command;  // absolute, PATH-relative, or resolved against the kubeconfig's directory
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string install_hint;  // shown when the command cannot be run
  bool provide_cluster_info = false;
  std::string interactive_mode;  // "Never", "IfAvailable", "Always"
  // How long one run may take (the request's Context deadline also applies).
  absl::Duration timeout = absl::Minutes(1);
};

// When a failed request is sent again. The rule:
//  * 429 TooManyRequests: always (the server rejected it before doing anything).
//  * Connection refused (nothing was sent): always.
//  * 5xx with a Retry-After header: always (the server asks for it).
//  * 500/502/503/504 without Retry-After, and connection resets/EOF before a
//    response: only idempotent requests (GET, HEAD, PUT, DELETE); never POST or
//    PATCH, which could be applied twice.
// The wait is Retry-After when the server gave one, otherwise a jittered
// exponential backoff; no wait goes past the request's Context deadline.
struct RetryPolicy {
  int max_retries = 10;  // client-go's limit; 0 disables retries
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(10);
  double jitter = 0.5;  // each wait is multiplied by a random factor in [1-jitter/2, 1+jitter/2]
};

// What carries a RestClient's requests.
enum class HttpTransportKind {
  // Blocking sockets driven by the calling thread (OpenSSL, Beast's HTTP/1.1
  // parser), a pool of keep-alive connections. No thread hand-off per
  // request: the cheapest in CPU, and the default.
  kNative,
  // cpprestsdk's http_client (its own I/O and task threads). Costs several
  // thread hand-offs per request, and a connection the server closed while
  // idle is reused: a POST or PATCH sent on it fails with Unavailable.
  kCppRest,
};

// Everything a RestClient needs. Aggregate; the defaults match the kubelet's.
struct ClientConfig {
  std::string server;  // "https://10.0.0.1:6443"; a path prefix is allowed ("https://host/k8s")
  TlsConfig tls;
  // Bearer token. When `bearer_token_file` is set it wins: the file is read
  // again whenever it changes (projected service-account tokens rotate).
  std::string bearer_token;
  std::string bearer_token_file;
  std::string username;  // HTTP basic authentication (legacy)
  std::string password;
  std::optional<ExecConfig> exec;
  // Namespace of the selected context (or of the pod, in cluster); "" if none.
  std::string default_namespace;

  // Wire encoding of bodies. Protobuf sends
  // "Accept: application/vnd.kubernetes.protobuf, application/json" and falls
  // back to JSON per response (and per resource after a 406/415).
  ContentType content_type = ContentType::kProtobuf;
  double qps = 50;   // client-side rate limit (kubelet kubeAPIQPS); <= 0 disables it
  int burst = 100;   // kubelet kubeAPIBurst
  // Upper bound for a request whose Context has no deadline; also the idle
  // timeout of a connection that sends nothing. Watches use `watch_idle_timeout`.
  absl::Duration timeout = absl::Seconds(60);
  absl::Duration watch_idle_timeout = absl::Minutes(15);
  RetryPolicy retry;
  std::string user_agent;  // default "vkubelet/<version> (<os>/<arch>)"
  HttpTransportKind transport = HttpTransportKind::kNative;
};

// Where LoadKubeconfig looks.
struct KubeconfigOptions {
  // One explicit file (kubectl --kubeconfig): no merging; it must exist.
  std::string path;
  // Overrides the files' current-context (kubectl --context).
  std::string context;
  // When `path` is empty: the value of $KUBECONFIG (a ':'-separated list). When
  // unset, the process environment is read.
  std::optional<std::string> kubeconfig_env;
  // Home directory for ~/.kube/config; when unset, $HOME.
  std::optional<std::string> home;
};

// Reads the kubeconfig file(s) selected by `options` and resolves the context.
// Errors: NotFound when no file exists or the context/cluster/user is unknown;
// InvalidArgument naming the file and field for malformed content.
absl::StatusOr<ClientConfig> LoadKubeconfig(const KubeconfigOptions& options = {});

// Resolves a context of one kubeconfig document given as text. `origin` is the
// file name used in errors and to resolve relative paths (its directory).
absl::StatusOr<ClientConfig> KubeconfigFromString(std::string_view yaml, std::string_view origin,
                                                  std::string_view context = "");

// Paths and environment of the in-cluster configuration; the defaults are the
// ones Kubernetes mounts into every pod.
struct InClusterOptions {
  std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  std::string namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
  // KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT; when unset, the
  // process environment is read.
  std::optional<std::string> service_host;
  std::optional<std::string> service_port;
};

// The configuration of a process running in a pod: https://HOST:PORT, the CA
// file, the token file (re-read when it rotates). Errors: NotFound when not in
// a cluster (no KUBERNETES_SERVICE_HOST/PORT, no token file).
absl::StatusOr<ClientConfig> InClusterConfig(const InClusterOptions& options = {});

// What virtual-kubelet does: an explicit kubeconfig path (must exist); else the
// files of $KUBECONFIG or ~/.kube/config when any of them exists; else the
// in-cluster configuration.
absl::StatusOr<ClientConfig> LoadDefaultConfig(std::string_view kubeconfig_path = "",
                                               std::string_view context = "");

}  // namespace vkubelet::kube

#endif  // VKUBELET_KUBE_CONFIG_H_
