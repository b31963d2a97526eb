"""Memory: brk, mmap/mmap2/munmap/mprotect/mremap/msync/madvise/mincore/mlock.

Layout as Linux parisc for a 32-bit task: the break grows up from the end of the program;
mmap hands out addresses top-down below ``k.mmap_base`` (the top of the stack reservation)
with ``GuestMemory.find_free``; hints are honoured when the range is free; nothing is ever
mapped below ``MMAP_MIN_ADDR`` (64 KiB, the usual vm.mmap_min_addr) or at/above TASK_SIZE.
Private file mappings are the host file's pages, copy-on-write (of a regular file; any
other is copied at map time); shared file mappings keep a host fd and are written back to
the file by msync/munmap/exit.
"""
from __future__ import annotations

import fcntl
import os
import stat

from hppa_user.memory import PAGE_MASK, PAGE_SHIFT, PERM_MAPPED
from kernel_model import abi
from kernel_model.errors import SyscallError
from kernel_model.guestroot import guest_view
from kernel_model.syscalls.registry import syscall
from kernel_model.vm import prot_to_perm, write_back

MMAP_MIN_ADDR = 0x10000
M32 = 0xFFFFFFFF


def _align_up(x: int) -> int:
    return (x + PAGE_MASK) & ~PAGE_MASK


def range_free(k, start: int, length: int) -> bool:
    first, last = start >> PAGE_SHIFT, (start + length) >> PAGE_SHIFT
    return not k.mem.any_page(first, last, PERM_MAPPED)


def _top(k) -> int:
    return k.mmap_base or abi.TASK_SIZE


def get_unmapped_area(k, length: int, hint: int = 0) -> int:
    if hint:
        hint = _align_up(hint)
        if MMAP_MIN_ADDR <= hint and hint + length <= abi.TASK_SIZE and range_free(k, hint, length):
            return hint
    addr = k.mem.find_free(length, _top(k), MMAP_MIN_ADDR)
    if addr < 0:
        # nothing below mmap_base: try the space above the stack reservation too
        addr = k.mem.find_free(length, abi.TASK_SIZE, _top(k))
    if addr < 0:
        raise SyscallError(abi.ENOMEM)
    return addr


def unmap_range(k, start: int, end: int) -> None:
    """Remove [start, end): write back shared file pages, forget VMAs, unmap pages."""
    for v in k.vm.overlapping(start, end):
        if v.shared and not v.anon and v.host_fd is not None:
            write_back(k, v, max(v.start, start), min(v.end, end))
    removed = k.vm.remove(start, end)
    k.mem.unmap(start, end - start)
    _close_orphan_fds(k, removed)


def _close_orphan_fds(k, removed) -> None:
    live = {v.host_fd for v in k.vm.vmas if v.host_fd is not None}
    for v in removed:
        if v.host_fd is not None and v.host_fd not in live:
            try:
                os.close(v.host_fd)
            except OSError:
                pass
            live.add(v.host_fd)


def do_mmap(k, addr: int, length: int, prot: int, flags: int, fd: int, offset: int) -> int:
    if length == 0:
        return -abi.EINVAL
    maptype = flags & abi.MAP_TYPE
    if maptype not in (abi.MAP_SHARED, abi.MAP_PRIVATE, abi.MAP_SHARED_VALIDATE):
        return -abi.EINVAL
    if maptype == abi.MAP_SHARED_VALIDATE:
        known = (abi.MAP_TYPE | abi.MAP_FIXED | abi.MAP_ANONYMOUS | abi.MAP_DENYWRITE
                 | abi.MAP_EXECUTABLE | abi.MAP_LOCKED | abi.MAP_NORESERVE | abi.MAP_GROWSDOWN
                 | abi.MAP_POPULATE | abi.MAP_NONBLOCK | abi.MAP_STACK | abi.MAP_HUGETLB
                 | abi.MAP_FIXED_NOREPLACE)
        if flags & ~known:
            return -abi.EOPNOTSUPP
    if prot & ~(abi.PROT_READ | abi.PROT_WRITE | abi.PROT_EXEC | abi.PROT_SEM):
        return -abi.EINVAL
    if flags & abi.MAP_HUGETLB:
        return -abi.EINVAL
    length_al = _align_up(length)
    if length_al == 0 or length_al > abi.TASK_SIZE:
        return -abi.ENOMEM
    if offset & PAGE_MASK:
        return -abi.EINVAL
    if offset + length_al > (1 << 44):   # pgoff overflow on 32-bit
        return -abi.EOVERFLOW
    shared = maptype != abi.MAP_PRIVATE
    anon = bool(flags & abi.MAP_ANONYMOUS)
    of = None
    if not anon:
        of = k.files.get(fd)
        if of.flags & abi.O_PATH:
            return -abi.EBADF
        if of.kind == "dir":
            return -abi.ENODEV
        if of.kind in ("pipe", "sock") or of.is_tty:
            return -abi.ENODEV
        acc = of.flags & abi.O_ACCMODE
        if acc == abi.O_WRONLY:
            return -abi.EACCES
        if shared and prot & abi.PROT_WRITE and acc != abi.O_RDWR:
            return -abi.EACCES
    fixed = flags & (abi.MAP_FIXED | abi.MAP_FIXED_NOREPLACE)
    if fixed:
        if addr & PAGE_MASK:
            return -abi.EINVAL
        if addr + length_al > abi.TASK_SIZE:
            return -abi.ENOMEM
        if addr < MMAP_MIN_ADDR:
            return -abi.EPERM
        if flags & abi.MAP_FIXED_NOREPLACE and not flags & abi.MAP_FIXED:
            if not range_free(k, addr, length_al):
                return -abi.EEXIST
        start = addr
    else:
        start = get_unmapped_area(k, length_al, addr)
    try:
        map_pages(k, start, length_al, prot, shared=shared,
                  host_fd=of.host_fd if of is not None else None, offset=offset)
    except IsADirectoryError:
        return -abi.ENODEV
    return start


def map_pages(k, start: int, length: int, prot: int, *, shared: bool = False,
              host_fd: int | None = None, offset: int = 0) -> None:
    """Make the page-aligned range [start, start+length) one mapping, replacing whatever
    was there: zero pages, or with ``host_fd`` the file's bytes from ``offset`` (bytes past
    the end of the file read as zero).  Private, of a regular file: the host file's pages,
    copy-on-write (GuestMemory.map_file: nothing is read until the guest touches a page);
    else copied now (shared: a duplicate fd is kept for write-back), the file read before
    the address space changes, so that a failure leaves it as it was.  exec maps program
    segments through this too."""
    end = start + length
    data = b""
    from_file = 0                   # bytes of the range mapped from the host file itself
    dup_fd = None
    st = None
    path = b""
    if host_fd is not None:
        st = os.fstat(host_fd)
        if not shared and stat.S_ISREG(st.st_mode):
            from_file = min(length, _align_up(max(0, st.st_size - offset)))
        else:
            data = os.pread(host_fd, length, offset)
        try:
            path = guest_view(k, os.fsencode(os.readlink(f"/proc/self/fd/{host_fd}")))
        except OSError:
            pass
        if shared:
            dup_fd = os.dup(host_fd)
            os.set_inheritable(dup_fd, False)
    unmap_range(k, start, end)                        # (its pages are zero now)
    k.mem.map(start, length, prot_to_perm(prot), zero=False)
    if from_file and not k.mem.map_file(start, from_file, host_fd, offset):
        data = os.pread(host_fd, from_file, offset)  # (a file the host cannot map)
    if data:
        k.mem.poke(start, data)
    if host_fd is not None:
        # pages wholly past the end of the file: mapped, but no access (SIGBUS, traps.py)
        eof = min(end, start + _align_up(max(0, st.st_size - offset)))
        v = k.vm.add(start, end, prot, shared=shared, path=path, offset=offset, dev=st.st_dev,
                     ino=st.st_ino, host_fd=dup_fd, anon=False, eof=eof if eof < end else None)
        forbid_past_eof(k, [v], start, end)
    else:
        k.vm.add(start, end, prot, shared=shared)


def forbid_past_eof(k, vmas, start: int, end: int) -> None:
    """Take every right from the pages of ``vmas`` in [start, end) that lie past the end of
    their file: the CPU then stops there and the kernel sends SIGBUS."""
    for v in vmas:
        part = v.past_eof(start, end)
        if part:
            k.mem.protect(part[0], part[1] - part[0], 0)


@syscall(90, "mmap", "addr:ptr", "length:size", "prot:prot", "flags:mmap_flags", "fd:fd",
         "offset:offhex", ret="hex")
def sys_mmap(k, addr, length, prot, flags, fd, offset):
    return do_mmap(k, addr, length, prot, flags, fd, offset)


@syscall(89, "mmap2", "addr:ptr", "length:size", "prot:prot", "flags:mmap_flags", "fd:fd",
         "pgoffset:offhex", ret="hex")
def sys_mmap2(k, addr, length, prot, flags, fd, pgoff):
    return do_mmap(k, addr, length, prot, flags, fd, pgoff << 12)


@syscall(91, "munmap", "addr:ptr", "length:size")
def sys_munmap(k, addr, length):
    if addr & PAGE_MASK or length == 0:
        return -abi.EINVAL
    length = _align_up(length)
    if addr + length > abi.TASK_SIZE:
        return -abi.EINVAL
    unmap_range(k, addr, addr + length)
    return 0


@syscall(125, "mprotect", "addr:ptr", "length:size", "prot:prot")
def sys_mprotect(k, addr, length, prot):
    if addr & PAGE_MASK:
        return -abi.EINVAL
    if prot & ~(abi.PROT_READ | abi.PROT_WRITE | abi.PROT_EXEC | abi.PROT_SEM
                | abi.PROT_GROWSDOWN | abi.PROT_GROWSUP):
        return -abi.EINVAL
    if prot & abi.PROT_GROWSDOWN and prot & abi.PROT_GROWSUP:
        return -abi.EINVAL
    length = _align_up(length)
    if length == 0:
        return 0
    if addr + length > abi.TASK_SIZE:
        return -abi.ENOMEM
    first, last = addr >> PAGE_SHIFT, (addr + length) >> PAGE_SHIFT
    if not k.mem.all_pages(first, last, PERM_MAPPED):
        return -abi.ENOMEM
    # a shared mapping of a file opened read-only cannot become writable
    if prot & abi.PROT_WRITE:
        for v in k.vm.overlapping(addr, addr + length):
            if v.shared and not v.anon and v.host_fd is not None:
                try:
                    if fcntl.fcntl(v.host_fd, fcntl.F_GETFL) & os.O_ACCMODE != os.O_RDWR:
                        return -abi.EACCES
                except OSError:
                    pass
    prot &= abi.PROT_READ | abi.PROT_WRITE | abi.PROT_EXEC | abi.PROT_SEM
    k.mem.protect(addr, length, prot_to_perm(prot))
    k.vm.protect(addr, addr + length, prot)
    forbid_past_eof(k, k.vm.overlapping(addr, addr + length), addr, addr + length)
    return 0


@syscall(45, "brk", "addr:ptr", ret="hex")
def sys_brk(k, addr):
    """Linux semantics: returns the new break, or the old one when the request fails."""
    if addr < k.brk_start or addr > abi.TASK_SIZE:
        return k.brk
    old_top, new_top = _align_up(k.brk), _align_up(addr)
    if new_top > old_top:
        # must not run into another mapping
        if not range_free(k, old_top, new_top - old_top):
            return k.brk
        if new_top - k.brk_start > k.info.rlimits[abi.RLIMIT_DATA][0]:
            return k.brk
        k.mem.map(old_top, new_top - old_top, prot_to_perm(abi.PROT_READ | abi.PROT_WRITE))
    elif new_top < old_top:
        unmap_range(k, new_top, old_top)
    k.brk = addr
    return k.brk


@syscall(163, "mremap", "old_address:ptr", "old_size:size", "new_size:size", "flags:hex",
         "new_address:ptr", ret="hex")
def sys_mremap(k, old, old_size, new_size, flags, new_addr):
    if flags & ~(abi.MREMAP_MAYMOVE | abi.MREMAP_FIXED | abi.MREMAP_DONTUNMAP):
        return -abi.EINVAL
    if flags & abi.MREMAP_FIXED and not flags & abi.MREMAP_MAYMOVE:
        return -abi.EINVAL
    if flags & abi.MREMAP_DONTUNMAP:
        return -abi.EINVAL
    if old & PAGE_MASK:
        return -abi.EINVAL
    old_size, new_size = _align_up(old_size), _align_up(new_size)
    if new_size == 0 or new_size > abi.TASK_SIZE:
        return -abi.EINVAL
    if old_size == 0:
        return -abi.EINVAL
    if old + old_size > abi.TASK_SIZE:
        return -abi.EFAULT
    first, last = old >> PAGE_SHIFT, (old + old_size) >> PAGE_SHIFT
    if not k.mem.all_pages(first, last, PERM_MAPPED):
        return -abi.EFAULT
    v = k.vm.find(old)
    if flags & abi.MREMAP_FIXED:
        if new_addr & PAGE_MASK or new_addr < MMAP_MIN_ADDR or new_addr + new_size > abi.TASK_SIZE:
            return -abi.EINVAL
        if new_addr < old + old_size and old < new_addr + new_size:
            return -abi.EINVAL
        return _move(k, old, old_size, new_size, new_addr, v)
    if new_size <= old_size:
        if new_size < old_size:
            unmap_range(k, old + new_size, old + old_size)
        return old
    # grow in place?
    if old + new_size <= abi.TASK_SIZE and range_free(k, old + old_size, new_size - old_size):
        perm = k.mem.perm[(old + old_size - 1) >> PAGE_SHIFT] & 7
        k.mem.map(old + old_size, new_size - old_size, perm)
        if v is not None:
            k.vm.add(old + old_size, old + new_size, v.prot, shared=v.shared, name=v.name,
                     path=v.path, dev=v.dev, ino=v.ino, host_fd=v.host_fd, anon=v.anon,
                     offset=v.offset + (old + old_size - v.start))
        return old
    if not flags & abi.MREMAP_MAYMOVE:
        return -abi.ENOMEM
    dest = get_unmapped_area(k, new_size)
    return _move(k, old, old_size, new_size, dest, v)


def _move(k, old, old_size, new_size, dest, v):
    keep = min(old_size, new_size)
    data = bytes(k.mem.mem[old:old + keep])
    perms = k.mem.mapping_perms(old >> PAGE_SHIFT, (old + keep) >> PAGE_SHIFT)
    unmap_range(k, dest, dest + new_size)
    k.mem.map(dest, new_size, perms[-1] & 7 if perms else 3)
    k.mem.poke(dest, data)
    k.mem.perm[dest >> PAGE_SHIFT:(dest + keep) >> PAGE_SHIFT] = perms
    if v is not None:
        k.vm.add(dest, dest + new_size, v.prot, shared=v.shared, name=v.name, path=v.path,
                 offset=v.offset + (old - v.start), dev=v.dev, ino=v.ino,
                 host_fd=os.dup(v.host_fd) if v.host_fd is not None else None, anon=v.anon)
    unmap_range(k, old, old + old_size)
    return dest


@syscall(144, "msync", "addr:ptr", "length:size", "flags:msync_flags")
def sys_msync(k, addr, length, flags):
    if addr & PAGE_MASK:
        return -abi.EINVAL
    if flags & ~(abi.MS_ASYNC | abi.MS_INVALIDATE | abi.MS_SYNC):
        return -abi.EINVAL
    if flags & abi.MS_ASYNC and flags & abi.MS_SYNC:
        return -abi.EINVAL
    length = _align_up(length)
    if addr + length > abi.TASK_SIZE:
        return -abi.ENOMEM
    first, last = addr >> PAGE_SHIFT, (addr + length) >> PAGE_SHIFT
    if length and not k.mem.all_pages(first, last, PERM_MAPPED):
        return -abi.ENOMEM
    k.vm.sync_range(k, addr, addr + length)
    return 0


_MADV_OK = {0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
            65, 66, 67, 68, 69, 70, 71, 72, 100, 101}


@syscall(119, "madvise", "addr:ptr", "length:size", "advice:madv")
def sys_madvise(k, addr, length, advice):
    if addr & PAGE_MASK or advice not in _MADV_OK:
        return -abi.EINVAL
    length = _align_up(length)
    if length == 0:
        return 0
    if addr + length > abi.TASK_SIZE:
        return -abi.EINVAL if addr >= abi.TASK_SIZE else -abi.ENOMEM
    first, last = addr >> PAGE_SHIFT, (addr + length) >> PAGE_SHIFT
    if not k.mem.all_pages(first, last, PERM_MAPPED):
        return -abi.ENOMEM
    if advice in (abi.MADV_DONTNEED, abi.MADV_FREE, abi.MADV_REMOVE):
        # private memory reads back as zero (anonymous) or as the file (file-backed); shared
        # mappings, and private file pages (they would need the file again), are kept
        start, end = addr, addr + length
        keep = [(max(v.start, start), min(v.end, end)) for v in k.vm.overlapping(start, end)
                if v.shared or (not v.anon and advice == abi.MADV_DONTNEED)]
        pos = start
        for ks, ke in keep + [(end, end)]:
            if ks > pos:
                k.mem.zero(pos, ks - pos)
            pos = max(pos, ke)
    return 0


@syscall(72, "mincore", "addr:ptr", "length:size", "vec:ptr")
def sys_mincore(k, addr, length, vec):
    if addr & PAGE_MASK:
        return -abi.EINVAL
    n = (length + PAGE_MASK) >> PAGE_SHIFT
    if addr + (n << PAGE_SHIFT) > abi.TASK_SIZE:
        return -abi.ENOMEM
    first = addr >> PAGE_SHIFT
    if not k.mem.all_pages(first, first + n, PERM_MAPPED):
        return -abi.ENOMEM
    k.mem.write(vec, b"\x01" * n)
    return 0


def _mlock_range(k, addr, length):
    start = addr & ~PAGE_MASK
    end = _align_up(addr + length)
    if end > abi.TASK_SIZE:
        return -abi.ENOMEM
    if end > start and not k.mem.all_pages(start >> PAGE_SHIFT, end >> PAGE_SHIFT, PERM_MAPPED):
        return -abi.ENOMEM
    return 0


@syscall(150, "mlock", "addr:ptr", "len:size")
def sys_mlock(k, addr, length):
    return _mlock_range(k, addr, length)


@syscall(151, "munlock", "addr:ptr", "len:size")
def sys_munlock(k, addr, length):
    return _mlock_range(k, addr, length)


@syscall(345, "mlock2", "addr:ptr", "len:size", "flags:hex")
def sys_mlock2(k, addr, length, flags):
    if flags & ~1:
        return -abi.EINVAL
    return _mlock_range(k, addr, length)


@syscall(152, "mlockall", "flags:hex")
def sys_mlockall(k, flags):
    if not flags or flags & ~7 or flags == 4:
        return -abi.EINVAL
    return 0


@syscall(153, "munlockall")
def sys_munlockall(k):
    return 0

