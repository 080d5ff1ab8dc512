// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// ReviewClient over kube::RestClient: TokenReview and SubjectAccessReview are
// create-only kinds, posted as JSON (as the kubelet's webhook clients do).

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "vkubelet/api/auth.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/kube/codec.h"
#include "vkubelet/kube/rest_client.h"

namespace vkubelet::api {
namespace {

class KubeReviewClient : public ReviewClient {
 public:
  explicit KubeReviewClient(std::shared_ptr<kube::RestClient> client) : client_(std::move(client)) {}

  absl::StatusOr<authenticationv1::TokenReview> CreateTokenReview(
      const Context& ctx, const authenticationv1::TokenReview& review) override {
    authenticationv1::TokenReview out;
    VK_RETURN_IF_ERROR(Post(ctx, "/apis/authentication.k8s.io/v1/tokenreviews", review,
                            "authentication.k8s.io/v1", "TokenReview", &out));
    return out;
  }

  absl::StatusOr<authorizationv1::SubjectAccessReview> CreateSubjectAccessReview(
      const Context& ctx, const authorizationv1::SubjectAccessReview& review) override {
    authorizationv1::SubjectAccessReview out;
    VK_RETURN_IF_ERROR(Post(ctx, "/apis/authorization.k8s.io/v1/subjectaccessreviews", review,
                            "authorization.k8s.io/v1", "SubjectAccessReview", &out));
    return out;
  }

 private:
  absl::Status Post(const Context& ctx, std::string path, const google::protobuf::Message& in,
                    std::string_view api_version, std::string_view kind, google::protobuf::Message* out) {
    if (client_ == nullptr) return absl::FailedPreconditionError("review client: no API client");
    kube::RestRequest req;
    req.method = "POST";
    req.path = std::move(path);
    req.body = kube::EncodeJson(in, api_version, kind);
    req.content_type = "application/json";
    req.accept = "application/json";
    VK_ASSIGN_OR_RETURN(kube::RestResponse resp, client_->Do(ctx, req));
    absl::Status s = kube::DecodeJson(resp.body, out);
    if (!s.ok())
      return absl::InternalError(
          absl::StrCat("decoding ", vkubelet::internal::ToAbsl(kind), ": ", s.message()));
    return absl::OkStatus();
  }

  std::shared_ptr<kube::RestClient> client_;
};

}  // namespace

std::shared_ptr<ReviewClient> NewKubeReviewClient(std::shared_ptr<kube::RestClient> client) {
  return std::make_shared<KubeReviewClient>(std::move(client));
}

}  // namespace vkubelet::api
