"""hppa-user's CPU: guest memory, the CPU context, decoder, jitted core, region compiler,
loader, disassembler. It never imports the kernel model, which drives it."""
