"""The kernel model: everything Linux/parisc does for a user process, in Python.

The kernel runs the CPU (hppa_user) and touches it only through the CPU context
(``hppa_user.context.CpuContext``, this project's ``struct pt_regs``) and guest memory;
hppa_user never imports this package.

Modules:

* ``machine``  -- :class:`~kernel_model.machine.Machine`: one process, a CPU plus this
  kernel, and the run loop (every CPU stop is a kernel tick).
* ``kernel``   -- the :class:`~kernel_model.kernel.Kernel` (per-process state) and its entry
  points: ``syscall()`` (the syscall exit owns the gateway return), ``trap()``, ``tick()``.
* ``errors``   -- ``SyscallError``, ``ProcessExit``, ``ProcessKilled``.
* ``abi``      -- every parisc number and layout in one place: syscall names, errno (+ the
  host->parisc errno map), O_/MAP_/PROT_/F_ flags, signals, si_codes, clocks, auxv tags,
  struct layouts, the rt_sigframe offsets (native 32-bit kernel: 768-byte frame,
  uc_mcontext at sp - 608).
* ``syscalls`` -- the handlers by family (fs, fsstat, fspath, poll, mm, time, signal, process,
  identity), registered with ``registry.syscall``.
* ``traps``    -- CPU interruptions to signals (``handle_interruption()``/``do_page_fault()``).
* ``signals``  -- dispositions, masks, queues, frame set-up and rt_sigreturn, syscall restart,
  itimers and POSIX timers.
* ``timekeeping`` -- clock mode (host/virtual), the guest's clocks, the vvar page's writer
  and when it is refreshed.
* ``fdtable``  -- the guest's own descriptor table over host fds (32-bit-safe readdir cookies).
* ``vm``       -- the VMA list (file/shared mappings, /proc/self/maps).
* ``procfs``   -- /proc/self/{exe,maps,cmdline,fd/N,...} describing the guest, not the host.
* ``creds``    -- ids, process group/session, rlimits (changes are virtual, never the host's).
* ``strace``   -- strace-style formatting for ``--strace``.
* ``hostsig``  -- host signals to the emulator (Ctrl-C, kill) forwarded to the guest.
* ``process``, ``vdso``, ``vvar`` -- exec set-up (stack, auxv, initial registers), the vDSO
  images and their mapping, the vvar page layout (defined once; the C header is generated).

Environment knobs: ``HPPA_USER_SANDBOX=DIR`` refuses (EACCES) every change to files outside
DIR (fuzzing); ``HPPA_USER_DEBUG=1`` prints tracebacks of kernel-model bugs (the guest always
just gets EINVAL).
"""
