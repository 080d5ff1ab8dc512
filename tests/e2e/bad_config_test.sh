#!/usr/bin/env bash
# Bad configuration gives one clear error line ("<program>: error: ...") and a
# non-zero exit, never a crash: missing kubeconfig, malformed provider config,
# an invalid quantity, a kubelet port in use, an unknown flag.
#   bad_config_test.sh SOURCE_ROOT BUILD_ROOT
set -euo pipefail
src=$1 build=$2
source "$src/tests/e2e/lib.sh"
work=$(mktemp -d "$build/bad-config-test.XXXXXX")
api_pid=""
cleanup() {
  [[ -n "$api_pid" ]] && { kill -KILL "$api_pid"; wait "$api_pid"; } 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
unset KUBECONFIG KUBELET_PORT APISERVER_CA_CERT_LOCATION
mock="$build/providers/mock/vkubelet-mock"

# expect_error NAME WANT_RC NEEDLE ARGS...: runs the mock (10 s at most) and checks
# the exit code and that exactly one error line mentions NEEDLE.
expect_error() {
  local name=$1 want_rc=$2 needle=$3
  shift 3
  local rc=0
  timeout 10 "$mock" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  ((rc != 124)) || fail "$name: still running after 10 s"
  expect_eq "$name: exit code" "$want_rc" "$rc"
  local lines
  lines=$(grep -c "^vkubelet-mock: error: " "$work/$name.err" || true)
  expect_eq "$name: one error line" "1" "$lines"
  expect_contains "$name: the error names the problem" "$needle" "$(grep "^vkubelet-mock: error: " "$work/$name.err")"
}

expect_error missing-kubeconfig 1 "$work/nope.kubeconfig" --kubeconfig "$work/nope.kubeconfig"
expect_error unknown-flag 2 "unknown flag --frobnicate" --frobnicate

# A kubeconfig that parses; the node never gets as far as calling the server.
cat >"$work/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
YAML
echo '{"vk-mock": {"cpu": "2",' >"$work/broken.json"
expect_error malformed-provider-config 1 "broken.json" --kubeconfig "$work/kubeconfig" --nodename vk-mock \
  --provider-config "$work/broken.json"
echo '{"vk-mock": {"cpu": "lots"}}' >"$work/quantity.json"
expect_error invalid-quantity 1 "lots" --kubeconfig "$work/kubeconfig" --nodename vk-mock \
  --provider-config "$work/quantity.json"
expect_error bad-duration 2 "--startup-timeout" --kubeconfig "$work/kubeconfig" --startup-timeout soon

# The kubelet port is taken by another listener.
"$build/lib/testing/vkubelet-fake-apiserver" >"$work/api.out" 2>"$work/api.err" &
api_pid=$!
wait_until 30 "the API server" grep -q "listening on" "$work/api.out"
port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/api.out")
[[ -n "$port" ]] || fail "no port in: $(cat "$work/api.out")"
KUBELET_PORT=$port expect_error port-in-use 1 "$port" --kubeconfig "$work/kubeconfig" --listen-address 127.0.0.1
