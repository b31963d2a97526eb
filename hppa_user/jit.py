"""Region compiler at run time: which hot guest code is compiled, by whom, and how it is installed.

The interpreter (core.py) counts how often each branch target is entered and reports it
(ST_JIT) at powers of two; once the instructions it has run pass a threshold (HEAT) it is
queued here, hottest first, and compiled by a worker process (jitworker.py).  What a
region is and how it becomes native code is regiongen.py's: this module decides what to
compile, feeds the worker, keeps compiled regions in an on-disk code cache (CodeCache)
and installs them in the native table.  It imports neither LLVM nor the IR generators,
and the guest's process never loads them: the worker imports regiongen to build regions
and to weigh branch targets (path_length).  Only compile_now (HPPA_USER_JIT_SYNC=1, or
no worker possible) does both in the guest's process.

A region's code holds no address of this process: the helpers, the hook counters and the
decode-cache slots of its pages (patched into its data at install: _fill) are found at
run time, so compiled regions can be cached on disk and installed by any later run.
"""
from __future__ import annotations

import _imp
import ctypes
import os
import sys
import time

from hppa_user import hostarray, jitcache, jitworker, objcode
from hppa_user import state as S

M32 = 0xFFFFFFFF


# ---- compiling, caching and installing regions ---------------------------------------------------

def span_of(code) -> frozenset:
    """What a region with the instructions at ``code`` translated: they and the words
    after them (a delay slot, a nullified successor), which a breakpoint or a store into
    its code must not be in."""
    return frozenset(code) | {a + 4 for a in code}


class Span:
    """A cached region's span (span_of) as its reference file lists it, read when first
    looked at: only breakpoints look (RegionCompiler.exclude), so an install without them
    reads none of its ~300 addresses (~15 us).  A list that does not read as addresses
    (a damaged file whose code still matched its key) stands for every address: any
    breakpoint then drops the region."""
    __slots__ = ("_text", "_set")
    EVERY = None
    _UNREAD = frozenset({-1})

    def __init__(self, text: str):
        self._text, self._set = text, self._UNREAD

    def addresses(self) -> frozenset | None:
        """The addresses, or EVERY."""
        if self._set is self._UNREAD:
            try:
                self._set = frozenset(int(a) for a in self._text.split())
            except ValueError:
                self._set = self.EVERY
        return self._set

    def __contains__(self, a: int) -> bool:
        got = self.addresses()
        return got is self.EVERY or a in got

    def __iter__(self):
        return iter(sorted(self.addresses() or ()))

    def isdisjoint(self, other) -> bool:
        if not other:
            return True
        got = self.addresses()
        return got is not self.EVERY and got.isdisjoint(other)


def guest_page(mem, page: int):
    """A page of guest memory (a view: hashing it copies nothing)."""
    return mem.mem[page << 12:(page + 1) << 12]


class CodeCache:
    """Compiled regions on disk, keyed by the guest code they were built from.

    A batch of regions is one sealed object file (objcode.sealed: its SHA-256 is checked
    before it is loaded); each region in it gets a small *reference* file named after its
    entry address and a hash of the entry's 4 KiB page, listing the other pages it spans
    with their hashes.  A lookup recomputes the hashes of the current guest pages: only a
    region built from exactly these bytes is ever installed, whichever program or run
    compiled it.  Entries live under the cache directory of this CPU-source version,
    in a subdirectory per host (LLVM, CPU) and hook set; a corrupt file is ignored.
    Reference files and cool markers are kept in a directory per guest page and content
    (page_dir), and a lookup lists only its entry's: what it costs does not grow with
    the cache (40 000 of them in one directory made a static hello take 74-77 ms instead
    of 31-33; kept apart, 32-33 ms)."""

    def __init__(self, directory: str | None, namespace: str):
        self.dir = None
        if directory is not None:
            d = os.path.join(directory, "regions", namespace)
            try:
                os.makedirs(d, exist_ok=True)
                self.dir = d
            except OSError:
                pass
        self.objects: dict[str, objcode.Loaded | None] = {}
        # page directory -> (when looked at (monotonic), its mtime when listed or None, the
        # entry addresses with a reference file, the names of its cool markers)
        self._listed: dict[str, tuple[float, int | None, frozenset, frozenset]] = {}

    def page_dir(self, page: int, data) -> str:
        """The directory of the reference files and cool markers of guest page ``page``
        holding ``data`` (its 4 KiB): named after its number and a quick hash of its bytes
        (CPython's keyed SipHash, ~2 us), so that the programs whose code is at the same
        addresses keep theirs apart.  Their names hold the page's full hash (page_hash)."""
        quick = _imp.source_hash(PAGE_DIR_KEY, data)[:4].hex()
        return os.path.join(self.dir, f"{page:05x}-{quick}")

    def _in_memory(self, mem, entry: int) -> tuple:
        """(the 4 KiB now on ``entry``'s page (a view), that page's directory)."""
        page = guest_page(mem, entry >> 12)
        return page, self.page_dir(entry >> 12, page)

    def _has_refs(self, entry: int, where: str) -> bool:
        """Is there any reference file for ``entry`` in its page's directory ``where``?  A
        first report of a branch target then costs the page's quick hash and a set lookup,
        not its full hash and a failed open (~30 us, 400 times in a short program).  (This
        run's own regions are installed as the worker sends them: jit.RegionCompiler.take.)"""
        return f"{entry:08x}" in self._listing(where)[2]

    def _listing(self, where: str) -> tuple:
        """Page directory ``where``'s entry in _listed: it is looked at (a stat, ~3 us) at
        most every LOOK_INTERVAL and listed again only when it changed (a file added).  A
        file added since, or in the same clock tick as the last listing, is missed until
        the next look: that region is compiled again, never run stale."""
        now = time.monotonic()
        got = self._listed.get(where)
        if got is not None and now - got[0] < LOOK_INTERVAL:
            return got
        try:
            mtime = os.stat(where).st_mtime_ns
            if got is not None and got[1] == mtime:
                got = (now,) + got[1:]
            else:
                names = os.listdir(where)
                got = (now, mtime, frozenset(n[:8] for n in names if n.endswith(".ref")),
                       frozenset(n for n in names if n.endswith(".cool")))
        except OSError:                          # (no directory: nothing kept for the page)
            got = (now, None, frozenset(), frozenset())
        self._listed[where] = got
        return got

    # A cool marker, <entry>-<page hash>.cool, holds the length of a branch target's likely
    # path (RegionCompiler.path_length: it depends on the entry's page only) that an exit's
    # worker weighed and left uncompiled, too cool for the code cache.  The next run of the
    # same code then needs no worker at its exit to find that out again (~1 ms of a short
    # program's exit, every run).
    def mark_cool(self, entry: int, page, length: int) -> None:
        if self.dir is not None:
            name = f"{entry:08x}-{self.page_hash(page)}.cool"
            self.write(self.page_dir(entry >> 12, page), name, str(length).encode())

    def cool_length(self, mem, entry: int) -> int | None:
        """The length a cool marker gives ``entry`` with the code now on its page, or None."""
        if self.dir is None:
            return None
        page, where = self._in_memory(mem, entry)
        name = f"{entry:08x}-{self.page_hash(page)}.cool"
        if name not in self._listing(where)[3]:
            return None
        try:
            return int(jitcache.read_bytes(os.path.join(where, name)))
        except (OSError, ValueError):
            return None

    @staticmethod
    def write(where: str, name: str, data: bytes) -> None:
        """Keep file ``name`` in page directory ``where`` (made if need be)."""
        try:
            os.makedirs(where, exist_ok=True)
        except OSError:
            return
        jitcache.write_atomic(os.path.join(where, name), data)

    @staticmethod
    def page_hash(data) -> str:
        """The hash of a page's 4 KiB (bytes, or a view of guest memory)."""
        return jitcache.digest(data, 20)

    @staticmethod
    def ref_name(entry: int, page_hash: str) -> str:
        return f"{entry:08x}-{page_hash}.ref"

    @classmethod
    def key(cls, page_bytes, entry: int, pages, hashed: dict | None = None,
            entries=()) -> bytes:
        """What a region's code was built from: its entry, its other entries and the hashes
        of its pages (``page_bytes(page)``; ``hashed``: page -> hash, those worked out
        already).  Compiled into the region's object (``<fn>_key``), so a lookup can check
        that the code it would install is the code for these bytes, entered where it
        may be."""
        hashed = hashed or {}
        return (f"{entry:08x};" + "".join(f"+{e:08x};" for e in entries) + ";".join(
            f"{p:05x}={hashed.get(p) or cls.page_hash(page_bytes(p))}"
            for p in sorted(pages))).encode()

    # A reference file is lines of a name and its values (not json: the start-up rule, cli.py):
    #   entry 73728 / entries 73800 ... / fn region_00012000_3 / object b-<digest>.o /
    #   returns 73760 ... / span 73728 73732 ... / hashes 18=<page hash> 19=<page hash>
    # A region with other entries has a reference file for each, all the same.
    @staticmethod
    def ref_text(ref: dict) -> bytes:
        return "\n".join([
            f"entry {ref['entry']}", "entries " + " ".join(map(str, ref["entries"])),
            f"fn {ref['fn']}", f"object {ref['object']}",
            "returns " + " ".join(map(str, ref["returns"])),
            "span " + " ".join(map(str, ref["span"])),
            "hashes " + " ".join(f"{p}={h}" for p, h in ref["hashes"].items())]).encode()

    @staticmethod
    def ref_of(text: bytes) -> dict:
        """A reference file's description (ValueError or KeyError if it is damaged)."""
        fields = dict((line.split(" ", 1) + [""])[:2] for line in text.decode().split("\n"))
        return {"entry": int(fields["entry"]),
                "entries": [int(a) for a in fields["entries"].split()],
                "fn": fields["fn"], "object": fields["object"],
                "returns": [int(a) for a in fields["returns"].split()],
                "span": Span(fields["span"]),
                "hashes": dict(h.split("=", 1) for h in fields["hashes"].split())}

    def store(self, obj: bytes, regions: list[dict], page_bytes) -> str | None:
        """Save a compiled batch; ``regions``: their install descriptions."""
        if self.dir is None:
            return None
        digest = jitcache.digest(obj, 24)
        name = f"b-{digest}.o"
        jitcache.write_atomic(os.path.join(self.dir, name), objcode.sealed(obj, digest))
        for r in regions:
            hashes = {str(p): self.page_hash(page_bytes(p)) for p in r["pages"]}
            ref = {k: r[k] for k in ("entry", "entries", "fn", "returns")}
            ref.update(span=sorted(span_of(r["code"])), object=name, hashes=hashes)
            text = self.ref_text(ref)
            where = self.page_dir(r["entry"] >> 12, page_bytes(r["entry"] >> 12))
            for e in (r["entry"], *r["entries"]):      # (all on the entry's page)
                self.write(where, self.ref_name(e, hashes[str(e >> 12)]), text)
        return name

    def lookup(self, mem, entry: int) -> tuple[int, int, dict] | None:
        """(function address, data address, description) of a cached region for the code
        now at ``entry`` (its entry or one of its other entries), or None."""
        if self.dir is None:
            return None
        page, where = self._in_memory(mem, entry)
        if not self._has_refs(entry, where):
            return None
        try:
            page_hash = self.page_hash(page)
            text = jitcache.read_bytes(os.path.join(where, self.ref_name(entry, page_hash)))
        except OSError:
            return None
        try:
            ref = self.ref_of(text)
            pages = [int(p) for p in ref["hashes"]]
            if (entry != ref["entry"] and entry not in ref["entries"]) or \
                    (ref["entry"] >> 12) != (entry >> 12) or (entry >> 12) not in pages:
                return None
            loaded = self.load(ref["object"])
            if loaded is None:
                return None
            fn = ref["fn"]
            key = self.key(lambda p: guest_page(mem, p), ref["entry"], pages,
                           {entry >> 12: page_hash}, ref["entries"])
            addrs = [loaded.function(fn), loaded.global_address(f"{fn}_data"),
                     loaded.global_address(f"{fn}_key")]
            if not all(addrs) or ctypes.string_at(addrs[2], len(key) + 1) != key + b"\0":
                return None                  # not the code of these bytes (or no such code)
            return addrs[0], addrs[1], ref
        except (ValueError, KeyError, TypeError, AttributeError, RuntimeError):
            return None

    def load(self, name: str) -> objcode.Loaded | None:
        if name not in self.objects:
            loaded = None
            try:
                obj = objcode.unseal(jitcache.read_bytes(os.path.join(self.dir, name)), name[2:-2])
                if obj is not None:
                    loaded = objcode.Loaded(obj)
            except (OSError, RuntimeError):
                loaded = None
            self.objects[name] = loaded
        return self.objects[name]


# the core reports a branch target at this many entries (its code-cache lookup, or its
# chain: chains.py), then at every power of two from CTL_JIT_HOT (coregen.reports)
FIRST_REPORT = int(os.environ.get("HPPA_USER_FIRST_REPORT", "64"))
MAX_BATCH = 4             # regions compiled together in one module, the hottest first
# A chain's link to another chain (stencilgen.link) counts the entries it makes up to
# LINK_CAP, a power of two, and goes on without counting past it: the count is reported
# there whenever it comes (coregen.reports) and, unless the report queues or installs the
# target, set back to half of it (request), the entries taken off kept aside so that the
# total still grows and the target reports again every LINK_CAP / 2 entries.  Counting
# on every link cost ~8 % of a chain-bound run; each report is a return from the core to
# request, and 2^14 reported too often (the measurements: README, "A tier between them").
LINK_CAP = 1 << 18
# The first batch is the hottest region alone: it is installed ~50 ms after the start of
# compiling, not ~170 ms (a batch of 3-4).  Measured cold (5 paired rounds): bzip2 -9
# 1.08 -> 1.04-1.07 s, bc pi-300 and pi-600 unchanged; batches of 1 or 2 throughout made
# bc pi-600 slower (0.77 -> 0.85 s with 2).
FIRST_BATCH = 1
# ... and a small one: at most FIRST_REGION instructions (regiongen.MAX_REGION, 144, for the
# others), so that it is compiled in about half the time.  Measured cold (5 paired rounds):
# bzip2 -9 0.937 -> 0.921 s, bc pi-600 0.673 -> 0.646 s, bc pi-300 0.328 -> 0.321 s; warm
# runs as fast (the region stays in the code cache as it was compiled).
FIRST_REGION = 64
# Under the adaptive threshold nothing is weighed for compiling before the guest has run
# START_AFTER instructions (~0.2 s of interpreting): a region takes 30-70 ms to compile and
# install, and a program that has run that little is as likely as not to end before one
# pays back the worker and the installing.  Measured cold, paired (make bench programs):
# 2^26 against 2^25: bc pi-600 1.18-1.24 s against 1.42 s (later requests are better
# chosen), bzip2 -9 0.92x, the Tcl suite 1.00x, bc pi-300 1.00x of --no-jit; 2^28 was
# worse again (bc pi-600 1.73 s).
START_AFTER = 1 << 26
# The worker is started once the guest has run PREPARE_AFTER instructions, before anything
# is weighed: loading the compiler (LLVM ~50 ms, the region generator ~15 ms) and weighing
# the first targets are done by the time START_AFTER is reached, on the other processor.
# Started sooner (2^23, 2^21) it was not ready any sooner for the first batch: cold
# bzip2 -9 1.015x and 1.016x (8 paired rounds).  Not while the interpreter runs no hot
# code (hot_code_interpreted): a warm run whose hot code all came from the code cache
# starts no worker it has nothing to give.
PREPARE_AFTER = 1 << 25
# A run of CACHE_AFTER instructions or more leaves its lukewarm targets to the code cache
# at its exit (compiled by a worker after it has gone); a shorter one has nothing worth it.
# Measured on bzip2 -d (26 M instructions): the next run 0.79x of --no-jit with them.
CACHE_AFTER = 1 << 24
PAGE_DIR_KEY = 0x68707061  # the key of CodeCache.page_dir's hash (any constant)
POLL_INTERVAL = 0.002     # seconds between looks at the worker's pipe (poll)
LOOK_INTERVAL = 0.005     # seconds between looks at a code-cache page directory (_listing)
LEFT_AT_EXIT = 32         # queued regions still compiled for the code cache at exit
# Adaptive threshold (the default, JIT_AUTO): a branch target is compiled once the guest
# instructions it has run (its entries times the length of its likely path, at most
# MAX_PATH) reach HEAT, so code run a few thousand times is left to the interpreter and
# the worker's time goes to the hottest code first.  An explicit threshold (entries)
# compiles regardless of the work done.
HEAT = int(os.environ.get("HPPA_USER_JIT_HEAT", str(1 << 20)))
MAX_PATH = 64
CHAINS = os.environ.get("HPPA_USER_CHAINS", "1") != "0"
CHAINS_AFTER = int(os.environ.get("HPPA_USER_CHAINS_AFTER", str(1 << 18)))
JIT_AUTO = -1
NO_SLOT = -2              # a slot no page has (page_slot: a slot, or -1 when not decoded)
NOT_JUMPS = (0, 2, 31)    # registers note_jump ignores: r0, the link registers rp and r31
JUMP_GUESSES = 2          # targets a region tries for an indirect branch (regiongen.Region)


class RegionWorker:
    """What compiling regions needs that is not the guest's machine: the region generator
    (loaded by prepare), the code cache a batch's object code is stored in, and the
    lengths of the branch targets weighed so far.  Made by the worker process
    (jitworker.py) from nothing but its messages, and by RegionCompiler for the
    weighing and compiling it does itself (compile_now)."""

    def __init__(self):
        self.paths: dict[int, int] = {}   # entry -> instructions one entry runs (estimate)
        self._gen = None                  # regiongen.RegionGen (generator())
        self.cache = None
        self._cache_hooks = b""

    def code_cache(self, hooks: bytes) -> CodeCache:
        """The code cache of regions compiled with these hook addresses (part of its key)."""
        if self.cache is None or self._cache_hooks != hooks:
            self._cache_hooks = hooks
            ns = jitcache.digest(f"{jitcache.source_hash(jitcache.REGION_SOURCES)}|"
                                 f"{objcode.host_id()}|".encode() + hooks, 16)
            where = os.environ.get("HPPA_USER_CODE_CACHE", "")    # a directory, or "off"
            base = None if where == "off" else (where or jitcache.directory())
            self.cache = CodeCache(base, ns)      # (LLVM's settings: in regiongen's text)
        return self.cache

    def path_length(self, entry: int, word) -> int:
        """Instructions one entry of ``entry`` runs, estimated along its likely path:
        conditional branches not taken, direct jumps and calls' returns followed, up to an
        indirect branch, a loop back or MAX_PATH instructions on the entry's page.
        ``word(a)``: the instruction at ``a`` (the guest's memory, or a worker's view)."""
        n = self.paths.get(entry)
        if n is None:
            steps = self.generator().step
            a, n, seen = entry, 0, set()
            while n < MAX_PATH and (a >> 12) == (entry >> 12) and a not in seen:
                seen.add(a)
                step = steps(word(a))
                n += 1
                if step is None:
                    break
                if step == "on":
                    a += 4
                    continue
                n += 1                               # the delay slot
                call, relative, target = step
                if call:
                    a += 8                           # a call: on after its return
                elif target is not None:
                    a = (a + target) & M32 if relative else target
                else:
                    break
            self.paths[entry] = n
        return n

    def generator(self):
        """The regiongen.RegionGen that builds and compiles regions and knows what an
        instruction word does to control flow (path_length), made when first wanted: the
        IR generators are imported by a process that builds regions or weighs a target,
        not by every run."""
        if self._gen is None:
            from hppa_user.regiongen import RegionGen
            self._gen = RegionGen()
        return self._gen

    def weigh(self, entries: list[int], pages: dict[int, bytes]) -> dict[int, int]:
        """The lengths of ``entries`` (RegionCompiler.send_weighing), found on ``pages``."""
        return {e: self.path_length(e, lambda a: jitworker.page_word(pages.get(a >> 12), a))
                for e in entries}

    def pick_lukewarm(self, lukewarm: dict[int, int], view: jitworker.CodeView) -> list[list[int]]:
        """The lukewarm targets that did a sixteenth of HEAT's work (entries
        times their path's length), as batches, hottest first, up to LEFT_AT_EXIT; the
        others get a cool marker (CodeCache.mark_cool)."""
        heat = {e: n * self.path_length(e, view.word) for e, n in lukewarm.items()}
        chosen = sorted((e for e in heat if heat[e] >= HEAT // 16), key=heat.get,
                        reverse=True)[:LEFT_AT_EXIT]
        cache = self.code_cache(view.hooks)
        for e in heat:
            if heat[e] < HEAT // 16 and (e >> 12) in view.pages:
                cache.mark_cool(e, view.page_bytes(e >> 12), self.paths[e])
        return [chosen[i:i + MAX_BATCH] for i in range(0, len(chosen), MAX_BATCH)]

    def prepare(self) -> None:
        """Load the compiler (a worker, as it starts)."""
        self.generator().prepare()

    def work(self, batch: list[int], view: jitworker.CodeView, size: int | None = None) -> dict:
        """Compile a batch: the object code and how to install each region
        (of at most ``size`` instructions; None: regiongen's MAX_REGION)."""
        t0 = time.process_time()
        try:
            obj, regions, covered = self.generator().compile(batch, view, CodeCache.key, size)
            if obj is not None:
                self.code_cache(view.hooks).store(obj, regions, view.page_bytes)
            return {"obj": obj, "regions": regions, "seconds": time.process_time() - t0,
                    "error": None, "entries": batch, "covered": covered}
        except Exception as exc:                     # a compiler bug must not kill the guest
            return {"obj": None, "regions": [], "seconds": time.process_time() - t0,
                    "error": f"{type(exc).__name__}: {exc}".splitlines()[0], "entries": batch,
                    "covered": []}


def serve_worker(rfd: int, wfd: int, lock: str | None) -> None:
    """The started worker's program (RegionCompiler.spawn): a RegionWorker served."""
    jitworker.main(rfd, wfd, RegionWorker(), lock)


class RegionCompiler:
    """Compiles the hot regions of one Machine and installs them in its native table.

    Compilation is asynchronous: requests queue up and batches of them go, one at a time,
    to a worker process (jitworker.py: started once, its own interpreter lock, the
    machine's other core) with a view of the guest code as of the request.  The worker
    sends back the object code; at the next core return the parent installs each region
    whose pages still have the decode-cache slots of the view (any store into a page's
    code takes its slot away; a cache flush changes ``generation``), so what runs is
    what was compiled.  Compiled batches also go to the on-disk CodeCache, which the
    first report of a branch target consults.  ``threshold``: entries of a branch target
    before its region is compiled, JIT_AUTO: when it has done HEAT instructions' work,
    0: never."""

    def __init__(self, cpu, threshold: int):
        self.m = cpu                      # mem, dc, native, hooks, ctx
        self.set_threshold(threshold)
        self.regions = 0                  # installed
        self.cached = 0                   # of them, from the code cache
        self.other_entries = 0            # their other entries installed
        self.failures = 0                 # regions the compiler gave up on (a bug)
        self.insns = 0
        self.seconds = 0.0                # CPU time compiling (in the worker)
        self.return_points: set[int] = set()   # after the calls in compiled regions
        self.jumps: dict[int, dict[int, int]] = {}  # register -> {target: entries} (known_jumps)
        self._jump_notes: list[tuple] = []          # (entry, entries, registers) (note_jump)
        self.seen: set[int] = set()       # entries reported once (looked up on disk)
        self.recounted: dict[int, int] = {}   # entry -> entries taken off its count (LINK_CAP)
        self._chain_at: list[int] = []    # reported before CHAINS_AFTER (chain)
        self._look_again = 0              # hot_code_interpreted: when to look again (insns)
        self.side = RegionWorker()        # the generator, the code cache, targets' lengths
        self.paths = self.side.paths      # entry -> instructions one entry runs (estimate)
        self.to_weigh: dict[int, None] = {}   # targets the worker is to weigh (poll sends them)
        self.weighing: set[int] = set()   # ... sent, their lengths not back yet
        self.asked = self.answered = 0    # weighing messages sent, and answered (in order)
        self.awaited = 0                  # answers due before the next batch (start)
        self.queue: dict[int, int] = {}   # entry -> its heat when requested
        self.entries: dict[int, int] = {}  # entry -> its entries when requested
        self.worker = None                # jitworker.Worker, started before the first batch
        self.inflight = None              # (generation, batch) being compiled
        self.batches = 0                  # sent to the worker
        self._sent: dict[int, int] = {}   # code page -> the slot the worker has it at
        self._poll_at = 0.0               # poll(): when to look at the worker's pipe next
        self.active = False               # work in flight or waiting: poll() after core returns
        self.generation = 0               # decode-cache flushes
        self.sync = os.environ.get("HPPA_USER_JIT_SYNC") == "1"
        self._loaded: list = []
        # breakpoint addresses (Cpu.set_breakpoint): never translated, so a region leaves
        # to the interpreter there and the interpreter stops on the breakpoint
        self.excluded: set[int] = set()
        self.translated: dict[int, tuple[int, int, frozenset]] = {}  # entry -> (idx, fn, addrs)

    def set_threshold(self, threshold: int) -> None:
        self.threshold = JIT_AUTO if threshold == JIT_AUTO else max(0, threshold)
        first = FIRST_REPORT if threshold == JIT_AUTO else min(self.threshold, FIRST_REPORT)
        # after the first report, none before a request could be taken (see request)
        hot = HEAT // MAX_PATH if threshold == JIT_AUTO else self.threshold
        self.m.ctx.ctl[S.CTL_JIT_THRESHOLD] = first
        self.m.ctx.ctl[S.CTL_JIT_HOT] = max(first, hot)
        # under the adaptive threshold a hot report before PREPARE_AFTER would do nothing but
        # cost a core exit (request): 68 of a 26 M-instruction bzip2 -d's 170 reports
        self.m.ctx.ctl[S.CTL_JIT_FROM] = PREPARE_AFTER if threshold == JIT_AUTO else 0
        self.m.ctx.ctl[S.CTL_LINK_CAP] = LINK_CAP


    def hooks_key(self) -> bytes:
        """The hook addresses (compiled into regions as counters: part of the cache key)."""
        return self.m.hooks[S.HOOK_ADDR::S.HOOK_FIELDS].tobytes()

    def code_cache(self) -> CodeCache:
        """The code cache of this machine's regions (its hooks')."""
        return self.side.code_cache(self.hooks_key())

    def path_length(self, entry: int, word) -> int:
        return self.side.path_length(entry, word)

    # -- requests -------------------------------------------------------------------------
    def slot_index(self, entry: int) -> int:
        slot = int(self.m.mem.page_slot[entry >> 12])
        return -1 if slot < 0 else (slot << 10) | ((entry >> 2) & 1023)

    def counted(self, entry: int) -> tuple[int, int]:
        """(native-table index, entries so far) of a branch target the interpreter is
        counting (the table holds minus their number, less those taken off at LINK_CAP);
        entries 0 when it is not: not decoded, compiled, or left to the interpreter."""
        idx = self.slot_index(entry)
        entries = -int(self.m.native[idx]) if idx >= 0 else 0
        if not 0 < entries < -(S.NATIVE_NEVER // 2):
            return idx, 0
        return idx, entries + self.recounted.get(entry, 0)

    def request(self, entry: int) -> None:
        """The core reports ``entry``: its entries reached the first report, another power
        of two or LINK_CAP; a count left at LINK_CAP or past it is set back (LINK_CAP)."""
        idx, entries = self.counted(entry)
        if not entries:
            return
        self.consider(entry, idx, entries)
        count = int(self.m.native[idx])
        if S.NATIVE_NEVER // 2 < count <= -LINK_CAP:
            self.recounted[entry] = self.recounted.get(entry, 0) - count - LINK_CAP // 2
            self.m.native[idx] = -(LINK_CAP // 2)

    def consider(self, entry: int, idx: int, entries: int) -> None:
        """What a report of ``entry`` (``entries`` so far) leads to: a region from the code
        cache, a chain, a length asked of the worker, a place in the queue, or nothing yet."""
        self.note_jump(entry, entries)
        if entry not in self.seen:                   # first report: is it on disk?
            self.seen.add(entry)
            if self.install_cached(entry, idx):
                return
            if CHAINS:
                self.chain(entry)
        if self.threshold == JIT_AUTO:
            insns = self.m.ctx.insns
            if insns >= PREPARE_AFTER and self.worker is None and not self.sync and \
                    (entries >= HEAT // MAX_PATH or self.hot_code_interpreted()):
                self.spawn()
            if entries * MAX_PATH < HEAT or insns < START_AFTER:
                return      # cannot be hot yet, or too early to tell: it reports again
            if entry not in self.paths and not self.sync:
                self.ask_length(entry)
                return
            heat = entries * self.path_length(entry, self.guest_word)
            if heat < HEAT:
                return
        elif entries < self.threshold:
            return
        else:
            heat = entries
        self.enqueue(entry, idx, heat, entries)
        if self.sync:
            self.compile_now()
        else:
            self.start()

    def chain(self, entry: int) -> None:
        """A chain of stencils from ``entry`` (chains.py), once the program has run
        CHAINS_AFTER instructions: the targets reported before then wait for the first
        core return after it (poll), not for another report -- a program that goes straight
        into its hot loop meets no new target afterwards (crc_loop: 0 chains, cold 4.3x of
        qemu-hppa; with them 2.9x).  A program that ends sooner (a static hello: 27 K
        instructions, 4 chains) never loads the stencil table and builds none (its start-up
        36.1 -> 33.4 ms).  A warm run builds them too, at the targets its code cache has no
        region for: those earlier runs left uncompiled were judged against a region's cost
        (~100 ms), not a chain's (~40 us), and the cache a single earlier run filled
        lacks much hot code its worker had no time for.  Measured warm, paired, against
        building none once the cache had given a region: bc pi-300 0.83x (12 rounds), bc
        pi-600 0.92x, bzip2 -9 0.76-0.95x (three sets of 8-10), the Tcl suite 1.02x (5),
        bzip2 -d 1.01x (20)."""
        self._chain_at.append(entry)
        self.build_chains()
        if self._chain_at:
            self.active = True            # (poll builds them once the program gets there)

    def build_chains(self) -> None:
        """Build the chains waiting (chain) once the program has run CHAINS_AFTER
        instructions."""
        if self.m.ctx.insns >= CHAINS_AFTER:
            for e in self._chain_at:
                self.m.chains.build(e)
            self._chain_at.clear()

    def hot_code_interpreted(self) -> bool:
        """Is a target reported so far entered HEAT // MAX_PATH times and still counted --
        interpreted, not installed from the code cache?  Looked at again only once the
        instructions run have doubled (a look is ~0.5 us a target reported: ~0.2 ms in a
        short program, more in a long one); a hot target's own report says so anyway."""
        insns = self.m.ctx.insns
        if insns < self._look_again:
            return False
        self._look_again = 2 * insns
        return any(self.counted(e)[1] >= HEAT // MAX_PATH for e in self.seen)

    def enqueue(self, entry: int, idx: int, heat: int, entries: int) -> None:
        """Queue ``entry`` for compiling, ranked by ``heat``, or rank it again.  The core
        goes on counting its entries until it is sent (next_batch), so a queued target
        that stays hot reports again at its next power of two and moves up: heats taken
        at the first request are all about HEAT and would rank the queue by age.
        Measured cold (5 paired rounds): bzip2 -9 1.14 -> 1.08 s, bc pi-300 and pi-600
        unchanged."""
        self.queue[entry] = heat
        self.entries[entry] = entries

    def ask_length(self, entry: int) -> None:
        """Have the worker work out how long ``entry``'s path is (path_length): the guest's
        process would import the region generator for it (~15 ms) and take ~10 us a
        word, 20-30 ms of a run that has just started compiling.  The target is considered
        again when its length is back (weighed)."""
        if entry not in self.weighing:
            self.to_weigh[entry] = None
            self.active = True

    def weighed(self, paths: dict[int, int]) -> None:
        """The worker's lengths: each target is queued if its entries so far times its
        length reach HEAT (as request decides), else it reports again.  (poll starts a
        batch once it has read every answer that has come.)"""
        for entry, length in paths.items():
            self.paths[entry] = length
            self.weighing.discard(entry)
            idx, entries = self.counted(entry)
            if entries and entries * length >= HEAT:
                self.enqueue(entry, idx, entries * length, entries)

    def send_weighing(self) -> None:
        """Send the targets to weigh, with their pages (a length stays on its entry's page)."""
        entries = list(self.to_weigh)
        self.to_weigh.clear()
        pages = {e >> 12: guest_page(self.m.mem, e >> 12).tobytes() for e in entries}
        if self.worker.send({"weigh": entries, "pages": pages, "reply": True}):
            self.weighing.update(entries)
            self.asked += 1

    def note_jump(self, entry: int, entries: int) -> None:
        """The core has just branched to ``entry``: the registers holding its address (but
        for the link registers, which returns use) are guessed to be how it got there, a
        function pointer or a jump table's entry, and regions with an indirect branch
        through one of them try ``entry`` (Region: known_jumps).  A wrong guess costs a
        compare: the region checks the target at run time.  The registers are kept as
        they are and looked at when a view wants the guesses (known_jumps): most reports
        of a short program never get there, nor the time its exit takes."""
        self._jump_notes.append((entry, entries, self.m.ctx.gr.tobytes()))

    def known_jumps(self) -> dict[int, dict[int, int]]:
        """register -> {target: entries}: the jumps noted so far (note_jump)."""
        fmt = self.m.ctx.gr.format
        for entry, entries, regs in self._jump_notes:
            for r, value in enumerate(memoryview(regs).cast(fmt).tolist()):
                if value & 0xFFFFFFFC == entry and r not in NOT_JUMPS:
                    targets = self.jumps.setdefault(r, {})
                    targets[entry] = max(entries, targets.get(entry, 0))
        self._jump_notes.clear()
        return self.jumps

    def install_cached(self, entry: int, idx: int) -> bool:
        hit = self.code_cache().lookup(self.m.mem, entry)
        if hit is None:
            return False
        addr, data_addr, ref = hit
        pages = {int(p): int(self.m.mem.page_slot[int(p)]) for p in ref["hashes"]}
        span = ref["span"]
        if pages[entry >> 12] < 0 or not span.isdisjoint(self.excluded):
            return False
        # Another page this run has not executed yet (no slot: a region built late in an
        # earlier run reaches code run late) is listed with NO_SLOT, which no page has:
        # the region's guard leaves, dropping it, when its code first goes there, and the
        # entry is looked up again at its next report, that page decoded by then.
        undecoded = [p for p, s in pages.items() if s < 0]
        if undecoded:
            pages.update(dict.fromkeys(undecoded, NO_SLOT))
            self.seen.discard(entry)
        first = ref["entry"]                  # (its other entries are on its page)
        self._fill(first, data_addr, self.slot_index(first), pages)
        self.m.native[idx] = addr
        self.translated[entry] = (idx, addr, span)
        self.install_other_entries([e for e in (first, *ref["entries"]) if e != entry],
                                   addr, span)
        self.return_points.update(ref["returns"])
        self.regions += 1
        self.cached += 1
        return True

    def guest_word(self, a: int) -> int:
        return int.from_bytes(self.m.mem.mem[a:a + 4], "big")

    def flushed(self) -> None:
        """The decode cache was flushed: results of earlier snapshots are void (and the
        code cache may have regions for the code decoded next)."""
        self.generation += 1
        self.seen.clear()
        self.recounted.clear()
        self._chain_at.clear()
        self._sent = {}                              # slots are numbered from 0 again

    # -- the worker (jitworker.py) -------------------------------------------------------------
    def forked(self) -> None:
        """In a forked copy of the process (a guest fork): the worker is the parent's, and
        so are its pipes; the batch in flight is queued again here, for a worker of its own,
        and the targets being weighed are to be weighed again."""
        if self.worker is not None:
            self.worker.drop()
            self.worker = None
        self.lost()

    def lost(self) -> None:
        """No answer will come from the worker any more: ask again what it was asked."""
        if self.inflight is not None:
            self.queue.update((e, 1 << 62) for e in self.inflight[1])
            self.inflight = None
        self.to_weigh.update(dict.fromkeys(self.weighing))
        self.weighing.clear()
        self.asked = self.answered = self.awaited = 0
        self.active = bool(self.queue or self.to_weigh)   # poll() starts a worker

    def view(self, batch: list[int], sent: dict[int, int], slots: dict | None = None) -> dict:
        """What the worker needs to build ``batch``'s regions (a jitworker.CodeView delta):
        the code pages it has not got at their current slot (``sent``: page -> slot it has,
        updated), which instructions have run, the entry counts of the batch's pages.
        ``slots``: the machine's code_slots(), when the caller has it."""
        mem, nat = self.m.mem, self.m.native
        slots = self.m.code_slots() if slots is None else slots
        data = {p: guest_page(mem, p).tobytes() for p, slot in slots.items()
                if sent.get(p) != slot}
        sent.clear()
        sent.update(slots)
        ran = self.m.decoded_records()
        counts = {}
        for e in batch:
            slot = slots.get(e >> 12)
            if slot is not None and slot not in counts:
                counts[slot] = nat[slot * S.SLOT_WORDS:(slot + 1) * S.SLOT_WORDS].tobytes()
        return {"generation": self.generation, "slots": slots, "data": data, "ran": ran,
                "counts": counts, "entries": {e: self.entries.get(e) for e in batch},
                "hooks": self.hooks_key(), "returns": sorted(self.return_points),
                "jumps": {r: sorted(ts, key=ts.get, reverse=True)[:JUMP_GUESSES]
                          for r, ts in self.known_jumps().items()},
                "excluded": sorted(self.excluded),
                "installed": [e for e, (idx, fn, _) in self.translated.items() if nat[idx] == fn]}

    def spawn(self) -> bool:
        """Start the worker if there is none (it loads the compiler at once); False: it
        cannot be started, compile in this process from now on."""
        if self.worker is None:
            try:
                self.worker = jitworker.Worker(self.exit_lock(), "hppa_user.jit:serve_worker")
            except OSError:
                self.sync = True
                return False
            self._sent = {}
        return True

    def start(self) -> None:
        """Send the hottest batch to the worker (started if need be).  Not before the answers
        to the targets asked while the last batch was compiled: they waited behind it, the
        worker sends them right after it, and a batch chosen without them would leave out
        the hottest (targets asked later do not hold a batch back)."""
        if self.inflight is not None or not self.queue or self.answered < self.awaited:
            return
        if not self.spawn():
            self.compile_now()
            return
        first = not self.batches
        batch = self.next_batch(FIRST_BATCH if first else MAX_BATCH)
        self.batches += 1
        msg = {"view": self.view(batch, self._sent), "batches": [batch], "reply": True}
        if first:
            msg["size"] = FIRST_REGION
        if not self.worker.send(msg):
            self.worker.drop()                       # it has gone: compile here from now on
            self.worker = None
            self.queue.update((e, 1 << 62) for e in batch)
            self.sync = True
            self.compile_now()
            return
        self.inflight = (self.generation, batch)
        self.active = True

    def poll(self) -> None:
        """Install what the worker has finished (called after core returns, looking at the
        pipe at most every POLL_INTERVAL: a look is a failed read and an exception, ~7 us,
        and a short program returns from the core thousands of times meanwhile)."""
        if self._chain_at:
            self.build_chains()
        now = time.perf_counter()
        if now < self._poll_at:
            return
        self._poll_at = now + POLL_INTERVAL
        if self.worker is None:                      # a forked copy's: ask a worker of its own
            if self.to_weigh and not self.spawn():       # weighed here, as compile_now would
                self.weighed({e: self.path_length(e, self.guest_word) for e in self.to_weigh})
                self.to_weigh.clear()
            self.start()
        if self.worker is not None and self.to_weigh:
            self.send_weighing()
        results = [] if self.worker is None else self.worker.results()
        if results is None:                          # the worker died: nothing to install
            self.worker.drop()
            self.worker = None
            self.lost()
            return
        for result in results:
            if "paths" in result:              # (the worker may answer several asks at once)
                self.answered += result.get("answers", 1)
                self.weighed(result["paths"])
            elif self.inflight is not None:
                generation, _batch = self.inflight
                self.inflight = None
                self.awaited = self.asked
                if generation == self.generation:
                    self.take(result)
        self.start()
        self.active = bool(self.inflight or self.queue or self.to_weigh or self.weighing or
                           self._chain_at)

    def close(self) -> None:
        """The process is ending: the batch being compiled still goes to the code cache
        (the worker finishes it on its own, holding none of the guest's files), and so do
        the LEFT_AT_EXIT hottest queued requests and lukewarm targets, so the next run of
        the program finds them on disk (a run shorter than CACHE_AFTER sends none).  The
        worker is forked as the process ends if need be (jitworker.detach, end_process: the
        process then leaves without the interpreter's teardown, whose writes would copy
        pages)."""
        batches = []
        while self.queue and len(batches) * MAX_BATCH < LEFT_AT_EXIT:
            batches.append(self.next_batch())
        self.queue.clear()
        leave_lukewarm = self.threshold == JIT_AUTO and self.m.ctx.insns >= CACHE_AFTER
        if self.sync or self.code_cache().dir is None:
            batches, leave_lukewarm = [], False
        if leave_lukewarm and not batches and self.worker is None and self.all_cool():
            leave_lukewarm = False                   # no worker to fork for nothing

        def message() -> dict | None:
            """The worker's last message: what it has not got of the code, the batches, the
            lukewarm targets (in a worker forked here, made there)."""
            slots = self.m.code_slots()
            lukewarm = {}
            if leave_lukewarm:
                lukewarm = self.lukewarm(LEFT_AT_EXIT - sum(map(len, batches)), slots)
            if not (batches or lukewarm):
                return None
            self.entries.update(lukewarm)
            return {"view": self.view([e for b in batches for e in b] + list(lukewarm), self._sent,
                                      slots),
                    "batches": batches, "lukewarm": lukewarm, "reply": False}

        if self.worker is not None:
            self.worker.finish(message())
            self.worker = None
        elif batches or leave_lukewarm:
            self._sent = {}
            jitworker.detach(message, self.side, self.exit_lock())
        self.inflight = None
        self.active = False

    def exit_lock(self) -> str | None:
        """The lock file of workers past their guest's exit (jitworker.background)."""
        d = self.code_cache().dir
        return None if d is None else os.path.join(d, "exit-worker.lock")

    def lukewarm(self, room: int, slots: dict[int, int]) -> dict[int, int]:
        """At the exit: the branch targets entered often enough to have done a sixteenth of
        HEAT's work in this run if their paths are long (entry -> entries), the most entered
        first, up to twice ``room`` (``slots``: the machine's code_slots()).  The worker weighs them
        (pick_lukewarm): in this process the weighing would delay the exit."""
        if room <= 0:
            return {}
        used = int(self.m.ctx.ctl[S.CTL_NEXT_SLOT])
        page_of = {s: p for p, s in slots.items()}
        words = self.m.native[:used * S.SLOT_WORDS]
        found = sorted((words[i], i) for i in hostarray.negative_items(words)
                       if S.NATIVE_NEVER // 2 < words[i] <= -(HEAT // 16 // MAX_PATH))
        out = {}
        for n, idx in found:                               # most entries first
            page = page_of.get(idx // S.SLOT_WORDS, -1)
            entry = (page << 12) | ((idx % S.SLOT_WORDS) << 2)
            if page >= 0 and entry not in self.excluded:
                out[entry] = -n
                if len(out) == 2 * room:
                    break
        return out

    def all_cool(self) -> bool:
        """At the exit, with no worker: does every target lukewarm() would pick have a
        cool marker that keeps it under a sixteenth of HEAT with this run's entries?  Then
        no worker is forked to weigh them again (a warm run of a short program: every
        time).  Each such target has been reported (at 64 entries), so it is in ``seen``."""
        cache = self.code_cache()
        for e in self.seen:
            _idx, n = self.counted(e)
            if n >= HEAT // 16 // MAX_PATH:
                length = cache.cool_length(self.m.mem, e)
                if length is None or n * length >= HEAT // 16:
                    return False
        return True

    def compile_now(self) -> None:
        """Compile the queue in this process (HPPA_USER_JIT_SYNC=1, or no worker)."""
        while self.queue:
            batch = self.next_batch()
            view = jitworker.CodeView()
            view.apply(self.view(batch, {}))
            self.take(self.side.work(batch, view))

    def next_batch(self, size: int = MAX_BATCH) -> list[int]:
        """The ``size`` hottest requests, taken from the queue: the core stops counting
        them (NATIVE_NEVER: compiling, do not ask again)."""
        batch = sorted(self.queue, key=self.queue.get, reverse=True)[:size]
        for e in batch:
            del self.queue[e]
            idx, entries = self.counted(e)
            if entries:
                self.m.native[idx] = S.NATIVE_NEVER
        return batch

    def take(self, result: dict) -> None:
        """Load a compiled batch and install its regions (in the parent)."""
        self.seconds += result["seconds"]
        if result["error"]:
            self.failures += len(result["entries"])
            if self.failures == len(result["entries"]):
                print(f"hppa-user: jit: regions at {result['entries'][0]:#010x}... not "
                      f"compiled: {result['error']}", file=sys.stderr)
            return
        if result["obj"] is None:
            return
        loaded = objcode.Loaded(result["obj"])
        self._loaded.append(loaded)
        self.count_again(result["covered"])
        for r in result["regions"]:
            self.return_points.update(r["returns"])
            idx = self.slot_index(r["entry"])
            current = int(self.m.native[idx]) if idx >= 0 else 0
            if idx < 0 or current > S.NATIVE_NEVER // 2:         # not awaited (any more)
                continue
            span = span_of(r["code"])
            if span.isdisjoint(self.excluded) and \
                    self._patch(r["entry"], loaded.global_address(f"{r['fn']}_data"), idx,
                                r["pages"]):
                self.m.native[idx] = fn = loaded.function(r["fn"])
                self.translated[r["entry"]] = (idx, fn, span)
                self.install_other_entries(r["entries"], fn, span)
                self.regions += 1
                self.insns += len(r["code"])
                self.drop_covered(set(r["code"]))
            else:                                    # its code changed: count again
                self.m.native[idx] = 0

    def install_other_entries(self, entries, fn: int, span) -> None:
        """Enter a region just installed at its other entries too, where the interpreter
        is still counting (not where another region starts, or is being compiled)."""
        for e in entries:
            idx = self.slot_index(e)
            if idx >= 0 and S.NATIVE_NEVER // 2 < self.m.native[idx] <= 0:
                self.m.native[idx] = fn
                self.translated[e] = (idx, fn, span)
                self.queue.pop(e, None)
                self.other_entries += 1

    def drop_covered(self, code: set[int]) -> None:
        """Take the queued targets among the instructions of a region just installed
        (``code``) off the queue: they were hot in the interpreter while that region's
        code was, and its native code now runs them without entering them.  Their entries
        are still counted: one entered from elsewhere reports again and is queued again.
        The regions of a run held each instruction 3 times on average (bzip2 -9; bc
        pi-600 2 times): a loop's head and the branch targets in its body are queued at
        once.  Measured cold with the batch rule of RegionGen.compile (5 paired rounds):
        bzip2 -9 1.08 -> 0.98 s, bc pi-600 0.76 -> 0.71 s, bc pi-300 0.33 -> 0.32 s; the
        Tcl suite 5.94 -> 5.64 s (3).  Regions also stop at the entries of regions
        installed (Region: stops)."""
        for e in [e for e in self.queue if e in code]:
            del self.queue[e]

    def count_again(self, entries: list[int]) -> None:
        """Targets of a batch the worker built no region for because an earlier region of
        the batch holds their code (RegionGen.compile) are counted again from zero: if
        they stay hot on their own they are queued again."""
        for e in entries:
            idx = self.slot_index(e)
            if idx >= 0 and self.m.native[idx] <= S.NATIVE_NEVER // 2:
                self.m.native[idx] = 0

    # -- installing -------------------------------------------------------------------------
    def _patch(self, entry: int, data_addr: int, idx: int, pages: dict) -> bool:
        """Fill a region's data if every page still has the slot it had when the region
        was built."""
        mem = self.m.mem
        for p, s in pages.items():
            if int(mem.page_slot[int(p)]) != s:
                return False
        self._fill(entry, data_addr, idx, pages)
        return True

    @staticmethod
    def _fill(entry: int, data_addr: int, idx: int, pages: dict) -> None:
        """A region's data: its native index, the slots its other pages must have."""
        entry_page = entry >> 12
        words = [idx] + [pages[p] for p in sorted(pages) if p != entry_page]
        (ctypes.c_int64 * len(words)).from_address(data_addr)[:] = words

    # -- breakpoints (Cpu.set_breakpoint) ----------------------------------------------------
    def exclude(self, a: int) -> None:
        """Never translate ``a`` again, and forget the regions that did (they are
        translated anew when hot)."""
        self.excluded.add(a)
        native = self.m.native
        for entry, (idx, fn, span) in list(self.translated.items()):
            if native[idx] != fn:
                del self.translated[entry]          # gone already (cache flush, stale page)
            elif a in span:
                native[idx] = 0
                del self.translated[entry]

    def include(self, a: int) -> None:
        """``a`` is no breakpoint any more: a region may start there again."""
        self.excluded.discard(a)
        slot = int(self.m.mem.page_slot[a >> 12])
        if slot >= 0:
            idx = (slot << 10) | ((a >> 2) & 1023)
            if self.m.native[idx] <= S.NATIVE_NEVER // 2:
                self.m.native[idx] = 0
