"""Write the venv's bin/hppa-user so that its interpreter starts without the site module.

Usage (make install, with the venv's python): write_launcher.py VENV/bin/hppa-user

pip installs bin/hppa-user with the bare interpreter in its first line (pip drops a
shebang's options).  At a start, site only puts the venv's site-packages and the paths
its .pth files name (the editable install's: the project) on sys.path, but it costs
~1.5 ms of every run: it reads pyvenv.cfg and the .pth files and looks along sys.path for
a sitecustomize module (and it imports os first, which a run imports later anyway).  The
launcher written here is the repository's bin/hppa-user with -S on its first line and
those same entries appended before its code, in site's order, as this interpreter has
them now: its sys.path is the one a start with site gives (cli_bundle keys its file by it).
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys

SOURCE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bin",
                      "hppa-user")
ADDED = ("# (written again by make install, scripts/write_launcher.py: its interpreter starts\n"
         "# without site, and the entries site would add are added here)\n"
         "import sys\n"
         "sys.path += {extra!r}\n")


def extra_entries() -> list[str]:
    """The sys.path entries a start with site has and one with -S has not, in order."""
    bare = subprocess.run([sys.executable, "-S", "-c", "import sys; print(repr(sys.path))"],
                          check=True, capture_output=True, text=True).stdout
    without = set(ast.literal_eval(bare))
    return [p for p in sys.path[1:] if p not in without]   # ([0]: this script's directory)


def launcher_text() -> str:
    """bin/hppa-user, the launcher pip installs, with this interpreter and -S on its first
    line and, before its code, the entries site would add."""
    with open(SOURCE) as fh:
        _first, *rest = fh.read().splitlines(keepends=True)
    code = next(i for i, line in enumerate(rest) if not line.startswith("#"))
    return "".join([f"#!{sys.executable} -S\n", *rest[:code],
                    ADDED.format(extra=extra_entries()), *rest[code:]])


def main(path: str) -> None:
    text = launcher_text()
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: write_launcher.py VENV/bin/hppa-user")
    main(sys.argv[1])
