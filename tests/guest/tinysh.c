/* tinysh: the least /bin/sh that system(), popen() and simple scripts need, as a guest
   program of the process tests.

     tinysh -c 'command line' [arg0 args...]      tinysh SCRIPT [args...]      tinysh < SCRIPT

   A command line is a list of pipelines separated by ';', '&&', '||' or newlines; a
   pipeline is simple commands joined by '|', the last one optionally followed by '&'.
   Words may be quoted ('...', "...", \x); $VAR, ${VAR}, $?, $$, $0..$9 and $# are expanded
   (not inside single quotes). Redirections: < FILE, > FILE, >> FILE, 2> FILE, 2>&1, N>&M.
   Builtins: exit [N], cd DIR, export NAME=VALUE, unset NAME, wait, true, false, :, echo.
   Anything else is looked up through $PATH and run with fork + execve. '#' starts a
   comment. Exit status: the last pipeline's (128 + N for a signal, 127 command not found,
   126 not executable), as POSIX sh. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXW 256

static int last_status;
static int sh_argc;
static char **sh_argv;

/* -- words ------------------------------------------------------------------------------ */
struct buf { char *s; size_t n, cap; };

static void put(struct buf *b, char c)
{
    if (b->n + 2 > b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->s = realloc(b->s, b->cap);
    }
    b->s[b->n++] = c;
    b->s[b->n] = 0;
}

static void puts_(struct buf *b, const char *s) { while (*s) put(b, *s++); }

static const char *expand_var(const char **pp)
{
    static char num[32];
    const char *p = *pp;
    char name[128];
    size_t n = 0;
    if (*p == '?') { *pp = p + 1; snprintf(num, sizeof num, "%d", last_status); return num; }
    if (*p == '$') { *pp = p + 1; snprintf(num, sizeof num, "%d", getpid()); return num; }
    if (*p == '#') { *pp = p + 1; snprintf(num, sizeof num, "%d", sh_argc > 0 ? sh_argc - 1 : 0); return num; }
    if (isdigit((unsigned char)*p)) {
        int i = *p - '0';
        *pp = p + 1;
        return i < sh_argc ? sh_argv[i] : "";
    }
    int brace = *p == '{';
    if (brace) p++;
    if (brace && isdigit((unsigned char)*p) && p[1] == '}') {
        int i = *p - '0';
        *pp = p + 2;
        return i < sh_argc ? sh_argv[i] : "";
    }
    while ((isalnum((unsigned char)*p) || *p == '_') && n < sizeof name - 1) name[n++] = *p++;
    name[n] = 0;
    if (brace && *p == '}') p++;
    *pp = p;
    if (n == 0) return "$";
    const char *v = getenv(name);
    return v ? v : "";
}

/* one token: a word, or an operator (returned with *op set) */
enum { T_END, T_WORD, T_SEMI, T_AND, T_OR, T_PIPE, T_BG, T_NL, T_REDIR };

struct tok { int type; char *word; int fd; char redir[3]; };

static const char *src;

static int next(struct tok *t)
{
    while (*src == ' ' || *src == '\t') src++;
    if (*src == '#') while (*src && *src != '\n') src++;
    memset(t, 0, sizeof *t);
    if (!*src) return t->type = T_END;
    if (*src == '\n') { src++; return t->type = T_NL; }
    if (*src == ';') { src++; return t->type = T_SEMI; }
    if (src[0] == '&' && src[1] == '&') { src += 2; return t->type = T_AND; }
    if (src[0] == '|' && src[1] == '|') { src += 2; return t->type = T_OR; }
    if (*src == '|') { src++; return t->type = T_PIPE; }
    if (*src == '&') { src++; return t->type = T_BG; }
    /* redirections: [N]< [N]> [N]>> [N]>&M */
    const char *p = src;
    int fd = -1;
    if (isdigit((unsigned char)*p) && (p[1] == '<' || p[1] == '>')) fd = *p++ - '0';
    if (*p == '<' || *p == '>') {
        t->type = T_REDIR;
        t->redir[0] = *p++;
        if (t->redir[0] == '>' && (*p == '>' || *p == '&')) t->redir[1] = *p++;
        t->fd = fd >= 0 ? fd : (t->redir[0] == '<' ? 0 : 1);
        src = p;
        struct tok w;
        next(&w);
        t->word = w.word;
        return t->type;
    }
    struct buf b = {0};
    put(&b, 0);
    b.n = 0;
    while (*src && !strchr(" \t\n;&|<>", *src)) {
        if (*src == '\'') {
            src++;
            while (*src && *src != '\'') put(&b, *src++);
            if (*src) src++;
        } else if (*src == '"') {
            src++;
            while (*src && *src != '"') {
                if (*src == '\\' && src[1] && strchr("\"\\$`", src[1])) { put(&b, src[1]); src += 2; }
                else if (*src == '$') { src++; puts_(&b, expand_var(&src)); }
                else put(&b, *src++);
            }
            if (*src) src++;
        } else if (*src == '\\' && src[1]) {
            put(&b, src[1]);
            src += 2;
        } else if (*src == '$') {
            src++;
            puts_(&b, expand_var(&src));
        } else {
            put(&b, *src++);
        }
    }
    t->word = b.s ? b.s : strdup("");
    return t->type = T_WORD;
}

/* -- commands ----------------------------------------------------------------------------- */
struct redir { int fd; char op[3]; char *target; };
struct cmd { char *argv[MAXW]; int argc; struct redir r[16]; int nr; };

static int apply_redirs(struct cmd *c)
{
    for (int i = 0; i < c->nr; i++) {
        struct redir *r = &c->r[i];
        int fd;
        if (r->op[1] == '&') {
            fd = dup(atoi(r->target));
            if (fd < 0) { fprintf(stderr, "tinysh: %s: bad descriptor\n", r->target); return -1; }
        } else if (r->op[0] == '<') {
            fd = open(r->target, O_RDONLY);
        } else {
            fd = open(r->target, O_WRONLY | O_CREAT | (r->op[1] == '>' ? O_APPEND : O_TRUNC), 0666);
        }
        if (fd < 0) { fprintf(stderr, "tinysh: %s: %s\n", r->target, strerror(errno)); return -1; }
        if (fd != r->fd) { dup2(fd, r->fd); close(fd); }
    }
    return 0;
}

static int builtin(struct cmd *c, int *status)
{
    char **a = c->argv;
    if (!strcmp(a[0], "exit")) { fflush(stdout); exit(a[1] ? atoi(a[1]) : last_status); }
    if (!strcmp(a[0], "cd")) { *status = chdir(a[1] ? a[1] : getenv("HOME")) ? 1 : 0; return 1; }
    if (!strcmp(a[0], "true") || !strcmp(a[0], ":")) { *status = 0; return 1; }
    if (!strcmp(a[0], "false")) { *status = 1; return 1; }
    if (!strcmp(a[0], "export")) {
        for (int i = 1; a[i]; i++) if (strchr(a[i], '=')) putenv(strdup(a[i]));
        *status = 0;
        return 1;
    }
    if (!strcmp(a[0], "unset")) { for (int i = 1; a[i]; i++) unsetenv(a[i]); *status = 0; return 1; }
    if (!strcmp(a[0], "wait")) { while (wait(NULL) > 0) ; *status = 0; return 1; }
    return 0;
}

static int echo(char **a)
{
    int i = 1, nl = 1;
    if (a[1] && !strcmp(a[1], "-n")) { nl = 0; i++; }
    for (; a[i]; i++) { fputs(a[i], stdout); if (a[i + 1]) putchar(' '); }
    if (nl) putchar('\n');
    fflush(stdout);
    return 0;
}

static void run_child(struct cmd *c)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    if (apply_redirs(c)) _exit(1);
    if (!strcmp(c->argv[0], "echo")) _exit(echo(c->argv));
    int st;
    if (builtin(c, &st)) _exit(st);
    execvp(c->argv[0], c->argv);
    int e = errno;
    fprintf(stderr, "tinysh: %s: %s\n", c->argv[0], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
}

static int wait_status(pid_t p)
{
    int st;
    while (waitpid(p, &st, 0) < 0)
        if (errno != EINTR) return 127;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* run one pipeline of n commands */
static int run_pipeline(struct cmd *cs, int n, int bg)
{
    if (n == 1 && !bg && cs[0].argc) {
        int st;
        if (cs[0].nr == 0 && builtin(&cs[0], &st)) return st;
    }
    pid_t pids[64];
    int in = -1;
    for (int i = 0; i < n; i++) {
        int pfd[2] = {-1, -1};
        if (i < n - 1) pipe(pfd);
        pid_t p = fork();
        if (p < 0) { perror("tinysh: fork"); return 2; }
        if (p == 0) {
            if (in >= 0) { dup2(in, 0); close(in); }
            if (pfd[1] >= 0) { dup2(pfd[1], 1); close(pfd[1]); close(pfd[0]); }
            if (!cs[i].argc) _exit(apply_redirs(&cs[i]) ? 1 : 0);
            run_child(&cs[i]);
        }
        pids[i] = p;
        if (in >= 0) close(in);
        if (pfd[1] >= 0) close(pfd[1]);
        in = pfd[0];
    }
    if (bg) return 0;
    int st = 0;
    for (int i = 0; i < n; i++) st = wait_status(pids[i]);
    return st;
}

static void free_cmd(struct cmd *c)
{
    for (int i = 0; i < c->argc; i++) free(c->argv[i]);
    for (int i = 0; i < c->nr; i++) free(c->r[i].target);
    memset(c, 0, sizeof *c);
}

static int run_text(const char *text)
{
    src = text;
    static struct cmd cs[64];
    int n = 0, status = 0, skip = 0;
    struct tok t;
    memset(cs, 0, sizeof cs);
    for (;;) {
        int type = next(&t);
        if (type == T_WORD) {
            if (cs[n].argc < MAXW - 1) cs[n].argv[cs[n].argc++] = t.word;
            continue;
        }
        if (type == T_REDIR) {
            if (cs[n].nr < 16 && t.word) {
                struct redir *r = &cs[n].r[cs[n].nr++];
                r->fd = t.fd;
                memcpy(r->op, t.redir, 3);
                r->target = t.word;
            }
            continue;
        }
        if (type == T_PIPE) { if (n < 63) n++; continue; }
        /* end of a pipeline */
        int count = n + 1;
        if (cs[0].argc || cs[0].nr || n) {
            if (!skip) last_status = status = run_pipeline(cs, count, type == T_BG);
            for (int i = 0; i < count; i++) free_cmd(&cs[i]);
        }
        n = 0;
        skip = 0;
        if (type == T_AND) skip = status != 0;
        if (type == T_OR) skip = status == 0;
        if (type == T_END) break;
    }
    return status;
}

static char *slurp(FILE *f)
{
    struct buf b = {0};
    int c;
    put(&b, 0);
    b.n = 0;
    while ((c = getc(f)) != EOF) put(&b, (char)c);
    return b.s;
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "-c")) {
        sh_argc = argc - 3;
        sh_argv = argv + 3;
        if (sh_argc == 0) { static char *self[] = {"tinysh"}; sh_argv = self; sh_argc = 1; }
        return run_text(argv[2]);
    }
    FILE *f = stdin;
    if (argc > 1) {
        f = fopen(argv[1], "r");
        if (!f) { fprintf(stderr, "tinysh: %s: %s\n", argv[1], strerror(errno)); return 127; }
        sh_argc = argc - 1;
        sh_argv = argv + 1;
    } else {
        sh_argc = 1;
        sh_argv = argv;
    }
    char *text = slurp(f);
    if (text[0] == '#' && text[1] == '!')           /* the #! line is a comment */
        text[0] = '#';
    return run_text(text);
}
