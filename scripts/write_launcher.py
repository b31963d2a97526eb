"""Write the venv's bin/hppa-user so that its interpreter starts without the site module.

Usage (make install, with the venv's python): write_launcher.py VENV/bin/hppa-user

pip installs bin/hppa-user with the bare interpreter in its first line (pip drops a
shebang's options).  At a start, site only puts the venv's site-packages and the paths
its .pth files name (the editable install's: the project) on sys.path, but it costs
~1.5 ms of every run: it reads pyvenv.cfg and the .pth files and looks along sys.path for
a sitecustomize module (and it imports os first, which a run imports later anyway).  The launcher written here runs its interpreter with -S and
appends those same entries itself, in site's order, as this interpreter has them now:
its sys.path is the one a start with site gives (cli_bundle keys its file by it).
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys

TEMPLATE = '''#!{python} -S
# hppa-user's launcher, written by make install (scripts/write_launcher.py): its interpreter
# starts without site (-S), and the entries site would add are added here.
import sys
sys.path += {extra!r}
from cli import main

main()
'''


def extra_entries() -> list[str]:
    """The sys.path entries a start with site has and one with -S has not, in order."""
    bare = subprocess.run([sys.executable, "-S", "-c", "import sys; print(repr(sys.path))"],
                          check=True, capture_output=True, text=True).stdout
    without = set(ast.literal_eval(bare))
    return [p for p in sys.path[1:] if p not in without]   # ([0]: this script's directory)


def main(path: str) -> None:
    text = TEMPLATE.format(python=sys.executable, extra=extra_entries())
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: write_launcher.py VENV/bin/hppa-user")
    main(sys.argv[1])
