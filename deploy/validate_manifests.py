#!/usr/bin/env python3
"""Static checks for deploy/ that need no cluster and no kustomize binary.

    python deploy/validate_manifests.py                 # source tree checks
    python deploy/validate_manifests.py --rendered F..  # checks on `kubectl kustomize` output

Source mode: every YAML under deploy/k8s parses; Deployments carry probes, resource
requests/limits, a non-root read-only security context and scrape annotations; no
literal secret sits in a manifest, generator or example file; every path a
kustomization.yaml names exists; plus compose, alert-rule and dashboard consistency.
Rendered mode: the same workload checks after overlays are applied, and that every
Secret/ConfigMap/Deployment a manifest refers to is part of the render.
Exits 1 when any check fails.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent
REPO = DEPLOY.parent
K8S = DEPLOY / "k8s"

SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|PEPPER|API_KEY|PRIVATE_KEY|CREDENTIAL", re.I)
# scheme://user:password@  — the password part is what must not be literal.
URL_CREDS = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:([^@\s/]+)@", re.I)
K8S_VAR_ONLY = re.compile(r"^(\$\([A-Za-z_][A-Za-z0-9_]*\))+$")
POD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

# What the code exports; rules and dashboards may use nothing else. The fixed list is the
# agreed contract (some metrics land in the code later); metrics.py adds whatever else it defines.
METRICS_PY = REPO / "libs" / "common" / "common" / "metrics.py"
METRICS = {
    "followup_messages_handled_total", "followup_outbox_backlog",
    "followup_outbox_oldest_age_seconds", "followup_timer_lag_seconds", "followup_dlq_depth",
    "followup_dead_lettered_total", "followup_http_requests_total", "followup_rpc_calls_total",
    "followup_ai_calls_total", "followup_ai_fallbacks_total", "followup_notifications_total",
}
HISTOGRAMS = {"followup_handler_latency_seconds", "followup_http_request_duration_seconds"}
if METRICS_PY.exists():
    for kind, name in re.findall(r'(Counter|Gauge|Histogram)\(\s*"(followup_[a-z_]+)"', METRICS_PY.read_text()):
        (HISTOGRAMS if kind == "Histogram" else METRICS).add(name)
KNOWN_METRICS = METRICS | {h + s for h in HISTOGRAMS for s in ("_bucket", "_sum", "_count")}

errors: list[str] = []


def err(where: object, msg: str) -> None:
    errors.append(f"{where}: {msg}")


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def is_placeholder(value: object) -> bool:
    v = str(value).strip()
    return v == "" or (v.startswith("<") and v.endswith(">")) or v.lower() in {
        "changeme", "change-me", "change_me", "placeholder"}


def load_docs(path: Path) -> list[dict]:
    try:
        with path.open() as fh:
            return [d for d in yaml.safe_load_all(fh) if isinstance(d, dict)]
    except yaml.YAMLError as exc:
        err(rel(path), f"YAML does not parse: {exc}")
        return []


# --- workloads ---------------------------------------------------------------

def pod_spec(obj: dict) -> dict | None:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return ((spec.get("template") or {}).get("spec")) if spec else None


def check_literal_secrets(where: str, containers: list[dict]) -> None:
    for c in containers:
        for env in c.get("env") or []:
            name, value = env.get("name", ""), env.get("value")
            if value is None:
                continue
            if SECRET_NAME.search(name) and not K8S_VAR_ONLY.match(str(value)) and str(value) != "":
                err(where, f"container {c.get('name')}: env {name} has a literal value; use secretKeyRef")
            for pw in URL_CREDS.findall(str(value)):
                if not K8S_VAR_ONLY.match(pw):
                    err(where, f"container {c.get('name')}: env {name} embeds a literal password in a URL")


def check_resources(where: str, c: dict, what: str) -> None:
    res = c.get("resources") or {}
    for part in ("requests", "limits"):
        got = res.get(part) or {}
        missing = [k for k in ("cpu", "memory") if k not in got]
        if missing:
            err(where, f"{what} {c.get('name')}: resources.{part} lacks {', '.join(missing)}")


def check_workload(where: str, obj: dict, rendered: bool) -> None:
    spec = pod_spec(obj)
    if spec is None:
        err(where, "no pod template")
        return
    containers = spec.get("containers") or []
    inits = spec.get("initContainers") or []
    check_literal_secrets(where, containers + inits)
    for c in containers + inits:
        image = str(c.get("image", ""))
        if image.endswith(":latest"):
            err(where, f"container {c.get('name')}: image {image} uses :latest")
        elif rendered and ":" not in image.rsplit("/", 1)[-1] and "@" not in image:
            err(where, f"container {c.get('name')}: image {image} has no tag")
    if obj.get("kind") != "Deployment":
        for c in containers:
            check_resources(where, c, "container")
        return

    if spec.get("terminationGracePeriodSeconds") is None:
        err(where, "terminationGracePeriodSeconds is not set")
    pod_sc = spec.get("securityContext") or {}
    annotations = ((obj["spec"].get("template") or {}).get("metadata") or {}).get("annotations") or {}
    if str(annotations.get("prometheus.io/scrape")) != "true":
        err(where, "pod template lacks prometheus.io/scrape: \"true\"")
    ports = {p.get("containerPort") for c in containers for p in c.get("ports") or []}
    if str(annotations.get("prometheus.io/port", "")).isdigit() and int(annotations["prometheus.io/port"]) not in ports:
        err(where, f"prometheus.io/port {annotations['prometheus.io/port']} is not a container port")

    for c in inits:
        check_resources(where, c, "init container")
    for c in containers:
        name = c.get("name")
        named_ports = {p.get("name") for p in c.get("ports") or []}
        for probe in ("readinessProbe", "livenessProbe"):
            p = c.get(probe)
            if not p:
                err(where, f"container {name}: no {probe}")
                continue
            port = (p.get("httpGet") or {}).get("port")
            if isinstance(port, str) and port not in named_ports:
                err(where, f"container {name}: {probe} uses unknown port name {port!r}")
        check_resources(where, c, "container")
        sc = c.get("securityContext") or {}
        if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
            err(where, f"container {name}: runAsNonRoot is not true")
        if sc.get("readOnlyRootFilesystem") is not True:
            err(where, f"container {name}: readOnlyRootFilesystem is not true")
        if sc.get("allowPrivilegeEscalation") is not False:
            err(where, f"container {name}: allowPrivilegeEscalation is not false")


def check_configmap(where: str, obj: dict) -> None:
    for key, value in (obj.get("data") or {}).items():
        if SECRET_NAME.search(key):
            err(where, f"ConfigMap key {key} looks like a secret; move it to a Secret")
        for pw in URL_CREDS.findall(str(value)):
            if not K8S_VAR_ONLY.match(pw):
                err(where, f"ConfigMap key {key} embeds a password in a URL")


def check_objects(docs: list[tuple[str, dict]], rendered: bool) -> None:
    for where, obj in docs:
        kind = obj.get("kind")
        if kind in POD_KINDS:
            check_workload(where, obj, rendered)
        elif kind == "ConfigMap":
            check_configmap(where, obj)
        elif kind == "Secret" and not rendered:
            # Source trees only hold examples; real values come from generators.
            if ".example." not in where:
                err(where, "Secret manifest outside an *.example.* file; generate it from a git-ignored env file")
            for key, value in {**(obj.get("data") or {}), **(obj.get("stringData") or {})}.items():
                if not is_placeholder(value):
                    err(where, f"example Secret key {key} holds a value, not a placeholder")


# --- rendered cross references -----------------------------------------------

def check_references(where: str, docs: list[dict]) -> None:
    by_kind: dict[str, set[str]] = {}
    for d in docs:
        by_kind.setdefault(d.get("kind"), set()).add((d.get("metadata") or {}).get("name"))
    workloads = [d for d in docs if d.get("kind") in POD_KINDS]
    scaled = set()
    for d in docs:
        kind, name = d.get("kind"), (d.get("metadata") or {}).get("name")
        spec = d.get("spec") or {}
        if kind in ("HorizontalPodAutoscaler", "ScaledObject"):
            target = (spec.get("scaleTargetRef") or {}).get("name")
            scaled.add(target)
            if target not in by_kind.get("Deployment", set()):
                err(where, f"{kind}/{name} scales missing Deployment {target}")
        if kind == "Service" and spec.get("selector"):
            sel = spec["selector"]
            if not any(sel.items() <= ((pod_spec_labels(w)).items()) for w in workloads):
                err(where, f"Service/{name} selector {sel} matches no pod template")
        if kind == "PodDisruptionBudget":
            sel = (spec.get("selector") or {}).get("matchLabels") or {}
            if not any(sel.items() <= pod_spec_labels(w).items() for w in workloads):
                err(where, f"PodDisruptionBudget/{name} matches no pod template")
    for w in workloads:
        name = w["metadata"]["name"]
        if w.get("kind") == "Deployment" and name in scaled and "replicas" in (w.get("spec") or {}):
            err(where, f"Deployment/{name} sets replicas while an autoscaler owns it")
        spec = pod_spec(w) or {}
        for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
            refs = [(e.get("valueFrom") or {}) for e in c.get("env") or []]
            for ref in refs:
                for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                    r = ref.get(key)
                    if r and not r.get("optional") and r.get("name") not in by_kind.get(kind, set()):
                        err(where, f"{w['kind']}/{name}: {kind} {r.get('name')} is not in the render")
            for src in c.get("envFrom") or []:
                for key, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                    r = src.get(key)
                    if r and r.get("name") not in by_kind.get(kind, set()):
                        err(where, f"{w['kind']}/{name}: {kind} {r.get('name')} is not in the render")


def pod_spec_labels(w: dict) -> dict:
    spec = w.get("spec") or {}
    if w.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}


# --- kustomizations ----------------------------------------------------------

def strip_key(entry: str) -> str:
    return entry.split("=", 1)[1] if "=" in entry else entry


def check_kustomization(path: Path) -> None:
    where = rel(path)
    docs = load_docs(path)
    if not docs:
        return
    k, base = docs[0], path.parent

    def need(ref: str, what: str, allow_dir: bool = False, example_ok: bool = False) -> None:
        if "://" in ref or ref.startswith("github.com/"):
            return
        target = (base / ref).resolve()
        if allow_dir and target.is_dir():
            if not any((target / n).exists() for n in KUSTOMIZATION_NAMES):
                err(where, f"{what} {ref} is a directory without a kustomization")
            return
        if target.is_file():
            if ".example" in target.name and what in ("resource", "patch"):
                err(where, f"{what} {ref} is an example file and must not be applied")
            return
        if example_ok and Path(str(target) + ".example").is_file():
            return  # git-ignored secret file; its .example documents the keys
        err(where, f"{what} {ref} does not exist")

    for ref in k.get("resources") or []:
        need(ref, "resource", allow_dir=True)
    for ref in k.get("components") or []:
        need(ref, "component", allow_dir=True)
    for ref in k.get("bases") or []:
        need(ref, "base", allow_dir=True)
    for p in k.get("patches") or []:
        if isinstance(p, dict) and p.get("path"):
            need(p["path"], "patch")
    for ref in k.get("patchesStrategicMerge") or []:
        if isinstance(ref, str) and "\n" not in ref:
            need(ref, "patch")
    for p in k.get("patchesJson6902") or []:
        if p.get("path"):
            need(p["path"], "patch")
    for r in k.get("replacements") or []:
        if r.get("path"):
            need(r["path"], "replacements file")
    for ref in (k.get("configurations") or []) + (k.get("crds") or []):
        need(ref, "file")
    for kind in ("configMapGenerator", "secretGenerator"):
        for g in k.get(kind) or []:
            secret = kind == "secretGenerator"
            for ref in g.get("files") or []:
                need(strip_key(ref), f"{kind} {g.get('name')} file", example_ok=secret)
            for ref in g.get("envs") or []:
                need(ref, f"{kind} {g.get('name')} env file", example_ok=secret)
            for lit in g.get("literals") or []:
                key, _, value = str(lit).partition("=")
                if SECRET_NAME.search(key) and secret and not is_placeholder(value):
                    err(where, f"{kind} {g.get('name')}: literal {key} holds a value; read it from the env file")
                if not secret and SECRET_NAME.search(key):
                    err(where, f"{kind} {g.get('name')}: key {key} looks like a secret")
                if URL_CREDS.search(value):
                    err(where, f"{kind} {g.get('name')}: literal {key} embeds a password in a URL")


def patch_files(yaml_files: list[Path]) -> set[Path]:
    found = set()
    for path in yaml_files:
        if path.name not in KUSTOMIZATION_NAMES:
            continue
        for k in load_docs(path)[:1]:
            refs = [p.get("path") for p in (k.get("patches") or []) + (k.get("patchesJson6902") or [])
                    if isinstance(p, dict)]
            refs += [r for r in k.get("patchesStrategicMerge") or [] if isinstance(r, str) and "\n" not in r]
            found |= {(path.parent / r).resolve() for r in refs if r}
    return found


def check_env_examples() -> None:
    for path in K8S.rglob("*.env.example"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            key, _, value = line.partition("=")
            if not is_placeholder(value):
                err(f"{rel(path)}:{n}", f"{key} holds a value; examples carry placeholders only")
    real = [p for p in K8S.rglob("*.env") if p.is_file()]
    if real:
        try:
            out = subprocess.run(["git", "-C", str(REPO), "check-ignore", *map(str, real)],
                                 capture_output=True, text=True, check=False)
            ignored = {Path(line).resolve() for line in out.stdout.split()}
            for p in real:
                if p.resolve() not in ignored:
                    err(rel(p), "secret env file is not git-ignored")
        except FileNotFoundError:
            pass


# --- compose, rules, dashboard -------------------------------------------------

def check_compose() -> None:
    path = REPO / "docker-compose.yml"
    if not path.exists():
        err(rel(path), "missing")
        return
    docs = load_docs(path)
    services = (docs[0] if docs else {}).get("services") or {}
    for name, svc in services.items():
        cmd = svc.get("command") or []
        is_app = isinstance(cmd, list) and cmd[:2] == ["python", "-m"]
        env = svc.get("environment") or {}
        for key, value in (env.items() if isinstance(env, dict) else []):
            # ${VAR:-default} may itself contain ':' and '@'; judge the URL with each one folded.
            folded = re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*(:?[-?][^}]*)?\}", "${VAR}", str(value))
            for pw in URL_CREDS.findall(folded):
                if pw != "${VAR}":
                    err(f"{rel(path)} {name}", f"{key} embeds a literal password; use ${{VAR:-dev-default}}")
        if not is_app or name == "migrate":
            continue
        if "healthcheck" not in svc:
            err(f"{rel(path)} {name}", "no healthcheck")
        migrate = (svc.get("depends_on") or {}).get("migrate") if isinstance(svc.get("depends_on"), dict) else None
        if not migrate or migrate.get("condition") != "service_completed_successfully":
            err(f"{rel(path)} {name}", "must depend on migrate with condition service_completed_successfully")


def check_metric_names() -> None:
    sources = [DEPLOY / "prometheus" / "rules.yml", DEPLOY / "grafana" / "followup-overview.json"]
    for path in sources:
        if not path.exists():
            err(rel(path), "missing")
            continue
        text = path.read_text()
        if path.suffix == ".json":
            try:
                json.loads(text)
            except json.JSONDecodeError as exc:
                err(rel(path), f"invalid JSON: {exc}")
        for metric in sorted(set(re.findall(r"\bfollowup_[a-z_]+", text))):
            if metric not in KNOWN_METRICS:
                err(rel(path), f"unknown metric {metric} (not exported by the code)")


def write_dashboard_rules(out: Path) -> None:
    """Dashboard queries as recording rules, so promtool can parse every one of them."""
    dashboard = json.loads((DEPLOY / "grafana" / "followup-overview.json").read_text())
    rules = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"].replace("$__rate_interval", "5m").replace("$service", ".*")
            rules.append({"record": f"dashboard:panel{panel['id']}:{target['refId']}", "expr": expr})
    out.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, sort_keys=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rendered", nargs="+", metavar="FILE",
                        help="check kustomize output instead of the source tree")
    parser.add_argument("--dashboard-rules", metavar="OUT",
                        help="write the dashboard's queries as a rules file, for `promtool check rules`")
    args = parser.parse_args()

    if args.dashboard_rules:
        write_dashboard_rules(Path(args.dashboard_rules))
        return 0

    if args.rendered:
        for name in args.rendered:
            docs = load_docs(Path(name))
            if not docs:
                err(name, "render is empty")
            check_objects([(f"{name} {d.get('kind')}/{(d.get('metadata') or {}).get('name')}", d) for d in docs], True)
            check_references(name, docs)
    else:
        yaml_files = sorted(p for p in K8S.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
        patches = patch_files(yaml_files)
        docs: list[tuple[str, dict]] = []
        for path in yaml_files:
            if path.resolve() in patches:
                continue  # partial objects; checked after rendering
            for d in load_docs(path):
                docs.append((f"{rel(path)} {d.get('kind')}/{(d.get('metadata') or {}).get('name')}", d))
        check_objects(docs, False)
        for path in yaml_files:
            if path.name in KUSTOMIZATION_NAMES:
                check_kustomization(path)
        check_env_examples()
        check_compose()
        check_metric_names()
        for extra in [*(DEPLOY / "prometheus").glob("*.yml"), *(DEPLOY / "grafana").rglob("*.yml")]:
            load_docs(extra)
        print(f"validate_manifests: {len(yaml_files)} YAML files under {rel(K8S)}, {len(docs)} objects")

    for e in errors:
        print(f"ERROR {e}", file=sys.stderr)
    print(f"validate_manifests: {'FAILED, ' + str(len(errors)) + ' problem(s)' if errors else 'ok'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
