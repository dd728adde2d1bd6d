/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * progress: the whole of virt-v2v output parsing, and nothing else.
 *
 * Two byte streams come in, in arbitrary chunks (inotify tells the daemon a
 * file grew, it reads what is new and hands it over):
 *
 *  - the log (virt-v2v's stdout+stderr): "[  84.6] Copying disk 1/1" phase
 *    lines, nbdcopy's progress bar "▝  12% [****----]" ended by '\r' (the
 *    last "█ 100% [...]" ended by '\n'), "virt-v2v: warning: …" and
 *    "virt-v2v: error: …" lines, and the virt-v2v 1.x forms
 *    "Copying disk 1/2 to …" and "    (12.34/100%)".
 *  - the machine-readable log (--machine-readable=file:): one JSON object a
 *    line, {"message", "timestamp", "type"}; type message/info/warning/error.
 *
 * '\r' and '\n' both end a line ("\r\n" is one end); an unterminated tail
 * is kept until more arrives, a line longer than 64 KiB is cut there. Both
 * feeds update the same V2vProgress; the same phase seen in both is
 * idempotent: the streams carry the same messages in the same order, so the
 * n-th message of either is applied once, by whichever stream gets there
 * first (a feed that lags behind changes nothing, and never takes the phase
 * back). Every message — phases included, as type "message" — becomes the
 * last message; the machine log's text of an error replaces the log's
 * (which may be cut short). Stored texts are valid UTF-8 (invalid bytes and
 * NULs become U+FFFD). ExpectedEndTime is only updated when the estimate
 * moves by a second or more; at 100% copied it is the time that happened. The parser never allocates per progress step on the
 * hot path beyond what GLib's string handling needs, never blocks, and takes
 * no clock: callers pass the time so tests are deterministic.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* How the whole job's Progress is made of virt-v2v's steps. Before the
 * copy, each phase of a 2.x run sets a floor (Inspecting the source 3%,
 * Converting 5%, …): conversion takes minutes with nothing to count, and a
 * progress that sits at 0 looks dead. The copy is what can be measured and
 * what dominates a network conversion, so it gets the largest share. */
#define V2V_PROGRESS_COPY_START 10.0
#define V2V_PROGRESS_COPY_END   98.0

typedef enum V2vProgressChange {
        V2V_PROGRESS_CHANGED_PHASE        = 1 << 0,
        V2V_PROGRESS_CHANGED_PROGRESS     = 1 << 1, /* any disk's progress or the overall value */
        V2V_PROGRESS_CHANGED_DISK_COUNT   = 1 << 2, /* disk_count or the disks array's length */
        V2V_PROGRESS_CHANGED_LAST_MESSAGE = 1 << 3,
        V2V_PROGRESS_CHANGED_EXPECTED_END = 1 << 4,
} V2vProgressChange;

typedef struct V2vDiskProgress {
        char *path;       /* as the caller knows it (source_disks) or "disk N" */
        double progress;  /* 0–100 */
        uint64_t size;    /* bytes, 0 = unknown (weights the overall progress) */
} V2vDiskProgress;

typedef struct V2vProgress {
        char *phase;               /* current phase text, NULL until the first one */
        unsigned current_disk;     /* 1-based disk being copied, 0 = copying not started */
        unsigned disk_count;       /* disks virt-v2v will copy, 0 until known */
        GArray *disks;             /* of V2vDiskProgress; may be longer or shorter than disk_count */
        double progress;           /* the whole job 0–100: phases before the copy up to
                                    * V2V_PROGRESS_COPY_START, the copy up to
                                    * V2V_PROGRESS_COPY_END, the rest up to 99, 100 at success */
        double copy_progress;      /* the disk copy alone, 0–100, disks weighted by size */
        char *last_message_type;   /* "error", "warning", "info", "message"; NULL = none */
        char *last_message_text;
        char *last_error;          /* the last error virt-v2v reported (kept even if later messages arrive) */
        char *first_error;         /* the first one, whole (a failure's cause; later ones follow from it) */
        GString *other_lines;      /* the last OTHER_LINES_MAX bytes of v2v.log's lines that are not
                                    * virt-v2v's own (nbdkit, nbdcopy, qemu-nbd, scp, libvirt), for failure.c */
        uint64_t copy_started_usec;    /* realtime when copying began, 0 = not yet */
        uint64_t expected_end_usec;    /* realtime estimate, 0 = unknown */

        /* private parsing state */
        GString *log_line;
        GString *machine_line;
        bool log_in_error;         /* continuation lines of a multi-line "virt-v2v: error:" */
        bool log_in_warning;       /* … and of a wrapped "virt-v2v: warning:" */
        unsigned log_pending_blanks;   /* blank lines inside an error, kept if more text follows */
        bool log_after_cr, machine_after_cr;   /* the last line ended with '\r' (so "\r\n" is one end) */
        unsigned log_disk;         /* disk the log's bars belong to (its own last "Copying disk N/M") */
        /* Both streams carry the same messages in the same order: the n-th
         * message of either is applied once, by whichever stream is first. */
        unsigned log_messages, machine_messages, applied_messages;
        unsigned log_cont_seq;     /* sequence number of the log message being continued */
        unsigned first_error_seq;  /* sequence number of first_error, 0 = none yet */
        double copy_start_progress;
        double phase_floor;        /* the whole job's progress from the phases so far */
        GString *scratch;
} V2vProgress;

V2vProgress *v2v_progress_new(void);
void v2v_progress_free(V2vProgress *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(V2vProgress, v2v_progress_free)

/* Seed the disk list before anything runs: paths (source_disks, or the
 * images of a disk input) and their sizes (0 = unknown). */
void v2v_progress_set_disks(V2vProgress *p, const char *const *paths, const uint64_t *sizes, size_t n);

/* Feed new bytes of each stream. now_usec is CLOCK_REALTIME in µs, used for
 * the rate and ExpectedEndTime. Returns a mask of V2vProgressChange. */
unsigned v2v_progress_feed_log(V2vProgress *p, const char *data, size_t len, uint64_t now_usec);
unsigned v2v_progress_feed_machine(V2vProgress *p, const char *data, size_t len, uint64_t now_usec);

/* The job succeeded: every disk and the whole at 100. Returns the change mask. */
unsigned v2v_progress_complete(V2vProgress *p);
