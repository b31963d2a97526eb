"""cli_bundle: a run's modules from one file, used only while their sources are unchanged.

Each case runs a fresh interpreter on a package made in tmp_path, with the bundle file in
tmp_path too (the real cache directory's is left alone), and prints what it imported and
from where: the loader's class and the module's value, which the source decides."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# imports pkg_b.m through a bundle at sys.argv[1] keeping modules of sys.argv[2], prints
# "VALUE LOADER" (the module's and its package's loader class names), writes the file back
SCRIPT = """
import sys
sys.path.insert(0, {root!r})
import cli_bundle
file, tree = sys.argv[1], sys.argv[2]
sys.path.insert(0, tree)
b = cli_bundle.install(file, (tree + "/",))
import pkg_b.m
print(pkg_b.m.VALUE, type(pkg_b.m.__spec__.loader).__name__,
      type(sys.modules["pkg_b"].__spec__.loader).__name__, pkg_b.m.__file__ == tree + "/pkg_b/m.py",
      pkg_b.m.double(21))
if len(sys.argv) > 3:
    __import__(sys.argv[3])
b.save()
"""


def load(tmp_path: Path, *also: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(root=str(REPO_ROOT)),
                           str(tmp_path / "modules.bundle"), str(tmp_path / "tree"), *also],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and not proc.stderr, proc.stderr
    return proc.stdout.split()


def write_module(tmp_path: Path, value: int, mtime_ns: int) -> None:
    pkg = tmp_path / "tree" / "pkg_b"
    pkg.mkdir(parents=True, exist_ok=True)
    if not (pkg / "__init__.py").exists():
        (pkg / "__init__.py").write_text("")
    m = pkg / "m.py"
    m.write_text(f"VALUE = {value}\n\ndef double(x):\n    return 2 * x\n")
    os.utime(m, ns=(mtime_ns, mtime_ns))
    for other in ("x", "y"):
        (pkg / f"{other}.py").write_text(f"NAME = {other!r}\n")


def test_modules_come_from_the_file_while_their_sources_are_unchanged(tmp_path):
    write_module(tmp_path, 1, 1_000_000_000_000_000_000)
    assert load(tmp_path) == ["1", "SourceFileLoader", "SourceFileLoader", "True", "42"]
    assert (tmp_path / "modules.bundle").stat().st_size > 0       # written as it ended
    assert load(tmp_path) == ["1", "Bundle", "Bundle", "True", "42"]
    # the same size, another modification time: the usual import, then the file again
    write_module(tmp_path, 2, 1_000_000_000_000_000_001)
    assert load(tmp_path) == ["2", "SourceFileLoader", "Bundle", "True", "42"]
    assert load(tmp_path) == ["2", "Bundle", "Bundle", "True", "42"]


def test_programs_importing_different_modules_share_the_file(tmp_path):
    """A run that imported one module the file lacks writes it back with the others kept:
    runs importing pkg_b.x and pkg_b.y by turns both find all they import there."""
    write_module(tmp_path, 4, 1_200_000_000_000_000_000)
    load(tmp_path, "pkg_b.x")
    load(tmp_path, "pkg_b.y")
    file = tmp_path / "modules.bundle"
    written = file.stat().st_mtime_ns
    for other in ("pkg_b.x", "pkg_b.y", "pkg_b.x"):
        assert load(tmp_path, other) == ["4", "Bundle", "Bundle", "True", "42"]
    assert file.stat().st_mtime_ns == written          # nothing missing: not written again


def test_site_packages_below_a_root_are_not_kept(tmp_path):
    """A module in a site-packages directory below a kept tree (a venv inside the project's
    checkout: numba, which only a run compiling the core imports) is imported the usual
    way every time, and never written to the file."""
    write_module(tmp_path, 5, 1_300_000_000_000_000_000)
    third = tmp_path / "tree" / "site-packages"
    third.mkdir()
    (third / "pkg_c.py").write_text("NAME = 'c'\n")
    script = SCRIPT.format(root=str(REPO_ROOT)).replace(
        "b.save()", "import pkg_c; print(type(pkg_c.__spec__.loader).__name__); b.save()")
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", script, str(tmp_path / "modules.bundle"),
                               str(tmp_path / "tree")], capture_output=True, text=True,
                              timeout=60, env={**os.environ, "PYTHONPATH": str(third)})
        assert proc.returncode == 0 and not proc.stderr, proc.stderr
        assert proc.stdout.split()[-1] == "SourceFileLoader"
    assert b"pkg_c" not in (tmp_path / "modules.bundle").read_bytes()


def test_a_damaged_file_is_ignored_and_written_again(tmp_path):
    write_module(tmp_path, 3, 1_100_000_000_000_000_000)
    load(tmp_path)
    file = tmp_path / "modules.bundle"
    good = file.read_bytes()
    import marshal
    n = int.from_bytes(good[:8], "little")
    not_code = marshal.dumps(("not", "code"))       # each module's code: a tuple instead
    index = marshal.loads(good[8:8 + n])
    index = index[:2] + ({name: e[:4] + (0, len(not_code)) for name, e in index[2].items()},)
    head = marshal.dumps(index)
    wrong = len(head).to_bytes(8, "little") + head + not_code
    for damaged in (b"", b"garbage", good[:len(good) // 2], good[:-40] + bytes(40),
                    good[:8] + bytes(len(good) - 8), wrong):
        file.write_bytes(damaged)
        assert load(tmp_path)[:2] in (["3", "SourceFileLoader"], ["3", "Bundle"])
        assert load(tmp_path) == ["3", "Bundle", "Bundle", "True", "42"]


def test_a_run_imports_its_modules_from_the_file(guest, tmp_path):
    """Through the console script, as a user runs it: the second run of a program imports
    the project's modules from the file the first wrote (and runs the program as before)."""
    binary = guest("hello")
    exe = Path(sys.executable).with_name("hppa-user")
    out = tmp_path / "loaders.txt"
    probe = (f"import atexit, sys\n"
             f"atexit.register(lambda: open({str(out)!r}, 'w').write(' '.join(sorted(set("
             f"type(sys.modules[n].__spec__.loader).__name__ for n in "
             f"('kernel_model.machine', 'hppa_user.cpu', 'kernel_model.syscalls.fs'))))))\n")
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", probe + exe.read_text().split("\n", 1)[1],
                               "run", str(binary)], capture_output=True, timeout=120,
                              cwd=exe.parent)
        assert proc.returncode == 0 and b"Hello" in proc.stdout, proc.stderr
    assert out.read_text() == "Bundle"


def test_files_not_written_for_two_weeks_are_removed_as_one_is_written(tmp_path):
    """Each sys.path has a file of its own (a venv, a checkout): writing one removes the
    others' that have not been written for STALE_SECONDS, and nothing else."""
    import cli_bundle
    write_module(tmp_path, 6, 1_400_000_000_000_000_000)
    now = time.time()
    ages = {"modules-0a.bundle": 15, "modules-0b.bundle": 13, "modules-0c.bundle": 30,
            "notes-0d.bundle": 30, "modules-0e.txt": 30}
    for name, days in ages.items():
        f = tmp_path / name
        f.write_bytes(b"x")
        os.utime(f, (now - days * 86400, now - days * 86400))
    assert cli_bundle.STALE_SECONDS == 14 * 86400
    load(tmp_path)                                         # writes modules.bundle
    assert (tmp_path / "modules.bundle").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == \
        ["modules-0b.bundle", "modules-0e.txt", "modules.bundle", "notes-0d.bundle"]
