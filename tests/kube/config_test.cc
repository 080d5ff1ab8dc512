// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "vkubelet/kube/config.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "kube/credentials.h"
#include "test_util.h"
#include "vkubelet/errdefs.h"
#include "vkubelet/testing/fake_clock.h"

namespace vkubelet::kube {
namespace {

namespace fs = std::filesystem;

std::string Dir() { return std::string(VKUBELET_SOURCE_ROOT) + "/tests/kube/testdata/kubeconfig"; }
std::string File(const std::string& rel) { return Dir() + "/" + rel; }

bool Contains(const absl::Status& s, std::string_view needle) {
  return absl::StrContains(s.message(), absl::string_view(needle.data(), needle.size()));
}

// A private temporary directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vkubelet-config-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, const std::string& content) const {
    std::string p = path_ + "/" + name;
    fs::create_directories(fs::path(p).parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

absl::StatusOr<ClientConfig> LoadContext(const std::string& file, const std::string& context = "") {
  KubeconfigOptions opts;
  opts.path = file;
  opts.context = context;
  return LoadKubeconfig(opts);
}

TEST_CASE("current-context with inline certificate data") {
  absl::StatusOr<ClientConfig> cfg = LoadContext(File("multi.yaml"));
  VK_REQUIRE_OK(cfg);
  CHECK(cfg->server == "https://127.0.0.1:39631");
  CHECK(cfg->tls.ca_pem == "-----BEGIN CERTIFICATE-----\nINLINE-CA\n-----END CERTIFICATE-----\n");
  CHECK(cfg->tls.ca_file.empty());
  CHECK(absl::StrContains(cfg->tls.cert_pem, "INLINE-CLIENT-CERT"));
  CHECK(absl::StrContains(cfg->tls.key_pem, "INLINE-CLIENT-KEY"));
  CHECK(cfg->bearer_token.empty());
  CHECK_FALSE(cfg->tls.insecure);
  CHECK(cfg->content_type == ContentType::kProtobuf);
  CHECK(cfg->qps == 50);
  CHECK(cfg->burst == 100);
}

TEST_CASE("context override, relative paths resolved against the file's directory") {
  absl::StatusOr<ClientConfig> cfg = LoadContext(File("multi.yaml"), "prod-admin@prod");
  VK_REQUIRE_OK(cfg);
  CHECK(cfg->server == "https://prod.example.com:6443");
  CHECK(cfg->tls.ca_file == File("pki/ca.crt"));
  CHECK(cfg->tls.server_name == "kubernetes.default.svc");
  CHECK(cfg->tls.cert_file == File("pki/admin.crt"));
  CHECK(cfg->tls.key_file == File("pki/admin.key"));
  CHECK(cfg->default_namespace == "payments");

  // Loading through a relative path to the kubeconfig resolves the same way.
  std::string cwd = fs::current_path().string();
  fs::current_path(Dir() + "/pki");
  absl::StatusOr<ClientConfig> rel = LoadContext("../multi.yaml", "prod-admin@prod");
  fs::current_path(cwd);
  VK_REQUIRE_OK(rel);
  CHECK(rel->tls.ca_file == File("pki/ca.crt"));
}

TEST_CASE("token, token file, basic auth and insecure clusters") {
  absl::StatusOr<ClientConfig> lab = LoadContext(File("multi.yaml"), "lab");
  VK_REQUIRE_OK(lab);
  CHECK(lab->server == "https://10.0.0.5:6443");  // trailing slash dropped
  CHECK(lab->tls.insecure);
  CHECK(lab->bearer_token == "eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.lab");

  absl::StatusOr<ClientConfig> sa = LoadContext(File("multi.yaml"), "prod-sa");
  VK_REQUIRE_OK(sa);
  CHECK(sa->bearer_token_file == File("pki/token"));
  CHECK(sa->default_namespace == "kube-system");

  absl::StatusOr<ClientConfig> basic = LoadContext(File("multi.yaml"), "basic");
  VK_REQUIRE_OK(basic);
  CHECK(basic->username == "admin");
  CHECK(basic->password == "s3cret");
  CHECK(basic->tls.ca_file.empty());
  CHECK(basic->tls.ca_pem.empty());
}

TEST_CASE("unknown context, cluster or user are NotFound and named") {
  absl::StatusOr<ClientConfig> cfg = LoadContext(File("multi.yaml"), "nope");
  CHECK(errdefs::IsNotFound(cfg.status()));
  CHECK(Contains(cfg.status(), "context \"nope\" does not exist"));
  CHECK(Contains(cfg.status(), "multi.yaml"));

  cfg = LoadContext(File("multi.yaml"), "dangling-cluster");
  CHECK(errdefs::IsNotFound(cfg.status()));
  CHECK(Contains(cfg.status(), "cluster \"missing-cluster\" does not exist"));
  CHECK(Contains(cfg.status(), "contexts[5] \"dangling-cluster\""));

  cfg = LoadContext(File("multi.yaml"), "dangling-user");
  CHECK(errdefs::IsNotFound(cfg.status()));
  CHECK(Contains(cfg.status(), "user \"missing-user\" does not exist"));

  cfg = LoadContext(File("does-not-exist.yaml"));
  CHECK(errdefs::IsNotFound(cfg.status()));
  CHECK(Contains(cfg.status(), "does-not-exist.yaml"));
}

TEST_CASE("exec plugin configuration") {
  absl::StatusOr<ClientConfig> cfg = LoadContext(File("exec.yaml"));
  VK_REQUIRE_OK(cfg);
  REQUIRE(cfg->exec.has_value());
  CHECK(cfg->exec->api_version == "client.authentication.k8s.io/v1");
  CHECK(cfg->exec->command == File("plugins/exec-credential.sh"));
  CHECK(cfg->exec->args == std::vector<std::string>{"token", "--cluster-name", "my-cluster"});
  REQUIRE(cfg->exec->env.size() == 1);
  CHECK(cfg->exec->env[0].first == "PLUGIN_PREFIX");
  CHECK(cfg->exec->env[0].second == "eks");
  CHECK(cfg->exec->provide_cluster_info);
  CHECK(cfg->exec->interactive_mode == "Never");
  CHECK(cfg->exec->install_hint == "install the credential helper");

  absl::StatusOr<ClientConfig> beta = LoadContext(File("exec.yaml"), "eks-beta");
  VK_REQUIRE_OK(beta);
  CHECK(beta->exec->interactive_mode == "IfAvailable");  // v1beta1 default
  CHECK(beta->exec->command == File("plugins/exec-credential.sh"));

  // A bare command name is looked up in PATH, not resolved.
  absl::StatusOr<ClientConfig> path_cmd = KubeconfigFromString(R"(
clusters: [{name: c, cluster: {server: "https://x"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, interactiveMode: Never}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)", "/etc/kube/config");
  VK_REQUIRE_OK(path_cmd);
  CHECK(path_cmd->exec->command == "aws");
}

TEST_CASE("$KUBECONFIG files merge with kubectl's precedence") {
  std::string first = File("merge/first.yaml"), second = File("merge/second.yaml");
  KubeconfigOptions opts;
  opts.kubeconfig_env = absl::StrCat(first, ":", second);
  absl::StatusOr<ClientConfig> cfg = LoadKubeconfig(opts);
  VK_REQUIRE_OK(cfg);
  // current-context comes from the first file that sets it; the context,
  // cluster and user named "first"/"shared"/"shared-user" from the first file.
  CHECK(cfg->server == "https://first.example.com");
  CHECK(cfg->tls.insecure);
  CHECK(cfg->bearer_token == "first-token");
  CHECK(cfg->username.empty());  // the second file's shared-user is not merged in
  CHECK(cfg->default_namespace == "from-first");

  // A context only the second file defines, pointing at the first file's user;
  // its relative CA path is resolved against the second file's directory.
  opts.context = "second";
  cfg = LoadKubeconfig(opts);
  VK_REQUIRE_OK(cfg);
  CHECK(cfg->server == "https://only-second.example.com");
  CHECK(cfg->tls.ca_file == File("pki/ca.crt"));
  CHECK(cfg->bearer_token == "first-token");

  // Reversed order: the second file wins.
  opts.context.clear();
  opts.kubeconfig_env = absl::StrCat(second, ":", first);
  cfg = LoadKubeconfig(opts);
  VK_REQUIRE_OK(cfg);
  CHECK(cfg->server == "https://only-second.example.com");
  CHECK(cfg->username == "ignored");

  // Empty entries and missing files are skipped; a file without
  // current-context lets a later one set it; duplicates count once.
  opts.kubeconfig_env = absl::StrCat(":", File("merge/missing.yaml"), ":", File("merge/no-current.yaml"), "::",
                                     first, ":", File("merge/no-current.yaml"));
  cfg = LoadKubeconfig(opts);
  VK_REQUIRE_OK(cfg);
  CHECK(cfg->server == "https://first.example.com");
  opts.context = "third";
  cfg = LoadKubeconfig(opts);
  VK_REQUIRE_OK(cfg);
  CHECK(cfg->server == "https://third.example.com");
  CHECK(cfg->bearer_token.empty());  // no user: anonymous

  opts.context.clear();
  opts.kubeconfig_env = absl::StrCat(File("merge/missing.yaml"), ":", File("merge/missing2.yaml"));
  cfg = LoadKubeconfig(opts);
  CHECK(errdefs::IsNotFound(cfg.status()));
  CHECK(Contains(cfg.status(), "missing2.yaml"));
}

TEST_CASE("~/.kube/config when $KUBECONFIG is empty") {
  KubeconfigOptions opts;
  opts.kubeconfig_env = "";
  opts.home = File("home");
  absl::StatusOr<ClientConfig> cfg = LoadKubeconfig(opts);
  VK_REQUIRE_OK(cfg);
  CHECK(cfg->server == "https://home.example.com:6443");
  CHECK(cfg->bearer_token == "home-token");

  opts.home = File("merge");  // no .kube/config there
  cfg = LoadKubeconfig(opts);
  CHECK(errdefs::IsNotFound(cfg.status()));
  CHECK(Contains(cfg.status(), ".kube/config"));
}

TEST_CASE("malformed kubeconfigs give errors naming the file and the field") {
  struct Case {
    const char* name;
    std::string yaml;
    std::vector<std::string> expect;
  };
  const std::string ctx = "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n";
  const std::vector<Case> cases = {
      {"invalid yaml", "clusters: [\n  - name: c\n   bad", {"not valid YAML", "line"}},
      {"not a map", "- a\n- b\n", {"must be a map"}},
      {"wrong kind", "kind: Pod\n", {"kind", "\"Pod\" is not a kubeconfig"}},
      {"clusters not a list", "clusters: {a: b}\n", {"clusters: must be a list"}},
      {"cluster without name", "clusters: [{cluster: {server: x}}]\n", {"clusters[0].name: is missing"}},
      {"duplicate name", "clusters: [{name: c, cluster: {server: a}}, {name: c, cluster: {server: b}}]\n",
       {"clusters[1].name", "duplicate name \"c\""}},
      {"bad base64",
       "clusters: [{name: c, cluster: {server: 'https://x', certificate-authority-data: '@@@'}}]\nusers: [{name: u, "
       "user: {}}]\n" +
           ctx,
       {"clusters[0].cluster.certificate-authority-data: is not valid base64"}},
      {"bool field", "clusters: [{name: c, cluster: {server: 'https://x', insecure-skip-tls-verify: maybe}}]\n",
       {"clusters[0].cluster.insecure-skip-tls-verify: must be true or false"}},
      {"missing server", "clusters: [{name: c, cluster: {}}]\nusers: [{name: u, user: {}}]\n" + ctx,
       {"clusters[0] \"c\"", "server is missing"}},
      {"cert without key",
       "clusters: [{name: c, cluster: {server: 'https://x'}}]\nusers: [{name: u, user: {client-certificate-data: "
       "QUJD}}]\n" +
           ctx,
       {"users[0] \"u\"", "client-certificate is set without client-key"}},
      {"two auth methods",
       "clusters: [{name: c, cluster: {server: 'https://x'}}]\nusers: [{name: u, user: {token: t, username: a, "
       "password: b}}]\n" +
           ctx,
       {"more than one authentication method"}},
      {"auth-provider",
       "clusters: [{name: c, cluster: {server: 'https://x'}}]\nusers: [{name: u, user: {auth-provider: {name: gcp}}}]\n" +
           ctx,
       {"auth-provider \"gcp\" is not supported"}},
      {"exec without apiVersion",
       "users: [{name: u, user: {exec: {command: foo}}}]\n", {"users[0].user.exec.apiVersion: is missing"}},
      {"exec v1 without interactiveMode",
       "users: [{name: u, user: {exec: {command: foo, apiVersion: client.authentication.k8s.io/v1}}}]\n",
       {"users[0].user.exec.interactiveMode: must be set"}},
      {"exec old apiVersion",
       "users: [{name: u, user: {exec: {command: foo, apiVersion: client.authentication.k8s.io/v1alpha1}}}]\n",
       {"exec.apiVersion", "is not supported"}},
      {"exec args not a list",
       "users: [{name: u, user: {exec: {command: foo, apiVersion: client.authentication.k8s.io/v1beta1, args: "
       "x}}}]\n",
       {"users[0].user.exec.args: must be a list of strings"}},
      {"insecure with CA",
       "clusters: [{name: c, cluster: {server: 'https://x', insecure-skip-tls-verify: true, "
       "certificate-authority-data: QUJD}}]\nusers: [{name: u, user: {}}]\n" +
           ctx,
       {"insecure-skip-tls-verify cannot be combined"}},
      {"unreadable CA file",
       "clusters: [{name: c, cluster: {server: 'https://x', certificate-authority: nothere.crt}}]\nusers: [{name: u, "
       "user: {}}]\n" +
           ctx,
       {"certificate-authority", "nothere.crt", "cannot be read"}},
      {"no current context", "clusters: [{name: c, cluster: {server: 'https://x'}}]\n", {"no context selected"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    absl::StatusOr<ClientConfig> cfg = KubeconfigFromString(c.yaml, "/tmp/bad-kubeconfig.yaml");
    REQUIRE_FALSE(cfg.ok());
    CHECK(Contains(cfg.status(), "/tmp/bad-kubeconfig.yaml"));
    for (const std::string& e : c.expect) {
      CAPTURE(e);
      CHECK_MESSAGE(Contains(cfg.status(), e), cfg.status().ToString());
    }
  }
}

TEST_CASE("in-cluster configuration") {
  TempDir dir;
  InClusterOptions opts;
  opts.token_file = dir.Write("token", "sa-token\n");
  opts.ca_file = dir.Write("ca.crt", "PEM");
  opts.namespace_file = dir.Write("namespace", "vk-system\n");
  opts.service_host = "10.96.0.1";
  opts.service_port = "443";
  absl::StatusOr<ClientConfig> cfg = InClusterConfig(opts);
  VK_REQUIRE_OK(cfg);
  CHECK(cfg->server == "https://10.96.0.1:443");
  CHECK(cfg->bearer_token_file == opts.token_file);
  CHECK(cfg->tls.ca_file == opts.ca_file);
  CHECK(cfg->default_namespace == "vk-system");

  opts.service_host = "fd00::1";
  cfg = InClusterConfig(opts);
  VK_REQUIRE_OK(cfg);
  CHECK(cfg->server == "https://[fd00::1]:443");

  opts.service_host = "";
  cfg = InClusterConfig(opts);
  CHECK(errdefs::IsNotFound(cfg.status()));
  CHECK(Contains(cfg.status(), "KUBERNETES_SERVICE_HOST"));

  opts.service_host = "10.96.0.1";
  opts.token_file = dir.path() + "/none";
  cfg = InClusterConfig(opts);
  CHECK(errdefs::IsNotFound(cfg.status()));
  CHECK(Contains(cfg.status(), "none"));
}

// --- exec credential plugins --------------------------------------------------

ClientConfig ExecConfigWithEnv(const std::vector<std::pair<std::string, std::string>>& env) {
  absl::StatusOr<ClientConfig> cfg = LoadContext(File("exec.yaml"));
  REQUIRE(cfg.ok());
  for (const auto& e : env) cfg->exec->env.push_back(e);
  return *cfg;
}

TEST_CASE("exec plugin: token with args, env and cluster info") {
  ClientConfig cfg = ExecConfigWithEnv({{"EXEC_TOKEN", "abc"}});
  absl::StatusOr<internal::ExecCredential> cred = internal::RunExecPlugin(Context::Background(), *cfg.exec, cfg);
  VK_REQUIRE_OK(cred);
  CHECK(cred->token == "abc-eks-token --cluster-name my-cluster-https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com-run0");
  CHECK_FALSE(cred->expiry.has_value());
  CHECK(cred->cert_pem.empty());

  // v1beta1 without provideClusterInfo: no server passed.
  absl::StatusOr<ClientConfig> beta = LoadContext(File("exec.yaml"), "eks-beta");
  VK_REQUIRE_OK(beta);
  cred = internal::RunExecPlugin(Context::Background(), *beta->exec, *beta);
  VK_REQUIRE_OK(cred);
  CHECK(cred->token == "tok-none-token-noserver-run0");
}

TEST_CASE("exec plugin failures are clear Unauthorized errors") {
  {
    ClientConfig cfg = ExecConfigWithEnv({{"EXEC_MODE", "fail"}});
    auto cred = internal::RunExecPlugin(Context::Background(), *cfg.exec, cfg);
    CHECK(errdefs::IsUnauthorized(cred.status()));
    CHECK(Contains(cred.status(), "exited with status 3"));
    CHECK(Contains(cred.status(), "you must be logged in"));
  }
  {
    ClientConfig cfg = ExecConfigWithEnv({{"EXEC_MODE", "badjson"}});
    auto cred = internal::RunExecPlugin(Context::Background(), *cfg.exec, cfg);
    CHECK(errdefs::IsUnauthorized(cred.status()));
    CHECK(Contains(cred.status(), "not valid JSON"));
  }
  {
    ClientConfig cfg = ExecConfigWithEnv({{"EXEC_MODE", "wrongversion"}});
    auto cred = internal::RunExecPlugin(Context::Background(), *cfg.exec, cfg);
    CHECK(Contains(cred.status(), "does not match the configured"));
  }
  {
    ClientConfig cfg = ExecConfigWithEnv({});
    cfg.exec->command = "/nonexistent/credential-helper";
    auto cred = internal::RunExecPlugin(Context::Background(), *cfg.exec, cfg);
    CHECK(errdefs::IsUnauthorized(cred.status()));
    CHECK(Contains(cred.status(), "install the credential helper"));
  }
  {
    ClientConfig cfg = ExecConfigWithEnv({});
    cfg.exec->command = "/bin/sleep";
    cfg.exec->args = {"30"};
    cfg.exec->timeout = absl::Milliseconds(200);
    auto cred = internal::RunExecPlugin(Context::Background(), *cfg.exec, cfg);
    CHECK(cred.status().code() == absl::StatusCode::kDeadlineExceeded);
  }
}

TEST_CASE("ExecCredential parsing") {
  const std::string v1 = "client.authentication.k8s.io/v1";
  auto parse = [&](const std::string& json) { return internal::ParseExecCredential(json, v1); };
  auto ok = parse(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
      "status":{"token":"t","expirationTimestamp":"2030-01-02T03:04:05Z"}})");
  VK_REQUIRE_OK(ok);
  CHECK(ok->token == "t");
  REQUIRE(ok->expiry.has_value());
  CHECK(*ok->expiry == absl::FromUnixSeconds(1893553445));
  auto cert = parse(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
      "status":{"clientCertificateData":"C","clientKeyData":"K"}})");
  VK_REQUIRE_OK(cert);
  CHECK(cert->cert_pem == "C");
  CHECK(cert->key_pem == "K");
  CHECK(Contains(parse(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}})")
                     .status(),
                 "neither status.token"));
  CHECK(Contains(parse(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
      "status":{"clientCertificateData":"C"}})")
                     .status(),
                 "must be given together"));
  CHECK(Contains(parse(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
      "status":{"token":"t","expirationTimestamp":"tomorrow"}})")
                     .status(),
                 "is not RFC 3339"));
  CHECK(Contains(parse(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"Pod","status":{}})").status(),
                 "kind is not ExecCredential"));
  CHECK(Contains(parse(R"([1,2])").status(), "not a JSON object"));
  CHECK(Contains(parse(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"})").status(),
                 "status is missing"));
}

TEST_CASE("exec credentials are cached until they expire and refreshed after a 401") {
  TempDir dir;
  std::string counter = dir.path() + "/runs";
  testing::FakeClock clock(absl::FromUnixSeconds(1'900'000'000));
  ClientConfig cfg = ExecConfigWithEnv({{"EXEC_COUNTER", counter}, {"EXEC_EXPIRY", "2030-03-17T17:56:40Z"}});
  // 2030-03-17T17:56:40Z = 1'900'000'000 + 600 s.
  auto src = internal::CredentialSource::Create(cfg, &clock);
  VK_REQUIRE_OK(src);
  auto c1 = (*src)->Get(Context::Background());
  VK_REQUIRE_OK(c1);
  CHECK(absl::EndsWith(c1->authorization, "-run1"));
  auto c2 = (*src)->Get(Context::Background());
  VK_REQUIRE_OK(c2);
  CHECK(c2->authorization == c1->authorization);  // cached: no second run
  CHECK(c2->generation == c1->generation);

  clock.Advance(absl::Seconds(601));
  auto c3 = (*src)->Get(Context::Background());
  VK_REQUIRE_OK(c3);
  CHECK(absl::EndsWith(c3->authorization, "-run2"));
  CHECK(c3->generation != c1->generation);

  // Without an expiry the credential is kept until the server rejects it.
  cfg = ExecConfigWithEnv({{"EXEC_COUNTER", counter}});
  src = internal::CredentialSource::Create(cfg, &clock);
  VK_REQUIRE_OK(src);
  auto c4 = (*src)->Get(Context::Background());
  VK_REQUIRE_OK(c4);
  CHECK(absl::EndsWith(c4->authorization, "-run3"));
  clock.Advance(absl::Hours(24));
  CHECK((*src)->Get(Context::Background())->authorization == c4->authorization);
  const internal::Credentials rejected = *c4;
  CHECK((*src)->OnUnauthorized(rejected));
  c4 = (*src)->Get(Context::Background());
  VK_REQUIRE_OK(c4);
  CHECK(absl::EndsWith(c4->authorization, "-run4"));
  // A 401 for credentials that were already replaced does not run it again.
  CHECK((*src)->OnUnauthorized(rejected));
  auto c5 = (*src)->Get(Context::Background());
  VK_REQUIRE_OK(c5);
  CHECK(c5->authorization == c4->authorization);
}

TEST_CASE("bearer token file is read again when it rotates") {
  TempDir dir;
  ClientConfig cfg;
  cfg.server = "https://x";
  cfg.bearer_token = "static-token-is-overridden";
  cfg.bearer_token_file = dir.Write("token", "first\n");
  auto src = internal::CredentialSource::Create(cfg, Clock::Real());
  VK_REQUIRE_OK(src);
  auto c1 = (*src)->Get(Context::Background());
  VK_REQUIRE_OK(c1);
  CHECK(c1->authorization == "Bearer first");

  // kubelet-style rotation: write a new file and rename it over the old one.
  dir.Write("token.new", "second");
  fs::rename(dir.path() + "/token.new", cfg.bearer_token_file);
  auto c2 = (*src)->Get(Context::Background());
  VK_REQUIRE_OK(c2);
  CHECK(c2->authorization == "Bearer second");
  CHECK(c2->generation != c1->generation);

  // The file disappearing keeps the last good token.
  fs::remove(cfg.bearer_token_file);
  auto c3 = (*src)->Get(Context::Background());
  VK_REQUIRE_OK(c3);
  CHECK(c3->authorization == "Bearer second");

  cfg.bearer_token_file = dir.path() + "/missing";
  auto bad = internal::CredentialSource::Create(cfg, Clock::Real());
  CHECK(errdefs::IsUnauthorized(bad.status()));
  CHECK(Contains(bad.status(), "missing"));
}

TEST_CASE("basic authentication header") {
  ClientConfig cfg;
  cfg.username = "admin";
  cfg.password = "s3cret";
  auto src = internal::CredentialSource::Create(cfg, Clock::Real());
  VK_REQUIRE_OK(src);
  auto c = (*src)->Get(Context::Background());
  VK_REQUIRE_OK(c);
  CHECK(c->authorization == "Basic YWRtaW46czNjcmV0");
  CHECK_FALSE((*src)->OnUnauthorized(*c));  // nothing to refresh
}

}  // namespace
}  // namespace vkubelet::kube
