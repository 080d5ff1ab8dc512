// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Authentication and authorization building blocks of the kubelet API: the
// path → subresource mapping, bearer tokens, TokenReview and
// SubjectAccessReview with their cache lifetimes (driven by a fake clock),
// and how authenticators combine.

#include "vkubelet/api/auth.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/testing/assertions.h"
#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::api {
namespace {

std::vector<std::string> Subresources(std::string_view method, std::string_view path,
                                      bool fine_grained = true) {
  std::vector<std::string> out;
  for (const auto& a :
       NodeRequestAttributes(UserInfo{"u", "", {}, {}}, method, path, "node-a", fine_grained)) {
    CHECK(a.resource == "nodes");
    CHECK(a.name == "node-a");
    CHECK(a.api_version == "v1");
    CHECK(a.api_group.empty());
    CHECK(a.resource_request);
    CHECK(a.path == path);
    out.push_back(a.subresource);
  }
  return out;
}

using V = std::vector<std::string>;

TEST_CASE("NodeRequestAttributes maps paths like the kubelet") {
  CHECK(Subresources("GET", "/stats/summary") == V{"stats"});
  CHECK(Subresources("GET", "/stats") == V{"stats"});
  CHECK(Subresources("GET", "/statsfoo") == V{"proxy"});
  CHECK(Subresources("GET", "/metrics") == V{"metrics"});
  CHECK(Subresources("GET", "/metrics/resource") == V{"metrics"});
  CHECK(Subresources("GET", "/metrics/cadvisor") == V{"metrics"});
  CHECK(Subresources("GET", "/metricsx") == V{"proxy"});
  CHECK(Subresources("GET", "/logs/") == V{"log"});
  CHECK(Subresources("GET", "/logs/kubelet.log") == V{"log"});
  CHECK(Subresources("POST", "/checkpoint/ns/p/c") == V{"checkpoint"});
  CHECK(Subresources("GET", "/containerLogs/ns/p/c") == V{"proxy"});
  CHECK(Subresources("POST", "/exec/ns/p/c") == V{"proxy"});
  CHECK(Subresources("GET", "/portForward/ns/p") == V{"proxy"});
  CHECK(Subresources("GET", "/pods") == (V{"pods", "proxy"}));
  CHECK(Subresources("GET", "/pods/") == (V{"pods", "proxy"}));
  CHECK(Subresources("GET", "/runningpods/") == (V{"pods", "proxy"}));
  CHECK(Subresources("GET", "/runningpods") == (V{"pods", "proxy"}));
  CHECK(Subresources("GET", "/healthz") == (V{"healthz", "proxy"}));
  CHECK(Subresources("GET", "/healthz/syncloop") == (V{"healthz", "proxy"}));
  CHECK(Subresources("GET", "/configz") == (V{"configz", "proxy"}));
  CHECK(Subresources("GET", "/statusz") == (V{"statusz", "proxy"}));
  CHECK(Subresources("GET", "/") == V{"proxy"});
  // Without KubeletFineGrainedAuthz.
  CHECK(Subresources("GET", "/pods", false) == V{"proxy"});
  CHECK(Subresources("GET", "/healthz", false) == V{"proxy"});
  CHECK(Subresources("GET", "/stats/summary", false) == V{"stats"});
}

TEST_CASE("verbs follow the HTTP method") {
  CHECK(VerbForMethod("GET") == "get");
  CHECK(VerbForMethod("POST") == "create");
  CHECK(VerbForMethod("PUT") == "update");
  CHECK(VerbForMethod("PATCH") == "patch");
  CHECK(VerbForMethod("DELETE") == "delete");
  CHECK(VerbForMethod("HEAD") == "");
  auto attrs = NodeRequestAttributes(UserInfo{"u", "", {}, {}}, "POST", "/exec/a/b/c", "n");
  CHECK(attrs[0].verb == "create");
}

TEST_CASE("BearerToken parses the Authorization header like the apiserver") {
  CHECK(BearerToken("Bearer abc") == std::optional<std::string>("abc"));
  CHECK(BearerToken("bearer abc") == std::optional<std::string>("abc"));
  CHECK(BearerToken("BEARER abc extra") == std::optional<std::string>("abc"));
  CHECK_FALSE(BearerToken("Bearer ").has_value());
  CHECK_FALSE(BearerToken("Bearer").has_value());
  CHECK_FALSE(BearerToken("Basic abc").has_value());
  CHECK_FALSE(BearerToken("").has_value());
}

// Answers reviews from tables and counts the calls.
class FakeReviews : public ReviewClient {
 public:
  absl::StatusOr<authenticationv1::TokenReview> CreateTokenReview(
      const Context& ctx, const authenticationv1::TokenReview& review) override {
    absl::MutexLock lock(&mu_);
    ++token_calls_;
    CHECK(ctx.Deadline() != absl::InfiniteFuture());  // every call is bounded
    last_audiences_.assign(review.spec().audiences().begin(), review.spec().audiences().end());
    if (!fail_.ok()) return fail_;
    authenticationv1::TokenReview out = review;
    auto* st = out.mutable_status();
    if (review.spec().token() == "good") {
      st->set_authenticated(true);
      st->mutable_user()->set_username("bob");
      st->mutable_user()->set_uid("1");
      st->mutable_user()->add_groups("devs");
      auto& extra = (*st->mutable_user()->mutable_extra())["scopes"];
      extra.add_items("a");
      for (const auto& a : audiences_) st->add_audiences(a);
    }
    return out;
  }
  absl::StatusOr<authorizationv1::SubjectAccessReview> CreateSubjectAccessReview(
      const Context&, const authorizationv1::SubjectAccessReview& review) override {
    absl::MutexLock lock(&mu_);
    ++sar_calls_;
    last_sar_ = review;
    if (!fail_.ok()) return fail_;
    authorizationv1::SubjectAccessReview out = review;
    const std::string& sub = review.spec().resourceattributes().subresource();
    out.mutable_status()->set_allowed(sub == "stats");
    out.mutable_status()->set_denied(sub == "log");
    out.mutable_status()->set_reason("because");
    if (sub == "both") {
      out.mutable_status()->set_allowed(true);
      out.mutable_status()->set_denied(true);
    }
    return out;
  }

  void Fail(absl::Status s) {
    absl::MutexLock lock(&mu_);
    fail_ = std::move(s);
  }
  void SetAudiences(std::vector<std::string> a) {
    absl::MutexLock lock(&mu_);
    audiences_ = std::move(a);
  }
  int token_calls() {
    absl::MutexLock lock(&mu_);
    return token_calls_;
  }
  int sar_calls() {
    absl::MutexLock lock(&mu_);
    return sar_calls_;
  }
  authorizationv1::SubjectAccessReview last_sar() {
    absl::MutexLock lock(&mu_);
    return last_sar_;
  }
  std::vector<std::string> last_audiences() {
    absl::MutexLock lock(&mu_);
    return last_audiences_;
  }

 private:
  absl::Mutex mu_;
  absl::Status fail_;
  std::vector<std::string> audiences_;
  std::vector<std::string> last_audiences_;
  int token_calls_ = 0;
  int sar_calls_ = 0;
  authorizationv1::SubjectAccessReview last_sar_;
};

AuthenticationRequest WithToken(std::string token) {
  AuthenticationRequest r;
  r.method = "GET";
  r.path = "/pods";
  r.authorization = "Bearer " + token;
  return r;
}

TEST_CASE("TokenReview: users are cached for the TTL, rejections too, errors never") {
  testing::FakeClock clock;
  auto reviews = std::make_shared<FakeReviews>();
  TokenReviewAuthenticatorOptions o;
  o.clock = &clock;
  auto authn = NewTokenReviewAuthenticator(reviews, o);
  Context ctx = Context::Background();

  auto u = authn->Authenticate(ctx, WithToken("good"));
  VK_REQUIRE_OK(u.status());
  REQUIRE(u->has_value());
  CHECK((*u)->name == "bob");
  CHECK((*u)->uid == "1");
  CHECK((*u)->groups == V{"devs"});
  CHECK((*u)->extra.at("scopes") == V{"a"});
  CHECK(reviews->token_calls() == 1);
  clock.Advance(absl::Seconds(119));
  VK_CHECK_OK(authn->Authenticate(ctx, WithToken("good")).status());
  CHECK(reviews->token_calls() == 1);
  clock.Advance(absl::Seconds(2));
  VK_CHECK_OK(authn->Authenticate(ctx, WithToken("good")).status());
  CHECK(reviews->token_calls() == 2);

  // A rejected token: Unauthenticated, cached as well.
  auto bad = authn->Authenticate(ctx, WithToken("bad"));
  CHECK(bad.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(authn->Authenticate(ctx, WithToken("bad")).status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(reviews->token_calls() == 3);

  // No token: no opinion, no call.
  auto none = authn->Authenticate(ctx, AuthenticationRequest{});
  VK_REQUIRE_OK(none.status());
  CHECK_FALSE(none->has_value());
  CHECK(reviews->token_calls() == 3);

  // Failures are errors and are not cached.
  reviews->Fail(errdefs::Unavailable("apiserver down"));
  CHECK(authn->Authenticate(ctx, WithToken("other")).status().code() == absl::StatusCode::kUnavailable);
  reviews->Fail(absl::OkStatus());
  auto later = authn->Authenticate(ctx, WithToken("other"));
  CHECK(later.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(reviews->token_calls() == 5);
}

TEST_CASE("TokenReview: requested audiences must be granted") {
  auto reviews = std::make_shared<FakeReviews>();
  TokenReviewAuthenticatorOptions o;
  o.audiences = {"kubelet"};
  auto authn = NewTokenReviewAuthenticator(reviews, o);
  reviews->SetAudiences({"other"});
  CHECK(authn->Authenticate(Context::Background(), WithToken("good")).status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(reviews->last_audiences() == V{"kubelet"});
  auto authn2 = NewTokenReviewAuthenticator(reviews, o);
  reviews->SetAudiences({"x", "kubelet"});
  auto ok = authn2->Authenticate(Context::Background(), WithToken("good"));
  VK_REQUIRE_OK(ok.status());
  CHECK(ok->has_value());
}

TEST_CASE("SubjectAccessReview: allow cached 5 minutes, deny 30 seconds, errors not at all") {
  testing::FakeClock clock;
  auto reviews = std::make_shared<FakeReviews>();
  SubjectAccessReviewAuthorizerOptions o;
  o.clock = &clock;
  auto authz = NewSubjectAccessReviewAuthorizer(reviews, o);
  Context ctx = Context::Background();
  UserInfo user{"bob", "1", {"devs", "system:authenticated"}, {{"scopes", {"a"}}}};
  auto stats = NodeRequestAttributes(user, "GET", "/stats/summary", "node-a")[0];
  auto logs = NodeRequestAttributes(user, "GET", "/logs/x", "node-a")[0];
  auto proxy = NodeRequestAttributes(user, "GET", "/containerLogs/a/b/c", "node-a")[0];

  auto d = authz->Authorize(ctx, stats);
  VK_REQUIRE_OK(d.status());
  CHECK(d->decision == Decision::kAllow);
  CHECK(d->reason == "because");
  auto sar = reviews->last_sar();
  CHECK(sar.spec().user() == "bob");
  CHECK(sar.spec().uid() == "1");
  CHECK(sar.spec().groups_size() == 2);
  CHECK(sar.spec().extra().at("scopes").items(0) == "a");
  CHECK(sar.spec().resourceattributes().verb() == "get");
  CHECK(sar.spec().resourceattributes().resource() == "nodes");
  CHECK(sar.spec().resourceattributes().subresource() == "stats");
  CHECK(sar.spec().resourceattributes().name() == "node-a");
  CHECK(sar.spec().resourceattributes().version() == "v1");

  CHECK(authz->Authorize(ctx, logs)->decision == Decision::kDeny);
  CHECK(authz->Authorize(ctx, proxy)->decision == Decision::kNoOpinion);
  CHECK(reviews->sar_calls() == 3);

  clock.Advance(absl::Seconds(29));
  authz->Authorize(ctx, stats).IgnoreError();
  authz->Authorize(ctx, logs).IgnoreError();
  authz->Authorize(ctx, proxy).IgnoreError();
  CHECK(reviews->sar_calls() == 3);
  clock.Advance(absl::Seconds(2));  // 31 s: denials expired
  authz->Authorize(ctx, stats).IgnoreError();
  authz->Authorize(ctx, logs).IgnoreError();
  authz->Authorize(ctx, proxy).IgnoreError();
  CHECK(reviews->sar_calls() == 5);
  clock.Advance(absl::Minutes(5));  // the allowance expired too
  authz->Authorize(ctx, stats).IgnoreError();
  CHECK(reviews->sar_calls() == 6);

  // Another user is another question.
  UserInfo other = user;
  other.groups.pop_back();
  authz->Authorize(ctx, NodeRequestAttributes(other, "GET", "/stats/summary", "node-a")[0]).IgnoreError();
  CHECK(reviews->sar_calls() == 7);

  reviews->Fail(errdefs::Unavailable("down"));
  auto err = authz->Authorize(ctx, NodeRequestAttributes(user, "GET", "/metrics", "node-a")[0]);
  CHECK_FALSE(err.ok());
  reviews->Fail(absl::OkStatus());
  authz->Authorize(ctx, NodeRequestAttributes(user, "GET", "/metrics", "node-a")[0]).IgnoreError();
  CHECK(reviews->sar_calls() == 9);

  AuthorizationAttributes both = stats;
  both.subresource = "both";
  CHECK_FALSE(authz->Authorize(ctx, both).ok());
}

TEST_CASE("the cache stays bounded under many distinct tokens") {
  testing::FakeClock clock;
  auto reviews = std::make_shared<FakeReviews>();
  TokenReviewAuthenticatorOptions o;
  o.clock = &clock;
  o.max_cache_entries = 8;
  auto authn = NewTokenReviewAuthenticator(reviews, o);
  for (int i = 0; i < 100; ++i)
    authn->Authenticate(Context::Background(), WithToken(std::to_string(i))).IgnoreError();
  CHECK(reviews->token_calls() == 100);
  // Still answers correctly after evictions.
  auto u = authn->Authenticate(Context::Background(), WithToken("good"));
  VK_REQUIRE_OK(u.status());
  CHECK(u->has_value());
}

TEST_CASE("x509: only verified certificates, CN → user, O → groups") {
  auto x509 = NewX509Authenticator();
  AuthenticationRequest r;
  r.client_certificate = ClientCertificate{"alice", {"a", "b"}, true};
  auto u = x509->Authenticate(Context::Background(), r);
  VK_REQUIRE_OK(u.status());
  REQUIRE(u->has_value());
  CHECK((*u)->name == "alice");
  CHECK(((*u)->groups == V{"a", "b"}));
  r.client_certificate->verified = false;
  CHECK_FALSE(x509->Authenticate(Context::Background(), r)->has_value());
  r.client_certificate.reset();
  CHECK_FALSE(x509->Authenticate(Context::Background(), r)->has_value());
}

TEST_CASE("NewWebhookAuth: certificate first, then token; anonymous only without credentials") {
  auto reviews = std::make_shared<FakeReviews>();
  KubeletAuth closed = NewWebhookAuth(reviews);
  WebhookAuthOptions wo;
  wo.anonymous = true;
  KubeletAuth open = NewWebhookAuth(reviews, wo);
  Context ctx = Context::Background();

  AuthenticationRequest both = WithToken("good");
  both.client_certificate = ClientCertificate{"alice", {"ops"}, true};
  auto u = closed.authenticator->Authenticate(ctx, both);
  VK_REQUIRE_OK(u.status());
  CHECK((*u)->name == "alice");
  CHECK(((*u)->groups == V{"ops", "system:authenticated"}));
  CHECK(reviews->token_calls() == 0);

  auto t = closed.authenticator->Authenticate(ctx, WithToken("good"));
  VK_REQUIRE_OK(t.status());
  CHECK((*t)->name == "bob");
  CHECK(((*t)->groups == V{"devs", "system:authenticated"}));

  auto nobody = closed.authenticator->Authenticate(ctx, AuthenticationRequest{});
  VK_REQUIRE_OK(nobody.status());
  CHECK_FALSE(nobody->has_value());
  auto anon = open.authenticator->Authenticate(ctx, AuthenticationRequest{});
  VK_REQUIRE_OK(anon.status());
  CHECK((*anon)->name == "system:anonymous");
  CHECK((*anon)->groups == V{"system:unauthenticated"});
  CHECK_FALSE(open.authenticator->Authenticate(ctx, WithToken("bad")).ok());

  CHECK(NewAlwaysAllowAuthorizer()->Authorize(ctx, AuthorizationAttributes{})->decision == Decision::kAllow);
}

}  // namespace
}  // namespace vkubelet::api
