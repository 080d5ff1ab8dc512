#!/usr/bin/env bash
# `make run` without a cluster, end to end: scripts/run-mock starts the mock
# provider with the embedded API server (the node runs as system:node:<name>
# under Node authorization); the real kubectl sees the node Ready and tainted,
# the demo pod Running with a ConfigMap and a Secret in its environment, and
# gets logs and exec; SIGINT stops everything with exit code 0 within 5 s.
#   run_mock_test.sh SOURCE_ROOT BUILD_ROOT KUBECTL
set -euo pipefail
src=$1 build=$2 kubectl=$3
source "$src/tests/e2e/lib.sh"
work=$(mktemp -d "$build/run-mock-test.XXXXXX")
pid=""
cleanup() {
  [[ -n "$pid" ]] && { kill -KILL "$pid"; wait "$pid"; } 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

unset KUBECONFIG KUBELET_PORT APISERVER_CA_CERT_LOCATION
node=vk-mock
VKUBELET_NODE_NAME=$node "$src/scripts/run-mock" "$build" --embedded-dir "$work/run" >"$work/mock.out" 2>"$work/mock.err" &
pid=$!
wait_until 60 "the ready banner" grep -q "Press Ctrl-C" "$work/mock.out"
banner=$(cat "$work/mock.out")
expect_contains "banner names the kubeconfig" "export KUBECONFIG=$work/run/kubeconfig" "$banner"
export KUBECONFIG="$work/run/kubeconfig"
k() { "$kubectl" --request-timeout=20s "$@"; }

expect_eq "node Ready" "True" "$(k get node $node -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')"
expect_eq "node taint" "virtual-kubelet.io/provider=mock:NoSchedule" \
  "$(k get node $node -o jsonpath='{.spec.taints[0].key}={.spec.taints[0].value}:{.spec.taints[0].effect}')"
expect_eq "capacity from the provider config" "110" "$(k get node $node -o jsonpath='{.status.capacity.pods}')"
nodes=$(k get nodes)
[[ "$nodes" =~ $node[[:space:]]+Ready[[:space:]]+agent ]] || fail "kubectl get nodes: $nodes"
echo "ok: kubectl get nodes shows Ready"

running() { [[ "$(k get pod demo-web -o jsonpath='{.status.phase}')" == Running ]]; }
wait_until 30 "demo-web Running" running
pods=$(k get pods -o wide)
[[ "$pods" =~ demo-web[[:space:]]+1/1[[:space:]]+Running ]] || fail "kubectl get pods: $pods"
echo "ok: kubectl get pods shows demo-web Running"
[[ -n "$(k get pod demo-web -o jsonpath='{.status.podIP}')" ]] || fail "demo-web has no pod IP"

expect_contains "kubectl logs" 'container "main" started' "$(k logs demo-web)"
expect_eq "kubectl exec" "hi" "$(k exec demo-web -- echo hi)"
env_out=$(k exec demo-web -- env)
expect_contains "ConfigMap env read with the node's identity" "GREETING=hello from a ConfigMap" "$env_out"
expect_contains "Secret env read with the node's identity" "TOKEN=s3cr3t" "$env_out"
rc=0
k exec demo-web -- sh -c 'exit 7' >/dev/null 2>&1 || rc=$?
expect_eq "exec exit code" "7" "$rc"

# A pod created by a user reaches the provider and goes away on delete.
cat >"$work/pod.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: extra, namespace: default}
spec:
  nodeName: $node
  tolerations: [{key: virtual-kubelet.io/provider, operator: Exists}]
  containers: [{name: app, image: nginx}]
YAML
k create --validate=false -f "$work/pod.yaml" >/dev/null
extra_running() { [[ "$(k get pod extra -o jsonpath='{.status.phase}')" == Running ]]; }
wait_until 30 "extra Running" extra_running
k delete pod extra --wait=true --timeout=60s >/dev/null
echo "ok: create and delete through kubectl"

start=$SECONDS
stop_process "$pid" 5
pid=""
expect_eq "exit code after SIGINT" "0" "$stopped_rc"
echo "ok: stopped in $((SECONDS - start))s"
