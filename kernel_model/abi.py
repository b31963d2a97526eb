"""Linux/parisc (32-bit) ABI constants in one place: syscall names, errno, flags, signals,
struct layouts.

Every value here is parisc's (``arch/parisc/include/uapi/asm/*`` plus the asm-generic headers
parisc includes), which differ from x86 in many places (errno > 34, O_*, MAP_*, signal
numbers, fcntl lock commands, termios iflag bits, ...). ``tests/test_kernel_abi.py``
cross-checks them against the hppa cross sysroot's headers when those are installed.

Struct layouts are given as big-endian ``struct`` format strings (and offset tables where
handlers poke single fields); sizes were checked with the hppa cross compiler
(``offsetof``/``sizeof`` under qemu-hppa).
"""
from __future__ import annotations

import errno as _host_errno
import os as _os
import _signal as _host_signal    # (start-up rule: cli.py)
import struct as _struct

from hppa_user import context as _context

# ---------------------------------------------------------------------------------------
# Syscall numbers -> names, as in arch/parisc/kernel/syscalls/syscall.tbl (32-bit ABI).
# Generated from the sysroot's asm/unistd_32.h (Linux 6.1) plus the numbers added since.
# ---------------------------------------------------------------------------------------
SYSCALL_NAMES: dict[int, str] = {
    0: "restart_syscall",
    1: "exit",
    2: "fork",
    3: "read",
    4: "write",
    5: "open",
    6: "close",
    7: "waitpid",
    8: "creat",
    9: "link",
    10: "unlink",
    11: "execve",
    12: "chdir",
    13: "time",
    14: "mknod",
    15: "chmod",
    16: "lchown",
    17: "socket",
    18: "stat",
    19: "lseek",
    20: "getpid",
    21: "mount",
    22: "bind",
    23: "setuid",
    24: "getuid",
    25: "stime",
    26: "ptrace",
    27: "alarm",
    28: "fstat",
    29: "pause",
    30: "utime",
    31: "connect",
    32: "listen",
    33: "access",
    34: "nice",
    35: "accept",
    36: "sync",
    37: "kill",
    38: "rename",
    39: "mkdir",
    40: "rmdir",
    41: "dup",
    42: "pipe",
    43: "times",
    44: "getsockname",
    45: "brk",
    46: "setgid",
    47: "getgid",
    48: "signal",
    49: "geteuid",
    50: "getegid",
    51: "acct",
    52: "umount2",
    53: "getpeername",
    54: "ioctl",
    55: "fcntl",
    56: "socketpair",
    57: "setpgid",
    58: "send",
    59: "uname",
    60: "umask",
    61: "chroot",
    62: "ustat",
    63: "dup2",
    64: "getppid",
    65: "getpgrp",
    66: "setsid",
    67: "pivot_root",
    68: "sgetmask",
    69: "ssetmask",
    70: "setreuid",
    71: "setregid",
    72: "mincore",
    73: "sigpending",
    74: "sethostname",
    75: "setrlimit",
    76: "getrlimit",
    77: "getrusage",
    78: "gettimeofday",
    79: "settimeofday",
    80: "getgroups",
    81: "setgroups",
    82: "sendto",
    83: "symlink",
    84: "lstat",
    85: "readlink",
    86: "uselib",
    87: "swapon",
    88: "reboot",
    89: "mmap2",
    90: "mmap",
    91: "munmap",
    92: "truncate",
    93: "ftruncate",
    94: "fchmod",
    95: "fchown",
    96: "getpriority",
    97: "setpriority",
    98: "recv",
    99: "statfs",
    100: "fstatfs",
    101: "stat64",
    103: "syslog",
    104: "setitimer",
    105: "getitimer",
    106: "capget",
    107: "capset",
    108: "pread64",
    109: "pwrite64",
    110: "getcwd",
    111: "vhangup",
    112: "fstat64",
    113: "vfork",
    114: "wait4",
    115: "swapoff",
    116: "sysinfo",
    117: "shutdown",
    118: "fsync",
    119: "madvise",
    120: "clone",
    121: "setdomainname",
    122: "sendfile",
    123: "recvfrom",
    124: "adjtimex",
    125: "mprotect",
    126: "sigprocmask",
    128: "init_module",
    129: "delete_module",
    131: "quotactl",
    132: "getpgid",
    133: "fchdir",
    134: "bdflush",
    135: "sysfs",
    136: "personality",
    138: "setfsuid",
    139: "setfsgid",
    140: "_llseek",
    141: "getdents",
    142: "_newselect",
    143: "flock",
    144: "msync",
    145: "readv",
    146: "writev",
    147: "getsid",
    148: "fdatasync",
    149: "_sysctl",
    150: "mlock",
    151: "munlock",
    152: "mlockall",
    153: "munlockall",
    154: "sched_setparam",
    155: "sched_getparam",
    156: "sched_setscheduler",
    157: "sched_getscheduler",
    158: "sched_yield",
    159: "sched_get_priority_max",
    160: "sched_get_priority_min",
    161: "sched_rr_get_interval",
    162: "nanosleep",
    163: "mremap",
    164: "setresuid",
    165: "getresuid",
    166: "sigaltstack",
    168: "poll",
    170: "setresgid",
    171: "getresgid",
    172: "prctl",
    173: "rt_sigreturn",
    174: "rt_sigaction",
    175: "rt_sigprocmask",
    176: "rt_sigpending",
    177: "rt_sigtimedwait",
    178: "rt_sigqueueinfo",
    179: "rt_sigsuspend",
    180: "chown",
    181: "setsockopt",
    182: "getsockopt",
    183: "sendmsg",
    184: "recvmsg",
    185: "semop",
    186: "semget",
    187: "semctl",
    188: "msgsnd",
    189: "msgrcv",
    190: "msgget",
    191: "msgctl",
    192: "shmat",
    193: "shmdt",
    194: "shmget",
    195: "shmctl",
    198: "lstat64",
    199: "truncate64",
    200: "ftruncate64",
    201: "getdents64",
    202: "fcntl64",
    206: "gettid",
    207: "readahead",
    208: "tkill",
    209: "sendfile64",
    210: "futex",
    211: "sched_setaffinity",
    212: "sched_getaffinity",
    215: "io_setup",
    216: "io_destroy",
    217: "io_getevents",
    218: "io_submit",
    219: "io_cancel",
    222: "exit_group",
    223: "lookup_dcookie",
    224: "epoll_create",
    225: "epoll_ctl",
    226: "epoll_wait",
    227: "remap_file_pages",
    228: "semtimedop",
    229: "mq_open",
    230: "mq_unlink",
    231: "mq_timedsend",
    232: "mq_timedreceive",
    233: "mq_notify",
    234: "mq_getsetattr",
    235: "waitid",
    236: "fadvise64_64",
    237: "set_tid_address",
    238: "setxattr",
    239: "lsetxattr",
    240: "fsetxattr",
    241: "getxattr",
    242: "lgetxattr",
    243: "fgetxattr",
    244: "listxattr",
    245: "llistxattr",
    246: "flistxattr",
    247: "removexattr",
    248: "lremovexattr",
    249: "fremovexattr",
    250: "timer_create",
    251: "timer_settime",
    252: "timer_gettime",
    253: "timer_getoverrun",
    254: "timer_delete",
    255: "clock_settime",
    256: "clock_gettime",
    257: "clock_getres",
    258: "clock_nanosleep",
    259: "tgkill",
    260: "mbind",
    261: "get_mempolicy",
    262: "set_mempolicy",
    264: "add_key",
    265: "request_key",
    266: "keyctl",
    267: "ioprio_set",
    268: "ioprio_get",
    269: "inotify_init",
    270: "inotify_add_watch",
    271: "inotify_rm_watch",
    272: "migrate_pages",
    273: "pselect6",
    274: "ppoll",
    275: "openat",
    276: "mkdirat",
    277: "mknodat",
    278: "fchownat",
    279: "futimesat",
    280: "fstatat64",
    281: "unlinkat",
    282: "renameat",
    283: "linkat",
    284: "symlinkat",
    285: "readlinkat",
    286: "fchmodat",
    287: "faccessat",
    288: "unshare",
    289: "set_robust_list",
    290: "get_robust_list",
    291: "splice",
    292: "sync_file_range",
    293: "tee",
    294: "vmsplice",
    295: "move_pages",
    296: "getcpu",
    297: "epoll_pwait",
    298: "statfs64",
    299: "fstatfs64",
    300: "kexec_load",
    301: "utimensat",
    302: "signalfd",
    304: "eventfd",
    305: "fallocate",
    306: "timerfd_create",
    307: "timerfd_settime",
    308: "timerfd_gettime",
    309: "signalfd4",
    310: "eventfd2",
    311: "epoll_create1",
    312: "dup3",
    313: "pipe2",
    314: "inotify_init1",
    315: "preadv",
    316: "pwritev",
    317: "rt_tgsigqueueinfo",
    318: "perf_event_open",
    319: "recvmmsg",
    320: "accept4",
    321: "prlimit64",
    322: "fanotify_init",
    323: "fanotify_mark",
    324: "clock_adjtime",
    325: "name_to_handle_at",
    326: "open_by_handle_at",
    327: "syncfs",
    328: "setns",
    329: "sendmmsg",
    330: "process_vm_readv",
    331: "process_vm_writev",
    332: "kcmp",
    333: "finit_module",
    334: "sched_setattr",
    335: "sched_getattr",
    336: "utimes",
    337: "renameat2",
    338: "seccomp",
    339: "getrandom",
    340: "memfd_create",
    341: "bpf",
    342: "execveat",
    343: "membarrier",
    344: "userfaultfd",
    345: "mlock2",
    346: "copy_file_range",
    347: "preadv2",
    348: "pwritev2",
    349: "statx",
    350: "io_pgetevents",
    351: "pkey_mprotect",
    352: "pkey_alloc",
    353: "pkey_free",
    354: "rseq",
    355: "kexec_file_load",
    403: "clock_gettime64",
    404: "clock_settime64",
    405: "clock_adjtime64",
    406: "clock_getres_time64",
    407: "clock_nanosleep_time64",
    408: "timer_gettime64",
    409: "timer_settime64",
    410: "timerfd_gettime64",
    411: "timerfd_settime64",
    412: "utimensat_time64",
    413: "pselect6_time64",
    414: "ppoll_time64",
    416: "io_pgetevents_time64",
    417: "recvmmsg_time64",
    418: "mq_timedsend_time64",
    419: "mq_timedreceive_time64",
    420: "semtimedop_time64",
    421: "rt_sigtimedwait_time64",
    422: "futex_time64",
    423: "sched_rr_get_interval_time64",
    424: "pidfd_send_signal",
    425: "io_uring_setup",
    426: "io_uring_enter",
    427: "io_uring_register",
    428: "open_tree",
    429: "move_mount",
    430: "fsopen",
    431: "fsconfig",
    432: "fsmount",
    433: "fspick",
    434: "pidfd_open",
    435: "clone3",
    436: "close_range",
    437: "openat2",
    438: "pidfd_getfd",
    439: "faccessat2",
    440: "process_madvise",
    441: "epoll_pwait2",
    442: "mount_setattr",
    443: "quotactl_fd",
    444: "landlock_create_ruleset",
    445: "landlock_add_rule",
    446: "landlock_restrict_self",
    448: "process_mrelease",
    449: "futex_waitv",
    450: "set_mempolicy_home_node",
    # added after 6.1 (syscall.tbl of 6.12)
    451: "cachestat",
    452: "fchmodat2",
    454: "futex_wake",
    455: "futex_wait",
    456: "futex_requeue",
    457: "statmount",
    458: "listmount",
    459: "lsm_get_self_attr",
    460: "lsm_set_self_attr",
    461: "lsm_list_modules",
    462: "mseal",
}
SYSCALL_NUMBERS: dict[str, int] = {name: nr for nr, name in SYSCALL_NAMES.items()}
NR_SYSCALLS = 463  # numbers >= this get -ENOSYS straight from the gateway

# ---------------------------------------------------------------------------------------
# errno (arch/parisc/include/uapi/asm/errno.h; 1-34 from asm-generic/errno-base.h)
# ---------------------------------------------------------------------------------------
ERRNO: dict[str, int] = {
    "EPERM": 1, "ENOENT": 2, "ESRCH": 3, "EINTR": 4, "EIO": 5, "ENXIO": 6, "E2BIG": 7,
    "ENOEXEC": 8, "EBADF": 9, "ECHILD": 10, "EAGAIN": 11, "ENOMEM": 12, "EACCES": 13,
    "EFAULT": 14, "ENOTBLK": 15, "EBUSY": 16, "EEXIST": 17, "EXDEV": 18, "ENODEV": 19,
    "ENOTDIR": 20, "EISDIR": 21, "EINVAL": 22, "ENFILE": 23, "EMFILE": 24, "ENOTTY": 25,
    "ETXTBSY": 26, "EFBIG": 27, "ENOSPC": 28, "ESPIPE": 29, "EROFS": 30, "EMLINK": 31,
    "EPIPE": 32, "EDOM": 33, "ERANGE": 34,
    "ENOMSG": 35, "EIDRM": 36, "ECHRNG": 37, "EL2NSYNC": 38, "EL3HLT": 39, "EL3RST": 40,
    "ELNRNG": 41, "EUNATCH": 42, "ENOCSI": 43, "EL2HLT": 44, "EDEADLK": 45, "ENOLCK": 46,
    "EILSEQ": 47, "ENONET": 50, "ENODATA": 51, "ETIME": 52, "ENOSR": 53, "ENOSTR": 54,
    "ENOPKG": 55, "ENOLINK": 57, "EADV": 58, "ESRMNT": 59, "ECOMM": 60, "EPROTO": 61,
    "EMULTIHOP": 64, "EDOTDOT": 66, "EBADMSG": 67, "EUSERS": 68, "EDQUOT": 69, "ESTALE": 70,
    "EREMOTE": 71, "EOVERFLOW": 72,
    "EBADE": 160, "EBADR": 161, "EXFULL": 162, "ENOANO": 163, "EBADRQC": 164, "EBADSLT": 165,
    "EBFONT": 166, "ENOTUNIQ": 167, "EBADFD": 168, "EREMCHG": 169, "ELIBACC": 170,
    "ELIBBAD": 171, "ELIBSCN": 172, "ELIBMAX": 173, "ELIBEXEC": 174, "ERESTART": 175,
    "ESTRPIPE": 176, "EUCLEAN": 177, "ENOTNAM": 178, "ENAVAIL": 179, "EISNAM": 180,
    "EREMOTEIO": 181, "ENOMEDIUM": 182, "EMEDIUMTYPE": 183, "ENOKEY": 184, "EKEYEXPIRED": 185,
    "EKEYREVOKED": 186, "EKEYREJECTED": 187, "ENOSYM": 215, "ENOTSOCK": 216,
    "EDESTADDRREQ": 217, "EMSGSIZE": 218, "EPROTOTYPE": 219, "ENOPROTOOPT": 220,
    "EPROTONOSUPPORT": 221, "ESOCKTNOSUPPORT": 222, "EOPNOTSUPP": 223, "EPFNOSUPPORT": 224,
    "EAFNOSUPPORT": 225, "EADDRINUSE": 226, "EADDRNOTAVAIL": 227, "ENETDOWN": 228,
    "ENETUNREACH": 229, "ENETRESET": 230, "ECONNABORTED": 231, "ECONNRESET": 232,
    "ENOBUFS": 233, "EISCONN": 234, "ENOTCONN": 235, "ESHUTDOWN": 236, "ETOOMANYREFS": 237,
    "ETIMEDOUT": 238, "ECONNREFUSED": 239, "EREMOTERELEASE": 240, "EHOSTDOWN": 241,
    "EHOSTUNREACH": 242, "EALREADY": 244, "EINPROGRESS": 245, "ENOTEMPTY": 247,
    "ENAMETOOLONG": 248, "ELOOP": 249, "ENOSYS": 251, "ENOTSUP": 252, "ECANCELED": 253,
    "EOWNERDEAD": 254, "ENOTRECOVERABLE": 255, "ERFKILL": 256, "EHWPOISON": 257,
    # kernel-internal restart codes (never reach user space)
    "ERESTARTSYS": 512, "ERESTARTNOINTR": 513, "ERESTARTNOHAND": 514,
    "ERESTART_RESTARTBLOCK": 516,
}
ERRNO_ALIASES = {"EWOULDBLOCK": "EAGAIN", "EDEADLOCK": "EDEADLK", "ECANCELLED": "ECANCELED",
                 "EREFUSED": "ECONNREFUSED"}
# the same, as module constants (explicit for readers and linters)
EPERM = 1; ENOENT = 2; ESRCH = 3; EINTR = 4; EIO = 5; ENXIO = 6; E2BIG = 7; ENOEXEC = 8
EBADF = 9; ECHILD = 10; EAGAIN = 11; ENOMEM = 12; EACCES = 13; EFAULT = 14; ENOTBLK = 15
EBUSY = 16; EEXIST = 17; EXDEV = 18; ENODEV = 19; ENOTDIR = 20; EISDIR = 21; EINVAL = 22
ENFILE = 23; EMFILE = 24; ENOTTY = 25; ETXTBSY = 26; EFBIG = 27; ENOSPC = 28; ESPIPE = 29
EROFS = 30; EMLINK = 31; EPIPE = 32; EDOM = 33; ERANGE = 34; ENOMSG = 35; EIDRM = 36
ECHRNG = 37; EL2NSYNC = 38; EL3HLT = 39; EL3RST = 40; ELNRNG = 41; EUNATCH = 42
ENOCSI = 43; EL2HLT = 44; EDEADLK = 45; ENOLCK = 46; EILSEQ = 47; ENONET = 50
ENODATA = 51; ETIME = 52; ENOSR = 53; ENOSTR = 54; ENOPKG = 55; ENOLINK = 57; EADV = 58
ESRMNT = 59; ECOMM = 60; EPROTO = 61; EMULTIHOP = 64; EDOTDOT = 66; EBADMSG = 67
EUSERS = 68; EDQUOT = 69; ESTALE = 70; EREMOTE = 71; EOVERFLOW = 72; EBADE = 160
EBADR = 161; EXFULL = 162; ENOANO = 163; EBADRQC = 164; EBADSLT = 165; EBFONT = 166
ENOTUNIQ = 167; EBADFD = 168; EREMCHG = 169; ELIBACC = 170; ELIBBAD = 171; ELIBSCN = 172
ELIBMAX = 173; ELIBEXEC = 174; ERESTART = 175; ESTRPIPE = 176; EUCLEAN = 177
ENOTNAM = 178; ENAVAIL = 179; EISNAM = 180; EREMOTEIO = 181; ENOMEDIUM = 182
EMEDIUMTYPE = 183; ENOKEY = 184; EKEYEXPIRED = 185; EKEYREVOKED = 186; EKEYREJECTED = 187
ENOSYM = 215; ENOTSOCK = 216; EDESTADDRREQ = 217; EMSGSIZE = 218; EPROTOTYPE = 219
ENOPROTOOPT = 220; EPROTONOSUPPORT = 221; ESOCKTNOSUPPORT = 222; EOPNOTSUPP = 223
EPFNOSUPPORT = 224; EAFNOSUPPORT = 225; EADDRINUSE = 226; EADDRNOTAVAIL = 227
ENETDOWN = 228; ENETUNREACH = 229; ENETRESET = 230; ECONNABORTED = 231; ECONNRESET = 232
ENOBUFS = 233; EISCONN = 234; ENOTCONN = 235; ESHUTDOWN = 236; ETOOMANYREFS = 237
ETIMEDOUT = 238; ECONNREFUSED = 239; EREMOTERELEASE = 240; EHOSTDOWN = 241
EHOSTUNREACH = 242; EALREADY = 244; EINPROGRESS = 245; ENOTEMPTY = 247; ENAMETOOLONG = 248
ELOOP = 249; ENOSYS = 251; ENOTSUP = 252; ECANCELED = 253; EOWNERDEAD = 254
ENOTRECOVERABLE = 255; ERFKILL = 256; EHWPOISON = 257; ERESTARTSYS = 512
ERESTARTNOINTR = 513; ERESTARTNOHAND = 514; ERESTART_RESTARTBLOCK = 516
EWOULDBLOCK, EDEADLOCK, ECANCELLED, EREFUSED = EAGAIN, EDEADLK, ECANCELED, ECONNREFUSED
ERRNO_NAMES: dict[int, str] = {v: k for k, v in ERRNO.items()}

_EXTRA_MESSAGES = {
    "EREMOTERELEASE": "Remote peer released connection",
    "ENOSYM": "Unresolved symbol",
    "ENOTSUP": "Operation not supported",
    "ERESTARTSYS": "To be restarted", "ERESTARTNOINTR": "To be restarted",
    "ERESTARTNOHAND": "To be restarted if no handler",
    "ERESTART_RESTARTBLOCK": "Interrupted by signal",
}


def errno_message(value: int) -> str:
    """strerror() text for a parisc errno (strace prints it after the name)."""
    name = ERRNO_NAMES.get(value)
    if name is None:
        return f"Unknown error {value}"
    if name in _EXTRA_MESSAGES:
        return _EXTRA_MESSAGES[name]
    host = getattr(_host_errno, name, None)
    return _os.strerror(host) if host is not None else name


# host errno value -> parisc errno value, keyed through the names in Python's errno module
HOST_TO_GUEST_ERRNO: dict[int, int] = {}
for _name, _value in list(ERRNO.items()) + [(a, ERRNO[t]) for a, t in ERRNO_ALIASES.items()]:
    _host = getattr(_host_errno, _name, None)
    if _host is not None and _host not in HOST_TO_GUEST_ERRNO:
        HOST_TO_GUEST_ERRNO[_host] = _value
# on x86 Linux ENOTSUP == EOPNOTSUPP; parisc distinguishes them: the host's answer is EOPNOTSUPP
if getattr(_host_errno, "EOPNOTSUPP", None) is not None:
    HOST_TO_GUEST_ERRNO[_host_errno.EOPNOTSUPP] = ERRNO["EOPNOTSUPP"]


def guest_errno(host_errno: int | None) -> int:
    """Convert a host errno (from an OSError) to parisc; unknown values become EIO."""
    if host_errno is None:
        return EIO
    return HOST_TO_GUEST_ERRNO.get(host_errno, EIO)


def neg_errno(exc: OSError) -> int:
    """``-errno`` for the guest from a host OSError."""
    return -guest_errno(exc.errno)


# ---------------------------------------------------------------------------------------
# open(2) / fcntl(2)  (arch/parisc/include/uapi/asm/fcntl.h + asm-generic/fcntl.h)
# ---------------------------------------------------------------------------------------
O_RDONLY, O_WRONLY, O_RDWR, O_ACCMODE = 0, 1, 2, 3
O_APPEND = 0o10
O_NOFOLLOW = 0o200
O_CREAT = 0o400
O_TRUNC = 0o1000
O_EXCL = 0o2000
O_LARGEFILE = 0o4000
O_DIRECTORY = 0o10000
FASYNC = O_ASYNC = 0o20000
O_DIRECT = 0o40000
__O_SYNC = 0o100000
O_NONBLOCK = 0o200000
O_NDELAY = O_NONBLOCK
O_NOCTTY = 0o400000
O_DSYNC = 0o1000000
O_SYNC = __O_SYNC | O_DSYNC
O_RSYNC = O_SYNC
O_NOATIME = 0o4000000
O_CLOEXEC = 0o10000000
O_PATH = 0o20000000
__O_TMPFILE = 0o40000000
O_TMPFILE = __O_TMPFILE | O_DIRECTORY

# name -> value, in the order strace prints them (O_ACCMODE part printed first separately)
OPEN_FLAG_NAMES = [
    ("O_CREAT", O_CREAT), ("O_EXCL", O_EXCL), ("O_NOCTTY", O_NOCTTY), ("O_TRUNC", O_TRUNC),
    ("O_APPEND", O_APPEND), ("O_NONBLOCK", O_NONBLOCK), ("O_SYNC", O_SYNC), ("O_DSYNC", O_DSYNC),
    ("O_ASYNC", O_ASYNC), ("O_DIRECT", O_DIRECT), ("O_LARGEFILE", O_LARGEFILE),
    ("O_DIRECTORY", O_DIRECTORY), ("O_NOFOLLOW", O_NOFOLLOW), ("O_NOATIME", O_NOATIME),
    ("O_CLOEXEC", O_CLOEXEC), ("O_PATH", O_PATH), ("O_TMPFILE", O_TMPFILE),
]

# guest flag -> host flag (os module names); O_ACCMODE bits are identical
_OPEN_FLAG_HOST = [
    (O_APPEND, "O_APPEND"), (O_NOFOLLOW, "O_NOFOLLOW"), (O_CREAT, "O_CREAT"),
    (O_TRUNC, "O_TRUNC"), (O_EXCL, "O_EXCL"), (O_DIRECTORY, "O_DIRECTORY"),
    (O_NONBLOCK, "O_NONBLOCK"), (O_NOCTTY, "O_NOCTTY"), (O_DSYNC, "O_DSYNC"),
    (__O_SYNC | O_DSYNC, "O_SYNC"), (O_NOATIME, "O_NOATIME"), (O_CLOEXEC, "O_CLOEXEC"),
    (O_PATH, "O_PATH"), (O_ASYNC, "O_ASYNC"), (O_DIRECT, "O_DIRECT"),
]


def open_flags_to_host(flags: int) -> int:
    """Translate parisc O_* bits to the host's (O_LARGEFILE is implied on a 64-bit host)."""
    host = flags & O_ACCMODE
    for guest_bit, name in _OPEN_FLAG_HOST:
        hv = getattr(_os, name, 0)
        if hv and (flags & guest_bit) == guest_bit:
            host |= hv
    if flags & __O_TMPFILE and hasattr(_os, "O_TMPFILE"):
        host |= _os.O_TMPFILE
    return host


def open_flags_from_host(host: int) -> int:
    """Host file status flags (F_GETFL) -> parisc bits."""
    flags = host & O_ACCMODE
    for guest_bit, name in _OPEN_FLAG_HOST:
        hv = getattr(_os, name, 0)
        if hv and (host & hv) == hv:
            flags |= guest_bit
    return flags


# fcntl commands
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW = range(8)
F_GETLK64, F_SETLK64, F_SETLKW64 = 8, 9, 10
F_GETOWN, F_SETOWN, F_SETSIG, F_GETSIG = 11, 12, 13, 14
F_SETOWN_EX, F_GETOWN_EX = 15, 16
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38
F_LINUX_SPECIFIC_BASE = 1024
F_SETLEASE, F_GETLEASE, F_NOTIFY = 1024, 1025, 1026
F_DUPFD_CLOEXEC = 1030
F_SETPIPE_SZ, F_GETPIPE_SZ = 1031, 1032
F_ADD_SEALS, F_GET_SEALS = 1033, 1034
FCNTL_CMD_NAMES = {
    0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL", 5: "F_GETLK",
    6: "F_SETLK", 7: "F_SETLKW", 8: "F_GETLK64", 9: "F_SETLK64", 10: "F_SETLKW64",
    11: "F_GETOWN", 12: "F_SETOWN", 13: "F_SETSIG", 14: "F_GETSIG", 15: "F_SETOWN_EX",
    16: "F_GETOWN_EX", 36: "F_OFD_GETLK", 37: "F_OFD_SETLK", 38: "F_OFD_SETLKW",
    1024: "F_SETLEASE", 1025: "F_GETLEASE", 1026: "F_NOTIFY", 1030: "F_DUPFD_CLOEXEC",
    1031: "F_SETPIPE_SZ", 1032: "F_GETPIPE_SZ", 1033: "F_ADD_SEALS", 1034: "F_GET_SEALS",
}
FD_CLOEXEC = 1
F_RDLCK, F_WRLCK, F_UNLCK = 1, 2, 3          # parisc (generic: 0, 1, 2)
LOCK_TYPE_NAMES = {1: "F_RDLCK", 2: "F_WRLCK", 3: "F_UNLCK"}
# struct flock (32-bit off_t) and struct flock64: {short l_type; short l_whence; off l_start;
# off l_len; pid_t l_pid}
FLOCK_FMT = ">hhiii"          # 16 bytes
FLOCK64_FMT = ">hh4xqqi4x"    # 32 bytes

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
AT_EACCESS = 0x200
AT_REMOVEDIR = 0x200
AT_SYMLINK_FOLLOW = 0x400
AT_NO_AUTOMOUNT = 0x800
AT_EMPTY_PATH = 0x1000
AT_STATX_SYNC_TYPE = 0x6000
AT_RECURSIVE = 0x8000
AT_FLAG_NAMES = [("AT_SYMLINK_NOFOLLOW", 0x100), ("AT_REMOVEDIR", 0x200),
                 ("AT_SYMLINK_FOLLOW", 0x400), ("AT_NO_AUTOMOUNT", 0x800),
                 ("AT_EMPTY_PATH", 0x1000), ("AT_STATX_FORCE_SYNC", 0x2000),
                 ("AT_STATX_DONT_SYNC", 0x4000), ("AT_RECURSIVE", 0x8000)]
RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT = 1, 2, 4
SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE = 0, 1, 2, 3, 4
WHENCE_NAMES = {0: "SEEK_SET", 1: "SEEK_CUR", 2: "SEEK_END", 3: "SEEK_DATA", 4: "SEEK_HOLE"}
F_OK, X_OK, W_OK, R_OK = 0, 1, 2, 4

# file types (st_mode), d_type
S_IFMT, S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO = (
    0o170000, 0o140000, 0o120000, 0o100000, 0o60000, 0o40000, 0o20000, 0o10000)
DT_UNKNOWN, DT_FIFO, DT_CHR, DT_DIR, DT_BLK, DT_REG, DT_LNK, DT_SOCK = 0, 1, 2, 4, 6, 8, 10, 12

# ---------------------------------------------------------------------------------------
# mmap / mprotect / msync / madvise (arch/parisc/include/uapi/asm/mman.h)
# ---------------------------------------------------------------------------------------
PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC, PROT_SEM = 0, 1, 2, 4, 8
PROT_GROWSDOWN, PROT_GROWSUP = 0x01000000, 0x02000000
PROT_NAMES = [("PROT_READ", 1), ("PROT_WRITE", 2), ("PROT_EXEC", 4), ("PROT_SEM", 8),
              ("PROT_GROWSDOWN", PROT_GROWSDOWN), ("PROT_GROWSUP", PROT_GROWSUP)]
MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_TYPE = 0x01, 0x02, 0x03, 0x2b
MAP_FIXED = 0x04
MAP_ANONYMOUS = MAP_ANON = 0x10
MAP_DENYWRITE = 0x0800
MAP_EXECUTABLE = 0x1000
MAP_LOCKED = 0x2000
MAP_NORESERVE = 0x4000
MAP_GROWSDOWN = 0x8000
MAP_POPULATE = 0x10000
MAP_NONBLOCK = 0x20000
MAP_STACK = 0x40000
MAP_HUGETLB = 0x80000
MAP_FIXED_NOREPLACE = 0x100000
MAP_FLAG_NAMES = [("MAP_FIXED", MAP_FIXED), ("MAP_ANONYMOUS", MAP_ANONYMOUS),
                  ("MAP_DENYWRITE", MAP_DENYWRITE), ("MAP_EXECUTABLE", MAP_EXECUTABLE),
                  ("MAP_LOCKED", MAP_LOCKED), ("MAP_NORESERVE", MAP_NORESERVE),
                  ("MAP_GROWSDOWN", MAP_GROWSDOWN), ("MAP_POPULATE", MAP_POPULATE),
                  ("MAP_NONBLOCK", MAP_NONBLOCK), ("MAP_STACK", MAP_STACK),
                  ("MAP_HUGETLB", MAP_HUGETLB), ("MAP_FIXED_NOREPLACE", MAP_FIXED_NOREPLACE)]
MAP_TYPE_NAMES = {1: "MAP_SHARED", 2: "MAP_PRIVATE", 3: "MAP_SHARED_VALIDATE"}
MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP = 1, 2, 4
MS_ASYNC, MS_INVALIDATE, MS_SYNC = 2, 4, 1
MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED = 0, 1, 2, 3, 4
MADV_FREE, MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK = 8, 9, 10, 11
# current kernels use the generic numbers 12..; the 6.1 uapi header (and QEMU) still list 65..
MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE, MADV_NOHUGEPAGE = 12, 13, 14, 15
MADV_DONTDUMP, MADV_DODUMP, MADV_WIPEONFORK, MADV_KEEPONFORK = 16, 17, 18, 19
MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE = 20, 21, 22, 23
MADV_DONTNEED_LOCKED, MADV_COLLAPSE = 24, 25
MADV_HWPOISON, MADV_SOFT_OFFLINE = 100, 101
MADV_NAMES = {0: "MADV_NORMAL", 1: "MADV_RANDOM", 2: "MADV_SEQUENTIAL", 3: "MADV_WILLNEED",
              4: "MADV_DONTNEED", 8: "MADV_FREE", 9: "MADV_REMOVE", 10: "MADV_DONTFORK",
              11: "MADV_DOFORK", 12: "MADV_MERGEABLE", 13: "MADV_UNMERGEABLE",
              14: "MADV_HUGEPAGE", 15: "MADV_NOHUGEPAGE", 16: "MADV_DONTDUMP",
              17: "MADV_DODUMP", 18: "MADV_WIPEONFORK", 19: "MADV_KEEPONFORK", 20: "MADV_COLD",
              21: "MADV_PAGEOUT", 22: "MADV_POPULATE_READ", 23: "MADV_POPULATE_WRITE",
              24: "MADV_DONTNEED_LOCKED", 25: "MADV_COLLAPSE",
              65: "MADV_MERGEABLE", 66: "MADV_UNMERGEABLE", 67: "MADV_HUGEPAGE",
              68: "MADV_NOHUGEPAGE", 69: "MADV_DONTDUMP", 70: "MADV_DODUMP",
              71: "MADV_WIPEONFORK", 72: "MADV_KEEPONFORK", 100: "MADV_HWPOISON",
              101: "MADV_SOFT_OFFLINE"}

# ---------------------------------------------------------------------------------------
# Address-space layout of a 32-bit task (asm/processor.h)
# ---------------------------------------------------------------------------------------
PAGE_SIZE = 4096
TASK_SIZE = 0xFFF00000
STACK_TOP = TASK_SIZE
DEFAULT_MAP_BASE32 = 0x40000000

# ---------------------------------------------------------------------------------------
# Signals (arch/parisc/include/uapi/asm/signal.h)
# ---------------------------------------------------------------------------------------
SIGNALS: dict[str, int] = {
    "SIGHUP": 1, "SIGINT": 2, "SIGQUIT": 3, "SIGILL": 4, "SIGTRAP": 5, "SIGABRT": 6,
    "SIGSTKFLT": 7, "SIGFPE": 8, "SIGKILL": 9, "SIGBUS": 10, "SIGSEGV": 11, "SIGXCPU": 12,
    "SIGPIPE": 13, "SIGALRM": 14, "SIGTERM": 15, "SIGUSR1": 16, "SIGUSR2": 17, "SIGCHLD": 18,
    "SIGPWR": 19, "SIGVTALRM": 20, "SIGPROF": 21, "SIGIO": 22, "SIGWINCH": 23, "SIGSTOP": 24,
    "SIGTSTP": 25, "SIGCONT": 26, "SIGTTIN": 27, "SIGTTOU": 28, "SIGURG": 29, "SIGXFSZ": 30,
    "SIGSYS": 31,
}
SIGHUP = 1; SIGINT = 2; SIGQUIT = 3; SIGILL = 4; SIGTRAP = 5; SIGABRT = 6; SIGSTKFLT = 7
SIGFPE = 8; SIGKILL = 9; SIGBUS = 10; SIGSEGV = 11; SIGXCPU = 12; SIGPIPE = 13
SIGALRM = 14; SIGTERM = 15; SIGUSR1 = 16; SIGUSR2 = 17; SIGCHLD = 18; SIGPWR = 19
SIGVTALRM = 20; SIGPROF = 21; SIGIO = 22; SIGWINCH = 23; SIGSTOP = 24; SIGTSTP = 25
SIGCONT = 26; SIGTTIN = 27; SIGTTOU = 28; SIGURG = 29; SIGXFSZ = 30; SIGSYS = 31
SIGIOT = SIGABRT
SIGPOLL = SIGIO
SIGUNUSED = SIGSYS
SIGRTMIN = 32
SIGRTMAX = 64
NSIG = 64            # _NSIG: signals 1..64
SIGNAL_NAMES: dict[int, str] = {v: k for k, v in SIGNALS.items()}


def signal_name(sig: int) -> str:
    if sig in SIGNAL_NAMES:
        return SIGNAL_NAMES[sig]
    if sig == SIGRTMIN:
        return "SIGRTMIN"
    if SIGRTMIN < sig <= SIGRTMAX:
        return f"SIGRT_{sig - SIGRTMIN}"
    return str(sig)


SA_ONSTACK = 0x1
SA_RESETHAND = 0x4
SA_NOCLDSTOP = 0x8
SA_SIGINFO = 0x10
SA_NODEFER = 0x20
SA_RESTART = 0x40
SA_NOCLDWAIT = 0x80
SA_FLAG_NAMES = [("SA_ONSTACK", 0x1), ("SA_RESETHAND", 0x4), ("SA_NOCLDSTOP", 0x8),
                 ("SA_SIGINFO", 0x10), ("SA_NODEFER", 0x20), ("SA_RESTART", 0x40),
                 ("SA_NOCLDWAIT", 0x80)]
SIG_DFL, SIG_IGN, SIG_ERR = 0, 1, 0xFFFFFFFF
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
SIGPROCMASK_HOW_NAMES = {0: "SIG_BLOCK", 1: "SIG_UNBLOCK", 2: "SIG_SETMASK"}
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
MINSIGSTKSZ, SIGSTKSZ = 2048, 8192
SIGSET_SIZE = 8      # kernel sigset_t: unsigned long sig[2]

# default actions (kernel/signal.c sig_kernel_*)
CORE_SIGNALS = frozenset({SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGFPE, SIGBUS, SIGSEGV, SIGXCPU,
                          SIGXFSZ, SIGSYS})
IGNORE_SIGNALS = frozenset({SIGCHLD, SIGURG, SIGWINCH, SIGCONT})
STOP_SIGNALS = frozenset({SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU})
UNBLOCKABLE = frozenset({SIGKILL, SIGSTOP})
# synchronous (fault) signals are delivered before others, like the kernel's SYNCHRONOUS_MASK
SYNCHRONOUS_SIGNALS = frozenset({SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS})

# parisc signal numbers <-> host (for forwarding host signals and wait statuses)
HOST_TO_GUEST_SIGNAL: dict[int, int] = {}
for _name, _value in SIGNALS.items():
    _h = getattr(_host_signal, _name, None)
    if _h is not None:
        HOST_TO_GUEST_SIGNAL[int(_h)] = _value
GUEST_TO_HOST_SIGNAL = {v: k for k, v in HOST_TO_GUEST_SIGNAL.items()}

# si_code values (asm-generic/siginfo.h)
SI_USER, SI_KERNEL, SI_QUEUE, SI_TIMER, SI_MESGQ, SI_ASYNCIO, SI_SIGIO, SI_TKILL = (
    0, 0x80, -1, -2, -3, -4, -5, -6)
ILL_ILLOPC, ILL_ILLOPN, ILL_ILLADR, ILL_ILLTRP, ILL_PRVOPC, ILL_PRVREG, ILL_COPROC, ILL_BADSTK = (
    1, 2, 3, 4, 5, 6, 7, 8)
FPE_INTDIV, FPE_INTOVF, FPE_FLTDIV, FPE_FLTOVF, FPE_FLTUND, FPE_FLTRES, FPE_FLTINV, FPE_FLTSUB = (
    1, 2, 3, 4, 5, 6, 7, 8)
FPE_FLTUNK, FPE_CONDTRAP = 14, 15
SEGV_MAPERR, SEGV_ACCERR = 1, 2
BUS_ADRALN, BUS_ADRERR, BUS_OBJERR = 1, 2, 3
TRAP_BRKPT, TRAP_TRACE, TRAP_BRANCH, TRAP_HWBKPT, TRAP_UNK = 1, 2, 3, 4, 5
CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_TRAPPED, CLD_STOPPED, CLD_CONTINUED = 1, 2, 3, 4, 5, 6
SI_CODE_NAMES = {
    None: {0: "SI_USER", 0x80: "SI_KERNEL", -1: "SI_QUEUE", -2: "SI_TIMER", -3: "SI_MESGQ",
           -4: "SI_ASYNCIO", -5: "SI_SIGIO", -6: "SI_TKILL"},
    SIGILL: {1: "ILL_ILLOPC", 2: "ILL_ILLOPN", 3: "ILL_ILLADR", 4: "ILL_ILLTRP", 5: "ILL_PRVOPC",
             6: "ILL_PRVREG", 7: "ILL_COPROC", 8: "ILL_BADSTK"},
    SIGFPE: {1: "FPE_INTDIV", 2: "FPE_INTOVF", 3: "FPE_FLTDIV", 4: "FPE_FLTOVF", 5: "FPE_FLTUND",
             6: "FPE_FLTRES", 7: "FPE_FLTINV", 8: "FPE_FLTSUB", 14: "FPE_FLTUNK",
             15: "FPE_CONDTRAP"},
    SIGSEGV: {1: "SEGV_MAPERR", 2: "SEGV_ACCERR"},
    SIGBUS: {1: "BUS_ADRALN", 2: "BUS_ADRERR", 3: "BUS_OBJERR"},
    SIGTRAP: {1: "TRAP_BRKPT", 2: "TRAP_TRACE", 3: "TRAP_BRANCH", 4: "TRAP_HWBKPT"},
    SIGCHLD: {1: "CLD_EXITED", 2: "CLD_KILLED", 3: "CLD_DUMPED", 4: "CLD_TRAPPED",
              5: "CLD_STOPPED", 6: "CLD_CONTINUED"},
}
# sigevent notify
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID = 0, 1, 2, 4

# ---------------------------------------------------------------------------------------
# Signal frame (arch/parisc/include/asm/rt_sigframe.h, uapi/asm/sigcontext.h; native 32-bit
# kernel numbers as the lead decided: frame 768 bytes, uc_mcontext at handler sp - 608)
# ---------------------------------------------------------------------------------------
# the PSW bits the CPU keeps (N, V, C/B) are architecture facts, defined with the context
PSW_N, PSW_V, PSW_CB_SHIFT = _context.PSW_N, _context.PSW_V, _context.PSW_CB_SHIFT
USER_PSW = 0x0004000F  # PSW_C|PSW_Q|PSW_P|PSW_D|PSW_I
PRIV_USER = 3
PA_PLABEL_FDESC = 0x02
PARISC_SC_FLAG_ONSTACK = 1
PARISC_SC_FLAG_IN_SYSCALL = 2
SIGINFO_SIZE = 128
SC_FLAGS, SC_GR, SC_FR, SC_IASQ, SC_IAOQ, SC_SAR = 0, 4, 136, 392, 400, 408
SIGCONTEXT_SIZE = 416
UC_FLAGS, UC_LINK, UC_STACK, UC_MCONTEXT, UC_SIGMASK = 0, 4, 8, 24, 440
UCONTEXT_SIZE = 448
RT_SIGFRAME_TRAMP = 0          # unsigned int tramp[2]
RT_SIGFRAME_INFO = 8
RT_SIGFRAME_UC = 136
RT_SIGFRAME_STRUCT_SIZE = 584
SIGFRAME = 128
FUNCTIONCALLFRAME = 96
RT_SIGFRAME_SIZE = ((RT_SIGFRAME_STRUCT_SIZE + FUNCTIONCALLFRAME) + SIGFRAME) & -SIGFRAME  # 768
SIGFRAME_CONTEXT_REGS32 = RT_SIGFRAME_UC + UC_MCONTEXT - RT_SIGFRAME_SIZE                  # -608
# Linux <= 5.17 (no vDSO): struct rt_sigframe { unsigned int tramp[9]; siginfo info;
# ucontext uc; }, the return trampoline written into tramp[5..8] (SIGRESTARTBLOCK_TRAMP = 5),
# the ucontext 8-byte aligned: uc_mcontext at frame + 192 = handler sp - 576, where gdb's
# hppa-linux signal-frame sniffer and libgcc's fallback unwinder look for it (trampoline
# address - 20 + 40 + 128 + 24). Same 768-byte frame: ((616 + 96) + 128) & -128.
OLD_RT_SIGFRAME_TRAMP = 20
OLD_RT_SIGFRAME_INFO = 36
OLD_RT_SIGFRAME_UC = 168
OLD_RT_SIGFRAME_STRUCT_SIZE = 616
INSN_LDI_R25_0 = 0x34190000    # ldi 0,%r25 (in_syscall=0)
INSN_LDI_R25_1 = 0x34190002    # ldi 1,%r25 (in_syscall=1)
INSN_LDI_R20 = 0x3414015A      # ldi __NR_rt_sigreturn,%r20
INSN_BLE_SR2_R0 = 0xE4008200   # be,l 0x100(%sr2,%r0),%sr0,%r31
INSN_NOP = 0x08000240
# syscall restart delay-slot checks (check_syscallno_in_delay_branch)
INSN_LDI_R20_MASK, INSN_LDI_R20_MATCH = 0xFFFF0000, 0x34140000
INSN_COPY_R20_MASK, INSN_COPY_R20_MATCH = 0xFFE0FFFF, 0x08000254
# struct sigaction as the kernel sees it (no sa_restorer): {handler, flags, sigset_t mask}
KSIGACTION_FMT = ">IIII"       # handler, flags, mask word 0 (sigs 1-32), word 1 (33-64)
KSIGACTION_SIZE = 16
STACK_T_FMT = ">IiI"           # ss_sp, ss_flags, ss_size
# siginfo field offsets (32-bit): si_signo, si_errno, si_code, then the union at 12
SI_SIGNO, SI_ERRNO, SI_CODE, SI_FIELDS = 0, 4, 8, 12

# ---------------------------------------------------------------------------------------
# auxv (include/uapi/linux/auxvec.h + asm/auxvec.h)
# ---------------------------------------------------------------------------------------
AT_NULL, AT_IGNORE, AT_EXECFD, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE = range(8)
AT_FLAGS, AT_ENTRY, AT_NOTELF, AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM = range(8, 16)
AT_HWCAP, AT_CLKTCK = 16, 17
AT_SECURE, AT_BASE_PLATFORM, AT_RANDOM, AT_HWCAP2 = 23, 24, 25, 26
AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN = 27, 28
AT_EXECFN = 31
AT_SYSINFO_EHDR = 33
AT_MINSIGSTKSZ = 51

# ---------------------------------------------------------------------------------------
# Time
# ---------------------------------------------------------------------------------------
CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 0, 1, 2, 3
CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME = 4, 5, 6, 7
CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI = 8, 9, 11
CLOCK_NAMES = {0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC", 2: "CLOCK_PROCESS_CPUTIME_ID",
               3: "CLOCK_THREAD_CPUTIME_ID", 4: "CLOCK_MONOTONIC_RAW",
               5: "CLOCK_REALTIME_COARSE", 6: "CLOCK_MONOTONIC_COARSE", 7: "CLOCK_BOOTTIME",
               8: "CLOCK_REALTIME_ALARM", 9: "CLOCK_BOOTTIME_ALARM", 11: "CLOCK_TAI"}
TIMER_ABSTIME = 1
ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2
ITIMER_NAMES = {0: "ITIMER_REAL", 1: "ITIMER_VIRTUAL", 2: "ITIMER_PROF"}
TIMESPEC32_FMT = ">ii"        # old_timespec32
TIMESPEC64_FMT = ">qi4x"      # __kernel_timespec: {s64 tv_sec; long long tv_nsec} read as s64
TIMESPEC64_FMT_FULL = ">qq"
TIMEVAL_FMT = ">ii"           # __kernel_old_timeval (32-bit)
ITIMERVAL_FMT = ">iiii"
ITIMERSPEC32_FMT = ">iiii"
ITIMERSPEC64_FMT = ">qqqq"
TMS_FMT = ">iiii"             # clock_t = long
USER_HZ = 100
# struct rusage: 2 timevals + 14 longs = 72 bytes
RUSAGE_FMT = ">iiii14i"
RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD = 0, -1, 1

# ---------------------------------------------------------------------------------------
# Resource limits (asm-generic/resource.h; parisc uses the generic numbering)
# ---------------------------------------------------------------------------------------
RLIMIT_NAMES = ["RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE",
                "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS",
                "RLIMIT_LOCKS", "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",
                "RLIMIT_RTPRIO", "RLIMIT_RTTIME"]
for _i, _n in enumerate(RLIMIT_NAMES):
    globals()[_n] = _i
RLIM_NLIMITS = 16
RLIM_INFINITY32 = 0xFFFFFFFF           # getrlimit's 32-bit "unlimited"
RLIM64_INFINITY = 0xFFFFFFFFFFFFFFFF
RLIMIT_FMT = ">II"
RLIMIT64_FMT = ">QQ"

# ---------------------------------------------------------------------------------------
# Struct layouts (big-endian, checked with hppa-linux-gnu-gcc)
# ---------------------------------------------------------------------------------------
# struct stat64 (arch/parisc/include/uapi/asm/stat.h), 104 bytes:
#  st_dev u64 @0, __pad1 @8, __st_ino @12 (not filled), st_mode @16, st_nlink @20, st_uid @24,
#  st_gid @28, st_rdev u64 @32, __pad2 @40, st_size s64 @48, st_blksize @56, st_blocks s64 @64,
#  atime/nsec @72, mtime/nsec @80, ctime/nsec @88, st_ino u64 @96
STAT64_FMT = ">QIIIIIIQI4xqi4xqiIiIiIQ"
STAT64_SIZE = 104
# struct statx (include/uapi/linux/stat.h), 256 bytes
STATX_SIZE = 256
STATX_FMT = ">IIQIIIHHQQQQ" + "qI4x" * 4 + "IIII" + "Q" + "II"   # up to stx_dio_offset_align
STATX_TYPE, STATX_MODE, STATX_NLINK, STATX_UID, STATX_GID = 0x1, 0x2, 0x4, 0x8, 0x10
STATX_ATIME, STATX_MTIME, STATX_CTIME, STATX_INO, STATX_SIZE = 0x20, 0x40, 0x80, 0x100, 0x200
STATX_BLOCKS, STATX_BASIC_STATS, STATX_BTIME, STATX_MNT_ID = 0x400, 0x7FF, 0x800, 0x1000
STATX__RESERVED = 0x80000000
STATX_MASK_NAMES = [("STATX_TYPE", 1), ("STATX_MODE", 2), ("STATX_NLINK", 4), ("STATX_UID", 8),
                    ("STATX_GID", 0x10), ("STATX_ATIME", 0x20), ("STATX_MTIME", 0x40),
                    ("STATX_CTIME", 0x80), ("STATX_INO", 0x100), ("STATX_SIZE", 0x200),
                    ("STATX_BLOCKS", 0x400), ("STATX_BTIME", 0x800), ("STATX_MNT_ID", 0x1000)]
# struct new_utsname: 6 fields of 65 bytes
UTSNAME_FIELD = 65
UTSNAME_SIZE = 390
# struct sysinfo (32-bit): uptime, loads[3], totalram, freeram, sharedram, bufferram,
# totalswap, freeswap (longs), procs u16, pad u16, totalhigh, freehigh, mem_unit, _f[8]
SYSINFO_FMT = ">i3IIIIIIIHHIII8x"
SYSINFO_SIZE = 64
# struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name[]
DIRENT64_HDR_FMT = ">QqHB"
DIRENT64_HDR_SIZE = 19
# struct linux_dirent (old getdents): d_ino ulong, d_off long, d_reclen u16, d_name[], pad, d_type
DIRENT32_HDR_FMT = ">IiH"
DIRENT32_HDR_SIZE = 10
# struct statfs64 (asm-generic/statfs.h, 32-bit): f_type, f_bsize (u32), blocks..ffree (u64),
# f_fsid (2 ints), f_namelen, f_frsize, f_flags, f_spare[4]  = 84 bytes (88 with padding)
STATFS64_FMT = ">IIQQQQQiiIII16x4x"
STATFS64_SIZE = 88
STATFS_FMT = ">IIIIIIIiiIII16x"
STATFS_SIZE = 64
# struct iovec (32-bit)
IOVEC_FMT = ">II"
IOV_MAX = 1024
# struct pollfd
POLLFD_FMT = ">ihh"
POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
POLLRDNORM, POLLRDBAND, POLLWRNORM, POLLWRBAND, POLLMSG, POLLRDHUP = (
    0x40, 0x80, 0x100, 0x200, 0x400, 0x2000)
POLL_NAMES = [("POLLIN", 1), ("POLLPRI", 2), ("POLLOUT", 4), ("POLLERR", 8), ("POLLHUP", 0x10),
              ("POLLNVAL", 0x20), ("POLLRDNORM", 0x40), ("POLLRDBAND", 0x80),
              ("POLLWRNORM", 0x100), ("POLLWRBAND", 0x200), ("POLLMSG", 0x400),
              ("POLLRDHUP", 0x2000)]
FD_SETSIZE = 1024
# robust list head: 3 words
ROBUST_LIST_HEAD_SIZE = 12
# struct sched_param / cpu sets
CPU_SETSIZE_BYTES = 128

# ---------------------------------------------------------------------------------------
# ioctl (arch/parisc/include/uapi/asm/ioctls.h, termbits.h)
# ---------------------------------------------------------------------------------------
TCGETS = 0x40245410
TCSETS = 0x80245411
TCSETSW = 0x80245412
TCSETSF = 0x80245413
TCGETA, TCSETA, TCSETAW, TCSETAF = 0x40125401, 0x80125402, 0x80125403, 0x80125404
TCSBRK, TCXONC, TCFLSH = 0x20005405, 0x20005406, 0x20005407
TIOCSCTTY = 0x540E
TIOCGPGRP = 0x4004541E
TIOCSPGRP = 0x8004541D
TIOCOUTQ = 0x5411
TIOCGWINSZ = 0x5413
TIOCSWINSZ = 0x5414
FIONREAD = 0x541B
FIONBIO = 0x5421
TIOCGSID = 0x40045414
FIONCLEX, FIOCLEX, FIOASYNC = 0x5450, 0x5451, 0x5452
TIOCGPTN = 0x40045430
IOCTL_NAMES = {TCGETS: "TCGETS", TCSETS: "TCSETS", TCSETSW: "TCSETSW", TCSETSF: "TCSETSF",
               TCGETA: "TCGETA", TCSETA: "TCSETA", TCSETAW: "TCSETAW", TCSETAF: "TCSETAF",
               TCSBRK: "TCSBRK", TCXONC: "TCXONC", TCFLSH: "TCFLSH", TIOCSCTTY: "TIOCSCTTY",
               TIOCGPGRP: "TIOCGPGRP", TIOCSPGRP: "TIOCSPGRP", TIOCOUTQ: "TIOCOUTQ",
               TIOCGWINSZ: "TIOCGWINSZ", TIOCSWINSZ: "TIOCSWINSZ", FIONREAD: "FIONREAD",
               FIONBIO: "FIONBIO", TIOCGSID: "TIOCGSID", FIONCLEX: "FIONCLEX",
               FIOCLEX: "FIOCLEX", FIOASYNC: "FIOASYNC", TIOCGPTN: "TIOCGPTN"}
# kernel struct termios on parisc: 4 tcflag_t, c_line, c_cc[19] = 36 bytes
KTERMIOS_NCCS = 19
KTERMIOS_FMT = ">IIIIB19s"
KTERMIOS_SIZE = 36
WINSIZE_FMT = ">HHHH"
# c_iflag bits that differ from the generic (x86) values
PARISC_IMAXBEL, PARISC_IUTF8 = 0x4000, 0x8000
GENERIC_IMAXBEL, GENERIC_IUTF8 = 0x2000, 0x4000


def iflag_to_host(flag: int) -> int:
    out = flag & ~(PARISC_IMAXBEL | PARISC_IUTF8)
    if flag & PARISC_IMAXBEL:
        out |= GENERIC_IMAXBEL
    if flag & PARISC_IUTF8:
        out |= GENERIC_IUTF8
    return out


def iflag_from_host(flag: int) -> int:
    out = flag & ~(GENERIC_IMAXBEL | GENERIC_IUTF8)
    if flag & GENERIC_IMAXBEL:
        out |= PARISC_IMAXBEL
    if flag & GENERIC_IUTF8:
        out |= PARISC_IUTF8
    return out


# ---------------------------------------------------------------------------------------
# Misc
# ---------------------------------------------------------------------------------------
PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 2, 3, 4
PR_GET_UNALIGN, PR_SET_UNALIGN = 5, 6
PR_UNALIGN_NOPRINT, PR_UNALIGN_SIGBUS = 1, 2     # parisc: PARISC_UAC_NOPRINT, _SIGBUS
PR_SET_NAME, PR_GET_NAME = 15, 16
PR_GET_TIMERSLACK, PR_SET_TIMERSLACK = 30, 29
PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 38, 39
PR_SET_VMA = 0x53564D41
GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE = 1, 2, 4
FUTEX_WAIT, FUTEX_WAKE, FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 0, 1, 128, 256
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = 3, 4, 5
FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI = 6, 7, 8
FUTEX_WAIT_REQUEUE_PI, FUTEX_CMP_REQUEUE_PI = 11, 12
PRIO_PROCESS, PRIO_PGRP, PRIO_USER = 0, 1, 2
P_ALL, P_PID, P_PGID, P_PIDFD = 0, 1, 2, 3
WNOHANG, WUNTRACED, WSTOPPED, WEXITED, WCONTINUED, WNOWAIT = 1, 2, 2, 4, 8, 0x01000000
__WNOTHREAD, __WALL, __WCLONE = 0x20000000, 0x40000000, 0x80000000
WAIT_FLAG_NAMES = [("WNOHANG", 1), ("WUNTRACED", 2), ("WEXITED", 4), ("WCONTINUED", 8),
                   ("WNOWAIT", 0x01000000), ("__WNOTHREAD", 0x20000000),
                   ("__WALL", 0x40000000), ("__WCLONE", 0x80000000)]

# clone() flags (uapi/linux/sched.h); the low byte is the exit signal
CSIGNAL = 0x000000FF
CLONE_NAMES = {
    "CLONE_VM": 0x00000100, "CLONE_FS": 0x00000200, "CLONE_FILES": 0x00000400,
    "CLONE_SIGHAND": 0x00000800, "CLONE_PIDFD": 0x00001000, "CLONE_PTRACE": 0x00002000,
    "CLONE_VFORK": 0x00004000, "CLONE_PARENT": 0x00008000, "CLONE_THREAD": 0x00010000,
    "CLONE_NEWNS": 0x00020000, "CLONE_SYSVSEM": 0x00040000, "CLONE_SETTLS": 0x00080000,
    "CLONE_PARENT_SETTID": 0x00100000, "CLONE_CHILD_CLEARTID": 0x00200000,
    "CLONE_DETACHED": 0x00400000, "CLONE_UNTRACED": 0x00800000,
    "CLONE_CHILD_SETTID": 0x01000000, "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000, "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000, "CLONE_NEWNET": 0x40000000, "CLONE_IO": 0x80000000,
}
CLONE_VM = CLONE_NAMES["CLONE_VM"]
CLONE_FS = CLONE_NAMES["CLONE_FS"]
CLONE_FILES = CLONE_NAMES["CLONE_FILES"]
CLONE_SIGHAND = CLONE_NAMES["CLONE_SIGHAND"]
CLONE_PIDFD = CLONE_NAMES["CLONE_PIDFD"]
CLONE_VFORK = CLONE_NAMES["CLONE_VFORK"]
CLONE_PARENT = CLONE_NAMES["CLONE_PARENT"]
CLONE_THREAD = CLONE_NAMES["CLONE_THREAD"]
CLONE_NEWNS = CLONE_NAMES["CLONE_NEWNS"]
CLONE_SYSVSEM = CLONE_NAMES["CLONE_SYSVSEM"]
CLONE_SETTLS = CLONE_NAMES["CLONE_SETTLS"]
CLONE_PARENT_SETTID = CLONE_NAMES["CLONE_PARENT_SETTID"]
CLONE_CHILD_CLEARTID = CLONE_NAMES["CLONE_CHILD_CLEARTID"]
CLONE_CHILD_SETTID = CLONE_NAMES["CLONE_CHILD_SETTID"]
CLONE_NEWUSER = CLONE_NAMES["CLONE_NEWUSER"]
CLONE_NEWPID = CLONE_NAMES["CLONE_NEWPID"]
CLONE_NAMESPACES = (CLONE_NEWNS | CLONE_NAMES["CLONE_NEWCGROUP"] | CLONE_NAMES["CLONE_NEWUTS"]
                    | CLONE_NAMES["CLONE_NEWIPC"] | CLONE_NEWUSER | CLONE_NEWPID
                    | CLONE_NAMES["CLONE_NEWNET"])

# sockets (uapi/linux/socket.h, asm/socket.h: parisc's SOCK_NONBLOCK is not O_NONBLOCK)
AF_UNIX, AF_INET, AF_INET6 = 1, 2, 10
SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET = 1, 2, 5
SOCK_CLOEXEC = O_CLOEXEC
SOCK_NONBLOCK = 0x40000000
MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT, MSG_EOR, MSG_WAITALL, MSG_NOSIGNAL = (
    0x1, 0x2, 0x20, 0x40, 0x80, 0x100, 0x4000)

# execve
MAX_ARG_STRLEN = 32 * 4096          # one argument or environment string, NUL included
MAX_ARG_STRINGS = 0x7FFFFFFF
BINPRM_BUF_SIZE = 256               # what binfmt handlers see of the file's head
UMASK_DEFAULT = 0o022


def pack(fmt: str, *values) -> bytes:
    return _struct.pack(fmt, *values)
