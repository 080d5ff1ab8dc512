// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Authentication and authorization of requests to the kubelet API (:10250),
// as the kubelet does them (pkg/kubelet/server/auth.go, the apiserver's
// delegating authenticator/authorizer):
//
//   * who: a client certificate verified against the client CA (CN → user,
//     O → groups), else a bearer token checked with a TokenReview (results
//     cached 2 min), else — only when enabled — system:anonymous;
//   * may they: a SubjectAccessReview for `<verb> nodes/<subresource>` on
//     this node, verb from the HTTP method, subresource from the path
//     (NodeRequestAttributes), allowed decisions cached 5 min, denials 30 s.
//
// The webhook implementations talk to the API server through ReviewClient,
// a two-method interface (NewKubeReviewClient adapts a kube::RestClient), so
// tests and other transports can supply their own.
//
// Every type here is thread-safe unless noted.

#ifndef VKUBELET_API_AUTH_H_
#define VKUBELET_API_AUTH_H_

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "vkubelet/clock.h"
#include "vkubelet/context.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {
class RestClient;
}  // namespace vkubelet::kube

namespace vkubelet::api {

// An authenticated identity (the apiserver's user.Info).
struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  std::map<std::string, std::vector<std::string>> extra;
};

inline constexpr std::string_view kAnonymousUser = "system:anonymous";
inline constexpr std::string_view kUnauthenticatedGroup = "system:unauthenticated";
inline constexpr std::string_view kAuthenticatedGroup = "system:authenticated";

// The certificate a TLS client presented.
struct ClientCertificate {
  std::string common_name;
  std::vector<std::string> organizations;
  // True when its chain verified against the server's client CA.
  bool verified = false;
};

// What an Authenticator sees of a request.
struct AuthenticationRequest {
  std::string method;
  std::string path;
  // The Authorization header as sent ("" when absent).
  std::string authorization;
  std::optional<ClientCertificate> client_certificate;
  std::string remote_address;
};

// The bearer token of an Authorization header ("Bearer <token>", scheme
// case-insensitive); nullopt when there is none or it is empty.
std::optional<std::string> BearerToken(std::string_view authorization_header);

// Decides who sent a request.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // The user, or nullopt when this authenticator does not recognise the
  // request (no credentials of its kind, or rejected ones). An error means it
  // could not decide (e.g. the API server was unreachable); the server
  // answers 401 either way.
  virtual absl::StatusOr<std::optional<UserInfo>> Authenticate(const Context& ctx,
                                                               const AuthenticationRequest& request) = 0;
};

// The apiserver's authorizer.Attributes.
struct AuthorizationAttributes {
  UserInfo user;
  std::string verb;  // get, create, update, patch, delete
  bool resource_request = true;
  std::string api_group;  // "" (core)
  std::string api_version = "v1";
  std::string resource = "nodes";
  std::string subresource;  // proxy, stats, metrics, log, pods, healthz, configz, ...
  std::string namespace_;
  std::string name;  // the node's name
  std::string path;  // the request path
};

enum class Decision { kNoOpinion, kAllow, kDeny };

struct AuthorizationDecision {
  Decision decision = Decision::kNoOpinion;
  std::string reason;
};

// Decides whether a user may do something. Only kAllow lets a request
// through.
class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // An error means the authorizer could not decide (the server answers 500).
  virtual absl::StatusOr<AuthorizationDecision> Authorize(const Context& ctx,
                                                          const AuthorizationAttributes& attributes) = 0;
};

// The kubelet's API verb for an HTTP method: POST→create, GET→get,
// PUT→update, PATCH→patch, DELETE→delete, anything else "".
std::string_view VerbForMethod(std::string_view method);

// The attributes the kubelet checks for a request to its API, in order (any
// allowed one admits the request). Subresource by path: /stats/* stats,
// /metrics/* metrics, /logs/* log, /checkpoint/* checkpoint, everything else
// proxy. With `fine_grained` (KubeletFineGrainedAuthz, on by default since
// 1.33, GA in 1.36) /pods and /runningpods/ are checked as pods, /healthz*
// as healthz, /configz as configz and /statusz as statusz first, then as
// proxy.
std::vector<AuthorizationAttributes> NodeRequestAttributes(const UserInfo& user, std::string_view method,
                                                           std::string_view path, std::string_view node_name,
                                                           bool fine_grained = true);

// --- API server reviews -------------------------------------------------------------

// Creates TokenReviews and SubjectAccessReviews. Errors: the API server's
// (errdefs categories) or transport errors.
class ReviewClient {
 public:
  virtual ~ReviewClient() = default;
  // POST /apis/authentication.k8s.io/v1/tokenreviews; returns the review with
  // its status filled in.
  virtual absl::StatusOr<authenticationv1::TokenReview> CreateTokenReview(
      const Context& ctx, const authenticationv1::TokenReview& review) = 0;
  // POST /apis/authorization.k8s.io/v1/subjectaccessreviews.
  virtual absl::StatusOr<authorizationv1::SubjectAccessReview> CreateSubjectAccessReview(
      const Context& ctx, const authorizationv1::SubjectAccessReview& review) = 0;
};

// A ReviewClient over the SDK's API client (JSON bodies).
std::shared_ptr<ReviewClient> NewKubeReviewClient(std::shared_ptr<kube::RestClient> client);

struct TokenReviewAuthenticatorOptions {
  // How long a TokenReview's answer (authenticated or not) is reused; errors
  // are never cached. The kubelet's authentication.webhook.cacheTTL.
  absl::Duration cache_ttl = absl::Minutes(2);
  // Audiences to request; when set, the reviewed token must be valid for one.
  std::vector<std::string> audiences;
  // Cached answers kept at most (tokens are stored as SHA-256 digests).
  size_t max_cache_entries = 10000;
  // Upper bound for one review call.
  absl::Duration timeout = absl::Seconds(10);
  const Clock* clock = Clock::Real();
};

// Bearer tokens checked with TokenReview. No Authorization header: nullopt.
// A token the API server rejects: Unauthenticated (so that a bad token never
// falls through to anonymous). The review failing: Unavailable.
std::unique_ptr<Authenticator> NewTokenReviewAuthenticator(std::shared_ptr<ReviewClient> client,
                                                           TokenReviewAuthenticatorOptions options = {});

// Verified client certificates: CN → user name, O → groups. Unverified ones
// are ignored.
std::unique_ptr<Authenticator> NewX509Authenticator();

// Every request: system:anonymous in group system:unauthenticated.
std::unique_ptr<Authenticator> NewAnonymousAuthenticator();

// Tries each in order; the first user wins. When none recognised the request
// and one of them failed, that error is returned. Authenticated users other
// than system:anonymous get the group system:authenticated added.
std::unique_ptr<Authenticator> NewUnionAuthenticator(
    std::vector<std::shared_ptr<Authenticator>> authenticators);

struct SubjectAccessReviewAuthorizerOptions {
  // The kubelet's authorization.webhook.cacheAuthorizedTTL / cacheUnauthorizedTTL.
  absl::Duration allowed_ttl = absl::Minutes(5);
  absl::Duration denied_ttl = absl::Seconds(30);
  size_t max_cache_entries = 10000;
  absl::Duration timeout = absl::Seconds(10);
  const Clock* clock = Clock::Real();
};

// Decisions from SubjectAccessReview: allowed → kAllow, denied → kDeny,
// neither → kNoOpinion. Errors are not cached.
std::unique_ptr<Authorizer> NewSubjectAccessReviewAuthorizer(
    std::shared_ptr<ReviewClient> client, SubjectAccessReviewAuthorizerOptions options = {});

// Allows everything (development, or mTLS-only setups where holding a
// certificate from the client CA is authorization enough).
std::unique_ptr<Authorizer> NewAlwaysAllowAuthorizer();

// The pair a KubeletServer needs.
struct KubeletAuth {
  std::shared_ptr<Authenticator> authenticator;
  std::shared_ptr<Authorizer> authorizer;
};

struct WebhookAuthOptions {
  // authentication.anonymous.enabled (off by default, as in the kubelet).
  bool anonymous = false;
  TokenReviewAuthenticatorOptions token_review;
  SubjectAccessReviewAuthorizerOptions subject_access_review;
};

// The kubelet's default authentication and authorization: x509 client
// certificates, then TokenReview for bearer tokens, then (if enabled)
// anonymous for requests that carry no credentials at all;
// SubjectAccessReview for every request.
KubeletAuth NewWebhookAuth(std::shared_ptr<ReviewClient> client, WebhookAuthOptions options = {});

}  // namespace vkubelet::api

#endif  // VKUBELET_API_AUTH_H_
