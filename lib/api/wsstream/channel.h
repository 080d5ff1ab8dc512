// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Kubernetes' WebSocket channel protocols (k8s.io/apimachinery
// pkg/util/httpstream/wsstream/conn.go and the kubelet's
// remotecommand/websocket.go, portforward/websocket.go), as pure functions
// over whole WebSocket messages. The WebSocket layer itself (framing,
// masking, ping/pong, close) is the transport's.
//
// Framing:
//   binary protocols  one binary message = 1 byte channel id + payload
//   base64 protocols  one text message   = ASCII '0'+channel id, then the
//                                          payload in standard base64
//   v5 CLOSE          binary message [255, channel]: the sender will write
//                                    nothing more on that channel
//                                    (half-close; e.g. [255, 0] = stdin EOF)
// Remote command channels: 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize.
// On open the server writes an empty message on the lowest channel it writes
// (stdout, else stderr, else error) so the client knows it is ready.
//
// Kubernetes' own reaction to bad input, for reference: empty messages and
// messages for channels that do not exist are skipped; a bad base64 payload
// is dropped; a malformed CLOSE ends the connection. The decoder below
// reports each as an error and leaves the choice to the caller. Internal.

#ifndef VKUBELET_LIB_API_WSSTREAM_CHANNEL_H_
#define VKUBELET_LIB_API_WSSTREAM_CHANNEL_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vkubelet::internal::wsstream {

// ---- channel ids -----------------------------------------------------------
inline constexpr uint8_t kStdinChannel = 0;
inline constexpr uint8_t kStdoutChannel = 1;
inline constexpr uint8_t kStderrChannel = 2;
inline constexpr uint8_t kErrorChannel = 3;
inline constexpr uint8_t kResizeChannel = 4;
inline constexpr uint8_t kRemoteCommandChannels = 5;
// First byte of a v5 CLOSE message.
inline constexpr uint8_t kCloseSignal = 255;

// ---- subprotocols ------------------------------------------------------------
inline constexpr std::string_view kV5ChannelProtocol = "v5.channel.k8s.io";
inline constexpr std::string_view kV4ChannelProtocol = "v4.channel.k8s.io";
inline constexpr std::string_view kV4Base64ChannelProtocol = "v4.base64.channel.k8s.io";
inline constexpr std::string_view kChannelProtocol = "channel.k8s.io";
inline constexpr std::string_view kBase64ChannelProtocol = "base64.channel.k8s.io";
// No Sec-WebSocket-Protocol at all: binary channels, v1 semantics.
inline constexpr std::string_view kLegacyProtocol = "";
// Port-forward tunnelled as raw SPDY inside binary messages (see tunnel.h).
inline constexpr std::string_view kSpdyTunnelPrefix = "SPDY/3.1+";
inline constexpr std::string_view kSpdyTunnelPortForwardProtocol = "SPDY/3.1+portforward.k8s.io";

enum class Encoding { kBinary, kBase64 };
enum class ProtocolUse { kRemoteCommand, kPortForward };

// One row of the protocol table.
struct ChannelProtocol {
  std::string_view name;
  ProtocolUse use;
  Encoding encoding;
  // Remote-command protocol version the channels follow: 5 or 4 (JSON Status
  // on the error channel), 1 (plain-text error); 0 for port-forward.
  int version;
  // The v5 CLOSE message is understood.
  bool supports_close;
};

// Every protocol a kubelet serves, per use, in Kubernetes' table order:
//   exec/attach:  v5.channel.k8s.io (binary, CLOSE), v4.channel.k8s.io,
//                 v4.base64.channel.k8s.io, channel.k8s.io,
//                 base64.channel.k8s.io, "" (binary)
//   port-forward: v4.channel.k8s.io, v4.base64.channel.k8s.io, "" (binary)
// (v5 is served by kubelets with ExtendWebSocketsToKubelet, 1.36+; older
// kubelets and virtual-kubelet stop at v4.)
std::span<const ChannelProtocol> Protocols(ProtocolUse use);
// The row for `name`, or nullptr.
const ChannelProtocol* FindProtocol(ProtocolUse use, std::string_view name);
// Names of Protocols(use), for NegotiateSubprotocol.
std::vector<std::string_view> ProtocolNames(ProtocolUse use);

// Splits Sec-WebSocket-Protocol header lines on ',' and trims spaces and
// tabs; empty items are dropped.
std::vector<std::string> ParseSubprotocols(std::span<const std::string> header_values);

// Kubernetes' wsstream handshake: the client's offers are tried IN THE
// CLIENT'S ORDER and the first one the server supports is chosen (the
// server's list order does not matter). No offer at all selects "" if the
// server lists "". Errors: PermissionDenied (the kubelet answers 403) with
// Go's message "requested protocol(s) are not supported: [..]; supports [..]".
absl::StatusOr<std::string> NegotiateSubprotocol(std::span<const std::string> client_offers,
                                                 std::span<const std::string_view> supported);

// ---- messages ----------------------------------------------------------------
// Encodes one channel message. Binary: [channel] + payload. Base64: text
// '0'+channel then base64(payload). Errors: InvalidArgument for channel 255
// (reserved for CLOSE) or, in base64, a channel above 79 (its digit would not
// be ASCII).
absl::StatusOr<std::string> EncodeMessage(Encoding encoding, uint8_t channel,
                                          std::string_view payload);
// v5 CLOSE for `channel`: the two bytes [255, channel].
std::string EncodeClose(uint8_t channel);

struct DecodedMessage {
  enum class Kind { kData, kClose };
  Kind kind = Kind::kData;
  uint8_t channel = 0;
  std::string payload;  // decoded; empty for kClose
};

// Decodes one received message for a protocol with `channels` channels.
// Errors (InvalidArgument): empty message; unknown channel (>= channels);
// bad base64 (Go's StdEncoding: padding required, '\r' and '\n' ignored);
// a CLOSE message whose length is not 2 or whose channel is unknown (only
// when `supports_close`; otherwise 255 is just an unknown channel).
absl::StatusOr<DecodedMessage> DecodeMessage(Encoding encoding, std::string_view message,
                                             uint8_t channels, bool supports_close);

// The lowest channel the server writes, which gets the empty "ready" message
// on open: stdout if requested, else stderr, else error.
uint8_t ReadyChannel(bool with_stdout, bool with_stderr);

// ---- base64 (Go's encoding/base64.StdEncoding) -------------------------------
std::string Base64Encode(std::string_view data);
absl::StatusOr<std::string> Base64Decode(std::string_view text);

// ---- port-forward over WebSocket (v4.channel.k8s.io / base64) ----------------
// Port i of the ?port= list uses data channel 2i and error channel 2i+1; the
// server's first message on each is the port as a little-endian uint16.
inline uint8_t PortForwardDataChannel(size_t port_index) {
  return static_cast<uint8_t>(2 * port_index);
}
inline uint8_t PortForwardErrorChannel(size_t port_index) {
  return static_cast<uint8_t>(2 * port_index + 1);
}
// 2 bytes, little-endian.
std::string PortPrefix(uint16_t port);
// The ports of the request's "port" query values (each may be a comma
// list), like the kubelet's V4Options: at least one, decimal, 1..65535, at
// most 127 ports (channel ids are one byte). InvalidArgument otherwise.
absl::StatusOr<std::vector<uint16_t>> ParsePortForwardPorts(
    std::span<const std::string> query_values);
// The messages the server sends right after the upgrade: for each port, the
// port prefix on its data channel then on its error channel.
absl::StatusOr<std::vector<std::string>> PortForwardOpeningMessages(
    Encoding encoding, std::span<const uint16_t> ports);

struct PortForwardChannel {
  size_t port_index = 0;
  bool is_error = false;
};
// Which port and stream a channel id belongs to. InvalidArgument when the
// channel is beyond the ports.
absl::StatusOr<PortForwardChannel> ClassifyPortForwardChannel(uint8_t channel,
                                                              size_t port_count);

}  // namespace vkubelet::internal::wsstream

#endif  // VKUBELET_LIB_API_WSSTREAM_CHANNEL_H_
