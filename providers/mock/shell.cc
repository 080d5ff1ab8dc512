// Copyright 2026 The vkubelet Authors. Licensed under the Apache License 2.0.

#include "providers/mock/shell.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace vkubelet::mock::internal {
namespace {

constexpr int kExitUsage = 2;
constexpr int kExitNotFound = 127;
constexpr int kExitInterrupted = 130;

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string BaseName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// "a/../b" style paths are not worth resolving here: containers of the mock
// have a flat, read-only filesystem.
std::string ResolvePath(const std::string& working_dir, const std::string& path) {
  std::string full = !path.empty() && path[0] == '/' ? path : absl::StrCat(working_dir, "/", path);
  std::string out;
  for (char c : full) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out.empty() ? "/" : out;
}

// Parses the tokens of a command list into steps.
class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  absl::StatusOr<std::vector<Step>> Parse() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t') {
        EndWord();
        ++i_;
      } else if (c == '\n' || c == ';') {
        if (auto st = EndStep(Step::Join::kAlways, c == ';' ? ";" : "newline"); !st.ok()) return st;
        ++i_;
      } else if (c == '&') {
        if (Peek(1) != '&') return Unsupported("background jobs (&)");
        if (auto st = EndStep(Step::Join::kIfSuccess, "&&"); !st.ok()) return st;
        i_ += 2;
      } else if (c == '|') {
        if (Peek(1) != '|') return Unsupported("pipes (|)");
        if (auto st = EndStep(Step::Join::kIfFailure, "||"); !st.ok()) return st;
        i_ += 2;
      } else if (c == '<' || c == '>') {
        return Unsupported("redirections (< >)");
      } else if (c == '`') {
        return Unsupported("command substitution (`...`)");
      } else if (c == '(' || c == ')') {
        return Unsupported("subshells ( )");
      } else if (c == '#' && !in_word_) {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (c == '\'') {
        size_t end = s_.find('\'', i_ + 1);
        if (end == std::string_view::npos) return absl::InvalidArgumentError("unterminated quoted string");
        Literal(s_.substr(i_ + 1, end - i_ - 1));
        word_.quoted = true;
        i_ = end + 1;
      } else if (c == '"') {
        if (auto st = DoubleQuoted(); !st.ok()) return st;
      } else if (c == '\\') {
        if (i_ + 1 < s_.size() && s_[i_ + 1] != '\n') Literal(s_.substr(i_ + 1, 1));
        i_ += 2;
      } else if (c == '$') {
        if (auto st = Dollar(); !st.ok()) return st;
      } else {
        Literal(s_.substr(i_, 1));
        ++i_;
      }
    }
    if (auto st = EndStep(Step::Join::kAlways, "end of input"); !st.ok()) return st;
    return std::move(steps_);
  }

 private:
  char Peek(size_t ahead) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }

  absl::Status Unsupported(std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(Absl(what), " are not supported by the mock shell"));
  }

  void Literal(std::string_view text) {
    in_word_ = true;
    if (word_.pieces.empty() || word_.pieces.back().variable) word_.pieces.push_back(WordPiece{false, ""});
    word_.pieces.back().text.append(text);
  }

  void Variable(std::string name) {
    in_word_ = true;
    word_.pieces.push_back(WordPiece{true, std::move(name)});
  }

  void EndWord() {
    if (!in_word_) return;
    step_.words.push_back(std::move(word_));
    word_ = Word{};
    in_word_ = false;
  }

  absl::Status EndStep(Step::Join join, std::string_view token) {
    EndWord();
    if (step_.words.empty()) {
      // "a;;b" and a trailing ";" are harmless, and a newline may continue a
      // list after "&&"; an operator with nothing before or after it is not.
      bool after_operator = !steps_.empty() && steps_.back().next != Step::Join::kAlways;
      if (join == Step::Join::kAlways && (!after_operator || token == "newline")) return absl::OkStatus();
      if (token == "end of input") return absl::InvalidArgumentError("syntax error: unexpected end of input");
      return absl::InvalidArgumentError(
          absl::StrCat("syntax error near unexpected token '", Absl(token), "'"));
    }
    step_.next = join;
    steps_.push_back(std::move(step_));
    step_ = Step{};
    return absl::OkStatus();
  }

  absl::Status DoubleQuoted() {
    word_.quoted = true;
    in_word_ = true;
    ++i_;
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == '"') {
        ++i_;
        return absl::OkStatus();
      }
      if (c == '\\' && i_ + 1 < s_.size() &&
          std::string_view("$`\"\\\n").find(s_[i_ + 1]) != std::string_view::npos) {
        if (s_[i_ + 1] != '\n') Literal(s_.substr(i_ + 1, 1));
        i_ += 2;
      } else if (c == '$') {
        if (auto st = Dollar(); !st.ok()) return st;
      } else if (c == '`') {
        return Unsupported("command substitution (`...`)");
      } else {
        Literal(s_.substr(i_, 1));
        ++i_;
      }
    }
    return absl::InvalidArgumentError("unterminated quoted string");
  }

  absl::Status Dollar() {
    char next = Peek(1);
    if (next == '?') {
      Variable("?");
      i_ += 2;
    } else if (next == '(') {
      return Unsupported("command substitution ($(...))");
    } else if (next == '{') {
      size_t end = s_.find('}', i_ + 2);
      if (end == std::string_view::npos) return absl::InvalidArgumentError("unterminated ${");
      std::string name(s_.substr(i_ + 2, end - i_ - 2));
      if (name.empty() || !IsNameStart(name[0]) || !std::all_of(name.begin(), name.end(), IsNameChar)) {
        return absl::InvalidArgumentError(absl::StrCat("bad substitution: ${", name, "}"));
      }
      Variable(std::move(name));
      i_ = end + 1;
    } else if (IsNameStart(next)) {
      size_t end = i_ + 1;
      while (end < s_.size() && IsNameChar(s_[end])) ++end;
      Variable(std::string(s_.substr(i_ + 1, end - i_ - 1)));
      i_ = end;
    } else {
      Literal("$");
      ++i_;
    }
    return absl::OkStatus();
  }

  std::string_view s_;
  size_t i_ = 0;
  bool in_word_ = false;
  Word word_;
  Step step_;
  std::vector<Step> steps_;
};

class Shell {
 public:
  Shell(ShellContext& sc, ShellStreams& io) : sc_(sc), io_(io) {}

  int Exec(const std::vector<std::string>& argv);

 private:
  using Builtin = int (Shell::*)(const std::vector<std::string>& argv);

  void Out(std::string_view s) {
    if (!io_.Out(s).ok()) broken_ = true;
  }
  void Err(std::string_view s) {
    if (!io_.Err(s).ok()) broken_ = true;
  }

  std::string Lookup(const std::string& name) const {
    if (name == "?") return std::to_string(last_);
    for (auto it = sc_.env.rbegin(); it != sc_.env.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    return "";
  }
  const std::string* Find(const std::string& name) const {
    for (auto it = sc_.env.rbegin(); it != sc_.env.rend(); ++it) {
      if (it->first == name) return &it->second;
    }
    return nullptr;
  }

  std::vector<std::string> Expand(const Step& step) const {
    std::vector<std::string> argv;
    for (const Word& w : step.words) {
      std::string text;
      for (const WordPiece& p : w.pieces) text += p.variable ? Lookup(p.text) : p.text;
      if (text.empty() && !w.quoted) continue;
      argv.push_back(std::move(text));
    }
    return argv;
  }

  int RunSteps(const std::vector<Step>& steps) {
    for (size_t i = 0; i < steps.size() && !exit_ && !broken_; ++i) {
      if (i > 0) {
        Step::Join join = steps[i - 1].next;
        if (join == Step::Join::kIfSuccess && last_ != 0) continue;
        if (join == Step::Join::kIfFailure && last_ == 0) continue;
      }
      std::vector<std::string> argv = Expand(steps[i]);
      if (argv.empty()) continue;
      last_ = Exec(argv);
    }
    return last_;
  }

  int RunScript(std::string_view script) {
    auto steps = ParseScript(script);
    if (!steps.ok()) {
      Err(absl::StrCat("sh: ", steps.status().message(), "\n"));
      return last_ = kExitUsage;
    }
    return RunSteps(*steps);
  }

  // Reads from stdin through the shell's own buffer (the REPL may have read
  // ahead of the line it is running).
  absl::StatusOr<size_t> ReadStdin(char* buffer, size_t size) {
    if (!pending_.empty()) {
      size_t n = std::min(size, pending_.size());
      std::copy_n(pending_.begin(), n, buffer);
      pending_.erase(0, n);
      return n;
    }
    return io_.Read(buffer, size);
  }

  std::optional<std::string> ReadLine() {
    while (true) {
      size_t nl = pending_.find('\n');
      if (nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      char buf[4096];
      auto n = io_.Read(buf, sizeof buf);
      if (!n.ok() || *n == 0) {
        if (pending_.empty()) return std::nullopt;
        return std::exchange(pending_, "");
      }
      pending_.append(buf, *n);
    }
  }

  int Interactive() {
    while (!exit_ && !broken_ && !sc_.ctx.Done()) {
      if (io_.Tty()) Out(absl::StrCat(sc_.working_dir, " # "));
      std::optional<std::string> line = ReadLine();
      if (!line) break;
      RunScript(*line);
    }
    return last_;
  }

  int Echo(const std::vector<std::string>& argv) {
    size_t first = 1;
    bool newline = true;
    if (argv.size() > 1 && argv[1] == "-n") {
      newline = false;
      first = 2;
    }
    std::vector<std::string> words(argv.begin() + static_cast<ptrdiff_t>(first), argv.end());
    Out(absl::StrCat(absl::StrJoin(words, " "), newline ? "\n" : ""));
    return 0;
  }

  int Env(const std::vector<std::string>& argv) {
    // env [NAME=VALUE...] [COMMAND [ARG...]]
    size_t i = 1;
    std::vector<std::pair<std::string, std::string>> saved = sc_.env;
    for (; i < argv.size(); ++i) {
      size_t eq = argv[i].find('=');
      if (eq == std::string::npos || eq == 0) break;
      sc_.env.emplace_back(argv[i].substr(0, eq), argv[i].substr(eq + 1));
    }
    int code = 0;
    if (i < argv.size()) {
      code = Exec(std::vector<std::string>(argv.begin() + static_cast<ptrdiff_t>(i), argv.end()));
    } else {
      // Later entries override earlier ones, as in a real environment block.
      std::map<std::string, size_t> last_index;
      for (size_t k = 0; k < sc_.env.size(); ++k) last_index[sc_.env[k].first] = k;
      std::string out;
      for (size_t k = 0; k < sc_.env.size(); ++k) {
        if (last_index[sc_.env[k].first] == k)
          absl::StrAppend(&out, sc_.env[k].first, "=", sc_.env[k].second, "\n");
      }
      Out(out);
    }
    sc_.env = std::move(saved);
    return code;
  }

  int Printenv(const std::vector<std::string>& argv) {
    if (argv.size() == 1) return Env({"env"});
    int code = 0;
    for (size_t i = 1; i < argv.size(); ++i) {
      const std::string* v = Find(argv[i]);
      if (v == nullptr) {
        code = 1;
      } else {
        Out(absl::StrCat(*v, "\n"));
      }
    }
    return code;
  }

  int Cat(const std::vector<std::string>& argv) {
    std::vector<std::string> files(argv.begin() + 1, argv.end());
    if (files.empty()) files.push_back("-");
    int code = 0;
    for (const std::string& f : files) {
      if (f == "-") {
        char buf[32 * 1024];
        while (!broken_) {
          auto n = ReadStdin(buf, sizeof buf);
          if (!n.ok() || *n == 0) break;
          Out(std::string_view(buf, *n));
        }
        continue;
      }
      std::string path = ResolvePath(sc_.working_dir, f);
      absl::StatusOr<std::string> content =
          sc_.read_file ? sc_.read_file(path) : absl::StatusOr<std::string>(absl::NotFoundError(path));
      if (!content.ok()) {
        bool is_dir = sc_.list_dir && sc_.list_dir(path).ok();
        Err(absl::StrCat("cat: ", f, is_dir ? ": Is a directory\n" : ": No such file or directory\n"));
        code = 1;
        continue;
      }
      Out(*content);
    }
    return code;
  }

  int Ls(const std::vector<std::string>& argv) {
    std::vector<std::string> dirs;
    for (size_t i = 1; i < argv.size(); ++i) {
      if (!argv[i].empty() && argv[i][0] == '-') continue;  // -l, -a: one name per line anyway
      dirs.push_back(argv[i]);
    }
    if (dirs.empty()) dirs.push_back(sc_.working_dir);
    int code = 0;
    for (const std::string& d : dirs) {
      std::string path = ResolvePath(sc_.working_dir, d);
      auto entries = sc_.list_dir ? sc_.list_dir(path)
                                  : absl::StatusOr<std::vector<std::string>>(absl::NotFoundError(path));
      if (!entries.ok()) {
        if (sc_.read_file && sc_.read_file(path).ok()) {
          Out(absl::StrCat(d, "\n"));
          continue;
        }
        Err(absl::StrCat("ls: ", d, ": No such file or directory\n"));
        code = 2;
        continue;
      }
      if (dirs.size() > 1) Out(absl::StrCat(d, ":\n"));
      std::string out;
      for (const auto& e : *entries) absl::StrAppend(&out, e, "\n");
      Out(out);
    }
    return code;
  }

  int Sleep(const std::vector<std::string>& argv) {
    if (argv.size() < 2) {
      Err("sleep: missing operand\n");
      return 1;
    }
    absl::Duration total;
    for (size_t i = 1; i < argv.size(); ++i) {
      std::string arg = argv[i];
      double unit = 1;
      if (!arg.empty() && std::string_view("smhd").find(arg.back()) != std::string_view::npos) {
        unit = arg.back() == 's' ? 1 : arg.back() == 'm' ? 60 : arg.back() == 'h' ? 3600 : 86400;
        arg.pop_back();
      }
      double value = 0;
      if (!absl::SimpleAtod(arg, &value) || value < 0 || value > 1e9) {
        Err(absl::StrCat("sleep: invalid time interval '", argv[i], "'\n"));
        return 1;
      }
      total += absl::Seconds(value * unit);
    }
    if (!sc_.clock->SleepFor(sc_.ctx, total).ok()) return kExitInterrupted;
    return 0;
  }

  int Exit(const std::vector<std::string>& argv) {
    exit_ = true;
    if (argv.size() < 2) return last_;
    int64_t code = 0;
    if (!absl::SimpleAtoi(argv[1], &code)) {
      Err(absl::StrCat("sh: exit: Illegal number: ", argv[1], "\n"));
      return kExitUsage;
    }
    return static_cast<int>(((code % 256) + 256) % 256);
  }

  int Sh(const std::vector<std::string>& argv) {
    for (size_t i = 1; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      if (a == "-c") {
        if (i + 1 >= argv.size()) {
          Err(absl::StrCat(BaseName(argv[0]), ": -c: option requires an argument\n"));
          return kExitUsage;
        }
        Shell inner(sc_, io_);
        inner.pending_ = std::move(pending_);
        int code = inner.RunScript(argv[i + 1]);
        pending_ = std::move(inner.pending_);
        broken_ = broken_ || inner.broken_;
        return code;
      }
      if (a == "-i" || a == "-s" || a == "-l" || a == "-" || a == "--login") continue;
      Err(absl::StrCat(BaseName(argv[0]), ": ", a, ": scripts are not supported by the mock shell\n"));
      return kExitNotFound;
    }
    Shell inner(sc_, io_);
    inner.pending_ = std::move(pending_);
    int code = inner.Interactive();
    pending_ = std::move(inner.pending_);
    broken_ = broken_ || inner.broken_;
    return code;
  }

  int Stty(const std::vector<std::string>& argv) {
    if (argv.size() == 2 && argv[1] == "size") {
      std::optional<TermSize> size = sc_.term_size ? sc_.term_size() : std::nullopt;
      if (!io_.Tty() || !size) {
        Err("stty: 'standard input': Inappropriate ioctl for device\n");
        return 1;
      }
      Out(absl::StrCat(size->height, " ", size->width, "\n"));
      return 0;
    }
    if (!io_.Tty()) {
      Err("stty: 'standard input': Inappropriate ioctl for device\n");
      return 1;
    }
    return 0;
  }

  int Uname(const std::vector<std::string>& argv) {
    if (argv.size() > 1 && argv[1] == "-a") {
      Out(absl::StrCat("Linux ", sc_.hostname, " 6.1.0-vkubelet-mock #1 SMP x86_64 GNU/Linux\n"));
    } else {
      Out("Linux\n");
    }
    return 0;
  }

  int Date(const std::vector<std::string>&) {
    Out(absl::StrCat(absl::FormatTime("%a %b %e %H:%M:%S UTC %Y", sc_.clock->Now(), absl::UTCTimeZone()),
                     "\n"));
    return 0;
  }

  int Const(int code, std::string_view text) {
    Out(text);
    return code;
  }

  ShellContext& sc_;
  ShellStreams& io_;
  std::string pending_;
  int last_ = 0;
  bool exit_ = false;
  bool broken_ = false;
};

int Shell::Exec(const std::vector<std::string>& argv) {
  if (argv.empty()) return 0;
  const std::string name = BaseName(argv[0]);
  if (name == "echo") return Echo(argv);
  if (name == "env") return Env(argv);
  if (name == "printenv") return Printenv(argv);
  if (name == "cat") return Cat(argv);
  if (name == "ls") return Ls(argv);
  if (name == "sleep") return Sleep(argv);
  if (name == "exit") return Exit(argv);
  if (name == "sh" || name == "bash" || name == "ash" || name == "dash") return Sh(argv);
  if (name == "stty") return Stty(argv);
  if (name == "uname") return Uname(argv);
  if (name == "date") return Date(argv);
  if (name == "true" || name == ":") return 0;
  if (name == "false") return 1;
  if (name == "hostname") return Const(0, absl::StrCat(sc_.hostname, "\n"));
  if (name == "pwd") return Const(0, absl::StrCat(sc_.working_dir, "\n"));
  if (name == "whoami") return Const(0, "root\n");
  if (name == "id") return Const(0, "uid=0(root) gid=0(root) groups=0(root)\n");
  Err(absl::StrCat(argv[0], ": command not found\n"));
  return kExitNotFound;
}

}  // namespace

// --- AttachShellStreams -----------------------------------------------------------------

AttachShellStreams::AttachShellStreams(AttachIO& io) : io_(io) {}

absl::Status AttachShellStreams::WriteLocked(ByteWriter* w, std::string_view data) {
  if (w == nullptr || data.empty()) return absl::OkStatus();
  if (!io_.Tty()) return w->Write(data);
  // The terminal's output processing (ONLCR).
  std::string cooked;
  cooked.reserve(data.size() + 8);
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) cooked.push_back('\r');
    cooked.push_back(data[i]);
  }
  return w->Write(cooked);
}

absl::Status AttachShellStreams::Out(std::string_view data) {
  std::lock_guard<std::mutex> lock(write_mu_);
  return WriteLocked(io_.Stdout(), data);
}

absl::Status AttachShellStreams::Err(std::string_view data) {
  std::lock_guard<std::mutex> lock(write_mu_);
  // A TTY has no separate stderr: it goes to the terminal with stdout.
  return WriteLocked(io_.Tty() ? io_.Stdout() : io_.Stderr(), data);
}

absl::StatusOr<size_t> AttachShellStreams::Read(char* buffer, size_t size) {
  ByteReader* in = io_.Stdin();
  if (in == nullptr || size == 0) return 0;
  if (!io_.Tty()) return in->Read(buffer, size);
  while (cooked_.empty()) {
    if (eof_) {
      eof_ = false;  // ^D ends one read, as on a terminal
      return 0;
    }
    char raw[1024];
    auto n = in->Read(raw, sizeof raw);
    if (!n.ok()) return n.status();
    if (*n == 0) {
      cooked_ = std::exchange(line_, "");
      if (cooked_.empty()) return 0;
      break;
    }
    std::string echo;
    for (size_t i = 0; i < *n && !eof_; ++i) {
      char c = raw[i];
      switch (c) {
        case '\r':
        case '\n':
          echo += "\r\n";
          line_.push_back('\n');
          cooked_ += std::exchange(line_, "");
          break;
        case 0x7f:
        case 0x08:
          if (!line_.empty()) {
            line_.pop_back();
            echo += "\b \b";
          }
          break;
        case 0x03:  // ^C: drop the line
          echo += "^C\r\n";
          line_.clear();
          cooked_.push_back('\n');
          break;
        case 0x04:  // ^D: end of input on an empty line, else hand the line over
          if (line_.empty()) {
            eof_ = true;
          } else {
            cooked_ += std::exchange(line_, "");
          }
          break;
        default:
          line_.push_back(c);
          echo.push_back(c);
      }
    }
    if (!echo.empty()) {
      std::lock_guard<std::mutex> lock(write_mu_);
      if (io_.Stdout() != nullptr) {
        if (auto s = io_.Stdout()->Write(echo); !s.ok()) return s;
      }
    }
  }
  size_t n = std::min(size, cooked_.size());
  std::copy_n(cooked_.begin(), n, buffer);
  cooked_.erase(0, n);
  return n;
}

// --- Entry points ---------------------------------------------------------------------------

absl::StatusOr<std::vector<Step>> ParseScript(std::string_view script) { return Parser(script).Parse(); }

int RunCommand(const std::vector<std::string>& argv, ShellContext& sc, ShellStreams& io) {
  Shell shell(sc, io);
  return shell.Exec(argv);
}

}  // namespace vkubelet::mock::internal
