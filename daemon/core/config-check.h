/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * config-check: what a key file (v2vd.conf) says that the daemon does not
 * understand — a section or a key it does not know — with the file and
 * line, as systemd reports unknown keys of a unit file. GKeyFile reads the
 * values; it keeps no line numbers, so the text is scanned again here.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Is key (NULL: the section itself) known in section? */
typedef bool (*V2vConfigKnownFn)(const char *section, const char *key);

/* One message per unknown section or key, in file order:
 * "PATH:LINE: unknown key \"KEY\" in section [SECTION], ignored" or
 * "PATH:LINE: unknown section [SECTION], ignored". A key before any
 * section, or a line that is not a key, a section, a comment or blank, is
 * GKeyFile's error, not reported here. Keys with a locale ("key[de]") are
 * checked without it. Never NULL. */
GPtrArray *v2v_config_check_keys(const char *path, const char *text, V2vConfigKnownFn known);
