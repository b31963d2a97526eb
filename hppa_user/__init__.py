"""hppa-user's CPU: guest memory, the CPU context, decoder, jitted core, region compiler,
loader, disassembler. It never imports the kernel model, which drives it."""
import os

# numpy is used for page tables and array views only: no BLAS thread pool.  numpy's
# OpenBLAS starts one thread per core when it loads (~40 ms of CPU at every start) and
# they spin beside the guest.  The variable is there only while numpy loads: nothing
# else (a guest's environment, a child process) sees it.
_blas_threads = os.environ.get("OPENBLAS_NUM_THREADS")
os.environ["OPENBLAS_NUM_THREADS"] = "1"
try:
    import numpy  # noqa: F401  (loads OpenBLAS now, with one thread)
finally:
    if _blas_threads is None:
        del os.environ["OPENBLAS_NUM_THREADS"]
    else:
        os.environ["OPENBLAS_NUM_THREADS"] = _blas_threads
