"""execve: a new program in the same process (fs/exec.c, fs/binfmt_script.c).

The image replaces the old one inside the same host process: the compiled core, its
caches and the process's identity stay, the address space, the CPU context and what exec
resets go. In the kernel's order:

1. the file: looked up through the guest root, a regular file the user may execute
   (EACCES otherwise, ENOENT when missing); argv and envp copied in (E2BIG past the limits);
2. binary formats: ``#!`` rewrites the arguments as binfmt_script does (interpreter, its one
   optional argument, the script's name, argv[1:]) and starts over with the interpreter, at
   most BINPRM_MAX_DEPTH times (ELOOP beyond); anything else goes to binfmt_elf.exec_binary,
   the one ELF loader (also the first program's), which checks the program and its
   interpreter (PT_INTERP, under the guest root) before the point of no return: ENOEXEC for
   what it refuses, ENOENT for a missing interpreter;
3. the point of no return (:func:`begin_new_exec`, called by exec_binary): a vfork parent
   is released, the other threads go, O_CLOEXEC descriptors are closed, caught signals are
   reset to SIG_DFL (ignored ones and the mask stay), the alternate stack and POSIX timers
   go, comm and /proc/self/exe name the new program;
4. the image (exec_binary): the old address space goes; segments, interpreter, stack, auxv,
   vDSO, break. A failure from here on kills the process with SIGSEGV, as Linux does.
"""
from __future__ import annotations

import os
import stat as statmod

from hppa_user import hostarray
from hppa_user.errors import GuestFault, InterpreterNotFound, LoaderError
from hppa_user.records import record
from kernel_model import abi, binfmt_elf, guestroot, process
from kernel_model.errors import SyscallError
from kernel_model.syscalls.common import host_dirfd

BINPRM_MAX_DEPTH = 5                 # binfmt rewrites (#! lines) before ELOOP (fs/exec.c)
ARG_MAX = 32 * 4096                  # the least room argv + envp always get
STK_LIM = 8 << 20                    # _STK_LIM


def start_thread(ctx, image: binfmt_elf.ExecImage) -> None:
    """The registers of a fresh program after execve: start_thread(), nothing of the old one."""
    hostarray.fill(ctx.fr, 0)
    hostarray.fill(ctx.cr, 0)
    ctx.psw = 0
    process.initial_registers(ctx, image.entry, image.sp, image.argc, image.argv_addr)


# -- the arguments ----------------------------------------------------------------------------
def read_strings(k, addr: int, budget: list) -> list[bytes]:
    """A NULL-terminated array of string pointers (argv/envp) from guest memory; NULL is
    an empty array. ``budget`` is the bytes left for strings and pointers (E2BIG)."""
    out: list[bytes] = []
    if addr == 0:
        return out
    mem = k.mem
    while True:
        p = mem.read_u32(addr + 4 * len(out))
        if p == 0:
            return out
        s = mem.read_cstr(p, abi.MAX_ARG_STRLEN)
        if len(s) >= abi.MAX_ARG_STRLEN:
            raise SyscallError(abi.E2BIG)
        budget[0] -= len(s) + 1 + 4
        if budget[0] < 0 or len(out) >= abi.MAX_ARG_STRINGS:
            raise SyscallError(abi.E2BIG)
        out.append(s)


# -- the file ---------------------------------------------------------------------------------
def open_exec(host_path: bytes, dir_fd=None, empty_path_fd=None, nofollow=False) -> tuple[int, bytes]:
    """open_exec(): a host fd on an executable regular file and its first bytes."""
    flags = os.O_RDONLY | os.O_CLOEXEC | (os.O_NOFOLLOW if nofollow else 0)
    try:
        if empty_path_fd is not None:
            fd = os.open(f"/proc/self/fd/{empty_path_fd}", flags)
        else:
            fd = os.open(host_path, flags, dir_fd=dir_fd)
    except IsADirectoryError:
        raise SyscallError(abi.EACCES) from None
    except OSError as e:
        if e.errno == 40 and nofollow:              # ELOOP
            raise SyscallError(abi.ELOOP) from None
        raise
    try:
        st = os.fstat(fd)
        if not statmod.S_ISREG(st.st_mode):
            raise SyscallError(abi.EACCES)
        if not os.access(f"/proc/self/fd/{fd}", os.X_OK) or not st.st_mode & 0o111:
            raise SyscallError(abi.EACCES)
        head = os.pread(fd, abi.BINPRM_BUF_SIZE, 0)
    except BaseException:
        os.close(fd)
        raise
    return fd, head


def parse_shebang(head: bytes) -> tuple[bytes, bytes | None]:
    """binfmt_script's reading of ``#!interpreter [one argument]`` (ENOEXEC if unusable)."""
    line = head[2:]
    nl = line.find(b"\n")
    if nl >= 0:
        line = line[:nl]
    elif len(head) >= abi.BINPRM_BUF_SIZE:
        # no newline in the buffer: only usable if the interpreter's name ends in it
        stripped = line.lstrip(b" \t")
        if not any(c in stripped for c in (b" ", b"\t")):
            raise SyscallError(abi.ENOEXEC)
    line = line.split(b"\0", 1)[0].strip(b" \t")
    if not line:
        raise SyscallError(abi.ENOEXEC)
    parts = line.replace(b"\t", b" ").split(b" ", 1)
    interp = parts[0]
    arg = parts[1].strip(b" \t") if len(parts) > 1 else b""
    return interp, (arg or None)


@record
class Binprm:
    """What exec found: the host file to load, the arguments and the names it goes by."""
    host_path: str
    argv: list
    filename: bytes                  # as the program knows itself (AT_EXECFN, comm)


def prepare(k, dirfd: int, path: bytes, argv: list[bytes], flags: int = 0) -> Binprm:
    """What comes before binfmt_elf: open the file (through the guest root), follow ``#!``
    lines. Errors are SyscallError (the exec fails, the process goes on)."""
    if flags & ~(abi.AT_EMPTY_PATH | abi.AT_SYMLINK_NOFOLLOW):
        raise SyscallError(abi.EINVAL)
    empty_fd = None
    dir_fd = None
    # a name made of an O_CLOEXEC fd is gone after the exec: no script can be run by it
    inaccessible = False
    if not path:
        if not flags & abi.AT_EMPTY_PATH:
            raise SyscallError(abi.ENOENT)
        empty_fd = k.files.host(dirfd)
        filename = f"/dev/fd/{dirfd}".encode()
        inaccessible = k.files.cloexec(dirfd)
    elif path.startswith(b"/") or dirfd == abi.AT_FDCWD:
        filename = path
    else:
        dir_fd = host_dirfd(k, dirfd)
        filename = f"/dev/fd/{dirfd}/".encode() + path
        inaccessible = k.files.cloexec(dirfd)
    host = guestroot.lookup(k, path) if path else b""
    fd, head = open_exec(host, dir_fd=dir_fd, empty_path_fd=empty_fd,
                         nofollow=bool(flags & abi.AT_SYMLINK_NOFOLLOW))
    argv = list(argv) or [b""]       # Linux 5.18+: an empty argv gets argv[0] = ""
    script_name = filename
    try:
        for _depth in range(BINPRM_MAX_DEPTH + 1):
            if head[:2] != b"#!":
                return Binprm(os.readlink(f"/proc/self/fd/{fd}"), argv, filename)
            if inaccessible:
                raise SyscallError(abi.ENOENT)
            interp, arg = parse_shebang(head)
            argv = [interp] + ([arg] if arg is not None else []) + [script_name] + argv[1:]
            os.close(fd)
            fd = -1
            script_name = interp
            fd, head = open_exec(guestroot.lookup(k, interp))
        raise SyscallError(abi.ELOOP)
    finally:
        if fd >= 0:
            os.close(fd)


def execve(k, dirfd: int, path_addr: int, argv_addr: int, envp_addr: int, flags: int = 0):
    """sys_execve/sys_execveat. Returns normally only after a successful exec (the context
    is the new program's); raises SyscallError before the point of no return."""
    path = k.read_path(path_addr) if path_addr else b""
    if not path and not flags & abi.AT_EMPTY_PATH:
        raise SyscallError(abi.ENOENT if path_addr else abi.EFAULT)
    # bprm_stack_limits(): a quarter of the stack limit, at most 3/4 of _STK_LIM
    budget = [max(min(STK_LIM // 4 * 3, k.info.rlimits[abi.RLIMIT_STACK][0] // 4), ARG_MAX)]
    argv = read_strings(k, argv_addr, budget)
    envp = read_strings(k, envp_addr, budget)
    bprm = prepare(k, dirfd, path, argv, flags)
    # a program without a guest root (static) runs a dynamic one: that one's own runtime
    # becomes the root, as `run` would choose it for the program (guestroot.default_root)
    adopted = k.root is None
    if adopted:
        k.root = guestroot.default_root(bprm.host_path)
    passed = []                          # set at the point of no return

    def point_of_no_return():
        passed.append(True)
        begin_new_exec(k, bprm)

    try:
        image = binfmt_elf.exec_binary(k, bprm.host_path, bprm.argv, envp, profile=k.profile,
                                       execfn=bprm.filename, vdso_fault=k.vdso_fault,
                                       begin_new_exec=point_of_no_return)
    except (LoaderError, GuestFault, SyscallError, OSError) as e:
        if not passed:                   # the old image is intact: the exec fails
            if adopted:
                k.root = None
            if isinstance(e, InterpreterNotFound):
                raise SyscallError(abi.ENOENT) from None
            if isinstance(e, LoaderError):
                raise SyscallError(abi.ENOEXEC) from None
            raise
        # force_fatal_sig(SIGSEGV): no handler survived the exec, an ignored one is reset
        k.signals.force_fault(abi.SIGSEGV, abi.SI_KERNEL, 0)
    start_thread(k.ctx, image)
    if k.on_exec is not None:
        k.on_exec(image)


def begin_new_exec(k, bprm: Binprm) -> None:
    """flush_old_exec() + setup_new_exec(): what of the old program goes, before its
    address space (exec_binary unmaps that next)."""
    k.exit_cleanup()                              # shared file mappings reach their files
    k.vfork_release()                             # (the old pages still there to send)
    k.sched.only(k.pid)                           # de_thread(): the other threads go
    k.files.close_on_exec()
    k.signals.exec_reset()
    k.thread.clear_child_tid = 0
    k.thread.robust_list = 0
    base = bprm.filename.rstrip(b"/").rsplit(b"/", 1)[-1]
    k.info.comm = base[:15]
    k.info.dumpable = 1
    k.exe_path = os.path.realpath(bprm.host_path)
    k.argv = [os.fsdecode(a) for a in bprm.argv]
    if k.tree is not None:
        k.tree.execed()
