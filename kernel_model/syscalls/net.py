"""Sockets, as far as processes talk through them: socketpair(AF_UNIX), shutdown, and
send/recv on such sockets. Other address families stay unimplemented (ENOSYS)."""
from __future__ import annotations

import _socket        # the socket module's C half (all this needs): the Python half costs
                      # every run's start-up ~1.5 ms, and every run loads this family

from kernel_model import abi
from kernel_model.errors import SyscallError
from kernel_model.fdtable import OpenFile
from kernel_model.syscalls.common import rw_count, wait_fd, writable_extent
from kernel_model.syscalls.fs import host_write
from kernel_model.syscalls.registry import syscall

_TYPES = {abi.SOCK_STREAM: _socket.SOCK_STREAM, abi.SOCK_DGRAM: _socket.SOCK_DGRAM,
          abi.SOCK_SEQPACKET: _socket.SOCK_SEQPACKET}
_HOWS = {0: _socket.SHUT_RD, 1: _socket.SHUT_WR, 2: _socket.SHUT_RDWR}
_MSG_PASSED = abi.MSG_PEEK | abi.MSG_DONTWAIT | abi.MSG_WAITALL | abi.MSG_TRUNC | abi.MSG_EOR \
    | abi.MSG_NOSIGNAL | abi.MSG_OOB      # the generic values: the host's are the same


@syscall(56, "socketpair", "domain:int", "type:socket_type", "protocol:int", "sv:pipefd")
def sys_socketpair(k, domain, type_, protocol, sv):
    flags = type_ & ~0xF
    if flags & ~(abi.SOCK_CLOEXEC | abi.SOCK_NONBLOCK):
        return -abi.EINVAL
    if domain != abi.AF_UNIX:
        return -abi.EAFNOSUPPORT if domain not in (abi.AF_INET, abi.AF_INET6) else -abi.EOPNOTSUPP
    htype = _TYPES.get(type_ & 0xF)
    if htype is None:
        return -abi.EINVAL
    if protocol not in (0, 1):
        return -abi.EPROTONOSUPPORT
    k.mem.check(sv, 8, 2)
    a, b = _socket.socketpair(_socket.AF_UNIX, htype | _socket.SOCK_CLOEXEC)
    nonblock = bool(flags & abi.SOCK_NONBLOCK)
    fds = []
    for s in (a, b):
        s.setblocking(not nonblock)
        hfd = s.detach()
        of = OpenFile(hfd, b"socket:", abi.O_RDWR | (abi.O_NONBLOCK if nonblock else 0))
        try:
            fds.append(k.files.add(of, bool(flags & abi.SOCK_CLOEXEC)))
        except SyscallError:
            for fd in fds:
                k.files.close(fd)
            if s is a:
                b.close()
            raise
    k.mem.write(sv, fds[0].to_bytes(4, "big") + fds[1].to_bytes(4, "big"))
    return 0


def _sock(k, fd):
    of = k.files.get(fd)
    if of.kind != "sock":
        raise SyscallError(abi.ENOTSOCK)
    return of


@syscall(117, "shutdown", "fd:fd", "how:int")
def sys_shutdown(k, fd, how):
    of = _sock(k, fd)
    if how not in _HOWS:
        return -abi.EINVAL
    s = _socket.socket(fileno=of.host_fd)
    try:
        s.shutdown(_HOWS[how])
    finally:
        s.detach()
    return 0


def _send(k, fd, buf, length, flags, addr):
    of = _sock(k, fd)
    if addr:
        return -abi.EISCONN
    data = k.mem.read(buf, rw_count(length))
    if flags & ~_MSG_PASSED:
        return -abi.EOPNOTSUPP
    if not flags & abi.MSG_DONTWAIT:
        wait_fd(k, of, write=True)
    if not flags & ~(abi.MSG_NOSIGNAL | abi.MSG_DONTWAIT):
        if flags & abi.MSG_NOSIGNAL:
            s = _socket.socket(fileno=of.host_fd)
            try:
                return s.send(data, _socket.MSG_NOSIGNAL | (flags & abi.MSG_DONTWAIT))
            except BrokenPipeError:
                return -abi.EPIPE
            finally:
                s.detach()
        return host_write(k, of, data)
    s = _socket.socket(fileno=of.host_fd)
    try:
        return s.send(data, flags)
    except BrokenPipeError:
        k.signals.send_user(abi.SIGPIPE, abi.SI_USER, k.thread)
        return -abi.EPIPE
    finally:
        s.detach()


def _recv(k, fd, buf, length, flags, addr, addrlen):
    of = _sock(k, fd)
    if flags & ~_MSG_PASSED:
        return -abi.EOPNOTSUPP
    n = writable_extent(k, buf, rw_count(length))
    if not flags & abi.MSG_DONTWAIT:
        wait_fd(k, of)
    s = _socket.socket(fileno=of.host_fd)
    try:
        data = s.recv(n, flags)
    finally:
        s.detach()
    k.mem.write(buf, data)
    if addr and addrlen:
        k.mem.write_u32(addrlen, 0)          # an unnamed AF_UNIX peer
    return len(data)


@syscall(58, "send", "fd:fd", "buf:inbuf", "len:size", "flags:hex")
def sys_send(k, fd, buf, length, flags):
    return _send(k, fd, buf, length, flags, 0)


@syscall(82, "sendto", "fd:fd", "buf:inbuf", "len:size", "flags:hex", "dest_addr:ptr",
         "addrlen:uint")
def sys_sendto(k, fd, buf, length, flags, addr, addrlen):
    return _send(k, fd, buf, length, flags, addr)


@syscall(98, "recv", "fd:fd", "buf:outbuf", "len:size", "flags:hex")
def sys_recv(k, fd, buf, length, flags):
    return _recv(k, fd, buf, length, flags, 0, 0)


@syscall(123, "recvfrom", "fd:fd", "buf:outbuf", "len:size", "flags:hex", "src_addr:ptr",
         "addrlen:ptr")
def sys_recvfrom(k, fd, buf, length, flags, addr, addrlen):
    return _recv(k, fd, buf, length, flags, addr, addrlen)
