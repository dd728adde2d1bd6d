/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "common/text-escape.h"
#include "core/json-check.h"
#include "core/progress.h"

/* A longer line is cut here and the rest of it dropped: a runaway writer
 * must not make the daemon grow without bound. */
#define LINE_MAX_BYTES (64u * 1024u)
/* A multi-line error stops growing past this. */
#define MESSAGE_MAX_BYTES (16u * 1024u)
/* The tail of other programs' lines kept for classifying a failure. */
#define OTHER_LINES_MAX (16u * 1024u)
/* Sanity bound on "Copying disk N/M". */
#define DISKS_MAX 4096u

typedef unsigned (*LineFunc)(V2vProgress *p, const char *s, size_t n, uint64_t now_usec);

static void disk_progress_clear(void *data) {
        V2vDiskProgress *d = data;

        g_clear_pointer(&d->path, g_free);
}

V2vProgress *v2v_progress_new(void) {
        V2vProgress *p = g_new0(V2vProgress, 1);

        p->disks = g_array_new(FALSE, TRUE, sizeof(V2vDiskProgress));
        g_array_set_clear_func(p->disks, disk_progress_clear);
        p->log_line = g_string_new(NULL);
        p->machine_line = g_string_new(NULL);
        p->scratch = g_string_new(NULL);
        p->other_lines = g_string_new(NULL);
        return p;
}

void v2v_progress_free(V2vProgress *p) {
        if (!p)
                return;
        g_free(p->phase);
        g_array_unref(p->disks);
        g_free(p->last_message_type);
        g_free(p->last_message_text);
        g_free(p->last_error);
        g_free(p->first_error);
        g_string_free(p->other_lines, TRUE);
        g_string_free(p->log_line, TRUE);
        g_string_free(p->machine_line, TRUE);
        g_string_free(p->scratch, TRUE);
        g_free(p);
}

static void append_disk(V2vProgress *p, const char *path, uint64_t size) {
        V2vDiskProgress d = {
                .path = path ? g_strdup(path) : g_strdup_printf("disk %u", p->disks->len + 1),
                .size = size,
        };

        g_array_append_val(p->disks, d);
}

void v2v_progress_set_disks(V2vProgress *p, const char *const *paths, const uint64_t *sizes, size_t n) {
        g_array_set_size(p->disks, 0);
        for (size_t i = 0; i < n; i++)
                append_disk(p, paths ? paths[i] : NULL, sizes ? sizes[i] : 0);
}

static double compute_overall(const V2vProgress *p) {
        unsigned n = MAX(p->disk_count, p->disks->len);
        bool weighted = p->disks->len >= p->disk_count && p->disks->len > 0;
        double sum = 0, total = 0;

        if (n == 0)
                return 0;

        for (unsigned i = 0; weighted && i < p->disks->len; i++)
                if (g_array_index(p->disks, V2vDiskProgress, i).size == 0)
                        weighted = false;

        for (unsigned i = 0; i < p->disks->len; i++) {
                const V2vDiskProgress *d = &g_array_index(p->disks, V2vDiskProgress, i);
                double w = weighted ? (double) d->size : 1.0;

                sum += w * d->progress;
                total += w;
        }
        if (!weighted)
                total = n;

        return CLAMP(sum / total, 0.0, 100.0);
}

static unsigned update_expected_end(V2vProgress *p, uint64_t now_usec) {
        uint64_t end, diff;

        if (p->copy_started_usec == 0 || now_usec <= p->copy_started_usec)
                return 0;

        if (p->copy_progress >= 100.0)
                end = now_usec;
        else {
                double done = p->copy_progress - p->copy_start_progress;
                double remaining;

                if (done <= 0)
                        return 0;
                remaining = (100.0 - p->copy_progress) * (double) (now_usec - p->copy_started_usec) / done;
                /* A rate so low the estimate is meaningless: keep "unknown". */
                if (!isfinite(remaining) || remaining > (double) (UINT64_MAX / 2))
                        return 0;
                end = now_usec + (uint64_t) remaining;
        }

        /* The estimate moves a little with every step; jitter under a second
         * is not worth a PropertiesChanged. */
        diff = end > p->expected_end_usec ? end - p->expected_end_usec : p->expected_end_usec - end;
        if (p->expected_end_usec != 0 && diff < G_USEC_PER_SEC)
                return 0;

        p->expected_end_usec = end;
        return V2V_PROGRESS_CHANGED_EXPECTED_END;
}

/* Floors of the whole job's progress, by phase (the phases of a 2.2 run,
 * tests/data/disk-to-local.v2v.log). Unknown phases leave it where it is. */
static const struct {
        const char *prefix;
        double floor;
} phase_floors[] = {
        { "Setting up the source", 1 },
        { "Opening the source", 2 },
        { "Inspecting the source", 3 },
        { "Checking for sufficient free disk space", 4 },
        { "Converting ", 5 },
        { "Mapping filesystem data", 7 },
        { "Closing the overlay", 8 },
        { "Assigning disks to buses", 8.5 },
        { "Checking if the guest needs BIOS or UEFI", 9 },
        { "Setting up the destination", 9.5 },
        { "Creating output metadata", 99 },
        { "Finishing off", 99 },
};

static double whole_job(const V2vProgress *p) {
        double o = p->phase_floor;

        if (p->copy_started_usec != 0)
                o = MAX(o, V2V_PROGRESS_COPY_START +
                           p->copy_progress * (V2V_PROGRESS_COPY_END - V2V_PROGRESS_COPY_START) / 100.0);
        return CLAMP(o, 0.0, 100.0);
}

static unsigned recompute(V2vProgress *p, uint64_t now_usec) {
        double c = compute_overall(p);
        double o;
        unsigned mask = 0;

        if (c > p->copy_progress + 1e-9) {
                p->copy_progress = c;
                mask |= V2V_PROGRESS_CHANGED_PROGRESS | update_expected_end(p, now_usec);
        }
        o = whole_job(p);
        if (o > p->progress + 1e-9) {
                p->progress = o;
                mask |= V2V_PROGRESS_CHANGED_PROGRESS;
        }
        return mask;
}

static unsigned apply_phase_floor(V2vProgress *p, const char *phase, uint64_t now_usec) {
        for (size_t i = 0; i < G_N_ELEMENTS(phase_floors); i++)
                if (g_str_has_prefix(phase, phase_floors[i].prefix)) {
                        if (phase_floors[i].floor > p->phase_floor)
                                p->phase_floor = phase_floors[i].floor;
                        return recompute(p, now_usec);
                }
        return 0;
}

static unsigned set_disk_progress(V2vProgress *p, unsigned disk, double v, uint64_t now_usec) {
        V2vDiskProgress *d;

        if (disk == 0 || disk > p->disks->len)
                return 0;

        d = &g_array_index(p->disks, V2vDiskProgress, disk - 1);
        v = CLAMP(v, 0.0, 100.0);
        if (v <= d->progress)
                return 0;

        d->progress = v;
        return V2V_PROGRESS_CHANGED_PROGRESS | recompute(p, now_usec);
}

static unsigned start_disk(V2vProgress *p, unsigned n, unsigned m, uint64_t now_usec) {
        unsigned mask = 0;

        if (n == 0 || m == 0 || n > m || m > DISKS_MAX)
                return 0;

        if (p->disk_count != m) {
                p->disk_count = m;
                mask |= V2V_PROGRESS_CHANGED_DISK_COUNT;
        }
        while (p->disks->len < m) {
                append_disk(p, NULL, 0);
                mask |= V2V_PROGRESS_CHANGED_DISK_COUNT;
        }

        if (p->copy_started_usec == 0) {
                p->copy_started_usec = now_usec;
                p->copy_start_progress = p->copy_progress;
        }

        p->current_disk = n;
        for (unsigned i = 0; i + 1 < n; i++) {
                V2vDiskProgress *d = &g_array_index(p->disks, V2vDiskProgress, i);

                if (d->progress < 100.0) {
                        d->progress = 100.0;
                        mask |= V2V_PROGRESS_CHANGED_PROGRESS;
                }
        }

        return mask | recompute(p, now_usec);
}

/* Reads at most max_digits digits at *s; false if there are none. */
static bool parse_uint(const char **s, const char *end, unsigned max_digits, unsigned *ret) {
        unsigned v = 0, k = 0;

        while (*s < end && k < max_digits && g_ascii_isdigit(**s)) {
                v = v * 10 + (unsigned) (**s - '0');
                (*s)++;
                k++;
        }
        if (k == 0 || (*s < end && g_ascii_isdigit(**s)))
                return false;
        *ret = v;
        return true;
}

/* "Copying disk N/M", possibly followed by " to PATH (FORMAT)" (1.x). */
static bool parse_copying(const char *s, size_t n, unsigned *disk, unsigned *count) {
        static const char prefix[] = "Copying disk ";
        const char *end = s + n;

        if (n < sizeof(prefix) - 1 || memcmp(s, prefix, sizeof(prefix) - 1) != 0)
                return false;
        s += sizeof(prefix) - 1;
        if (!parse_uint(&s, end, 6, disk) || s >= end || *s != '/')
                return false;
        s++;
        if (!parse_uint(&s, end, 6, count))
                return false;
        return s == end || *s == ' ';
}

/* nbdcopy: "▝  12% [*****-----]", the spinner glyph first ("█" at the end). */
static bool parse_nbdcopy_bar(const char *s, size_t n, double *ret) {
        const char *end = s + n, *q = s;
        unsigned v;

        if (n < 6 || s[n - 1] != ']')
                return false;
        while (q < end && q - s < 4 && *q != ' ' && !g_ascii_isdigit(*q))
                q++;
        while (q < end && *q == ' ')
                q++;
        if (!parse_uint(&q, end, 3, &v) || v > 100)
                return false;
        if (end - q < 3 || memcmp(q, "% [", 3) != 0)
                return false;
        *ret = v;
        return true;
}

/* virt-v2v 1.x: "    (12.34/100%)". */
static bool parse_legacy_progress(const char *s, size_t n, double *ret) {
        static const char suffix[] = "/100%)";
        const char *end = s + n, *q = s, *num;
        char buf[16];
        unsigned v;

        while (q < end && *q == ' ')
                q++;
        if (q >= end || *q != '(')
                return false;
        num = ++q;
        if (!parse_uint(&q, end, 3, &v))
                return false;
        if (q < end && *q == '.') {
                q++;
                if (!parse_uint(&q, end, 6, &v))
                        return false;
        }
        if ((size_t) (end - q) != sizeof(suffix) - 1 || memcmp(q, suffix, sizeof(suffix) - 1) != 0)
                return false;
        memcpy(buf, num, (size_t) (q - num));
        buf[q - num] = '\0';
        *ret = g_ascii_strtod(buf, NULL);
        return *ret <= 100.0;
}

/* "[  84.6] Text": returns the offset of Text. The guest kernel's own
 * "[    0.000000] …" (with -v) has more decimals and does not match. */
static bool parse_timestamp(const char *s, size_t n, size_t *text) {
        const char *end = s + n, *q = s;
        unsigned v;

        if (n == 0 || *q != '[')
                return false;
        q++;
        while (q < end && *q == ' ')
                q++;
        if (!parse_uint(&q, end, 9, &v))
                return false;
        if (end - q < 5 || q[0] != '.' || !g_ascii_isdigit(q[1]) || q[2] != ']' || q[3] != ' ')
                return false;
        *text = (size_t) (q + 4 - s);
        return true;
}

static bool has_prefix(const char *s, size_t n, const char *prefix, size_t *len) {
        size_t l = strlen(prefix);

        if (n < l || memcmp(s, prefix, l) != 0)
                return false;
        *len = l;
        return true;
}

static void rstrip(const char *s, size_t *n) {
        while (*n > 0 && g_ascii_isspace(s[*n - 1]))
                (*n)--;
}

/* The message and the phase come from logs the job's owner may write, and
 * reach root's terminal (v2vctl status, list) and the state file: every
 * control character is made visible here, once for every reader. */
static unsigned set_last_message(V2vProgress *p, const char *type, const char *raw) {
        g_autofree char *text = v2v_text_escape(raw, V2V_TEXT_KEEP_NEWLINE);
        unsigned mask = 0;

        /* escaping may have grown a line (64 KiB) fourfold */
        if (strlen(text) > LINE_MAX_BYTES)
                *g_utf8_find_prev_char(text, text + LINE_MAX_BYTES + 1) = '\0';

        /* type and text may be p's own strings: copy before freeing. */
        if (g_str_equal(type, "error") && g_strcmp0(p->last_error, text) != 0) {
                char *e = g_strdup(text);

                g_free(p->last_error);
                p->last_error = e;
        }
        if (g_strcmp0(p->last_message_type, type) != 0 || g_strcmp0(p->last_message_text, text) != 0) {
                char *t = g_strdup(type), *m = g_strdup(text);

                g_free(p->last_message_type);
                p->last_message_type = t;
                g_free(p->last_message_text);
                p->last_message_text = m;
                mask |= V2V_PROGRESS_CHANGED_LAST_MESSAGE;
        }
        return mask;
}

static unsigned set_phase(V2vProgress *p, const char *raw, uint64_t now_usec) {
        g_autofree char *text = v2v_text_escape(raw, 0);
        unsigned disk, count;

        if (g_strcmp0(p->phase, text) == 0)
                return 0;

        g_free(p->phase);
        p->phase = g_strdup(text);
        if (parse_copying(text, strlen(text), &disk, &count))
                return V2V_PROGRESS_CHANGED_PHASE | start_disk(p, disk, count, now_usec);
        return V2V_PROGRESS_CHANGED_PHASE | apply_phase_floor(p, text, now_usec);
}

/* Message number seq, an error, has the text (whole, or more of it). */
static void note_error(V2vProgress *p, unsigned seq, const char *type, const char *text) {
        if (!g_str_equal(type, "error"))
                return;
        if (p->first_error_seq == 0)
                p->first_error_seq = seq;
        if (seq == p->first_error_seq && g_strcmp0(p->first_error, text) != 0) {
                char *e = g_strdup(text);

                g_free(p->first_error);
                p->first_error = e;
        }
}

static unsigned apply_message(V2vProgress *p, bool machine, const char *type, const char *text, uint64_t now_usec) {
        unsigned k = machine ? ++p->machine_messages : ++p->log_messages;
        unsigned mask;

        if (k <= p->applied_messages) {
                /* The log had it first, but its text may be cut short (a
                 * multi-line error): the machine log's is complete. */
                if (machine && g_str_equal(type, "error"))
                        note_error(p, k, type, text);
                if (machine && k == p->applied_messages &&
                    (g_str_equal(type, "error") || g_str_equal(type, "warning")) &&
                    g_strcmp0(p->last_message_type, type) == 0)
                        return set_last_message(p, type, text);
                return 0;
        }

        p->applied_messages = k;
        note_error(p, k, type, text);
        mask = set_last_message(p, type, text);
        if (g_str_equal(type, "message"))
                mask |= set_phase(p, text, now_usec);
        return mask;
}

static void strip_ansi(GString *out, const char *s, size_t n) {
        const char *end = s + n;

        g_string_truncate(out, 0);
        while (s < end) {
                if (*s != '\033') {
                        g_string_append_c(out, *s++);
                        continue;
                }
                s++;
                if (s < end && *s == '[') {
                        s++;
                        while (s < end && (unsigned char) *s >= 0x20 && (unsigned char) *s <= 0x3f)
                                s++;
                        if (s < end)
                                s++;
                } else if (s < end)
                        s++;
        }
}

static void end_continuation(V2vProgress *p) {
        p->log_in_error = false;
        p->log_in_warning = false;
        p->log_pending_blanks = 0;
        p->log_cont_seq = 0;
}

static unsigned log_continue(V2vProgress *p, const char *s, size_t n) {
        g_autoptr(GString) t = NULL;
        g_autofree char *line = NULL;

        /* Only while the message shown is still the one this line belongs
         * to and the machine log has not supplied the whole text. */
        if (p->log_cont_seq == 0 || p->applied_messages != p->log_cont_seq ||
            p->machine_messages >= p->log_cont_seq || !p->last_message_text) {
                p->log_pending_blanks = 0;
                return 0;
        }
        if (strlen(p->last_message_text) + n > MESSAGE_MAX_BYTES) {
                end_continuation(p);
                return 0;
        }

        line = g_utf8_make_valid(s, (gssize) n);
        t = g_string_new(p->last_message_text);
        for (unsigned i = 0; i <= p->log_pending_blanks; i++)
                g_string_append_c(t, '\n');
        g_string_append(t, line);
        p->log_pending_blanks = 0;
        note_error(p, p->log_cont_seq, p->last_message_type, t->str);
        return set_last_message(p, p->last_message_type, t->str);
}

static unsigned log_message(V2vProgress *p, const char *type, const char *s, size_t n, uint64_t now_usec) {
        g_autofree char *text = g_utf8_make_valid(s, (gssize) n);
        unsigned mask;

        end_continuation(p);
        mask = apply_message(p, false, type, text, now_usec);
        if (g_str_equal(type, "error")) {
                p->log_in_error = true;
                p->log_cont_seq = p->log_messages;
        } else if (g_str_equal(type, "warning")) {
                p->log_in_warning = true;
                p->log_cont_seq = p->log_messages;
        }
        return mask;
}

/* Another program's line in v2v.log: kept (the tail) for failure.c. */
static void other_line(V2vProgress *p, const char *s, size_t n) {
        g_autofree char *line = NULL;

        if (n == 0)
                return;
        n = MIN(n, (size_t) OTHER_LINES_MAX / 4);
        if (p->other_lines->len + n + 1 > OTHER_LINES_MAX) {
                const char *keep = memchr(p->other_lines->str + p->other_lines->len / 2, '\n',
                                          p->other_lines->len - p->other_lines->len / 2);

                g_string_erase(p->other_lines, 0, keep ? (gssize) (keep + 1 - p->other_lines->str) : -1);
        }
        line = g_utf8_make_valid(s, (gssize) n);
        g_string_append(p->other_lines, line);
        g_string_append_c(p->other_lines, '\n');
}

static unsigned log_line(V2vProgress *p, const char *s, size_t n, uint64_t now_usec) {
        static const char *const progs[] = { "virt-v2v: ", "virt-v2v-in-place: ", "virt-v2v-inspector: " };
        size_t off;
        double v;

        if (memchr(s, '\033', n)) {
                strip_ansi(p->scratch, s, n);
                s = p->scratch->str;
                n = p->scratch->len;
        }
        rstrip(s, &n);

        if (parse_nbdcopy_bar(s, n, &v) || parse_legacy_progress(s, n, &v)) {
                end_continuation(p);
                return set_disk_progress(p, p->log_disk, v, now_usec);
        }

        if (parse_timestamp(s, n, &off)) {
                unsigned disk, count;

                if (off == n)
                        return 0;
                if (parse_copying(s + off, n - off, &disk, &count))
                        p->log_disk = disk;
                return log_message(p, "message", s + off, n - off, now_usec);
        }

        for (size_t i = 0; i < G_N_ELEMENTS(progs); i++) {
                size_t l, l2;

                if (!has_prefix(s, n, progs[i], &l))
                        continue;
                if (has_prefix(s + l, n - l, "error: ", &l2))
                        return log_message(p, "error", s + l + l2, n - l - l2, now_usec);
                if (has_prefix(s + l, n - l, "warning: ", &l2))
                        return log_message(p, "warning", s + l + l2, n - l - l2, now_usec);
                return log_message(p, "info", s + l, n - l, now_usec);
        }

        if (!p->log_in_error && !p->log_in_warning) {
                other_line(p, s, n);
                return 0;
        }

        if (n == 0) {
                if (p->log_in_error)
                        p->log_pending_blanks++;
                else
                        end_continuation(p);
                return 0;
        }
        if (has_prefix(s, n, "If reporting bugs, run ", &off)) {
                end_continuation(p);
                return 0;
        }
        return log_continue(p, s, n);
}

static unsigned machine_line(V2vProgress *p, const char *s, size_t n, uint64_t now_usec) {
        static const char *const types[] = { "message", "info", "warning", "error" };
        g_autoptr(JsonParser) parser = NULL;
        g_autofree char *valid = NULL, *text = NULL;
        JsonNode *root, *type_node, *msg_node;
        JsonObject *o;
        const char *type = NULL;

        while (n > 0 && g_ascii_isspace(*s)) {
                s++;
                n--;
        }
        if (n == 0 || *s != '{')
                return 0;

        /* The text may carry a guest's file names in any encoding. */
        valid = g_utf8_make_valid(s, (gssize) n);
        if (json_check_one_object(valid, strlen(valid), 8) != JSON_CHECK_OK)
                return 0;
        parser = json_parser_new_immutable();
        if (!json_parser_load_from_data(parser, valid, -1, NULL))
                return 0;
        root = json_parser_get_root(parser);
        if (!root || !JSON_NODE_HOLDS_OBJECT(root))
                return 0;
        o = json_node_get_object(root);
        type_node = json_object_get_member(o, "type");
        msg_node = json_object_get_member(o, "message");
        if (!type_node || !msg_node ||
            json_node_get_value_type(type_node) != G_TYPE_STRING ||
            json_node_get_value_type(msg_node) != G_TYPE_STRING)
                return 0;

        for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
                if (g_str_equal(json_node_get_string(type_node), types[i]))
                        type = types[i];
        if (!type)
                return 0;

        text = g_strdup(json_node_get_string(msg_node));
        g_strchomp(text);
        return apply_message(p, true, type, text, now_usec);
}

static void append_capped(GString *buf, const char *s, size_t n) {
        if (buf->len >= LINE_MAX_BYTES)
                return;
        g_string_append_len(buf, s, (gssize) MIN(n, LINE_MAX_BYTES - buf->len));
}

static unsigned feed(V2vProgress *p, GString **bufp, bool *after_cr, LineFunc func,
                     const char *data, size_t len, uint64_t now_usec) {
        GString *buf = *bufp;
        unsigned mask = 0;
        size_t start = 0;

        for (size_t i = 0; i < len; i++) {
                const char *line;
                size_t n;

                if (data[i] != '\n' && data[i] != '\r')
                        continue;

                if (buf->len == 0) {
                        /* The usual case: the whole line is in this chunk. */
                        line = data + start;
                        n = MIN(i - start, (size_t) LINE_MAX_BYTES);
                } else {
                        append_capped(buf, data + start, i - start);
                        line = buf->str;
                        n = buf->len;
                }

                if (!(data[i] == '\n' && *after_cr && n == 0))
                        mask |= func(p, line, n, now_usec);

                /* Do not keep a cap-sized buffer per job for one long line. */
                if (buf->allocated_len > 4096) {
                        g_string_free(buf, TRUE);
                        *bufp = buf = g_string_sized_new(256);
                } else
                        g_string_truncate(buf, 0);
                *after_cr = data[i] == '\r';
                start = i + 1;
        }

        if (start < len) {
                append_capped(buf, data + start, len - start);
                *after_cr = false;
        }
        return mask;
}

unsigned v2v_progress_feed_log(V2vProgress *p, const char *data, size_t len, uint64_t now_usec) {
        return feed(p, &p->log_line, &p->log_after_cr, log_line, data, len, now_usec);
}

unsigned v2v_progress_feed_machine(V2vProgress *p, const char *data, size_t len, uint64_t now_usec) {
        return feed(p, &p->machine_line, &p->machine_after_cr, machine_line, data, len, now_usec);
}

unsigned v2v_progress_complete(V2vProgress *p) {
        unsigned mask = 0;

        for (unsigned i = 0; i < p->disks->len; i++) {
                V2vDiskProgress *d = &g_array_index(p->disks, V2vDiskProgress, i);

                if (d->progress < 100.0) {
                        d->progress = 100.0;
                        mask |= V2V_PROGRESS_CHANGED_PROGRESS;
                }
        }
        if (p->progress < 100.0 || p->copy_progress < 100.0) {
                p->progress = p->copy_progress = 100.0;
                mask |= V2V_PROGRESS_CHANGED_PROGRESS;
        }
        return mask;
}
