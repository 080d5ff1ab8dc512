// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Stream semantics of Kubernetes remote commands (exec/attach) and
// port-forward on top of SPDY (and, for the status and resize payloads, of
// the WebSocket channel protocols too). Facts from
// k8s.io/apimachinery/pkg/util/remotecommand/constants.go,
// pkg/util/httpstream/httpstream.go (Handshake), the kubelet streaming server
// (remotecommand/{httpstream,websocket,exec}.go, portforward/httpstream.go)
// and client-go tools/remotecommand. Internal.

#ifndef VKUBELET_LIB_API_SPDY_REMOTECOMMAND_H_
#define VKUBELET_LIB_API_SPDY_REMOTECOMMAND_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/spdy/headers.h"

namespace vkubelet::internal::spdy {

// ---- stream headers (SYN_STREAM of the client) ----------------------------
// Go sets "streamType", "port", "requestID"; its framer lower-cases them.
inline constexpr std::string_view kStreamTypeHeader = "streamtype";
inline constexpr std::string_view kPortHeader = "port";
inline constexpr std::string_view kPortForwardRequestIdHeader = "requestid";

enum class StreamType { kUnknown, kError, kStdin, kStdout, kStderr, kResize, kData };

// "error", "stdin", "stdout", "stderr", "resize", "data" (exact, as Go
// compares them); anything else is kUnknown.
StreamType ParseStreamType(std::string_view value);
// The streamtype header of a SYN_STREAM (kUnknown when absent).
StreamType StreamTypeOf(const Headers& headers);
std::string_view StreamTypeName(StreamType type);

// ---- protocol negotiation (X-Stream-Protocol-Version) ---------------------
inline constexpr std::string_view kProtocolVersionHeader = "X-Stream-Protocol-Version";
inline constexpr std::string_view kAcceptedProtocolVersionsHeader =
    "X-Accepted-Stream-Protocol-Versions";

inline constexpr std::string_view kStreamProtocolV1 = "channel.k8s.io";
inline constexpr std::string_view kStreamProtocolV2 = "v2.channel.k8s.io";
inline constexpr std::string_view kStreamProtocolV3 = "v3.channel.k8s.io";
inline constexpr std::string_view kStreamProtocolV4 = "v4.channel.k8s.io";
inline constexpr std::string_view kStreamProtocolV5 = "v5.channel.k8s.io";
inline constexpr std::string_view kPortForwardProtocolV1 = "portforward.k8s.io";

// The remote-command protocols this server accepts over SPDY, preferred
// first: v5, v4, v3, v2, v1. (Over SPDY, v5 behaves as v4: its CLOSE signal
// exists only on WebSocket.)
std::span<const std::string_view> ServerRemoteCommandProtocols();
// 1..5 for the remote-command protocol names above, 0 otherwise.
int RemoteCommandVersion(std::string_view protocol);
// v3+ carries a resize stream; v4+ writes a JSON Status on the error stream.
inline bool SupportsResize(int version) { return version >= 3; }
inline bool UsesStatusJson(int version) { return version >= 4; }

// Streams a SPDY exec/attach client opens before the server starts: error
// + each of stdin/stdout/stderr requested + resize (tty, v3+).
int ExpectedStreamCount(int version, bool with_stdin, bool with_stdout, bool with_stderr,
                        bool tty);

// Outcome of httpstream.Handshake for an upgrade request.
struct HandshakeResult {
  // 0: proceed with `protocol`; else the HTTP status to answer with
  // (400: header missing, 403: no common protocol).
  int http_status = 0;
  std::string protocol;
  // Response headers to add: X-Stream-Protocol-Version on success; one
  // X-Accepted-Stream-Protocol-Versions per server protocol on 403.
  std::vector<std::pair<std::string, std::string>> headers;
  // text/plain response body on failure (what Go's http.Error writes).
  std::string body;
};

// Kubernetes semantics: the request's X-Stream-Protocol-Version values (all
// header lines, each split on ',' and trimmed of spaces) are tried in the
// client's order and the first one the server supports wins.
HandshakeResult NegotiateStreamProtocol(std::span<const std::string> request_header_values,
                                        std::span<const std::string_view> server_protocols);

// ---- error stream ----------------------------------------------------------
// Result of a remote command as the server reports it.
struct ExecResult {
  // Non-zero: the command ran and exited with this code.
  int exit_code = 0;
  // With exit_code != 0: the exit error text (default "exit status <code>",
  // what Go's os/exec.ExitError prints). With exit_code == 0: a failure to
  // run the command at all; empty means success.
  std::string error;

  friend bool operator==(const ExecResult&, const ExecResult&) = default;
};

// meta/v1 Status JSON, byte-for-byte as Go's json.Marshal writes it:
//   {"metadata":{},"status":"Success"}
std::string SuccessStatusJson();
//   {"metadata":{},"status":"Failure","message":"command terminated with
//    non-zero exit code: <error>","reason":"NonZeroExitCode","details":
//    {"causes":[{"reason":"ExitCode","message":"<code>"}]}}
std::string NonZeroExitStatusJson(int exit_code, std::string_view error);
//   {"metadata":{},"status":"Failure","message":"Internal error occurred:
//    error executing command in container: <error>","reason":"InternalError",
//    "details":{"causes":[{"message":"error executing command in container:
//    <error>"}]},"code":500}
std::string InternalErrorStatusJson(std::string_view error);

// What the server writes on the error stream/channel before closing it:
// v4/v5 the JSON above; v1-v3 the Status message as plain text, nothing on
// success.
std::string ErrorStreamPayload(int version, const ExecResult& result);
// The client side: decodes a complete error-stream payload. Errors:
// InvalidArgument for JSON that is not a Status.
absl::StatusOr<ExecResult> ParseErrorStream(int version, std::string_view payload);

// Go encoding/json string quoting (HTML-safe: <, >, & as \u003c etc.;
// invalid UTF-8 as \ufffd), used for the JSON above.
std::string GoJsonQuote(std::string_view s);

// ---- resize stream ---------------------------------------------------------
struct TerminalSize {
  uint16_t width = 0;
  uint16_t height = 0;
  friend bool operator==(const TerminalSize&, const TerminalSize&) = default;
};

// Decodes the resize stream: JSON objects {"Width":w,"Height":h} one after
// another (client-go writes each followed by a newline), split anywhere
// across DATA frames / messages. Keys match case-insensitively like Go's
// decoder; other keys are ignored; a missing key leaves 0. Not thread-safe.
class TerminalSizeDecoder {
 public:
  explicit TerminalSizeDecoder(size_t max_object_size = 4096);
  // Appends every completed size to `*out`. Errors, after which the decoder
  // stays failed (the Go server stops reading resizes at the first error):
  // InvalidArgument (not a JSON object, malformed JSON, a dimension that is
  // not an integer in 0..65535) or ResourceExhausted (an object longer than
  // max_object_size).
  absl::Status Feed(std::string_view bytes, std::vector<TerminalSize>* out);
  size_t buffered() const { return buf_.size(); }

 private:
  absl::Status Complete(std::string_view object, std::vector<TerminalSize>* out);

  size_t max_object_size_;
  std::string buf_;
  size_t scanned_ = 0;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  absl::Status status_;
};

// ---- port-forward over SPDY -----------------------------------------------
// The pairing key of a data stream and its error stream: the requestid
// header, or for clients that predate it the kubelet's best-effort rule (the
// error stream's id; the data stream's id minus 2).
std::string PortForwardRequestId(const Headers& headers, uint32_t stream_id);
// The port header: required, decimal, 1..65535. InvalidArgument otherwise.
absl::StatusOr<uint16_t> ParsePortHeader(const Headers& headers);
// Text written on the error stream when forwarding fails:
// "error forwarding port <port> to pod <pod>, uid <uid>: <error>".
std::string PortForwardErrorMessage(uint16_t port, std::string_view pod, std::string_view uid,
                                    std::string_view error);

}  // namespace vkubelet::internal::spdy

#endif  // VKUBELET_LIB_API_SPDY_REMOTECOMMAND_H_
