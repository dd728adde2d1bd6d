/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Following a running job: its directory and virt-v2v's two logs (inotify,
 * reads fed to progress.c), the beat, and publishing what changed
 * (job-events.h, state.json).
 *
 * Property changes are coalesced: at most one PropertiesChanged per
 * EMIT_INTERVAL (progress_interval_ms) per job, a state change at once;
 * state.json at most once per STATE_FILE_INTERVAL, and at once on a state
 * change. While the copy's progress moves steadily the logs are read on a
 * beat, in step with the writer, not on every write (see "beat").
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/beat.h"
#include "job/job-events.h"
#include "job/job-private.h"
#include "host/file-write.h"
#include "host/spawn.h"
#include "host/scope.h"
#include "host/util.h"

/* Progress goes out at most once every EMIT_INTERVAL, the configuration's
 * progress_interval_ms (default 500: two signals a second are enough for a
 * bar, a rate and an ETA, and cost a fifth of ten). When, and the beat:
 * beat.h. The timer of a delayed change may fire up to EMIT_ACCURACY late. */
#define EMIT_INTERVAL_USEC       (j->manager->progress_interval_usec)
#define EMIT_ACCURACY_USEC       (1 * 1000ULL)
#define STATE_FILE_INTERVAL_USEC (1000 * 1000ULL)
#define LOG_READ_CHUNK           (64 * 1024)
/* While following, at most this much of each log per event-loop turn; the
 * rest on the next turns (an idle-priority defer), so that a job writing
 * fast cannot make bus calls wait. */
#define LOG_READ_SLICE           (1024 * 1024)
#define LOG_TAIL_BYTES           (1024 * 1024)
/* The logs are the owner's to write (virt-v2v runs as the owner): read as
 * untrusted. Regular files only; at most LOG_READ_BUDGET bytes of both a
 * second (virt-v2v writes kilobytes; the rest waits for the next second);
 * holes count for nothing (SEEK_DATA), and one in the machine log, a
 * machine log over MACHINE_LOG_MAX or a log that shrinks under the read
 * offset is tampering: the job is stopped and fails, saying so. */
#define LOG_READ_BUDGET          (8ULL * 1024 * 1024)
#define LOG_BUDGET_WINDOW_USEC   (1000 * 1000ULL)
#define MACHINE_LOG_MAX          (64ULL * 1024 * 1024)

int job_write_state_file(Job *j, bool durable) {
        g_autofree char *path = job_state_file_path(j);
        g_autofree char *spare = job_file(j, ".#state.json.spare");
        g_autofree char *json = NULL;
        V2vStatus st = {
                .id = j->id,
                .state = j->record->state,
                .started = j->record->started_usec > 0,
                .pid = j->v2v_pid,
                .return_code = j->record->return_code,
                .progress = j->progress,
                .last_message_type = j->record->final_message_type,
                .last_message_text = j->record->final_message_text,
                .cpu_limit = j->record->cpu_limit,
                .network_limit = j->record->network_limit,
                .failure_code = j->record->failure_code,
                .failure_summary = j->record->failure_summary,
                .failure_remedy = j->record->failure_remedy,
        };
        int r;

        json = v2v_statefile_render(&st);
        r = durable ? write_file_atomic(path, json, strlen(json), 0640)
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
                job_events_changed(j, j->dirty);
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
        if (v2v_beat_send_now(EMIT_INTERVAL_USEC, j->last_emit_usec, now))
                return job_flush_at(j, now);
        return false;
}

static void job_read_logs_from(Job *j, bool machine_log, bool log);
static int job_watch_logs(Job *j);
static void job_unwatch_logs(Job *j);
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
        arm_timer(j, &j->emit_timer, v2v_beat_emit_time(EMIT_INTERVAL_USEC, j->last_emit_usec, now),
                  EMIT_ACCURACY_USEC, on_emit_timer, "job-emit");
        arm_timer(j, &j->state_file_timer, MAX(now, j->last_state_write_usec + STATE_FILE_INTERVAL_USEC),
                  10 * 1000, on_state_file_timer, "job-state-file");
}

/* On a beat, state.json goes with the beat (v2v_beat_state_file_now). */
static void job_write_state_file_with_beat(Job *j, uint64_t now, uint64_t next_beat) {
        if (!j->state_file_dirty ||
            !v2v_beat_state_file_now(STATE_FILE_INTERVAL_USEC, j->last_state_write_usec, now, next_beat))
                return;
        job_write_state_file(j, false);
        if (j->state_file_timer)
                sd_event_source_set_enabled(j->state_file_timer, SD_EVENT_OFF);
}

/* How long ago the logs were last written, by their mtime (UINT64_MAX if
 * unknown): the file system's clock is coarse (a few ms), well inside
 * V2V_BEAT_STALE. */
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
        job_read_logs_from(j, true, true);
        if (j->dirty)
                arm_timer(j, &j->emit_timer,
                          v2v_beat_emit_time(EMIT_INTERVAL_USEC, j->last_emit_usec, now_usec(CLOCK_MONOTONIC)),
                          EMIT_ACCURACY_USEC, on_emit_timer, "job-emit");
}

static int on_emit_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        uint64_t interval = EMIT_INTERVAL_USEC;

        if (j->beating) {
                uint64_t before = j->log_offset + j->machine_log_offset;
                uint64_t written_ago, next;

                job_read_logs_from(j, true, true);
                if (j->log_offset + j->machine_log_offset == before) {
                        /* The writer paused: wait for its next write. */
                        job_stop_beat(j);
                        job_flush_if_due(j);
                        return 0;
                }
                written_ago = job_logs_written_ago_usec(j);
                job_flush_at(j, v2v_beat_sent_at(interval, usec, now, true));
                job_write_state_file_with_beat(j, now, usec + interval);
                if (!v2v_beat_goes_on(interval, usec, now, written_ago, &next)) {
                        /* Out of step with the writer (or the loop stalled):
                         * the next write is sent as it comes and starts a
                         * new beat. */
                        job_stop_beat(j);
                        return 0;
                }
                sd_event_source_set_time(s, next);
                sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                return 0;
        }

        /* Send what virt-v2v has written by now, not only what the last
         * inotify event showed: the newest value is the one worth the signal. */
        if (j->inotify_source)
                job_read_logs_from(j, true, true);
        if (job_flush_at(j, v2v_beat_sent_at(interval, usec, now, false)) && j->inotify_source) {
                /* The value sent was written a while ago: beat from when it
                 * was written (by the log's mtime, a few ms coarse). */
                uint64_t first = v2v_beat_first_after_timer(interval, now, job_logs_written_ago_usec(j));

                if (first > 0)
                        job_start_beat(j, first);
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

unsigned progress_change_to_props(unsigned change) {
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

/* The owner has tampered with a log: stop following it, stop the job
 * (job_conclude fails it with the reason). */
static void job_tampered(Job *j, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void job_tampered(Job *j, const char *fmt, ...) {
        va_list ap;

        if (j->tampered)
                return;
        va_start(ap, fmt);
        j->tampered = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        log_full(LOG_WARNING, j->id, "%s; stopping the job", j->tampered);
        if (j->record->state == V2V_JOB_RUNNING && j->record->unit && !j->record->cancel_requested)
                (void) scope_stop(j->manager->bus, j->record->unit);
}

/* The log's descriptor, opened once while the job is followed (an open and
 * a close per progress step were a fifth of the daemon's work for a job;
 * perf). *own_fd gets it when the job is not followed. */
static int job_log_fd(Job *j, bool machine, int *own_fd) {
        int *cached = machine ? &j->machine_log_fd : &j->log_fd;
        g_autofree char *path = NULL;
        struct stat st;
        int fd;

        if (*cached >= 0)
                return *cached;
        path = job_file(j, machine ? JOB_MACHINE_LOG_FILE : JOB_LOG_FILE);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0 && errno == ELOOP)
                job_tampered(j, "%s is a symbolic link, not virt-v2v's log", machine ? JOB_MACHINE_LOG_FILE : JOB_LOG_FILE);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                job_tampered(j, "%s is not a regular file, not virt-v2v's log", machine ? JOB_MACHINE_LOG_FILE : JOB_LOG_FILE);
                return -EBADF;
        }
        if (j->inotify_source)
                *cached = fd;
        else
                *own_fd = fd;
        return fd;
}

/* Feed what a log file gained since *offset, at most max bytes (*ret_more
 * set when it stopped there). Returns the change mask. */
static unsigned job_read_log_upto(Job *j, uint64_t *offset, bool machine, uint64_t max, bool *ret_more) {
        _cleanup_close_ int own_fd = -1;
        char buf[LOG_READ_CHUNK];
        unsigned change = 0;
        uint64_t done = 0;
        const char *name = machine ? JOB_MACHINE_LOG_FILE : JOB_LOG_FILE;
        int fd = j->tampered ? -EBADF : job_log_fd(j, machine, &own_fd);
        struct stat st;

        if (fd < 0)
                return 0;
        /* Shrunk under what was read: truncated by its owner (v2v.log is
         * cut only while it is not read, and its offset moved then). */
        if (fstat(fd, &st) == 0 && (uint64_t) st.st_size < *offset) {
                job_tampered(j, "%s shrank from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " bytes: truncated "
                             "by its owner, not virt-v2v's log", name, *offset, (uint64_t) st.st_size);
                return 0;
        }
        for (;;) {
                ssize_t n;
                uint64_t now;
                off_t data;

                if (done >= max) {
                        if (ret_more)
                                *ret_more = true;
                        break;
                }
                /* Holes are not read. virt-v2v appends: a hole in the
                 * machine log is its owner's (truncate -s); v2v.log has
                 * them where it was cut to max_log_size= on tmpfs. */
                data = lseek(fd, (off_t) *offset, SEEK_DATA);
                if (data < 0 && errno == ENXIO && fstat(fd, &st) == 0 && (uint64_t) st.st_size > *offset)
                        data = st.st_size;
                if (data > (off_t) *offset) {
                        if (machine) {
                                job_tampered(j, "v2v-machine.log has a hole of %" G_GUINT64_FORMAT " bytes at offset %"
                                             G_GUINT64_FORMAT ": made sparse by its owner, not virt-v2v's log",
                                             (uint64_t) data - *offset, *offset);
                                break;
                        }
                        *offset = (uint64_t) data;
                }
                if (machine && *offset >= MACHINE_LOG_MAX) {
                        job_tampered(j, "v2v-machine.log is over %llu MiB: not virt-v2v's log",
                                     MACHINE_LOG_MAX >> 20);
                        break;
                }
                n = pread(fd, buf, (size_t) MIN((uint64_t) sizeof buf, max - done), (off_t) *offset);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                *offset += (uint64_t) n;
                done += (uint64_t) n;
                j->read_window_bytes += (uint64_t) n;
                now = now_usec(CLOCK_REALTIME);
                change |= machine ? v2v_progress_feed_machine(j->progress, buf, (size_t) n, now)
                                  : v2v_progress_feed_log(j->progress, buf, (size_t) n, now);
                /* A short read is the end for now: what is appended later
                 * raises its own inotify event (saves a read per step). */
                if ((size_t) n < sizeof buf && done < max)
                        break;
        }
        return change;
}

/* Reading a log to its end at once (a job's end, its load after a
 * restart) is done from its last LOG_TAIL_BYTES when more is unread: what
 * counts then is how it ended, and a job that wrote gigabytes must not hold
 * the loop for seconds. The skipped part starts at a line's beginning. */
static void job_skip_to_tail(Job *j, uint64_t *offset, bool machine) {
        _cleanup_close_ int own_fd = -1;
        int fd = job_log_fd(j, machine, &own_fd);
        char buf[4096];
        struct stat st;
        uint64_t from;
        ssize_t n;

        if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t) st.st_size <= *offset + 4 * LOG_TAIL_BYTES)
                return;
        from = (uint64_t) st.st_size - LOG_TAIL_BYTES;
        n = pread(fd, buf, sizeof buf, (off_t) from);
        if (n <= 0)
                return;
        for (ssize_t i = 0; i < n; i++)
                if (buf[i] == '\n') {
                        *offset = from + (uint64_t) i + 1;
                        return;
                }
        *offset = from;
}

unsigned job_read_log(Job *j, uint64_t *offset, bool machine) {
        job_skip_to_tail(j, offset, machine);
        return job_read_log_upto(j, offset, machine, UINT64_MAX, NULL);
}

static void job_read_logs_upto(Job *j, bool machine_log, bool log, uint64_t max);
static void job_cap_log(Job *j);
static void job_cap_wait(Job *j);

static int on_log_more(sd_event_source *s, void *userdata) {
        Job *j = userdata;

        job_read_logs_upto(j, true, true, LOG_READ_SLICE);
        job_flush_if_due(j);
        return 0;
}

static int on_log_budget(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;

        job_read_logs_upto(j, true, true, LOG_READ_SLICE);
        job_flush_if_due(j);
        return 0;
}

/* What may still be read in this second; 0 and a timer for the next
 * second when the budget is spent. */
static uint64_t job_read_budget(Job *j) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (now - j->read_window_usec >= LOG_BUDGET_WINDOW_USEC) {
                j->read_window_usec = now;
                j->read_window_bytes = 0;
        }
        if (j->read_window_bytes < LOG_READ_BUDGET)
                return LOG_READ_BUDGET - j->read_window_bytes;
        if (!j->inotify_source)
                return 0;
        if (!j->log_budget_timer) {
                if (sd_event_add_time(j->manager->event, &j->log_budget_timer, CLOCK_MONOTONIC,
                                      j->read_window_usec + LOG_BUDGET_WINDOW_USEC, 10 * 1000, on_log_budget, j) < 0)
                        return 0;
                sd_event_source_set_description(j->log_budget_timer, "job-log-budget");
        } else {
                (void) sd_event_source_set_time(j->log_budget_timer, j->read_window_usec + LOG_BUDGET_WINDOW_USEC);
                (void) sd_event_source_set_enabled(j->log_budget_timer, SD_EVENT_ONESHOT);
        }
        return 0;
}

static void job_read_logs_upto(Job *j, bool machine_log, bool log, uint64_t max) {
        unsigned change = 0;
        bool more = false;

        if (max != UINT64_MAX) {
                max = MIN(max, job_read_budget(j));
                if (max == 0)
                        return;         /* the budget timer reads on */
        }
        if (max == UINT64_MAX) {
                job_skip_to_tail(j, &j->machine_log_offset, true);
                job_skip_to_tail(j, &j->log_offset, false);
        }
        if (machine_log)
                change |= job_read_log_upto(j, &j->machine_log_offset, true, max, &more);
        if (log && max == UINT64_MAX)
                job_cap_wait(j);
        if (log && !j->log_cap) {
                change |= job_read_log_upto(j, &j->log_offset, false, max, &more);
                if (j->inotify_source)
                        job_cap_log(j);
        }
        if (change & V2V_PROGRESS_CHANGED_LAST_MESSAGE && j->record->final_message_type &&
            !v2v_job_state_is_finished(j->record->state)) {
                /* virt-v2v's own newer message supersedes the daemon's (spec warnings). */
                g_clear_pointer(&j->record->final_message_type, g_free);
                g_clear_pointer(&j->record->final_message_text, g_free);
        }
        job_mark_dirty(j, progress_change_to_props(change));
        if (more && j->inotify_source) {
                if (!j->log_more &&
                    sd_event_add_defer(j->manager->event, &j->log_more, on_log_more, j) >= 0) {
                        (void) sd_event_source_set_priority(j->log_more, SD_EVENT_PRIORITY_IDLE);
                        sd_event_source_set_description(j->log_more, "job-log-more");
                }
                if (j->log_more)
                        (void) sd_event_source_set_enabled(j->log_more, SD_EVENT_ONESHOT);
        }
}

/* v2v.log over max_log_size=: drop its oldest part (only what was read
 * already), in whole blocks, and put a marker line in its place. With
 * FALLOC_FL_COLLAPSE_RANGE + INSERT_RANGE (ext4, xfs) the file shrinks and
 * the read offset moves back; elsewhere (tmpfs) the part becomes a hole
 * (its space is freed, the size stays). virt-v2v appends (O_APPEND) and
 * goes on writing at the new end. The file system writes the range's dirty
 * pages out first (tens of MB at 100 MB/s, 100 ms and more), so a child
 * process does it while the loop goes on; v2v.log is not read until it is
 * done (on_log_capped), since its offsets move. Exit status: 0 collapsed
 * and marked, 1 collapsed, 2 punched and marked, 3 nothing. */
#define LOG_CAP_BLOCK 4096

typedef struct {
        const char *path;
        uint64_t cut, max;
} LogCap;

static int cap_log_child(void *userdata) {
        const LogCap *c = userdata;
        const char *path = c->path;
        uint64_t cut = c->cut, max = c->max;
        int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        char marker[LOG_CAP_BLOCK];
        int len;

        if (fd < 0)
                return 3;
        len = snprintf(marker, sizeof marker, "[v2vd: %" G_GUINT64_FORMAT " bytes of this log were dropped here "
                       "to keep it under max_log_size=%" G_GUINT64_FORMAT "]", cut - LOG_CAP_BLOCK, max);
        memset(marker + len, ' ', sizeof marker - (size_t) len - 1);
        marker[sizeof marker - 1] = '\n';
        if (fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, (off_t) cut) == 0) {
                if (fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, LOG_CAP_BLOCK) < 0)
                        return 1;
                (void) pwrite(fd, marker, sizeof marker, 0);
                return 0;
        }
        if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t) cut) == 0)
        {
                (void) pwrite(fd, marker, sizeof marker, 0);
                return 2;
        }
        return 3;
}

static int on_log_capped(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Job *j = userdata;
        uint64_t cut = j->log_cap_cut;
        int status = si->si_code == CLD_EXITED ? si->si_status : 3;

        j->log_cap = sd_event_source_disable_unref(j->log_cap);
        if (status == 0)
                j->log_offset -= cut - LOG_CAP_BLOCK;
        else if (status == 1)
                j->log_offset -= cut;
        if (status <= 2)
                log_full(LOG_INFO, j->id, "dropped the first %" G_GUINT64_FORMAT " bytes of v2v.log (max_log_size=%"
                         G_GUINT64_FORMAT ")", cut - (status == 1 ? 0 : LOG_CAP_BLOCK), j->manager->max_log_size);
        else
                log_full(LOG_WARNING, j->id, "cannot cap v2v.log at max_log_size=%" G_GUINT64_FORMAT,
                         j->manager->max_log_size);
        if (j->inotify_source)
                job_read_logs_from(j, false, true);
        return 0;
}

static void job_cap_log(Job *j) {
        uint64_t max = j->manager->max_log_size, cut;
        g_autofree char *path = NULL;
        struct stat st;
        pid_t pid;

        if (max == 0 || j->log_offset <= max || j->log_cap)
                return;
        path = job_log_path(j);
        if (stat(path, &st) < 0 || (uint64_t) st.st_size <= max)
                return;
        /* Keep about half: not a cut per slice. */
        cut = MIN((uint64_t) st.st_size - max / 2, j->log_offset) / LOG_CAP_BLOCK * LOG_CAP_BLOCK;
        if (cut <= LOG_CAP_BLOCK)
                return;
        {
                LogCap c = { .path = path, .cut = cut, .max = max };
                SpawnOptions o = { .fn = cap_log_child, .userdata = &c };
                Spawned child;

                if (spawn(&o, &child) < 0)
                        return;
                pid = child.pid;
        }
        j->log_cap_cut = cut;
        if (sd_event_add_child(j->manager->event, &j->log_cap, pid, WEXITED, on_log_capped, j) < 0) {
                (void) waitpid(pid, NULL, 0);
                j->log_cap = NULL;
                return;
        }
        sd_event_source_set_description(j->log_cap, "job-log-cap");
}

/* A cap under way ends before the log is read on (its offsets move). */
static void job_cap_wait(Job *j) {
        siginfo_t si = { 0 };
        pid_t pid;

        if (!j->log_cap || sd_event_source_get_child_pid(j->log_cap, &pid) < 0)
                return;
        if (waitid(P_PID, (id_t) pid, &si, WEXITED) == 0)
                (void) on_log_capped(j->log_cap, &si, j);
        else
                j->log_cap = sd_event_source_disable_unref(j->log_cap);
}

/* Only the file an inotify event named needs reading (two files opened per
 * progress step were the larger part of the daemon's work per step); a
 * slice of it per loop turn. */
static void job_read_logs_from(Job *j, bool machine_log, bool log) {
        job_read_logs_upto(j, machine_log, log, LOG_READ_SLICE);
}

/* All of both logs, now (a job's end, its load). */
void job_read_logs(Job *j) {
        job_read_logs_upto(j, true, true, UINT64_MAX);
}

void job_read_v2v_pid(Job *j) {
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

static int on_log_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Job *j = userdata;
        bool machine = s == j->machine_log_watch;

        if (ev->mask & IN_Q_OVERFLOW)
                job_read_logs_from(j, true, true);
        else
                job_read_logs_from(j, machine, !machine);
        /* A value sent as it was written: read the next ones on its beat. */
        if (job_flush_if_due(j))
                job_start_beat(j, v2v_beat_first_after_write(EMIT_INTERVAL_USEC, j->last_emit_usec));
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
                job_read_logs_from(j, true, true);
                job_read_v2v_pid(j);
                return 0;
        }
        if (ev->len == 0)
                return 0;
        if (g_str_equal(ev->name, JOB_LOG_FILE) || g_str_equal(ev->name, JOB_MACHINE_LOG_FILE)) {
                bool machine = g_str_equal(ev->name, JOB_MACHINE_LOG_FILE);

                if ((ev->mask & IN_CREATE) && !j->beating)
                        (void) job_watch_logs(j);
                job_read_logs_from(j, machine, !machine);
                job_flush_if_due(j);
        } else if (g_str_equal(ev->name, "v2v.pid"))
                job_read_v2v_pid(j);
        else if (g_str_equal(ev->name, "throttling.json") && (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)))
                job_apply_throttling_json(j);
        return 0;
}

int job_follow_dir(Job *j) {
        int r;

        if (j->inotify_source)
                return 0;
        r = sd_event_add_inotify(j->manager->event, &j->inotify_source, j->dir,
                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR,
                                 on_job_dir_event, j);
        if (r < 0)
                return log_error_errno(r, "job %s: cannot watch %s: %m", j->id, j->dir);
        sd_event_source_set_description(j->inotify_source, "job-dir");
        (void) job_watch_outputs(j);
        r = job_watch_logs(j);
        if (r < 0) {
                j->inotify_source = sd_event_source_disable_unref(j->inotify_source);
                return log_error_errno(r, "job %s: cannot watch its logs: %m", j->id);
        }
        return 0;
}

void job_follow_stop(Job *j) {
        j->inotify_source = sd_event_source_disable_unref(j->inotify_source);
        j->log_more = sd_event_source_disable_unref(j->log_more);
        j->log_budget_timer = sd_event_source_disable_unref(j->log_budget_timer);
        j->outputs_watch = sd_event_source_disable_unref(j->outputs_watch);
        job_cap_wait(j);
        job_unwatch_logs(j);
        j->beating = false;
        if (j->log_fd >= 0)
                close(j->log_fd);
        if (j->machine_log_fd >= 0)
                close(j->machine_log_fd);
        j->log_fd = j->machine_log_fd = -1;
}
