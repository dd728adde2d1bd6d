/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "core/config-check.h"

GPtrArray *v2v_config_check_keys(const char *path, const char *text, V2vConfigKnownFn known) {
        g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
        g_auto(GStrv) lines = g_strsplit(text ?: "", "\n", -1);
        g_autofree char *section = NULL;
        bool section_known = true;

        for (guint n = 0; lines[n]; n++) {
                char *line = g_strstrip(lines[n]);
                char *eq;

                if (*line == '\0' || *line == '#')
                        continue;
                if (*line == '[') {
                        char *end = strrchr(line, ']');

                        if (!end)
                                continue;
                        g_free(section);
                        section = g_strndup(line + 1, (gsize) (end - line - 1));
                        section_known = known(section, NULL);
                        if (!section_known)
                                g_ptr_array_add(out, g_strdup_printf("%s:%u: unknown section [%s], ignored",
                                                                     path, n + 1, section));
                        continue;
                }
                eq = strchr(line, '=');
                if (!eq || !section || !section_known)
                        continue;
                {
                        g_autofree char *key = g_strstrip(g_strndup(line, (gsize) (eq - line)));
                        char *locale = strchr(key, '[');

                        if (locale && g_str_has_suffix(key, "]"))
                                *locale = '\0';
                        if (!known(section, key))
                                g_ptr_array_add(out, g_strdup_printf("%s:%u: unknown key \"%s\" in section [%s], ignored",
                                                                     path, n + 1, key, section));
                }
        }
        return g_steal_pointer(&out);
}
