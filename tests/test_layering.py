"""The package layering of issue 11: CPU package (hppa_user) <- kernel model <- cli.

* hppa_user never imports kernel_model (or the CLI): the kernel runs the CPU, not the
  other way round.
* No import cycle among the project's modules, and no project import hidden inside a
  function to dodge one (the deferred imports, listed with their reasons, keep LLVM and
  the disassembler out of a process that does not need them: start-up time).
* The kernel model works on a plain CPU context: it imports and handles a syscall without
  the CPU's compiled parts (no LLVM) ever being loaded.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT

PACKAGES = ("hppa_user", "kernel_model", "vdso_image", "bench")
# (module, imported module): imports deliberately deferred into a function, and why
DEFERRED = {
    ("hppa_user.core", "hppa_user.native"): "LLVM is imported only by a process that compiles",
    ("hppa_user.core", "hppa_user.coregen"): "the core's IR generator, only by a process that "
                                            "compiles the core (its cache was cold)",
    ("hppa_user.core", "hppa_user.stencilgen"): "the stencils' generator, only by a process "
                                               "that compiles them (their cache was cold)",
    ("hppa_user.jit", "hppa_user.regiongen"): "the regions' IR generator, only by a process that "
                                              "builds regions or weighs a branch target",
    ("hppa_user.regiongen", "hppa_user.native"): "LLVM is imported only by a process that "
                                                 "compiles",
    ("kernel_model.machine", "hppa_user.trace"): "the disassembler only under --trace",
    ("kernel_model.kernel", "kernel_model.strace"): "strace's formatting only under --strace",
}
# the CLI imports what each command needs inside the command, so `--help` starts fast
DEFERRING_MODULES = {"cli", "cli_app", "cli_run"}


def _modules() -> dict[str, Path]:
    mods = {m: REPO_ROOT / f"{m}.py" for m in ("cli", "cli_app", "cli_run")}
    for pkg in PACKAGES:
        for path in (REPO_ROOT / pkg).rglob("*.py"):
            rel = path.relative_to(REPO_ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    return mods


def _imports(path: Path, mods) -> list[tuple[str, bool]]:
    """(project module imported, inside a function?) for every import in the file."""
    tree = ast.parse(path.read_text())
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            names = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                names = [child.module] + [f"{child.module}.{a.name}" for a in child.names]
            for name in names:
                if name in mods:
                    found.append((name, in_function))
            visit(child, nested)
    visit(tree, False)
    return found


def _graph():
    mods = _modules()
    return mods, {m: _imports(p, mods) for m, p in mods.items()}


def test_cpu_package_never_imports_the_kernel():
    _, graph = _graph()
    bad = [(m, dep) for m, deps in graph.items() if m.startswith("hppa_user")
           for dep, _ in deps if dep.startswith(("kernel_model", "cli"))]
    assert bad == []


def test_no_import_cycles_and_no_hidden_imports():
    _, graph = _graph()
    hidden = [(m, dep) for m, deps in graph.items() for dep, inner in deps
              if inner and (m, dep) not in DEFERRED and dep != m and m not in DEFERRING_MODULES]
    assert hidden == [], "project imports inside functions (cycle dodges?)"
    edges = {m: {d for d, _ in deps if d != m and not d.startswith(m + ".")}
             for m, deps in graph.items()}
    # Tarjan's strongly connected components: any component of two or more is a cycle
    index, low, stack, on, cycles, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
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
                cycles.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            strong(v)
    assert cycles == []


def test_layering_check_sees_a_cycle(tmp_path, monkeypatch):
    """The cycle check itself can fail: a made-up back edge is reported."""
    _, graph = _graph()
    graph["hppa_user.memory"] = graph["hppa_user.memory"] + [("kernel_model.vm", False)]
    bad = [(m, dep) for m, deps in graph.items() if m.startswith("hppa_user")
           for dep, _ in deps if dep.startswith("kernel_model")]
    assert bad == [("hppa_user.memory", "kernel_model.vm")]


KERNEL_ONLY = r"""
import sys
sys.path.insert(0, {root!r})
from hppa_user.context import CpuContext
from hppa_user.memory import GuestMemory, PERM_R, PERM_W
from kernel_model.kernel import Kernel
from kernel_model import abi

ctx, mem = CpuContext(), GuestMemory()
mem.map(0x10000, 0x1000, PERM_R | PERM_W)
k = Kernel(ctx, mem, exe_path="/bin/true", argv=["/bin/true"])
ctx.gr[20] = 20                       # getpid
ctx.gr[31] = 0x10103
k.syscall()
assert ctx.gr[28] == k.pid and ctx.iaoq_f == 0x10100 and ctx.iaoq_b == 0x10104
ctx.gr[20] = 4; ctx.gr[26] = 1; ctx.gr[25] = 0x123; ctx.gr[24] = 4     # write(1, bad, 4)
k.syscall()
assert ctx.gr[28] == (-abi.EFAULT) & 0xFFFFFFFF
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("numba", "llvmlite")
                or m in ("hppa_user.core", "hppa_user.jit", "hppa_user.cpu", "hppa_user.fpu"))
print(loaded)
"""


def test_kernel_runs_on_a_plain_context_without_the_cpu():
    out = subprocess.run([sys.executable, "-c", KERNEL_ONLY.format(root=str(REPO_ROOT))],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
