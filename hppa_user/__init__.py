"""hppa-user's CPU: guest memory, the CPU context, decoder, jitted core, region compiler,
loader, disassembler. It never imports the kernel model, which drives it."""
from hppa_user import jitcache as _jitcache

_jitcache.configure()
