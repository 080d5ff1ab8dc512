// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Byte-level builders FakeApiServer uses to assemble responses from cached
// per-object encodings without re-encoding: protobuf envelopes and lists,
// watch frames (protobuf and JSON), content negotiation.

#ifndef VKUBELET_TESTING_WIRE_H_
#define VKUBELET_TESTING_WIRE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vkubelet/kube/codec.h"

namespace vkubelet::testing::internal {

void AppendVarint(std::string* out, uint64_t v);
// A length-delimited protobuf field (wire type 2).
void AppendBytesField(std::string* out, int field, std::string_view bytes);

// "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw, "", ""}.
std::string Envelope(std::string_view api_version, std::string_view kind, std::string_view raw);

// A length-prefixed protobuf watch frame around an object envelope.
std::string ProtobufWatchFrame(std::string_view type, std::string_view envelope);
// {"type":"…","object":<json>}\n
std::string JsonWatchFrame(std::string_view type, std::string_view object_json);

// The response encoding for an Accept header: the first acceptable entry
// (application/json, application/vnd.kubernetes.protobuf when allowed,
// application/*, */*); entries asking for another representation
// (as=Table, as=APIGroupDiscoveryList) are skipped. Empty Accept means JSON.
// nullopt: nothing acceptable (406).
std::optional<kube::ContentType> NegotiateAccept(std::string_view accept, bool protobuf_allowed);

// The media type of a request body ("application/json; charset=utf-8" →
// "application/json"), lower-cased.
std::string BaseMediaType(std::string_view content_type);

}  // namespace vkubelet::testing::internal

#endif  // VKUBELET_TESTING_WIRE_H_
