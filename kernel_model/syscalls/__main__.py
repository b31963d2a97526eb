"""``python -m kernel_model.syscalls --write-index``: write index.py again from the
families' registrations (after adding a syscall, or moving one to another family)."""
import os
import sys

from kernel_model.syscalls import index_source

if sys.argv[1:] != ["--write-index"]:
    sys.exit("usage: python -m kernel_model.syscalls --write-index")
with open(os.path.join(os.path.dirname(__file__), "index.py"), "w") as fh:
    fh.write(index_source())
