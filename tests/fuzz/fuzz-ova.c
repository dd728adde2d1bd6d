/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target: the OVA reader (daemon/ova.c) and its XML helpers.
 *
 * Input: one control byte, then the data. Control % 5 picks what the data
 * is: 0 an OVF (ova_ovf_parse), 1 a manifest (ova_manifest_parse), 2 a
 * whole archive in memory (ova_archive_open + ova_inspect: tar or zip
 * headers, the OVF and manifest inside, checksums streamed, inflate),
 * 3 a libvirt domain XML (sources_domain_from_xml, daemon/sources.c),
 * 4 a source object (source_spec_parse).
 * Every member of a listed archive must be a safe path within the data.
 * See README.md beside this file.
 */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sources/ova.h"
#include "sources/sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
        const uint8_t *data;
        size_t size;
} Mem;

static gssize mem_read(void *userdata, const OvaMember *m, guint64 off, void *buf, gsize len, GError **error) {
        Mem *mem = userdata;

        if (m)
                abort();        /* archives read through the archive, never per member */
        if (off >= mem->size)
                return 0;
        len = MIN(len, mem->size - off);
        memcpy(buf, mem->data + off, len);
        return (gssize) len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        g_autoptr(GError) error = NULL;
        Mem mem;

        if (size < 1)
                return 0;
        mem.data = data + 1;
        mem.size = size - 1;
        switch (data[0] % 5) {
        case 0: {
                g_autoptr(JsonNode) vm = ova_ovf_parse((const char *) mem.data, mem.size, &error);
                if (!vm == !error)
                        abort();
                break;
        }
        case 1: {
                g_autoptr(GPtrArray) e = ova_manifest_parse((const char *) mem.data, mem.size, &error);
                if (!e == !error)
                        abort();
                break;
        }
        case 3: {
                g_autofree char *text = g_strndup((const char *) mem.data, mem.size);
                g_autoptr(JsonNode) vm = sources_domain_from_xml(text, &error);
                if (!vm == !error)
                        abort();
                break;
        }
        case 4: {
                g_autofree char *text = g_strndup((const char *) mem.data, mem.size);
                g_autoptr(SourceSpec) s = source_spec_parse(text, &error);
                if (!s == !error)
                        abort();
                break;
        }
        default: {
                g_autoptr(OvaArchive) a = ova_archive_open(mem_read, &mem, mem.size, &error);
                g_autoptr(JsonNode) vm = NULL;
                if (!a) {
                        if (!error)
                                abort();
                        break;
                }
                for (guint i = 0; i < ova_archive_n_members(a); i++) {
                        const OvaMember *m = ova_archive_member(a, i);
                        if (!ova_path_is_safe(m->name) || m->offset > mem.size || m->stored_size > mem.size - m->offset)
                                abort();
                }
                vm = ova_inspect(a, &error);
                if (!vm == !error)
                        abort();
                break;
        }
        }
        return 0;
}
