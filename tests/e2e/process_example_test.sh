#!/usr/bin/env bash
# examples/process end to end: vkubelet-process against vkubelet-fake-apiserver
# (separate processes, as against a cluster). A pod running
# sh -c 'echo hello; exit 3' shows "hello" in kubectl logs and exit code 3 in
# its container status; kubectl exec runs a new process in the container.
#   process_example_test.sh SOURCE_ROOT BUILD_ROOT KUBECTL
set -euo pipefail
src=$1 build=$2 kubectl=$3
source "$src/tests/e2e/lib.sh"
work=$(mktemp -d "$build/process-example-test.XXXXXX")
api_pid="" node_pid=""
cleanup() {
  [[ -n "$node_pid" ]] && { kill -KILL "$node_pid"; wait "$node_pid"; } 2>/dev/null || true
  [[ -n "$api_pid" ]] && { kill -KILL "$api_pid"; wait "$api_pid"; } 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
unset KUBECONFIG APISERVER_CA_CERT_LOCATION

"$build/lib/testing/vkubelet-fake-apiserver" --kubeconfig-out "$work/kubeconfig" >"$work/api.out" 2>"$work/api.err" &
api_pid=$!
wait_until 30 "the API server" grep -q "listening on" "$work/api.out"
export KUBECONFIG="$work/kubeconfig"
k() { "$kubectl" --request-timeout=20s "$@"; }

node=vk-process
KUBELET_PORT=0 VKUBELET_POD_IP=127.0.0.1 "$build/examples/vkubelet-process" --nodename $node \
  --listen-address 127.0.0.1 --root-dir "$work/pods" >"$work/node.out" 2>"$work/node.err" &
node_pid=$!
ready() { [[ "$(k get node $node -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]; }
wait_until 60 "node $node Ready" ready
expect_eq "taint names the provider" "process" "$(k get node $node -o jsonpath='{.spec.taints[0].value}')"

cat >"$work/pods.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: hello, namespace: default}
spec:
  nodeName: $node
  restartPolicy: Never
  tolerations: [{key: virtual-kubelet.io/provider, operator: Exists}]
  containers:
  - name: main
    image: debian:12
    command: [sh, -c, 'echo hello; exit 3']
---
apiVersion: v1
kind: Pod
metadata: {name: sleeper, namespace: default}
spec:
  nodeName: $node
  tolerations: [{key: virtual-kubelet.io/provider, operator: Exists}]
  containers:
  - name: main
    image: debian:12
    command: [sleep, "300"]
    env: [{name: WHO, value: process-provider}]
YAML
k create --validate=false -f "$work/pods.yaml" >/dev/null

exited() { [[ -n "$(k get pod hello -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}')" ]]; }
wait_until 60 "hello's container to terminate" exited
expect_eq "exit code in the container status" "3" \
  "$(k get pod hello -o jsonpath='{.status.containerStatuses[0].state.terminated.exitCode}')"
failed() { [[ "$(k get pod hello -o jsonpath='{.status.phase}')" == Failed ]]; }
wait_until 30 "hello Failed" failed
expect_eq "kubectl logs" "hello" "$(k logs hello)"

sleeper_running() { [[ "$(k get pod sleeper -o jsonpath='{.status.phase}')" == Running ]]; }
wait_until 60 "sleeper Running" sleeper_running
expect_eq "kubectl exec sees the container's env" "process-provider" "$(k exec sleeper -- sh -c 'echo $WHO')"
k delete pod sleeper --wait=true --timeout=60s >/dev/null
echo "ok: sleeper deleted (SIGTERM reached the process)"

stop_process "$node_pid" 10
node_pid=""
expect_eq "vkubelet-process exit code after SIGINT" "0" "$stopped_rc"
