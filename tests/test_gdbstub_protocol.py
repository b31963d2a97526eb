"""The gdb stub without gdb: packet framing and checksums, register packing in gdb's hppa
numbering, answers to good and bad packets, single-stepping through delay slots and
nullification over the wire, and what happens on disconnect, kill, detach and a taken port.

Expected values come from the protocol's definition (gdb's docs, signals.def,
hppa-tdep.c's register names), the ELF file itself, and the hand-derived execution order of
tests/asm/trace_paths.S (tests/test_trace.py).

Runtime: ~20 s.
"""
from __future__ import annotations

import re
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO_ROOT, emulator_command, guest_env
from kernel_model import abi
from kernel_model import gdbstub as G
from kernel_model.machine import Machine
from kernel_model.sched import Thread
from test_trace import EXPECTED, asm_prog, labels, objdump_text  # noqa: F401 (fixture)

HELLO = REPO_ROOT / "hppa_user" / "examples" / "hello"


# -- framing ------------------------------------------------------------------------------
def test_checksum_and_frame():
    assert G.checksum(b"") == 0
    assert G.frame(b"OK") == b"$OK#9a"                     # 'O' + 'K' = 0x4f + 0x4b
    assert G.frame(b"qSupported") == b"$qSupported#37"


def test_escape_roundtrip_and_rle():
    data = bytes(range(256))
    esc = G.escape(data)
    assert b"#" not in esc and b"$" not in esc and b"*" not in esc
    assert G.unescape(esc) == data
    assert G.escape(b"}") == b"}]"                         # 0x7d ^ 0x20 = 0x5d
    assert G.expand_rle(b"0* ") == b"0" * 4                # ' ' = 32: 3 more repeats
    assert G.expand_rle(b"abc") == b"abc"


def test_reader_splits_acks_interrupts_and_bad_checksums():
    r = G.PacketReader()
    events = r.feed(b"+$g#67\x03junk$m0,4#fd$m0,4#00-")
    assert events[0] == b"+" and events[1] == b"g" and events[2] is G.INTERRUPT
    assert events[3] == b"m0,4" and events[4] is None and events[5] == b"-"
    assert r.feed(b"$qC#b") == []                          # incomplete: waits for more
    assert r.feed(b"4") == [b"qC"]


# -- registers ----------------------------------------------------------------------------
@pytest.fixture
def machine():
    return Machine(str(HELLO), [str(HELLO)], env={})


def test_register_numbering(machine):
    m = cpu = machine.ctx
    for i in range(1, 32):
        m.gr[i] = 0x01010101 * i
    m.cr[11] = 19
    m.fr[4] = 0x1122334455667788
    m.fr[0] = 0x0000000400000000                # status word in the high half of fr0
    m.sr[4] = 0x1234
    m.cr[27] = 0xCAFE
    m.iaoq_f, m.iaoq_b = 0x10400, 0x10500
    m.psw_n = 1
    regs = G.pack_registers(cpu)
    assert len(regs) == 128 * 8
    word = [int(regs[8 * n:8 * n + 8], 16) for n in range(128)]
    assert word[1:32] == [(0x01010101 * i) & 0xFFFFFFFF for i in range(1, 32)]
    assert word[32] == 19                                   # sar
    assert word[33] == 0x10403 and word[35] == 0x10503      # pcoqh / pcoqt, privilege 3
    assert word[34] == word[36] == 0x1234                   # pcsqh / pcsqt: the user space
    assert word[0] == word[41] == abi.USER_PSW | abi.PSW_N  # flags, ipsw: the kernel's PSW
    assert word[43] == 0x1234                               # sr4
    assert word[60] == 0xCAFE                               # cr27 (gdb: cr24 at 57)
    assert word[64] == 4                                    # fpsr = fr0 high
    assert word[72] == 0x11223344 and word[73] == 0x55667788   # fr4, fr4R
    assert G.REGISTER_NAMES[72:74] == ["fr4", "fr4R"] and G.REGISTER_NAMES[30] == "sp"


def test_register_writes(machine):
    m = cpu = machine.ctx
    stub_like = G.REGISTER_NAMES.index
    G.write_register(cpu, stub_like("ret0"), 0xDEADBEEF)
    assert int(m.gr[28]) == 0xDEADBEEF
    G.write_register(cpu, stub_like("sar"), 0x12345678)
    assert int(m.cr[11]) == 0x18                            # 5 bits
    G.write_register(cpu, stub_like("fr5R"), 0x3F800000)
    G.write_register(cpu, stub_like("fr5"), 0x40000000)
    assert int(m.fr[5]) == 0x400000003F800000
    m.psw_n = 1
    G.write_register(cpu, stub_like("pcoqh"), 0x10803)      # a new pc: nothing nullified
    G.write_register(cpu, stub_like("pcoqt"), 0x10807)
    assert (m.iaoq_f, m.iaoq_b, m.psw_n) == (0x10800, 0x10804, 0)
    G.write_register(cpu, stub_like("ipsw"), abi.PSW_N)
    assert m.psw_n == 1
    G.write_register(cpu, stub_like("cr24"), 5)             # privileged: ignored
    assert int(m.cr[24]) == 0
    # inside the gateway page (a stop in a syscall) the pc is the return address
    m.iaoq_f, m.gr[31] = 0x100, 0x10A03
    assert G.read_register(cpu, stub_like("pcoqh")) == 0x10A03


def test_signal_numbers():
    assert G.to_gdb_signal(abi.SIGUSR1) == 30 and G.to_gdb_signal(abi.SIGSEGV) == 11
    assert G.to_gdb_signal(abi.SIGCHLD) == 20 and G.to_gdb_signal(abi.SIGSYS) == 12
    assert G.to_gdb_signal(abi.SIGSTKFLT) == 143           # gdb has none: unknown
    assert G.to_gdb_signal(32) == 77 and G.to_gdb_signal(33) == 45 and G.to_gdb_signal(64) == 78
    assert G.from_gdb_signal(30) == abi.SIGUSR1 and G.from_gdb_signal(0) == 0


# -- packets, in process ------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def stub(machine):
    s = G.GdbStub(machine, free_port())
    yield s
    s.close()


def test_answers(stub, machine):
    h = stub.handle
    for feature in ("qXfer:auxv:read+", "qXfer:exec-file:read+", "swbreak+", "vContSupported+"):
        assert feature in h(b"qSupported")
    assert h(b"qC") == f"QC{machine.kernel.pid:x}"           # no multiprocess: plain TID
    assert "PacketSize=4000" in h(b"qSupported:multiprocess+;swbreak+")
    assert h(b"qC") == f"QCp{machine.kernel.pid:x}.{machine.kernel.pid:x}"
    assert h(b"qAttached") == "0" and h(b"qfThreadInfo").startswith("mp")
    assert h(b"vCont?") == "vCont;c;C;s;S"
    assert h(b"qNoSuchThing") == "" and h(b"!") == ""      # unknown: empty reply
    assert h(b"m0,4") == "E14"                              # page zero is never mapped
    assert h(b"mzz,4") == "E01" and h(b"Z0,nothex,4") == "E01" and h(b"P1=12") == "E01"
    assert h(b"p200") == "E01"
    # memory: the ELF header where the program's first PT_LOAD maps it
    assert bytes.fromhex(h(b"m10000,4")) == b"\x7fELF"
    assert h(b"M10000,2:4142") == "OK" and bytes.fromhex(h(b"m10000,2")) == b"AB"
    assert h(b"X10000,2:CD") == "OK" and bytes.fromhex(h(b"m10000,2")) == b"CD"
    assert h(b"M0,1:00") == "E14"


def test_auxv_and_exec_file(stub, machine):
    data = stub.handle(b"qXfer:auxv:read::0,1000")
    assert data[:1] == b"l"
    pairs = struct.unpack(f">{(len(data) - 1) // 4}I", G.unescape(data[1:]))
    auxv = dict(zip(pairs[::2], pairs[1::2]))
    entry = struct.unpack(">I", HELLO.read_bytes()[24:28])[0]   # e_entry of the ELF header
    assert auxv[9] == entry and auxv[6] == 4096                 # AT_ENTRY, AT_PAGESZ
    assert auxv[33] == machine.vdso.base                        # AT_SYSINFO_EHDR
    assert bytes.fromhex(stub.handle(b"m%x,4" % auxv[33])) == b"\x7fELF"
    assert stub.handle(b"qXfer:exec-file:read:1:0,1000") == b"l" + str(HELLO).encode()
    part = stub.handle(b"qXfer:auxv:read::0,8")
    assert part[:1] == b"m"                                     # more follows


def test_vfile_serves_the_guests_maps(stub, machine):
    pid = machine.kernel.pid
    path = f"/proc/{pid}/task/{pid}/maps".encode().hex()
    fd = stub.handle(f"vFile:open:{path},0,1c0".encode())
    assert fd.startswith(b"F")
    got = stub.handle(b"vFile:pread:%s,1000,0" % fd[1:])
    text = G.unescape(got.split(b";", 1)[1]).decode()
    assert f"{machine.vdso.base:08x}-" in text and "[vdso]" in text
    assert stub.handle(b"vFile:close:%s" % fd[1:]) == b"F0"
    assert stub.handle(b"vFile:pread:99,10,0") == b"F-1,9"      # EBADF
    assert stub.handle(b"vFile:open:%s,1,0" % b"/tmp/x".hex().encode()) == b"F-1,1e"   # EROFS
    missing = b"/no/such/file".hex().encode()
    assert stub.handle(b"vFile:open:%s,0,0" % missing) == b"F-1,2"   # ENOENT


def test_breakpoint_lives_in_the_decode_cache(stub, machine):
    entry = machine.image.entry
    before = stub.handle(b"m%x,4" % entry)
    assert stub.handle(b"Z0,%x,4" % entry) == "OK"
    assert entry in machine.cpu.breakpoints
    slot = int(machine.mem.page_slot[entry >> 12])
    assert slot >= 0                                            # planted in a decode slot
    assert stub.handle(b"m%x,4" % entry) == before              # memory is untouched
    assert stub.handle(b"z0,%x,4" % entry) == "OK" and entry not in machine.cpu.breakpoints
    assert stub.handle(b"Z2,10000,4") == "OK" and stub.handle(b"z2,10000,4") == "OK"
    assert stub.handle(b"Z1,10000,4") == ""                     # hardware breakpoints: no


def test_threads_listed_selected_and_resumed(stub, machine):
    """Two more guest threads (as clone makes them: a saved CpuContext each): qfThreadInfo
    lists all three, Hg makes g/p/P read and write the selected thread's saved registers
    (the running thread's are the live context), T says which are alive, vCont names the
    thread that runs first and whether the others run too."""
    h, k = stub.handle, machine.kernel
    pid = k.pid
    extra = []
    for tid, r26 in ((pid + 100, 0x111), (pid + 200, 0x222)):
        t = Thread(tid)
        machine.ctx.save_thread(t.ctx)
        t.ctx.gr[26] = r26
        t.ctx.iaoq_f, t.ctx.iaoq_b = 0x10400 + r26 * 4, 0x10404 + r26 * 4
        k.sched.add(t)
        extra.append(t)
    machine.ctx.gr[26] = 0x999
    assert h(b"qfThreadInfo") == f"m{pid:x},{pid + 100:x},{pid + 200:x}"   # plain TIDs
    assert h(b"qsThreadInfo") == "l"
    h(b"qSupported:multiprocess+")
    ids = [f"p{pid:x}.{tid:x}" for tid in (pid, pid + 100, pid + 200)]
    assert h(b"qfThreadInfo") == "m" + ",".join(ids) and h(b"qsThreadInfo") == "l"
    assert h(b"qC") == f"QC{ids[0]}"
    assert h(b"p1a") == "00000999"                              # the running thread
    assert h(f"Hg{ids[2]}".encode()) == "OK"
    assert h(b"p1a") == "00000222"
    regs = h(b"g")
    assert int(regs[26 * 8:27 * 8], 16) == 0x222
    assert int(regs[33 * 8:34 * 8], 16) == (0x10400 + 0x222 * 4) | 3   # its pcoqh
    assert h(b"P1a=00000abc") == "OK" and int(extra[1].ctx.gr[26]) == 0xABC
    assert int(machine.ctx.gr[26]) == 0x999                     # the live one untouched
    assert h(f"Hg{ids[1]}".encode()) == "OK" and h(b"p1a") == "00000111"
    assert h(b"Hg0") == "OK" and h(b"p1a") == "00000999"        # any: the running one
    assert h(f"Hgp{pid:x}.{pid + 7:x}".encode()) == "E01"        # no such thread
    assert h(b"Hgp1.zz") == "E01" and h(b"Hx0") == "E01"
    assert h(f"T{ids[1]}".encode()) == "OK" and h(f"Tp{pid:x}.{pid + 7:x}".encode()) == "E01"
    assert h(f"Tp{pid + 1:x}.{pid + 100:x}".encode()) == "E01"   # another process
    extra_info = bytes.fromhex(h(f"qThreadExtraInfo,{ids[1]}".encode())).decode()
    assert extra_info.endswith(", runnable")
    assert bytes.fromhex(h(f"qThreadExtraInfo,{ids[0]}".encode())).decode().endswith(", running")
    r = h(f"vCont;s:{ids[1]};c".encode())                       # step one, the rest go on
    assert (r.action, r.thread, r.hold) == ("step", extra[0], False)
    r = h(f"vCont;s:{ids[2]}".encode())                         # scheduler-locking
    assert (r.action, r.thread, r.hold) == ("step", extra[1], True)
    r = h(f"vCont;C0b:{ids[1]};c:p{pid:x}.-1".encode())
    assert (r.action, r.sig, r.thread, r.hold) == ("continue", abi.SIGSEGV, extra[0], False)
    r = h(b"vCont;c")
    assert (r.action, r.thread, r.hold) == ("continue", None, False)
    assert h(b"vCont;x") == "E01"
    # one exits: gone from the list, no longer alive
    k.sched.remove(extra[0])
    assert h(b"qfThreadInfo") == f"m{ids[0]},{ids[2]}"
    assert h(f"T{ids[1]}".encode()) == "E01"


def test_long_thread_list_comes_in_packets(stub, machine):
    k = machine.kernel
    for i in range(3000):
        k.sched.add(Thread(k.pid + 1 + i))
    stub.handle(b"qSupported:multiprocess+")
    got, part = [], stub.handle(b"qfThreadInfo")
    while part != "l":
        assert part[0] == "m" and len(part) < G.PACKET_SIZE
        got += part[1:].split(",")
        part = stub.handle(b"qsThreadInfo")
    assert got == [f"p{k.pid:x}.{t:x}" for t in range(k.pid, k.pid + 3001)]


# -- over the wire, against `hppa-user run -g` ----------------------------------------------
class Client:
    """A minimal gdb: sends packets, checks acknowledgements and checksums of replies."""

    def __init__(self, port: int):
        deadline = time.monotonic() + 120
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
                break
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.buf = b""

    def raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_byte(self) -> bytes:
        if not self.buf:
            self.buf = self.sock.recv(65536)
            if not self.buf:
                raise EOFError
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def reply(self) -> bytes:
        while self.read_byte() != b"$":
            pass
        payload = b""
        while (c := self.read_byte()) != b"#":
            payload += c
        cs = self.read_byte() + self.read_byte()
        assert int(cs, 16) == G.checksum(payload)
        self.raw(b"+")
        return payload

    def ask(self, payload: bytes) -> bytes:
        self.raw(G.frame(payload))
        assert self.read_byte() == b"+"
        return self.reply()


def serve(program, *args, options=()):
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen([*emulator_command(), "run", *options, "-g", str(port),
                                 str(program), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=guest_env())
        time.sleep(0.2)
        if proc.poll() is None:
            return proc, port
        proc.communicate()
    raise AssertionError("no free port")


def finish(proc, timeout=120):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out.decode(), err.decode()


def test_single_step_follows_delay_slots_and_nullification(asm_prog):  # noqa: F811
    """Step trace_paths.S one instruction at a time: after each step the front of the
    instruction queue and PSW[N] must be the next row of the hand-derived order (nullified
    slots included: the step consumes them), and the last step's syscall is exit(0)."""
    lab = labels(asm_prog)
    text = objdump_text(asm_prog)
    where = {t: a for a, t in text.items()}
    rows = [(where[re.sub(r"L\d", lambda m: f"{lab[m.group(0)]:x}", t)], n)
            for t, n in EXPECTED[:-1]]
    proc, port = serve(asm_prog)
    c = Client(port)
    assert c.ask(b"?").startswith(b"T05")
    seen = []
    for _ in rows:
        pc = int(c.ask(b"p21"), 16)
        ipsw = int(c.ask(b"p29"), 16)
        seen.append((pc & ~3, bool(ipsw & abi.PSW_N)))
        stop = c.ask(b"vCont;s")
    assert seen == rows
    assert stop.startswith(b"W00")
    assert finish(proc)[0] == 0


def test_bad_checksum_is_naked_and_gdb_going_away_lets_the_guest_finish():
    proc, port = serve(HELLO, "x")
    c = Client(port)
    c.raw(b"$g#00")
    assert c.read_byte() == b"-"
    assert len(c.ask(b"g")) == 1024
    assert c.ask(b"qFoo") == b""
    c.sock.close()
    rc, out, err = finish(proc)
    assert rc == 0 and out.startswith("Hello, PA-RISC world! (argc=2)")
    assert "gdb went away; the guest continues" in err and "Traceback" not in err


def test_gdb_hanging_up_while_the_guest_runs(guest):
    """gdb goes away after `c`: SIGIO tells the stub, the guest runs on to its end."""
    binary = guest("#include <unistd.h>\nint main(void) { sleep(1); sleep(1); return 7; }")
    proc, port = serve(binary)
    c = Client(port)
    assert c.ask(b"Z0,4,4") == b"OK"              # not executable: a no-op breakpoint kept
    assert c.ask(b"z0,4,4") == b"OK"
    c.raw(G.frame(b"vCont;c"))
    assert c.read_byte() == b"+"
    time.sleep(0.05)
    c.sock.close()
    rc, out, err = finish(proc)
    assert rc == 7
    assert "gdb went away; the guest continues" in err and "Traceback" not in err


def test_kill_and_detach():
    proc, port = serve(HELLO)
    c = Client(port)
    assert c.ask(b"vKill;1") == b"OK"
    rc, out, err = finish(proc)
    assert rc == 128 + 9 and "killed by gdb" in err and out == ""
    proc, port = serve(HELLO)
    c = Client(port)
    c.raw(G.frame(b"k"))                           # the old kill packet: no reply
    rc, out, err = finish(proc)
    assert rc == 128 + 9 and "killed by gdb" in err
    proc, port = serve(HELLO)
    c = Client(port)
    assert c.ask(b"Z0,%x,4" % struct.unpack(">I", HELLO.read_bytes()[24:28])[0]) == b"OK"
    assert c.ask(b"D") == b"OK"                    # breakpoints go with the debugger
    rc, out, err = finish(proc)
    assert rc == 0 and out.startswith("Hello")


def test_interrupt_stops_a_running_guest(guest):
    binary = guest("int main(void) { for (;;) ; }")
    proc, port = serve(binary)
    c = Client(port)
    c.raw(G.frame(b"c"))
    assert c.read_byte() == b"+"
    time.sleep(1.0)
    c.raw(b"\x03")
    assert c.reply().startswith(b"T02")            # SIGINT
    assert c.ask(b"vKill;1") == b"OK"
    assert finish(proc)[0] == 137


def test_port_in_use_is_one_line_and_status_1():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        r = subprocess.run([*emulator_command(), "run", "-g", str(port), str(HELLO)],
                           capture_output=True, text=True, env=guest_env(), timeout=300)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"hppa-user: cannot listen for gdb on 127.0.0.1:{port}: Address already in use"]
    bad = subprocess.run([*emulator_command(), "run", "-g", "70000", str(HELLO)],
                         capture_output=True, text=True, env=guest_env(), timeout=300)
    assert bad.returncode == 1 and len(bad.stderr.strip().splitlines()) == 1
