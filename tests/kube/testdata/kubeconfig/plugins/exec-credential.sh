#!/bin/sh
# A credential plugin for tests: prints an ExecCredential whose token shows what
# the plugin received (args, env, KUBERNETES_EXEC_INFO), so tests can check it.
# Controlled by environment variables the test sets:
#   EXEC_COUNTER  file that gets one line per run
#   EXEC_MODE     token (default) | cert | fail | badjson | wrongversion
#   EXEC_EXPIRY   expirationTimestamp to report (optional)
#   EXEC_TOKEN    token prefix (default "tok")
if [ -n "$EXEC_COUNTER" ]; then echo run >> "$EXEC_COUNTER"; fi
runs=0
if [ -n "$EXEC_COUNTER" ]; then runs=$(wc -l < "$EXEC_COUNTER" | tr -d ' '); fi
api=$(printf '%s' "$KUBERNETES_EXEC_INFO" | sed -n 's/.*"apiVersion":"\([^"]*\)".*/\1/p')
server=$(printf '%s' "$KUBERNETES_EXEC_INFO" | sed -n 's/.*"server":"\([^"]*\)".*/\1/p')
expiry=""
if [ -n "$EXEC_EXPIRY" ]; then expiry=",\"expirationTimestamp\":\"$EXEC_EXPIRY\""; fi
case "${EXEC_MODE:-token}" in
  fail)
    echo "error: you must be logged in to the server (run login first)" >&2
    exit 3 ;;
  badjson)
    echo "this is not json" ; exit 0 ;;
  wrongversion)
    api="client.authentication.k8s.io/v1alpha1" ;;
  cert)
    printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"clientCertificateData":"%s","clientKeyData":"%s"%s}}\n' \
      "$api" "$EXEC_CERT" "$EXEC_KEY" "$expiry"
    exit 0 ;;
esac
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s-%s-%s-%s-run%s"%s}}\n' \
  "$api" "${EXEC_TOKEN:-tok}" "${PLUGIN_PREFIX:-none}" "$*" "${server:-noserver}" "$runs" "$expiry"
