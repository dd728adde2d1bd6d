/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "job/budget.h"
#include "common/v2v-limits.h"
#include "host/egress.h"
#include "host/scope.h"
#include "host/util.h"

static int on_slice_limits_set(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e)
                log_warning("cannot set the host-wide limits on %s: %s", V2VD_SLICE, e->message ?: e->name);
        return 0;
}

/* The network budget through egress.c, once the slice's cgroup is known. */
static void budget_apply_egress(Manager *m) {
        Egress *t = m->egress;
        bool changed = false;

        if (!t || egress_is_disabled(t)) {
                if (m->host_network > 0)
                        log_warning("host_network= is not applied: egress shaping is off (egress_interfaces=none)");
                return;
        }
        if (!m->host_slice_cgroup)
                return;         /* the first job's start tells it */
        if (egress_set_host(t, m->host_slice_cgroup, m->host_network, &changed) < 0) {
                log_warning("host-wide network limit not applied: %s", egress_last_error(t));
                return;
        }
        if (changed && egress_sync(t) < 0)
                log_warning("host-wide network limit not applied: %s", egress_last_error(t));
        else if (changed && m->host_network > 0)
                log_info("host-wide network limit on %s: %" G_GUINT64_FORMAT " bytes/s", m->host_slice_cgroup,
                         m->host_network);
}

void budget_job_started(Manager *m, pid_t runner_pid) {
        g_autofree char *cgroup = NULL;
        char *slash;

        if (m->host_slice_cgroup || !m->egress || runner_pid <= 0 ||
            egress_cgroup_of_pid(m->egress, runner_pid, &cgroup) < 0)
                return;
        /* "/…/v2vd.slice/v2vd-job-N.scope" */
        slash = strrchr(cgroup, '/');
        if (!slash || slash == cgroup || !g_str_has_suffix(cgroup, ".scope"))
                return;
        *slash = '\0';
        if (!g_str_has_suffix(cgroup, "/" V2VD_SLICE))
                return;
        m->host_slice_cgroup = g_steal_pointer(&cgroup);
        if (m->host_network > 0)
                budget_apply_egress(m);
}

void budget_apply(Manager *m) {
        uint64_t quota = UINT64_MAX;
        const char *const *devices;
        int r;

        if (!m->bus)
                return;
        if (v2v_cpu_limit_parse(m->host_cpu, 0, &quota) < 0)
                quota = UINT64_MAX;
        if (!m->host_io_devices)
                m->host_io_devices = g_ptr_array_new_null_terminated(0, g_free, TRUE);
        devices = (const char *const *) m->host_io_devices->pdata;
        r = scope_set_slice_limits(m->bus, V2VD_SLICE, quota, devices, m->host_disk, on_slice_limits_set, NULL);
        if (r < 0)
                log_warning("cannot set the host-wide limits on %s: %s", V2VD_SLICE, g_strerror(-r));
        else if (quota != UINT64_MAX || (m->host_disk > 0 && m->host_io_devices->len > 0))
                log_info("host-wide limits on %s: cpu %s, disk %" G_GUINT64_FORMAT " bytes/s on %u device(s)",
                         V2VD_SLICE, m->host_cpu, m->host_disk, m->host_io_devices->len);
        budget_apply_egress(m);
}

int budget_set(Manager *m, const char *cpu, int64_t network, int64_t disk) {
        if (cpu) {
                char buf[V2V_LIMIT_STRLEN];
                uint64_t quota;

                if (v2v_cpu_limit_parse(cpu, 0, &quota) < 0)
                        return -EINVAL;
                g_free(m->host_cpu);
                m->host_cpu = g_strdup(v2v_cpu_limit_format(quota, buf));
        }
        if (disk >= 0)
                m->host_disk = (uint64_t) disk;
        if (network >= 0)
                m->host_network = (uint64_t) network;
        budget_apply(m);
        return 0;
}

void budget_add_devices(Manager *m, const GPtrArray *devices) {
        bool added = false;

        if (!m->host_io_devices)
                m->host_io_devices = g_ptr_array_new_null_terminated(0, g_free, TRUE);
        for (guint i = 0; devices && i < devices->len; i++)
                if (devices->pdata[i] &&
                    !g_ptr_array_find_with_equal_func(m->host_io_devices, devices->pdata[i], g_str_equal, NULL)) {
                        g_ptr_array_add(m->host_io_devices, g_strdup(devices->pdata[i]));
                        added = true;
                }
        if (added && m->host_disk > 0)
                budget_apply(m);
}

void budget_free(Manager *m) {
        g_clear_pointer(&m->host_io_devices, g_ptr_array_unref);
        g_clear_pointer(&m->host_cpu, g_free);
        g_clear_pointer(&m->host_slice_cgroup, g_free);
}
