/* Interleaving-dependent output: four threads append their number to a shared log as they
   run (no lock: one CPU, the order is the scheduler's), then take turns through a mutex.
   The log is printed run-length encoded. Under --clock virtual two runs must print the
   same; elsewhere the output differs from run to run. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define PER 20000
static volatile int logbuf[4 * PER + 64];
static volatile int pos;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int order[64], norder;

static void *run(void *arg)
{
    int id = (int)(long)arg;
    for (int i = 0; i < PER; i++) {
        int p = pos;
        logbuf[p] = id;
        pos = p + 1;
        for (volatile int w = 0; w < id * 3; w++) ;
    }
    for (int i = 0; i < 4; i++) {
        pthread_mutex_lock(&m);
        order[norder++] = id;
        for (volatile int w = 0; w < 20000; w++) ;
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, run, (void *)i);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    int runs = 0;
    printf("log %d:", pos);
    for (int i = 0; i < pos; ) {
        int j = i;
        while (j < pos && logbuf[j] == logbuf[i]) j++;
        printf(" %dx%d", logbuf[i], j - i);
        runs++;
        i = j;
    }
    printf("\nruns %d\nmutex order:", runs);
    for (int i = 0; i < norder; i++) printf(" %d", order[i]);
    printf("\n");
    return 0;
}
