#!/usr/bin/env bash
# Instruction counts per call under callgrind (benches/instructions.rs, gungraun):
# runs every benchmark at N = 1 and N = 10,001 calls and prints
# (Ir(10,001) - Ir(1)) / 10,000 per call, the targets, and for each target not
# met the functions the instructions go to (callgrind_annotate, per call).
#
#   bash .ci/instructions.sh            # everything
#   bash .ci/instructions.sh 'instructions::decision::*'   # a gungraun filter
#
# Needs valgrind, python3, and gungraun-runner of the same version as the
# gungraun dev-dependency (installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(cargo metadata --format-version 1 --locked |
  python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "gungraun"))')
if [ "$(gungraun-runner --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
  cargo install gungraun-runner --version "$version" --locked
fi
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 1; }

target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
home="$target_dir/gungraun-instructions"
rm -rf "$home"
cargo bench --bench instructions -- --home "$home" --save-summary=json "$@" >&2

python3 - "$home" <<'EOF'
import glob, json, os, re, subprocess, sys

home = sys.argv[1]
runs = {}
for path in glob.glob(os.path.join(home, "**", "summary.json"), recursive=True):
    s = json.load(open(path))
    ir = s["profiles"][0]["data"]["total"]["metrics"]["Ir"]["values"]["new"]
    m = re.fullmatch(r"(.*)_?n(1|10001)", s["id"])
    key = (s["function_name"], m.group(1).rstrip("_"))
    out = glob.glob(os.path.join(os.path.dirname(path), "callgrind.*.out"))
    runs.setdefault(key, {})[m.group(2)] = (ir, out[0] if out else None)

def per_call(key):
    r = runs.get(key, {})
    if "1" not in r or "10001" not in r:
        return None
    return (r["10001"][0] - r["1"][0]) / 10_000

rows = [
    # label, key, target, baseline key (the target applies beyond it)
    ("decision: `check_request`, no write", ("check_request_no_write", ""), 300, None),
    ("decision: `check_request`, write due", ("check_request_write_due", ""), 300, None),
    ("tag: external (`context_for` + `external()` + `write!`)", ("tag", "external"), 500, None),
    ("tag: inline (`context_for` + `with_endpoints()` + `write!`)", ("tag", "inline"), 800, ("script_copy", "")),
    ("tag: inline + nonce (also `Nonce::new`, `with_nonce`)", ("tag", "inline_nonce"), 800, ("script_copy", "")),
    ("baseline: the script text alone, `push_str`", ("script_copy", ""), None, None),
]
for engine, name in [("tera", "Tera 2 `tera::insert`"), ("tera1", "Tera 1 `tera1::insert`"),
                     ("minijinja_values", "MiniJinja `minijinja::values`"),
                     ("minijinja_script_tag", "MiniJinja `minijinja::script_tag`"),
                     ("askama", "Askama, the three values rendered")]:
    for form in ["inline", "external"]:
        rows.append((f"glue: {name}, {form}", ("glue", f"{engine}_{form}"), None, None))
rows += [
    ("axum request, with `AutoLogoutLayer`", ("axum_request", "with_layer"), None, None),
    ("axum request, with `AutoLogoutLayer`, the page without its values", ("axum_request", "flow_only"), None, None),
    ("axum request, with `AutoLogoutLayer`, a write due (the page without its values)", ("axum_request", "write_due"), None, None),
    ("axum request, without it", ("axum_request", "without_layer"), None, None),
    ("actix-web request, with `AutoLogoutMiddleware`", ("actix_request", "with_middleware"), None, None),
    ("actix-web request, with `AutoLogoutMiddleware`, the page without its values", ("actix_request", "flow_only"), None, None),
    ("actix-web request, with `AutoLogoutMiddleware`, a write due (the page without its values)", ("actix_request", "write_due"), None, None),
    ("actix-web request, without it", ("actix_request", "without_middleware"), None, None),
]

def fmt(x):
    return "–" if x is None else f"{x:,.1f}"

print("| what | instructions per call | target | met |")
print("|---|---:|---|---|")
missed = []
for label, key, target, base in rows:
    value = per_call(key)
    if value is None:
        continue
    shown, tgt, met = fmt(value), "", ""
    if target is not None:
        measured = value
        if base is not None and per_call(base) is not None:
            measured = value - per_call(base)
            shown = f"{fmt(value)} ({fmt(measured)} beyond the copy)"
        tgt = f"≤ {target:,}" + (" beyond the copy" if base else "")
        met = "yes" if measured <= target else "no"
        if measured > target:
            missed.append((label, key))
    print(f"| {label} | {shown} | {tgt} | {met} |")
for label, with_key, without_key in [("axum: added by the layer (the page's values and inline tag included)", ("axum_request", "with_layer"), ("axum_request", "without_layer")),
                                    ("axum: added by the layer's flow alone", ("axum_request", "flow_only"), ("axum_request", "without_layer")),
                                    ("axum: added by the layer, a write due", ("axum_request", "write_due"), ("axum_request", "without_layer")),
                                    ("actix-web: added by the middleware (values and inline tag included)", ("actix_request", "with_middleware"), ("actix_request", "without_middleware")),
                                    ("actix-web: added by the middleware's flow alone", ("actix_request", "flow_only"), ("actix_request", "without_middleware")),
                                    ("actix-web: added by the middleware, a write due", ("actix_request", "write_due"), ("actix_request", "without_middleware"))]:
    a, b = per_call(with_key), per_call(without_key)
    if a is not None and b is not None:
        print(f"| {label} | {fmt(a - b)} | | |")

def functions(out):
    text = subprocess.run(["callgrind_annotate", "--show=Ir", "--threshold=100", "--inclusive=no", out],
                          capture_output=True, text=True, check=True).stdout
    found = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.+?)(?: \[.*\])?$", line)
        if m and "PROGRAM TOTALS" not in line:
            # Drop the source file in front of the function ("???:", "path.rs:").
            name = m.group(2)
            file = re.match(r"^[^:]*?:(?!:)(.*)$", name)
            name = file.group(1) if file else name
            found[name] = found.get(name, 0) + int(m.group(1).replace(",", ""))
    return found

for label, key in missed:
    r = runs[key]
    one, many = functions(r["1"][1]), functions(r["10001"][1])
    per = sorted(((many.get(f, 0) - one.get(f, 0)) / 10_000, f) for f in set(one) | set(many))
    print(f"\nWhere the instructions of \"{label}\" go (callgrind_annotate, exclusive, per call):")
    for value, name in reversed(per[-8:]):
        if value >= 1:
            print(f"  {value:>8,.1f}  {name}")
EOF
