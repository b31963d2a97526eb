"""The region compiler's worker: one process per guest process, started (posix_spawn) the
first time a batch is to be compiled and fed batches over a pipe for the rest of the run.

Why one long-lived worker and not one per batch: each costs the guest's process, and until
it has closed them (a started program: never opened) it would hold the guest's files
open, a pipe's reader waiting for its EOF.  Each batch carries what building its regions
reads of the guest (a :class:`CodeView` delta): the code pages the worker has not got at
their decode-cache slot (a slot is never reused before a flush, so a page at a slot
never changes), which instructions have run, and the entry counts of the batch's pages.
The worker is a fresh interpreter, not a fork of the guest's process (Worker says why):
it has nothing of the guest but its messages, and nothing of the run's code but
jit.RegionWorker.

The worker loads the compiler as soon as it has started (``compiler.prepare``), while the
guest goes on; it is started before the first batch (jit.PREPARE_AFTER), so that batch
waits for no import.  At the guest's exit with no worker yet, one is forked instead
(detach, end_process): its one message is made from its copy of the guest's process.

Messages are records of frames.py.  Guest -> worker: ``{"view": delta,
"batches": [[entry, ...], ...], "reply": bool}`` (and ``"size"``, the most instructions
of a region of these batches, for the first: jit.FIRST_REGION); worker -> guest: one result of
``compiler.work`` per batch when ``reply``.  Or ``{"weigh": [entry, ...], "pages": {page:
its 4 KiB}, "reply": True}``, targets to weigh (``compiler.weigh``: the worker has the
control-flow facts of instruction words, which the guest's process does not load), and
the reply ``{"paths": {entry: instructions}}``.  The last message (the guest's exit) asks
for no reply and may carry ``"lukewarm": {entry: entries}``, targets the worker weighs
itself (``compiler.pick_lukewarm``); it fills the code cache and ends when the pipe
closes.
"""
from __future__ import annotations

import _signal as signal    # (start-up rule: cli.py)
import fcntl
import os
import sys

from hppa_user import state as S
from hppa_user.frames import Frames, frame

PIPE_SIZE = 1 << 20          # a first batch's message carries its code pages: one write
F_SETPIPE_SZ = 1031
WORKER_NICE = 5              # see lower_priority


class CodeView:
    """What building a region reads of the guest, as of the batch's request: each code
    page's decode-cache slot and bytes, which decoded instructions have run, the entry
    counts on the batch's pages (native-table words), hooks, return points, jump targets,
    breakpoints, the entries of the regions installed."""

    def __init__(self):
        self.generation = -1
        self.pages: dict[int, tuple[int, bytes]] = {}    # page -> (slot, its 4 KiB)
        self.ran = b""               # bit (slot << 10 | word): decoded (has run), LSB first
        self.counts: dict[int, bytes] = {}    # slot -> its native-table words (int64)
        self.entries: dict[int, int] = {}     # batch entry -> its entries when requested
        self.hooks = b""             # hook addresses, int64 (the code cache's namespace)
        self.returns: set[int] = set()
        self.jumps: dict[int, list[int]] = {}  # register -> targets of jumps through it
        self.excluded: frozenset[int] = frozenset()
        self.installed: set[int] = set()    # entries of the regions installed (Region: stops)
        self.running = True          # the guest is running (False: compiling after its exit)

    def apply(self, delta: dict) -> None:
        if delta["generation"] != self.generation:      # a flush: every slot is new
            self.generation, self.pages = delta["generation"], {}
        data, pages = delta["data"], {}
        for page, slot in delta["slots"].items():
            have = self.pages.get(page)
            if page in data:
                pages[page] = (slot, data[page])
            elif have is not None and have[0] == slot:
                pages[page] = have
        self.pages = pages
        self.ran, self.counts, self.entries = delta["ran"], delta["counts"], delta["entries"]
        self.hooks, self.returns = delta["hooks"], set(delta["returns"])
        self.jumps = delta["jumps"]
        self.excluded = frozenset(delta["excluded"])
        self.installed = set(delta["installed"])

    # -- what Region reads -----------------------------------------------------------------
    def word(self, a: int) -> int:
        """The instruction word at ``a``; 0 (break 0,0) at a breakpoint or off the code."""
        have = self.pages.get(a >> 12)
        return 0 if have is None or a in self.excluded else page_word(have[1], a)

    def slot(self, page: int) -> int:
        have = self.pages.get(page)
        return -1 if have is None else have[0]

    def executed(self, slot: int, a: int) -> bool:
        i = (slot << 10) | ((a >> 2) & (S.SLOT_WORDS - 1))
        return slot >= 0 and (i >> 3) < len(self.ran) and bool(self.ran[i >> 3] >> (i & 7) & 1)

    def entries_of(self, entry: int):
        """How often the interpreter took branches to an address (None: not known); a
        native-table word from NATIVE_NEVER // 2 down marks code left to the interpreter."""
        def entries(a: int) -> int | None:
            if a == entry:
                return self.entries.get(entry)
            words = self.counts.get(self.slot(a >> 12))
            if words is None:
                return None
            i = ((a >> 2) & (S.SLOT_WORDS - 1)) * 8
            v = int.from_bytes(words[i:i + 8], "little", signed=True)
            return -v if S.NATIVE_NEVER // 2 < v <= 0 else None
        return entries

    def page_bytes(self, page: int) -> bytes:
        return self.pages[page][1]


def page_word(page: bytes | None, a: int) -> int:
    """The instruction word at ``a`` of its 4 KiB ``page`` (None, off the code: 0)."""
    if page is None:
        return 0
    off = a & 0xFFF
    return int.from_bytes(page[off:off + 4], "big")


# -- framing ---------------------------------------------------------------------------------
def send(fd: int, obj) -> None:
    view = memoryview(frame(obj))
    while view:
        view = view[os.write(fd, view):]


# -- the two ends ----------------------------------------------------------------------------
def background(lock: str | None) -> bool:
    """After the guest's exit the worker only fills the code cache for later runs: it runs
    on time no other process wants (SCHED_IDLE), not beside the next program a script or
    a test suite starts, which a nice +5 worker slowed by up to a third here.  And one
    such worker per code cache at a time (``lock``, held until it ends): on a busy machine
    idle workers of many short runs would pile up.  False: another one is at work, leave
    this work (a later run queues its targets again)."""
    if lock is not None:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)      # (kept open: held)
        except OSError:
            return False
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (OSError, AttributeError):
        try:
            os.nice(19)
        except OSError:
            pass
    return True


def lower_priority() -> None:
    """Run the worker a little behind the guest (nice +5: about a quarter of a processor
    the guest also wants).  Not SCHED_IDLE: on a machine busy with other work an
    idle-class worker never runs, and the guest never gets its regions."""
    try:
        os.nice(WORKER_NICE)
    except OSError:
        pass


def close_files() -> None:
    """None of the guest's files open in this process; /dev/null on 0-2."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, 1 << 16)


def become_worker() -> None:
    """In the worker forked at the guest's exit: none of the guest's files, default signal
    actions (SIGPIPE ignored: a guest gone is a failed write), lower priority.  The files
    go first: they would hold the guest's pipes (a reader's EOF) and sockets open."""
    close_files()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM,
                signal.SIGVTALRM, signal.SIGPROF):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    lower_priority()


def serve(rfd: int, wfd: int, compiler, lock: str | None) -> None:
    """The worker's loop: the compiler loaded, then each message's view applied, its
    batches (and the ones made of its lukewarm targets) compiled or its targets weighed,
    the results sent back; after the guest's exit, in the background (see background).
    A batch's result goes right after one answer to all the weighing asked while it was
    compiled: the guest's process waits for those answers before it sends the next batch
    (jit.RegionCompiler.start), and answered one by one they kept the worker idle ~5 ms
    a batch (bzip2 -9: ~10 asks a batch)."""
    try:
        compiler.prepare()
    except Exception:            # (a compiler that cannot load says so in each batch's result)
        pass
    view, frames = CodeView(), Frames()
    pending: list = []
    while True:
        if not pending:
            data = os.read(rfd, PIPE_SIZE)
            if not data:
                return
            pending = frames.feed(data)
            continue
        msg = pending.pop(0)
        if not msg["reply"] and not background(lock):   # the guest's exit
            return
        for result in compiled(msg, view, compiler):
            if not msg["reply"] or wfd < 0:
                continue
            if "paths" not in result:        # a batch's: first the weighing asked meanwhile
                pending += waiting(rfd, frames)
                asked = [m for m in pending if "weigh" in m]
                if asked:
                    pending = [m for m in pending if "weigh" not in m]
                    paths: dict = {}
                    for m in asked:
                        paths.update(compiler.weigh(m["weigh"], m["pages"]))
                    wfd = reply(wfd, {"paths": paths, "answers": len(asked)})
            wfd = reply(wfd, result)


def waiting(rfd: int, frames: Frames) -> list:
    """The messages that have come and not been read (without waiting for any)."""
    out = []
    os.set_blocking(rfd, False)
    try:
        while True:
            data = os.read(rfd, PIPE_SIZE)
            if not data:
                break
            out += frames.feed(data)
    except BlockingIOError:
        pass
    finally:
        os.set_blocking(rfd, True)
    return out


def reply(wfd: int, result) -> int:
    """Send a result to the guest's process; -1 once it has gone (nothing more is sent)."""
    if wfd >= 0:
        try:
            send(wfd, result)
        except OSError:
            return -1
    return wfd


def compiled(msg: dict, view: CodeView, compiler):
    """The results of a message, one by one: the lengths of the targets it asks to weigh,
    or its view applied and its batches and the batches made of its lukewarm targets
    compiled."""
    if "weigh" in msg:
        yield {"paths": compiler.weigh(msg["weigh"], msg["pages"])}
        return
    view.apply(msg["view"])
    view.running = msg["reply"]                  # (no reply: the guest has gone)
    for batch in msg["batches"]:
        yield compiler.work(batch, view, msg.get("size"))
    lukewarm = msg.get("lukewarm")
    for batch in compiler.pick_lukewarm(lukewarm, view) if lukewarm else []:
        yield compiler.work(batch, view)


_exit_worker = None     # (message, compiler, lock): the worker end_process forks (detach)


def detach(message, compiler, lock: str | None) -> None:
    """At the guest's exit, with no worker yet: a worker to fork as the process ends
    (end_process) that makes its only message itself, ``message()`` (None: nothing to do),
    from its copy of the guest's process.  The guest's process only forks (~0.5 ms):
    building and sending the message cost it ~7 ms of a short program's exit."""
    global _exit_worker
    _exit_worker = (message, compiler, lock)


def end_process(status: int):
    """End the host process (os._exit, no teardown), forking the worker detach left
    first.  The fork is the process's last step, after its last output, with its files
    closed (0-2: /dev/null): forked with them, the worker held the pipes of whoever reads
    the output open until it had run and closed them, ~1 ms after this process's exit
    (a cold bzip2 -d, output read through a pipe)."""
    if _exit_worker is not None:
        message, compiler, lock = _exit_worker
        close_files()
        try:
            pid = os.fork()
        except OSError:
            pid = -1
        if pid == 0:
            try:
                become_worker()
                msg = message() if background(lock) else None
                if msg is not None:
                    for _ in compiled(msg, CodeView(), compiler):
                        pass
            finally:
                os._exit(0)
    os._exit(status)


# The started worker's program: a fresh interpreter given the guest process's sys.path (it
# runs with -S: site's work is done, its result is that path), its two pipe ends and the
# lock, which calls Worker's ``entry`` ("module:function") with them.
STARTED = ("import sys; rfd, wfd, lock, entry = sys.argv[1:5]; sys.path[:] = sys.argv[5:]; "
           "name, fn = entry.split(':'); "
           "getattr(__import__(name, fromlist=[fn]), fn)(int(rfd), int(wfd), lock or None)")


def main(rfd: int, wfd: int, compiler, lock: str | None) -> None:
    """A started worker's life: serve ``compiler`` until the guest's process has gone."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    lower_priority()
    try:
        serve(rfd, wfd, compiler, lock)
    finally:
        os._exit(0)


def inherited() -> list[int]:
    """This process's file descriptors above 2 that a started program would inherit."""
    out = []
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        names = []
    for name in names:
        fd = int(name)
        try:
            if fd > 2 and os.get_inheritable(fd):
                out.append(fd)
        except OSError:             # (the listing's own descriptor, closed by now)
            pass
    return out


class Worker:
    """The guest process's end of the worker: a Python program started (posix_spawn) with
    the ends of two pipes, its standard files /dev/null and none of the guest's, which
    calls ``entry`` ("module:function", e.g. jit.serve_worker: main with its compiler)
    with them and ``lock`` (the file that keeps workers past their guest's exit one at a
    time, see background).

    Started, not forked: a fork of the ~100 MB emulator cost the guest 2-7 ms, then a
    copy-on-write fault for each page it wrote while the child lived (a Python process
    writes most of its pages: reference counts), so that it could only be forked once a
    run had shown it would compile.  A started worker costs the guest ~1 ms, and loads
    Python and the compiler (~0.1 s) on the other processor."""

    def __init__(self, lock: str | None, entry: str):
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        try:
            fcntl.fcntl(to_w, F_SETPIPE_SZ, PIPE_SIZE)
        except OSError:
            pass
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_DUP2, 1, 2)]
        actions += [(os.POSIX_SPAWN_CLOSE, fd) for fd in inherited()]
        try:
            os.set_inheritable(to_r, True)
            os.set_inheritable(from_w, True)
            pid = os.posix_spawn(sys.executable, [
                sys.executable, "-S", "-c", STARTED, str(to_r), str(from_w), lock or "", entry,
                *sys.path], os.environ, file_actions=actions)
        except OSError:
            for fd in (to_r, to_w, from_r, from_w):
                os.close(fd)
            raise
        os.close(to_r)
        os.close(from_w)
        os.set_blocking(from_r, False)
        self.pid, self.to, self.frm = pid, to_w, from_r
        self.frames = Frames()

    def send(self, msg: dict) -> bool:
        try:
            send(self.to, msg)
            return True
        except OSError:
            return False

    def results(self) -> list | None:
        """The results arrived so far ([] if none); None once the worker has gone."""
        out = []
        while True:
            try:
                data = os.read(self.frm, PIPE_SIZE)
            except BlockingIOError:
                return out
            if not data:
                return out or None
            out += self.frames.feed(data)

    def finish(self, msg: dict | None) -> None:
        """The guest's process is ending: a last message (not waited for, never blocking
        the exit: what does not fit the pipe is dropped), then the pipes close and the
        worker ends after its work.  Nobody waits for it (init reaps it)."""
        if msg is not None:
            record = frame(msg)
            try:
                os.set_blocking(self.to, False)
                if len(record) <= PIPE_SIZE:
                    os.write(self.to, record)    # all of it, or a torn frame it ignores
            except OSError:
                pass
        self.drop()

    def drop(self) -> None:
        """Close this end (also in a forked copy of the guest: the worker is its parent's)."""
        for fd in (self.to, self.frm):
            try:
                os.close(fd)
            except OSError:
                pass
