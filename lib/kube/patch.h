// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// The three patch formats of the Kubernetes API, over nlohmann::json:
//
//   application/json-patch+json            RFC 6902 (ApplyJsonPatch)
//   application/merge-patch+json           RFC 7386 (ApplyMergePatch, CreateMergePatch)
//   application/strategic-merge-patch+json Kubernetes strategic merge patch
//                                          (ApplyStrategicMergePatch, CreateStrategicMergePatch)
//
// The apply functions behave like kube-apiserver applying a PATCH to the stored
// object: the FakeApiServer uses them to answer PATCH requests, and the client
// uses the Create functions to build the patches it sends. Validation of the
// patched object (immutable fields, required fields, types) is the caller's job:
// these functions only reshape JSON, and a result of the wrong shape must be
// rejected by the caller's decoder.
//
// Nothing here throws. Every function is a pure function of its arguments and
// is safe to call from any thread.
//
// Error categories (include/vkubelet/errdefs.h):
//   errdefs::InvalidInput (400)  the patch document itself is malformed: not a
//                                JSON array of operations, a bad directive, a
//                                list element without its merge key, nesting
//                                too deep, ...
//   errdefs::Invalid (422)       a JSON patch operation cannot be applied: a
//                                missing path, an index out of range, a failed
//                                "test" (kube-apiserver answers 422 for these).
// kube-apiserver answers some malformed strategic merge patches with 500; the
// functions here report them as InvalidInput instead, which is what the
// client should see (the request is wrong, retrying cannot help).

#ifndef VKUBELET_LIB_KUBE_PATCH_H_
#define VKUBELET_LIB_KUBE_PATCH_H_

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace google::protobuf {
class Descriptor;
}  // namespace google::protobuf

namespace vkubelet::internal {

// The patch formats a PATCH request may carry, named by Content-Type.
enum class PatchType {
  kJsonPatch,            // application/json-patch+json
  kMergePatch,           // application/merge-patch+json
  kStrategicMergePatch,  // application/strategic-merge-patch+json
  kApplyPatch,           // application/apply-patch+yaml (server-side apply; not handled here)
};

// Maps a Content-Type header value (parameters such as "; charset=utf-8" are
// ignored) to a PatchType. Unknown media types: errdefs::InvalidInput (the API
// server answers 415 Unsupported Media Type).
absl::StatusOr<PatchType> PatchTypeFromContentType(std::string_view content_type);

// The Content-Type to send for `type`.
std::string_view ContentTypeOf(PatchType type);

// RFC 6902. `patch` must be an array of operation objects (add, remove,
// replace, move, copy, test); JSON pointers use ~0/~1 escapes and "-" for the
// end of an array. Operations apply in order to a copy of `doc`: on any error
// `doc` is untouched and nothing of the patch takes effect.
absl::StatusOr<nlohmann::json> ApplyJsonPatch(const nlohmann::json& doc, const nlohmann::json& patch);

// RFC 7386: object members of `patch` merge recursively, null deletes a
// member, anything else (arrays included) replaces the target value. A
// non-object `patch` replaces `doc` entirely. Fails only for documents nested
// deeper than the JSON decoder accepts.
absl::StatusOr<nlohmann::json> ApplyMergePatch(const nlohmann::json& doc, const nlohmann::json& patch);

// The smallest RFC 7386 patch that turns `original` into `modified`: changed
// and added members, explicit null for removed members, arrays whole. Note that
// RFC 7386 cannot express "set to null": a null inside `modified` comes out as a
// deletion.
nlohmann::json CreateMergePatch(const nlohmann::json& original, const nlohmann::json& modified);

// Kubernetes strategic merge patch, applied as kube-apiserver does for a
// built-in type. `type` is the protobuf descriptor of the document's kind
// (e.g. k8s.io.api.core.v1.Pod from the generated pool) and supplies the
// schema: which JSON member holds which message, where maps are. The patch
// strategies (lists merged by key, primitive lists merged as sets, retainKeys)
// come from the table in patch.cc, transcribed from the struct tags of
// k8s.io/api. Lists without a strategy are replaced whole; maps merge
// recursively; null deletes; the directives $patch (replace|delete),
// $retainKeys, $deleteFromPrimitiveList/<list> and $setElementOrder/<list> are
// honoured. Members the schema does not know are treated like a plain map or
// an atomic list. `type` may be null: then everything is unknown and the patch
// behaves like a merge patch that also understands the directives.
absl::StatusOr<nlohmann::json> ApplyStrategicMergePatch(const nlohmann::json& doc, const nlohmann::json& patch,
                                                        const google::protobuf::Descriptor* type);

// A two-way strategic merge patch that turns `original` into `modified` when
// applied with ApplyStrategicMergePatch (same output as upstream
// CreateTwoWayMergePatch): removed map members become null, items removed from
// key-merged lists become {"<key>": ..., "$patch": "delete"}, items removed from
// primitive merge lists go to $deleteFromPrimitiveList/<list>, and any change to
// a merge list carries $setElementOrder/<list> so the order is kept. Both
// documents must be objects. Errors (errdefs::InvalidInput): an item of a merge
// list without its merge key, lists of lists, mixed element types.
absl::StatusOr<nlohmann::json> CreateStrategicMergePatch(const nlohmann::json& original,
                                                         const nlohmann::json& modified,
                                                         const google::protobuf::Descriptor* type);

// Parses `body` as JSON and applies it to `doc` with the given format; the
// entry point for a PATCH handler. Unparsable bodies and kApplyPatch:
// errdefs::InvalidInput / errdefs::Unimplemented. `type` is used only for
// kStrategicMergePatch.
absl::StatusOr<nlohmann::json> ApplyPatch(PatchType patch_type, const nlohmann::json& doc,
                                          std::string_view body, const google::protobuf::Descriptor* type);

// What a strategic merge patch knows about one field, for tests and tools.
struct PatchStrategy {
  bool merge = false;        // list items are merged (by merge_key, or as a set of primitives)
  bool retain_keys = false;  // "$retainKeys" is honoured / generated for the value (or list items)
  bool replace = false;      // the value is replaced whole even though it is an object
  std::string merge_key;     // for lists of objects with merge == true
};

// The strategy of JSON member `field` of message `message_full_name`
// (e.g. "k8s.io.api.core.v1.PodStatus", "conditions"); default (atomic) when
// the table has no entry.
PatchStrategy LookupPatchStrategy(std::string_view message_full_name, std::string_view field);

// Every (message full name, field) pair that has a strategy, so that tests can
// check the table against the generated schema.
std::vector<std::pair<std::string, std::string>> PatchStrategyFields();

}  // namespace vkubelet::internal

#endif  // VKUBELET_LIB_KUBE_PATCH_H_
