// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// FakeApiServer: an in-process Kubernetes API server with real semantics on
// 127.0.0.1, for tests of providers and of the SDK itself, and the embedded
// default of `make run`. Real HTTP (optionally TLS with a generated CA), so
// the code under test uses its real client; the real kubectl works against it
// (see WriteKubeconfig).
//
// Served: namespaces, pods (+status, binding, eviction, log/exec/attach/
// portforward proxied to the node's kubelet endpoint), nodes (+status, proxy),
// configmaps, secrets, services, serviceaccounts, endpoints, core/v1 and
// events.k8s.io/v1 events (one storage), coordination.k8s.io/v1 leases,
// tokenreviews and subjectaccessreviews (answers configurable); discovery
// (/api, /apis, /version, APIResourceLists; /openapi → 404).
//
// Semantics follow kube-apiserver: resourceVersion concurrency (409),
// status-subresource rules, defaults a kubelet relies on, graceful pod
// deletion, finalizers, delete preconditions, label/field selectors, paging
// with continue and remainingItemCount, watch from a resourceVersion with
// bookmarks and 410 Expired (as an ERROR event inside a 200), protobuf and
// JSON with Accept negotiation, errors as meta/v1 Status in the negotiated
// encoding. Server-side apply (application/apply-patch+yaml) answers 415.
//
// Thread-safety: every method may be called from any thread.

#ifndef VKUBELET_TESTING_FAKE_API_SERVER_H_
#define VKUBELET_TESTING_FAKE_API_SERVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "vkubelet/clock.h"
#include "vkubelet/types.h"

namespace vkubelet::testing {

// An authenticated identity.
struct FakeUser {
  std::string name;
  std::vector<std::string> groups;
  std::string uid;
};

// What an authorizer decides about (the API server's request attributes).
struct AuthorizationAttributes {
  FakeUser user;
  // get, list, watch, create, update, patch, delete, deletecollection; for
  // non-resource requests the lower-case HTTP method.
  std::string verb;
  bool resource_request = true;
  std::string group;
  std::string version;
  std::string resource;     // "pods"
  std::string subresource;  // "status", "log", ...
  std::string ns;
  std::string name;  // for list/watch: from a metadata.name field selector
  std::string path;  // non-resource requests
};

struct AuthorizationDecision {
  bool allowed = true;
  std::string reason;
};

using Authorizer = std::function<AuthorizationDecision(const AuthorizationAttributes&)>;

struct FakeApiServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;  // 0: a free port (kept across Restart)
  // HTTPS with a generated CA (ca_pem()); clients may authenticate with
  // certificates the CA issues (IssueClientCertificate).
  bool tls = false;
  // The gitVersion /version reports ("v1.32.0"). kubectl adapts to it
  // (≥1.30 speaks WebSocket for exec, older SPDY).
  std::string version = "v1.32.0";

  // Bearer token → user. A request with an unknown token gets 401.
  std::map<std::string, FakeUser> tokens;
  // Requests without credentials: 401 when true, else they act as
  // `default_user`.
  bool require_authentication = false;
  FakeUser default_user = {"system:admin", {"system:masters", "system:authenticated"}, ""};

  // The Node authorizer: a `system:node:<name>` user in group system:nodes may
  // read pods/nodes/services, write its own Node, Lease, events and the status
  // of its pods, and get (or watch by name) only the Secrets/ConfigMaps that
  // pods bound to it reference — never list them cluster-wide. Other users go
  // on to `authorizer`.
  bool node_authorizer = false;
  // Called for requests the node authorizer did not decide; empty: allow.
  Authorizer authorizer;
  // TokenReview answers; empty: look the token up in `tokens`.
  std::function<authenticationv1::TokenReviewStatus(const authenticationv1::TokenReviewSpec&)> token_review;
  // SubjectAccessReview answers; empty: ask the configured authorizers.
  std::function<authorizationv1::SubjectAccessReviewStatus(const authorizationv1::SubjectAccessReviewSpec&)>
      subject_access_review;

  // Time source for timestamps (creation, deletion, events) and bookmarks.
  const Clock* clock = Clock::Real();
  // Events kept per resource for watches that start from a resourceVersion
  // (older versions get 410 Expired, like a compacted real server).
  size_t watch_history = 20000;
  // How often watchers that asked for bookmarks get one (0: never; see
  // SendBookmarks).
  absl::Duration bookmark_interval = absl::Minutes(1);
  // Namespaces created at start.
  std::vector<std::string> namespaces = {"default", "kube-system", "kube-public", "kube-node-lease"};
  int io_threads = 2;
  int handler_threads = 8;
};

// A certificate and its key, PEM.
struct PemCertificate {
  std::string cert_pem;
  std::string key_pem;
};

struct KubeconfigOptions {
  // Bearer token for the user entry (empty: none).
  std::string token;
  // With TLS: a client certificate for this user instead of (or with) a token.
  bool client_certificate = false;
  FakeUser certificate_user = {"system:admin", {"system:masters"}, ""};
  std::string context_name = "fake";
  std::string ns;  // the context's namespace
};

// One request as the server saw it (for assertions and benchmarks).
struct RequestRecord {
  std::string verb;  // get, list, watch, create, update, patch, delete, deletecollection, or http method
  std::string group;
  std::string resource;
  std::string subresource;
  std::string ns;
  std::string name;
  std::string user;
  int code = 0;
  std::string method;
  std::string path;
};

// A fault to inject: the next `count` requests that match answer `code`
// with a Status (429/503 carry Retry-After).
struct Fault {
  std::string verb = "*";         // "*" or a verb as in RequestRecord
  std::string resource = "*";     // "*" or "pods"
  std::string subresource = "*";  // "*" any, "" the main resource only, "status"
  std::string ns = "*";
  std::string name = "*";
  int count = 1;  // -1: until ClearFaults
  int code = 500;
  absl::Duration retry_after = absl::Seconds(1);
  std::string message;  // default: a message naming the fault
};

class FakeApiServer {
 public:
  // Generates the CA (with TLS), creates the initial namespaces and starts
  // serving. Errors: address in use, TLS material.
  static absl::StatusOr<std::unique_ptr<FakeApiServer>> Start(FakeApiServerOptions options = {});
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  // Stops serving (open watches end, connections close); the data is kept.
  void Stop();
  // Serves again on the same port with the same data and resourceVersions.
  absl::Status Restart();
  bool running() const;

  // "http://127.0.0.1:PORT" or "https://…".
  std::string url() const;
  int port() const;
  const std::string& host() const;
  // The generated CA: it signs the serving certificate (with TLS), client
  // certificates from IssueClientCertificate, and the client certificate the
  // server presents to kubelets when it proxies logs/exec (so a test kubelet
  // can require it).
  const std::string& ca_pem() const;
  // A client certificate for `user` (CN = name, O = groups) from the CA.
  absl::StatusOr<PemCertificate> IssueClientCertificate(const FakeUser& user) const;
  // A kubeconfig pointing at this server, as YAML / written to `path`.
  std::string Kubeconfig(const KubeconfigOptions& options = {}) const;
  absl::Status WriteKubeconfig(const std::string& path, const KubeconfigOptions& options = {}) const;
  // Maps another bearer token to a user (in addition to options.tokens).
  void AddToken(std::string token, FakeUser user);

  // --- Direct access to objects (no HTTP, same semantics) ---------------------
  template <typename T>
  absl::StatusOr<std::shared_ptr<const T>> Create(const T& obj) {
    return Cast<T>(CreateObject(obj));
  }
  template <typename T>
  absl::StatusOr<std::shared_ptr<const T>> Get(std::string_view ns, std::string_view name) const {
    return Cast<T>(GetObject(T::descriptor()->full_name(), ns, name));
  }
  // Cluster-scoped (nodes, namespaces).
  template <typename T>
  absl::StatusOr<std::shared_ptr<const T>> Get(std::string_view name) const {
    return Get<T>("", name);
  }
  // Every object of the type (ns empty: all namespaces).
  template <typename T>
  absl::StatusOr<std::vector<std::shared_ptr<const T>>> List(std::string_view ns = "") const {
    auto all = ListObjects(T::descriptor()->full_name(), ns);
    if (!all.ok()) return all.status();
    std::vector<std::shared_ptr<const T>> out;
    for (auto& m : *all) out.push_back(std::static_pointer_cast<const T>(m));
    return out;
  }
  // PUT semantics (status ignored; 409 on a stale non-empty resourceVersion).
  template <typename T>
  absl::StatusOr<std::shared_ptr<const T>> Update(const T& obj) {
    return Cast<T>(UpdateObject(obj, false));
  }
  // PUT …/status semantics (only status and labels/annotations change).
  template <typename T>
  absl::StatusOr<std::shared_ptr<const T>> UpdateStatus(const T& obj) {
    return Cast<T>(UpdateObject(obj, true));
  }
  // Read-modify-write with retries: `fn` edits a copy of the current object.
  template <typename T>
  absl::StatusOr<std::shared_ptr<const T>> Modify(std::string_view ns, std::string_view name,
                                                 const std::function<void(T*)>& fn, bool status = false) {
    return Cast<T>(ModifyObject(T::descriptor()->full_name(), ns, name,
                                [&](google::protobuf::Message* m) { fn(static_cast<T*>(m)); }, status));
  }
  // DELETE semantics; grace_period_seconds < 0 means "not given" (pods then
  // use spec.terminationGracePeriodSeconds).
  template <typename T>
  absl::Status Delete(std::string_view ns, std::string_view name, int64_t grace_period_seconds = -1) {
    return DeleteObject(T::descriptor()->full_name(), ns, name, grace_period_seconds);
  }
  // Waits until `pred` holds for the object (nullptr when it does not exist)
  // or `timeout` passes (DeadlineExceeded). No polling: woken by changes.
  template <typename T>
  absl::StatusOr<std::shared_ptr<const T>> WaitFor(std::string_view ns, std::string_view name,
                                                  const std::function<bool(const T*)>& pred,
                                                  absl::Duration timeout = absl::Seconds(30)) const {
    return Cast<T>(WaitForObject(
        T::descriptor()->full_name(), ns, name,
        [&](const google::protobuf::Message* m) { return pred(static_cast<const T*>(m)); }, timeout));
  }
  // Waits until the object is gone.
  template <typename T>
  absl::Status WaitForDeletion(std::string_view ns, std::string_view name,
                               absl::Duration timeout = absl::Seconds(30)) const {
    return WaitFor<T>(ns, name, [](const T* t) { return t == nullptr; }, timeout).status();
  }

  // Untyped forms of the above (message type picks the resource).
  absl::StatusOr<std::shared_ptr<const google::protobuf::Message>> CreateObject(const google::protobuf::Message& obj);
  absl::StatusOr<std::shared_ptr<const google::protobuf::Message>> GetObject(std::string_view message_type,
                                                                             std::string_view ns,
                                                                             std::string_view name) const;
  absl::StatusOr<std::vector<std::shared_ptr<const google::protobuf::Message>>> ListObjects(
      std::string_view message_type, std::string_view ns) const;
  absl::StatusOr<std::shared_ptr<const google::protobuf::Message>> UpdateObject(const google::protobuf::Message& obj,
                                                                                bool status);
  absl::StatusOr<std::shared_ptr<const google::protobuf::Message>> ModifyObject(
      std::string_view message_type, std::string_view ns, std::string_view name,
      const std::function<void(google::protobuf::Message*)>& fn, bool status);
  absl::Status DeleteObject(std::string_view message_type, std::string_view ns, std::string_view name,
                            int64_t grace_period_seconds);
  absl::StatusOr<std::shared_ptr<const google::protobuf::Message>> WaitForObject(
      std::string_view message_type, std::string_view ns, std::string_view name,
      const std::function<bool(const google::protobuf::Message*)>& pred, absl::Duration timeout) const;

  // The current (latest) resourceVersion.
  int64_t ResourceVersion() const;

  // --- Fault injection ------------------------------------------------------
  void InjectFault(Fault fault);
  void ClearFaults();
  // Every request waits this long before it is served (0: none).
  void SetResponseDelay(absl::Duration delay);
  // Ends every open watch (clients see the stream end and re-watch).
  void DropWatches();
  // Forgets the watch history: the next watch from an older or the current
  // resourceVersion gets ERROR 410 Expired, continue tokens expire.
  void CompactHistory();
  // Sends a BOOKMARK now to every watch that allows bookmarks.
  void SendBookmarks();

  // --- Request log ----------------------------------------------------------
  std::vector<RequestRecord> Requests() const;
  // Requests with this verb on this resource ("*" matches anything;
  // subresource "" = the main resource only).
  int64_t RequestCount(std::string_view verb, std::string_view resource, std::string_view subresource = "") const;
  void ResetRequests();
  // Open watch streams.
  size_t OpenWatches() const;

  class Impl;

 private:
  explicit FakeApiServer(std::unique_ptr<Impl> impl);
  template <typename T>
  static absl::StatusOr<std::shared_ptr<const T>> Cast(
      absl::StatusOr<std::shared_ptr<const google::protobuf::Message>> m) {
    if (!m.ok()) return m.status();
    return std::static_pointer_cast<const T>(*std::move(m));
  }
  std::unique_ptr<Impl> impl_;
};

}  // namespace vkubelet::testing

#endif  // VKUBELET_TESTING_FAKE_API_SERVER_H_
