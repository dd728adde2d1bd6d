/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * v2vctl: the command line client of v2vd. The pieces:
 *   v2vctl.c   options, the verbs, main()
 *   ctl-bus.c  connecting (local, --user, -H over ssh), errors people can
 *              act on, D-Bus values → JSON
 *   watch.c    following a job from PropertiesChanged: the live display
 *              of `watch` / `submit --wait`, and `log -f`
 *   output.c   tables, pager, formatting
 *   wrapper.c  virt-v2v-wrapper mode (/usr/bin/virt-v2v-wrapper), with its
 *              pure half wrapper-compat.c
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <json-glib/json-glib.h>
#include <systemd/sd-bus.h>

#include "common/bus-names.h"
#include "common/text-escape.h"

/* Exit statuses (documented in v2vctl(1)). Verbs return 0 or a negative
 * errno; main() maps the errno to one of these. */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,          /* anything else; the job failed or was cancelled */
        EXIT_USAGE = 2,           /* -EINVAL: bad command line or argument */
        EXIT_NOT_RUNNING = 3,     /* -EHOSTDOWN: v2vd not running / bus not reachable */
        EXIT_ACCESS_DENIED = 4,   /* -EACCES */
        EXIT_NO_SUCH_JOB = 5,     /* -ENXIO */
        EXIT_INVALID_SPEC = 6,    /* -EBADMSG */
        EXIT_NOT_SUPPORTED = 7,   /* -EOPNOTSUPP */
        EXIT_INTERRUPTED = 130,   /* -EINTR: ^C while waiting; the job goes on */
};

typedef enum {
        JSON_OFF,
        JSON_SHORT,
        JSON_PRETTY,
} JsonMode;

typedef struct Ctl {
        /* options */
        bool user;
        const char *host;
        JsonMode json;
        bool no_legend;
        bool no_pager;
        bool full;
        bool wait;
        const char *at;            /* submit --at TIME: the spec's not_before */
        bool follow;
        bool quiet;
        const char *cpu;
        const char *network;
        const char *disk;
        const char *uri;
        const char *ova;
        const char *password_file;
        bool print_source;
        bool check;                /* submit --check */
        bool inspect;              /* check, submit --check: --inspect */
        unsigned timeout;          /* check: --timeout SECONDS, 0 = the daemon's */
        const char *output;        /* bundle: -o FILE */

        sd_bus *bus;
} Ctl;

/* v2vctl.c: CreateJob with TEXT; on failure prints why (LABEL names the spec). */
int ctl_create_job(Ctl *c, const char *text, const char *label, char **ret_id, char **ret_path);

/* check.c: CheckJobWithOptions, printing the findings (-ECANCELED when one
 * is an error); CreateJobWithOptions with "check" (and "inspect"). */
int ctl_check(Ctl *c, const char *text, const char *label);
int ctl_create_job_checked(Ctl *c, const char *text, const char *label, char **ret_id, char **ret_path);
/* bundle.c: the support bundle of job ID into OUTPUT (NULL: v2vd-job-ID.tar). */
int ctl_bundle(Ctl *c, const char *id, const char *output);
/* The Manager's properties, snake_case keys. */
int ctl_manager_properties(Ctl *c, JsonObject **ret);
/* --no-legend not given and stdout a terminal. */
bool use_legend_tty(const Ctl *c);

/* wrapper.c: virt-v2v-wrapper mode with the document TEXT (read from LABEL). */
int wrapper_run(Ctl *c, const char *text, const char *label);

/* ctl-bus.c */
int ctl_connect(Ctl *c);
/* Prints "v2vctl: CONTEXT: <what to do about ERROR>" on stderr and returns
 * the negative errno that selects the exit status. */
int ctl_log_bus_error(const Ctl *c, const sd_bus_error *error, int r, const char *context);
/* Looks up a job's object path (GetJob); on failure prints why. */
int ctl_job_path(Ctl *c, const char *id, char **ret_path);
/* GetAll of the Job interface as JSON with snake_case keys (see
 * job_properties_merge()). */
int ctl_job_properties(Ctl *c, const char *path, JsonObject **ret);
/* Reads an a{sv} of Job properties from M into O (snake_case keys; Disks
 * as [{path, progress}], LastMessage as {type, text}, Spec parsed). */
int job_properties_merge(sd_bus_message *m, JsonObject *o);
/* Any D-Bus value at the read position of M as JSON. */
int bus_message_read_json(sd_bus_message *m, JsonNode **ret);
char *property_to_snake_case(const char *name);
/* "unixexec:…" for talking to a user's bus on HOST over ssh. */
char *remote_user_bus_address(const char *host);

/* JSON helpers */
const char *json_get_str(JsonObject *o, const char *key);
double json_get_double(JsonObject *o, const char *key);
int64_t json_get_int(JsonObject *o, const char *key);
void json_print(const Ctl *c, JsonNode *node);

/* watch.c */
/* Follows job ID at PATH until it ends; returns 0 if it succeeded, -ECANCELED
 * if it failed or was cancelled, -EINTR on ^C (the job goes on). */
int watch_job(Ctl *c, const char *id, const char *path);
/* Prints the job's log; with FOLLOW keeps printing until the job ends. */
int show_log(Ctl *c, const char *id, const char *path, bool follow);
