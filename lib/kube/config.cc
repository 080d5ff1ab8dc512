// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/kube/config.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace vkubelet::kube {
namespace {

namespace fs = std::filesystem;
using ::vkubelet::internal::ToAbsl;

constexpr std::string_view kExecV1 = "client.authentication.k8s.io/v1";
constexpr std::string_view kExecV1Beta1 = "client.authentication.k8s.io/v1beta1";

// Where an entry came from, for errors and relative paths.
struct Origin {
  std::string file;  // as given (for messages)
  std::string dir;   // absolute directory of the file
};

struct RawCluster {
  Origin origin;
  std::string where;  // "clusters[0] \"name\""
  std::string server, ca_file, ca_pem, tls_server_name, proxy_url;
  bool insecure = false;
};

struct RawUser {
  Origin origin;
  std::string where;
  std::string cert_file, cert_pem, key_file, key_pem;
  std::string token, token_file, username, password;
  std::optional<ExecConfig> exec;
  std::string auth_provider;  // name, when present
};

struct RawContext {
  Origin origin;
  std::string where;
  std::string cluster, user, ns;
};

// The merged view of one or more files: the first definition of a name wins.
struct Merged {
  std::vector<std::string> files;
  std::map<std::string, RawCluster> clusters;
  std::map<std::string, RawUser> users;
  std::map<std::string, RawContext> contexts;
  std::string current_context;
};

absl::Status FileError(const Origin& o, std::string_view path, std::string_view what) {
  return errdefs::InvalidInput(absl::StrCat("kubeconfig ", o.file, ": ", ToAbsl(path), ": ", ToAbsl(what)));
}

std::string Quoted(std::string_view s) { return absl::StrCat("\"", ToAbsl(s), "\""); }

// Typed accessors over a YAML map, each naming the field in its error.
class MapReader {
 public:
  MapReader(const YAML::Node& node, const Origin& origin, std::string path)
      : node_(node), origin_(origin), path_(std::move(path)) {}

  const std::string& path() const { return path_; }

  absl::Status CheckMap() const {
    if (node_.IsNull() || !node_.IsDefined()) return absl::OkStatus();
    if (!node_.IsMap()) return FileError(origin_, path_, "must be a map");
    return absl::OkStatus();
  }

  YAML::Node Child(std::string_view key) const {
    if (!node_.IsMap()) return YAML::Node();
    return node_[std::string(key)];
  }

  absl::Status String(std::string_view key, std::string* out) const {
    YAML::Node n = Child(key);
    if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
    if (!n.IsScalar()) return FileError(origin_, absl::StrCat(path_, ".", ToAbsl(key)), "must be a string");
    *out = n.Scalar();
    return absl::OkStatus();
  }

  absl::Status Bool(std::string_view key, bool* out) const {
    YAML::Node n = Child(key);
    if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
    bool value = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, value)) {
      return FileError(origin_, absl::StrCat(path_, ".", ToAbsl(key)), "must be true or false");
    }
    *out = value;
    return absl::OkStatus();
  }

  // A base64 field (*-data): decoded into `out`.
  absl::Status Base64(std::string_view key, std::string* out) const {
    std::string text;
    VK_RETURN_IF_ERROR(String(key, &text));
    if (text.empty()) return absl::OkStatus();
    std::string cleaned;
    for (char c : text) {
      if (c != '\n' && c != '\r' && c != ' ' && c != '\t') cleaned.push_back(c);
    }
    if (!absl::Base64Unescape(cleaned, out) || out->empty()) {
      return FileError(origin_, absl::StrCat(path_, ".", ToAbsl(key)), "is not valid base64");
    }
    return absl::OkStatus();
  }

  absl::Status StringList(std::string_view key, std::vector<std::string>* out) const {
    YAML::Node n = Child(key);
    if (!n.IsDefined() || n.IsNull()) return absl::OkStatus();
    std::string p = absl::StrCat(path_, ".", ToAbsl(key));
    if (!n.IsSequence()) return FileError(origin_, p, "must be a list of strings");
    for (size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar()) return FileError(origin_, absl::StrCat(p, "[", i, "]"), "must be a string");
      out->push_back(n[i].Scalar());
    }
    return absl::OkStatus();
  }

 private:
  YAML::Node node_;
  const Origin& origin_;
  std::string path_;
};

std::string ResolvePath(const Origin& origin, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (fs::path(origin.dir) / p).lexically_normal().string();
}

// Iterates a list of {name: X, <item_key>: {...}} entries.
template <typename Fn>
absl::Status ForEachNamed(const YAML::Node& root, const Origin& origin, std::string_view list_key,
                          std::string_view item_key, Fn&& fn) {
  YAML::Node list = root[std::string(list_key)];
  if (!list.IsDefined() || list.IsNull()) return absl::OkStatus();
  if (!list.IsSequence()) return FileError(origin, list_key, "must be a list");
  std::map<std::string, bool> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = absl::StrCat(ToAbsl(list_key), "[", i, "]");
    const YAML::Node& entry = list[i];
    if (!entry.IsMap()) return FileError(origin, path, "must be a map with name and " + std::string(item_key));
    MapReader r(entry, origin, path);
    std::string name;
    VK_RETURN_IF_ERROR(r.String("name", &name));
    if (name.empty()) return FileError(origin, path + ".name", "is missing");
    if (seen[name]) return FileError(origin, path + ".name", absl::StrCat("duplicate name ", Quoted(name)));
    seen[name] = true;
    YAML::Node item = entry[std::string(item_key)];
    std::string where = absl::StrCat(path, " ", Quoted(name));
    MapReader ir(item, origin, absl::StrCat(path, ".", ToAbsl(item_key)));
    VK_RETURN_IF_ERROR(ir.CheckMap());
    VK_RETURN_IF_ERROR(fn(name, where, ir));
  }
  return absl::OkStatus();
}

absl::Status ParseExec(const MapReader& user, const Origin& origin, ExecConfig* exec) {
  YAML::Node node = user.Child("exec");
  MapReader r(node, origin, user.path() + ".exec");
  VK_RETURN_IF_ERROR(r.CheckMap());
  VK_RETURN_IF_ERROR(r.String("apiVersion", &exec->api_version));
  VK_RETURN_IF_ERROR(r.String("command", &exec->command));
  VK_RETURN_IF_ERROR(r.StringList("args", &exec->args));
  VK_RETURN_IF_ERROR(r.String("installHint", &exec->install_hint));
  VK_RETURN_IF_ERROR(r.Bool("provideClusterInfo", &exec->provide_cluster_info));
  VK_RETURN_IF_ERROR(r.String("interactiveMode", &exec->interactive_mode));
  YAML::Node env = r.Child("env");
  if (env.IsDefined() && !env.IsNull()) {
    if (!env.IsSequence()) return FileError(origin, r.path() + ".env", "must be a list of {name, value}");
    for (size_t i = 0; i < env.size(); ++i) {
      std::string p = absl::StrCat(r.path(), ".env[", i, "]");
      if (!env[i].IsMap()) return FileError(origin, p, "must be a map with name and value");
      MapReader er(env[i], origin, p);
      std::string name, value;
      VK_RETURN_IF_ERROR(er.String("name", &name));
      VK_RETURN_IF_ERROR(er.String("value", &value));
      if (name.empty()) return FileError(origin, p + ".name", "is missing");
      exec->env.emplace_back(std::move(name), std::move(value));
    }
  }
  std::string p = r.path();
  if (exec->command.empty()) return FileError(origin, p + ".command", "is missing");
  if (exec->api_version.empty()) return FileError(origin, p + ".apiVersion", "is missing");
  if (exec->api_version != kExecV1 && exec->api_version != kExecV1Beta1) {
    return FileError(origin, p + ".apiVersion",
                     absl::StrCat(Quoted(exec->api_version), " is not supported (use ", ToAbsl(kExecV1), " or ",
                                  ToAbsl(kExecV1Beta1), ")"));
  }
  if (exec->interactive_mode.empty() && exec->api_version == kExecV1Beta1) exec->interactive_mode = "IfAvailable";
  if (exec->interactive_mode.empty()) {
    return FileError(origin, p + ".interactiveMode", "must be set for client.authentication.k8s.io/v1 plugins");
  }
  if (exec->interactive_mode != "Never" && exec->interactive_mode != "IfAvailable" &&
      exec->interactive_mode != "Always") {
    return FileError(origin, p + ".interactiveMode",
                     absl::StrCat(Quoted(exec->interactive_mode), " is not one of Never, IfAvailable, Always"));
  }
  // Like client-go: a command with a path separator is relative to the file.
  if (exec->command.find('/') != std::string::npos) exec->command = ResolvePath(origin, exec->command);
  return absl::OkStatus();
}

absl::Status ParseDocument(std::string_view text, const Origin& origin, Merged* merged) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return errdefs::InvalidInput(absl::StrCat("kubeconfig ", origin.file, ": not valid YAML: line ",
                                              e.mark.line + 1, ", column ", e.mark.column + 1, ": ", e.msg));
  }
  merged->files.push_back(origin.file);
  if (root.IsNull() || !root.IsDefined()) return absl::OkStatus();  // an empty file is allowed
  if (!root.IsMap()) return FileError(origin, "(top level)", "must be a map");
  try {
    MapReader top(root, origin, "");
    std::string kind, api_version, current;
    VK_RETURN_IF_ERROR(top.String("kind", &kind));
    VK_RETURN_IF_ERROR(top.String("apiVersion", &api_version));
    if (!kind.empty() && kind != "Config") {
      return FileError(origin, "kind", absl::StrCat(Quoted(kind), " is not a kubeconfig (kind Config)"));
    }
    if (!api_version.empty() && api_version != "v1") {
      return FileError(origin, "apiVersion", absl::StrCat(Quoted(api_version), " is not supported (v1)"));
    }
    VK_RETURN_IF_ERROR(top.String("current-context", &current));
    if (merged->current_context.empty()) merged->current_context = current;

    VK_RETURN_IF_ERROR(ForEachNamed(root, origin, "clusters", "cluster",
                                    [&](const std::string& name, const std::string& where, const MapReader& r) {
                                      RawCluster c;
                                      c.origin = origin;
                                      c.where = where;
                                      VK_RETURN_IF_ERROR(r.String("server", &c.server));
                                      VK_RETURN_IF_ERROR(r.String("certificate-authority", &c.ca_file));
                                      VK_RETURN_IF_ERROR(r.Base64("certificate-authority-data", &c.ca_pem));
                                      VK_RETURN_IF_ERROR(r.Bool("insecure-skip-tls-verify", &c.insecure));
                                      VK_RETURN_IF_ERROR(r.String("tls-server-name", &c.tls_server_name));
                                      VK_RETURN_IF_ERROR(r.String("proxy-url", &c.proxy_url));
                                      c.ca_file = ResolvePath(origin, c.ca_file);
                                      merged->clusters.emplace(name, std::move(c));
                                      return absl::OkStatus();
                                    }));
    VK_RETURN_IF_ERROR(ForEachNamed(root, origin, "users", "user",
                                    [&](const std::string& name, const std::string& where, const MapReader& r) {
                                      RawUser u;
                                      u.origin = origin;
                                      u.where = where;
                                      VK_RETURN_IF_ERROR(r.String("client-certificate", &u.cert_file));
                                      VK_RETURN_IF_ERROR(r.Base64("client-certificate-data", &u.cert_pem));
                                      VK_RETURN_IF_ERROR(r.String("client-key", &u.key_file));
                                      VK_RETURN_IF_ERROR(r.Base64("client-key-data", &u.key_pem));
                                      VK_RETURN_IF_ERROR(r.String("token", &u.token));
                                      VK_RETURN_IF_ERROR(r.String("tokenFile", &u.token_file));
                                      VK_RETURN_IF_ERROR(r.String("username", &u.username));
                                      VK_RETURN_IF_ERROR(r.String("password", &u.password));
                                      YAML::Node ap = r.Child("auth-provider");
                                      if (ap.IsDefined() && !ap.IsNull()) {
                                        MapReader apr(ap, origin, r.path() + ".auth-provider");
                                        VK_RETURN_IF_ERROR(apr.CheckMap());
                                        VK_RETURN_IF_ERROR(apr.String("name", &u.auth_provider));
                                        if (u.auth_provider.empty()) u.auth_provider = "(unnamed)";
                                      }
                                      YAML::Node ex = r.Child("exec");
                                      if (ex.IsDefined() && !ex.IsNull()) {
                                        ExecConfig exec;
                                        VK_RETURN_IF_ERROR(ParseExec(r, origin, &exec));
                                        u.exec = std::move(exec);
                                      }
                                      u.cert_file = ResolvePath(origin, u.cert_file);
                                      u.key_file = ResolvePath(origin, u.key_file);
                                      u.token_file = ResolvePath(origin, u.token_file);
                                      merged->users.emplace(name, std::move(u));
                                      return absl::OkStatus();
                                    }));
    VK_RETURN_IF_ERROR(ForEachNamed(root, origin, "contexts", "context",
                                    [&](const std::string& name, const std::string& where, const MapReader& r) {
                                      RawContext c;
                                      c.origin = origin;
                                      c.where = where;
                                      VK_RETURN_IF_ERROR(r.String("cluster", &c.cluster));
                                      VK_RETURN_IF_ERROR(r.String("user", &c.user));
                                      VK_RETURN_IF_ERROR(r.String("namespace", &c.ns));
                                      merged->contexts.emplace(name, std::move(c));
                                      return absl::OkStatus();
                                    }));
  } catch (const YAML::Exception& e) {
    return errdefs::InvalidInput(absl::StrCat("kubeconfig ", origin.file, ": line ", e.mark.line + 1, ": ", e.msg));
  }
  return absl::OkStatus();
}

Origin MakeOrigin(std::string_view file) {
  Origin o;
  o.file = std::string(file);
  std::error_code ec;
  fs::path abs = fs::absolute(fs::path(std::string(file)), ec);
  o.dir = ec ? fs::path(std::string(file)).parent_path().string() : abs.parent_path().string();
  return o;
}

// Reads a whole file. NotFound when it does not exist.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return errdefs::NotFound(absl::StrCat(path, ": no such file"));
  if (fs::is_directory(path, ec)) return errdefs::InvalidInput(absl::StrCat(path, ": is a directory"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot be read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::Status CheckReadable(const Origin& origin, const std::string& where, std::string_view field,
                           const std::string& path) {
  if (path.empty()) return absl::OkStatus();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return errdefs::InvalidInput(absl::StrCat("kubeconfig ", origin.file, ": ", where, ": ", ToAbsl(field), " ",
                                              Quoted(path), " cannot be read"));
  }
  return absl::OkStatus();
}

std::string FileList(const Merged& m) { return absl::StrJoin(m.files, ", "); }

absl::StatusOr<ClientConfig> Resolve(const Merged& m, std::string_view context_override) {
  std::string context_name = context_override.empty() ? m.current_context : std::string(context_override);
  if (context_name.empty()) {
    return errdefs::NotFound(absl::StrCat("kubeconfig ", FileList(m),
                                          ": no context selected (current-context is not set and no context was "
                                          "given)"));
  }
  auto cit = m.contexts.find(context_name);
  if (cit == m.contexts.end()) {
    return errdefs::NotFound(absl::StrCat("kubeconfig ", FileList(m), ": context ", Quoted(context_name),
                                          context_override.empty() ? " (current-context)" : "", " does not exist"));
  }
  const RawContext& ctx = cit->second;
  auto clit = m.clusters.find(ctx.cluster);
  if (ctx.cluster.empty() || clit == m.clusters.end()) {
    return errdefs::NotFound(absl::StrCat("kubeconfig ", ctx.origin.file, ": ", ctx.where, ": cluster ",
                                          Quoted(ctx.cluster), " does not exist"));
  }
  const RawCluster& cl = clit->second;
  ClientConfig cfg;
  cfg.default_namespace = ctx.ns;

  // Cluster.
  if (cl.server.empty()) return FileError(cl.origin, cl.where, "cluster.server is missing");
  cfg.server = cl.server;
  if (!absl::StartsWith(cfg.server, "https://") && !absl::StartsWith(cfg.server, "http://")) {
    if (cfg.server.find("://") != std::string::npos) {
      return FileError(cl.origin, cl.where, absl::StrCat("cluster.server ", Quoted(cl.server), " is not http(s)"));
    }
    cfg.server = "https://" + cfg.server;
  }
  while (absl::EndsWith(cfg.server, "/")) cfg.server.pop_back();
  if (cl.insecure && (!cl.ca_file.empty() || !cl.ca_pem.empty())) {
    return FileError(cl.origin, cl.where,
                     "insecure-skip-tls-verify cannot be combined with certificate-authority(-data)");
  }
  VK_RETURN_IF_ERROR(CheckReadable(cl.origin, cl.where, "certificate-authority", cl.ca_file));
  if (!cl.ca_pem.empty()) {
    cfg.tls.ca_pem = cl.ca_pem;  // inline data overrides the file, as in client-go
  } else {
    cfg.tls.ca_file = cl.ca_file;
  }
  cfg.tls.insecure = cl.insecure;
  cfg.tls.server_name = cl.tls_server_name;

  // User. A context without a user is allowed (anonymous).
  if (!ctx.user.empty()) {
    auto uit = m.users.find(ctx.user);
    if (uit == m.users.end()) {
      return errdefs::NotFound(absl::StrCat("kubeconfig ", ctx.origin.file, ": ", ctx.where, ": user ",
                                            Quoted(ctx.user), " does not exist"));
    }
    const RawUser& u = uit->second;
    if (!u.auth_provider.empty()) {
      if (u.exec) return FileError(u.origin, u.where, "auth-provider cannot be combined with exec");
      return FileError(u.origin, u.where,
                       absl::StrCat("auth-provider ", Quoted(u.auth_provider),
                                    " is not supported; use an exec credential plugin"));
    }
    bool has_cert = !u.cert_file.empty() || !u.cert_pem.empty();
    bool has_key = !u.key_file.empty() || !u.key_pem.empty();
    if (!u.cert_file.empty() && !u.cert_pem.empty()) {
      return FileError(u.origin, u.where, "client-certificate and client-certificate-data are both set");
    }
    if (!u.key_file.empty() && !u.key_pem.empty()) {
      return FileError(u.origin, u.where, "client-key and client-key-data are both set");
    }
    if (has_cert && !has_key) return FileError(u.origin, u.where, "client-certificate is set without client-key");
    if (has_key && !has_cert) return FileError(u.origin, u.where, "client-key is set without client-certificate");
    bool has_token = !u.token.empty() || !u.token_file.empty();
    bool has_basic = !u.username.empty() || !u.password.empty();
    if (has_token && has_basic) {
      return FileError(u.origin, u.where, "more than one authentication method (token and username/password)");
    }
    VK_RETURN_IF_ERROR(CheckReadable(u.origin, u.where, "client-certificate", u.cert_file));
    VK_RETURN_IF_ERROR(CheckReadable(u.origin, u.where, "client-key", u.key_file));
    VK_RETURN_IF_ERROR(CheckReadable(u.origin, u.where, "tokenFile", u.token_file));
    cfg.tls.cert_file = u.cert_file;
    cfg.tls.cert_pem = u.cert_pem;
    cfg.tls.key_file = u.key_file;
    cfg.tls.key_pem = u.key_pem;
    cfg.bearer_token = u.token;
    cfg.bearer_token_file = u.token_file;
    cfg.username = u.username;
    cfg.password = u.password;
    if (u.exec) {
      if (u.exec->interactive_mode == "Always") {
        return FileError(u.origin, u.where,
                         "exec plugin requires interactive mode (interactiveMode: Always), which a kubelet cannot "
                         "provide");
      }
      cfg.exec = u.exec;
    }
  }
  return cfg;
}

std::string Getenv(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

}  // namespace

absl::StatusOr<ClientConfig> KubeconfigFromString(std::string_view yaml, std::string_view origin,
                                                  std::string_view context) {
  Merged merged;
  VK_RETURN_IF_ERROR(ParseDocument(yaml, MakeOrigin(origin), &merged));
  return Resolve(merged, context);
}

namespace {

// `no_file` is set when the error is that no kubeconfig file exists at all.
absl::StatusOr<ClientConfig> LoadKubeconfigImpl(const KubeconfigOptions& options, bool* no_file) {
  *no_file = false;
  std::vector<std::string> files;
  bool explicit_files = false;
  if (!options.path.empty()) {
    files.push_back(options.path);
    explicit_files = true;
  } else {
    std::string env = options.kubeconfig_env ? *options.kubeconfig_env : Getenv("KUBECONFIG");
    if (!env.empty()) {
      for (absl::string_view part : absl::StrSplit(env, ':')) {
        if (part.empty()) continue;
        std::string p(part);
        if (std::find(files.begin(), files.end(), p) == files.end()) files.push_back(p);
      }
    }
    if (files.empty()) {
      std::string home = options.home ? *options.home : Getenv("HOME");
      if (home.empty()) {
        *no_file = true;
        return errdefs::NotFound("no kubeconfig: $KUBECONFIG and $HOME are not set");
      }
      files.push_back((fs::path(home) / ".kube" / "config").string());
      explicit_files = true;  // a single default file must exist
    }
  }
  Merged merged;
  std::vector<std::string> missing;
  for (const std::string& file : files) {
    absl::StatusOr<std::string> text = ReadWholeFile(file);
    if (errdefs::IsNotFound(text.status()) && !explicit_files) {
      missing.push_back(file);  // kubectl skips missing files of $KUBECONFIG
      continue;
    }
    if (!text.ok()) {
      *no_file = errdefs::IsNotFound(text.status());
      return errdefs::Annotate(text.status(), "kubeconfig");
    }
    VK_RETURN_IF_ERROR(ParseDocument(*text, MakeOrigin(file), &merged));
  }
  if (merged.files.empty()) {
    *no_file = true;
    return errdefs::NotFound(absl::StrCat("kubeconfig: none of the files exist: ", absl::StrJoin(missing, ", ")));
  }
  return Resolve(merged, options.context);
}

}  // namespace

absl::StatusOr<ClientConfig> LoadKubeconfig(const KubeconfigOptions& options) {
  bool no_file = false;
  return LoadKubeconfigImpl(options, &no_file);
}

absl::StatusOr<ClientConfig> InClusterConfig(const InClusterOptions& options) {
  std::string host = options.service_host ? *options.service_host : Getenv("KUBERNETES_SERVICE_HOST");
  std::string port = options.service_port ? *options.service_port : Getenv("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return errdefs::NotFound(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  std::error_code ec;
  if (!fs::exists(options.token_file, ec)) {
    return errdefs::NotFound(absl::StrCat("in-cluster configuration: service-account token ", options.token_file,
                                          " does not exist"));
  }
  ClientConfig cfg;
  // IPv6 literals need brackets in a URL.
  if (host.find(':') != std::string::npos && host.front() != '[') host = absl::StrCat("[", host, "]");
  cfg.server = absl::StrCat("https://", host, ":", port);
  cfg.bearer_token_file = options.token_file;
  if (fs::exists(options.ca_file, ec)) {
    cfg.tls.ca_file = options.ca_file;
  }
  absl::StatusOr<std::string> ns = ReadWholeFile(options.namespace_file);
  if (ns.ok()) cfg.default_namespace = std::string(absl::StripAsciiWhitespace(*ns));
  return cfg;
}

absl::StatusOr<ClientConfig> LoadDefaultConfig(std::string_view kubeconfig_path, std::string_view context) {
  KubeconfigOptions opts;
  opts.path = std::string(kubeconfig_path);
  opts.context = std::string(context);
  if (!opts.path.empty()) return LoadKubeconfig(opts);
  // Only "no file at all" falls through to the in-cluster configuration; a
  // kubeconfig that exists but names an unknown context is an error.
  bool no_file = false;
  absl::StatusOr<ClientConfig> cfg = LoadKubeconfigImpl(opts, &no_file);
  if (cfg.ok() || !no_file) return cfg;
  absl::StatusOr<ClientConfig> in_cluster = InClusterConfig();
  if (in_cluster.ok()) return in_cluster;
  return errdefs::NotFound(absl::StrCat("no configuration: ", cfg.status().message(), "; ",
                                        in_cluster.status().message()));
}

}  // namespace vkubelet::kube
