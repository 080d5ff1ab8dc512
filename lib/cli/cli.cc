// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/cli/cli.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "vkubelet/kube/config.h"

namespace vkubelet::cli {
namespace {

using internal::ToAbsl;

enum class Kind { kString, kBool, kInt, kDouble, kDuration, kIgnored, kIgnoredBool };

struct FlagSpec {
  const char* name;
  Kind kind;
  const char* help;
};

// The order is the --help order.
constexpr FlagSpec kFlags[] = {
    {"nodename", Kind::kString, "node name (default $DEFAULT_NODE_NAME, else \"virtual-kubelet\")"},
    {"provider-config", Kind::kString, "provider configuration file"},
    {"kubeconfig", Kind::kString, "kubeconfig file (default $KUBECONFIG, ~/.kube/config, else in-cluster)"},
    {"context", Kind::kString, "kubeconfig context (default: its current-context)"},
    {"os", Kind::kString, "operating system of the node: linux or windows (default linux)"},
    {"cluster-domain", Kind::kString, "cluster DNS domain (default cluster.local)"},
    {"pod-sync-workers", Kind::kInt, "pod controller workers (default 10)"},
    {"full-resync-period", Kind::kDuration, "pod cache re-list period, 0 = never (default 1m)"},
    {"startup-timeout", Kind::kDuration, "fail unless Ready within this time, 0 = wait forever (default 0)"},
    {"disable-taint", Kind::kBool, "do not taint the node"},
    {"log-level", Kind::kString, "debug, info, warn or error (default info)"},
    {"log-format", Kind::kString, "text (klog style) or json (default text)"},
    {"stream-idle-timeout", Kind::kDuration, "exec/attach/port-forward idle timeout (default 30s)"},
    {"stream-creation-timeout", Kind::kDuration, "exec/attach/port-forward stream creation timeout (default 30s)"},
    {"client-qps", Kind::kDouble, "API client requests per second, <= 0 = unlimited (default 50)"},
    {"client-burst", Kind::kInt, "API client burst (default 100)"},
    {"client-transport", Kind::kString, "API client HTTP implementation: native or cpprest (default native)"},
    {"listen-address", Kind::kString, "kubelet API listen address; the port is $KUBELET_PORT (default 0.0.0.0)"},
    {"authentication-mode", Kind::kString,
     "kubelet API auth: webhook or none (default webhook with $APISERVER_CA_CERT_LOCATION, else none)"},
    {"help", Kind::kBool, "show this help"},
    {"version", Kind::kBool, "show the version"},
    // virtual-kubelet flags without an effect here.
    {"namespace", Kind::kIgnored, nullptr},
    {"taint", Kind::kIgnored, nullptr},
    {"metrics-addr", Kind::kIgnored, nullptr},
    {"provider", Kind::kIgnored, nullptr},
    {"enable-node-lease", Kind::kIgnoredBool, nullptr},
};

const FlagSpec* FindFlag(std::string_view name) {
  for (const auto& f : kFlags) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

absl::Status BadValue(std::string_view flag, std::string_view value, std::string_view why) {
  return errdefs::InvalidInput(absl::StrCat("invalid value \"", ToAbsl(value), "\" for --", ToAbsl(flag), ": ",
                                            ToAbsl(why)));
}

absl::StatusOr<absl::Duration> ParseGoDuration(std::string_view flag, std::string_view value) {
  absl::Duration d;
  if (value == "0") return absl::ZeroDuration();
  if (!absl::ParseDuration(ToAbsl(value), &d) || d < absl::ZeroDuration()) {
    return BadValue(flag, value, "want a non-negative duration such as 30s or 1m30s");
  }
  return d;
}

absl::StatusOr<bool> ParseBool(std::string_view flag, std::string_view value) {
  if (value == "true" || value == "1" || value == "t" || value == "TRUE" || value == "True") return true;
  if (value == "false" || value == "0" || value == "f" || value == "FALSE" || value == "False") return false;
  return BadValue(flag, value, "want true or false");
}

}  // namespace

absl::StatusOr<ParsedCommandLine> Parse(const std::vector<std::string>& args,
                                        const std::function<std::optional<std::string>(const std::string&)>& env,
                                        const MainOptions& options) {
  ParsedCommandLine out;
  NodeOptions& node = out.node;
  node.provider_name = options.provider_name.empty() ? "vkubelet" : options.provider_name;
  for (const auto& f : options.extra_flags) out.extra[f.name] = f.default_value;

  // Environment first; flags override.
  auto getenv = [&](const char* name) -> std::string {
    auto v = env ? env(name) : std::nullopt;
    return v ? *v : "";
  };
  if (std::string v = getenv("DEFAULT_NODE_NAME"); !v.empty()) node.node_name = v;
  out.kubeconfig = getenv("KUBECONFIG");
  if (std::string v = getenv("KUBELET_PORT"); !v.empty()) {
    int port = 0;
    if (!absl::SimpleAtoi(v, &port) || port < 0 || port > 65535) {
      return errdefs::InvalidInput(absl::StrCat("invalid value \"", v, "\" for $KUBELET_PORT: want a port number"));
    }
    node.kubelet_server.port = port;
  }
  node.internal_ip = getenv("VKUBELET_POD_IP");
  std::string cert = getenv("APISERVER_CERT_LOCATION");
  std::string key = getenv("APISERVER_KEY_LOCATION");
  std::string ca = getenv("APISERVER_CA_CERT_LOCATION");
  if (std::string v = getenv("VKUBELET_TAINT_KEY"); !v.empty()) node.node_controller.taint.key = v;
  if (std::string v = getenv("VKUBELET_TAINT_VALUE"); !v.empty()) node.node_controller.taint.value = v;
  if (std::string v = getenv("VKUBELET_TAINT_EFFECT"); !v.empty()) {
    if (v != "NoSchedule" && v != "PreferNoSchedule" && v != "NoExecute") {
      return errdefs::InvalidInput(absl::StrCat("invalid value \"", v,
                                                "\" for $VKUBELET_TAINT_EFFECT: want NoSchedule, "
                                                "PreferNoSchedule or NoExecute"));
    }
    node.node_controller.taint.effect = v;
  }

  std::string auth_mode;
  std::string log_format = "text";
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "-h") arg = "--help";
    if (arg.size() < 3 || arg.substr(0, 2) != "--") {
      if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
        arg.remove_prefix(1);  // Go's flag package accepts -flag too
      } else {
        return errdefs::InvalidInput(absl::StrCat("unexpected argument \"", ToAbsl(arg), "\""));
      }
    } else {
      arg.remove_prefix(2);
    }
    std::string name(arg);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const FlagSpec* spec = FindFlag(name);
    const ExtraFlag* extra = nullptr;
    for (const auto& f : options.extra_flags) {
      if (f.name == name) extra = &f;
    }
    if (!spec && !extra) return errdefs::InvalidInput(absl::StrCat("unknown flag --", name));
    bool is_bool = (spec && (spec->kind == Kind::kBool || spec->kind == Kind::kIgnoredBool)) ||
                   (extra && extra->boolean);
    if (!value) {
      if (is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return errdefs::InvalidInput(absl::StrCat("flag needs an argument: --", name));
      }
    }
    if (extra) {
      if (extra->boolean) {
        bool b = false;
        if (!absl::SimpleAtob(*value, &b)) {
          return errdefs::InvalidInput(absl::StrCat("invalid value \"", *value, "\" for --", name, ": want true or false"));
        }
        value = b ? "true" : "false";
      }
      out.extra[name] = *value;
      continue;
    }
    switch (spec->kind) {
      case Kind::kIgnored:
      case Kind::kIgnoredBool:
        out.warnings.push_back(absl::StrCat("flag --", name, " is deprecated and has no effect"));
        continue;
      default:
        break;
    }
    if (name == "nodename") {
      node.node_name = *value;
    } else if (name == "provider-config") {
      node.provider_config_path = *value;
    } else if (name == "kubeconfig") {
      out.kubeconfig = *value;
    } else if (name == "context") {
      out.context = *value;
    } else if (name == "os") {
      if (*value != "linux" && *value != "windows") return BadValue(name, *value, "want linux or windows");
      node.operating_system = *value;
    } else if (name == "cluster-domain") {
      node.cluster_domain = *value;
    } else if (name == "pod-sync-workers") {
      int n = 0;
      if (!absl::SimpleAtoi(*value, &n) || n <= 0) return BadValue(name, *value, "want a positive integer");
      node.pod_controller.workers = n;
    } else if (name == "full-resync-period") {
      VK_ASSIGN_OR_RETURN(node.pod_resync_period, ParseGoDuration(name, *value));
    } else if (name == "startup-timeout") {
      VK_ASSIGN_OR_RETURN(node.startup_timeout, ParseGoDuration(name, *value));
    } else if (name == "disable-taint") {
      VK_ASSIGN_OR_RETURN(bool b, ParseBool(name, *value));
      node.node_controller.taint.enabled = !b;
    } else if (name == "log-level") {
      if (!log::ParseLevel(*value, &out.log_level)) {
        return BadValue(name, *value, "want debug, info, warn or error");
      }
    } else if (name == "log-format") {
      if (*value != "text" && *value != "json") return BadValue(name, *value, "want text or json");
      log_format = *value;
    } else if (name == "stream-idle-timeout") {
      VK_ASSIGN_OR_RETURN(node.kubelet_server.stream_idle_timeout, ParseGoDuration(name, *value));
    } else if (name == "stream-creation-timeout") {
      VK_ASSIGN_OR_RETURN(node.kubelet_server.stream_creation_timeout, ParseGoDuration(name, *value));
    } else if (name == "client-qps") {
      double q = 0;
      if (!absl::SimpleAtod(*value, &q)) return BadValue(name, *value, "want a number");
      out.client_qps = q;
    } else if (name == "client-burst") {
      int b = 0;
      if (!absl::SimpleAtoi(*value, &b) || b <= 0) return BadValue(name, *value, "want a positive integer");
      out.client_burst = b;
    } else if (name == "client-transport") {
      if (*value == "native") {
        out.client_transport = kube::HttpTransportKind::kNative;
      } else if (*value == "cpprest") {
        out.client_transport = kube::HttpTransportKind::kCppRest;
      } else {
        return BadValue(name, *value, "want native or cpprest");
      }
    } else if (name == "listen-address") {
      node.kubelet_server.address = *value;
    } else if (name == "authentication-mode") {
      if (*value != "webhook" && *value != "none") return BadValue(name, *value, "want webhook or none");
      auth_mode = *value;
    } else if (name == "help") {
      VK_ASSIGN_OR_RETURN(out.help, ParseBool(name, *value));
    } else if (name == "version") {
      VK_ASSIGN_OR_RETURN(out.version, ParseBool(name, *value));
    }
  }
  out.log_json = log_format == "json";

  // Kubelet API TLS and auth.
  if (cert.empty() != key.empty()) {
    return errdefs::InvalidInput(
        "$APISERVER_CERT_LOCATION and $APISERVER_KEY_LOCATION must be set together (or neither, for a "
        "self-signed serving certificate)");
  }
  if (!cert.empty()) {
    node.kubelet_server.tls_cert_file = cert;
    node.kubelet_server.tls_key_file = key;
  } else {
    node.kubelet_server.self_signed = true;
  }
  if (!ca.empty()) node.kubelet_server.client_ca_file = ca;
  if (auth_mode.empty()) auth_mode = ca.empty() ? "none" : "webhook";
  if (auth_mode == "none") {
    node.kubelet_server.no_auth = true;
    out.warnings.push_back(
        "the kubelet API accepts every request without authentication (set $APISERVER_CA_CERT_LOCATION or "
        "--authentication-mode=webhook to require it)");
  }
  return out;
}

std::string Usage(const MainOptions& options) {
  std::string s = absl::StrCat("Usage: ", options.program, " [flags]\n");
  if (!options.description.empty()) absl::StrAppend(&s, "\n", options.description, "\n");
  absl::StrAppend(&s, "\nFlags:\n");
  for (const auto& f : kFlags) {
    if (!f.help) continue;
    absl::StrAppendFormat(&s, "  --%-26s %s\n", f.name, f.help);
  }
  for (const auto& f : options.extra_flags) {
    absl::StrAppendFormat(&s, "  --%-26s %s%s\n", f.name, f.help,
                          f.default_value.empty() ? "" : absl::StrCat(" (default ", f.default_value, ")"));
  }
  absl::StrAppend(&s,
                  "\nEnvironment:\n"
                  "  KUBELET_PORT                kubelet API port (default 10250)\n"
                  "  APISERVER_CERT_LOCATION     kubelet API serving certificate (PEM); self-signed when unset\n"
                  "  APISERVER_KEY_LOCATION      its private key (PEM)\n"
                  "  APISERVER_CA_CERT_LOCATION  CA of the client certificates the API server presents\n"
                  "  VKUBELET_POD_IP             the node's InternalIP address\n"
                  "  VKUBELET_TAINT_KEY, VKUBELET_TAINT_VALUE, VKUBELET_TAINT_EFFECT  the node taint\n"
                  "  DEFAULT_NODE_NAME           node name when --nodename is not given\n"
                  "  KUBECONFIG                  kubeconfig files (':'-separated)\n");
  return s;
}

absl::Status LoadClientConfig(ParsedCommandLine* parsed) {
  absl::StatusOr<kube::ClientConfig> config;
  if (!parsed->kubeconfig.empty()) {
    kube::KubeconfigOptions ko;
    // Several files in $KUBECONFIG are merged; one explicit file must exist.
    if (parsed->kubeconfig.find(':') != std::string::npos) {
      ko.kubeconfig_env = parsed->kubeconfig;
    } else {
      ko.path = parsed->kubeconfig;
    }
    ko.context = parsed->context;
    config = kube::LoadKubeconfig(ko);
  } else {
    config = kube::LoadDefaultConfig("", parsed->context);
  }
  if (!config.ok()) return errdefs::Annotate(config.status(), "API server configuration");
  parsed->node.client_config = *std::move(config);
  if (parsed->client_qps) parsed->node.client_config.qps = *parsed->client_qps;
  if (parsed->client_burst) parsed->node.client_config.burst = *parsed->client_burst;
  if (parsed->client_transport) parsed->node.client_config.transport = *parsed->client_transport;
  return absl::OkStatus();
}

int RunUntilSignalled(const std::function<int(const Context& ctx)>& body) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto [ctx, cancel] = Context::Background().WithCancel();
  std::atomic<bool> done{false};
  std::thread waiter([&, cancel_fn = cancel, c = ctx] {
    int signals = 0;
    while (!done) {
      timespec timeout{0, 100'000'000};
      int sig = sigtimedwait(&set, nullptr, &timeout);
      if (sig <= 0) continue;
      if (++signals == 1) {
        log::Info(c, "Signal received, shutting down", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
        cancel_fn();
      } else {
        std::fprintf(stderr, "second signal: exiting at once\n");
        std::_Exit(130);
      }
    }
  });
  int rc = body(ctx);
  done = true;
  waiter.join();
  return rc;
}

int Main(int argc, char** argv, const MainOptions& options) {
  return RunUntilSignalled([&](const Context& ctx) -> int {
    auto error = [&](const absl::Status& s) {
      std::fprintf(stderr, "%s: error: %s\n", options.program.c_str(), std::string(s.message()).c_str());
    };
    if (!options.factory) {
      error(errdefs::InvalidInput("no provider factory"));
      return 1;
    }
    std::vector<std::string> args(argv + 1, argv + argc);
    auto parsed = Parse(args, [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      if (!v) return std::nullopt;
      return std::string(v);
    }, options);
    if (!parsed.ok()) {
      error(parsed.status());
      std::fprintf(stderr, "Run '%s --help' for usage.\n", options.program.c_str());
      return 2;
    }
    if (parsed->help) {
      std::fputs(Usage(options).c_str(), stdout);
      return 0;
    }
    if (parsed->version) {
      std::printf("%s version %s (vkubelet %s)\n", options.program.c_str(), VKUBELET_VERSION, VKUBELET_VERSION);
      return 0;
    }
    log::SetDefaultLogger(std::make_shared<log::Logger>(
        parsed->log_json ? log::NewJsonSink(stderr) : log::NewTextSink(stderr), parsed->log_level));
    Context log_ctx = ctx.WithField("node", parsed->node.node_name);
    if (options.prepare) {
      if (absl::Status s = options.prepare(ctx, *parsed); !s.ok()) {
        error(s);
        return 1;
      }
    }
    for (const auto& w : parsed->warnings) log::Warning(log_ctx, w);

    if (absl::Status s = LoadClientConfig(&*parsed); !s.ok()) {
      error(s);
      return 1;
    }
    if (options.customize) {
      if (absl::Status s = options.customize(parsed->node, parsed->extra); !s.ok()) {
        error(s);
        return 1;
      }
    }
    log::Info(log_ctx, "Starting virtual node",
              {{"provider", parsed->node.provider_name},
               {"api_server", parsed->node.client_config.server},
               {"kubelet_port", parsed->node.kubelet_server.port}});
    auto node = Node::Create(std::move(parsed->node), options.factory);
    if (!node.ok()) {
      error(node.status());
      return 1;
    }
    auto [run_ctx, stop] = ctx.WithCancel();
    absl::Status hook_status;
    std::thread hook;
    if (options.on_ready) {
      hook = std::thread([&, c = run_ctx, stop_fn = stop] {
        Node& n = **node;
        while (!c.Done()) {
          absl::Status r = n.WaitReady(absl::Milliseconds(200));
          if (r.ok()) break;
          if (!absl::IsDeadlineExceeded(r)) return;  // Run reports why
        }
        if (c.Done()) return;
        hook_status = options.on_ready(c, n);
        if (!hook_status.ok()) stop_fn();
      });
    }
    absl::Status s = (*node)->Run(run_ctx);
    stop();
    if (hook.joinable()) hook.join();
    // After a signal the hook's error is only the cancellation.
    if (s.ok() && !hook_status.ok() && !ctx.Done()) s = hook_status;
    if (!s.ok()) {
      error(s);
      return 1;
    }
    return 0;
  });
}

}  // namespace vkubelet::cli
