// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.
//
// Each pod has a supervisor thread that owns its processes' file
// descriptors: it spawns containers, polls their stdout/stderr pipes into log
// files, reaps exits, applies the restart policy and the deletion grace
// period, and notifies every status change. Statuses live under one mutex and
// are published as immutable snapshots.

#include "examples/process/process_provider.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "vkubelet/errdefs.h"

extern char** environ;  // NOLINT: posix_spawn's default environment

namespace vkubelet::examples {
namespace {

using PodPtr = std::shared_ptr<const corev1::Pod>;
using Key = std::pair<std::string, std::string>;

constexpr size_t kMaxLogLine = 16 * 1024;  // longer lines are split (tag "P"), as CRI runtimes do
constexpr absl::Duration kPollInterval = absl::Milliseconds(20);
constexpr absl::Duration kDrainLimit = absl::Seconds(2);  // output after the exit still collected

std::string ErrnoText(const std::string& what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

void SetTime(absl::Time t, metav1::Time* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
  out->set_nanos(0);
}

std::string CriTime(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", t, absl::UTCTimeZone()); }

void CloseFd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// One line of a CRI log file.
struct LogRecord {
  absl::Time time;
  bool is_stderr = false;
  bool partial = false;  // "P": continues in the next record
  std::string text;
};

std::optional<LogRecord> ParseCriLine(std::string_view line) {
  size_t a = line.find(' ');
  if (a == std::string_view::npos) return std::nullopt;
  size_t b = line.find(' ', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  size_t c = line.find(' ', b + 1);
  if (c == std::string_view::npos) c = line.size();
  LogRecord r;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(line.substr(0, a)), &r.time, &err))
    return std::nullopt;
  std::string_view stream = line.substr(a + 1, b - a - 1);
  r.is_stderr = stream == "stderr";
  r.partial = line.substr(b + 1, c - b - 1) == "P";
  if (c < line.size()) r.text = std::string(line.substr(c + 1));
  return r;
}

std::string ErrorMessage(const absl::Status& s) { return std::string(s.message()); }

// The working directory a container runs in.
std::string WorkDir(const std::string& pod_dir, const corev1::Container& c) {
  const std::string& wd = c.workingdir();
  if (wd.empty()) return absl::StrCat(pod_dir, "/containers/", c.name());
  if (wd[0] != '/') return absl::StrCat(pod_dir, "/", wd);
  std::error_code ec;
  if (std::filesystem::is_directory(wd, ec)) return wd;
  return absl::StrCat(pod_dir, "/rootfs", wd);
}

std::vector<std::string> Environment(const corev1::Pod& pod, const corev1::Container& c) {
  std::vector<std::string> env;
  bool has_path = false;
  for (const auto& e : c.env()) {
    if (e.has_valuefrom() && !e.has_value()) continue;  // not resolved by the SDK: nothing to pass
    env.push_back(absl::StrCat(e.name(), "=", e.value()));
    has_path = has_path || e.name() == "PATH";
  }
  if (!has_path) {
    const char* path = ::getenv("PATH");
    env.push_back(absl::StrCat("PATH=", path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin"));
  }
  env.push_back(absl::StrCat("HOSTNAME=", pod.metadata().name()));
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct Spawned {
  pid_t pid = -1;
  int stdin_fd = -1;  // write end, if requested
  int stdout_fd = -1;
  int stderr_fd = -1;  // -1 when merged into stdout
};

// Starts argv in its own process group. Returns the parent's pipe ends
// (non-blocking reads).
absl::StatusOr<Spawned> Spawn(std::vector<std::string> argv, std::vector<std::string> env,
                              const std::string& dir, bool with_stdin, bool merge_stderr) {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  auto close_all = [&] {
    for (int* fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]}) CloseFd(fd);
  };
  if ((with_stdin && ::pipe2(in, O_CLOEXEC) != 0) || ::pipe2(out, O_CLOEXEC) != 0 ||
      (!merge_stderr && ::pipe2(err, O_CLOEXEC) != 0)) {
    std::string msg = ErrnoText("pipe");
    close_all();
    return errdefs::Internal(msg);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (with_stdin) {
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, merge_stderr ? out[1] : err[1], 2);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> cargv = CStrings(argv), cenv = CStrings(env);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, cargv[0], &actions, &attr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  CloseFd(&in[0]);
  CloseFd(&out[1]);
  CloseFd(&err[1]);
  if (rc != 0) {
    close_all();
    if (rc == ENOENT) {
      return errdefs::NotFound(absl::StrCat("exec: \"", argv[0], "\": executable file not found in $PATH"));
    }
    return errdefs::Internal(absl::StrCat("exec: \"", argv[0], "\": ", std::strerror(rc)));
  }
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  if (err[0] >= 0) ::fcntl(err[0], F_SETFL, O_NONBLOCK);
  return Spawned{pid, in[1], out[0], err[0]};
}

// Exit code as a shell reports it: 128+N for a signal.
int ExitCodeOf(int wait_status, int* signal) {
  *signal = 0;
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) {
    *signal = WTERMSIG(wait_status);
    return 128 + *signal;
  }
  return 255;
}

// --- State shared under the provider's mutex ---------------------------------------------------

enum class CState { kWaiting, kRunning, kTerminated };

struct Ctr {
  std::string name;
  bool init = false;
  corev1::Container spec;
  std::string work_dir;
  std::string log_dir;
  CState state = CState::kWaiting;
  std::string waiting_reason = "ContainerCreating";
  std::string waiting_message;
  pid_t pid = -1;
  bool ever_started = false;
  absl::Time started_at, finished_at;
  int exit_code = 0;
  int signal = 0;
  std::string reason, message;
  int restart_count = 0;
  std::optional<corev1::ContainerStateTerminated> last;
  int instance = -1;           // number of the current run's log file
  bool instance_open = false;  // the current run may still write to it
  bool restart_pending = false;
  absl::Time restart_at;  // real time

  std::string LogPath(int n) const { return absl::StrCat(log_dir, "/", n, ".log"); }
};

struct PodState {
  Key key;
  corev1::Pod pod;
  std::string dir;
  std::vector<Ctr> init, main;
  absl::Time created;
  size_t next_init = 0;
  bool initialized = false;
  bool init_failed = false;
  bool deleting = false;
  absl::Duration grace;
  bool finished = false;
  PodPtr snapshot;
};

// A process the supervisor watches (its own file descriptors).
struct Proc {
  bool init = false;
  size_t index = 0;
  pid_t pid = -1;
  int out_fd = -1, err_fd = -1, log_fd = -1;
  std::string out_buf, err_buf;
  bool exited = false;
  int wait_status = 0;
  absl::Time exited_at;  // real time
};

}  // namespace

// =================================================================================================

class ProcessProvider::Impl {
 public:
  Impl(const ProcessProviderConfig& config, std::string root)
      : config_(config), root_(std::move(root)), clock_(config.clock ? config.clock : Clock::Real()) {}

  ~Impl() {
    std::vector<std::thread> threads;
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
      for (auto& [key, t] : supervisors_) threads.push_back(std::move(t));
      supervisors_.clear();
      for (auto& t : finished_) threads.push_back(std::move(t));
      finished_.clear();
      log_cv_.SignalAll();
    }
    for (auto& t : threads) t.join();
  }

  const std::string& root() const { return root_; }

  absl::Status CreatePod(const corev1::Pod& pod) {
    Key key{pod.metadata().namespace_(), pod.metadata().name()};
    if (key.first.empty() || key.second.empty())
      return errdefs::InvalidInput("the pod has no namespace or name");
    for (const auto* list : {&pod.spec().initcontainers(), &pod.spec().containers()}) {
      for (const auto& c : *list) {
        if (c.command().empty() && c.args().empty()) {
          return errdefs::InvalidInput(absl::StrCat(
              "container \"", c.name(), "\" has no command: the process provider cannot run images"));
        }
      }
    }
    auto ps = std::make_shared<PodState>();
    ps->key = key;
    ps->pod = pod;
    ps->pod.clear_status();
    ps->dir = absl::StrCat(root_, "/", key.first, "_", key.second, "_",
                           pod.metadata().uid().empty() ? "nouid" : pod.metadata().uid());
    ps->created = clock_->Now();
    auto add = [&](const corev1::Container& c, bool init, std::vector<Ctr>* out) {
      Ctr ctr;
      ctr.name = c.name();
      ctr.init = init;
      ctr.spec = c;
      ctr.work_dir = WorkDir(ps->dir, c);
      ctr.log_dir = absl::StrCat(ps->dir, "/logs/", c.name());
      ctr.waiting_reason =
          init || pod.spec().initcontainers().empty() ? "ContainerCreating" : "PodInitializing";
      out->push_back(std::move(ctr));
    };
    for (const auto& c : pod.spec().initcontainers()) add(c, true, &ps->init);
    for (const auto& c : pod.spec().containers()) add(c, false, &ps->main);

    absl::MutexLock lock(&mu_);
    if (stopping_) return errdefs::Unavailable("the provider is shutting down");
    if (pods_.count(key) != 0)
      return errdefs::AlreadyExists(absl::StrCat("pod ", key.first, "/", key.second));
    ps->snapshot = Render(*ps);
    pods_[key] = ps;
    JoinFinishedLocked();
    supervisors_[key] = std::thread([this, ps] { Supervise(ps); });
    return absl::OkStatus();
  }

  absl::Status UpdatePod(const corev1::Pod& pod) {
    absl::MutexLock lock(&mu_);
    auto it = pods_.find({pod.metadata().namespace_(), pod.metadata().name()});
    if (it == pods_.end()) return NotKnown(pod.metadata().namespace_(), pod.metadata().name());
    PodState& ps = *it->second;
    *ps.pod.mutable_metadata() = pod.metadata();
    ps.snapshot = Render(ps);
    return absl::OkStatus();
  }

  absl::Status DeletePod(const corev1::Pod& pod) {
    PodPtr final_snapshot;
    std::function<void(PodPtr)> notify;
    {
      absl::MutexLock lock(&mu_);
      auto it = pods_.find({pod.metadata().namespace_(), pod.metadata().name()});
      if (it == pods_.end()) return NotKnown(pod.metadata().namespace_(), pod.metadata().name());
      PodState& ps = *it->second;
      if (!ps.deleting) {
        ps.deleting = true;
        int64_t seconds = pod.metadata().has_deletiongraceperiodseconds()
                              ? pod.metadata().deletiongraceperiodseconds()
                          : ps.pod.spec().has_terminationgraceperiodseconds()
                              ? ps.pod.spec().terminationgraceperiodseconds()
                              : -1;
        ps.grace = seconds >= 0 ? absl::Seconds(seconds) : config_.default_grace_period;
      }
      if (!ps.finished) return absl::OkStatus();  // the supervisor stops the processes and reports
      // Already terminal: nothing runs any more, forget it now.
      final_snapshot = ps.snapshot;
      RemoveLocked(it);
      notify = notify_;
    }
    if (notify) notify(final_snapshot);
    return absl::OkStatus();
  }

  absl::StatusOr<PodPtr> GetPod(std::string_view ns, std::string_view name) {
    absl::MutexLock lock(&mu_);
    auto it = pods_.find({std::string(ns), std::string(name)});
    if (it == pods_.end()) return NotKnown(ns, name);
    return it->second->snapshot;
  }

  std::vector<PodPtr> GetPods() {
    absl::MutexLock lock(&mu_);
    std::vector<PodPtr> out;
    for (const auto& [key, ps] : pods_) out.push_back(ps->snapshot);
    return out;
  }

  void NotifyPods(std::function<void(PodPtr)> callback) {
    absl::MutexLock lock(&mu_);
    notify_ = std::move(callback);
  }

  // --- Logs ---------------------------------------------------------------------------------

  absl::Status GetContainerLogs(const Context& ctx, const ContainerLogsRequest& req, ByteWriter& out) {
    const ContainerLogOptions& o = req.options;
    std::shared_ptr<PodState> ps;
    bool init = false;
    size_t index = 0;
    int instance = -1;
    std::string path;
    {
      absl::MutexLock lock(&mu_);
      auto found = FindLocked(req.namespace_, req.pod, req.container);
      if (!found.ok()) return found.status();
      std::tie(ps, init, index) = *found;
      const Ctr& c = CtrOf(*ps, init, index);
      instance = o.previous ? c.instance - 1 : c.instance;
      if (o.previous && instance < 0) {
        return errdefs::NotFound(absl::StrCat("previous terminated container \"", req.container,
                                              "\" in pod \"", req.pod, "\" not found"));
      }
      if (instance < 0) {
        return errdefs::InvalidInput(absl::StrCat("container \"", req.container, "\" in pod \"", req.pod,
                                                  "\" is waiting to start: ", c.waiting_reason));
      }
      path = c.LogPath(instance);
    }
    const absl::Time now = clock_->Now();
    auto selected = [&](const LogRecord& r) {
      if (o.stream == "Stdout" && r.is_stderr) return false;
      if (o.stream == "Stderr" && !r.is_stderr) return false;
      if (o.since_time && r.time < *o.since_time) return false;
      if (o.since_seconds && r.time < now - absl::Seconds(*o.since_seconds)) return false;
      return true;
    };
    int64_t budget = o.limit_bytes.value_or(-1);
    auto emit = [&](const std::vector<LogRecord>& records) -> absl::Status {
      std::string text;
      for (const LogRecord& r : records) {
        if (o.timestamps) absl::StrAppend(&text, CriTime(r.time), " ");
        absl::StrAppend(&text, r.text, r.partial ? "" : "\n");
      }
      if (budget >= 0) {
        if (static_cast<int64_t>(text.size()) >= budget) text.resize(static_cast<size_t>(budget));
        budget -= static_cast<int64_t>(text.size());
      }
      if (!text.empty()) {
        if (auto s = out.Write(text); !s.ok()) return s;
      }
      return budget == 0 ? absl::CancelledError("limit reached") : absl::OkStatus();
    };

    uint64_t offset = 0;
    std::vector<LogRecord> records;
    ReadRecords(path, &offset, &records);
    std::vector<LogRecord> picked;
    for (auto& r : records) {
      if (selected(r)) picked.push_back(std::move(r));
    }
    if (o.tail_lines && picked.size() > static_cast<size_t>(std::max<int64_t>(0, *o.tail_lines))) {
      picked.erase(picked.begin(),
                   picked.end() - static_cast<ptrdiff_t>(std::max<int64_t>(0, *o.tail_lines)));
    }
    absl::Status s = emit(picked);
    if (!s.ok() || !o.follow || o.previous) return budget == 0 ? absl::OkStatus() : s;

    CancelRegistration wake = ctx.OnCancel([this] {
      absl::MutexLock lock(&mu_);
      log_cv_.SignalAll();
    });
    while (!ctx.Done()) {
      bool open;
      {
        absl::MutexLock lock(&mu_);
        const Ctr& c = CtrOf(*ps, init, index);
        open = !stopping_ && c.instance == instance && c.instance_open && !ps->finished;
        if (open) log_cv_.WaitWithTimeout(&mu_, absl::Milliseconds(200));
      }
      records.clear();
      ReadRecords(path, &offset, &records);
      std::vector<LogRecord> batch;
      for (auto& r : records) {
        if (selected(r)) batch.push_back(std::move(r));
      }
      if (!batch.empty()) {
        s = emit(batch);
        if (!s.ok()) return budget == 0 ? absl::OkStatus() : s;
      }
      if (!open) return absl::OkStatus();  // that run is over and fully read
    }
    return absl::OkStatus();
  }

  // --- Exec ---------------------------------------------------------------------------------

  absl::Status RunInContainer(const Context& ctx, const ExecRequest& req, AttachIO& io) {
    if (req.command.empty()) return errdefs::InvalidInput("no command to run");
    std::string dir;
    std::vector<std::string> env;
    {
      absl::MutexLock lock(&mu_);
      auto found = FindLocked(req.namespace_, req.pod, req.container);
      if (!found.ok()) return found.status();
      auto [ps, init, index] = *found;
      const Ctr& c = CtrOf(*ps, init, index);
      if (c.state != CState::kRunning) {
        return errdefs::InvalidInput(absl::StrCat("container \"", req.container, "\" is not running"));
      }
      dir = c.work_dir;
      env = Environment(ps->pod, c.spec);
    }
    if (io.Tty()) env.push_back("TERM=xterm");
    ByteWriter* out = io.Stdout();
    ByteWriter* err = io.Tty() ? io.Stdout() : io.Stderr();
    auto spawned = Spawn(req.command, env, dir, io.Stdin() != nullptr, io.Tty());
    if (!spawned.ok()) {
      if (!errdefs::IsNotFound(spawned.status())) return spawned.status();
      // What a runtime answers for a missing binary: a message and exit code 127.
      if (err != nullptr) err->Write(absl::StrCat(spawned.status().message(), "\n")).IgnoreError();
      return errdefs::ExitCode(127);
    }

    std::thread feeder;
    if (spawned->stdin_fd >= 0) {
      feeder = std::thread([in = io.Stdin(), fd = spawned->stdin_fd] {
        // The child may exit first: a write must fail with EPIPE, not kill us.
        sigset_t pipe_only;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
        char buf[16 * 1024];
        while (true) {
          auto n = in->Read(buf, sizeof buf);
          if (!n.ok() || *n == 0 || !WriteAll(fd, std::string_view(buf, *n))) break;
        }
        ::close(fd);
      });
    }
    auto [resize_ctx, stop_resize] = ctx.WithCancel();
    std::thread resizer;
    if (io.Tty()) {
      resizer = std::thread([&io, rctx = resize_ctx] {
        while (io.NextResize(rctx)) {
        }
      });
    }

    int fds[2] = {spawned->stdout_fd, spawned->stderr_fd};
    ByteWriter* sinks[2] = {out, err};
    bool exited = false, killed = false;
    int wait_status = 0;
    absl::Time exited_at;
    while (true) {
      if (ctx.Done() && !killed) {
        ::kill(-spawned->pid, SIGKILL);
        killed = true;
      }
      if (!exited) {
        pid_t r = ::waitpid(spawned->pid, &wait_status, WNOHANG);
        if (r == spawned->pid) {
          exited = true;
          exited_at = absl::Now();
          ::kill(-spawned->pid, SIGKILL);  // leftovers of the group hold the pipes
        }
      }
      if (exited && ((fds[0] < 0 && fds[1] < 0) || absl::Now() - exited_at > kDrainLimit)) break;
      PumpToWriters(fds, sinks);
    }
    CloseFd(&fds[0]);
    CloseFd(&fds[1]);
    if (feeder.joinable()) feeder.join();
    stop_resize();
    if (resizer.joinable()) resizer.join();
    if (ctx.Done()) return ctx.Err();
    int sig = 0;
    int code = ExitCodeOf(wait_status, &sig);
    return code == 0 ? absl::OkStatus() : errdefs::ExitCode(code);
  }

 private:
  using PodMap = std::map<Key, std::shared_ptr<PodState>>;

  static absl::Status NotKnown(std::string_view ns, std::string_view name) {
    return errdefs::NotFound(
        absl::StrCat("pod \"", std::string(ns), "/", std::string(name), "\" is not known to the provider"));
  }

  static Ctr& CtrOf(PodState& ps, bool init, size_t index) { return init ? ps.init[index] : ps.main[index]; }

  absl::StatusOr<std::tuple<std::shared_ptr<PodState>, bool, size_t>> FindLocked(const std::string& ns,
                                                                                 const std::string& pod,
                                                                                 const std::string& container)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = pods_.find({ns, pod});
    if (it == pods_.end()) return NotKnown(ns, pod);
    for (bool init : {false, true}) {
      auto& list = init ? it->second->init : it->second->main;
      for (size_t i = 0; i < list.size(); ++i) {
        if (list[i].name == container) return std::make_tuple(it->second, init, i);
      }
    }
    return errdefs::NotFound(
        absl::StrCat("container \"", container, "\" is not valid for pod \"", ns, "/", pod, "\""));
  }

  void RemoveLocked(PodMap::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::error_code ec;
    std::filesystem::remove_all(it->second->dir, ec);
    auto t = supervisors_.find(it->first);
    if (t != supervisors_.end()) {
      finished_.push_back(std::move(t->second));
      supervisors_.erase(t);
    }
    pods_.erase(it);
    log_cv_.SignalAll();
  }

  void JoinFinishedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    // Supervisors whose pod was removed have returned or are about to; join
    // those that are done so the list does not grow without bound.
    std::vector<std::thread> keep;
    for (auto& t : finished_) {
      auto it = done_ids_.find(t.get_id());
      if (it != done_ids_.end()) {
        done_ids_.erase(it);
        t.join();
      } else {
        keep.push_back(std::move(t));
      }
    }
    finished_ = std::move(keep);
  }

  // Reads the complete records after `*offset`.
  static void ReadRecords(const std::string& path, uint64_t* offset, std::vector<LogRecord>* out) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    std::string data;
    char buf[64 * 1024];
    off_t pos = static_cast<off_t>(*offset);
    while (true) {
      ssize_t n = ::pread(fd, buf, sizeof buf, pos);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      pos += n;
    }
    ::close(fd);
    size_t start = 0;
    while (true) {
      size_t nl = data.find('\n', start);
      if (nl == std::string::npos) break;  // a line still being written
      if (auto r = ParseCriLine(std::string_view(data).substr(start, nl - start)))
        out->push_back(*std::move(r));
      start = nl + 1;
    }
    *offset += start;
  }

  // Moves whatever the pipes hold to the writers (null: discard). Closes a
  // pipe at its end.
  static void PumpToWriters(int fds[2], ByteWriter* sinks[2]) {
    pollfd pfds[2];
    int n = 0;
    for (int i = 0; i < 2; ++i) {
      if (fds[i] >= 0) pfds[n++] = pollfd{fds[i], POLLIN, 0};
    }
    ::poll(pfds, static_cast<nfds_t>(n), static_cast<int>(absl::ToInt64Milliseconds(kPollInterval)));
    for (int i = 0; i < 2; ++i) {
      if (fds[i] < 0) continue;
      char buf[32 * 1024];
      while (true) {
        ssize_t r = ::read(fds[i], buf, sizeof buf);
        if (r > 0) {
          if (sinks[i] != nullptr)
            sinks[i]->Write(std::string_view(buf, static_cast<size_t>(r))).IgnoreError();
          continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) CloseFd(&fds[i]);
        break;  // EAGAIN: nothing more for now
      }
    }
  }

  // --- The supervisor -------------------------------------------------------------------------

  void Supervise(std::shared_ptr<PodState> ps) {
    std::vector<Proc> procs;
    bool term_sent = false, kill_sent = false;
    absl::Time kill_at = absl::InfiniteFuture();
    Notify(ps, Snapshot(ps));
    while (true) {
      // 1. Decide what to start.
      std::vector<std::pair<bool, size_t>> starts;
      bool deleting;
      absl::Duration grace;
      {
        absl::MutexLock lock(&mu_);
        deleting = ps->deleting || stopping_;
        grace = stopping_ ? absl::ZeroDuration() : ps->grace;
        const absl::Time now = absl::Now();
        auto due = [&](const Ctr& c) {
          return c.state != CState::kRunning && (!c.restart_pending || now >= c.restart_at);
        };
        if (!deleting && !ps->init_failed) {
          if (ps->next_init < ps->init.size()) {
            if (procs.empty() && due(ps->init[ps->next_init])) starts.emplace_back(true, ps->next_init);
          } else if (!ps->initialized) {
            ps->initialized = true;
            for (size_t i = 0; i < ps->main.size(); ++i) starts.emplace_back(false, i);
          } else {
            for (size_t i = 0; i < ps->main.size(); ++i) {
              if (ps->main[i].restart_pending && due(ps->main[i])) starts.emplace_back(false, i);
            }
          }
        }
        if (deleting) {
          for (auto* list : {&ps->init, &ps->main}) {
            for (Ctr& c : *list) c.restart_pending = false;
          }
        }
      }
      for (const auto& [init, index] : starts) Start(ps, init, index, &procs);

      // 2. Deletion: SIGTERM, then SIGKILL after the grace period.
      if (deleting && !term_sent) {
        term_sent = true;
        kill_at = absl::Now() + grace;
        for (const Proc& p : procs) {
          if (!p.exited) ::kill(-p.pid, grace > absl::ZeroDuration() ? SIGTERM : SIGKILL);
        }
      }
      if (term_sent && !kill_sent && absl::Now() >= kill_at) {
        kill_sent = true;
        for (const Proc& p : procs) {
          if (!p.exited) ::kill(-p.pid, SIGKILL);
        }
      }

      // 3. Output and exits.
      PumpLogs(&procs);
      for (auto it = procs.begin(); it != procs.end();) {
        bool drained = it->out_fd < 0 && it->err_fd < 0;
        if (it->exited && (drained || absl::Now() - it->exited_at > kDrainLimit)) {
          FlushPartial(&*it, false);
          FlushPartial(&*it, true);
          CloseFd(&it->out_fd);
          CloseFd(&it->err_fd);
          CloseFd(&it->log_fd);
          int sig = 0;
          int code = ExitCodeOf(it->wait_status, &sig);
          Exited(ps, it->init, it->index, code, sig, "", deleting);
          it = procs.erase(it);
        } else {
          ++it;
        }
      }

      // 4. Done?
      {
        absl::MutexLock lock(&mu_);
        bool pending = false;
        for (const Ctr& c : ps->main) pending = pending || c.restart_pending;
        for (const Ctr& c : ps->init) pending = pending || c.restart_pending;
        bool init_left = !ps->init_failed && ps->next_init < ps->init.size();
        bool done = procs.empty() && (ps->deleting || stopping_ || ps->init_failed ||
                                      (ps->initialized && !pending && !init_left));
        if (done) break;
      }
    }
    PodPtr last = Finish(ps);
    Notify(ps, last);
    // The last use of mu_ by this thread: whoever joins it may hold mu_.
    absl::MutexLock lock(&mu_);
    done_ids_.insert(std::this_thread::get_id());
  }

  void Start(const std::shared_ptr<PodState>& ps, bool init, size_t index, std::vector<Proc>* procs) {
    std::vector<std::string> argv, env;
    std::string dir, log_path, log_dir;
    {
      absl::MutexLock lock(&mu_);
      Ctr& c = CtrOf(*ps, init, index);
      argv.assign(c.spec.command().begin(), c.spec.command().end());
      argv.insert(argv.end(), c.spec.args().begin(), c.spec.args().end());
      env = Environment(ps->pod, c.spec);
      dir = c.work_dir;
      if (c.ever_started || c.state == CState::kTerminated) {
        // A restart: the previous run becomes lastState.
        corev1::ContainerStateTerminated last;
        last.set_exitcode(c.exit_code);
        if (c.signal != 0) last.set_signal(c.signal);
        last.set_reason(c.reason);
        if (!c.message.empty()) last.set_message(c.message);
        if (c.ever_started) SetTime(c.started_at, last.mutable_startedat());
        SetTime(c.finished_at, last.mutable_finishedat());
        if (c.pid > 0) last.set_containerid(absl::StrCat("process://", c.pid));
        c.last = std::move(last);
        ++c.restart_count;
      }
      c.restart_pending = false;
      ++c.instance;
      c.instance_open = true;
      log_path = c.LogPath(c.instance);
      log_dir = c.log_dir;
    }
    std::error_code ec;
    std::filesystem::create_directories(log_dir, ec);
    std::filesystem::create_directories(dir, ec);
    Proc p;
    p.init = init;
    p.index = index;
    p.log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    auto spawned = Spawn(argv, env, dir, /*with_stdin=*/false, /*merge_stderr=*/false);
    if (!spawned.ok()) {
      // The runtime's StartError: the container never ran.
      if (p.log_fd >= 0) {
        WriteAll(p.log_fd,
                 absl::StrCat(CriTime(clock_->Now()), " stderr F ", spawned.status().message(), "\n"));
      }
      CloseFd(&p.log_fd);
      Exited(ps, init, index, 128, 0, ErrorMessage(spawned.status()), false);
      return;
    }
    p.pid = spawned->pid;
    p.out_fd = spawned->stdout_fd;
    p.err_fd = spawned->stderr_fd;
    PodPtr snapshot;
    {
      absl::MutexLock lock(&mu_);
      Ctr& c = CtrOf(*ps, init, index);
      c.state = CState::kRunning;
      c.pid = p.pid;
      c.ever_started = true;
      c.started_at = clock_->Now();
      snapshot = PublishLocked(*ps);
    }
    procs->push_back(std::move(p));
    Notify(ps, snapshot);
  }

  // Records an exit and what comes next (a restart, the next init container,
  // or nothing).
  void Exited(const std::shared_ptr<PodState>& ps, bool init, size_t index, int code, int sig,
              const std::string& start_error, bool deleting) {
    PodPtr snapshot;
    {
      absl::MutexLock lock(&mu_);
      Ctr& c = CtrOf(*ps, init, index);
      c.state = CState::kTerminated;
      c.finished_at = clock_->Now();
      c.exit_code = code;
      c.signal = sig;
      c.reason = !start_error.empty() ? "StartError" : code == 0 ? "Completed" : "Error";
      c.message = start_error;
      c.instance_open = false;
      const std::string& policy = ps->pod.spec().restartpolicy();
      bool restart = !deleting && !ps->deleting && !stopping_ &&
                     (policy == "Always" || policy.empty() || (policy == "OnFailure" && code != 0));
      if (init) {
        if (code == 0) {
          ++ps->next_init;
          restart = false;
        } else if (policy == "Never") {
          ps->init_failed = true;
        } else {
          restart = !deleting && !ps->deleting && !stopping_;
        }
      }
      if (restart) {
        const int shift = std::min(c.restart_count, 20);
        absl::Duration backoff =
            std::min(config_.restart_backoff * (int64_t{1} << shift), config_.max_restart_backoff);
        c.restart_pending = true;
        c.restart_at = absl::Now() + backoff;
        c.waiting_reason = "CrashLoopBackOff";
        c.waiting_message =
            absl::StrCat("back-off ", absl::FormatDuration(backoff), " restarting failed container=", c.name,
                         " pod=", ps->pod.metadata().name());
      }
      snapshot = PublishLocked(*ps);
      log_cv_.SignalAll();
    }
    Notify(ps, snapshot);
  }

  PodPtr Finish(const std::shared_ptr<PodState>& ps) {
    PodPtr snapshot;
    {
      absl::MutexLock lock(&mu_);
      const absl::Time now = clock_->Now();
      if (ps->deleting || stopping_) {
        // Containers that never ran report what the kubelet reports for them.
        for (auto* list : {&ps->init, &ps->main}) {
          for (Ctr& c : *list) {
            if (c.state == CState::kTerminated) continue;
            c.state = CState::kTerminated;
            c.exit_code = 137;
            c.reason = "ContainerStatusUnknown";
            c.message = "The container could not be located when the pod was terminated";
            c.finished_at = now;
          }
        }
      }
      ps->finished = true;
      snapshot = PublishLocked(*ps);
      auto it = pods_.find(ps->key);
      if ((ps->deleting || stopping_) && it != pods_.end() && it->second == ps) RemoveLocked(it);
      log_cv_.SignalAll();
    }
    return snapshot;
  }

  void PumpLogs(std::vector<Proc>* procs) {
    std::vector<pollfd> pfds;
    for (const Proc& p : *procs) {
      if (p.out_fd >= 0) pfds.push_back({p.out_fd, POLLIN, 0});
      if (p.err_fd >= 0) pfds.push_back({p.err_fd, POLLIN, 0});
    }
    const int timeout = static_cast<int>(absl::ToInt64Milliseconds(kPollInterval));
    if (pfds.empty()) {
      ::poll(nullptr, 0, timeout);
    } else {
      ::poll(pfds.data(), static_cast<nfds_t>(pfds.size()), timeout);
    }
    bool wrote = false;
    for (Proc& p : *procs) {
      wrote |= ReadPipe(&p, false);
      wrote |= ReadPipe(&p, true);
      if (!p.exited) {
        pid_t r = ::waitpid(p.pid, &p.wait_status, WNOHANG);
        if (r == p.pid) {
          p.exited = true;
          p.exited_at = absl::Now();
          ::kill(-p.pid, SIGKILL);  // the rest of the group goes with the container's main process
        }
      }
    }
    if (wrote) {
      absl::MutexLock lock(&mu_);
      log_cv_.SignalAll();
    }
  }

  // Reads one pipe of `p` into its log file, one CRI record per line.
  bool ReadPipe(Proc* p, bool is_stderr) {
    int* fd = is_stderr ? &p->err_fd : &p->out_fd;
    std::string* buf = is_stderr ? &p->err_buf : &p->out_buf;
    if (*fd < 0) return false;
    bool any = false;
    char chunk[32 * 1024];
    while (true) {
      ssize_t n = ::read(*fd, chunk, sizeof chunk);
      if (n > 0) {
        buf->append(chunk, static_cast<size_t>(n));
        any = true;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) CloseFd(fd);
      break;
    }
    if (!any && *fd >= 0) return false;
    const std::string stream = is_stderr ? "stderr" : "stdout";
    const std::string time = CriTime(clock_->Now());
    std::string records;
    size_t start = 0;
    while (true) {
      size_t nl = buf->find('\n', start);
      if (nl == std::string::npos) break;
      absl::StrAppend(&records, time, " ", stream, " F ", buf->substr(start, nl - start), "\n");
      start = nl + 1;
    }
    buf->erase(0, start);
    while (buf->size() >= kMaxLogLine) {
      absl::StrAppend(&records, time, " ", stream, " P ", buf->substr(0, kMaxLogLine), "\n");
      buf->erase(0, kMaxLogLine);
    }
    if (*fd < 0 && !buf->empty()) {
      absl::StrAppend(&records, time, " ", stream, " F ", *buf, "\n");  // the last line had no newline
      buf->clear();
    }
    if (!records.empty() && p->log_fd >= 0) WriteAll(p->log_fd, records);
    return !records.empty();
  }

  void FlushPartial(Proc* p, bool is_stderr) {
    std::string* buf = is_stderr ? &p->err_buf : &p->out_buf;
    if (buf->empty() || p->log_fd < 0) return;
    WriteAll(p->log_fd,
             absl::StrCat(CriTime(clock_->Now()), is_stderr ? " stderr F " : " stdout F ", *buf, "\n"));
    buf->clear();
  }

  // --- Status ---------------------------------------------------------------------------------

  PodPtr Snapshot(const std::shared_ptr<PodState>& ps) {
    absl::MutexLock lock(&mu_);
    return ps->snapshot;
  }

  PodPtr PublishLocked(PodState& ps) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ps.snapshot = Render(ps);
    return ps.snapshot;
  }

  void Notify(const std::shared_ptr<PodState>&, const PodPtr& snapshot) {
    std::function<void(PodPtr)> notify;
    {
      absl::MutexLock lock(&mu_);
      notify = notify_;
    }
    if (notify) notify(snapshot);
  }

  static std::string Phase(const PodState& ps) {
    if (ps.init_failed) return "Failed";
    if (!ps.initialized) return ps.finished ? "Failed" : "Pending";
    bool all_done = true, all_zero = true;
    for (const Ctr& c : ps.main) {
      if (c.state != CState::kTerminated || c.restart_pending) all_done = false;
      if (c.exit_code != 0) all_zero = false;
    }
    if (!all_done) return "Running";
    return all_zero ? "Succeeded" : "Failed";
  }

  PodPtr Render(const PodState& ps) const {
    auto pod = std::make_shared<corev1::Pod>();
    *pod->mutable_metadata() = ps.pod.metadata();
    *pod->mutable_spec() = ps.pod.spec();
    auto* st = pod->mutable_status();
    const std::string phase = Phase(ps);
    st->set_phase(phase);
    const std::string& ip = config_.internal_ip;
    st->set_hostip(ip);
    st->add_hostips()->set_ip(ip);
    st->set_podip(ip);
    st->add_podips()->set_ip(ip);
    SetTime(ps.created, st->mutable_starttime());
    bool all_running = true;
    for (const Ctr& c : ps.main) all_running = all_running && c.state == CState::kRunning;
    auto condition = [&](const char* type, bool value, const char* reason) {
      auto* c = st->add_conditions();
      c->set_type(type);
      c->set_status(value ? "True" : "False");
      if (!value && reason[0] != '\0') c->set_reason(reason);
      SetTime(ps.created, c->mutable_lasttransitiontime());
    };
    condition("Initialized", ps.initialized, "ContainersNotInitialized");
    condition("Ready", all_running, phase == "Running" ? "ContainersNotReady" : "PodCompleted");
    condition("ContainersReady", all_running, phase == "Running" ? "ContainersNotReady" : "PodCompleted");
    condition("PodScheduled", true, "");
    auto render = [&](const Ctr& c, corev1::ContainerStatus* cs) {
      cs->set_name(c.name);
      cs->set_image(c.spec.image());
      cs->set_restartcount(c.restart_count);
      cs->set_ready(c.state == CState::kRunning);
      cs->set_started(c.state == CState::kRunning);
      if (c.pid > 0) cs->set_containerid(absl::StrCat("process://", c.pid));
      auto* state = cs->mutable_state();
      if (c.state == CState::kRunning) {
        SetTime(c.started_at, state->mutable_running()->mutable_startedat());
      } else if (c.state == CState::kTerminated && !c.restart_pending) {
        auto* t = state->mutable_terminated();
        t->set_exitcode(c.exit_code);
        if (c.signal != 0) t->set_signal(c.signal);
        t->set_reason(c.reason);
        if (!c.message.empty()) t->set_message(c.message);
        if (c.ever_started) SetTime(c.started_at, t->mutable_startedat());
        SetTime(c.finished_at, t->mutable_finishedat());
        if (c.pid > 0) t->set_containerid(absl::StrCat("process://", c.pid));
      } else {
        auto* w = state->mutable_waiting();
        w->set_reason(c.restart_pending ? "CrashLoopBackOff" : c.waiting_reason);
        if (c.restart_pending) w->set_message(c.waiting_message);
      }
      auto* last = cs->mutable_laststate();
      if (c.restart_pending) {
        // While backing off, the run that just ended is the last state.
        auto* t = last->mutable_terminated();
        t->set_exitcode(c.exit_code);
        t->set_reason(c.reason);
        SetTime(c.finished_at, t->mutable_finishedat());
      } else if (c.last) {
        *last->mutable_terminated() = *c.last;
      }
    };
    for (const Ctr& c : ps.init) render(c, st->add_initcontainerstatuses());
    for (const Ctr& c : ps.main) render(c, st->add_containerstatuses());
    if (!ps.pod.status().qosclass().empty()) st->set_qosclass(ps.pod.status().qosclass());
    return pod;
  }

  const ProcessProviderConfig config_;
  const std::string root_;
  const Clock* const clock_;

  absl::Mutex mu_;
  absl::CondVar log_cv_;  // log files grew or a run ended
  PodMap pods_ ABSL_GUARDED_BY(mu_);
  std::map<Key, std::thread> supervisors_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> finished_ ABSL_GUARDED_BY(mu_);  // supervisors of removed pods
  std::set<std::thread::id> done_ids_ ABSL_GUARDED_BY(mu_);
  std::function<void(PodPtr)> notify_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

// =================================================================================================

absl::StatusOr<std::unique_ptr<ProcessProvider>> ProcessProvider::Create(
    const ProcessProviderConfig& config) {
  std::string root = config.root_dir;
  if (root.empty()) {
    const char* tmp = ::getenv("TMPDIR");
    std::string pattern =
        absl::StrCat(tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp", "/vkubelet-process-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
      return errdefs::InvalidInput(ErrnoText(absl::StrCat("cannot create a directory like ", pattern)));
    }
    root = pattern;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(root, ec);
    if (ec || !std::filesystem::is_directory(root, ec)) {
      return errdefs::InvalidInput(
          absl::StrCat("cannot create the root directory ", root, ": ", ec.message()));
    }
  }
  return std::unique_ptr<ProcessProvider>(new ProcessProvider(std::make_unique<Impl>(config, root)));
}

ProcessProvider::ProcessProvider(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProcessProvider::~ProcessProvider() = default;

absl::Status ProcessProvider::CreatePod(const Context&, const corev1::Pod& pod) {
  return impl_->CreatePod(pod);
}
absl::Status ProcessProvider::UpdatePod(const Context&, const corev1::Pod& pod) {
  return impl_->UpdatePod(pod);
}
absl::Status ProcessProvider::DeletePod(const Context&, const corev1::Pod& pod) {
  return impl_->DeletePod(pod);
}

absl::StatusOr<std::shared_ptr<const corev1::Pod>> ProcessProvider::GetPod(const Context&,
                                                                           std::string_view ns,
                                                                           std::string_view name) {
  return impl_->GetPod(ns, name);
}

absl::StatusOr<std::shared_ptr<const corev1::PodStatus>> ProcessProvider::GetPodStatus(
    const Context&, std::string_view ns, std::string_view name) {
  auto pod = impl_->GetPod(ns, name);
  if (!pod.ok()) return pod.status();
  const corev1::PodStatus* status = &(*pod)->status();
  return std::shared_ptr<const corev1::PodStatus>(*std::move(pod), status);
}

absl::StatusOr<std::vector<std::shared_ptr<const corev1::Pod>>> ProcessProvider::GetPods(const Context&) {
  return impl_->GetPods();
}

void ProcessProvider::NotifyPods(const Context&,
                                 std::function<void(std::shared_ptr<const corev1::Pod>)> callback) {
  impl_->NotifyPods(std::move(callback));
}

absl::Status ProcessProvider::GetContainerLogs(const Context& ctx, const ContainerLogsRequest& request,
                                               ByteWriter& out) {
  return impl_->GetContainerLogs(ctx, request, out);
}

absl::Status ProcessProvider::RunInContainer(const Context& ctx, const ExecRequest& request, AttachIO& io) {
  return impl_->RunInContainer(ctx, request, io);
}

const std::string& ProcessProvider::root_dir() const { return impl_->root(); }

}  // namespace vkubelet::examples
