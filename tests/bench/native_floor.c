/*
 * native_floor: the floor under New-VcToken -- the same token call made through the C ABI from a
 * native loop, with nothing of PowerShell or .NET around it. Each timed call is what the module
 * does for New-VcToken -Endpoint -Jwt: nt_vc_session_begin (fetch, and keep the session in the
 * library's store), read the access token and the expiry, free the token.
 * Built and run by tests/bench/run (the bench host starts it once per round).
 *
 * usage: native_floor <endpoint> <jwt> <warmup calls> <timed calls>
 *          prints one line per timed call: nanoseconds (CLOCK_MONOTONIC)
 *        native_floor --stats <endpoint> <jwt> <warmup calls> <calls>
 *          prints "rss_kib_before rss_kib_after cpu_us_per_call context_switches_per_call" over the
 *          calls after the warm-up (VmRSS; getrusage: user+system CPU, voluntary+involuntary switches)
 * Exits non-zero, with the library's error on stderr, if a call fails.
 */
#include "native_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const char *endpoint;
static const char *jwt;
static size_t endpoint_len, jwt_len;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
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

/* One call as the module makes it; returns the access token length so nothing is optimised away. */
static size_t one_call(void) {
    nt_token *token = NULL;
    nt_result r = nt_vc_session_begin((const uint8_t *)endpoint, endpoint_len, (const uint8_t *)jwt, jwt_len, 0, &token);
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
    if ((r = nt_token_free(token)) != NT_OK) fail(r, "nt_token_free");
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

int main(int argc, char **argv) {
    int stats = argc > 1 && strcmp(argv[1], "--stats") == 0;
    if (argc - stats != 5) {
        fprintf(stderr, "usage: native_floor [--stats] <endpoint> <jwt> <warmup calls> <timed calls>\n");
        return 2;
    }
    endpoint = argv[1 + stats];
    jwt = argv[2 + stats];
    endpoint_len = strlen(endpoint);
    jwt_len = strlen(jwt);
    long warmup = strtol(argv[3 + stats], NULL, 10);
    long calls = strtol(argv[4 + stats], NULL, 10);
    if (warmup < 0 || calls <= 0) return 2;

    volatile size_t sink = 0;
    for (long i = 0; i < warmup; i++) sink += one_call();

    if (stats) {
        struct rusage u0, u1;
        long before = rss_kib();
        getrusage(RUSAGE_SELF, &u0);
        for (long i = 0; i < calls; i++) sink += one_call();
        getrusage(RUSAGE_SELF, &u1);
        long after = rss_kib();
        long switches = (u1.ru_nvcsw + u1.ru_nivcsw) - (u0.ru_nvcsw + u0.ru_nivcsw);
        printf("%ld %ld %.1f %.2f\n", before, after, (cpu_us(&u1) - cpu_us(&u0)) / (double)calls,
               (double)switches / (double)calls);
        return 0;
    }

    long long *ns = malloc((size_t)calls * sizeof *ns);
    if (ns == NULL) return 1;
    for (long i = 0; i < calls; i++) {
        long long t0 = now_ns();
        sink += one_call();
        ns[i] = now_ns() - t0;
    }
    for (long i = 0; i < calls; i++) printf("%lld\n", ns[i]);
    free(ns);
    return sink == 0;
}
