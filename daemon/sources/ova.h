/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ova: what is in an OVA, without extracting it. Pure: the bytes come
 * through an OvaIO callback (the helper reads files with pread, the tests
 * and the fuzz target from memory), and the answer is a JSON VM object.
 *
 * Archives: a tar (ustar, GNU long names, pax path/size, base-256 sizes),
 * a zip (stored or deflated members, no zip64), or an unpacked directory
 * whose member list the caller gives. Only the tar headers, the zip
 * central directory, the .ovf and the .mf are read into memory, each with a
 * bound; members named in the manifest are streamed through the checksum
 * 64 KiB at a time, so a huge disk costs time, never memory.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#define OVA_ERROR (ova_error_quark())
GQuark ova_error_quark(void);

#define OVA_MAX_OVF_BYTES      (16u * 1024 * 1024)
#define OVA_MAX_MANIFEST_BYTES (1u * 1024 * 1024)
#define OVA_MAX_MEMBERS        10000u
#define OVA_MAX_NAME_BYTES     4096u    /* with the member count: at most ~40 MiB of names */

typedef enum { OVA_KIND_TAR, OVA_KIND_ZIP, OVA_KIND_DIRECTORY } OvaKind;

typedef struct OvaMember {
        char *name;             /* path inside the archive, normalised */
        guint64 size;           /* uncompressed size */
        guint64 offset;         /* where its stored bytes start (archive); 0 in a directory */
        guint64 stored_size;    /* bytes stored (compressed size in a zip) */
        int method;             /* 0 stored, 8 deflate (zip) */
} OvaMember;

/* Reads up to len bytes at off: of the archive when m is NULL (tar, zip),
 * else of the directory member m. Returns the count (0 at the end) or -1
 * with error set. */
typedef gssize (*OvaReadFn)(void *userdata, const OvaMember *m, guint64 off, void *buf, gsize len, GError **error);

typedef struct OvaArchive OvaArchive;

/* A tar or zip archive of archive_size bytes. Errors: not a tar or zip, a
 * corrupt or truncated header, a member path escaping the archive. */
OvaArchive *ova_archive_open(OvaReadFn read, void *userdata, guint64 archive_size, GError **error);
/* An unpacked directory: names are relative paths, sizes their file sizes. */
OvaArchive *ova_archive_new_directory(OvaReadFn read, void *userdata, GPtrArray *names, GArray *sizes,
                                      GError **error);
void ova_archive_free(OvaArchive *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvaArchive, ova_archive_free)

OvaKind ova_archive_kind(const OvaArchive *a);
guint ova_archive_n_members(const OvaArchive *a);
const OvaMember *ova_archive_member(const OvaArchive *a, guint i);

/* Finds the .ovf, parses it, verifies the manifest when there is one and
 * checks every disk file the OVF names is there. Returns the VM object
 * (see ova_ovf_parse) plus "archive", "ovf", "manifest". */
JsonNode *ova_inspect(OvaArchive *a, GError **error);

/* The manifest beside the .ovf, if any (no .ovf or no manifest: nothing to
 * check, TRUE), against the archive: every file it
 * names is there, and those that fit, together, in hash_limit bytes (the
 * .ovf) match their digest; the others (the disks) are not read. Bounded,
 * so cheap enough to run before a job is queued; ova_inspect checks every
 * digest. */
gboolean ova_check_manifest(OvaArchive *a, guint64 hash_limit, GError **error);

/* The OVF text → the VM object: name, vcpus, memory_bytes, firmware, os,
 * disks [{disk_id, file, path, capacity_bytes, populated_bytes, format}],
 * nics [{network, model, mac}], networks [{name, description}]. */
JsonNode *ova_ovf_parse(const char *text, gsize len, GError **error);

/* OVF allocation units ("byte", "byte * 2^20", "MegaBytes", …) → the
 * multiplier; FALSE for an unknown unit. */
gboolean ova_parse_allocation_units(const char *units, guint64 *ret);

typedef struct OvaManifestEntry {
        GChecksumType type;
        char *algorithm;        /* "SHA1", "SHA256" */
        char *file;
        char *digest;           /* lower-case hex */
} OvaManifestEntry;

/* "SHA256(disk1.vmdk)= 0123…" lines → array of OvaManifestEntry*. */
GPtrArray *ova_manifest_parse(const char *text, gsize len, GError **error);

/* TRUE when name is a relative path staying inside the archive. */
gboolean ova_path_is_safe(const char *name);
