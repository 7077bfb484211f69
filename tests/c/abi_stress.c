/*
 * Drives the C ABI the way a C caller would, through include/native_token.h only: many calls
 * covering every success path and every error kind the release library can produce, every
 * handle type (configuration, cancellation, session, token, error) made and freed exactly
 * once, and worker threads that each own a session and must only ever see their own JWT.
 * Run under valgrind by scripts/test-abi-c, which fails on any leak ("definitely lost") or
 * invalid access.
 *
 * usage: abi_stress <calls> <emulator http base> <emulator https base> <emulator cert> <closed port>
 */
#include "native_token.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { WORKERS = 4 };

static atomic_uint failures;
static atomic_ulong counts[32];

static void expect(int ok, const char *what) {
    if (!ok) {
        atomic_fetch_add(&failures, 1);
        fprintf(stderr, "FAIL: %s\n", what);
    }
}

static void count(nt_result r) { atomic_fetch_add(&counts[r < 32 ? r : 31], 1); }

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

/* A JWT whose payload is {"sub":"<sub>","exp":<exp>}, base64url without padding. */
static void make_jwt(char *out, size_t out_len, const char *sub, long long exp) {
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char payload[160];
    char encoded[256];
    size_t n = (size_t)snprintf(payload, sizeof payload, "{\"sub\":\"%s\",\"exp\":%lld}", sub, exp);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)payload[i] << 16;
        if (i + 1 < n) v |= (unsigned char)payload[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)payload[i + 2];
        encoded[o++] = alphabet[(v >> 18) & 63];
        encoded[o++] = alphabet[(v >> 12) & 63];
        if (i + 1 < n) encoded[o++] = alphabet[(v >> 6) & 63];
        if (i + 2 < n) encoded[o++] = alphabet[v & 63];
    }
    encoded[o] = '\0';
    /* {"alg":"RS256","typ":"JWT"} */
    snprintf(out, out_len, "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.%s.c2lnbmF0dXJl", encoded);
}

/* Takes the thread's last error, checks its kind and that the message names no secret. */
static void check_error(nt_result got, nt_result want, const char *secret, const char *what) {
    count(got);
    if (got != want) {
        fprintf(stderr, "FAIL: %s: got %s, want %s\n", what, nt_result_name(got), nt_result_name(want));
        atomic_fetch_add(&failures, 1);
    }
    nt_error *err = nt_error_take_last();
    expect(err != NULL, "an error was recorded");
    if (err == NULL) return;
    uint32_t kind = 0;
    expect(nt_error_kind(err, &kind) == NT_OK && kind == (uint32_t)want, "error kind matches result");
    const uint8_t *msg = NULL;
    size_t msg_len = 0;
    expect(nt_error_message(err, &msg, &msg_len) == NT_OK && msg_len > 0, "error has a message");
    if (secret != NULL && msg != NULL) {
        char *copy = strndup((const char *)msg, msg_len);
        expect(strstr(copy, secret) == NULL, "error message names no secret");
        free(copy);
    }
    nt_error_free(err);
}

static nt_result vc_fetch(const nt_config *config, const char *endpoint, const char *jwt,
                          uint32_t timeout_ms, const nt_cancel *cancel, nt_token **out) {
    return nt_vc_token_fetch(config, u8(endpoint), strlen(endpoint), u8(jwt), strlen(jwt),
                             timeout_ms, cancel, out);
}

/* Checks a TLSPC token (it carries the JWT it was requested with), then frees it. */
static void check_token(nt_token *token, const char *jwt) {
    const uint8_t *p = NULL;
    size_t n = 0;
    int64_t expires = 0;
    expect(nt_token_access_token(token, &p, &n) == NT_OK && n > 0, "access token present");
    expect(nt_token_token_type(token, &p, &n) == NT_OK && n == 6, "token type Bearer");
    expect(nt_token_jwt(token, &p, &n) == NT_OK && n == strlen(jwt) && memcmp(p, jwt, n) == 0,
           "token carries the JWT used");
    expect(nt_token_expires_at_unix_ms(token, &expires) == NT_OK &&
               expires > (int64_t)time(NULL) * 1000,
           "expiry in the future");
    nt_token_free(token);
}

static const nt_config *build_config(const char *proxy, const char *ca_file) {
    nt_config_builder *builder = NULL;
    const nt_config *config = NULL;
    expect(nt_config_builder_new(&builder) == NT_OK, "builder");
    if (proxy != NULL)
        expect(nt_config_builder_set_proxy(builder, u8(proxy), strlen(proxy)) == NT_OK, "proxy set");
    if (ca_file != NULL)
        expect(nt_config_builder_add_ca_file(builder, u8(ca_file), strlen(ca_file)) == NT_OK, "CA added");
    expect(nt_config_builder_build(builder, &config) == NT_OK && config != NULL, "config built");
    return config;
}

/* ------------------------------------------------------------------------------------------
 * Worker threads: each owns a session on its own tenant with its own JWT and begins and
 * refreshes it; every token must carry that JWT.
 */
struct worker {
    pthread_t thread;
    const nt_config *config; /* shared by all workers */
    char endpoint[256];
    char jwt[512];
    long calls;
};

static void *run_worker(void *arg) {
    struct worker *w = arg;
    nt_vc_session *session = NULL;
    expect(nt_vc_session_new(&session) == NT_OK, "session made");
    for (long i = 0; i < w->calls; i++) {
        nt_token *token = NULL;
        nt_result r = i % 8 == 0
            ? nt_vc_session_begin(session, w->config, u8(w->endpoint), strlen(w->endpoint),
                                  u8(w->jwt), strlen(w->jwt), 0, NULL, &token)
            : nt_vc_session_refresh(session, w->config, 0, NULL, &token);
        count(r);
        expect(r == NT_OK, "worker begin/refresh succeeds");
        if (r == NT_OK) check_token(token, w->jwt);
    }
    nt_vc_session_free(session);
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * Cancelling a call from another thread while it waits on a silent server.
 */
struct trigger {
    pthread_t thread;
    const nt_cancel *cancel;
};

static void *trigger_soon(void *arg) {
    struct trigger *t = arg;
    usleep(200 * 1000);
    expect(nt_cancel_trigger(t->cancel) == NT_OK, "trigger from another thread");
    return NULL;
}

static void cancel_a_hanging_call(const char *hang_url, const char *jwt) {
    nt_cancel *cancel = NULL;
    expect(nt_cancel_new(&cancel) == NT_OK, "cancel made");
    struct trigger t = {.cancel = cancel};
    pthread_create(&t.thread, NULL, trigger_soon, &t);
    nt_token *token = NULL;
    time_t started = time(NULL);
    check_error(vc_fetch(NULL, hang_url, jwt, 30000, cancel, &token), NT_CANCELLED, jwt,
                "cancelled while hanging");
    expect(time(NULL) - started < 10, "cancellation is prompt");
    expect(token == NULL, "out pointer untouched on cancellation");
    pthread_join(t.thread, NULL);
    nt_cancel_free(cancel);
}

/* ------------------------------------------------------------------------------------------
 * The longest URL a call posts to is 65,534 bytes as sent (what the HTTP stack can carry): the
 * largest is sent, one byte more is NT_INVALID_URL (it was NT_PANIC), for every kind of call.
 */
enum { LARGEST_URL = 65534 };

/* `before` + "?pad=xxx..." such that, with `appended` added to the path, the URL is `length`
 * bytes. The caller frees it. */
static char *padded_url(const char *before, const char *appended, size_t length) {
    size_t fixed = strlen(before) + strlen(appended) + strlen("?pad=");
    char *url = malloc(length - strlen(appended) + 1);
    if (url == NULL) abort();
    int n = sprintf(url, "%s?pad=", before);
    memset(url + n, 'x', length - fixed);
    url[length - strlen(appended)] = '\0';
    return url;
}

static void long_urls(const char *http, const char *ok_url, const char *jwt) {
    nt_token *token = NULL;
    char *largest = padded_url(ok_url, "", LARGEST_URL);
    nt_result r = vc_fetch(NULL, largest, jwt, 0, NULL, &token);
    count(r);
    expect(r == NT_OK, "the largest endpoint is sent");
    if (r == NT_OK) check_token(token, jwt);
    token = NULL;
    free(largest);
    char *too_long = padded_url(ok_url, "", LARGEST_URL + 1);
    check_error(vc_fetch(NULL, too_long, jwt, 0, NULL, &token), NT_INVALID_URL, "xxxxxxxx",
                "endpoint one byte too long");
    free(too_long);

    char base[512];
    snprintf(base, sizeof base, "%s/", http);
    too_long = padded_url(base, "auth/token", LARGEST_URL + 1);
    check_error(nt_armor_token_fetch(NULL, u8(too_long), strlen(too_long), u8("code"), 4,
                                     u8("authorization_code"), 18, 0, NULL, &token),
                NT_INVALID_URL, "xxxxxxxx", "Armor token URL one byte too long");
    free(too_long);
    too_long = padded_url(base, "auth/token/reissue", LARGEST_URL + 1);
    check_error(nt_armor_token_reissue(NULL, u8(too_long), strlen(too_long), u8("token"), 5, 0,
                                       NULL, &token),
                NT_INVALID_URL, "xxxxxxxx", "reissue URL one byte too long");
    free(too_long);
    expect(token == NULL, "out pointer untouched on failure");
}

/* set_proxy takes http://[user:password@]host:port only; the rest leaves the builder as it was. */
static void proxy_urls(void) {
    static const char *refused[] = {
        "http://127.0.0.1:1/some/path", "http://127.0.0.1:1?x=1", "http://127.0.0.1:1/#f",
        "https://user:secret@127.0.0.1:3128", "socks5://127.0.0.1:1080",
    };
    nt_config_builder *builder = NULL;
    expect(nt_config_builder_new(&builder) == NT_OK, "builder");
    for (size_t k = 0; k < sizeof refused / sizeof *refused; k++)
        check_error(nt_config_builder_set_proxy(builder, u8(refused[k]), strlen(refused[k])),
                    NT_INVALID_ARGUMENT, "secret", refused[k]);
    const char *good = "http://user:secret@127.0.0.1:3128/";
    expect(nt_config_builder_set_proxy(builder, u8(good), strlen(good)) == NT_OK, "proxy set");
    nt_config_builder_free(builder);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s <calls> <http base> <https base> <cert> <closed port>\n", argv[0]);
        return 2;
    }
    long calls = strtol(argv[1], NULL, 10);
    const char *http = argv[2];
    const char *https = argv[3];
    const char *cert = argv[4];
    const char *closed_port = argv[5];

    char jwt[512], expired_jwt[512];
    make_jwt(jwt, sizeof jwt, "abi-stress", (long long)time(NULL) + 3600);
    make_jwt(expired_jwt, sizeof expired_jwt, "abi-stress", 1000000000LL);
    const char *tenant = "/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token";
    char ok_url[512], status_url[512], json_url[512], reset_url[512], hang_url[512], tls_url[512],
        closed_url[512], insecure_url[512], closed_proxy[128];
    snprintf(ok_url, sizeof ok_url, "%s%s", http, tenant);
    snprintf(status_url, sizeof status_url, "%s%s?fault=status=500", http, tenant);
    snprintf(json_url, sizeof json_url, "%s%s?fault=invalid-json", http, tenant);
    snprintf(reset_url, sizeof reset_url, "%s%s?fault=reset", http, tenant);
    snprintf(hang_url, sizeof hang_url, "%s%s?fault=hang", http, tenant);
    snprintf(tls_url, sizeof tls_url, "%s%s", https, tenant);
    snprintf(closed_url, sizeof closed_url, "http://127.0.0.1:%s%s", closed_port, tenant);
    snprintf(insecure_url, sizeof insecure_url, "http://api.venafi.cloud%s", tenant);
    snprintf(closed_proxy, sizeof closed_proxy, "http://user:secret@127.0.0.1:%s", closed_port);

    expect(strlen(nt_version()) > 0, "version string");

    /* One configuration shared by the workers and the main loop; one that trusts the
     * emulator's certificate; one whose proxy is not there. */
    const nt_config *shared = build_config(NULL, NULL);
    const nt_config *trusting = build_config(NULL, cert);
    const nt_config *bad_proxy = build_config(closed_proxy, NULL);

    /* Half the calls on worker threads, half on this one. */
    struct worker workers[WORKERS];
    for (int k = 0; k < WORKERS; k++) {
        struct worker *w = &workers[k];
        char sub[32];
        snprintf(sub, sizeof sub, "abi-worker-%d", k);
        snprintf(w->endpoint, sizeof w->endpoint,
                 "%s/v1/oauth2/v2.0/%08x-0000-4000-8000-%012x/token", http, k, k);
        make_jwt(w->jwt, sizeof w->jwt, sub, (long long)time(NULL) + 3600);
        w->config = shared;
        w->calls = calls / 2 / WORKERS;
        pthread_create(&w->thread, NULL, run_worker, w);
    }

    nt_vc_session *session = NULL;
    expect(nt_vc_session_new(&session) == NT_OK, "main session");
    long own_calls = calls - (calls / 2 / WORKERS) * WORKERS;
    for (long i = 0; i < own_calls; i++) {
        nt_token *token = NULL;
        nt_result r;
        switch (i % 16) {
        case 0: case 1: case 2: case 3:
            r = vc_fetch(i % 2 ? shared : NULL, ok_url, jwt, 0, NULL, &token);
            count(r);
            expect(r == NT_OK, "fetch over http succeeds");
            if (r == NT_OK) check_token(token, jwt);
            break;
        case 4:
            r = vc_fetch(trusting, tls_url, jwt, 0, NULL, &token);
            count(r);
            expect(r == NT_OK, "fetch over https with a trusted CA succeeds");
            if (r == NT_OK) check_token(token, jwt);
            break;
        case 5:
            r = nt_vc_session_begin(session, shared, u8(ok_url), strlen(ok_url), u8(jwt),
                                    strlen(jwt), 0, NULL, &token);
            count(r);
            expect(r == NT_OK, "session begin");
            if (r == NT_OK) check_token(token, jwt);
            r = nt_vc_session_refresh(session, shared, 0, NULL, &token);
            count(r);
            expect(r == NT_OK, "session refresh");
            if (r == NT_OK) check_token(token, jwt);
            token = NULL;
            break;
        case 6:
            check_error(nt_vc_token_fetch(NULL, NULL, 0, u8(jwt), strlen(jwt), 0, NULL, &token),
                        NT_INVALID_ARGUMENT, jwt, "null endpoint");
            break;
        case 7:
            check_error(vc_fetch(NULL, "not a url", jwt, 0, NULL, &token), NT_INVALID_URL, jwt, "relative url");
            break;
        case 8:
            check_error(vc_fetch(NULL, insecure_url, jwt, 0, NULL, &token), NT_INSECURE_URL, jwt, "plain http");
            break;
        case 9:
            check_error(vc_fetch(NULL, ok_url, "a.b", 0, NULL, &token), NT_MALFORMED_JWT, NULL, "two-part jwt");
            break;
        case 10:
            /* A failed begin leaves the session as it was (checked by the next refresh). */
            check_error(nt_vc_session_begin(session, NULL, u8(ok_url), strlen(ok_url), u8(expired_jwt),
                                            strlen(expired_jwt), 0, NULL, &token),
                        NT_EXPIRED_JWT, expired_jwt, "expired jwt");
            break;
        case 11:
            check_error(vc_fetch(shared, status_url, jwt, 0, NULL, &token), NT_HTTP_STATUS, jwt, "http 500");
            break;
        case 12:
            check_error(vc_fetch(shared, json_url, jwt, 0, NULL, &token), NT_INVALID_RESPONSE, jwt, "invalid json");
            break;
        case 13:
            /* A refused connection is retried with backoff (as the library should): slow, so
             * one round in eight; the others refuse a cancelled call before any request. */
            if ((i / 16) % 8 == 0) {
                check_error(vc_fetch(NULL, closed_url, jwt, 2000, NULL, &token), NT_CONNECT_FAILED, jwt, "refused");
                check_error(vc_fetch(bad_proxy, ok_url, jwt, 2000, NULL, &token), NT_CONNECT_FAILED, "secret",
                            "proxy not there");
            } else {
                nt_cancel *cancel = NULL;
                expect(nt_cancel_new(&cancel) == NT_OK, "cancel made");
                expect(nt_cancel_trigger(cancel) == NT_OK, "cancel triggered");
                check_error(vc_fetch(shared, ok_url, jwt, 0, cancel, &token), NT_CANCELLED, jwt,
                            "cancelled before the call");
                nt_cancel_free(cancel);
            }
            break;
        case 14:
            check_error(vc_fetch(NULL, reset_url, jwt, 0, NULL, &token), NT_CONNECTION_RESET, jwt, "reset");
            break;
        case 15: {
            /* Handle misuse on the cheap cases: a double free is ignored, a freed handle refused. */
            r = vc_fetch(shared, ok_url, jwt, 0, NULL, &token);
            expect(r == NT_OK, "fetch for double free");
            if (r == NT_OK) {
                nt_token_free(token);
                nt_token_free(token);
                const uint8_t *p = NULL;
                size_t n = 0;
                check_error(nt_token_access_token(token, &p, &n), NT_INVALID_HANDLE, NULL, "use after free");
            }
            token = NULL;
            nt_vc_session *fresh = NULL;
            expect(nt_vc_session_new(&fresh) == NT_OK, "fresh session");
            check_error(nt_vc_session_refresh(fresh, NULL, 0, NULL, &token), NT_NO_SESSION, NULL, "no session");
            nt_vc_session_free(fresh);
            break;
        }
        }
        expect(token == NULL || i % 16 < 6 || i % 16 == 15, "out pointer untouched on failure");
    }
    for (int k = 0; k < WORKERS; k++) pthread_join(workers[k].thread, NULL);

    /* Rare, slow cases: once each. */
    nt_token *token = NULL;
    check_error(vc_fetch(NULL, hang_url, jwt, 300, NULL, &token), NT_TIMEOUT, jwt, "timeout");
    check_error(vc_fetch(NULL, tls_url, jwt, 0, NULL, &token), NT_TLS_FAILED, jwt, "untrusted certificate");
    cancel_a_hanging_call(hang_url, jwt);
    long_urls(http, ok_url, jwt);
    proxy_urls();
    expect(token == NULL, "out pointer untouched on failure");
    expect(nt_error_take_last() == NULL, "last error taken");

    nt_vc_session_free(session);
    nt_config_free(shared);
    nt_config_free(trusting);
    nt_config_free(bad_proxy);

    unsigned long total = 0;
    printf("calls by result:");
    for (unsigned k = 0; k < 32; k++) {
        unsigned long c = atomic_load(&counts[k]);
        if (c) printf(" %s=%lu", nt_result_name(k), c);
        total += c;
    }
    unsigned failed = atomic_load(&failures);
    printf("\n%lu calls (%d worker threads with their own sessions), %u failed checks\n", total, WORKERS, failed);
    return failed == 0 ? 0 : 1;
}
