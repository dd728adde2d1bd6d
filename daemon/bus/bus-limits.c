/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib.h>

#include "bus/bus-limits.h"
#include "common/v2v-limits.h"

int bus_read_limits(sd_bus_message *message, const char *what, char **ret_cpu, int64_t *ret_network,
                    int64_t *ret_disk, sd_bus_error *error) {
        g_autofree char *cpu = NULL;
        int64_t network = -1, disk = -1;
        int r;

        r = sd_bus_message_enter_container(message, 'a', "{sv}");
        if (r < 0)
                return r;
        for (;;) {
                const char *key, *value;
                uint64_t v;

                r = sd_bus_message_enter_container(message, 'e', "sv");
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read(message, "s", &key);
                if (r < 0)
                        return r;
                if (!g_str_equal(key, "cpu") && !g_str_equal(key, "network") && !g_str_equal(key, "disk"))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "unknown %s \"%s\": expected \"cpu\", \"network\" or \"disk\"",
                                                 what, key);
                r = sd_bus_message_read(message, "v", "s", &value);
                if (r < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s: expected a string", key);
                if (g_str_equal(key, "cpu")) {
                        if (v2v_cpu_limit_parse(value, 0, &v) < 0)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "cpu: expected N%% or \"unlimited\", got \"%s\"", value);
                        g_free(cpu);
                        cpu = g_strdup(value);
                } else {
                        if (v2v_network_limit_parse(value, &v) < 0)
                                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                         "%s: expected bytes per second as digits or \"unlimited\", got \"%s\"",
                                                         key, value);
                        if (g_str_equal(key, "network"))
                                network = (int64_t) v;
                        else
                                disk = (int64_t) v;
                }
                r = sd_bus_message_exit_container(message);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_exit_container(message);
        if (r < 0)
                return r;
        *ret_cpu = g_steal_pointer(&cpu);
        *ret_network = network;
        *ret_disk = disk;
        return 0;
}
