// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/kube/resource_client.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/log.h"
#include "vkubelet/types.h"

namespace vkubelet::kube {

using vkubelet::internal::ToAbsl;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

std::string_view PatchMediaType(PatchType type) {
  switch (type) {
    case PatchType::kJson: return kJsonPatchMediaType;
    case PatchType::kMerge: return kMergePatchMediaType;
    case PatchType::kStrategicMerge: return kStrategicMergePatchMediaType;
    case PatchType::kApply: return kApplyPatchYamlMediaType;
  }
  return kMergePatchMediaType;
}

namespace internal {
namespace {

// Generic access to the list types' `metadata` (ListMeta) and `items`.
struct ListFields {
  const FieldDescriptor* metadata = nullptr;
  const FieldDescriptor* items = nullptr;
};

absl::StatusOr<ListFields> GetListFields(const Message& list) {
  ListFields f;
  f.metadata = list.GetDescriptor()->FindFieldByName("metadata");
  f.items = list.GetDescriptor()->FindFieldByName("items");
  if (f.metadata == nullptr || f.items == nullptr || !f.items->is_repeated() ||
      f.items->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
      f.metadata->message_type() != metav1::ListMeta::descriptor()) {
    return errdefs::Internal(absl::StrCat(list.GetDescriptor()->full_name(), " is not a list type"));
  }
  return f;
}

metav1::ListMeta* MutableListMeta(Message* list, const ListFields& f) {
  return static_cast<metav1::ListMeta*>(list->GetReflection()->MutableMessage(list, f.metadata));
}

void AddQuery(RestRequest* req, std::string_view name, std::string_view value) {
  if (!value.empty()) req->query.emplace_back(std::string(name), std::string(value));
}

void AddCommonWriteQuery(RestRequest* req, bool dry_run, const std::string& field_manager,
                         const std::string& field_validation) {
  if (dry_run) AddQuery(req, "dryRun", "All");
  AddQuery(req, "fieldManager", field_manager);
  AddQuery(req, "fieldValidation", field_validation);
}

}  // namespace

ResourceCore::ResourceCore(std::shared_ptr<RestClient> client, const ResourceInfo& info)
    : client_(std::move(client)), info_(info), json_only_(client_->config().content_type == ContentType::kJson) {}

bool ResourceCore::json() const { return json_only_.load(); }

absl::Status ResourceCore::CheckNamespace(std::string_view ns) const {
  if (info_.namespaced && ns.empty()) {
    return errdefs::InvalidInput(absl::StrCat("a namespace is required for ", ToAbsl(info_.plural)));
  }
  return absl::OkStatus();
}

absl::StatusOr<RestResponse> ResourceCore::Send(const Context& ctx, RestRequest request,
                                                const Message* body_obj) {
  for (int attempt = 0;; ++attempt) {
    bool json = json_only_.load();
    if (json) request.accept = std::string(kJsonMediaType);
    if (body_obj != nullptr) {
      if (json) {
        request.body = EncodeJson(*body_obj, info_.ApiVersion(), info_.kind);
        request.content_type = std::string(kJsonMediaType);
      } else {
        VK_ASSIGN_OR_RETURN(request.body, EncodeProtobuf(*body_obj, info_.ApiVersion(), info_.kind));
        request.content_type = std::string(kProtobufMediaType);
      }
    }
    absl::StatusOr<RestResponse> resp = client_->Do(ctx, request);
    int code = resp.ok() ? 0 : HttpStatusOf(resp.status());
    if (!json && attempt == 0 && (code == 406 || code == 415)) {
      // The server does not speak protobuf for this resource (a CRD or an
      // aggregated API): use JSON from now on.
      log::Info(ctx, "API server refused protobuf; switching to JSON",
                {{"resource", std::string(info_.plural)}, {"code", code}});
      json_only_.store(true);
      continue;
    }
    return resp;
  }
}

absl::Status ResourceCore::DecodeInto(const RestResponse& resp, std::string_view expected_kind, Message* out,
                                      TypeMeta* type_meta) {
  std::optional<ContentType> ct = ParseContentType(resp.content_type);
  if (!ct) {
    return errdefs::Internal(absl::StrCat("the API server answered with unexpected Content-Type \"",
                                          resp.content_type, "\""));
  }
  absl::Status s = Decode(*ct, resp.body, out, expected_kind, type_meta);
  if (!s.ok()) return errdefs::Annotate(s, absl::StrCat("decoding ", ToAbsl(info_.plural), " response"));
  return absl::OkStatus();
}

absl::Status ResourceCore::Get(const Context& ctx, std::string_view ns, std::string_view name,
                               const GetOptions& options, Message* out) {
  VK_RETURN_IF_ERROR(CheckNamespace(ns));
  if (name.empty()) return errdefs::InvalidInput(absl::StrCat("get ", ToAbsl(info_.plural), ": empty name"));
  RestRequest req;
  req.path = info_.ObjectPath(ns, name);
  AddQuery(&req, "resourceVersion", options.resource_version);
  VK_ASSIGN_OR_RETURN(RestResponse resp, Send(ctx, std::move(req), nullptr));
  return DecodeInto(resp, info_.kind, out);
}

absl::Status ResourceCore::ListPage(const Context& ctx, std::string_view ns, const ListOptions& options,
                                    Message* out) {
  if (info_.list_prototype == nullptr) {
    return errdefs::Unimplemented(absl::StrCat(ToAbsl(info_.plural), " cannot be listed"));
  }
  RestRequest req;
  req.path = info_.CollectionPath(ns);
  AddQuery(&req, "labelSelector", options.label_selector);
  AddQuery(&req, "fieldSelector", options.field_selector);
  // A continuation carries its own snapshot: resourceVersion must not be sent.
  if (options.continue_token.empty()) {
    AddQuery(&req, "resourceVersion", options.resource_version);
    AddQuery(&req, "resourceVersionMatch", options.resource_version_match);
  }
  if (options.limit > 0) AddQuery(&req, "limit", absl::StrCat(options.limit));
  AddQuery(&req, "continue", options.continue_token);
  VK_ASSIGN_OR_RETURN(RestResponse resp, Send(ctx, std::move(req), nullptr));
  return DecodeInto(resp, info_.list_kind, out);
}

absl::Status ResourceCore::ListEach(const Context& ctx, std::string_view ns, const ListOptions& options,
                                    const std::function<absl::Status(std::unique_ptr<Message>)>& fn,
                                    metav1::ListMeta* list_meta) {
  if (info_.list_prototype == nullptr) {
    return errdefs::Unimplemented(absl::StrCat(ToAbsl(info_.plural), " cannot be listed"));
  }
  ListOptions page_opts = options;
  VK_ASSIGN_OR_RETURN(ListFields f, GetListFields(*info_.list_prototype));
  while (true) {
    std::unique_ptr<Message> page(info_.list_prototype->New());
    VK_RETURN_IF_ERROR(ListPage(ctx, ns, page_opts, page.get()));
    const Reflection* refl = page->GetReflection();
    // Move the items out without copying them (ReleaseLast hands over the
    // heap object), then restore the server's order.
    std::vector<std::unique_ptr<Message>> items;
    items.reserve(refl->FieldSize(*page, f.items));
    while (refl->FieldSize(*page, f.items) > 0) items.emplace_back(refl->ReleaseLast(page.get(), f.items));
    std::reverse(items.begin(), items.end());
    metav1::ListMeta* meta = MutableListMeta(page.get(), f);
    for (auto& item : items) VK_RETURN_IF_ERROR(fn(std::move(item)));
    if (meta->continue_().empty()) {
      if (list_meta) *list_meta = *meta;
      return absl::OkStatus();
    }
    page_opts.continue_token = meta->continue_();
  }
}

absl::Status ResourceCore::ListAll(const Context& ctx, std::string_view ns, const ListOptions& options,
                                   Message* out) {
  VK_ASSIGN_OR_RETURN(ListFields f, GetListFields(*out));
  out->Clear();
  const Reflection* refl = out->GetReflection();
  metav1::ListMeta meta;
  absl::Status s = ListEach(
      ctx, ns, options,
      [&](std::unique_ptr<Message> item) {
        refl->AddAllocatedMessage(out, f.items, item.release());
        return absl::OkStatus();
      },
      &meta);
  if (errdefs::IsGone(s) && options.limit > 0 && refl->FieldSize(*out, f.items) > 0) {
    // The continue token expired between pages: list everything at once.
    log::Info(ctx, "List continuation expired; listing without paging", {{"resource", std::string(info_.plural)}});
    ListOptions full = options;
    full.limit = 0;
    full.continue_token.clear();
    out->Clear();
    return ListPage(ctx, ns, full, out);
  }
  VK_RETURN_IF_ERROR(s);
  meta.clear_continue_();
  meta.clear_remainingitemcount();
  *MutableListMeta(out, f) = std::move(meta);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<WatchStream>> ResourceCore::Watch(const Context& ctx, std::string_view ns,
                                                                 const WatchOptions& options) {
  RestRequest req;
  req.path = info_.CollectionPath(ns);
  AddQuery(&req, "watch", "true");
  AddQuery(&req, "labelSelector", options.label_selector);
  AddQuery(&req, "fieldSelector", options.field_selector);
  AddQuery(&req, "resourceVersion", options.resource_version);
  if (options.allow_bookmarks) AddQuery(&req, "allowWatchBookmarks", "true");
  if (options.timeout > absl::ZeroDuration()) {
    AddQuery(&req, "timeoutSeconds", absl::StrCat(std::max<int64_t>(1, absl::ToInt64Seconds(options.timeout))));
  }
  if (json_only_.load()) req.accept = std::string(kJsonMediaType);
  VK_ASSIGN_OR_RETURN(std::unique_ptr<ResponseStream> stream, client_->Stream(ctx, req));
  std::optional<ContentType> ct = ParseContentType(stream->content_type());
  if (!ct) {
    return errdefs::Internal(absl::StrCat("watch of ", ToAbsl(info_.plural),
                                          ": unexpected Content-Type \"", stream->content_type(), "\""));
  }
  std::unique_ptr<WatchDecoder> decoder = WatchDecoder::Create(*ct, info_.prototype);
  return std::make_unique<WatchStream>(std::move(stream), std::move(decoder));
}

absl::Status ResourceCore::Create(const Context& ctx, std::string_view ns, const Message& obj,
                                  const CreateOptions& options, Message* out) {
  VK_RETURN_IF_ERROR(CheckNamespace(ns));
  RestRequest req;
  req.method = "POST";
  req.path = info_.CollectionPath(ns);
  AddCommonWriteQuery(&req, options.dry_run, options.field_manager, options.field_validation);
  VK_ASSIGN_OR_RETURN(RestResponse resp, Send(ctx, std::move(req), &obj));
  return DecodeInto(resp, info_.kind, out);
}

absl::Status ResourceCore::Update(const Context& ctx, std::string_view ns, std::string_view name,
                                  std::string_view subresource, const Message& obj, const UpdateOptions& options,
                                  Message* out) {
  VK_RETURN_IF_ERROR(CheckNamespace(ns));
  if (name.empty()) return errdefs::InvalidInput(absl::StrCat("update ", ToAbsl(info_.plural), ": empty name"));
  RestRequest req;
  req.method = "PUT";
  req.path = info_.ObjectPath(ns, name, subresource);
  AddCommonWriteQuery(&req, options.dry_run, options.field_manager, options.field_validation);
  VK_ASSIGN_OR_RETURN(RestResponse resp, Send(ctx, std::move(req), &obj));
  return DecodeInto(resp, info_.kind, out);
}

absl::Status ResourceCore::Patch(const Context& ctx, std::string_view ns, std::string_view name, PatchType type,
                                 std::string_view patch, const PatchOptions& options, Message* out) {
  VK_RETURN_IF_ERROR(CheckNamespace(ns));
  if (name.empty()) return errdefs::InvalidInput(absl::StrCat("patch ", ToAbsl(info_.plural), ": empty name"));
  if (type == PatchType::kApply && options.field_manager.empty()) {
    return errdefs::InvalidInput("server-side apply needs PatchOptions.field_manager");
  }
  RestRequest req;
  req.method = "PATCH";
  req.path = info_.ObjectPath(ns, name, options.subresource);
  req.body = std::string(patch);
  req.content_type = std::string(PatchMediaType(type));
  AddCommonWriteQuery(&req, options.dry_run, options.field_manager, options.field_validation);
  if (options.force) AddQuery(&req, "force", "true");
  VK_ASSIGN_OR_RETURN(RestResponse resp, Send(ctx, std::move(req), nullptr));
  return DecodeInto(resp, info_.kind, out);
}

absl::StatusOr<bool> ResourceCore::Delete(const Context& ctx, std::string_view ns, std::string_view name,
                                          const DeleteOptions& options, Message* out) {
  VK_RETURN_IF_ERROR(CheckNamespace(ns));
  if (name.empty()) return errdefs::InvalidInput(absl::StrCat("delete ", ToAbsl(info_.plural), ": empty name"));
  // Preconditions only travel in a DeleteOptions body; JSON is accepted for
  // it by every server.
  nlohmann::json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  if (!options.precondition_uid.empty() || !options.precondition_resource_version.empty()) {
    nlohmann::json pre = nlohmann::json::object();
    if (!options.precondition_uid.empty()) pre["uid"] = options.precondition_uid;
    if (!options.precondition_resource_version.empty()) {
      pre["resourceVersion"] = options.precondition_resource_version;
    }
    body["preconditions"] = std::move(pre);
  }
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (options.dry_run) body["dryRun"] = nlohmann::json::array({"All"});
  RestRequest req;
  req.method = "DELETE";
  req.path = info_.ObjectPath(ns, name);
  req.body = body.dump();
  req.content_type = std::string(kJsonMediaType);
  VK_ASSIGN_OR_RETURN(RestResponse resp, Send(ctx, std::move(req), nullptr));
  std::optional<ContentType> ct = ParseContentType(resp.content_type);
  if (!ct) {
    if (resp.body.empty()) return false;
    return errdefs::Internal(absl::StrCat("delete ", ToAbsl(info_.plural), ": unexpected Content-Type \"",
                                          resp.content_type, "\""));
  }
  // The answer is either the object or a Status; look at the kind first.
  std::string kind;
  if (*ct == ContentType::kProtobuf) {
    absl::StatusOr<Envelope> env = DecodeEnvelope(resp.body);
    if (env.ok()) kind = env->type_meta.kind;
  } else {
    nlohmann::json doc = nlohmann::json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc.contains("kind") && doc["kind"].is_string()) kind = doc["kind"].get<std::string>();
  }
  if (kind == "Status") return false;
  VK_RETURN_IF_ERROR(DecodeInto(resp, info_.kind, out));
  return true;
}

}  // namespace internal
}  // namespace vkubelet::kube
