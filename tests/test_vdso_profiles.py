"""The vDSO under each kernel profile, seen from real glibc programs running in the emulator.

- vdso_parse (a parse_vdso.c-style program) finds exactly the profile's exported symbol set
  and every function it calls agrees with the syscall;
- glibc 2.41's clock_gettime takes the path each profile allows: syscalls only (none, 5.18),
  vDSO entries that each trap (6.11), vDSO entries and no time syscalls (vvar);
- glibc 2.36 never calls the vDSO but still parses it at start-up, under every profile;
- --clock virtual makes two runs print the same times.
"""
from __future__ import annotations

import json
import re

import pytest

PROFILES = ("none", "5.18", "6.11", "vvar")
EXPECTED_SYMBOLS = {
    "none": None,
    "5.18": set(),
    "6.11": {"__vdso_clock_gettime64@LINUX_6.11", "__vdso_clock_gettime@LINUX_6.11",
             "__vdso_gettimeofday@LINUX_6.11"},
    "vvar": {"__vdso_clock_gettime64@LINUX_6.11", "__vdso_clock_gettime@LINUX_6.11",
             "__vdso_gettimeofday@LINUX_6.11", "__vdso_time@LINUX_6.11",
             "__vdso_clock_getres@LINUX_6.11", "__vdso_getcpu@LINUX_6.11",
             "__kernel_sigtramp_rt32@LINUX_6.11", "__kernel_restart_syscall32@LINUX_6.11"},
}
TIME_SYSCALLS = {"clock_gettime", "clock_gettime64", "gettimeofday", "time"}


def stats_of(run_emu, binary, args, profile, tmp_path, options=()):
    path = tmp_path / f"stats-{profile}.json"
    res = run_emu(binary, args, options=["--kernel", profile, "--stats-json", str(path), *options])
    return res, json.loads(path.read_text())


@pytest.mark.parametrize("profile", PROFILES)
def test_parse_vdso_finds_exactly_the_profile_symbols(guest, run_emu, profile):
    binary = guest("vdso_parse", glibc="2.41")
    res = run_emu(binary, options=["--kernel", profile])
    out = res.stdout.decode()
    assert res.returncode == 0, out + res.stderr.decode()
    assert "FAIL" not in out
    if EXPECTED_SYMBOLS[profile] is None:
        assert "vdso: absent" in out
        return
    assert "vdso: present" in out and "soname: linux-vdso32.so.1" in out
    found = set(re.findall(r"^symbol (\S+)$", out, re.M))
    assert found == EXPECTED_SYMBOLS[profile]


@pytest.mark.parametrize("link", ("static", "dynamic"))
@pytest.mark.parametrize("profile", PROFILES)
def test_glibc_241_clock_gettime_path(guest, run_emu, tmp_path, profile, link):
    """Static or dynamic (rtld's own setup_vdso and symbol lookup), the same path."""
    binary = guest("clock_loop", glibc="2.41", dynamic=link == "dynamic")
    n = 2000
    res, st = stats_of(run_emu, binary, [str(n)], profile, tmp_path)
    assert res.returncode == 0, res.stderr.decode()
    calls = st["vdso_calls"].get("__vdso_clock_gettime64", 0)
    time_syscalls = sum(v for k, v in st["syscalls"].items() if k in TIME_SYSCALLS)
    if profile in ("none", "5.18"):          # nothing exported: glibc makes syscalls
        assert calls == 0 and time_syscalls >= n
    elif profile == "6.11":                  # the vDSO function is itself a syscall
        assert calls >= n and st["syscalls"].get("clock_gettime64", 0) >= n
    else:                                    # vvar: no trap at all
        assert calls >= n and time_syscalls == 0


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("glibc", ("2.36", "2.41"))
def test_glibc_starts_and_runs_under_every_profile(guest, run_emu, run_qemu, profile, glibc):
    binary = guest("printf_fmt", glibc=glibc)
    ref = run_qemu(binary)
    res = run_emu(binary, options=["--kernel", profile])
    assert (res.returncode, res.stdout) == (ref.returncode, ref.stdout)


def test_glibc_236_never_calls_the_vdso(guest, run_emu, tmp_path):
    binary = guest("clock_loop", glibc="2.36")
    res, st = stats_of(run_emu, binary, ["500"], "vvar", tmp_path)
    assert res.returncode == 0
    assert st["vdso_calls"] == {} and st["syscalls"].get("clock_gettime64", 0) >= 500


TIME_CHECK = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>
#include <sys/syscall.h>
static volatile int ticks;
static void on_alarm(int s) { (void)s; ticks++; }
static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000, bad = 0;
    int timer = argc > 2 ? atoi(argv[2]) : 1;   /* 0: no interval timer */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = {{0, 2000}, {0, 2000}};
    if (timer) setitimer(ITIMER_REAL, &it, 0);
    struct timespec prev, t, raw, c;
    clock_gettime(CLOCK_MONOTONIC, &prev);
    for (int i = 0; i < n; i++) {
        if (i % 97 == 0) syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);   /* 32-bit timespec */
        else clock_gettime(CLOCK_MONOTONIC, &t);
        if (ns(t) < ns(prev)) bad++;
        prev = t;
    }
    it.it_value.tv_usec = it.it_interval.tv_usec = 0;
    setitimer(ITIMER_REAL, &it, 0);
    clock_gettime(CLOCK_REALTIME, &t);
    clock_gettime(CLOCK_MONOTONIC_COARSE, &c);
    clock_gettime(CLOCK_MONOTONIC, &raw);
    printf("backwards %d\n", bad);
    printf("signals %s\n", ticks > 0 ? "yes" : "no");
    printf("realtime %lld\n", ns(t) / 1000000LL);
    printf("coarse_lag_ms %lld\n", (ns(raw) - ns(c)) / 1000000LL);
    return 0;
}
"""


@pytest.mark.parametrize("profile", ("6.11", "vvar"))
def test_time_consistency(guest, run_emu, profile):
    import time as host_time
    binary = guest(TIME_CHECK, glibc="2.41")
    before = host_time.clock_gettime_ns(host_time.CLOCK_REALTIME) // 1_000_000
    res = run_emu(binary, ["100000" if profile == "vvar" else "20000"], options=["--kernel", profile])
    after = host_time.clock_gettime_ns(host_time.CLOCK_REALTIME) // 1_000_000
    out = dict(line.split(" ", 1) for line in res.stdout.decode().splitlines())
    assert res.returncode == 0
    assert out["backwards"] == "0"                        # MONOTONIC never decreases
    assert out["signals"] == "yes"                        # ... while signals interrupt it
    assert before - 50 <= int(out["realtime"]) <= after + 50   # REALTIME tracks the host
    assert 0 <= int(out["coarse_lag_ms"]) <= 20           # COARSE within its resolution


@pytest.mark.parametrize("profile", ("none", "vvar"))
def test_virtual_clock_is_reproducible(guest, run_emu, profile):
    """Under --clock virtual the clocks are the instruction count: two runs print the same.
    Without the interval timer: timers and sleeps run on host time under every clock mode
    (README), so whether a 2 ms ITIMER_REAL fires during the loop depends on the host."""
    binary = guest(TIME_CHECK, glibc="2.41")
    runs = [run_emu(binary, ["3000", "0"], options=["--kernel", profile, "--clock", "virtual"])
            for _ in range(2)]
    assert runs[0].returncode == 0
    assert b"backwards 0" in runs[0].stdout
    assert runs[0].stdout == runs[1].stdout
    # virtual REALTIME starts at 2025-01-01T00:00:00Z and advances 1 ns per instruction
    realtime_ms = int(runs[0].stdout.split(b"realtime ")[1].split()[0])
    assert 1735689600000 <= realtime_ms < 1735689600000 + 1000


@pytest.mark.parametrize("profile", PROFILES)
def test_backtrace_from_signal_handler(guest, run_emu, profile):
    binary = guest("sig_backtrace", opt="-O1", glibc="2.41", extra=["-funwind-tables"])
    res = run_emu(binary, options=["--kernel", profile])
    out = res.stdout.decode()
    # with a vDSO its signal-frame CFI leads the unwinder back to main; without one (Linux
    # <= 5.17) libgcc's fallback recognises the trampoline in the frame (tramp[5..8]) and
    # finds the sigcontext next to it. qemu-hppa 7.2 says "no" there: it returns through a
    # trampoline page of its own, which no unwinder knows (Linux wins).
    assert res.returncode == 0 and "handler ran: yes" in out
    assert "backtrace reached main: yes" in out


def _corpus_params():
    from test_guest_programs import CASES
    out = []
    for case in CASES:
        if "-O2" not in case.opts:
            continue
        for glibc in case.glibc:
            for profile in ("none", "5.18", "6.11"):     # vvar (the default) runs in test_guest_programs
                out.append(pytest.param(case, glibc, profile, id=f"{case.id}-glibc{glibc}-{profile}"))
    return out


@pytest.mark.parametrize("case,glibc,profile", _corpus_params())
def test_corpus_under_every_profile(case, glibc, profile, guest, run_qemu, run_emu, tmp_path):
    """The guest corpus (glibc 2.36 and the 2.41 subset, -O2) agrees with qemu-hppa under the
    profiles other than the default vvar, which test_guest_programs covers."""
    from test_guest_programs import _args
    binary = guest(case.program, opt="-O2", glibc=glibc)
    env = dict(case.env)
    ref = run_qemu(binary, _args(case, "-O2", tmp_path, "qemu"), env=env, stdin=case.stdin)
    got = run_emu(binary, _args(case, "-O2", tmp_path, "emu"), env=env, stdin=case.stdin,
                  options=["--kernel", profile])
    assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), got.stderr.decode()[-2000:]


@pytest.mark.parametrize("profile", PROFILES)
def test_proc_self_maps_shows_vdso_and_vvar(guest, run_emu, profile):
    res = run_emu(guest("proc_maps"), options=["--kernel", profile])
    maps = {}
    for line in res.stdout.decode().splitlines():
        fields = line.split()
        if len(fields) == 6 and fields[5].startswith("["):
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            maps[fields[5]] = (lo, hi, fields[1])
    assert maps["[stack]"] == (0xFF700000, 0xFFF00000, maps["[stack]"][2])
    if profile == "none":
        assert "[vdso]" not in maps and "[vvar]" not in maps
        return
    lo, hi, perms = maps["[vdso]"]
    assert hi == 0xFF700000 and perms == "r-xp"          # just below the stack reservation
    if profile == "vvar":
        assert maps["[vvar]"] == (lo - 4096, lo, "r--p")  # directly below the vDSO text
    else:
        assert "[vvar]" not in maps


COARSE_AFTER_SYSCALL = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }
int main(int argc, char **argv)
{
    int n = atoi(argv[1]), bad = 0, ticks = 0;
    struct timespec k, v, first;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC_COARSE, &first);
    for (int i = 0; i < n; i++) {
        syscall(SYS_clock_gettime, CLOCK_MONOTONIC_COARSE, &k);    /* the kernel's */
        clock_gettime(CLOCK_MONOTONIC_COARSE, &v);                  /* the vDSO's page */
        if (ns(v) < ns(k)) bad++;
    }
    ticks = ns(k) != ns(first);
    printf("vdso older than the syscall before it: %d\ncoarse clock ticked: %d\n", bad, ticks);
    return 0;
}
"""


def test_coarse_clock_never_older_than_the_syscall_before_it(guest, run_emu):
    """The vvar page is republished after a time syscall only when the host's coarse clock
    has ticked since: a COARSE read through the vDSO is never older than the value the
    kernel returned just before (over many host ticks)."""
    binary = guest(COARSE_AFTER_SYSCALL, glibc="2.41")
    res = run_emu(binary, ["60000"], options=["--kernel", "vvar"])
    assert res.returncode == 0, res.stderr.decode(errors="replace")[-2000:]
    assert res.stdout.decode() == ("vdso older than the syscall before it: 0\n"
                                   "coarse clock ticked: 1\n")
