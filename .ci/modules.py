#!/usr/bin/env python3
"""The module graph of the crate: which top-level module of src/ refers to which.

Reads every src/**/*.rs (comments and string literals left out) and records a
reference from a file's top-level module to another one for:

  * a path `crate::name...` (also `$crate::`, and `use crate::{a, b::c}` groups,
    one reference per name in the group);
  * a path `super::...` that climbs to the crate root (from `src/x.rs` or
    `src/x/mod.rs` outside any inline `mod`); `super::` that stays inside the
    same top-level module (from `src/x/y.rs`, or out of an inline `mod tests`)
    refers to that module itself and is not an edge.

A name at the crate root is a module (`mod x;` in src/lib.rs) or something
src/lib.rs re-exports (`pub use x::{A, B};`): the reference goes to module `x`.
src/lib.rs itself is the root that lists the modules, not a node.

Prints each module with the modules it refers to (`(tests)` marks an edge made
only by code under `#[cfg(test)]`), then either an order from the bottom up or
every circle, each with the lines that make its edges. Exits 1 on a circle, 2
on a usage error.

    python3 .ci/modules.py            # the crate in the current directory
    python3 .ci/modules.py path/to/crate
    python3 .ci/modules.py --no-tests # leave `#[cfg(test)]` code out
    python3 .ci/modules.py --docs     # count intra-doc links (`crate::x` in
                                      # `///` and `//!` comments) too
"""

import os
import re
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip(text):
    """The text with comments, string and char literals blanked (newlines kept,
    so line numbers stay right)."""
    out = []
    i, n = 0, len(text)

    def blank(s):
        return "".join("\n" if c == "\n" else " " for c in s)

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(text[i:j]))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
        elif re.match(r'(b|c)?r#*"', text[i:i + 40]) and (
            i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")
        ):
            m = re.match(r'(b|c)?r(#*)"', text[i:])
            close = '"' + m.group(2)
            j = text.find(close, i + m.end())
            j = n if j < 0 else j + len(close)
            out.append('""' + blank(text[i + 2:j]))
            i = j
        elif c == '"' or (
            c in "bc" and text.startswith('"', i + 1)
            and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_"))
        ):
            j = i + (1 if c == '"' else 2)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append('""' + blank(text[i + 2:j]))
            i = j
        elif c == "'":
            # A char literal ('a', '\n', '\u{2028}', '\''), or a lifetime ('a).
            m = re.match(r"'(\\(u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])'", text[i:])
            if m:
                out.append(blank(m.group(0)))
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def module_path(src, path):
    """`src/x.rs` -> ['x'], `src/x/mod.rs` -> ['x'], `src/x/y.rs` -> ['x', 'y']."""
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] == "mod":
        rel = rel[:-1]
    if rel == ["lib"]:
        return []
    return rel


def top_level_names(group):
    """The first segment of each path in a `use` group's braces: `a::{b}, c, self` -> a, c."""
    names, depth, start = [], 0, 0
    for k, ch in enumerate(group + ","):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            part = group[start:k].strip()
            start = k + 1
            m = re.match(IDENT, part)
            if m:
                names.append(m.group(0))
    return names


def group_paths(group):
    """Each path of a `use` group's braces as (first, second segment or None);
    `a::{b, c}` gives (a, b) and (a, c)."""
    out = []
    depth, start = 0, 0
    for k, ch in enumerate(group + ","):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            part = group[start:k].strip()
            start = k + 1
            m = re.match(r"(" + IDENT + r")(?:\s*::\s*(\{.*\}|" + IDENT + r"))?", part, re.S)
            if not m:
                continue
            second = m.group(2)
            if second and second.startswith("{"):
                subs = [re.match(IDENT, p.strip()) for p in second[1:-1].split(",")]
                subs = [s.group(0) for s in subs if s]
                out.extend((m.group(1), s) for s in subs or [None])
            else:
                out.append((m.group(1), second))
    return out


def matching_brace(text, k):
    depth = 0
    for j in range(k, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    return len(text) - 1


def root_names(lib_text):
    """Top-level modules, and each name src/lib.rs re-exports -> its module."""
    modules = set(re.findall(r"\bmod\s+(" + IDENT + r")\s*;", lib_text))
    exports = {}
    for m in re.finditer(r"\bpub\s+use\s+(" + IDENT + r")\s*::\s*([^;]*);", lib_text):
        module, rest = m.group(1), m.group(2)
        if module not in modules:
            continue
        rest = rest.strip()
        # `x::{A, B}`, `x::A`, `x::y::{A}`, `x::A as B`
        for full in re.finditer(r"(" + IDENT + r")(?:\s+as\s+(" + IDENT + r"))?", rest):
            name = full.group(2) or full.group(1)
            if name not in ("self", "as"):
                exports.setdefault(name, module)
    return modules, exports


def module_reexports(text):
    """`pub use crate::y::...::Name;` (or a group) in a module's own file: Name -> y."""
    out = {}
    for m in re.finditer(r"\bpub(?:\s*\([^)]*\))?\s+use\s+crate\s*::\s*(" + IDENT + r")\s*::([^;]*);", text):
        target, rest = m.group(1), m.group(2)
        for leaf in re.finditer(r"(" + IDENT + r")(?:\s+as\s+(" + IDENT + r"))?\s*(?=[,}]|$)", rest.strip()):
            name = leaf.group(2) or leaf.group(1)
            if name not in ("self", "as"):
                out[name] = target
    return out


def read_files(src):
    """(path, module path, raw text, stripped text) of every .rs file under src/."""
    files = []
    for dirpath, dirs, names in os.walk(src):
        dirs.sort()
        for fname in sorted(names):
            if fname.endswith(".rs"):
                path = os.path.join(dirpath, fname)
                with open(path, encoding="utf-8") as f:
                    raw = f.read()
                files.append((path, module_path(src, path), raw, strip(raw)))
    return files


def scan(src, docs=False):
    files = read_files(src)
    lib_text = next(t for p, b, _r, t in files if not b)
    modules, exports = root_names(lib_text)
    # What each top-level module's own file re-exports from another one.
    reexports = {}
    for _p, base, _r, text in files:
        if len(base) == 1:
            for name, target in module_reexports(text).items():
                if target in modules and target != base[0]:
                    reexports[(base[0], name)] = target

    def resolve(name, then=None):
        """The module a root name (and the segment after it) leads to."""
        if name in modules:
            module = name
            name = then
        elif name in exports:
            module = exports[name]
        else:
            return None
        seen = set()
        while name and (module, name) in reexports and module not in seen:
            seen.add(module)
            module = reexports[(module, name)]
        return module

    # Where each type is defined, and the methods of inherent `impl Type`
    # blocks written in another module than the type's: a call of one is a
    # reference to the module of the block, though no path names it.
    defined = {}  # type name -> the modules that define one of that name
    for _p, base, _r, text in files:
        if base:
            for m in re.finditer(r"\b(?:struct|enum|union|trait|type)\s+(" + IDENT + r")", text):
                defined.setdefault(m.group(1), set()).add(base[0])
    foreign = {}  # method name -> [(module of the impl, type)]
    for _p, base, _r, text in files:
        if not base:
            continue
        # An `impl` item (at the start of a line), not `impl Trait` in a type.
        for m in re.finditer(r"^[ \t]*(?:unsafe\s+)?impl\b\s*(<[^{]*?>)?\s*([A-Za-z_][A-Za-z0-9_:]*)\s*(<[^{]*?>)?\s*(where[^{]*)?\{", text, re.M):
            head = text[m.start():m.end()]
            if re.search(r"\bfor\b", head):
                continue  # a trait's impl
            ty = m.group(2).split("::")[-1]
            homes = defined.get(ty, set())
            # Only a type of one module, and not one of this module's own.
            if len(homes) != 1 or base[0] in homes:
                continue
            end = matching_brace(text, m.end() - 1)
            for f in re.finditer(r"\bfn\s+(" + IDENT + r")", text[m.end():end]):
                foreign.setdefault(f.group(1), []).append((base[0], ty))

    # edges[(a, b)] = [(file, line, in_tests, text)]
    edges = {}
    unresolved = []
    for path, base, raw, text in files:
        if not base:
            continue  # the crate root
        raw_lines = raw.split("\n")
        # Inline modules: (start, end, name, is_test) spans.
        spans = []
        for m in re.finditer(r"\bmod\s+(" + IDENT + r")\s*\{", text):
            start = m.end() - 1
            before = text[max(0, m.start() - 200):m.start()]
            is_test = bool(re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?$", before))
            spans.append((start, matching_brace(text, start), m.group(1), is_test))
        # `#[cfg(test)]` on other items (a fn, an impl, a use): up to the end of the item.
        test_items = []
        for m in re.finditer(r"#\[cfg\(test\)\]", text):
            k = m.end()
            semi, brace = text.find(";", k), text.find("{", k)
            if brace >= 0 and (semi < 0 or brace < semi):
                test_items.append((m.start(), matching_brace(text, brace)))
            elif semi >= 0:
                test_items.append((m.start(), semi))

        def context(pos):
            inner = [s for s in spans if s[0] < pos <= s[1]]
            inner.sort(key=lambda s: s[0])
            in_tests = any(s[3] for s in inner) or any(a <= pos <= b for a, b in test_items)
            return base + [s[2] for s in inner], in_tests

        def record(pos, target_name, how, then=None, target=None, note=""):
            line = text.count("\n", 0, pos) + 1
            if target is None:
                target = resolve(target_name, then)
            if target is None:
                unresolved.append((path, line, how + target_name))
                return
            if target == base[0]:
                return
            _, in_tests = context(pos)
            refs = edges.setdefault((base[0], target), [])
            entry = (path, line, in_tests, note + raw_lines[line - 1].strip())
            if not any(r[0] == path and r[1] == line for r in refs):
                refs.append(entry)

        # Intra-doc links: a rendered page that links another module's item.
        if docs:
            for k, line_text in enumerate(raw_lines):
                if not re.match(r"\s*//[/!]", line_text):
                    continue
                pos = sum(len(x) + 1 for x in raw_lines[:k])
                # `[text](crate::x::Y)`, `[`crate::x::Y`]` or `[crate::x::Y]`;
                # a plain code span names no link.
                for m in re.finditer(r"(?:\]\(|\[`?)crate::(" + IDENT + r")(?:::(" + IDENT + r"))?", line_text):
                    record(pos + m.start(), m.group(1), "crate::", m.group(2), note="[doc link] ")

        # Calls of methods that an `impl` block of another module adds.
        for m in re.finditer(r"(?:\.|::)\s*(" + IDENT + r")\s*(?:::\s*<[^>]*>\s*)?\(", text):
            for home, ty in foreign.get(m.group(1), ()):
                if home != base[0]:
                    record(m.start(), "", "", target=home,
                           note=f"[{ty}::{m.group(1)}, an impl in {home}] ")

        text_no_vis = re.sub(r"\bpub\s*\(\s*in\s+[^)]*\)", lambda m: " " * len(m.group(0)), text)
        # `crate::{...}` groups, `crate::name`, `$crate::name`
        for m in re.finditer(r"(?<![A-Za-z0-9_])\$?crate\s*::\s*(\{|" + IDENT + r")(?:\s*::\s*(" + IDENT + r"))?", text_no_vis):
            if m.group(1) == "{":
                k = m.end(1) - 1
                end = matching_brace(text_no_vis, k)
                for name, then in group_paths(text_no_vis[k + 1:end]):
                    if name != "self":
                        record(m.start(), name, "crate::", then)
            else:
                record(m.start(), m.group(1), "crate::", m.group(2))
        # `super::super::...::name` (or a group) climbing to the root.
        for m in re.finditer(r"(?<![A-Za-z0-9_:])((?:super\s*::\s*)+)(\{|" + IDENT + r")", text_no_vis):
            ups = m.group(1).count("super")
            where, _ = context(m.start())
            if ups < len(where):
                continue  # still inside this top-level module
            if m.group(2) == "{":
                k = m.end(2) - 1
                end = matching_brace(text_no_vis, k)
                names = top_level_names(text_no_vis[k + 1:end])
            else:
                names = [m.group(2)]
            for name in names:
                if name not in ("self", "super"):
                    record(m.start(), name, "super::")
    return modules, edges, unresolved


def circles(nodes, graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def shortest_path(graph, start, goal, members):
    """The modules of a shortest path from start to goal within members."""
    prev = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        if v == goal:
            path = [v]
            while prev[path[-1]] is not None:
                path.append(prev[path[-1]])
            return list(reversed(path))
        for w in sorted(graph.get(v, ())):
            if w in members and w not in prev:
                prev[w] = v
                queue.append(w)
    return None


def circles_of(comp, graph):
    """For each edge a -> b of the component, the shortest circle through it
    (a -> b -> ... -> a); each circle once, shortest first."""
    members = set(comp)
    found = {}
    for a in comp:
        for b in sorted(graph.get(a, ())):
            if b not in members:
                continue
            back = shortest_path(graph, b, a, members)
            cycle = [a] + back
            ring = cycle[:-1]
            k = ring.index(min(ring))
            key = tuple(ring[k:] + ring[:k])
            found.setdefault(key, list(key) + [key[0]])
    return sorted(found.values(), key=lambda c: (len(c), c))


def layers(nodes, graph):
    """Each module's height: 0 for one that refers to none, else 1 + the highest it refers to."""
    height = {}

    def h(v):
        if v not in height:
            height[v] = 0
            height[v] = 1 + max((h(w) for w in graph.get(v, ())), default=-1)
        return height[v]

    for v in nodes:
        h(v)
    return height


def main(argv):
    include_tests = "--no-tests" not in argv
    docs = "--docs" in argv
    args = [a for a in argv if not a.startswith("--")]
    if len(args) > 1 or any(a.startswith("--") and a not in ("--no-tests", "--docs") for a in argv):
        print(__doc__, file=sys.stderr)
        return 2
    root = args[0] if args else "."
    src = os.path.join(root, "src")
    if not os.path.isfile(os.path.join(src, "lib.rs")):
        print(f"no src/lib.rs under {root}", file=sys.stderr)
        return 2
    modules, edges, unresolved = scan(src, docs)
    if not include_tests:
        edges = {
            k: [r for r in refs if not r[2]] for k, refs in edges.items()
        }
        edges = {k: v for k, v in edges.items() if v}
    graph = {}
    for (a, b) in edges:
        graph.setdefault(a, set()).add(b)
    rel = lambda p: os.path.relpath(p, root)

    print("module graph (a -> what a refers to):")
    width = max(len(m) for m in modules)
    for m in sorted(modules):
        targets = []
        for t in sorted(graph.get(m, ())):
            only_tests = all(r[2] for r in edges[(m, t)])
            targets.append(t + (" (tests)" if only_tests else ""))
        print(f"  {m:<{width}} -> {', '.join(targets) if targets else '(nothing)'}")
    for path, line, what in unresolved:
        print(f"  note: {rel(path)}:{line}: {what} names no module or re-export of src/lib.rs")

    found = circles(modules, graph)
    if not found:
        height = layers(modules, graph)
        print("\nno circle; from the bottom up:")
        for level in range(max(height.values(), default=0) + 1):
            names = sorted(m for m in modules if height[m] == level)
            print(f"  {level}: {', '.join(names)}")
        return 0
    print(f"\n{len(found)} group(s) of modules in a circle:")
    for comp in found:
        print(f"\nthe modules {', '.join(comp)} reach each other; circles:")
        for cycle in circles_of(comp, graph):
            print(f"  circle: {' -> '.join(cycle)}")
        print("  the references between them:")
        members = set(comp)
        for (a, b), refs in sorted(edges.items()):
            if a in members and b in members:
                print(f"  {a} -> {b}:")
                for path, line, in_tests, src_line in refs:
                    mark = " [tests]" if in_tests else ""
                    print(f"    {rel(path)}:{line}{mark}: {src_line}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
