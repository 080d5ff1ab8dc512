// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/api/auth.h"

#include <openssl/evp.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/ttl_cache.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/log.h"

namespace vkubelet::api {
namespace {

using vkubelet::internal::ToAbsl;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// The kubelet's isSubpath: `path` itself or anything below it.
bool IsSubpath(std::string_view subpath, std::string_view path) {
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (subpath == path) return true;
  return subpath.size() > path.size() && subpath.substr(0, path.size()) == path &&
         subpath[path.size()] == '/';
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    // Cannot happen with the built-in SHA-256; never fall back to the token.
    return std::string();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

// --- authenticators ----------------------------------------------------------------

class X509Authenticator : public Authenticator {
 public:
  absl::StatusOr<std::optional<UserInfo>> Authenticate(const Context&,
                                                       const AuthenticationRequest& request) override {
    const auto& cert = request.client_certificate;
    if (!cert.has_value() || !cert->verified || cert->common_name.empty()) return std::optional<UserInfo>();
    UserInfo u;
    u.name = cert->common_name;
    u.groups = cert->organizations;
    return std::optional<UserInfo>(std::move(u));
  }
};

class AnonymousAuthenticator : public Authenticator {
 public:
  absl::StatusOr<std::optional<UserInfo>> Authenticate(const Context&,
                                                       const AuthenticationRequest&) override {
    UserInfo u;
    u.name = std::string(kAnonymousUser);
    u.groups = {std::string(kUnauthenticatedGroup)};
    return std::optional<UserInfo>(std::move(u));
  }
};

class UnionAuthenticator : public Authenticator {
 public:
  explicit UnionAuthenticator(std::vector<std::shared_ptr<Authenticator>> all) : all_(std::move(all)) {}

  absl::StatusOr<std::optional<UserInfo>> Authenticate(const Context& ctx,
                                                       const AuthenticationRequest& request) override {
    absl::Status first_error;
    for (const auto& a : all_) {
      if (a == nullptr) continue;
      absl::StatusOr<std::optional<UserInfo>> r = a->Authenticate(ctx, request);
      if (!r.ok()) {
        if (first_error.ok()) first_error = r.status();
        continue;
      }
      if (r->has_value()) {
        UserInfo u = std::move(**r);
        if (u.name != kAnonymousUser &&
            std::find(u.groups.begin(), u.groups.end(), kAuthenticatedGroup) == u.groups.end()) {
          u.groups.push_back(std::string(kAuthenticatedGroup));
        }
        return std::optional<UserInfo>(std::move(u));
      }
    }
    if (!first_error.ok()) return first_error;
    return std::optional<UserInfo>();
  }

 private:
  std::vector<std::shared_ptr<Authenticator>> all_;
};

class TokenReviewAuthenticator : public Authenticator {
 public:
  TokenReviewAuthenticator(std::shared_ptr<ReviewClient> client, TokenReviewAuthenticatorOptions options)
      : client_(std::move(client)),
        options_(std::move(options)),
        cache_(options_.clock ? options_.clock : Clock::Real(), options_.max_cache_entries) {}

  absl::StatusOr<std::optional<UserInfo>> Authenticate(const Context& ctx,
                                                       const AuthenticationRequest& request) override {
    std::optional<std::string> token = BearerToken(request.authorization);
    if (!token.has_value()) return std::optional<UserInfo>();
    std::string key = Sha256Hex(absl::StrCat(absl::StrJoin(options_.audiences, ","), "\n", *token));
    if (auto hit = cache_.Get(key)) return Result(*std::move(hit));

    authenticationv1::TokenReview review;
    review.mutable_spec()->set_token(*token);
    for (const std::string& a : options_.audiences) review.mutable_spec()->add_audiences(a);
    absl::StatusOr<authenticationv1::TokenReview> answer =
        client_->CreateTokenReview(ctx.WithTimeout(options_.timeout), review);
    if (!answer.ok()) {
      return absl::UnavailableError(absl::StrCat("token review failed: ", answer.status().message()));
    }
    std::optional<UserInfo> user;
    const auto& status = answer->status();
    if (status.authenticated() && AudiencesMatch(status)) {
      UserInfo u;
      u.name = status.user().username();
      u.uid = status.user().uid();
      u.groups.assign(status.user().groups().begin(), status.user().groups().end());
      for (const auto& [k, v] : status.user().extra()) u.extra[k].assign(v.items().begin(), v.items().end());
      user = std::move(u);
    }
    cache_.Put(key, user, options_.cache_ttl);
    return Result(std::move(user));
  }

 private:
  // A token that was presented but rejected is an error, not "no opinion":
  // it must not fall through to anonymous (the apiserver's bearer-token
  // authenticator behaves the same).
  static absl::StatusOr<std::optional<UserInfo>> Result(std::optional<UserInfo> user) {
    if (!user.has_value()) return absl::UnauthenticatedError("invalid bearer token");
    return user;
  }

  bool AudiencesMatch(const authenticationv1::TokenReviewStatus& status) const {
    if (options_.audiences.empty()) return true;
    // An API server that does not report audiences vouches for the ones
    // asked for (the apiserver's webhook authenticator does the same).
    if (status.audiences_size() == 0) return true;
    for (const std::string& want : options_.audiences) {
      for (const std::string& got : status.audiences()) {
        if (want == got) return true;
      }
    }
    return false;
  }

  std::shared_ptr<ReviewClient> client_;
  TokenReviewAuthenticatorOptions options_;
  internal::TtlCache<std::optional<UserInfo>> cache_;
};

// The apiserver's union.NewFailOnError(inner, anonymous): requests with
// credentials that failed stay unauthenticated; requests without any become
// system:anonymous.
class AnonymousFallback : public Authenticator {
 public:
  explicit AnonymousFallback(std::shared_ptr<Authenticator> inner) : inner_(std::move(inner)) {}

  absl::StatusOr<std::optional<UserInfo>> Authenticate(const Context& ctx,
                                                       const AuthenticationRequest& request) override {
    absl::StatusOr<std::optional<UserInfo>> r = inner_->Authenticate(ctx, request);
    if (!r.ok() || r->has_value()) return r;
    return anonymous_.Authenticate(ctx, request);
  }

 private:
  std::shared_ptr<Authenticator> inner_;
  AnonymousAuthenticator anonymous_;
};

// --- authorizers -------------------------------------------------------------------

class AlwaysAllowAuthorizer : public Authorizer {
 public:
  absl::StatusOr<AuthorizationDecision> Authorize(const Context&, const AuthorizationAttributes&) override {
    return AuthorizationDecision{Decision::kAllow, ""};
  }
};

// A cache key naming every field the review carries.
std::string AttributesKey(const AuthorizationAttributes& a) {
  std::string key;
  auto add = [&key](std::string_view s) { absl::StrAppend(&key, s.size(), ":", ToAbsl(s), ";"); };
  add(a.user.name);
  add(a.user.uid);
  std::vector<std::string> groups = a.user.groups;
  std::sort(groups.begin(), groups.end());
  for (const auto& g : groups) add(g);
  key.push_back('|');
  for (const auto& [k, vs] : a.user.extra) {  // std::map: ordered
    add(k);
    for (const auto& v : vs) add(v);
    key.push_back(',');
  }
  key.push_back('|');
  add(a.resource_request ? "r" : "n");
  add(a.verb);
  add(a.api_group);
  add(a.api_version);
  add(a.resource);
  add(a.subresource);
  add(a.namespace_);
  add(a.name);
  if (!a.resource_request) add(a.path);
  return key;
}

class SubjectAccessReviewAuthorizer : public Authorizer {
 public:
  SubjectAccessReviewAuthorizer(std::shared_ptr<ReviewClient> client,
                                SubjectAccessReviewAuthorizerOptions options)
      : client_(std::move(client)),
        options_(std::move(options)),
        cache_(options_.clock ? options_.clock : Clock::Real(), options_.max_cache_entries) {}

  absl::StatusOr<AuthorizationDecision> Authorize(const Context& ctx,
                                                  const AuthorizationAttributes& a) override {
    std::string key = AttributesKey(a);
    if (auto hit = cache_.Get(key)) return *hit;

    authorizationv1::SubjectAccessReview review;
    auto* spec = review.mutable_spec();
    spec->set_user(a.user.name);
    spec->set_uid(a.user.uid);
    for (const auto& g : a.user.groups) spec->add_groups(g);
    for (const auto& [k, vs] : a.user.extra) {
      auto& ev = (*spec->mutable_extra())[k];
      for (const auto& v : vs) ev.add_items(v);
    }
    if (a.resource_request) {
      auto* ra = spec->mutable_resourceattributes();
      ra->set_verb(a.verb);
      ra->set_group(a.api_group);
      ra->set_version(a.api_version);
      ra->set_resource(a.resource);
      ra->set_subresource(a.subresource);
      ra->set_namespace_(a.namespace_);
      ra->set_name(a.name);
    } else {
      auto* na = spec->mutable_nonresourceattributes();
      na->set_path(a.path);
      na->set_verb(a.verb);
    }
    absl::StatusOr<authorizationv1::SubjectAccessReview> answer =
        client_->CreateSubjectAccessReview(ctx.WithTimeout(options_.timeout), review);
    if (!answer.ok()) {
      return absl::UnavailableError(
          absl::StrCat("subject access review failed: ", answer.status().message()));
    }
    const auto& st = answer->status();
    if (st.allowed() && st.denied()) {
      return absl::InternalError("subject access review returned both allow and deny");
    }
    AuthorizationDecision d;
    d.reason = st.reason();
    d.decision = st.allowed() ? Decision::kAllow : (st.denied() ? Decision::kDeny : Decision::kNoOpinion);
    cache_.Put(key, d, d.decision == Decision::kAllow ? options_.allowed_ttl : options_.denied_ttl);
    return d;
  }

 private:
  std::shared_ptr<ReviewClient> client_;
  SubjectAccessReviewAuthorizerOptions options_;
  internal::TtlCache<AuthorizationDecision> cache_;
};

}  // namespace

std::optional<std::string> BearerToken(std::string_view header) {
  // The apiserver splits on single spaces: "Bearer <token>"; anything after a
  // second space is ignored.
  size_t sp = header.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  if (!EqualsIgnoreCase(header.substr(0, sp), "bearer")) return std::nullopt;
  std::string_view token = header.substr(sp + 1);
  size_t end = token.find(' ');
  if (end != std::string_view::npos) token = token.substr(0, end);
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

std::string_view VerbForMethod(std::string_view method) {
  if (method == "POST") return "create";
  if (method == "GET") return "get";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return "delete";
  return "";
}

std::vector<AuthorizationAttributes> NodeRequestAttributes(const UserInfo& user, std::string_view method,
                                                           std::string_view path, std::string_view node_name,
                                                           bool fine_grained) {
  std::vector<std::string_view> subresources;
  if (fine_grained) {
    if (IsSubpath(path, "/pods")) {
      subresources.push_back("pods");
    } else if (IsSubpath(path, "/healthz")) {
      subresources.push_back("healthz");
    } else if (IsSubpath(path, "/configz")) {
      subresources.push_back("configz");
    } else if (IsSubpath(path, "/statusz")) {
      subresources.push_back("statusz");
    } else if (IsSubpath(path, "/runningpods/")) {
      subresources.push_back("pods");
    }
  }
  if (IsSubpath(path, "/stats/")) {
    subresources.push_back("stats");
  } else if (IsSubpath(path, "/metrics")) {
    subresources.push_back("metrics");
  } else if (IsSubpath(path, "/logs/")) {
    subresources.push_back("log");
  } else if (IsSubpath(path, "/checkpoint/")) {
    subresources.push_back("checkpoint");
  } else {
    subresources.push_back("proxy");
  }
  std::vector<AuthorizationAttributes> out;
  out.reserve(subresources.size());
  for (std::string_view sub : subresources) {
    AuthorizationAttributes a;
    a.user = user;
    a.verb = std::string(VerbForMethod(method));
    a.subresource = std::string(sub);
    a.name = std::string(node_name);
    a.path = std::string(path);
    out.push_back(std::move(a));
  }
  return out;
}

std::unique_ptr<Authenticator> NewTokenReviewAuthenticator(std::shared_ptr<ReviewClient> client,
                                                           TokenReviewAuthenticatorOptions options) {
  return std::make_unique<TokenReviewAuthenticator>(std::move(client), std::move(options));
}

std::unique_ptr<Authenticator> NewX509Authenticator() { return std::make_unique<X509Authenticator>(); }

std::unique_ptr<Authenticator> NewAnonymousAuthenticator() {
  return std::make_unique<AnonymousAuthenticator>();
}

std::unique_ptr<Authenticator> NewUnionAuthenticator(
    std::vector<std::shared_ptr<Authenticator>> authenticators) {
  return std::make_unique<UnionAuthenticator>(std::move(authenticators));
}

std::unique_ptr<Authorizer> NewSubjectAccessReviewAuthorizer(std::shared_ptr<ReviewClient> client,
                                                             SubjectAccessReviewAuthorizerOptions options) {
  return std::make_unique<SubjectAccessReviewAuthorizer>(std::move(client), std::move(options));
}

std::unique_ptr<Authorizer> NewAlwaysAllowAuthorizer() { return std::make_unique<AlwaysAllowAuthorizer>(); }

KubeletAuth NewWebhookAuth(std::shared_ptr<ReviewClient> client, WebhookAuthOptions options) {
  std::vector<std::shared_ptr<Authenticator>> chain;
  chain.push_back(NewX509Authenticator());
  chain.push_back(NewTokenReviewAuthenticator(client, options.token_review));
  KubeletAuth auth;
  auth.authenticator = NewUnionAuthenticator(std::move(chain));
  if (options.anonymous) auth.authenticator = std::make_shared<AnonymousFallback>(auth.authenticator);
  auth.authorizer = NewSubjectAccessReviewAuthorizer(std::move(client), options.subject_access_review);
  return auth;
}

}  // namespace vkubelet::api
