/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A job's life. See job.h for the files; the decisions worth knowing:
 *
 *  - virt-v2v never holds a pipe to the daemon. The runner (runner.c)
 *    writes v2v.log, v2v.pid and exit-status; the daemon follows the job
 *    directory with inotify and the runner with a pidfd, which works the same
 *    for its own child and for a runner adopted after a restart.
 *  - Progress is re-derived by replaying the log files when a job is loaded,
 *    so nothing but job.json (who, when, state, limits, the daemon's own
 *    final message) needs to be persisted.
 *  - Property changes are coalesced: at most one PropertiesChanged per
 *    EMIT_INTERVAL (progress_interval_ms) per job, a state change at once;
 *    state.json at most once per STATE_FILE_INTERVAL, and at once on a state
 *    change. While the copy's progress moves steadily the logs are read on
 *    a beat, in step with the writer, not on every write (see "beat").
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-job.h"
#include "job.h"
#include "scope.h"
#include "throttle.h"
#include "util.h"
#include "v2v-argv.h"

/* Progress goes out at most once every EMIT_INTERVAL, the configuration's
 * progress_interval_ms (default 500: API.md allows "at most about 10 signals
 * a second"; two are enough for a bar, a rate and an ETA, and cost a fifth
 * of ten: see "beat" below). A change read up to EMIT_EARLY before its turn
 * goes out at once, and the timer of a delayed one may fire up to
 * EMIT_ACCURACY late. */
#define EMIT_INTERVAL_USEC       (j->manager->progress_interval_usec)
#define EMIT_EARLY_USEC          (5 * 1000ULL)
#define EMIT_ACCURACY_USEC       (1 * 1000ULL)
/* The beat. Waking up for every write of nbdcopy's bar (10 to 20 a second)
 * to send only every other value cost more than anything else the daemon
 * does for a job: on the VMs of tests/bench a wake-up costs ~100 µs of
 * kernel time (epoll, the scheduler), whatever is done in it. So once a
 * value read on a write has been sent, the logs' IN_MODIFY watches are
 * removed and the logs are read on the emit timer instead, one interval
 * after that write (+ BEAT_MARGIN for the writer's jitter): a steady writer's
 * newest value is then read and sent a few ms after it is written, with one
 * wake-up per signal. The beat ends (the watches come back, and the next
 * write is sent at once and starts a new beat in step with it) when a turn
 * finds nothing new, when the newest write is older than BEAT_STALE (the
 * writer's rhythm moved), or when the loop was late by half a turn. */
#define BEAT_MARGIN_USEC         (3 * 1000ULL)
#define BEAT_STALE_USEC          (20 * 1000ULL)
#define MTIME_SLACK_USEC         (5 * 1000ULL)
#define STATE_FILE_INTERVAL_USEC (1000 * 1000ULL)
#define LOG_READ_CHUNK           (64 * 1024)
/* Space reserved for v2v.log and v2v-machine.log while a job runs: a real
 * 2.2.0 run without -v writes a few kB of messages plus about 50 bytes per
 * nbdcopy progress step (tests/data/disk-to-local.*). */
#define LOG_RESERVE_BYTES         (4 * 1024 * 1024)
#define MACHINE_LOG_RESERVE_BYTES (256 * 1024)

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open_compat(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

static char *job_file(const Job *j, const char *name) {
        return g_build_filename(j->dir, name, NULL);
}

char *job_state_file_path(const Job *j) { return job_file(j, "state.json"); }
char *job_log_path(const Job *j) { return job_file(j, "v2v.log"); }
char *job_machine_log_path(const Job *j) { return job_file(j, "v2v-machine.log"); }
char *job_throttling_file_path(const Job *j) { return job_file(j, "throttling.json"); }

V2vJobState job_state(const Job *j) { return j->record->state; }
double job_progress(const Job *j) { return j->progress->progress; }
const char *job_phase(const Job *j) { return j->progress->phase ?: ""; }

void job_last_message(const Job *j, const char **type, const char **text) {
        if (j->record->final_message_type) {
                *type = j->record->final_message_type;
                *text = j->record->final_message_text ?: "";
        } else if (j->progress->last_message_type) {
                *type = j->progress->last_message_type;
                *text = j->progress->last_message_text ?: "";
        } else {
                *type = "";
                *text = "";
        }
}

static Job *job_alloc(Manager *m, const char *id) {
        Job *j = g_new0(Job, 1);

        j->manager = m;
        j->id = g_strdup(id);
        j->object_path = g_strdup_printf("/org/v2vd/V2V1/job/%s", id);
        j->dir = g_build_filename(m->jobs_dir, id, NULL);
        j->secret_dir = g_build_filename(m->runtime_dir, "jobs", id, NULL);
        j->progress = v2v_progress_new();
        j->runner_pidfd = -1;
        j->go_fd = -1;
        j->log_fd = j->machine_log_fd = -1;
        return j;
}

static void job_unwatch_logs(Job *j);

static void job_stop_following(Job *j) {
        j->runner_source = sd_event_source_disable_unref(j->runner_source);
        j->inotify_source = sd_event_source_disable_unref(j->inotify_source);
        job_unwatch_logs(j);
        j->beating = false;
        j->scope_slot = sd_bus_slot_unref(j->scope_slot);
        g_clear_pointer(&j->scope_job, g_free);
        if (j->runner_pidfd >= 0)
                close(j->runner_pidfd);
        j->runner_pidfd = -1;
        if (j->go_fd >= 0)
                close(j->go_fd);
        j->go_fd = -1;
        if (j->log_fd >= 0)
                close(j->log_fd);
        if (j->machine_log_fd >= 0)
                close(j->machine_log_fd);
        j->log_fd = j->machine_log_fd = -1;
}

Job *job_free(Job *j) {
        if (!j)
                return NULL;
        job_stop_following(j);
        sd_event_source_disable_unref(j->emit_timer);
        sd_event_source_disable_unref(j->state_file_timer);
        g_free(j->id);
        g_free(j->object_path);
        g_free(j->dir);
        g_free(j->secret_dir);
        g_free(j->vm_name);
        g_free(j->spec_redacted);
        v2v_spec_free(j->spec);
        v2v_job_record_free(j->record);
        v2v_progress_free(j->progress);
        g_free(j->vm_id);
        g_free(j);
        return NULL;
}

void job_set_message(Job *j, const char *type, const char *text) {
        g_free(j->record->final_message_type);
        g_free(j->record->final_message_text);
        j->record->final_message_type = g_strdup(type);
        j->record->final_message_text = g_strdup(text);
        job_mark_dirty(j, JOB_PROP_LAST_MESSAGE);
}

/* Accepted-but-odd things (ignored wrapper keys, a missing virtio-win ISO)
 * become one warning in LastMessage. */
static void job_set_warnings(Job *j, GPtrArray *warnings) {
        g_autoptr(GString) w = g_string_new(NULL);

        for (guint i = 0; warnings && i < warnings->len; i++)
                if (warnings->pdata[i])
                        g_string_append_printf(w, "%s%s", w->len ? "; " : "", (char *) warnings->pdata[i]);
        if (w->len)
                job_set_message(j, "warning", w->str);
}

static int job_save_record(Job *j) {
        g_autofree char *path = job_file(j, "job.json");
        g_autofree char *json = v2v_job_record_render(j->record);
        int r;

        r = v2v_write_file_atomic(path, json, strlen(json), 0640);
        if (r < 0)
                log_full(LOG_WARNING, j->id, "cannot write %s: %s", path, g_strerror(-r));
        return r;
}

/* Replace PATH atomically without fsync, for the once-a-second progress
 * rewrites of state.json (a restarted daemon re-derives them from the logs):
 * the new text goes to SPARE, which is then exchanged with PATH
 * (renameat2 RENAME_EXCHANGE), so SPARE holds the previous inode for the
 * next time. A reader opening PATH sees the old or the new text, whole. No
 * inode is created or deleted per write: with a temporary file + rename
 * each write cost ~0.5 ms of the daemon's CPU on ext4 (new-inode search
 * past recently deleted inodes; perf, tests/bench), and two fsyncs a second
 * per job blocked the event loop (bus round trips of 30 ms with 200 jobs).
 * Where the exchange is not supported: a plain rename. */
static int replace_file_nosync(const char *path, const char *spare, const char *data, size_t len, mode_t mode) {
        _cleanup_close_ int fd = -1;
        size_t done = 0;
        int r = 0;

        /* Overwritten, then cut to length: truncating to 0 first cost more. */
        fd = open(spare, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode & 07777);
        if (fd < 0)
                return -errno;
        while (done < len && r == 0) {
                ssize_t n = pwrite(fd, data + done, len - done, (off_t) done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        r = n < 0 ? -errno : -EIO;
                else
                        done += (size_t) n;
        }
        if (r == 0 && ftruncate(fd, (off_t) len) < 0)
                r = -errno;
        if (r == 0 && fchmod(fd, mode & 07777) < 0)
                r = -errno;
        if (r == 0 && close(fd) < 0)
                r = -errno;
        fd = -1;
        if (r == 0 && renameat2(AT_FDCWD, spare, AT_FDCWD, path, RENAME_EXCHANGE) < 0) {
                if (errno != ENOENT && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
                        r = -errno;
                else if (rename(spare, path) < 0)
                        r = -errno;
        }
        if (r < 0)
                (void) unlink(spare);
        return r;
}

/* durable: fsync'ed (a state change); else a progress-only rewrite. */
static int job_write_state_file(Job *j, bool durable) {
        g_autofree char *path = job_state_file_path(j);
        g_autofree char *spare = job_file(j, ".#state.json.spare");
        g_autofree char *json = NULL;
        V2vStatus st = {
                .id = j->id,
                .state = j->record->state,
                .started = j->record->started_usec > 0,
                .pid = j->v2v_pid,
                .return_code = j->record->return_code,
                .vm_id = j->vm_id,
                .progress = j->progress,
                .last_message_type = j->record->final_message_type,
                .last_message_text = j->record->final_message_text,
                .cpu_limit = j->record->cpu_limit,
                .network_limit = j->record->network_limit,
        };
        int r;

        json = v2v_statefile_render(&st);
        r = durable ? v2v_write_file_atomic(path, json, strlen(json), 0640)
                    : replace_file_nosync(path, spare, json, strlen(json), 0640);
        if (durable && v2v_job_state_is_finished(j->record->state))
                (void) unlink(spare);
        j->state_file_dirty = false;
        j->last_state_write_usec = now_usec(CLOCK_MONOTONIC);
        if (r < 0) {
                /* A full or read-only state directory must not stop the
                 * conversion, nor flood the journal: say it once. */
                if (!j->state_file_write_failed)
                        log_full(LOG_WARNING, j->id, "cannot write %s: %s (the job goes on)", path, g_strerror(-r));
                j->state_file_write_failed = true;
        } else if (j->state_file_write_failed) {
                log_full(LOG_NOTICE, j->id, "%s is written again", path);
                j->state_file_write_failed = false;
        }
        return r;
}

/* when: the time the emission counts as sent, for the next one's turn.
 * Returns whether a signal went out. */
static bool job_flush_at(Job *j, uint64_t when) {
        bool sent = false;

        if (j->dirty) {
                bus_job_emit_changed(j, j->dirty);
                j->dirty = 0;
                j->last_emit_usec = when;
                sent = true;
        }
        /* While beating the timer is the beat: it stays armed. */
        if (j->emit_timer && !j->beating)
                sd_event_source_set_enabled(j->emit_timer, SD_EVENT_OFF);
        return sent;
}

static void job_flush(Job *j) {
        job_flush_at(j, now_usec(CLOCK_MONOTONIC));
}

/* A change read when its turn has come goes out at once (not a timer's
 * accuracy later); before that it waits for the emit timer. */
static bool job_flush_if_due(Job *j) {
        uint64_t now;

        if (!j->dirty)
                return false;
        now = now_usec(CLOCK_MONOTONIC);
        if (now + EMIT_EARLY_USEC >= j->last_emit_usec + EMIT_INTERVAL_USEC)
                return job_flush_at(j, now);
        return false;
}

static void job_read_logs_from(Job *j, bool machine_log, bool log);
static void job_read_logs(Job *j);
static int job_watch_logs(Job *j);
static int on_emit_timer(sd_event_source *s, uint64_t usec, void *userdata);
static int on_state_file_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void arm_timer(Job *j, sd_event_source **src, uint64_t when, uint64_t accuracy,
                      sd_event_time_handler_t handler, const char *what) {
        int enabled = SD_EVENT_OFF;
        int r;

        if (*src) {
                sd_event_source_get_enabled(*src, &enabled);
                if (enabled != SD_EVENT_OFF)
                        return;
                sd_event_source_set_time(*src, when);
                sd_event_source_set_enabled(*src, SD_EVENT_ONESHOT);
                return;
        }
        r = sd_event_add_time(j->manager->event, src, CLOCK_MONOTONIC, when, accuracy, handler, j);
        if (r < 0)
                log_full(LOG_ERR, j->id, "cannot arm the %s timer: %s", what, g_strerror(-r));
        else
                sd_event_source_set_description(*src, what);
}

void job_mark_dirty(Job *j, unsigned props) {
        uint64_t now;

        if (!props)
                return;
        j->dirty |= props;
        j->state_file_dirty = true;
        if (props & JOB_PROP_STATE) {
                /* A state change goes out at once, with whatever was pending;
                 * state.json first, so that whoever reacts to the signal by
                 * reading the file finds the new state there. */
                job_write_state_file(j, true);
                job_flush(j);
                return;
        }
        now = now_usec(CLOCK_MONOTONIC);
        arm_timer(j, &j->emit_timer, MAX(now, j->last_emit_usec + EMIT_INTERVAL_USEC), EMIT_ACCURACY_USEC,
                  on_emit_timer, "job-emit");
        arm_timer(j, &j->state_file_timer, MAX(now, j->last_state_write_usec + STATE_FILE_INTERVAL_USEC),
                  10 * 1000, on_state_file_timer, "job-state-file");
}

/* A beat writes the state file when its turn has come (give or take
 * STATE_FILE_WITH_BEAT), or once, early, when the turn would come before
 * the next beat: from then on the turns fall on beats (with the default
 * 500 ms interval, every other beat) and the state file costs no wake-up
 * of its own. */
#define STATE_FILE_WITH_BEAT_USEC (20 * 1000ULL)
static void job_write_state_file_with_beat(Job *j, uint64_t now, uint64_t next_beat) {
        uint64_t due = j->last_state_write_usec + STATE_FILE_INTERVAL_USEC;

        if (!j->state_file_dirty || (now + STATE_FILE_WITH_BEAT_USEC < due && due + STATE_FILE_WITH_BEAT_USEC >= next_beat))
                return;
        job_write_state_file(j, false);
        if (j->state_file_timer)
                sd_event_source_set_enabled(j->state_file_timer, SD_EVENT_OFF);
}

/* How long ago the logs were last written, by their mtime (UINT64_MAX if
 * unknown): the file system's clock is coarse (a few ms), well inside
 * BEAT_STALE. */
static uint64_t job_logs_written_ago_usec(const Job *j) {
        uint64_t newest = 0, real = now_usec(CLOCK_REALTIME);

        for (int i = 0; i < 2; i++) {
                int fd = i == 0 ? j->log_fd : j->machine_log_fd;
                struct stat st;

                if (fd >= 0 && fstat(fd, &st) == 0)
                        newest = MAX(newest, (uint64_t) st.st_mtim.tv_sec * 1000000u +
                                                     (uint64_t) st.st_mtim.tv_nsec / 1000u);
        }
        return newest > 0 && newest <= real ? real - newest : UINT64_MAX;
}

static void job_start_beat(Job *j, uint64_t first) {
        int r;

        if (j->beating || !j->inotify_source)
                return;
        job_unwatch_logs(j);
        j->beating = true;
        if (!j->emit_timer) {
                r = sd_event_add_time(j->manager->event, &j->emit_timer, CLOCK_MONOTONIC, first, EMIT_ACCURACY_USEC,
                                      on_emit_timer, j);
                if (r < 0) {
                        log_full(LOG_ERR, j->id, "cannot arm the job-emit timer: %s", g_strerror(-r));
                        j->beating = false;
                        (void) job_watch_logs(j);
                        return;
                }
                sd_event_source_set_description(j->emit_timer, "job-emit");
        }
        sd_event_source_set_time(j->emit_timer, first);
        sd_event_source_set_enabled(j->emit_timer, SD_EVENT_ONESHOT);
}

static void job_stop_beat(Job *j) {
        if (!j->beating)
                return;
        j->beating = false;
        if (j->emit_timer)
                sd_event_source_set_enabled(j->emit_timer, SD_EVENT_OFF);
        if (!j->inotify_source)
                return;
        if (job_watch_logs(j) < 0)
                log_full(LOG_WARNING, j->id, "cannot watch the job's logs again: progress is read on the job's directory events only");
        /* What was written since the last read raised no event. */
        job_read_logs(j);
        if (j->dirty)
                arm_timer(j, &j->emit_timer, MAX(now_usec(CLOCK_MONOTONIC), j->last_emit_usec + EMIT_INTERVAL_USEC),
                          EMIT_ACCURACY_USEC, on_emit_timer, "job-emit");
}

static int on_emit_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        bool late = now > usec + EMIT_INTERVAL_USEC / 2;

        if (j->beating) {
                uint64_t before = j->log_offset + j->machine_log_offset;
                uint64_t written_ago;

                job_read_logs_from(j, true, true);
                if (j->log_offset + j->machine_log_offset == before) {
                        /* The writer paused: wait for its next write. */
                        job_stop_beat(j);
                        job_flush_if_due(j);
                        return 0;
                }
                written_ago = job_logs_written_ago_usec(j);
                job_flush_at(j, late ? now : usec - BEAT_MARGIN_USEC);
                job_write_state_file_with_beat(j, now, usec + EMIT_INTERVAL_USEC);
                if (late || written_ago > BEAT_STALE_USEC) {
                        /* Out of step with the writer (or the loop stalled):
                         * the next write is sent as it comes and starts a
                         * new beat. */
                        job_stop_beat(j);
                        return 0;
                }
                sd_event_source_set_time(s, usec + EMIT_INTERVAL_USEC);
                sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                return 0;
        }

        /* Send what virt-v2v has written by now, not only what the last
         * inotify event showed: the newest value is the one worth the signal. */
        if (j->inotify_source)
                job_read_logs_from(j, true, true);
        /* Count it as sent a little before its schedule, not when the timer
         * ran: the next turn then comes a little earlier each time until it
         * falls just after a write of a steady writer, whose values are then
         * sent as they come (and a beat starts on that write). Counting from
         * "now" instead, the turn would drift later by the timer's lateness
         * each time, and the values sent would be ever older. */
        /* …but a loop that stalled for half a turn or more (valgrind, a
         * loaded machine) counts from now: turns in the past would otherwise
         * go out in a burst, above the rate promised. */
        if (job_flush_at(j, late ? now : MIN(usec, now) - EMIT_EARLY_USEC) && j->inotify_source) {
                /* The value sent was written a while ago: beat from when it
                 * was written (by the log's mtime, a few ms coarse). */
                uint64_t written_ago = job_logs_written_ago_usec(j);

                if (written_ago < EMIT_INTERVAL_USEC / 2)
                        job_start_beat(j, now - written_ago + EMIT_INTERVAL_USEC + BEAT_MARGIN_USEC + MTIME_SLACK_USEC);
        }
        return 0;
}

static int on_state_file_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;

        /* With what virt-v2v has written by now (a beat may not have read it). */
        if (j->inotify_source)
                job_read_logs_from(j, true, true);
        if (j->state_file_dirty)
                job_write_state_file(j, false);
        sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
}

static unsigned progress_change_to_props(unsigned change) {
        unsigned props = 0;

        if (change & V2V_PROGRESS_CHANGED_PHASE)
                props |= JOB_PROP_PHASE;
        if (change & V2V_PROGRESS_CHANGED_PROGRESS)
                props |= JOB_PROP_PROGRESS | JOB_PROP_DISKS;
        if (change & V2V_PROGRESS_CHANGED_DISK_COUNT)
                props |= JOB_PROP_DISK_COUNT | JOB_PROP_DISKS;
        if (change & V2V_PROGRESS_CHANGED_LAST_MESSAGE)
                props |= JOB_PROP_LAST_MESSAGE;
        if (change & V2V_PROGRESS_CHANGED_EXPECTED_END)
                props |= JOB_PROP_EXPECTED_END;
        return props;
}

/* The log's descriptor, opened once while the job is followed (an open and
 * a close per progress step were a fifth of the daemon's work for a job;
 * perf). *own_fd gets it when the job is not followed. */
static int job_log_fd(Job *j, bool machine, int *own_fd) {
        int *cached = machine ? &j->machine_log_fd : &j->log_fd;
        g_autofree char *path = NULL;
        int fd;

        if (*cached >= 0)
                return *cached;
        path = job_file(j, machine ? "v2v-machine.log" : "v2v.log");
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (j->inotify_source)
                *cached = fd;
        else
                *own_fd = fd;
        return fd;
}

/* Feed what a log file gained since *offset. Returns the change mask. */
static unsigned job_read_log(Job *j, uint64_t *offset, bool machine) {
        _cleanup_close_ int own_fd = -1;
        char buf[LOG_READ_CHUNK];
        unsigned change = 0;
        int fd = job_log_fd(j, machine, &own_fd);

        if (fd < 0)
                return 0;
        for (;;) {
                ssize_t n = pread(fd, buf, sizeof buf, (off_t) *offset);
                uint64_t now;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                *offset += (uint64_t) n;
                now = now_usec(CLOCK_REALTIME);
                change |= machine ? v2v_progress_feed_machine(j->progress, buf, (size_t) n, now)
                                  : v2v_progress_feed_log(j->progress, buf, (size_t) n, now);
                /* A short read is the end for now: what is appended later
                 * raises its own inotify event (saves a read per step). */
                if ((size_t) n < sizeof buf)
                        break;
        }
        return change;
}

/* Only the file an inotify event named needs reading (two files opened per
 * progress step were the larger part of the daemon's work per step). */
static void job_read_logs_from(Job *j, bool machine_log, bool log) {
        unsigned change = 0;

        if (machine_log)
                change |= job_read_log(j, &j->machine_log_offset, true);
        if (log)
                change |= job_read_log(j, &j->log_offset, false);
        if (change & V2V_PROGRESS_CHANGED_LAST_MESSAGE && j->record->final_message_type &&
            !v2v_job_state_is_finished(j->record->state)) {
                /* virt-v2v's own newer message supersedes the daemon's (spec warnings). */
                g_clear_pointer(&j->record->final_message_type, g_free);
                g_clear_pointer(&j->record->final_message_text, g_free);
        }
        job_mark_dirty(j, progress_change_to_props(change));
}

static void job_read_logs(Job *j) {
        job_read_logs_from(j, true, true);
}

static void job_read_v2v_pid(Job *j) {
        g_autofree char *path = job_file(j, "v2v.pid");
        g_autofree char *text = NULL;
        unsigned long pid;

        if (read_small_file(path, 64, &text, NULL) < 0)
                return;
        pid = strtoul(text, NULL, 10);
        if (pid > 0 && pid < UINT32_MAX && pid != j->v2v_pid) {
                j->v2v_pid = (uint32_t) pid;
                job_mark_dirty(j, JOB_PROP_PID);
        }
}

static void job_apply_throttling_file(Job *j);

static int on_log_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Job *j = userdata;
        bool machine = s == j->machine_log_watch;

        if (ev->mask & IN_Q_OVERFLOW)
                job_read_logs(j);
        else
                job_read_logs_from(j, machine, !machine);
        /* A value sent as it was written: read the next ones on its beat. */
        if (job_flush_if_due(j))
                job_start_beat(j, j->last_emit_usec + EMIT_INTERVAL_USEC + BEAT_MARGIN_USEC);
        return 0;
}

/* IN_MODIFY on each log (not on the directory: a beat turns these off while
 * the directory's other events still come). A log not there yet is watched
 * when it is created (on_job_dir_event). */
static int job_watch_logs(Job *j) {
        int r = 0;

        /* Only a followed job keeps its logs' descriptors open. */
        if (!j->inotify_source)
                return -EBADF;
        for (int i = 0; i < 2; i++) {
                bool machine = i == 1;
                sd_event_source **w = machine ? &j->machine_log_watch : &j->log_watch;
                int not_followed_fd = -1, fd;

                if (*w)
                        continue;
                fd = job_log_fd(j, machine, &not_followed_fd);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0) {
                        r = fd;
                        continue;
                }
                r = sd_event_add_inotify_fd(j->manager->event, w, fd, IN_MODIFY, on_log_event, j);
                if (r < 0)
                        continue;
                sd_event_source_set_description(*w, machine ? "job-machine-log" : "job-log");
        }
        return r;
}

static void job_unwatch_logs(Job *j) {
        j->log_watch = sd_event_source_disable_unref(j->log_watch);
        j->machine_log_watch = sd_event_source_disable_unref(j->machine_log_watch);
}

static int on_job_dir_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Job *j = userdata;

        if (ev->mask & IN_Q_OVERFLOW) {
                job_read_logs(j);
                job_read_v2v_pid(j);
                return 0;
        }
        if (ev->len == 0)
                return 0;
        if (g_str_equal(ev->name, "v2v.log") || g_str_equal(ev->name, "v2v-machine.log")) {
                if ((ev->mask & IN_CREATE) && !j->beating)
                        (void) job_watch_logs(j);
                job_read_logs_from(j, ev->name[3] == '-', ev->name[3] != '-');
                job_flush_if_due(j);
        } else if (g_str_equal(ev->name, "v2v.pid"))
                job_read_v2v_pid(j);
        else if (g_str_equal(ev->name, "throttling.json") && (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)))
                job_apply_throttling_file(j);
        return 0;
}

static int job_follow_dir(Job *j) {
        int r;

        if (j->inotify_source)
                return 0;
        r = sd_event_add_inotify(j->manager->event, &j->inotify_source, j->dir,
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR,
                                 on_job_dir_event, j);
        if (r < 0)
                return log_error_errno(r, "job %s: cannot watch %s: %m", j->id, j->dir);
        sd_event_source_set_description(j->inotify_source, "job-dir");
        r = job_watch_logs(j);
        if (r < 0) {
                j->inotify_source = sd_event_source_disable_unref(j->inotify_source);
                return log_error_errno(r, "job %s: cannot watch its logs: %m", j->id);
        }
        return 0;
}

/* Remove the output files a cancelled job created; never ones that were
 * there before it ran. */
static void job_remove_partial_output(Job *j) {
        g_autofree char *dir = NULL;
        g_autoptr(GPtrArray) patterns = NULL;
        g_autoptr(GDir) d = NULL;
        const char *name;

        if (!j->spec || !v2v_spec_output_files(j->spec, &dir, &patterns))
                return;
        d = g_dir_open(dir, 0, NULL);
        if (!d)
                return;
        while ((name = g_dir_read_name(d))) {
                bool match = false;

                for (guint i = 0; i < patterns->len && !match; i++)
                        match = g_pattern_match_simple(patterns->pdata[i], name);
                if (!match)
                        continue;
                if (j->record->preexisting_outputs &&
                    g_ptr_array_find_with_equal_func(j->record->preexisting_outputs, name, g_str_equal, NULL))
                        continue;
                {
                        g_autofree char *path = g_build_filename(dir, name, NULL);
                        if (unlink(path) < 0 && errno != ENOENT)
                                log_full(LOG_WARNING, j->id, "cannot remove partial output %s: %m", path);
                        else
                                log_full(LOG_INFO, j->id, "removed partial output %s", path);
                }
        }
}

static void job_record_preexisting_outputs(Job *j) {
        g_autofree char *dir = NULL;
        g_autoptr(GPtrArray) patterns = NULL;
        g_autoptr(GDir) d = NULL;
        const char *name;

        g_clear_pointer(&j->record->preexisting_outputs, g_ptr_array_unref);
        j->record->preexisting_outputs = g_ptr_array_new_with_free_func(g_free);
        if (!j->spec || !v2v_spec_output_files(j->spec, &dir, &patterns))
                return;
        d = g_dir_open(dir, 0, NULL);
        if (!d)
                return;
        while ((name = g_dir_read_name(d)))
                for (guint i = 0; i < patterns->len; i++)
                        if (g_pattern_match_simple(patterns->pdata[i], name)) {
                                g_ptr_array_add(j->record->preexisting_outputs, g_strdup(name));
                                break;
                        }
}

/* Give back the space job_start reserved beyond the logs' ends: truncating
 * a file to its own size frees its blocks past the end (tmpfs, ext4, xfs). */
static void job_release_log_space(Job *j) {
        for (const char *const *n = (const char *const[]) { "v2v.log", "v2v-machine.log", NULL }; *n; n++) {
                g_autofree char *p = job_file(j, *n);
                struct stat st;

                if (stat(p, &st) == 0 && (uint64_t) st.st_blocks * 512 > (uint64_t) st.st_size + 4096)
                        (void) truncate(p, st.st_size);
        }
}

static void job_finish(Job *j, V2vJobState state, const char *msg_type, const char *msg_text) {
        Manager *m = j->manager;
        V2vJobState old = j->record->state;
        unsigned props = JOB_PROP_STATE | JOB_PROP_FINISHED_AT | JOB_PROP_EXPECTED_END | JOB_PROP_PID;
        int r;

        if (v2v_job_state_is_finished(old))
                return;

        /* Whatever virt-v2v wrote last counts. */
        if (old == V2V_JOB_RUNNING)
                job_read_logs(j);
        job_stop_following(j);
        throttle_job_clear(j);
        job_release_log_space(j);

        if (old == V2V_JOB_QUEUED)
                g_queue_remove(&m->queue, j);
        else if (old == V2V_JOB_RUNNING && m->n_running > 0)
                m->n_running--;

        j->record->state = state;
        j->record->finished_usec = now_usec(CLOCK_REALTIME);
        if (msg_type)
                job_set_message(j, msg_type, msg_text);
        if (state == V2V_JOB_SUCCEEDED)
                props |= progress_change_to_props(v2v_progress_complete(j->progress));
        if (state == V2V_JOB_CANCELLED)
                job_remove_partial_output(j);
        j->progress->expected_end_usec = 0;
        j->v2v_pid = 0;

        r = remove_tree(j->secret_dir);
        if (r < 0)
                log_full(LOG_ERR, j->id, "cannot remove the job's secrets in %s: %s", j->secret_dir, g_strerror(-r));
        g_clear_pointer(&j->spec, v2v_spec_free);

        job_save_record(j);
        log_full(state == V2V_JOB_SUCCEEDED ? LOG_INFO : LOG_WARNING, j->id, "%s: %s%s%s",
                 v2v_job_state_to_string(state), j->vm_name,
                 msg_text ? ": " : "", msg_text ?: "");
        job_mark_dirty(j, props);
        bus_job_emit_finished(j);
        manager_counts_changed(m);
        manager_schedule(m);
}

static const char *signal_name(int sig) {
        const char *n = sigabbrev_np(sig);
        return n ?: "?";
}

/* The runner's own exit status repeats virt-v2v's (runner.c); these two
 * say virt-v2v never ran. */
#define RUNNER_NOT_STARTED  250
#define RUNNER_SETUP_FAILED 251

/* The runner is gone: decide the end from what it left in the directory,
 * or — where it could not write there — from its exit status, when we are
 * its parent (runner_status >= 0). */
static void job_conclude(Job *j, int runner_status, const char *lost_message) {
        g_autofree char *path = job_file(j, "exit-status");
        g_autofree char *text = NULL;
        g_autofree char *msg = NULL;
        int code = -1;

        /* What virt-v2v wrote last decides the message, and it may be
         * unread: a loaded daemon can see the runner's exit before the
         * log's event, and a beat has the log watches off. */
        if (j->record->state == V2V_JOB_RUNNING)
                job_read_logs(j);
        if (read_small_file(path, 128, &text, NULL) < 0 && runner_status >= 0 &&
            runner_status != RUNNER_NOT_STARTED && runner_status != RUNNER_SETUP_FAILED)
                text = runner_status > 128 && runner_status < 128 + 65
                       ? g_strdup_printf("killed %d", runner_status - 128)
                       : g_strdup_printf("exited %d", runner_status);
        if (text) {
                if (sscanf(text, "exited %d", &code) == 1)
                        j->record->return_code = code;
                else if (sscanf(text, "killed %d", &code) == 1) {
                        j->record->return_code = 128 + code;
                        if (!j->record->cancel_requested)
                                msg = g_strdup_printf("virt-v2v was killed by signal %d (SIG%s)", code, signal_name(code));
                        code = -2;
                }
                job_mark_dirty(j, JOB_PROP_RETURN_CODE);
        }

        if (j->record->cancel_requested)
                job_finish(j, V2V_JOB_CANCELLED, "info", "the job was cancelled");
        else if (code == 0)
                job_finish(j, V2V_JOB_SUCCEEDED, NULL, NULL);
        else if (msg)
                job_finish(j, V2V_JOB_FAILED, "error", msg);
        else if (code > 0) {
                if (j->progress->last_error)
                        job_finish(j, V2V_JOB_FAILED, NULL, NULL);
                else {
                        msg = g_strdup_printf("virt-v2v exited with status %d", code);
                        job_finish(j, V2V_JOB_FAILED, "error", msg);
                }
        } else if (j->record->final_message_type && g_str_equal(j->record->final_message_type, "error"))
                job_finish(j, V2V_JOB_FAILED, NULL, NULL);
        else
                job_finish(j, V2V_JOB_FAILED, "error", lost_message);
}

static int on_runner_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Job *j = userdata;
        siginfo_t si = {};
        int status = -1;

        /* Reap it if it is our child; an adopted one is not (ECHILD). */
        if (waitid(P_PIDFD, (id_t) fd, &si, WEXITED | WNOHANG) >= 0 && si.si_pid > 0 && si.si_code == CLD_EXITED)
                status = si.si_status;
        job_conclude(j, status, "the job's runner ended without recording how virt-v2v ended (was it killed?)");
        return 0;
}

static int on_runner_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        job_conclude(userdata, si->si_code == CLD_EXITED ? si->si_status : -1, "the job's runner ended without recording how virt-v2v ended (was it killed?)");
        return 0;
}

static int on_runner_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;

        if (kill((pid_t) j->record->runner_pid, 0) < 0 && errno == ESRCH) {
                job_conclude(j, -1, "the job's runner ended without recording how virt-v2v ended (was it killed?)");
                return 0;
        }
        sd_event_source_set_time(s, usec + 1000 * 1000ULL);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* A pidfd tells when the runner ends, whether it is our child or one
 * adopted after a restart. Without pidfd_open (kernels before 5.3, or
 * valgrind): SIGCHLD for our own child, a once-a-second look otherwise. */
static int job_watch_runner(Job *j, pid_t pid, bool own_child) {
        int r;

        j->runner_pidfd = pidfd_open_compat(pid);
        if (j->runner_pidfd < 0) {
                if (errno != ENOSYS)
                        return -errno;
                r = own_child ? sd_event_add_child(j->manager->event, &j->runner_source, pid, WEXITED,
                                                   on_runner_child_exit, j)
                              : sd_event_add_time_relative(j->manager->event, &j->runner_source, CLOCK_MONOTONIC,
                                                           1000 * 1000ULL, 0, on_runner_poll, j);
        } else
                r = sd_event_add_io(j->manager->event, &j->runner_source, j->runner_pidfd, EPOLLIN,
                                    on_runner_exit, j);
        if (r < 0)
                return r;
        sd_event_source_set_description(j->runner_source, "job-runner");
        return 0;
}

static int write_secret_file(const char *dir, const V2vSecret *s) {
        g_autofree char *path = g_build_filename(dir, s->file_name, NULL);
        _cleanup_close_ int fd = -1;
        size_t len = strlen(s->value);

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, 0600) < 0)
                return -errno;
        if (write(fd, s->value, len) != (ssize_t) len)
                return errno ? -errno : -EIO;
        return 0;
}

static int job_write_bandwidth_file(Job *j) {
        g_autofree char *path = job_file(j, "bandwidth");
        /* nbdkit's rate filter reads bits per second; 0 means no limit. */
        uint64_t bits = j->record->network_limit > UINT64_MAX / 8 ? UINT64_MAX : j->record->network_limit * 8;
        g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT "\n", bits);

        return v2v_write_file_atomic(path, text, strlen(text), 0644);
}

static const V2vSecret *job_spec_secret(const Job *j, const char *file_name) {
        for (guint i = 0; j->spec && i < j->spec->secrets->len; i++) {
                const V2vSecret *s = j->spec->secrets->pdata[i];
                if (g_str_equal(s->file_name, file_name))
                        return s;
        }
        return NULL;
}

static char **job_build_environment(Job *j, const V2vCommand *cmd) {
        static const char *const drop[] = {
                "NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC", "LISTEN_PID", "LISTEN_FDS",
                "LISTEN_FDNAMES", "INVOCATION_ID", "JOURNAL_STREAM", "V2VD_VIRT_V2V", NULL,
        };
        char **env = g_get_environ();

        for (const char *const *d = drop; *d; d++)
                env = g_environ_unsetenv(env, *d);
        for (char **e = j->manager->extra_env; e && *e; e++) {
                g_auto(GStrv) kv = g_strsplit(*e, "=", 2);
                if (kv[0] && kv[1])
                        env = g_environ_setenv(env, kv[0], kv[1], TRUE);
        }
        for (guint i = 0; cmd->env && i < cmd->env->len && cmd->env->pdata[i]; i++) {
                g_auto(GStrv) kv = g_strsplit(cmd->env->pdata[i], "=", 2);
                if (kv[0] && kv[1])
                        env = g_environ_setenv(env, kv[0], kv[1], TRUE);
        }
        return env;
}

static int on_scope_started(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Job *j = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *path;
        int r;

        j->scope_slot = sd_bus_slot_unref(j->scope_slot);
        if (e) {
                g_autofree char *msg = g_strdup_printf("cannot create the job's scope %s: %s",
                                                       j->record->unit, e->message ?: e->name);
                job_set_message(j, "error", msg);
                /* The runner reads EOF and ends without running virt-v2v. */
                if (j->go_fd >= 0)
                        close(j->go_fd);
                j->go_fd = -1;
                return 0;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0) {
                job_set_message(j, "error", "cannot understand systemd's answer to StartTransientUnit");
                if (j->go_fd >= 0)
                        close(j->go_fd);
                j->go_fd = -1;
                return 0;
        }
        j->scope_job = g_strdup(path);
        return 0;
}

void job_scope_job_removed(Job *j, const char *result) {
        bool go = g_str_equal(result, "done") && !j->record->cancel_requested;

        g_clear_pointer(&j->scope_job, g_free);
        if (!g_str_equal(result, "done")) {
                g_autofree char *msg = g_strdup_printf("the job's scope %s could not be started (systemd: %s)",
                                                       j->record->unit, result);
                job_set_message(j, "error", msg);
        }
        if (j->go_fd >= 0) {
                if (go && write(j->go_fd, "g", 1) != 1)
                        log_full(LOG_ERR, j->id, "cannot release the runner: %m");
                close(j->go_fd);
                j->go_fd = -1;
        }
        if (go) {
                log_full(LOG_INFO, j->id, "virt-v2v starts in %s", j->record->unit);
                throttle_job_apply(j);
        }
}

static pid_t spawn_runner(Job *j, char **argv, char **envp, int go_read_fd) {
        g_autofree char *log_path = job_log_path(j);
        pid_t pid;

        pid = fork();
        if (pid != 0)
                return pid < 0 ? -errno : pid;

        /* Child: only async-signal-safe calls from here. */
        {
                int null_fd = open("/dev/null", O_RDONLY | O_NOCTTY);
                int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY, 0640);
                sigset_t none;

                if (null_fd < 0 || log_fd < 0)
                        _exit(126);
                if (go_read_fd == 3) {
                        int t = fcntl(go_read_fd, F_DUPFD, 10);
                        if (t < 0)
                                _exit(126);
                        go_read_fd = t;
                }
                if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0 ||
                    dup2(go_read_fd, 3) < 0)
                        _exit(126);
                syscall(SYS_close_range, 4U, ~0U, 0U);
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                execve(argv[0], argv, envp);
                _exit(127);
        }
}

int job_start(Job *j) {
        Manager *m = j->manager;
        g_autoptr(GError) error = NULL;
        g_autoptr(V2vCommand) cmd = NULL;
        g_autofree char *machine_log = job_machine_log_path(j);
        g_autofree char *bandwidth = job_file(j, "bandwidth");
        g_autofree char *log_path = job_log_path(j);
        g_autofree char *description = NULL;
        g_autofree char *agent_sock = NULL;
        g_autoptr(GPtrArray) runner_argv = NULL;
        g_auto(GStrv) envp = NULL;
        uint64_t quota = UINT64_MAX;
        int go[2] = { -1, -1 };
        pid_t pid;
        int r;
        V2vCommandPaths paths = {
                .virt_v2v = m->virt_v2v,
                .virt_v2v_in_place = m->virt_v2v_in_place,
                .machine_log = machine_log,
                .secret_dir = j->secret_dir,
                .bandwidth_file = bandwidth,
                .capabilities = (const char *const *) m->v2v_capabilities,
        };

        g_return_val_if_fail(j->record->state == V2V_JOB_QUEUED, -EINVAL);
        if (j->spec && job_spec_secret(j, "ssh_key")) {
                /* The runner starts an agent with the key inside the scope. */
                agent_sock = g_build_filename(j->secret_dir, "agent.sock", NULL);
                paths.ssh_auth_sock = agent_sock;
        }
        g_queue_remove(&m->queue, j);
        j->record->state = V2V_JOB_RUNNING;
        j->record->started_usec = now_usec(CLOCK_REALTIME);
        m->n_running++;

        if (!j->spec) {
                job_finish(j, V2V_JOB_FAILED, "error", j->record->final_message_text ?: "the job's spec is lost");
                return 0;
        }
        cmd = v2v_command_build(j->spec, &paths, &error);
        if (!cmd) {
                job_finish(j, V2V_JOB_FAILED, "error", error->message);
                return 0;
        }
        job_set_warnings(j, cmd->warnings);
        r = mkdir_parents_mode(j->secret_dir, 0700);
        for (guint i = 0; r >= 0 && i < j->spec->secrets->len; i++)
                r = write_secret_file(j->secret_dir, j->spec->secrets->pdata[i]);
        if (r < 0) {
                g_autofree char *msg = g_strdup_printf("cannot write the job's secrets to %s: %s",
                                                       j->secret_dir, g_strerror(-r));
                job_finish(j, V2V_JOB_FAILED, "error", msg);
                return 0;
        }
        r = job_write_bandwidth_file(j);
        if (r < 0)
                log_full(LOG_WARNING, j->id, "cannot write %s: %s", bandwidth, g_strerror(-r));
        job_record_preexisting_outputs(j);

        /* A fresh start: logs and outcome files of nothing earlier. */
        for (const char *const *n = (const char *const[]) { "v2v.log", "v2v-machine.log", "v2v.pid", "exit-status", NULL }; *n; n++) {
                g_autofree char *p = job_file(j, *n);
                (void) unlink(p);
        }
        {
                _cleanup_close_ int fd = open(machine_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
                _cleanup_close_ int fd2 = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

                /* virt-v2v writes its output straight to these files: a state
                 * directory that fills up later must not end the conversion
                 * with ENOSPC on its stdout. Their space is reserved now,
                 * beyond the end (the sizes stay 0), and given back at the end
                 * (job_release_log_space). Best effort: not every filesystem
                 * can. tests/integration/test-faults-state-dir.py */
                if (fd >= 0)
                        (void) fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, MACHINE_LOG_RESERVE_BYTES);
                if (fd2 >= 0)
                        (void) fallocate(fd2, FALLOC_FL_KEEP_SIZE, 0, LOG_RESERVE_BYTES);
        }
        j->log_offset = j->machine_log_offset = 0;
        r = job_follow_dir(j);
        if (r < 0) {
                job_finish(j, V2V_JOB_FAILED, "error", "cannot follow the job's directory");
                return 0;
        }

        runner_argv = g_ptr_array_new();
        g_ptr_array_add(runner_argv, m->runner_path);
        g_ptr_array_add(runner_argv, j->dir);
        g_ptr_array_add(runner_argv, (char *) "3");
        for (guint i = 0; i < cmd->argv->len && cmd->argv->pdata[i]; i++)
                g_ptr_array_add(runner_argv, cmd->argv->pdata[i]);
        g_ptr_array_add(runner_argv, NULL);
        envp = job_build_environment(j, cmd);
        if (agent_sock) {
                g_autofree char *key = g_build_filename(j->secret_dir, "ssh_key", NULL);
                envp = g_environ_setenv(envp, "V2VD_RUNNER_SSH_KEY", key, TRUE);
                envp = g_environ_setenv(envp, "V2VD_RUNNER_SSH_AUTH_SOCK", agent_sock, TRUE);
        }

        if (pipe2(go, O_CLOEXEC) < 0) {
                job_finish(j, V2V_JOB_FAILED, "error", "cannot create a pipe for the runner");
                return 0;
        }
        pid = spawn_runner(j, (char **) runner_argv->pdata, envp, go[0]);
        close(go[0]);
        j->go_fd = go[1];
        if (pid < 0) {
                job_finish(j, V2V_JOB_FAILED, "error", "cannot fork the runner");
                return 0;
        }
        j->record->runner_pid = (uint32_t) pid;
        g_free(j->record->unit);
        j->record->unit = scope_unit_name(j->id);
        r = job_watch_runner(j, pid, true);
        if (r < 0) {
                kill(pid, SIGKILL);
                job_finish(j, V2V_JOB_FAILED, "error", "cannot watch the runner");
                return 0;
        }

        if (cpu_limit_parse(j->record->cpu_limit, &quota) < 0)
                quota = UINT64_MAX;
        description = g_strdup_printf("virt-v2v conversion of %s (v2vd job %s)", j->vm_name, j->id);
        r = scope_start(m->bus, j->record->unit, pid, description, quota, m->cancel_grace_usec,
                        on_scope_started, j, &j->scope_slot);
        if (r < 0) {
                g_autofree char *msg = g_strdup_printf("cannot ask systemd for the job's scope: %s", g_strerror(-r));
                job_set_message(j, "error", msg);
                close(j->go_fd);
                j->go_fd = -1;
        }

        job_save_record(j);
        log_full(LOG_INFO, j->id, "starting the conversion of %s", j->vm_name);
        job_mark_dirty(j, JOB_PROP_STATE | JOB_PROP_STARTED_AT | JOB_PROP_UNIT);
        manager_counts_changed(m);
        return 0;
}

int job_cancel(Job *j) {
        switch (j->record->state) {
        case V2V_JOB_QUEUED:
                j->record->cancel_requested = true;
                job_finish(j, V2V_JOB_CANCELLED, "info", "the job was cancelled before it started");
                return 0;
        case V2V_JOB_RUNNING:
                if (j->record->cancel_requested)
                        return 0;
                j->record->cancel_requested = true;
                job_save_record(j);
                log_full(LOG_INFO, j->id, "cancelling");
                if (j->go_fd >= 0) {
                        /* The scope is not ready yet: the runner ends without starting virt-v2v. */
                        close(j->go_fd);
                        j->go_fd = -1;
                }
                return scope_stop(j->manager->bus, j->record->unit);
        default:
                return -ESTALE;
        }
}

int job_set_throttling(Job *j, const char *cpu, int64_t network, char **ret_warning) {
        unsigned props = 0;
        int r;

        if (v2v_job_state_is_finished(j->record->state))
                return -ESTALE;
        if (cpu) {
                uint64_t quota;

                r = cpu_limit_parse(cpu, &quota);
                if (r < 0)
                        return r;
                if (!g_str_equal(cpu, j->record->cpu_limit ?: "")) {
                        g_free(j->record->cpu_limit);
                        j->record->cpu_limit = g_strdup(cpu);
                        props |= JOB_PROP_CPU_LIMIT;
                }
                if (j->record->state == V2V_JOB_RUNNING && j->record->unit) {
                        r = scope_set_cpu_quota(j->manager->bus, j->record->unit, quota);
                        if (r < 0)
                                return r;
                }
        }
        if (network >= 0 && (uint64_t) network != j->record->network_limit) {
                j->record->network_limit = (uint64_t) network;
                props |= JOB_PROP_NETWORK_LIMIT;
                if (j->record->state == V2V_JOB_RUNNING) {
                        r = job_write_bandwidth_file(j);
                        if (r < 0)
                                return r;
                        throttle_job_apply(j);
                }
        }
        if (props) {
                job_save_record(j);
                log_full(LOG_INFO, j->id, "throttling: cpu %s, network %" G_GUINT64_FORMAT " bytes/s",
                         j->record->cpu_limit, j->record->network_limit);
        }
        job_mark_dirty(j, props);
        if (ret_warning)
                *ret_warning = NULL;
        return 0;
}

/* throttling.json, the wrapper's way to change limits: applied like
 * SetThrottling, merged with the limits in place, then deleted. */
static void job_apply_throttling_file(Job *j) {
        g_autofree char *path = job_throttling_file_path(j);
        g_autofree char *text = NULL;
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(GError) error = NULL;
        g_autofree char *problem = NULL;
        const char *cpu = NULL;
        int64_t network = -1;
        JsonObject *o;
        int r;

        r = read_small_file(path, 64 * 1024, &text, NULL);
        if (r == -ENOENT)
                return;
        (void) unlink(path);
        if (r < 0) {
                problem = g_strdup_printf("cannot read: %s", g_strerror(-r));
                goto bad;
        }
        if (!json_parser_load_from_data(parser, text, -1, &error)) {
                problem = g_strdup(error->message);
                goto bad;
        }
        if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
                problem = g_strdup("expected a JSON object");
                goto bad;
        }
        o = json_node_get_object(json_parser_get_root(parser));
        if (json_object_has_member(o, "cpu")) {
                JsonNode *n = json_object_get_member(o, "cpu");
                uint64_t q;
                if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING ||
                    cpu_limit_parse(json_node_get_string(n), &q) < 0) {
                        g_autofree char *got = json_to_string(n, FALSE);
                        problem = g_strdup_printf("cpu: expected N%% or \"unlimited\", got %s", got);
                        goto bad;
                }
                cpu = json_node_get_string(n);
        }
        if (json_object_has_member(o, "network")) {
                JsonNode *n = json_object_get_member(o, "network");
                const char *s = JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
                                ? json_node_get_string(n) : NULL;
                if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 && json_node_get_int(n) >= 0)
                        network = json_node_get_int(n);
                else if (s && g_str_equal(s, "unlimited"))
                        network = 0;
                else if (s && *s && strspn(s, "0123456789") == strlen(s) && strlen(s) < 19)
                        network = g_ascii_strtoll(s, NULL, 10);
                else {
                        g_autofree char *got = json_to_string(n, FALSE);
                        problem = g_strdup_printf("network: expected bytes per second as digits or \"unlimited\", got %s", got);
                        goto bad;
                }
        }
        r = job_set_throttling(j, cpu, network, NULL);
        if (r < 0) {
                problem = g_strdup(g_strerror(-r));
                goto bad;
        }
        return;
bad:
        {
                g_autofree char *msg = g_strdup_printf("throttling.json ignored: %s", problem);
                log_full(LOG_WARNING, j->id, "%s", msg);
                job_set_message(j, "warning", msg);
        }
}

int job_remove(Job *j) {
        Manager *m = j->manager;
        int r;

        if (!v2v_job_state_is_finished(j->record->state))
                return -EBUSY;
        bus_job_emit_removed(j);
        r = remove_tree(j->dir);
        if (r < 0)
                log_full(LOG_WARNING, j->id, "cannot remove %s: %s", j->dir, g_strerror(-r));
        (void) remove_tree(j->secret_dir);
        log_full(LOG_INFO, j->id, "removed");
        g_hash_table_remove(m->jobs, j->id);   /* frees j */
        return 0;
}

static void job_seed_disks(Job *j) {
        g_autofree uint64_t *sizes = NULL;
        guint n;

        if (!j->spec || !j->spec->source_disks || j->spec->source_disks->len == 0)
                return;
        n = j->spec->source_disks->len;
        sizes = g_new0(uint64_t, n);
        for (guint i = 0; i < n && j->spec->source_disk_sizes && i < j->spec->source_disk_sizes->len; i++)
                sizes[i] = g_array_index(j->spec->source_disk_sizes, uint64_t, i);
        v2v_progress_set_disks(j->progress, (const char *const *) j->spec->source_disks->pdata, sizes, n);
}

int job_create(Manager *m, V2vSpec **spec, uid_t owner, Job **ret) {
        g_autoptr(Job) j = NULL;
        g_autofree char *id = manager_next_job_id(m);
        g_autofree char *spec_path = NULL;
        g_autofree char *full_path = NULL;
        g_autofree char *full = NULL;
        int r;

        j = job_alloc(m, id);
        j->spec = g_steal_pointer(spec);
        j->vm_name = g_strdup(j->spec->vm_name);
        j->spec_redacted = v2v_spec_render_redacted(j->spec);
        j->record = v2v_job_record_new();
        j->record->id = g_strdup(id);
        j->record->owner_uid = owner;
        j->record->state = V2V_JOB_QUEUED;
        j->record->created_usec = now_usec(CLOCK_REALTIME);
        j->record->cpu_limit = g_strdup(j->spec->cpu_limit ?: m->default_cpu);
        j->record->network_limit = j->spec->network_limit >= 0 ? (uint64_t) j->spec->network_limit : m->default_network;
        j->record->return_code = -1;

        if (mkdir(j->dir, 0750) < 0) {
                r = -errno;
                *spec = g_steal_pointer(&j->spec);
                return log_error_errno(r, "cannot create %s: %m", j->dir);
        }
        spec_path = job_file(j, "spec.json");
        r = v2v_write_file_atomic(spec_path, j->spec_redacted, strlen(j->spec_redacted), 0640);
        if (r < 0)
                goto fail;
        /* The whole spec, secrets included, only in the private runtime
         * directory: a queued job must survive a daemon restart. */
        r = mkdir_parents_mode(j->secret_dir, 0700);
        if (r < 0)
                goto fail;
        full = json_to_string(j->spec->root, FALSE);
        full_path = g_build_filename(j->secret_dir, "spec.json", NULL);
        r = v2v_write_file_atomic(full_path, full, strlen(full), 0600);
        if (r < 0)
                goto fail;

        job_seed_disks(j);
        job_set_warnings(j, j->spec->warnings);
        r = job_save_record(j);
        if (r < 0)
                goto fail;
        job_write_state_file(j, true);
        j->dirty = 0;

        g_hash_table_insert(m->jobs, j->id, j);
        g_queue_push_tail(&m->queue, j);
        log_full(LOG_INFO, j->id, "created for %s by uid %u", j->vm_name, (unsigned) owner);
        *ret = g_steal_pointer(&j);
        return 0;
fail:
        log_full(LOG_ERR, id, "cannot create the job's files: %s", g_strerror(-r));
        (void) remove_tree(j->dir);
        (void) remove_tree(j->secret_dir);
        *spec = g_steal_pointer(&j->spec);
        return r;
}

static char *vm_name_from_spec_json(const char *json) {
        g_autoptr(JsonParser) p = json_parser_new();
        JsonObject *o;

        if (!json_parser_load_from_data(p, json, -1, NULL) || !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
                return NULL;
        o = json_node_get_object(json_parser_get_root(p));
        return g_strdup(json_object_get_string_member_with_default(o, "vm_name", ""));
}

static void job_load_spec(Job *j) {
        Manager *m = j->manager;
        g_autofree char *full_path = g_build_filename(j->secret_dir, "spec.json", NULL);
        g_autofree char *full = NULL;
        g_autoptr(GError) error = NULL;
        const char *home = g_get_home_dir();
        V2vSpecContext ctx = {
                .owner_uid = j->record->owner_uid,
                .owner_home = home,
                .profile_dirs = (const char *const *) m->profile_dirs,
        };

        if (read_small_file(full_path, 16 * 1024 * 1024, &full, NULL) < 0) {
                if (!v2v_job_state_is_finished(j->record->state))
                        log_full(LOG_WARNING, j->id, "%s is gone (the machine restarted?); using the saved spec", full_path);
                full = g_strdup(j->spec_redacted);
        }
        j->spec = v2v_spec_parse(full, &ctx, &error);
        if (!j->spec) {
                g_autofree char *msg = g_strdup_printf("the job's spec can no longer be used: %s", error->message);
                job_set_message(j, "error", msg);
                return;
        }
        for (guint i = 0; i < j->spec->secrets->len; i++) {
                const V2vSecret *s = j->spec->secrets->pdata[i];
                if (g_str_equal(s->value, V2V_SECRET_MASK)) {
                        job_set_message(j, "error", "the job's secrets were lost (the machine restarted?); submit it again");
                        g_clear_pointer(&j->spec, v2v_spec_free);
                        return;
                }
        }
}

int job_load(Manager *m, const char *id, Job **ret) {
        g_autoptr(Job) j = NULL;
        g_autofree char *record_path = NULL;
        g_autofree char *spec_path = NULL;
        g_autofree char *text = NULL;
        g_autoptr(GError) error = NULL;
        int r;

        j = job_alloc(m, id);
        record_path = job_file(j, "job.json");
        r = read_small_file(record_path, 1024 * 1024, &text, NULL);
        if (r < 0)
                return log_error_errno(r, "job %s: cannot read %s: %m", id, record_path);
        j->record = v2v_job_record_parse(text, &error);
        if (!j->record) {
                log_error("job %s: %s: %s", id, record_path, error->message);
                return -EBADMSG;
        }
        if (!j->record->id || !g_str_equal(j->record->id, id)) {
                log_error("job %s: %s names another job", id, record_path);
                return -EBADMSG;
        }
        spec_path = job_file(j, "spec.json");
        if (read_small_file(spec_path, 16 * 1024 * 1024, &j->spec_redacted, NULL) < 0)
                j->spec_redacted = g_strdup("{}");
        j->vm_name = vm_name_from_spec_json(j->spec_redacted) ?: g_strdup("");

        if (j->record->state == V2V_JOB_QUEUED || j->record->state == V2V_JOB_RUNNING)
                job_load_spec(j);
        else
                (void) remove_tree(j->secret_dir);
        job_seed_disks(j);
        if (j->record->state != V2V_JOB_QUEUED) {
                (void) job_read_log(j, &j->machine_log_offset, true);
                (void) job_read_log(j, &j->log_offset, false);
                if (j->record->state == V2V_JOB_SUCCEEDED)
                        v2v_progress_complete(j->progress);
        }

        g_hash_table_insert(m->jobs, j->id, j);
        *ret = g_steal_pointer(&j);
        return 0;
}

static bool job_file_exists(const Job *j, const char *name) {
        g_autofree char *p = job_file(j, name);
        return access(p, F_OK) == 0;
}

static gint compare_job_ids(gconstpointer a, gconstpointer b, gpointer userdata) {
        return job_id_compare(((const Job *) a)->id, ((const Job *) b)->id);
}

/* Second half of loading, once every job is in the table: pick up what was
 * running. Queued jobs are queued by the manager in id order. */
int job_adopt(Job *j) {
        Manager *m = j->manager;
        pid_t pid = (pid_t) j->record->runner_pid;

        if (j->record->state != V2V_JOB_RUNNING)
                return 0;
        m->n_running++;
        job_read_v2v_pid(j);
        if (pid > 0 && j->record->unit && scope_pid_is_in_unit(pid, j->record->unit) > 0 &&
            job_follow_dir(j) >= 0 && job_watch_runner(j, pid, false) >= 0) {
                log_full(LOG_INFO, j->id, "re-adopted: the runner (pid %d) still runs in %s", (int) pid, j->record->unit);
                job_read_logs(j);
                return 0;
        }
        if (j->spec && !j->record->cancel_requested && !job_file_exists(j, "v2v.pid") &&
            !job_file_exists(j, "exit-status")) {
                /* v2vd stopped while the scope was being created: the runner
                 * saw its start pipe close and ran nothing. Queue it again. */
                log_full(LOG_NOTICE, j->id, "virt-v2v never started before v2vd stopped: queued again");
                m->n_running--;
                j->record->state = V2V_JOB_QUEUED;
                j->record->started_usec = 0;
                j->record->runner_pid = 0;
                g_clear_pointer(&j->record->unit, g_free);
                job_save_record(j);
                g_queue_insert_sorted(&m->queue, j, compare_job_ids, NULL);
                job_mark_dirty(j, JOB_PROP_STATE | JOB_PROP_STARTED_AT | JOB_PROP_UNIT);
                return 0;
        }
        job_conclude(j, -1, "v2vd was restarted and found the job's scope gone, with no exit status from virt-v2v");
        return 0;
}
