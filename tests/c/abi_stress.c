/*
 * Drives the C ABI the way a C caller would, through include/native_token.h only:
 * many calls covering every success path and every error kind the release library can
 * produce, each handle freed exactly once. Run under valgrind by scripts/test-abi-c, which
 * fails on any leak ("definitely lost") or invalid access.
 *
 * usage: abi_stress <iterations> <emulator http base> <emulator https base> <closed port>
 */
#include "native_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned failures;
static unsigned long counts[32];

static void expect(int ok, const char *what) {
    if (!ok) {
        failures++;
        fprintf(stderr, "FAIL: %s\n", what);
    }
}

static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

/* A JWT whose payload is {"sub":"abi-stress","exp":<exp>}, base64url without padding. */
static void make_jwt(char *out, size_t out_len, long long exp) {
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char payload[128];
    char encoded[256];
    size_t n = (size_t)snprintf(payload, sizeof payload, "{\"sub\":\"abi-stress\",\"exp\":%lld}", exp);
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
    counts[got < 32 ? got : 31]++;
    if (got != want) {
        fprintf(stderr, "FAIL: %s: got %s, want %s\n", what, nt_result_name(got), nt_result_name(want));
        failures++;
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
    expect(nt_error_free(err) == NT_OK, "error freed");
}

static nt_result vc_fetch(const char *endpoint, const char *jwt, uint32_t timeout_ms, nt_token **out) {
    return nt_vc_token_fetch(u8(endpoint), strlen(endpoint), u8(jwt), strlen(jwt), timeout_ms, out);
}

static void check_token(nt_token *token, const char *jwt) {
    const uint8_t *p = NULL;
    size_t n = 0;
    int64_t expires = 0;
    expect(nt_token_access_token(token, &p, &n) == NT_OK && n > 0, "access token present");
    expect(nt_token_token_type(token, &p, &n) == NT_OK && n == 6, "token type Bearer");
    expect(nt_token_jwt(token, &p, &n) == NT_OK && n == strlen(jwt) && memcmp(p, jwt, n) == 0,
           "token keeps the JWT used");
    expect(nt_token_expires_at_unix_ms(token, &expires) == NT_OK &&
               expires > (int64_t)time(NULL) * 1000,
           "expiry in the future");
    expect(nt_token_free(token) == NT_OK, "token freed");
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s <iterations> <http base> <https base> <closed port>\n", argv[0]);
        return 2;
    }
    long iterations = strtol(argv[1], NULL, 10);
    const char *http = argv[2];
    const char *https = argv[3];
    const char *closed_port = argv[4];

    char jwt[512], expired_jwt[512];
    make_jwt(jwt, sizeof jwt, (long long)time(NULL) + 3600);
    make_jwt(expired_jwt, sizeof expired_jwt, 1000000000LL);
    const char *tenant = "/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token";
    char ok_url[512], status_url[512], json_url[512], reset_url[512], hang_url[512], tls_url[512],
        closed_url[512], insecure_url[512];
    snprintf(ok_url, sizeof ok_url, "%s%s", http, tenant);
    snprintf(status_url, sizeof status_url, "%s%s?fault=status=500", http, tenant);
    snprintf(json_url, sizeof json_url, "%s%s?fault=invalid-json", http, tenant);
    snprintf(reset_url, sizeof reset_url, "%s%s?fault=reset", http, tenant);
    snprintf(hang_url, sizeof hang_url, "%s%s?fault=hang", http, tenant);
    snprintf(tls_url, sizeof tls_url, "%s%s", https, tenant);
    snprintf(closed_url, sizeof closed_url, "http://127.0.0.1:%s%s", closed_port, tenant);
    snprintf(insecure_url, sizeof insecure_url, "http://api.venafi.cloud%s", tenant);

    expect(strlen(nt_version()) > 0, "version string");

    for (long i = 0; i < iterations; i++) {
        nt_token *token = NULL;
        nt_result r;
        switch (i % 16) {
        case 0: case 1: case 2: case 3: case 4: case 5:
            r = vc_fetch(ok_url, jwt, 0, &token);
            counts[r < 32 ? r : 31]++;
            expect(r == NT_OK, "fetch over http succeeds");
            if (r == NT_OK) check_token(token, jwt);
            break;
        case 6:
            check_error(nt_vc_token_fetch(NULL, 0, u8(jwt), strlen(jwt), 0, &token),
                        NT_INVALID_ARGUMENT, jwt, "null endpoint");
            break;
        case 7:
            check_error(vc_fetch("not a url", jwt, 0, &token), NT_INVALID_URL, jwt, "relative url");
            break;
        case 8:
            check_error(vc_fetch(insecure_url, jwt, 0, &token), NT_INSECURE_URL, jwt, "plain http");
            break;
        case 9:
            check_error(vc_fetch(ok_url, "a.b", 0, &token), NT_MALFORMED_JWT, NULL, "two-part jwt");
            break;
        case 10:
            check_error(vc_fetch(ok_url, expired_jwt, 0, &token), NT_EXPIRED_JWT, expired_jwt,
                        "expired jwt");
            break;
        case 11:
            check_error(vc_fetch(status_url, jwt, 0, &token), NT_HTTP_STATUS, jwt, "http 500");
            break;
        case 12:
            check_error(vc_fetch(json_url, jwt, 0, &token), NT_INVALID_RESPONSE, jwt, "invalid json");
            break;
        case 13:
            /* A refused connection is retried with backoff (as the library should): slow, so
             * one round in eight. */
            if ((i / 16) % 8 == 0) {
                check_error(vc_fetch(closed_url, jwt, 2000, &token), NT_CONNECT_FAILED, jwt, "refused");
            } else {
                check_error(vc_fetch(ok_url, "", 0, &token), NT_INVALID_ARGUMENT, NULL, "empty jwt");
            }
            break;
        case 14:
            check_error(vc_fetch(reset_url, jwt, 0, &token), NT_CONNECTION_RESET, jwt, "reset");
            break;
        case 15: {
            /* Handle misuse and the session store, on the cheap cases. */
            r = vc_fetch(ok_url, jwt, 0, &token);
            expect(r == NT_OK, "fetch for double free");
            if (r == NT_OK) {
                expect(nt_token_free(token) == NT_OK, "first free");
                check_error(nt_token_free(token), NT_INVALID_HANDLE, NULL, "double free");
            }
            expect(nt_session_clear() == NT_OK, "clear");
            check_error(nt_vc_session_refresh(0, &token), NT_NO_SESSION, NULL, "no session");
            expect(nt_vc_session_set(u8(ok_url), strlen(ok_url), u8(jwt), strlen(jwt)) == NT_OK,
                   "session set");
            r = nt_vc_session_refresh(0, &token);
            expect(r == NT_OK, "session refresh");
            if (r == NT_OK) check_token(token, jwt);
            nt_string *endpoint = NULL;
            if (nt_vc_session_endpoint(&endpoint) == NT_OK) {
                const uint8_t *p = NULL;
                size_t n = 0;
                expect(nt_string_get(endpoint, &p, &n) == NT_OK && n == strlen(ok_url), "endpoint");
                expect(nt_string_free(endpoint) == NT_OK, "string freed");
            } else {
                expect(0, "session endpoint");
            }
            break;
        }
        }
        expect(token == NULL || i % 16 < 6 || i % 16 == 15, "out pointer untouched on failure");
    }
    /* Rare, slow cases: once each. */
    nt_token *token = NULL;
    check_error(vc_fetch(hang_url, jwt, 300, &token), NT_TIMEOUT, jwt, "timeout");
    check_error(vc_fetch(tls_url, jwt, 0, &token), NT_TLS_FAILED, jwt, "untrusted certificate");
    expect(token == NULL, "out pointer untouched on failure");
    expect(nt_error_take_last() == NULL, "last error taken");
    expect(nt_session_clear() == NT_OK, "final clear");

    printf("calls by result:");
    for (unsigned k = 0; k < 32; k++)
        if (counts[k]) printf(" %s=%lu", nt_result_name(k), counts[k]);
    printf("\n%ld iterations, %u failed checks\n", iterations, failures);
    return failures == 0 ? 0 : 1;
}
