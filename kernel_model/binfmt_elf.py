"""exec of an ELF program, as Linux's fs/binfmt_elf.c ``load_elf_binary()`` does it for a
32-bit parisc task (no address-space randomisation, the 8 MiB stack limit of process.py).

In the kernel's order:

1. the stack VMA and, top-down below it from ``mmap_base``, the mmap area (setup_new_exec,
   setup_arg_pages);
2. the program's PT_LOAD segments (elf_load): ET_EXEC at their own addresses; ET_DYN with
   an interpreter (PIE) at ``ELF_ET_DYN_BASE`` = TASK_UNMAPPED_BASE + 16 MiB = 0x41000000
   (asm/elf.h); ET_DYN without one -- ``ld.so.1`` run as a program -- wherever mmap puts
   the whole span, i.e. just below ``mmap_base``. File pages are private file mappings
   (shown with their path and offset in /proc/self/maps); the bss beyond the last file page
   is anonymous, and the file page holding the start of the bss is zeroed past it (padzero);
3. the interpreter named by PT_INTERP (load_elf_interp), looked up under the guest root as
   qemu-user does, placed by mmap: below ``mmap_base`` (or below the program when that is
   an ET_DYN loader already there);
4. the vDSO (arch_setup_additional_pages): the next free area below, under the profiles
   that have one;
5. the break on the page after the *program's* bss, and create_elf_tables(): AT_PHDR,
   AT_PHNUM and AT_ENTRY of the program (relocated), AT_BASE = the interpreter's load
   address, AT_SYSINFO_EHDR first.

The thread starts at the interpreter's entry when there is one, else at the program's.
:func:`exec_binary` is the one entry point: the command line's ``run`` calls it for the
first program, and execve calls it again inside a running process once the old address
space is gone.
"""
from __future__ import annotations

import os

from hppa_user.errors import InterpreterNotFound, LoaderError
from hppa_user.loader import (MIN_ADDR, PF_R, PF_W, PF_X, TASK_SIZE, ElfImage, check_ident,
                              open_program, parse_elf, program_error)
from hppa_user.memory import PAGE_MASK, page_align_up
from hppa_user.records import record
from kernel_model import abi, guestroot, process
from kernel_model.errors import SyscallError
from kernel_model.syscalls.mm import get_unmapped_area, map_pages, range_free, unmap_range

ELF_ET_DYN_BASE = abi.DEFAULT_MAP_BASE32 + 0x01000000     # TASK_UNMAPPED_BASE + 16 MiB


@record
class LoadedElf:
    """One ELF file as exec placed it."""
    path: str                  # host path it was read from
    image: ElfImage
    bias: int                  # load_bias: add to the file's addresses

    @property
    def entry(self) -> int:
        return self.image.entry + self.bias

    @property
    def base(self) -> int:
        """The load address (AT_BASE of an interpreter): where its first page went."""
        return self.image.first_page + self.bias

    @property
    def phdr(self) -> int:
        return self.image.phdr_vaddr + self.bias if self.image.phdr_vaddr else 0


@record
class ExecImage:
    """The new process image: what start_thread() needs and what tools want to know."""
    program: LoadedElf
    interp: LoadedElf | None
    vdso: object               # process.MappedVdso or None
    entry: int                 # first instruction: the interpreter's entry, else the program's
    sp: int
    argc: int
    argv_addr: int
    auxv: list
    exec_stack: bool


def _prot(flags: int) -> int:
    return ((abi.PROT_READ if flags & PF_R else 0) | (abi.PROT_WRITE if flags & PF_W else 0)
            | (abi.PROT_EXEC if flags & PF_X else 0))


def check_entry(image: ElfImage) -> None:
    """The entry point lies in an executable segment (after the point of no return, as
    load_elf_binary()'s BAD_ADDR(e_entry) check: execve then ends in SIGSEGV)."""
    entry = image.entry
    if not any(s.vaddr <= entry < s.vaddr + s.memsz and s.flags & PF_X for s in image.loads):
        raise LoaderError(f"entry point {entry:#x} is not in an executable segment")


def _check_range(k, image: ElfImage, bias: int) -> None:
    """Inside the user address space, and (MAP_FIXED_NOREPLACE) over nothing mapped yet."""
    for s in image.loads:
        lo, hi = s.vaddr + bias, s.vaddr + bias + s.memsz
        if lo < MIN_ADDR or hi > TASK_SIZE:
            raise LoaderError(f"segment at {lo:#x}+{s.memsz:#x} lies outside the user address space")
        start = lo & ~PAGE_MASK
        if not range_free(k, start, page_align_up(hi) - start):
            raise LoaderError(f"segment at {lo:#x}+{s.memsz:#x} overlaps a mapping made before it")


def _choose_bias(k, image: ElfImage, has_interp: bool) -> int:
    if not image.is_dyn:
        return 0
    if has_interp:                       # a PIE program
        return (ELF_ET_DYN_BASE - image.loads[0].vaddr) & ~PAGE_MASK
    try:                                 # a loader (or an interpreter): mmap chooses
        start = get_unmapped_area(k, image.total_size)
    except SyscallError:
        raise LoaderError("no room in the address space for the program") from None
    return start - image.first_page


def load_segments(k, image: ElfImage, fd: int, bias: int) -> None:
    """elf_load() for each PT_LOAD: file pages, zeroed tail of the last one, anonymous bss."""
    _check_range(k, image, bias)
    for s in image.loads:
        prot = _prot(s.flags)
        addr = s.vaddr + bias
        start = addr & ~PAGE_MASK
        file_end = page_align_up(addr + s.filesz)
        if s.filesz:
            map_pages(k, start, file_end - start, prot, host_fd=fd,
                      offset=s.offset - (s.vaddr & PAGE_MASK))
            if s.memsz > s.filesz and file_end > addr + s.filesz:
                k.mem.poke(addr + s.filesz, bytes(file_end - (addr + s.filesz)))   # padzero
        else:
            file_end = start
        mem_end = page_align_up(addr + s.memsz)
        if mem_end > file_end:
            map_pages(k, file_end, mem_end - file_end, prot)


@record
class _OpenElf:
    """A file exec has opened and validated but not mapped yet."""
    path: str
    fd: int
    image: ElfImage


def _open_interpreter(k, name: bytes) -> _OpenElf:
    """The PT_INTERP file, looked up under the guest root, opened and checked."""
    shown = name.decode(errors="replace")
    host = os.fsdecode(guestroot.lookup(k, name))
    try:
        fd, data = open_program(host)
    except (FileNotFoundError, NotADirectoryError):
        hint = "" if k.root is not None else " (no hppa runtime found: give its directory with -L DIR)"
        raise InterpreterNotFound(f"interpreter {shown} not found{hint}") from None
    except OSError as e:
        raise LoaderError(f"interpreter {shown}: {program_error(e)}") from None
    try:
        check_ident(data)
        return _OpenElf(host, fd, parse_elf(data))
    except LoaderError as e:
        os.close(fd)
        raise LoaderError(f"interpreter {shown}: {e}") from None


def _map(k, f: _OpenElf, has_interp: bool) -> LoadedElf:
    bias = _choose_bias(k, f.image, has_interp)
    load_segments(k, f.image, f.fd, bias)
    check_entry(f.image)
    return LoadedElf(f.path, f.image, bias)


def exec_binary(k, path: str, argv: list[bytes], envp: list[bytes], *, profile: str,
                execfn: bytes | None = None, vdso_fault: str | None = None,
                begin_new_exec=None) -> ExecImage:
    """Replace the address space of ``k`` with ``path``'s image and build its stack.

    ``argv``/``envp`` are the strings for the new stack, ``profile`` the kernel profile
    (which vDSO, if any), ``execfn`` AT_EXECFN (default: ``path``), ``vdso_fault`` a
    :mod:`kernel_model.vdso_fault` name (the vDSO broken on purpose). The program and its
    interpreter are read and checked first: until then a failure (LoaderError with a
    one-line message; InterpreterNotFound when PT_INTERP names no file -- execve's ENOEXEC
    and ENOENT) leaves the process as it was. Then, past the point of no return, the old
    mappings go (shared ones reach their files), and the new image is mapped; the kernel's
    brk, mmap_base, vDSO, vvar page and auxv are set. ``begin_new_exec()`` (execve's, in
    exec.py) is called at the point of no return, before the old mappings go, as
    load_elf_binary() calls fs/exec.c's. Returns where and how the thread starts
    (process.initial_registers does the rest, as start_thread)."""
    try:
        fd, data = open_program(path)
    except OSError as e:
        raise program_error(e) from None
    try:
        opened = [_OpenElf(path, fd, parse_elf(data))]
    except LoaderError:
        os.close(fd)
        raise
    program = opened[0].image
    try:
        if program.interp is not None:
            opened.append(_open_interpreter(k, program.interp))
        # -- the point of no return (begin_new_exec) --
        if begin_new_exec is not None:
            begin_new_exec()
        if k.vm.vmas:
            unmap_range(k, 0, TASK_SIZE)
        k.mmap_base = process.STACK_BASE
        exec_stack = program.exec_stack or profile == "none"   # <= 5.17: on-stack trampolines
        process.map_stack(k, exec_stack)
        prog = _map(k, opened[0], has_interp=len(opened) > 1)
        interp = _map(k, opened[1], has_interp=False) if len(opened) > 1 else None
    finally:
        for f in opened:
            os.close(f.fd)
    vdso = process.map_vdso(k, profile, vdso_fault)
    # load_elf_binary: mm->start_brk = mm->brk = ELF_PAGEALIGN(end of the program's bss)
    k.brk_start = k.brk = page_align_up(program.end + prog.bias)
    k.vdso_sigtramp = vdso.sigtramp_return(False) if vdso else None
    if vdso is not None and vdso.vvar_base is not None:
        k.time.attach_vvar(k.mem, vdso.vvar_base)
    sp, argv_addr, argc, auxv = process.setup_stack(
        k.mem, argv, envp, path.encode() if execfn is None else execfn,
        phdr=prog.phdr, phnum=program.phnum, entry=prog.entry,
        interp_base=interp.base if interp else 0, vdso_base=vdso.auxv_ehdr if vdso else 0)
    k.auxv = auxv
    return ExecImage(program=prog, interp=interp, vdso=vdso,
                     entry=interp.entry if interp else prog.entry, sp=sp, argc=argc,
                     argv_addr=argv_addr, auxv=auxv, exec_stack=exec_stack)
