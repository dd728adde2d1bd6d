/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/text-escape.h"
#include "output.h"

static int cached_tty = -1;
static unsigned cached_columns;

bool output_is_tty(void) {
        if (cached_tty < 0)
                cached_tty = isatty(STDOUT_FILENO) ? 1 : 0;
        return cached_tty;
}

unsigned output_columns(void) {
        struct winsize ws = {};
        const char *e;

        if (cached_columns > 0)
                return cached_columns;
        e = getenv("COLUMNS");
        if (e && *e) {
                guint64 v = g_ascii_strtoull(e, NULL, 10);
                if (v > 0 && v < 100000)
                        cached_columns = (unsigned) v;
        }
        if (cached_columns == 0 && output_is_tty() && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0 && ws.ws_col > 0)
                cached_columns = ws.ws_col;
        if (cached_columns == 0)
                cached_columns = 80;
        return cached_columns;
}

bool output_utf8(void) {
        static int cached = -1;

        if (cached < 0) {
                const char *cs = nl_langinfo(CODESET);
                cached = cs && (g_ascii_strcasecmp(cs, "UTF-8") == 0 || g_ascii_strcasecmp(cs, "utf8") == 0);
        }
        return cached;
}

size_t text_width(const char *s) {
        if (!s)
                return 0;
        if (!g_utf8_validate(s, -1, NULL))
                return strlen(s);
        return g_utf8_strlen(s, -1);
}

/* Byte offset of the first N characters of S. */
static size_t prefix_bytes(const char *s, size_t n) {
        if (!g_utf8_validate(s, -1, NULL))
                return MIN(n, strlen(s));
        return g_utf8_offset_to_pointer(s, (glong) n) - s;
}

char *ellipsize(const char *s, size_t width, bool middle) {
        const char *dots = output_utf8() ? "…" : "...";
        size_t dots_width = output_utf8() ? 1 : 3;
        size_t w = text_width(s);

        if (!s)
                return g_strdup("");
        if (w <= width)
                return g_strdup(s);
        if (width <= dots_width)
                return g_strndup(s, prefix_bytes(s, width));
        if (middle) {
                size_t keep = width - dots_width, head = (keep + 1) / 2, tail = keep - head;
                size_t head_bytes = prefix_bytes(s, head);
                size_t tail_start = prefix_bytes(s, w - tail);
                return g_strdup_printf("%.*s%s%s", (int) head_bytes, s, dots, s + tail_start);
        }
        return g_strdup_printf("%.*s%s", (int) prefix_bytes(s, width - dots_width), s, dots);
}

/* ------------------------------------------------------------------ table */

struct Table {
        unsigned n_columns;
        char **headers;
        ColumnFlags *flags;
        GPtrArray *cells; /* n_columns strings per row */
};

Table *table_new(unsigned n_columns) {
        Table *t = g_new0(Table, 1);

        t->n_columns = n_columns;
        t->headers = g_new0(char *, n_columns);
        t->flags = g_new0(ColumnFlags, n_columns);
        t->cells = g_ptr_array_new_with_free_func(g_free);
        return t;
}

void table_free(Table *t) {
        if (!t)
                return;
        for (unsigned i = 0; i < t->n_columns; i++)
                g_free(t->headers[i]);
        g_free(t->headers);
        g_free(t->flags);
        g_ptr_array_unref(t->cells);
        g_free(t);
}

void table_set_column(Table *t, unsigned column, const char *header, ColumnFlags flags) {
        g_return_if_fail(column < t->n_columns);
        g_free(t->headers[column]);
        t->headers[column] = g_strdup(header);
        t->flags[column] = flags;
}

/* Cells hold what jobs' owners wrote (names, phases, paths): one line
 * each, every control character made visible. */
void table_add_rowv(Table *t, const char *const *cells) {
        for (unsigned i = 0; i < t->n_columns; i++)
                g_ptr_array_add(t->cells, v2v_text_escape(cells[i] ?: "-", 0));
}

void table_add_row(Table *t, ...) {
        va_list ap;

        va_start(ap, t);
        for (unsigned i = 0; i < t->n_columns; i++) {
                const char *c = va_arg(ap, const char *);
                g_ptr_array_add(t->cells, v2v_text_escape(c ?: "-", 0));
        }
        va_end(ap);
}

unsigned table_rows(const Table *t) {
        return t->cells->len / t->n_columns;
}

static void print_cell(FILE *f, const char *text, size_t width, ColumnFlags flags, bool last) {
        g_autofree char *shown = ellipsize(text, width, flags & COLUMN_SHRINK_MIDDLE);
        size_t w = text_width(shown), pad = width > w ? width - w : 0;

        if (flags & COLUMN_RIGHT)
                fprintf(f, "%*s%s", (int) pad, "", shown);
        else if (last)
                fputs(shown, f);
        else
                fprintf(f, "%s%*s", shown, (int) pad, "");
}

void table_print(const Table *t, FILE *f, bool legend, unsigned width) {
        g_autofree size_t *widths = g_new0(size_t, t->n_columns);
        unsigned rows = table_rows(t);
        size_t total = 0;

        for (unsigned c = 0; c < t->n_columns; c++) {
                if (legend)
                        widths[c] = text_width(t->headers[c]);
                for (unsigned r = 0; r < rows; r++)
                        widths[c] = MAX(widths[c], text_width(t->cells->pdata[r * t->n_columns + c]));
        }
        for (unsigned c = 0; c < t->n_columns; c++)
                total += widths[c] + (c > 0 ? 2 : 0);

        /* Too wide: take columns from the widest shrinkable column, one at
         * a time, down to a minimum that still says something. */
        while (width > 0 && total > width) {
                unsigned best = t->n_columns;
                for (unsigned c = 0; c < t->n_columns; c++) {
                        size_t min = MAX((size_t) 8, legend ? text_width(t->headers[c]) : 0);
                        if (!(t->flags[c] & (COLUMN_SHRINK | COLUMN_SHRINK_MIDDLE)) || widths[c] <= min)
                                continue;
                        if (best == t->n_columns || widths[c] > widths[best])
                                best = c;
                }
                if (best == t->n_columns)
                        break;
                widths[best]--;
                total--;
        }

        if (legend) {
                for (unsigned c = 0; c < t->n_columns; c++) {
                        if (c > 0)
                                fputs("  ", f);
                        print_cell(f, t->headers[c], widths[c], t->flags[c] & ~COLUMN_RIGHT, c + 1 == t->n_columns);
                }
                fputc('\n', f);
        }
        for (unsigned r = 0; r < rows; r++) {
                for (unsigned c = 0; c < t->n_columns; c++) {
                        if (c > 0)
                                fputs("  ", f);
                        print_cell(f, t->cells->pdata[r * t->n_columns + c], widths[c], t->flags[c],
                                   c + 1 == t->n_columns);
                }
                fputc('\n', f);
        }
}

/* ------------------------------------------------------------------ pager */

static pid_t pager_pid;
static int saved_stdout = -1;

void pager_open(bool no_pager) {
        const char *pager;
        int fds[2];
        pid_t pid;

        if (no_pager || pager_pid > 0 || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
                return;
        pager = getenv("SYSTEMD_PAGER");
        if (!pager)
                pager = getenv("PAGER");
        if (pager && (!*pager || g_str_equal(pager, "cat")))
                return;

        (void) output_columns(); /* measure the terminal before stdout becomes a pipe */
        (void) output_utf8();
        fflush(stdout);
        if (pipe2(fds, O_CLOEXEC) < 0)
                return;
        pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return;
        }
        if (pid == 0) {
                if (dup2(fds[0], STDIN_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                (void) setenv("LESS", getenv("LESS") ?: "FRSXMK", 1);
                (void) setenv("LESSCHARSET", getenv("LESSCHARSET") ?: "utf-8", 1);
                signal(SIGINT, SIG_DFL);
                if (pager)
                        execl("/bin/sh", "sh", "-c", pager, (char *) NULL);
                execlp("less", "less", (char *) NULL);
                execlp("more", "more", (char *) NULL);
                /* No pager at all: copy through. */
                execlp("cat", "cat", (char *) NULL);
                _exit(EXIT_FAILURE);
        }
        saved_stdout = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        if (dup2(fds[1], STDOUT_FILENO) < 0) {
                close(fds[0]);
                close(fds[1]);
                return;
        }
        close(fds[0]);
        close(fds[1]);
        pager_pid = pid;
        /* The pager handles ^C itself (less); do not die under it. */
        signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_DFL);
}

void pager_close(void) {
        if (pager_pid <= 0)
                return;
        fflush(stdout);
        if (saved_stdout >= 0) {
                dup2(saved_stdout, STDOUT_FILENO);
                close(saved_stdout);
                saved_stdout = -1;
        } else
                close(STDOUT_FILENO);
        while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        pager_pid = 0;
        signal(SIGINT, SIG_DFL);
}

/* ------------------------------------------------------------------ formats */

char *format_bytes(uint64_t bytes) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
        double v = (double) bytes;
        unsigned u = 0;

        while (v >= 1024.0 && u + 1 < G_N_ELEMENTS(units)) {
                v /= 1024.0;
                u++;
        }
        if (u == 0)
                return g_strdup_printf("%" G_GUINT64_FORMAT " B", bytes);
        return g_strdup_printf("%.1f %s", v, units[u]);
}

char *format_timespan(uint64_t usec) {
        uint64_t s = usec / G_USEC_PER_SEC;
        GString *out;

        if (usec < 10 * G_USEC_PER_SEC && s < 10)
                return g_strdup_printf("%.1fs", (double) usec / G_USEC_PER_SEC);
        out = g_string_new(NULL);
        if (s >= 86400)
                g_string_append_printf(out, "%" G_GUINT64_FORMAT "d ", s / 86400);
        if (s >= 3600)
                g_string_append_printf(out, "%" G_GUINT64_FORMAT "h ", (s % 86400) / 3600);
        if (s >= 60)
                g_string_append_printf(out, "%" G_GUINT64_FORMAT "min ", (s % 3600) / 60);
        g_string_append_printf(out, "%" G_GUINT64_FORMAT "s", s % 60);
        return g_string_free(out, FALSE);
}

char *format_clock(uint64_t usec) {
        uint64_t s = (usec + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC;

        if (s >= 3600)
                return g_strdup_printf("%" G_GUINT64_FORMAT ":%02u:%02u", s / 3600,
                                       (unsigned) ((s % 3600) / 60), (unsigned) (s % 60));
        return g_strdup_printf("%u:%02u", (unsigned) (s / 60), (unsigned) (s % 60));
}

char *format_timestamp(uint64_t usec) {
        time_t t = (time_t) (usec / G_USEC_PER_SEC);
        struct tm tm;
        char buf[64];

        if (usec == 0 || usec == UINT64_MAX)
                return g_strdup("-");
        if (!localtime_r(&t, &tm) || strftime(buf, sizeof buf, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                return g_strdup_printf("@%" G_GUINT64_FORMAT, usec / G_USEC_PER_SEC);
        return g_strdup(buf);
}

char *format_timestamp_relative(uint64_t usec, uint64_t now) {
        g_autofree char *abs = format_timestamp(usec);
        g_autofree char *span = NULL;

        if (usec == 0 || usec == UINT64_MAX)
                return g_steal_pointer(&abs);
        if (usec <= now) {
                span = format_timespan(now - usec);
                return g_strdup_printf("%s; %s ago", abs, span);
        }
        span = format_timespan(usec - now);
        return g_strdup_printf("%s; in %s", abs, span);
}

uint64_t now_realtime_usec(void) {
        return (uint64_t) g_get_real_time();
}

uint64_t now_monotonic_usec(void) {
        return (uint64_t) g_get_monotonic_time();
}
