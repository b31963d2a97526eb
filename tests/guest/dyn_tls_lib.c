/* dyn_tls_lib.c: a shared library with thread-local storage (global-dynamic model:
 * __tls_get_addr, and %cr27 underneath). Loaded at start-up (linked) or with dlopen. */
__thread int tls_counter = 5;
__thread char tls_name[16] = "lib-tls";
static __thread int tls_hidden[64];

int tls_bump(int by)
{
	tls_hidden[63] += by;
	tls_counter += by;
	return tls_counter * 1000 + tls_hidden[63];
}

const char *tls_label(void) { return tls_name; }
