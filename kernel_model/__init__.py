"""The kernel model: everything Linux/parisc does for a user process, in Python.

Modules:

* ``kernel``   -- the :class:`~kernel_model.kernel.Kernel` (per-process state) and the entry
  points the Machine calls: ``handle_syscall()``, ``handle_fault()``, ``tick()``;
  ``ProcessExit`` / ``ProcessKilled``.
* ``abi``      -- every parisc number and layout in one place: syscall names, errno (+ the
  host->parisc errno map), O_/MAP_/PROT_/F_ flags, signals, si_codes, struct layouts, the
  rt_sigframe offsets (native 32-bit kernel: 768-byte frame, uc_mcontext at sp - 608).
* ``syscalls`` -- the handlers by family (fs, fsstat, fspath, poll, mm, time, signal, process,
  identity), registered with ``registry.syscall``.
* ``signals``  -- dispositions, masks, queues, frame set-up and rt_sigreturn, syscall restart,
  itimers and POSIX timers.
* ``fdtable``  -- the guest's own descriptor table over host fds (32-bit-safe readdir cookies).
* ``vm``       -- the VMA list (file/shared mappings, /proc/self/maps).
* ``procfs``   -- /proc/self/{exe,maps,cmdline,fd/N,...} describing the guest, not the host.
* ``creds``    -- ids, process group/session, rlimits (changes are virtual, never the host's).
* ``strace``   -- strace-style formatting for ``--strace``.
* ``hostsig``  -- host signals to the emulator (Ctrl-C, kill) forwarded to the guest.
* ``process``, ``vdso``, ``vvar``, ``clock`` -- exec set-up, the vDSO images, the vvar page
  and the virtual clock (owned by the lead / the vDSO work).

Environment knobs: ``HPPA_USER_SANDBOX=DIR`` refuses (EACCES) every change to files outside
DIR (fuzzing); ``HPPA_USER_DEBUG=1`` prints tracebacks of kernel-model bugs (the guest always
just gets EINVAL).
"""
