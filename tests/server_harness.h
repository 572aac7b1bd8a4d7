/* server_harness.h — what the `patron serve` integration tests share (test_server.c,
 * test_server_routes.c): a data directory with a small programme, keys, the real server on a
 * free loopback port, and HTTP requests over libcurl with the JSON answer parsed.
 */
#ifndef PATRON_TEST_SERVER_HARNESS_H
#define PATRON_TEST_SERVER_HARNESS_H

#include "test.h"
#include "patron/apikey.h"

#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>

#define BIN pt_test_patron_bin()

struct srv {
    pid_t pid;
    int   port;
    char  data[4200];
};

struct resp {
    long    status;
    char   *body;
    size_t  len;
    char    retry_after[16];
    json_t *json;
};

/* The test programme (JSON): 1 point and 1 growth per ¥1, silver from 1000 growth, a mug. */
extern const char test_server_programme[];

/* Initialises data directory `name` with the test programme; returns 0. */
int make_data(struct srv *s, const char *name);
/* `patron key create --role ROLE`; the key into out; 0 on success. */
int make_key(struct srv *s, const char *role, char out[PT_APIKEY_MAX]);
/* Starts `patron serve` on port 0 and reads the port it printed; 0 on success. */
int start(struct srv *s, const char *extra);
/* SIGTERM and wait; the exit status (or 128 + signal). */
int stop(struct srv *s);
/* One request (key, idem and body may be NULL); the status, 0 on a transport failure. */
long http(const struct srv *s, const char *method, const char *path, const char *key, const char *idem,
          const char *body, struct resp *out);
void resp_free(struct resp *r);
long long   jint(const struct resp *r, const char *name); /* -999999 when absent */
const char *jstr(const struct resp *r, const char *name); /* "" when absent */
const char *err_field(const struct resp *r);
const char *err_code(const struct resp *r);
/* Registers a member by phone (Idempotency-Key from the digits); its number into no. */
long new_member(const struct srv *s, const char *key, const char *phone, char no[16]);

/* A test that starts a server: whatever the body's asserts do, the server does not outlive it. */
#define SERVER_TEST(name)                                                                      \
    static void name##_body(struct srv *s);                                                    \
    TEST(name)                                                                                 \
    {                                                                                          \
        struct srv srv_;                                                                       \
        memset(&srv_, 0, sizeof srv_);                                                         \
        name##_body(&srv_);                                                                    \
        if (srv_.pid > 0) {                                                                    \
            kill(srv_.pid, SIGKILL);                                                           \
            waitpid(srv_.pid, NULL, 0);                                                        \
        }                                                                                      \
    }                                                                                          \
    static void name##_body(struct srv *s)

#endif
