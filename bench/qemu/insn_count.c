/*
 * A qemu TCG plugin: guest instructions and gateway-page entries, counted by qemu itself.
 *
 *   qemu-hppa -plugin ./insn_count.so,outfile=COUNTS PROGRAM ARGS...
 *
 * At exit COUNTS holds "insns N" and "gateway N": every translated guest instruction
 * gets an inline add (so an exit in the middle of a block counts exactly what ran), and
 * an instruction at one of the gateway page's entry points (0xb0 LWS, 0xe0 set %cr27,
 * 0x100 syscall) counts one trap.  The harness uses it instead of the one-instruction-
 * per-block exec trace of scripts/qemu_count_insns.sh, which is ~1000x slower.
 *
 * Built at bench time against include/qemu/qemu-plugin.h of the pinned qemu source
 * package; nothing of qemu is in this file.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static uint64_t insns;
static uint64_t gateway;
static char outfile[4096];

static int is_gateway_entry(uint64_t vaddr)
{
    uint64_t off = vaddr & ~(uint64_t)3;      /* low bits: privilege level */
    return off == 0xb0 || off == 0xe0 || off == 0x100;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &insns, 1);
        if (is_gateway_entry(qemu_plugin_insn_vaddr(insn)))
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                       &gateway, 1);
    }
}

static void on_exit(qemu_plugin_id_t id, void *p)
{
    FILE *f = outfile[0] ? fopen(outfile, "w") : stderr;
    if (!f)
        return;
    fprintf(f, "insns %" PRIu64 "\ngateway %" PRIu64 "\n", insns, gateway);
    if (f != stderr)
        fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                           int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "outfile=", 8) == 0 && strlen(argv[i] + 8) < sizeof outfile)
            strcpy(outfile, argv[i] + 8);
        else {
            fprintf(stderr, "insn_count: unknown argument %s\n", argv[i]);
            return -1;
        }
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_exit, NULL);
    return 0;
}
