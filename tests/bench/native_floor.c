/*
 * native_floor: the floor under New-VcToken -- the module's own native call for
 * `New-VcToken -Endpoint -Jwt`, made through the C ABI from a native loop with nothing of
 * PowerShell or .NET around it. Set-up, once per process, as the module does it once per setting
 * or per module scope: a configuration that trusts the emulator's certificate
 * (nt_config_builder_add_ca_file: what the module does with SSL_CERT_FILE), one nt_vc_session
 * and one nt_cancel (the module rents one from a pool for every call). Each timed call:
 * nt_vc_session_begin on that session, read the access token and the expiry, nt_token_free.
 * The library reads no environment variable; everything comes in as arguments.
 * Built and run by tests/bench/run.
 *
 * usage:
 *   native_floor serve <http endpoint> <https endpoint> <jwt> <ca file>
 *       Reads commands from stdin, one a line, and answers each with one line on stdout:
 *         http N | https N   N timed calls: their durations in ns, separated by spaces
 *         stats N            N calls over HTTP: "rss_kib_before rss_kib_after cpu_us_per_call
 *                            context_switches_per_call" (VmRSS; getrusage: user+system CPU,
 *                            voluntary+involuntary switches)
 *         quit (or EOF)      exit
 *   native_floor first <endpoint> <jwt> <ca file>
 *       A fresh process's first token, as a one-shot native caller gets it. Prints one line:
 *       "<CLOCK_MONOTONIC ns at main> <config ns> <session ns> <first call ns> <second call ns>"
 *       (the library is linked, so it is loaded before main; the driver subtracts its own
 *       timestamp of the spawn from the first field: exec + dynamic loading).
 *   native_floor loop <endpoint> <jwt> <ca file> <warm-up calls> <timed calls>
 *       One duration in ns per line (for callgrind and perf: tests/bench/run --profile).
 * Exits non-zero, with the library's error on stderr, if a call fails.
 */
#include "native_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct {
    const char *ptr;
    size_t len;
} text;

static const nt_config *config;
static nt_vc_session *session;
static nt_cancel *cancel;
static text jwt;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static text arg(const char *s) {
    text t = {s, strlen(s)};
    return t;
}

static void fail(nt_result r, const char *what) {
    fprintf(stderr, "native_floor: %s failed: %s", what, nt_result_name(r));
    nt_error *err = nt_error_take_last();
    if (err != NULL) {
        const uint8_t *msg = NULL;
        size_t len = 0;
        if (nt_error_message(err, &msg, &len) == NT_OK) fprintf(stderr, ": %.*s", (int)len, (const char *)msg);
        nt_error_free(err);
    }
    fputc('\n', stderr);
    exit(1);
}

/* The configuration the module builds for SSL_CERT_FILE=<ca file>, and its session and cancel. */
static void set_up(const char *ca_file) {
    nt_config_builder *builder = NULL;
    nt_result r = nt_config_builder_new(&builder);
    if (r != NT_OK) fail(r, "nt_config_builder_new");
    text ca = arg(ca_file);
    if ((r = nt_config_builder_add_ca_file(builder, (const uint8_t *)ca.ptr, ca.len)) != NT_OK) fail(r, "nt_config_builder_add_ca_file");
    if ((r = nt_config_builder_build(builder, &config)) != NT_OK) fail(r, "nt_config_builder_build");
}

static void new_session(void) {
    nt_result r = nt_vc_session_new(&session);
    if (r != NT_OK) fail(r, "nt_vc_session_new");
    if ((r = nt_cancel_new(&cancel)) != NT_OK) fail(r, "nt_cancel_new");
}

/* One call as the module makes it; returns the access token length so nothing is optimised away. */
static size_t one_call(text endpoint) {
    nt_token *token = NULL;
    nt_result r = nt_vc_session_begin(session, config, (const uint8_t *)endpoint.ptr, endpoint.len,
                                      (const uint8_t *)jwt.ptr, jwt.len, 0, cancel, &token);
    if (r != NT_OK) fail(r, "nt_vc_session_begin");
    const uint8_t *access = NULL;
    size_t access_len = 0;
    if ((r = nt_token_access_token(token, &access, &access_len)) != NT_OK) fail(r, "nt_token_access_token");
    int64_t expires_ms = 0;
    if ((r = nt_token_expires_at_unix_ms(token, &expires_ms)) != NT_OK) fail(r, "nt_token_expires_at_unix_ms");
    if (access_len == 0 || expires_ms <= 0) {
        fprintf(stderr, "native_floor: empty access token or expiry\n");
        exit(1);
    }
    nt_token_free(token);
    return access_len;
}

static long rss_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    if (f == NULL) return -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static double cpu_us(const struct rusage *u) {
    return (double)(u->ru_utime.tv_sec + u->ru_stime.tv_sec) * 1e6 + (double)(u->ru_utime.tv_usec + u->ru_stime.tv_usec);
}

static volatile size_t sink;

static int serve(text http, text https) {
    char line[128];
    long long *ns = NULL;
    long cap = 0;
    while (fgets(line, sizeof line, stdin) != NULL) {
        char what[16];
        long n = 0;
        if (sscanf(line, "%15s %ld", what, &n) < 1 || strcmp(what, "quit") == 0) break;
        if (n <= 0) {
            fprintf(stderr, "native_floor: bad command: %s", line);
            return 2;
        }
        if (strcmp(what, "stats") == 0) {
            struct rusage u0, u1;
            long before = rss_kib();
            getrusage(RUSAGE_SELF, &u0);
            for (long i = 0; i < n; i++) sink += one_call(http);
            getrusage(RUSAGE_SELF, &u1);
            long after = rss_kib();
            long switches = (u1.ru_nvcsw + u1.ru_nivcsw) - (u0.ru_nvcsw + u0.ru_nivcsw);
            printf("%ld %ld %.1f %.2f\n", before, after, (cpu_us(&u1) - cpu_us(&u0)) / (double)n, (double)switches / (double)n);
            fflush(stdout);
            continue;
        }
        text endpoint;
        if (strcmp(what, "http") == 0) endpoint = http;
        else if (strcmp(what, "https") == 0) endpoint = https;
        else {
            fprintf(stderr, "native_floor: unknown command: %s", line);
            return 2;
        }
        if (n > cap) {
            free(ns);
            ns = malloc((size_t)n * sizeof *ns);
            if (ns == NULL) return 1;
            cap = n;
        }
        for (long i = 0; i < n; i++) {
            long long t0 = now_ns();
            sink += one_call(endpoint);
            ns[i] = now_ns() - t0;
        }
        for (long i = 0; i < n; i++) printf(i == 0 ? "%lld" : " %lld", ns[i]);
        putchar('\n');
        fflush(stdout);
    }
    free(ns);
    return 0;
}

int main(int argc, char **argv) {
    long long at_main = now_ns();
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "serve") == 0 && argc == 6) {
        jwt = arg(argv[4]);
        set_up(argv[5]);
        new_session();
        return serve(arg(argv[2]), arg(argv[3]));
    }
    if (strcmp(mode, "first") == 0 && argc == 5) {
        jwt = arg(argv[3]);
        text endpoint = arg(argv[2]);
        long long t0 = now_ns();
        set_up(argv[4]);
        long long t1 = now_ns();
        new_session();
        long long t2 = now_ns();
        sink += one_call(endpoint);
        long long t3 = now_ns();
        sink += one_call(endpoint);
        long long t4 = now_ns();
        printf("%lld %lld %lld %lld %lld\n", at_main, t1 - t0, t2 - t1, t3 - t2, t4 - t3);
        return 0;
    }
    if (strcmp(mode, "loop") == 0 && argc == 7) {
        text endpoint = arg(argv[2]);
        jwt = arg(argv[3]);
        long warmup = strtol(argv[5], NULL, 10), calls = strtol(argv[6], NULL, 10);
        if (warmup < 0 || calls <= 0) return 2;
        set_up(argv[4]);
        new_session();
        for (long i = 0; i < warmup; i++) sink += one_call(endpoint);
        for (long i = 0; i < calls; i++) {
            long long t = now_ns();
            sink += one_call(endpoint);
            printf("%lld\n", now_ns() - t);
        }
        return 0;
    }
    fprintf(stderr,
            "usage: native_floor serve <http endpoint> <https endpoint> <jwt> <ca file>\n"
            "       native_floor first <endpoint> <jwt> <ca file>\n"
            "       native_floor loop <endpoint> <jwt> <ca file> <warm-up calls> <timed calls>\n");
    return 2;
}
