// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// vkubelet::cli: the virtual-kubelet command line, so that a provider's main()
// is a few lines:
//
//   int main(int argc, char** argv) {
//     return vkubelet::cli::Main(argc, argv, {
//         .program = "vkubelet-myprovider",
//         .provider_name = "myprovider",
//         .factory = [](const vkubelet::ProviderConfig& cfg) { return MyProvider::Create(cfg); },
//     });
//   }
//
// Flags (defaults as virtual-kubelet's; every duration takes Go syntax: 30s, 1m30s):
//   --nodename NAME             node name ($DEFAULT_NODE_NAME, else "virtual-kubelet")
//   --provider-config FILE      passed to the provider as ProviderConfig::config_path
//   --kubeconfig FILE           kubeconfig ($KUBECONFIG, ~/.kube/config, else in-cluster)
//   --context NAME              kubeconfig context (default: current-context)
//   --os linux|windows          the node's operating system (linux)
//   --cluster-domain DOMAIN     cluster.local
//   --pod-sync-workers N        pod controller workers (10)
//   --full-resync-period D      pod cache re-list period (1m; 0 = never)
//   --startup-timeout D         fail if not Ready within D (0 = wait forever)
//   --disable-taint             do not taint the node
//   --log-level LEVEL           debug, info, warn, error (info)
//   --log-format text|json      klog-style text (default) or JSON lines
//   --stream-idle-timeout D     exec/attach/port-forward idle timeout (30s)
//   --stream-creation-timeout D exec/attach/port-forward stream creation timeout (30s)
//   --client-qps Q              API client rate limit (50; <= 0 disables)
//   --client-burst N            API client burst (100)
//   --listen-address ADDR       kubelet API address (0.0.0.0); the port is $KUBELET_PORT (10250)
//   --authentication-mode MODE  webhook (x509 client certificates + TokenReview, SubjectAccessReview)
//                               or none (development only). Default: webhook when
//                               $APISERVER_CA_CERT_LOCATION is set, otherwise none with a warning
//                               (what virtual-kubelet does).
//   --help, --version
// Deprecated reference flags accepted and ignored with a warning: --namespace, --taint,
// --enable-node-lease, --metrics-addr, --provider (use the program of your provider).
// Environment: KUBELET_PORT, APISERVER_CERT_LOCATION, APISERVER_KEY_LOCATION (serving
// certificate; without them a self-signed one is generated), APISERVER_CA_CERT_LOCATION (client
// CA), VKUBELET_POD_IP (the node's InternalIP), VKUBELET_TAINT_KEY, VKUBELET_TAINT_VALUE,
// VKUBELET_TAINT_EFFECT (NoSchedule, PreferNoSchedule, NoExecute), DEFAULT_NODE_NAME, KUBECONFIG.

#ifndef VKUBELET_CLI_CLI_H_
#define VKUBELET_CLI_CLI_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "vkubelet/context.h"
#include "vkubelet/log.h"
#include "vkubelet/node.h"

namespace vkubelet::cli {

// An extra flag a provider's program defines: a value flag ("--name VALUE" or
// "--name=VALUE") or, with `boolean`, a switch ("--name" sets "true";
// "--name=false" is accepted). The parsed value is in ParsedCommandLine::extra.
struct ExtraFlag {
  std::string name;  // without "--"
  std::string help;
  std::string default_value;
  bool boolean = false;
};

struct ParsedCommandLine;

struct MainOptions {
  std::string program = "vkubelet";   // for --help, --version and error lines
  std::string provider_name;          // default taint value and logs
  std::string description;            // one line for --help
  ProviderFactory factory;            // required
  std::vector<ExtraFlag> extra_flags;
  // Called after parsing and logging set-up, before the kubeconfig is read:
  // may change anything in `parsed` (e.g. start an API server and point
  // `parsed.kubeconfig` at it). Whatever it starts must live as long as the
  // process or stop when `ctx` ends.
  std::function<absl::Status(const Context& ctx, ParsedCommandLine& parsed)> prepare;
  // Called with the parsed options before the node is created (adjust anything).
  std::function<absl::Status(NodeOptions& options, const std::map<std::string, std::string>& extra)> customize;
  // Runs on a thread of its own once the node is Ready (its Context ends
  // when the node stops; Main joins it before returning). An error stops the
  // program with that error.
  std::function<absl::Status(const Context& ctx, Node& node)> on_ready;
};

// The result of parsing a command line.
struct ParsedCommandLine {
  bool help = false;
  bool version = false;
  NodeOptions node;
  std::string kubeconfig;  // as given (flag or $KUBECONFIG); "" = defaults
  std::string context;
  log::Level log_level = log::Level::kInfo;
  bool log_json = false;
  std::optional<double> client_qps;  // applied over the kubeconfig's
  std::optional<int> client_burst;
  std::optional<kube::HttpTransportKind> client_transport;
  std::map<std::string, std::string> extra;
  std::vector<std::string> warnings;  // deprecated flags, insecure choices
};

// Parses `args` (without the program name) and `env` (a lookup function; the
// process environment in Main). Does not read files. Errors: InvalidInput
// with one line naming the flag or variable ("unknown flag --foo", "invalid
// value \"x\" for --pod-sync-workers: ...").
absl::StatusOr<ParsedCommandLine> Parse(const std::vector<std::string>& args,
                                        const std::function<std::optional<std::string>(const std::string&)>& env,
                                        const MainOptions& options);

// The --help text.
std::string Usage(const MainOptions& options);

// Reads the kubeconfig (or in-cluster configuration) named by the parsed
// command line into parsed->node.client_config.
absl::Status LoadClientConfig(ParsedCommandLine* parsed);

// Everything a provider binary does: parse flags and environment, set up
// logging, load the API configuration, create the node, run it until SIGINT or
// SIGTERM, stop cleanly. Returns the process exit code: 0 after a clean stop
// (or --help/--version), 2 for bad flags, 1 for any other error — each error
// printed as one line "<program>: error: <message>" on stderr.
int Main(int argc, char** argv, const MainOptions& options);

// Runs `body` with a Context that is cancelled on the first SIGINT or SIGTERM
// (a second one exits the process at once). Blocks the two signals in every
// thread, so call it before starting threads. Returns body's result.
int RunUntilSignalled(const std::function<int(const Context& ctx)>& body);

}  // namespace vkubelet::cli

#endif  // VKUBELET_CLI_CLI_H_
