# hppa-user -- developer and CI entry points.
#
#   make demo       venv + run the bundled demo binaries (no cross toolchain needed)
#   make test       toolchain + venv + core warm-up + pytest
#   make toolchain  Debian hppa cross gcc/binutils/glibc 2.36, qemu-user, csmith, gdb-multiarch, and
#                   the glibc 2.41 sysroot (sysroot/glibc-2.41/) from Debian 13 packages
#   make install    .venv with the package installed editable, plus pytest
#   make bench      real programs (pinned Debian sources, built for hppa) under hppa-user,
#                   hppa-user --no-jit and qemu-hppa: whole-process wall time, ratios, counts
#                   (BENCH_ARGS="--quick", "--list", "jimtcl-tests --rounds 9", ...)
#   make difftest   csmith programs under hppa-user vs qemu-hppa: N seeds (default 200) from
#                   SEED (default 1) at -O0/-O1/-O2/-Os; disagreements saved in difftest-failures/
#   make examples   rebuild the prebuilt demo binaries in hppa_user/examples/ (needs toolchain)
#   make vdso       rebuild the vDSO images (vdso_image/Makefile)
#   make vsyscall   rebuild the vsyscall dispatcher archives (vdso_image/vsyscall/Makefile)
#   make startup-check  glibc start-up over the full matrix (2 glibc x static/dynamic x 4
#                   kernel profiles + vDSO fault cells) against tests/goldens/startup/

SHELL       := /bin/bash
# Debian's own python3 when there is one: its interpreter is built with profile-guided and
# link-time optimisation and without a shared libpython, and runs the kernel model ~12 %
# faster than a --enable-shared build (a guest getpid 1.11 -> 0.97 us; hello 0.81-0.86x)
PYTHON      ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV        ?= .venv
VPY         := $(VENV)/bin/python
HPPA_USER   := $(VENV)/bin/hppa-user
STAMP       := $(VENV)/.hppa-user-installed
CROSS       ?= hppa-linux-gnu-
PYTEST_ARGS ?= -q

N           ?= 200
SEED        ?= 1
DIFFTEST_ARGS ?=

.PHONY: all toolchain install demo test bench difftest vdso vsyscall startup-check examples clean distclean

all: install

toolchain:
	bash scripts/toolchain.sh

# Re-install when the package metadata or the install changes (or the venv is gone). A bare
# Debian 12 has python3 without ensurepip: install python3-venv first (as root, or through
# sudo). The editable install is setuptools' compat mode, a path in a .pth file: its default
# mode installs an import finder that every start imports with pathlib, ~10 ms of a run.
# setuptools' distutils-precedence.pth goes: at every start of the venv's python it imports
# a shim (~1 ms of a 34 ms hello) that only code importing distutils before setuptools needs.
# pip's bin/hppa-user is written again to start its interpreter without site (-S), adding
# the entries site would (scripts/write_launcher.py): ~1.5 ms of every run.  A venv made
# from another interpreter than $(PYTHON) (VENV_PYTHON records it) is made again.
VENV_PYTHON := $(VENV)/.hppa-user-python
ifneq ($(shell cat $(VENV_PYTHON) 2>/dev/null),$(PYTHON))
VENV_STALE  := 1
$(shell rm -f $(STAMP))
endif
$(STAMP): pyproject.toml Makefile bin/hppa-user scripts/write_launcher.py
	@if [ -n '$(VENV_STALE)' ] && test -d $(VENV); then \
		echo '--- $(VENV) was made from another interpreter: making it again from $(PYTHON)'; \
		rm -rf $(VENV); \
	fi
	@if ! test -x $(VPY) && ! $(PYTHON) -c 'import ensurepip' 2>/dev/null; then \
		echo '--- installing python3-venv (python3 -m venv needs it)'; \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv \
		|| { $$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv; }; \
	fi
	@test -x $(VPY) || { $(PYTHON) -m venv $(VENV) && echo '$(PYTHON)' > $(VENV_PYTHON); }
	$(VPY) -m pip install --disable-pip-version-check -q -e '.[test,plot]' \
		--config-settings editable_mode=compat
	@rm -f $(VENV)/lib/python3*/site-packages/distutils-precedence.pth
	@$(VPY) scripts/write_launcher.py $(HPPA_USER)
	@touch $(STAMP)

# Byte-compiled once here (quick when up to date): an editable install writes no .pyc, and
# where PYTHONDONTWRITEBYTECODE is set every start would compile the sources again (~20 ms).
install: $(STAMP)
	@$(VPY) -m compileall -q hppa_user kernel_model vdso_image bench cli.py cli_app.py cli_bundle.py cli_run.py >/dev/null

demo: install
	@echo '--- hppa-user run hppa_user/examples/hello demo args'
	$(HPPA_USER) run hppa_user/examples/hello demo args
	@echo '--- glibc 2.36: every clock_gettime is a syscall through the gateway page'
	$(HPPA_USER) run --stats hppa_user/examples/clock_loop 20000
	@echo '--- glibc 2.41 on a 6.11 kernel: the vDSO function is itself a syscall'
	$(HPPA_USER) run --stats --kernel 6.11 hppa_user/examples/clock_loop_241 20000
	@echo '--- glibc 2.41 with the vvar vDSO: time from the data page and cr16, no trap'
	$(HPPA_USER) run --stats --kernel vvar hppa_user/examples/clock_loop_241 100000

# The warm-up run compiles the native core once (cached) before pytest starts
# many hppa-user processes; a failure there is reported by the tests themselves.
test: toolchain install
	@echo '--- core warm-up: hppa-user run hppa_user/examples/hello'
	@time $(HPPA_USER) run hppa_user/examples/hello || echo 'warm-up run failed (exit '$$?'); running the tests anyway'
	$(VPY) -m pytest $(PYTEST_ARGS) tests

bench: toolchain install
	$(VPY) -m bench $(BENCH_ARGS)

difftest: toolchain install
	$(VPY) scripts/difftest.py -n $(N) --first-seed $(SEED) $(DIFFTEST_ARGS)

vdso:
	$(MAKE) -C vdso_image

vsyscall: install
	$(MAKE) -C vdso_image/vsyscall

STARTUP_CHECK_ARGS ?=
startup-check: toolchain install
	$(HPPA_USER) startup-check --faults $(STARTUP_CHECK_ARGS)

examples: toolchain install
	$(CROSS)gcc -static -O2 -Wall -o hppa_user/examples/hello examples/hello.c
	$(CROSS)gcc -static -O2 -Wall -o hppa_user/examples/clock_loop examples/clock_loop.c
	$(CROSS)gcc -static -O2 -Wall -o hppa_user/examples/getpid_loop examples/getpid_loop.c
	$(HPPA_USER) cc --glibc 2.41 -O2 -Wall -o hppa_user/examples/clock_loop_241 examples/clock_loop.c
	$(CROSS)strip hppa_user/examples/hello hppa_user/examples/clock_loop hppa_user/examples/getpid_loop \
		hppa_user/examples/clock_loop_241

clean:
	rm -rf .guest-cache .pytest_cache build *.egg-info
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) sysroot

# Malformed-executable fuzzing: N mutants of a real binary, no traceback, no hang allowed.
FUZZ_N ?= 1000
FUZZ_SEED ?= 1
fuzz: install
	$(VPY) scripts/fuzz_exec.py -n $(FUZZ_N) --seed $(FUZZ_SEED)
