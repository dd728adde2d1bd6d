/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * util: the few helpers every daemon file needs — logging with structured
 * journal fields, time, and small file helpers.
 *
 * Logging goes to the journal (sd_journal_send, with V2VD_JOB= on every job
 * message) when a journal socket exists, else to stderr as
 * "v2vd[job 3]: message" — the test harness has no journald. Never pass a
 * secret to these functions: nothing here can redact.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>
#include <time.h>
#include <sys/types.h>
#include <unistd.h>

void log_setup(void);
void log_full(int priority, const char *job_id, const char *format, ...) __attribute__((format(printf, 3, 4)));
/* What a caller's helper said: with V2VD_UID= (whose words they are). */
void log_struct_caller(int priority, const char *job_id, uid_t uid, const char *format, ...)
        __attribute__((format(printf, 4, 5)));

#define log_info(...)    log_full(LOG_INFO, NULL, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, NULL, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, NULL, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, NULL, __VA_ARGS__)
#define log_debug(...)   log_full(LOG_DEBUG, NULL, __VA_ARGS__)

/* A catalogued journal entry: MESSAGE_ID=message_id, V2VD_JOB=job_id and
 * the "KEY=value" strings of fields (NULL-terminated, may be NULL) besides
 * MESSAGE; on the console only the message, as log_full() prints it. */
void log_struct(int priority, const char *job_id, const char *message_id, const char *const *fields,
                const char *format, ...) __attribute__((format(printf, 5, 6)));

/* Log and return the negative errno, for "return log_error_errno(r, …)". */
int log_error_errno(int r, const char *format, ...) __attribute__((format(printf, 2, 3)));

uint64_t now_usec(clockid_t clock);

/* mkdir -p with the given mode for the last component (parents 0755). */
int mkdir_parents_mode(const char *path, mode_t mode);
/* rm -rf path, not crossing mount points; missing path is not an error. */
int remove_tree(const char *path);
/* A program of ours in the libexec directory: $ENV_NAME when set, else
 * next to the running daemon (the build tree, a relocated install), else
 * V2VD_LIBEXECDIR/NAME. */
char *find_libexec_program(const char *env_name, const char *name);

/* Read a whole small file; negative errno. */
int read_small_file(const char *path, size_t max, char **ret, size_t *ret_len);

static inline void closep(int *fd) {
        if (*fd >= 0)
                close(*fd);
}
#define _cleanup_close_ __attribute__((cleanup(closep)))
