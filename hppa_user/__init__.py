"""hppa-user: the machine (memory, CPU state, decoder, native core, loader, disassembler)."""
