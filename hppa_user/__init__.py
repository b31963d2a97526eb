"""hppa-user: the machine (memory, CPU state, decoder, jitted core, loader, disassembler)."""
from hppa_user import jitcache as _jitcache

_jitcache.configure()
