"""Development tools around the emulator, kept out of the runtime packages.

``bench.toolchain`` builds static hppa guests with the Debian cross toolchain (what
``hppa-user cc``, the tests and the benchmarks compile with); the benchmark harness
behind ``make bench`` and ``hppa-user bench`` lives beside it.
"""
