/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * output: what v2vctl needs to print for people — aligned tables that fit
 * the terminal, ellipsizing, the pager, and formatting of sizes, times and
 * durations. No bus here.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

/* Width to lay out for: the terminal's when stdout is one, else $COLUMNS,
 * else 80. Computed once (before a pager takes over stdout). */
unsigned output_columns(void);
bool output_is_tty(void);
/* True when the locale can show "…", "█" and friends. */
bool output_utf8(void);

/* Display width of a UTF-8 string (one column per character). */
size_t text_width(const char *s);
/* A copy of S shortened to at most WIDTH columns, with an ellipsis at the
 * end, or in the middle when MIDDLE (for paths). */
char *ellipsize(const char *s, size_t width, bool middle);

typedef enum {
        COLUMN_LEFT = 0,
        COLUMN_RIGHT = 1 << 0,        /* numbers */
        COLUMN_SHRINK = 1 << 1,       /* may be ellipsized to fit */
        COLUMN_SHRINK_MIDDLE = 1 << 2 /* ellipsized in the middle (paths) */
} ColumnFlags;

typedef struct Table Table;

Table *table_new(unsigned n_columns);
void table_free(Table *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Table, table_free)

void table_set_column(Table *t, unsigned column, const char *header, ColumnFlags flags);
/* Appends a row of n_columns strings (copied; NULL prints as "-"). */
void table_add_row(Table *t, ...);
void table_add_rowv(Table *t, const char *const *cells);
unsigned table_rows(const Table *t);
/* Prints the header (when LEGEND) and rows; WIDTH 0 means no limit. */
void table_print(const Table *t, FILE *f, bool legend, unsigned width);

/* Starts $SYSTEMD_PAGER / $PAGER / less for stdout when stdout is a
 * terminal; pager_close() flushes, closes and waits for it. */
void pager_open(bool no_pager);
void pager_close(void);

/* "1.5 GiB", "512 B" */
char *format_bytes(uint64_t bytes);
/* "2h 3min 4s", "45s", "0.3s" */
char *format_timespan(uint64_t usec);
/* "0:42", "1:02:03" — for ETA and elapsed time */
char *format_clock(uint64_t usec);
/* "Tue 2024-05-07 12:34:56 UTC" in local time; "-" for 0 */
char *format_timestamp(uint64_t usec);
/* "Tue 2024-05-07 12:34:56 UTC; 3min 2s ago" */
char *format_timestamp_relative(uint64_t usec, uint64_t now);

uint64_t now_realtime_usec(void);
uint64_t now_monotonic_usec(void);
