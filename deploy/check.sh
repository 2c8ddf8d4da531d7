#!/usr/bin/env bash
# Checks everything under deploy/ without a cluster:
#   1. promtool: alert rules, their unit tests, the compose scrape config, dashboard queries
#   2. validate_manifests.py: manifests, kustomization references, secrets, compose, metric names
#   3. kubectl kustomize (if kubectl or kustomize is installed): every overlay renders and
#      the rendered objects pass the same workload checks
# Usage: deploy/check.sh        (REQUIRE_PROMTOOL=1 turns a missing promtool into a failure)
set -uo pipefail

cd "$(dirname "$0")/.."
fail=0
step() { printf '\n== %s\n' "$*"; }
run() { "$@" || { echo "FAILED: $*" >&2; fail=1; }; }

if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=${PYTHON:-python3}; fi
if ! "$PY" -c 'import yaml' 2>/dev/null; then
  echo "PyYAML missing for $PY (pip install pyyaml)" >&2
  exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

step "promtool"
if command -v promtool >/dev/null 2>&1; then
  run promtool check rules deploy/prometheus/rules.yml
  run promtool test rules deploy/prometheus/rules.test.yml
  run promtool check config --syntax-only deploy/prometheus/prometheus.yml
  if "$PY" deploy/validate_manifests.py --dashboard-rules "$tmp/dashboard-rules.yml"; then
    run promtool check rules "$tmp/dashboard-rules.yml"
  else
    fail=1
  fi
elif [ "${REQUIRE_PROMTOOL:-0}" = 1 ]; then
  echo "promtool not found and REQUIRE_PROMTOOL=1" >&2
  fail=1
else
  echo "promtool not found: skipping rule checks (Debian/Ubuntu: apt-get install prometheus)"
fi

step "manifests (source)"
run "$PY" deploy/validate_manifests.py

step "kustomize render"
if command -v kustomize >/dev/null 2>&1; then KUSTOMIZE=(kustomize build)
elif command -v kubectl >/dev/null 2>&1; then KUSTOMIZE=(kubectl kustomize)
else KUSTOMIZE=()
fi
if [ ${#KUSTOMIZE[@]} -gt 0 ]; then
  # Render a copy so git-ignored secrets.env files can be stood in for by their examples.
  cp -r deploy/k8s "$tmp/k8s"
  find "$tmp/k8s" -name 'secrets.env.example' | while read -r ex; do
    [ -e "${ex%.example}" ] || cp "$ex" "${ex%.example}"
  done
  rendered=()
  for overlay in "$tmp"/k8s/overlays/*/; do
    name=$(basename "$overlay")
    if "${KUSTOMIZE[@]}" "$overlay" >"$tmp/$name.yaml"; then
      echo "rendered overlays/$name: $(grep -c '^kind:' "$tmp/$name.yaml") objects"
      rendered+=("$tmp/$name.yaml")
    else
      echo "FAILED: ${KUSTOMIZE[*]} overlays/$name" >&2
      fail=1
    fi
  done
  [ ${#rendered[@]} -gt 0 ] && run "$PY" deploy/validate_manifests.py --rendered "${rendered[@]}"
else
  echo "neither kustomize nor kubectl found: skipping render"
fi

echo
if [ "$fail" -ne 0 ]; then echo "deploy/check.sh: FAILED"; exit 1; fi
echo "deploy/check.sh: ok"
