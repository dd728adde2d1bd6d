/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A job's output files: which of them were there before it ran, which it
 * created (recorded by identity as they appear), and removing those of a
 * cancelled job — never through a link, only with its owner's rights.
 */
#include "config.h"

#include <sys/inotify.h>
#include <sys/stat.h>

#include "job/job-private.h"
#include "host/owner.h"
#include "host/util.h"

/* Remove the output files a cancelled job created — those recorded by
 * identity as they appeared (job_watch_outputs) and still the same file —
 * never through a link, only with its owner's rights
 * (owner_remove_outputs). A job cancelled before it ran created nothing. */
void job_remove_partial_output(Job *j) {
        g_autofree char *dir = NULL;
        g_autoptr(GPtrArray) patterns = NULL;
        int r;

        if (!j->spec || !j->record->started_usec || j->record->created_outputs->len == 0 ||
            !v2v_spec_output_files(j->spec, &dir, &patterns))
                return;
        /* on the loop: the helper logs what it removed when it ends */
        r = owner_remove_outputs(j->manager->event, j->id, j->record->owner_uid, dir, patterns,
                                 j->record->created_outputs);
        if (r < 0)
                log_full(LOG_WARNING, j->id, "cannot remove the partial output in %s: %s", dir, g_strerror(-r));
}

static bool output_name_matches(const GPtrArray *patterns, const char *name) {
        for (guint i = 0; i < patterns->len; i++)
                if (g_pattern_match_simple(patterns->pdata[i], name))
                        return true;
        return false;
}

/* A file of the job's output names appeared: record it by identity
 * ("DEV:INO:NAME") if it is a regular file of the job's owner that was not
 * there before the job ran. */
static int on_output_event(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        Job *j = userdata;
        g_autofree char *dir = NULL, *path = NULL, *entry = NULL;
        g_autoptr(GPtrArray) patterns = NULL;
        struct stat st;

        if (ev->len == 0 || !j->spec || !v2v_spec_output_files(j->spec, &dir, &patterns) ||
            !output_name_matches(patterns, ev->name) ||
            g_ptr_array_find_with_equal_func(j->record->preexisting_outputs, ev->name, g_str_equal, NULL))
                return 0;
        path = g_build_filename(dir, ev->name, NULL);
        if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != j->record->owner_uid)
                return 0;
        entry = g_strdup_printf("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT ":%s", (guint64) st.st_dev,
                                (guint64) st.st_ino, ev->name);
        if (g_ptr_array_find_with_equal_func(j->record->created_outputs, entry, g_str_equal, NULL))
                return 0;
        g_ptr_array_add(j->record->created_outputs, g_steal_pointer(&entry));
        (void) job_save_record(j);
        return 0;
}

int job_watch_outputs(Job *j) {
        g_autofree char *dir = NULL;
        g_autoptr(GPtrArray) patterns = NULL;
        int r;

        if (j->outputs_watch || !j->spec || !v2v_spec_output_files(j->spec, &dir, &patterns))
                return 0;
        r = sd_event_add_inotify(j->manager->event, &j->outputs_watch, dir,
                                 IN_CREATE | IN_MOVED_TO | IN_ONLYDIR, on_output_event, j);
        if (r < 0)
                return log_full(LOG_WARNING, j->id, "cannot watch %s for the job's output files (cancel will "
                                "remove none): %s", dir, g_strerror(-r)), 0;
        sd_event_source_set_description(j->outputs_watch, "job-outputs");
        return 0;
}

void job_record_preexisting_outputs(Job *j) {
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
