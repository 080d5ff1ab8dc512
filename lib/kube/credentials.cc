// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "kube/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "vkubelet/errdefs.h"
#include "vkubelet/internal/status_macros.h"

extern char** environ;

namespace vkubelet::kube::internal {
namespace {

using vkubelet::internal::ToAbsl;

constexpr size_t kMaxOutput = 1 << 20;  // an ExecCredential is a few KB
constexpr size_t kMaxStderr = 4096;

std::string PluginName(const ExecConfig& exec) { return absl::StrCat("exec plugin \"", exec.command, "\""); }

// The JSON passed in KUBERNETES_EXEC_INFO.
std::string ExecInfo(const ExecConfig& exec, const ClientConfig& cluster) {
  nlohmann::json info = {{"apiVersion", exec.api_version}, {"kind", "ExecCredential"}};
  nlohmann::json spec = {{"interactive", false}};
  if (exec.provide_cluster_info) {
    nlohmann::json c = {{"server", cluster.server}};
    if (!cluster.tls.server_name.empty()) c["tls-server-name"] = cluster.tls.server_name;
    if (cluster.tls.insecure) c["insecure-skip-tls-verify"] = true;
    std::string ca = cluster.tls.ca_pem;
    if (ca.empty() && !cluster.tls.ca_file.empty()) {
      std::ifstream in(cluster.tls.ca_file, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      ca = ss.str();
    }
    if (!ca.empty()) c["certificate-authority-data"] = absl::Base64Escape(ca);
    spec["cluster"] = std::move(c);
  }
  info["spec"] = std::move(spec);
  return info.dump();
}

struct Pipe {
  int fds[2] = {-1, -1};
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) close(fd);
    }
  }
  void CloseRead() {
    if (fds[0] >= 0) close(fds[0]);
    fds[0] = -1;
  }
  void CloseWrite() {
    if (fds[1] >= 0) close(fds[1]);
    fds[1] = -1;
  }
};

struct ProcessResult {
  int exit_status = 0;  // as from waitpid
  std::string out;
  std::string err;
};

absl::StatusOr<ProcessResult> RunProcess(const Context& ctx, const ExecConfig& exec, const std::string& exec_info) {
  std::vector<std::string> argv_storage;
  argv_storage.push_back(exec.command);
  for (const std::string& a : exec.args) argv_storage.push_back(a);
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  // The process environment, then the plugin's env entries (overriding), then
  // KUBERNETES_EXEC_INFO.
  std::vector<std::string> env_storage;
  auto set_env = [&env_storage](const std::string& name, const std::string& value) {
    std::string prefix = name + "=";
    for (std::string& e : env_storage) {
      if (e.compare(0, prefix.size(), prefix) == 0) {
        e = prefix + value;
        return;
      }
    }
    env_storage.push_back(prefix + value);
  };
  for (char** e = environ; e && *e; ++e) env_storage.emplace_back(*e);
  for (const auto& [name, value] : exec.env) set_env(name, value);
  set_env("KUBERNETES_EXEC_INFO", exec_info);
  std::vector<char*> envp;
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  Pipe out, err;
  if (pipe2(out.fds, O_CLOEXEC) != 0 || pipe2(err.fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat(PluginName(exec), ": pipe: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fds[1], 2);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, exec.command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    std::string msg = absl::StrCat(PluginName(exec), " could not be run: ", std::strerror(rc));
    if (!exec.install_hint.empty()) absl::StrAppend(&msg, "\n", exec.install_hint);
    return errdefs::Unauthorized(msg);
  }
  out.CloseWrite();
  err.CloseWrite();

  ProcessResult result;
  absl::Time deadline = std::min(ctx.Deadline(), absl::Now() + exec.timeout);
  bool out_open = true, err_open = true;
  bool killed = false;
  while (out_open || err_open) {
    if (ctx.Done() || absl::Now() >= deadline) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    pollfd fds[2];
    int n = 0;
    if (out_open) fds[n++] = {out.fds[0], POLLIN, 0};
    if (err_open) fds[n++] = {err.fds[0], POLLIN, 0};
    int r = poll(fds, n, 50);  // short slices so that cancellation is noticed
    if (r < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[4096];
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      bool is_out = fds[i].fd == out.fds[0];
      if (got <= 0) {
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        (is_out ? out_open : err_open) = false;
        continue;
      }
      std::string& dst = is_out ? result.out : result.err;
      size_t cap = is_out ? kMaxOutput : kMaxStderr;
      if (dst.size() < cap) dst.append(buf, std::min(static_cast<size_t>(got), cap - dst.size()));
      if (is_out && result.out.size() >= kMaxOutput) {
        kill(pid, SIGKILL);
        killed = true;
        out_open = err_open = false;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_status = status;
  if (killed) {
    if (!ctx.Err().ok()) return ctx.Err();
    if (result.out.size() >= kMaxOutput) {
      return errdefs::Unauthorized(absl::StrCat(PluginName(exec), ": output larger than 1 MiB"));
    }
    return absl::DeadlineExceededError(
        absl::StrCat(PluginName(exec), " did not finish within ", absl::FormatDuration(exec.timeout)));
  }
  return result;
}

}  // namespace

absl::StatusOr<ExecCredential> ParseExecCredential(std::string_view json, std::string_view expected_api_version) {
  auto fail = [](std::string_view what) {
    return errdefs::Unauthorized(absl::StrCat("exec plugin output: ", ToAbsl(what)));
  };
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json.begin(), json.end());
  } catch (const nlohmann::json::exception& e) {
    return fail(absl::StrCat("not valid JSON: ", e.what()));
  }
  if (!doc.is_object()) return fail("not a JSON object");
  auto str = [&doc](const nlohmann::json& obj, const char* key) -> std::optional<std::string> {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::string();
    if (!it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  std::optional<std::string> kind = str(doc, "kind");
  std::optional<std::string> api_version = str(doc, "apiVersion");
  if (!kind || *kind != "ExecCredential") return fail("kind is not ExecCredential");
  if (!api_version || *api_version != expected_api_version) {
    return fail(absl::StrCat("apiVersion \"", api_version.value_or(""), "\" does not match the configured \"",
                             ToAbsl(expected_api_version), "\""));
  }
  auto status_it = doc.find("status");
  if (status_it == doc.end() || !status_it->is_object()) return fail("status is missing");
  const nlohmann::json& status = *status_it;
  ExecCredential cred;
  std::optional<std::string> token = str(status, "token");
  std::optional<std::string> cert = str(status, "clientCertificateData");
  std::optional<std::string> key = str(status, "clientKeyData");
  std::optional<std::string> expiry = str(status, "expirationTimestamp");
  if (!token || !cert || !key || !expiry) return fail("status fields must be strings");
  cred.token = *token;
  cred.cert_pem = *cert;
  cred.key_pem = *key;
  if (cred.cert_pem.empty() != cred.key_pem.empty()) {
    return fail("status.clientCertificateData and status.clientKeyData must be given together");
  }
  if (cred.token.empty() && cred.cert_pem.empty()) {
    return fail("neither status.token nor status.clientCertificateData/clientKeyData is set");
  }
  if (!expiry->empty()) {
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, *expiry, &t, &err)) {
      return fail(absl::StrCat("status.expirationTimestamp \"", *expiry, "\" is not RFC 3339: ", err));
    }
    cred.expiry = t;
  }
  return cred;
}

absl::StatusOr<ExecCredential> RunExecPlugin(const Context& ctx, const ExecConfig& exec, const ClientConfig& cluster) {
  VK_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(ctx, exec, ExecInfo(exec, cluster)));
  if (!WIFEXITED(r.exit_status) || WEXITSTATUS(r.exit_status) != 0) {
    std::string how = WIFEXITED(r.exit_status) ? absl::StrCat("exited with status ", WEXITSTATUS(r.exit_status))
                                                : absl::StrCat("was killed by signal ", WTERMSIG(r.exit_status));
    std::string msg = absl::StrCat(PluginName(exec), " ", how);
    std::string err(absl::StripAsciiWhitespace(r.err));
    if (!err.empty()) absl::StrAppend(&msg, ": ", err);
    if (WIFEXITED(r.exit_status) && WEXITSTATUS(r.exit_status) == 127 && !exec.install_hint.empty()) {
      absl::StrAppend(&msg, "\n", exec.install_hint);
    }
    return errdefs::Unauthorized(msg);
  }
  absl::StatusOr<ExecCredential> cred = ParseExecCredential(r.out, exec.api_version);
  if (!cred.ok()) return errdefs::Annotate(cred.status(), PluginName(exec));
  return cred;
}

absl::StatusOr<std::unique_ptr<CredentialSource>> CredentialSource::Create(const ClientConfig& config,
                                                                          const Clock* clock) {
  std::unique_ptr<CredentialSource> src(new CredentialSource(config, clock));
  if (!config.bearer_token_file.empty()) {
    absl::MutexLock lock(&src->mu_);
    absl::Status s = src->RefreshTokenFileLocked();
    if (!s.ok()) return s;
  }
  return src;
}

absl::Status CredentialSource::RefreshTokenFileLocked() {
  const std::string& path = config_.bearer_token_file;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (!file_token_.empty()) return absl::OkStatus();  // keep the last good token, like client-go
    return errdefs::Unauthorized(absl::StrCat("bearer token file ", path, ": ", std::strerror(errno)));
  }
  // Projected tokens are replaced through a symlink swap: any of these changes.
  std::string stamp = absl::StrCat(st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".", st.st_mtim.tv_nsec);
  if (stamp == file_stamp_ && !file_token_.empty()) return absl::OkStatus();
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(ss.str()));
  if (!in || token.empty()) {
    if (!file_token_.empty()) return absl::OkStatus();
    return errdefs::Unauthorized(absl::StrCat("bearer token file ", path, " is empty or unreadable"));
  }
  if (token != file_token_) ++generation_;
  file_token_ = std::move(token);
  file_stamp_ = std::move(stamp);
  return absl::OkStatus();
}

absl::StatusOr<Credentials> CredentialSource::Get(const Context& ctx) {
  if (config_.exec) {
    absl::MutexLock exec_lock(&exec_mu_);
    {
      absl::MutexLock lock(&mu_);
      bool fresh = exec_cached_ && (!exec_cached_->expiry || clock_->Now() < *exec_cached_->expiry);
      if (!fresh) exec_cached_.reset();
    }
    bool need_run;
    {
      absl::MutexLock lock(&mu_);
      need_run = !exec_cached_.has_value();
    }
    if (need_run) {
      VK_ASSIGN_OR_RETURN(ExecCredential cred, RunExecPlugin(ctx, *config_.exec, config_));
      absl::MutexLock lock(&mu_);
      exec_cached_ = std::move(cred);
      ++generation_;
    }
  }
  absl::MutexLock lock(&mu_);
  Credentials c;
  if (exec_cached_) {
    if (!exec_cached_->token.empty()) c.authorization = "Bearer " + exec_cached_->token;
    c.cert_pem = exec_cached_->cert_pem;
    c.key_pem = exec_cached_->key_pem;
  }
  if (c.authorization.empty()) {
    if (!config_.bearer_token_file.empty()) {
      VK_RETURN_IF_ERROR(RefreshTokenFileLocked());
      c.authorization = "Bearer " + file_token_;
    } else if (!config_.bearer_token.empty()) {
      c.authorization = "Bearer " + config_.bearer_token;
    } else if (!config_.username.empty() || !config_.password.empty()) {
      c.authorization = "Basic " + absl::Base64Escape(absl::StrCat(config_.username, ":", config_.password));
    }
  }
  c.generation = generation_;
  return c;
}

bool CredentialSource::OnUnauthorized(const Credentials& used) {
  absl::MutexLock lock(&mu_);
  if (used.generation != generation_) return true;  // someone already refreshed them
  if (config_.exec) {
    exec_cached_.reset();
    return true;
  }
  if (!config_.bearer_token_file.empty()) {
    file_stamp_.clear();
    std::string before = file_token_;
    (void)RefreshTokenFileLocked();
    return file_token_ != before;
  }
  return false;
}

}  // namespace vkubelet::kube::internal
