/* dyn_tls.c: TLS in shared libraries: the linked copy of dyn_tls_lib (static TLS block,
 * set up by ld.so at start-up) and a second copy dlopen'ed from argv[1] (dynamic TLS,
 * allocated on first use), plus the program's own TLS. Build dynamically. */
#include <dlfcn.h>
#include <stdio.h>

extern __thread int tls_counter;
int tls_bump(int by);
const char *tls_label(void);
__thread long long main_tls = 0x1122334455667788LL;

int main(int argc, char **argv)
{
	printf("linked: %d %d %s counter=%d\n", tls_bump(1), tls_bump(10), tls_label(), tls_counter);
	printf("main tls %llx\n", main_tls);
	if (argc > 1) {
		void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			printf("dlopen: %s\n", dlerror());
			return 1;
		}
		int (*bump)(int) = (int (*)(int))dlsym(h, "tls_bump");
		int *counter = (int *)dlsym(h, "tls_counter");
		printf("dlopened: %d %d counter=%d\n", bump(2), bump(3), *counter);
		printf("linked again: %d\n", tls_bump(100));
		dlclose(h);
	}
	return 0;
}
