/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <glib.h>
#include <string.h>

#include "core/progress.h"

#define SEC G_USEC_PER_SEC
#define T0 (UINT64_C(1700000000) * SEC)

static const char *const transcript_phases[] = {
        "Setting up the source: -i disk /srv/images/guest.img",
        "Opening the source",
        "Inspecting the source",
        "Checking for sufficient free disk space in the guest",
        "Converting 12.15 to run on KVM",
        "Mapping filesystem data to avoid copying unused and blank areas",
        "Closing the overlay",
        "Assigning disks to buses",
        "Checking if the guest needs BIOS or UEFI to boot",
        "Setting up the destination: -o disk -os /srv/out",
        "Copying disk 1/1",
        "Creating output metadata",
        "Finishing off",
};

static char *read_data(const char *name, size_t *len) {
        const char *dir = g_getenv("V2VD_TEST_DATA");
        g_autofree char *path = NULL;
        g_autoptr(GError) error = NULL;
        char *data = NULL;
        gsize l = 0;

        g_assert_nonnull(dir);
        path = g_build_filename(dir, name, NULL);
        g_assert_true(g_file_get_contents(path, &data, &l, &error));
        g_assert_no_error(error);
        *len = l;
        return data;
}

/* What a test sees while feeding: every phase change, every value of disk 1
 * after a change of progress, the warnings. */
typedef struct Observed {
        GPtrArray *phases;
        GArray *disk1;
        GPtrArray *warnings;
        GPtrArray *infos;
} Observed;

static void observed_init(Observed *o) {
        o->phases = g_ptr_array_new_with_free_func(g_free);
        o->disk1 = g_array_new(FALSE, FALSE, sizeof(double));
        o->warnings = g_ptr_array_new_with_free_func(g_free);
        o->infos = g_ptr_array_new_with_free_func(g_free);
}

static void observed_clear(Observed *o) {
        g_ptr_array_unref(o->phases);
        g_array_unref(o->disk1);
        g_ptr_array_unref(o->warnings);
        g_ptr_array_unref(o->infos);
}

static void observe(Observed *o, const V2vProgress *p, unsigned mask) {
        if (mask & V2V_PROGRESS_CHANGED_PHASE)
                g_ptr_array_add(o->phases, g_strdup(p->phase));
        if ((mask & (V2V_PROGRESS_CHANGED_PROGRESS | V2V_PROGRESS_CHANGED_DISK_COUNT)) && p->disks->len > 0) {
                double v = g_array_index(p->disks, V2vDiskProgress, 0).progress;

                if (o->disk1->len == 0 || g_array_index(o->disk1, double, o->disk1->len - 1) != v)
                        g_array_append_val(o->disk1, v);
        }
        if ((mask & V2V_PROGRESS_CHANGED_LAST_MESSAGE) && g_str_equal(p->last_message_type, "warning"))
                g_ptr_array_add(o->warnings, g_strdup(p->last_message_text));
        if ((mask & V2V_PROGRESS_CHANGED_LAST_MESSAGE) && g_str_equal(p->last_message_type, "info"))
                g_ptr_array_add(o->infos, g_strdup(p->last_message_text));
}

static unsigned feed_log_s(V2vProgress *p, const char *s, uint64_t now) {
        return v2v_progress_feed_log(p, s, strlen(s), now);
}

static unsigned feed_machine_s(V2vProgress *p, const char *s, uint64_t now) {
        return v2v_progress_feed_machine(p, s, strlen(s), now);
}

typedef unsigned (*FeedFunc)(V2vProgress *p, const char *data, size_t len, uint64_t now_usec);

/* Feeds one line (with its terminator) at a time. */
static void feed_lines(V2vProgress *p, FeedFunc f, const char *data, size_t len, uint64_t now, Observed *o) {
        size_t start = 0;

        for (size_t i = 0; i < len; i++)
                if (data[i] == '\n' || data[i] == '\r') {
                        unsigned mask = f(p, data + start, i + 1 - start, now);

                        if (o)
                                observe(o, p, mask);
                        start = i + 1;
                }
        if (start < len) {
                unsigned mask = f(p, data + start, len - start, now);

                if (o)
                        observe(o, p, mask);
        }
}

static void assert_phases(GPtrArray *seen) {
        g_assert_cmpuint(seen->len, ==, G_N_ELEMENTS(transcript_phases));
        for (size_t i = 0; i < G_N_ELEMENTS(transcript_phases); i++)
                g_assert_cmpstr(g_ptr_array_index(seen, i), ==, transcript_phases[i]);
}

static void test_transcript_log(void) {
        static const double expected[] = { 0, 9, 19, 28, 38, 47, 57, 67, 76, 86, 95, 100 };
        g_autoptr(V2vProgress) p = v2v_progress_new();
        g_autofree char *log = NULL;
        Observed o;
        size_t len;

        observed_init(&o);
        log = read_data("disk-to-local.v2v.log", &len);
        feed_lines(p, v2v_progress_feed_log, log, len, T0, &o);

        assert_phases(o.phases);
        g_assert_cmpuint(o.disk1->len, ==, G_N_ELEMENTS(expected));
        for (size_t i = 0; i < G_N_ELEMENTS(expected); i++)
                g_assert_cmpfloat(g_array_index(o.disk1, double, i), ==, expected[i]);

        g_assert_cmpuint(o.warnings->len, ==, 2);
        g_assert_cmpstr(g_ptr_array_index(o.warnings, 0), ==,
                        "could not determine a way to update the configuration of Grub2");
        g_assert_cmpstr(g_ptr_array_index(o.warnings, 1), ==, "could not add grub2 serial console (ignored)");
        g_assert_cmpuint(o.infos->len, ==, 2);
        g_assert_cmpstr(g_ptr_array_index(o.infos, 1), ==, "This guest has virtio drivers installed.");

        g_assert_cmpstr(p->phase, ==, "Finishing off");
        g_assert_cmpstr(p->last_message_type, ==, "message");
        g_assert_cmpstr(p->last_message_text, ==, "Finishing off");
        g_assert_null(p->last_error);
        g_assert_cmpuint(p->disk_count, ==, 1);
        g_assert_cmpuint(p->current_disk, ==, 1);
        g_assert_cmpuint(p->disks->len, ==, 1);
        g_assert_cmpstr(g_array_index(p->disks, V2vDiskProgress, 0).path, ==, "disk 1");
        g_assert_cmpfloat(g_array_index(p->disks, V2vDiskProgress, 0).progress, ==, 100);
        g_assert_cmpfloat(p->copy_progress, ==, 100);
        g_assert_cmpfloat(p->progress, ==, 99);    /* whole job: 100 only at success */
        g_assert_cmpuint(p->copy_started_usec, ==, T0);
        observed_clear(&o);
}

static void test_transcript_machine(void) {
        g_autoptr(V2vProgress) p = v2v_progress_new();
        g_autofree char *log = NULL;
        Observed o;
        size_t len;

        observed_init(&o);
        log = read_data("disk-to-local.machine.log", &len);
        feed_lines(p, v2v_progress_feed_machine, log, len, T0, &o);

        assert_phases(o.phases);
        g_assert_cmpuint(o.warnings->len, ==, 2);
        g_assert_cmpstr(g_ptr_array_index(o.warnings, 1), ==, "could not add grub2 serial console (ignored)");
        g_assert_cmpuint(o.infos->len, ==, 2);
        g_assert_cmpuint(p->disk_count, ==, 1);
        g_assert_cmpuint(p->current_disk, ==, 1);
        g_assert_cmpuint(p->disks->len, ==, 1);
        /* The machine log has no bar. */
        g_assert_cmpfloat(g_array_index(p->disks, V2vDiskProgress, 0).progress, ==, 0);
        g_assert_cmpstr(p->last_message_text, ==, "Finishing off");
        observed_clear(&o);
}

/* Both streams, in every order: each phase once, in order. */
static void test_transcript_both(void) {
        g_autofree char *log = NULL, *machine = NULL;
        size_t log_len, machine_len;

        log = read_data("disk-to-local.v2v.log", &log_len);
        machine = read_data("disk-to-local.machine.log", &machine_len);

        for (int order = 0; order < 3; order++) {
                static const char *const paths[] = { "/srv/images/guest.img" };
                static const uint64_t sizes[] = { 0 };
                g_autoptr(V2vProgress) p = v2v_progress_new();
                Observed o;

                observed_init(&o);
                v2v_progress_set_disks(p, paths, sizes, 1);
                if (order == 0) {
                        feed_lines(p, v2v_progress_feed_log, log, log_len, T0, &o);
                        feed_lines(p, v2v_progress_feed_machine, machine, machine_len, T0, &o);
                } else if (order == 1) {
                        feed_lines(p, v2v_progress_feed_machine, machine, machine_len, T0, &o);
                        feed_lines(p, v2v_progress_feed_log, log, log_len, T0, &o);
                } else {
                        /* alternate: a line of one, a line of the other */
                        size_t a = 0, b = 0;

                        while (a < log_len || b < machine_len) {
                                const char *e;
                                size_t n;

                                if (a < log_len) {
                                        e = memchr(log + a, '\n', log_len - a);
                                        n = e ? (size_t) (e - (log + a)) + 1 : log_len - a;
                                        feed_lines(p, v2v_progress_feed_log, log + a, n, T0, &o);
                                        a += n;
                                }
                                if (b < machine_len) {
                                        e = memchr(machine + b, '\n', machine_len - b);
                                        n = e ? (size_t) (e - (machine + b)) + 1 : machine_len - b;
                                        feed_lines(p, v2v_progress_feed_machine, machine + b, n, T0, &o);
                                        b += n;
                                }
                        }
                }

                assert_phases(o.phases);
                g_assert_cmpuint(o.warnings->len, ==, 2);
                g_assert_cmpuint(p->disk_count, ==, 1);
                g_assert_cmpuint(p->disks->len, ==, 1);
                g_assert_cmpstr(g_array_index(p->disks, V2vDiskProgress, 0).path, ==, "/srv/images/guest.img");
                g_assert_cmpfloat(g_array_index(p->disks, V2vDiskProgress, 0).progress, ==, 100);
                g_assert_cmpfloat(p->copy_progress, ==, 100);
                g_assert_cmpfloat(p->progress, ==, 99);    /* whole job: 100 only at success */
                g_assert_cmpstr(p->last_message_text, ==, "Finishing off");
                observed_clear(&o);
        }
}

static void assert_same_state(const V2vProgress *a, const V2vProgress *b) {
        g_assert_cmpstr(a->phase, ==, b->phase);
        g_assert_cmpuint(a->current_disk, ==, b->current_disk);
        g_assert_cmpuint(a->disk_count, ==, b->disk_count);
        g_assert_cmpuint(a->disks->len, ==, b->disks->len);
        for (unsigned i = 0; i < a->disks->len; i++) {
                const V2vDiskProgress *x = &g_array_index(a->disks, V2vDiskProgress, i);
                const V2vDiskProgress *y = &g_array_index(b->disks, V2vDiskProgress, i);

                g_assert_cmpstr(x->path, ==, y->path);
                g_assert_cmpfloat(x->progress, ==, y->progress);
        }
        g_assert_cmpfloat(a->progress, ==, b->progress);
        g_assert_cmpstr(a->last_message_type, ==, b->last_message_type);
        g_assert_cmpstr(a->last_message_text, ==, b->last_message_text);
        g_assert_cmpstr(a->last_error, ==, b->last_error);
        g_assert_cmpuint(a->copy_started_usec, ==, b->copy_started_usec);
        g_assert_cmpuint(a->expected_end_usec, ==, b->expected_end_usec);
}

static void feed_chunked(V2vProgress *p, FeedFunc f, const char *data, size_t len, size_t max_chunk, GRand *rand) {
        size_t off = 0;

        while (off < len) {
                size_t n = max_chunk <= 1 ? 1 : (size_t) g_rand_int_range(rand, 1, (gint32) max_chunk + 1);

                n = MIN(n, len - off);
                f(p, data + off, n, T0);
                off += n;
        }
}

static void test_chunked(void) {
        static const size_t chunk_sizes[] = { 1, 2, 3, 7, 16, 64, 500 };
        g_autofree char *log = NULL, *machine = NULL;
        g_autoptr(V2vProgress) whole = v2v_progress_new();
        g_autoptr(GRand) rand = g_rand_new_with_seed(4242);
        size_t log_len, machine_len;
        /* an error and a wrapped warning, so continuation lines are split too */
        static const char tail[] =
                "virt-v2v: warning: first half\r\nsecond half\r\n\r\n"
                "virt-v2v: error: libguestfs error: boom\nsecond line\n\n"
                "If reporting bugs, run virt-v2v with debugging enabled and include the complete output:\n\n"
                "  virt-v2v -v -x [...]\n";

        log = read_data("disk-to-local.v2v.log", &log_len);
        machine = read_data("disk-to-local.machine.log", &machine_len);

        v2v_progress_feed_log(whole, log, log_len, T0);
        v2v_progress_feed_log(whole, tail, strlen(tail), T0);
        v2v_progress_feed_machine(whole, machine, machine_len, T0);
        g_assert_cmpstr(whole->last_error, ==, "libguestfs error: boom\nsecond line");

        for (size_t i = 0; i < G_N_ELEMENTS(chunk_sizes); i++) {
                g_autoptr(V2vProgress) p = v2v_progress_new();

                feed_chunked(p, v2v_progress_feed_log, log, log_len, chunk_sizes[i], rand);
                feed_chunked(p, v2v_progress_feed_log, tail, strlen(tail), chunk_sizes[i], rand);
                feed_chunked(p, v2v_progress_feed_machine, machine, machine_len, chunk_sizes[i], rand);
                assert_same_state(whole, p);
        }
}

static void test_multi_disk(void) {
        static const char *const paths[] = { "/images/a.img", "/images/b.img" };
        static const uint64_t sizes[] = { UINT64_C(1) << 30, UINT64_C(3) << 30 };
        static const uint64_t no_sizes[] = { UINT64_C(1) << 30, 0 };
        static const char part1[] =
                "[   1.0] Copying disk 1/2\n"
                "\xe2\x96\x9d   0% [----------------------------------------]\r"
                "\xe2\x96\x97  50% [********************--------------------]\r"
                "\xe2\x96\x88 100% [****************************************]\n";
        static const char part2[] =
                "[   5.0] Copying disk 2/2\n"
                "\xe2\x96\x9d  50% [********************--------------------]\r";

        {
                g_autoptr(V2vProgress) p = v2v_progress_new();

                v2v_progress_set_disks(p, paths, sizes, 2);
                v2v_progress_feed_log(p, part1, strlen(part1), T0);
                g_assert_cmpuint(p->disk_count, ==, 2);
                g_assert_cmpuint(p->current_disk, ==, 1);
                g_assert_cmpfloat(g_array_index(p->disks, V2vDiskProgress, 0).progress, ==, 100);
                g_assert_cmpfloat(p->copy_progress, ==, 25);
                v2v_progress_feed_log(p, part2, strlen(part2), T0);
                g_assert_cmpuint(p->current_disk, ==, 2);
                g_assert_cmpfloat(g_array_index(p->disks, V2vDiskProgress, 1).progress, ==, 50);
                g_assert_cmpfloat(p->copy_progress, ==, 62.5);
                g_assert_cmpstr(g_array_index(p->disks, V2vDiskProgress, 0).path, ==, "/images/a.img");
                g_assert_cmpstr(g_array_index(p->disks, V2vDiskProgress, 1).path, ==, "/images/b.img");
        }
        {
                /* a size unknown: equal slices */
                g_autoptr(V2vProgress) p = v2v_progress_new();

                v2v_progress_set_disks(p, paths, no_sizes, 2);
                v2v_progress_feed_log(p, part1, strlen(part1), T0);
                g_assert_cmpfloat(p->copy_progress, ==, 50);
                v2v_progress_feed_log(p, part2, strlen(part2), T0);
                g_assert_cmpfloat(p->copy_progress, ==, 75);
        }
        {
                /* nothing seeded: the list grows to "disk N" */
                g_autoptr(V2vProgress) p = v2v_progress_new();
                unsigned mask;

                mask = feed_log_s(p, "[   1.0] Copying disk 1/2\n", T0);
                g_assert_cmpuint(mask & V2V_PROGRESS_CHANGED_DISK_COUNT, !=, 0);
                g_assert_cmpuint(p->disks->len, ==, 2);
                g_assert_cmpstr(g_array_index(p->disks, V2vDiskProgress, 0).path, ==, "disk 1");
                g_assert_cmpstr(g_array_index(p->disks, V2vDiskProgress, 1).path, ==, "disk 2");
                feed_log_s(p, "\xe2\x96\x9d  95% [**]\r", T0);
                g_assert_cmpfloat(p->copy_progress, ==, 47.5);
                /* The machine log is ahead: disk 2 starts there while the
                 * log still holds bars of disk 1, which then change nothing. */
                feed_machine_s(p, "{\"message\": \"Copying disk 1/2\", \"type\": \"message\"}\n", T0);
                mask = feed_machine_s(p, "{\"message\": \"Copying disk 2/2\", \"type\": \"message\"}\n", T0);
                g_assert_cmpuint(mask & V2V_PROGRESS_CHANGED_PROGRESS, !=, 0);
                g_assert_cmpuint(p->current_disk, ==, 2);
                g_assert_cmpfloat(g_array_index(p->disks, V2vDiskProgress, 0).progress, ==, 100);
                g_assert_cmpfloat(p->copy_progress, ==, 50);
                g_assert_cmpuint(feed_log_s(p, "\xe2\x96\x9d  97% [**]\r", T0), ==, 0);
                g_assert_cmpuint(feed_log_s(p, "\xe2\x96\x88 100% [**]\n", T0), ==, 0);
                g_assert_cmpuint(feed_log_s(p, "[   5.0] Copying disk 2/2\n", T0), ==, 0);
                g_assert_cmpuint(feed_log_s(p, "\xe2\x96\x9d  10% [**]\r", T0), ==, V2V_PROGRESS_CHANGED_PROGRESS);
                g_assert_cmpfloat(g_array_index(p->disks, V2vDiskProgress, 1).progress, ==, 10);
                g_assert_cmpfloat(p->copy_progress, ==, 55);
        }
        {
                /* one path seeded, three disks copied */
                g_autoptr(V2vProgress) p = v2v_progress_new();

                v2v_progress_set_disks(p, paths, NULL, 1);
                feed_machine_s(p, "{\"message\": \"Copying disk 1/3\", \"type\": \"message\"}\n", T0);
                g_assert_cmpuint(p->disk_count, ==, 3);
                g_assert_cmpuint(p->disks->len, ==, 3);
                g_assert_cmpstr(g_array_index(p->disks, V2vDiskProgress, 0).path, ==, "/images/a.img");
                g_assert_cmpstr(g_array_index(p->disks, V2vDiskProgress, 2).path, ==, "disk 3");
                g_assert_cmpuint(v2v_progress_complete(p), ==, V2V_PROGRESS_CHANGED_PROGRESS);
                g_assert_cmpfloat(p->copy_progress, ==, 100);
                g_assert_cmpfloat(g_array_index(p->disks, V2vDiskProgress, 2).progress, ==, 100);
                g_assert_cmpuint(v2v_progress_complete(p), ==, 0);
        }
}

static void test_legacy(void) {
        static const char log[] =
                "[   0.0] Opening the source -i libvirt -ic vpx://vcenter/DC/host guest\n"
                "[   5.0] Copying disk 1/2 to /var/tmp/guest-sda (raw)\n"
                "    (0.00/100%)\r"
                "    (12.34/100%)\r"
                "    (100.00/100%)\n"
                "[  30.0] Copying disk 2/2 to /var/tmp/guest-sdb (raw)\n"
                "    (50.00/100%)\r";
        g_autoptr(V2vProgress) p = v2v_progress_new();
        Observed o;

        observed_init(&o);
        feed_lines(p, v2v_progress_feed_log, log, strlen(log), T0, &o);
        g_assert_cmpuint(o.phases->len, ==, 3);
        g_assert_cmpstr(g_ptr_array_index(o.phases, 1), ==, "Copying disk 1/2 to /var/tmp/guest-sda (raw)");
        g_assert_cmpuint(o.disk1->len, ==, 3);
        g_assert_cmpfloat(g_array_index(o.disk1, double, 1), ==, 12.34);
        g_assert_cmpfloat(g_array_index(o.disk1, double, 2), ==, 100);
        g_assert_cmpuint(p->disk_count, ==, 2);
        g_assert_cmpuint(p->current_disk, ==, 2);
        /* the target path is not the source disk's name */
        g_assert_cmpstr(g_array_index(p->disks, V2vDiskProgress, 0).path, ==, "disk 1");
        g_assert_cmpfloat(g_array_index(p->disks, V2vDiskProgress, 1).progress, ==, 50);
        g_assert_cmpfloat(p->copy_progress, ==, 75);
        observed_clear(&o);
}

static const char error_log[] =
        "[  10.0] Inspecting the source\n"
        "virt-v2v: error: inspection could not detect the source guest (or \n"
        "physical machine).\n"
        "\n"
        "Assuming that you are running virt-v2v/virt-p2v on a source which is \n"
        "supported, then you should run virt-v2v -v -x and examine the output.\n"
        "\n"
        "If reporting bugs, run virt-v2v with debugging enabled and include the \n"
        "complete output:\n"
        "\n"
        "  virt-v2v -v -x [...]\n";
static const char error_text[] =
        "inspection could not detect the source guest (or\n"
        "physical machine).\n"
        "\n"
        "Assuming that you are running virt-v2v/virt-p2v on a source which is\n"
        "supported, then you should run virt-v2v -v -x and examine the output.";
static const char error_machine[] =
        "{ \"message\": \"Inspecting the source\", \"timestamp\": \"2026-11-22T00:12:00.139650457+00:00\", \"type\": \"message\" }\n"
        "{ \"message\": \"inspection could not detect the source guest (or\\nphysical machine).\\n\\n"
        "Assuming that you are running virt-v2v/virt-p2v on a source which is\\n"
        "supported, then you should run virt-v2v -v -x and examine the output.\", "
        "\"timestamp\": \"2026-11-22T00:12:01.000000000+00:00\", \"type\": \"error\" }\n";

static void test_error(void) {
        {
                g_autoptr(V2vProgress) p = v2v_progress_new();

                v2v_progress_feed_log(p, error_log, strlen(error_log), T0);
                g_assert_cmpstr(p->last_message_type, ==, "error");
                g_assert_cmpstr(p->last_message_text, ==, error_text);
                g_assert_cmpstr(p->last_error, ==, error_text);
                g_assert_cmpstr(p->phase, ==, "Inspecting the source");
        }
        {
                g_autoptr(V2vProgress) p = v2v_progress_new();

                v2v_progress_feed_machine(p, error_machine, strlen(error_machine), T0);
                g_assert_cmpstr(p->last_message_type, ==, "error");
                g_assert_cmpstr(p->last_message_text, ==, error_text);
                g_assert_cmpstr(p->last_error, ==, error_text);
                /* and the log adds nothing */
                g_assert_cmpuint(v2v_progress_feed_log(p, error_log, strlen(error_log), T0), ==, 0);
                g_assert_cmpstr(p->last_error, ==, error_text);
        }
        {
                /* The log's first line arrives first; the machine log
                 * completes it, the log's remaining lines change nothing. */
                g_autoptr(V2vProgress) p = v2v_progress_new();
                const char *second = strchr(strchr(error_log, '\n') + 1, '\n') + 1;
                unsigned mask;

                v2v_progress_feed_log(p, error_log, (size_t) (second - error_log), T0);
                g_assert_cmpstr(p->last_error, ==, "inspection could not detect the source guest (or");
                mask = v2v_progress_feed_machine(p, error_machine, strlen(error_machine), T0);
                g_assert_cmpuint(mask, ==, V2V_PROGRESS_CHANGED_LAST_MESSAGE);
                g_assert_cmpstr(p->last_message_text, ==, error_text);
                g_assert_cmpuint(v2v_progress_feed_log(p, second, strlen(second), T0), ==, 0);
                g_assert_cmpstr(p->last_error, ==, error_text);
        }
        {
                /* The error is kept in last_error while other messages follow. */
                g_autoptr(V2vProgress) p = v2v_progress_new();
                static const char log[] =
                        "virt-v2v: error: short\n"
                        "virt-v2v: warning: wrapped warning\n"
                        "continued\n"
                        "\n"
                        "not part of it\n"
                        "[   1.0] Next\n"
                        "neither is this\n";

                v2v_progress_feed_log(p, log, strlen(log), T0);
                g_assert_cmpstr(p->last_error, ==, "short");
                g_assert_cmpstr(p->last_message_type, ==, "message");
                g_assert_cmpstr(p->last_message_text, ==, "Next");
        }
        {
                g_autoptr(V2vProgress) p = v2v_progress_new();
                static const char log[] = "virt-v2v: warning: wrapped warning\ncontinued\n\nnot part of it\n";

                v2v_progress_feed_log(p, log, strlen(log), T0);
                g_assert_cmpstr(p->last_message_type, ==, "warning");
                g_assert_cmpstr(p->last_message_text, ==, "wrapped warning\ncontinued");
        }
        {
                /* "\r\n" is one line end, not a line and a blank one */
                g_autoptr(V2vProgress) p = v2v_progress_new();
                static const char log[] =
                        "virt-v2v: error: a\r\nb\r\n\r\nIf reporting bugs, run virt-v2v with debugging\r\n";

                v2v_progress_feed_log(p, log, strlen(log), T0);
                g_assert_cmpstr(p->last_error, ==, "a\nb");
        }
        {
                /* colours, if a tty or --color asked for them */
                g_autoptr(V2vProgress) p = v2v_progress_new();
                static const char log[] = "\033[1;31mvirt-v2v: error: red\033[0m\n";

                v2v_progress_feed_log(p, log, strlen(log), T0);
                g_assert_cmpstr(p->last_error, ==, "red");
        }
}

static void test_change_masks(void) {
        g_autoptr(V2vProgress) p = v2v_progress_new();
        static const char machine_open[] = "{\"message\": \"Opening the source\", \"type\": \"message\"}\n";

        g_assert_cmpuint(feed_log_s(p, "[   1.0] Open", T0), ==, 0);
        /* a known phase also moves the whole job's progress (its floor) */
        g_assert_cmpuint(feed_log_s(p, "ing the source\n", T0), ==,
                         V2V_PROGRESS_CHANGED_PHASE | V2V_PROGRESS_CHANGED_LAST_MESSAGE | V2V_PROGRESS_CHANGED_PROGRESS);
        /* the same message from the other stream */
        g_assert_cmpuint(v2v_progress_feed_machine(p, machine_open, strlen(machine_open), T0), ==, 0);
        /* noise */
        g_assert_cmpuint(feed_log_s(p, "libguestfs: trace: launch\n\n\r\n", T0), ==, 0);
        g_assert_cmpuint(feed_machine_s(p, "{garbage\n", T0), ==, 0);
        /* a bar before any disk is being copied */
        g_assert_cmpuint(feed_log_s(p, "\xe2\x96\x9d  10% [**]\r", T0), ==, 0);

        g_assert_cmpuint(feed_log_s(p, "virt-v2v: warning: w\n", T0), ==,
                         V2V_PROGRESS_CHANGED_LAST_MESSAGE);
        /* the copy starts: the whole job jumps to V2V_PROGRESS_COPY_START */
        g_assert_cmpuint(feed_log_s(p, "[   2.0] Copying disk 1/1\n", T0), ==,
                         V2V_PROGRESS_CHANGED_PHASE | V2V_PROGRESS_CHANGED_LAST_MESSAGE |
                         V2V_PROGRESS_CHANGED_DISK_COUNT | V2V_PROGRESS_CHANGED_PROGRESS);
        g_assert_cmpuint(feed_log_s(p, "\xe2\x96\x9d   0% [--]\r", T0), ==, 0);
        g_assert_cmpuint(feed_log_s(p, "\xe2\x96\x9d  10% [*-]\r", T0), ==,
                         V2V_PROGRESS_CHANGED_PROGRESS);
        g_assert_cmpuint(feed_log_s(p, "\xe2\x96\x97  10% [*-]\r", T0), ==, 0);
        /* the time moved: an estimate appears */
        g_assert_cmpuint(feed_log_s(p, "\xe2\x96\x97  20% [*-]\r", T0 + 10 * SEC), ==,
                         V2V_PROGRESS_CHANGED_PROGRESS | V2V_PROGRESS_CHANGED_EXPECTED_END);
        /* backwards: nothing */
        g_assert_cmpuint(feed_log_s(p, "\xe2\x96\x97  15% [*-]\r", T0 + 11 * SEC), ==, 0);
        g_assert_cmpfloat(p->copy_progress, ==, 20);
        g_assert_cmpuint(v2v_progress_complete(p), ==, V2V_PROGRESS_CHANGED_PROGRESS);
        g_assert_cmpuint(v2v_progress_complete(p), ==, 0);
}

static void test_expected_end(void) {
        g_autoptr(V2vProgress) p = v2v_progress_new();
        unsigned mask;

        feed_log_s(p, "[   1.0] Opening the source\n", T0);
        g_assert_cmpuint(p->expected_end_usec, ==, 0);
        feed_log_s(p, "[   2.0] Copying disk 1/1\n", T0 + 100 * SEC);
        g_assert_cmpuint(p->copy_started_usec, ==, T0 + 100 * SEC);
        g_assert_cmpuint(p->expected_end_usec, ==, 0);

        /* 25% in 10 s: 30 s to go */
        mask = feed_log_s(p, "\xe2\x96\x9d  25% [*-]\r", T0 + 110 * SEC);
        g_assert_cmpuint(mask & V2V_PROGRESS_CHANGED_EXPECTED_END, !=, 0);
        g_assert_cmpuint(p->expected_end_usec, ==, T0 + 140 * SEC);

        /* same rate, same estimate: no signal */
        mask = feed_log_s(p, "\xe2\x96\x9d  40% [*-]\r", T0 + 116 * SEC);
        g_assert_cmpuint(mask, ==, V2V_PROGRESS_CHANGED_PROGRESS);
        g_assert_cmpuint(p->expected_end_usec, ==, T0 + 140 * SEC);

        /* a little slower, the estimate moves by 0.4 s: not worth a signal */
        mask = feed_log_s(p, "\xe2\x96\x9d  50% [*-]\r", T0 + 120 * SEC + 200000);
        g_assert_cmpuint(mask, ==, V2V_PROGRESS_CHANGED_PROGRESS);
        g_assert_cmpuint(p->expected_end_usec, ==, T0 + 140 * SEC);

        /* slower: 60% in 30 s, 2%/s, 20 s to go */
        mask = feed_log_s(p, "\xe2\x96\x9d  60% [*-]\r", T0 + 130 * SEC);
        g_assert_cmpuint(mask, ==, V2V_PROGRESS_CHANGED_PROGRESS | V2V_PROGRESS_CHANGED_EXPECTED_END);
        g_assert_cmpuint(p->expected_end_usec, ==, T0 + 150 * SEC);

        mask = feed_log_s(p, "\xe2\x96\x88 100% [**]\n", T0 + 145 * SEC);
        g_assert_cmpuint(p->expected_end_usec, ==, T0 + 145 * SEC);
}

static void test_robust(void) {
        g_autoptr(V2vProgress) p = v2v_progress_new();
        g_autofree char *big = g_malloc(1024 * 1024);
        static const char garbage[] =
                "[1,2]\n"
                "{\"type\": \"message\"}\n"
                "{\"type\": 5, \"message\": \"x\"}\n"
                "{\"type\": \"bogus\", \"message\": \"x\"}\n"
                "{\"type\": \"message\", \"message\": [\"x\"]}\n"
                "{\"message\": \"trailing\", \"type\": \"message\"} junk\n"
                "null\n";
        static const char kernel[] =
                "[    0.000000] Linux version 6.1.0-13-amd64\n"
                "[   1.0]\n"
                "[  1.0 ] x\n"
                "\xe2\x96\x9d 101% [**]\r"
                "50% [**\n";

        g_assert_cmpuint(v2v_progress_feed_machine(p, garbage, strlen(garbage), T0), ==, 0);
        g_assert_cmpuint(v2v_progress_feed_log(p, kernel, strlen(kernel), T0), ==, 0);
        g_assert_null(p->phase);
        g_assert_null(p->last_message_type);

        /* A line of 1 MiB is cut, not kept whole, and what follows is read. */
        memset(big, 'x', 1024 * 1024);
        v2v_progress_feed_log(p, big, 1024 * 1024, T0);
        g_assert_cmpuint(p->log_line->len, <=, 64 * 1024);
        v2v_progress_feed_log(p, big, 1024 * 1024, T0);
        g_assert_cmpuint(p->log_line->len, <=, 64 * 1024);
        feed_log_s(p, "\n[   1.0] Opening the source\n", T0);
        g_assert_cmpstr(p->phase, ==, "Opening the source");
        g_assert_cmpuint(p->log_line->allocated_len, <=, 4096);
        v2v_progress_feed_machine(p, big, 1024 * 1024, T0);
        g_assert_cmpuint(p->machine_line->len, <=, 64 * 1024);
        g_assert_cmpuint(feed_machine_s(p, "\n", T0), ==, 0);

        /* Bytes that are not UTF-8 (and a NUL) never reach a D-Bus string. */
        {
                static const char bad[] = "[   2.0] Bad \xff\xfe name\0here\n";

                v2v_progress_feed_log(p, bad, sizeof(bad) - 1, T0);
        }
        g_assert_true(g_utf8_validate(p->phase, -1, NULL));
        g_assert_true(g_str_has_prefix(p->phase, "Bad "));
        g_assert_true(g_str_has_suffix(p->phase, "here"));
        {
                g_autoptr(V2vProgress) m = v2v_progress_new();

                feed_machine_s(m, "{\"message\": \"M \xc3\x28\", \"type\": \"warning\"}\n", T0);
                g_assert_cmpstr(m->last_message_type, ==, "warning");
                g_assert_true(g_utf8_validate(m->last_message_text, -1, NULL));
                g_assert_true(g_str_has_prefix(m->last_message_text, "M "));
        }
}

/* Not a benchmark, a guard: 200 jobs × 10 steps/s must cost next to nothing. */
static void test_cost(void) {
        static const char bar[] = "\xe2\x96\x9d  12% [*****-----------------------------------]\r";
        g_autoptr(V2vProgress) p = v2v_progress_new();
        g_autoptr(GTimer) timer = g_timer_new();
        double elapsed;

        feed_log_s(p, "[   2.0] Copying disk 1/1\n", T0);
        for (unsigned i = 0; i < 200000; i++)
                v2v_progress_feed_log(p, bar, strlen(bar), T0 + i);
        elapsed = g_timer_elapsed(timer, NULL);
        g_test_message("200000 bar lines in %.3f s", elapsed);
        /* 200000 lines are 100 s of 200 jobs: even under valgrind well below that */
        g_assert_cmpfloat(elapsed, <, 30.0);
}

/* The whole job's Progress: phase floors before the copy, the copy mapped
 * to V2V_PROGRESS_COPY_START..V2V_PROGRESS_COPY_END, 99 after it, 100 only
 * at success; never backwards, whichever order the lines come in. */
static void test_whole_job(void) {
        g_autoptr(V2vProgress) p = v2v_progress_new();
        double seen;

        g_assert_cmpfloat(p->progress, ==, 0);
        feed_log_s(p, "[   0.0] Setting up the source: -i disk /x.img\n", T0);
        g_assert_cmpfloat(p->progress, ==, 1);
        feed_log_s(p, "[   1.0] Opening the source\n[  16.3] Inspecting the source\n", T0);
        g_assert_cmpfloat(p->progress, ==, 3);
        feed_log_s(p, "[  24.5] Converting 12.15 to run on KVM\n", T0);
        g_assert_cmpfloat(p->progress, ==, 5);
        /* a warning is not a phase: no change */
        feed_log_s(p, "virt-v2v: warning: could not add grub2 serial console (ignored)\n", T0);
        g_assert_cmpfloat(p->progress, ==, 5);
        feed_log_s(p, "[  83.5] Setting up the destination: -o disk -os /srv/out\n", T0);
        g_assert_cmpfloat(p->progress, ==, 9.5);
        feed_log_s(p, "[  84.6] Copying disk 1/1\n", T0);
        g_assert_cmpfloat(p->progress, ==, V2V_PROGRESS_COPY_START);
        feed_log_s(p, "\xe2\x96\x97  50% [****----]\r", T0 + SEC);
        g_assert_cmpfloat(p->copy_progress, ==, 50);
        g_assert_cmpfloat(p->progress, ==, V2V_PROGRESS_COPY_START + (V2V_PROGRESS_COPY_END - V2V_PROGRESS_COPY_START) / 2);
        seen = p->progress;
        /* an earlier phase's floor, arriving late, does not pull it back */
        feed_log_s(p, "[  85.0] Mapping filesystem data to avoid copying unused and blank areas\n", T0 + SEC);
        g_assert_cmpfloat(p->progress, ==, seen);
        feed_log_s(p, "\xe2\x96\x88 100% [********]\n", T0 + 2 * SEC);
        g_assert_cmpfloat(p->progress, ==, V2V_PROGRESS_COPY_END);
        feed_log_s(p, "[  85.9] Creating output metadata\n[  85.9] Finishing off\n", T0 + 2 * SEC);
        g_assert_cmpfloat(p->progress, ==, 99);
        g_assert_cmpuint(v2v_progress_complete(p), ==, V2V_PROGRESS_CHANGED_PROGRESS);
        g_assert_cmpfloat(p->progress, ==, 100);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/progress/transcript-log", test_transcript_log);
        g_test_add_func("/progress/transcript-machine", test_transcript_machine);
        g_test_add_func("/progress/transcript-both", test_transcript_both);
        g_test_add_func("/progress/chunked", test_chunked);
        g_test_add_func("/progress/multi-disk", test_multi_disk);
        g_test_add_func("/progress/legacy", test_legacy);
        g_test_add_func("/progress/error", test_error);
        g_test_add_func("/progress/change-masks", test_change_masks);
        g_test_add_func("/progress/expected-end", test_expected_end);
        g_test_add_func("/progress/robust", test_robust);
        g_test_add_func("/progress/cost", test_cost);
        g_test_add_func("/progress/whole-job", test_whole_job);
        return g_test_run();
}
