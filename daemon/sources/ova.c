/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <zlib.h>

#include "sources/ova.h"
#include "core/json-build.h"
#include "sources/xml-util.h"

G_DEFINE_QUARK(v2vd-ova-error-quark, ova_error)

#define CHUNK (64u * 1024)

struct OvaArchive {
        OvaKind kind;
        OvaReadFn read;
        void *userdata;
        guint64 size;
        GPtrArray *members;     /* OvaMember* */
};

static void member_free(OvaMember *m) {
        if (!m)
                return;
        g_free(m->name);
        g_free(m);
}

void ova_archive_free(OvaArchive *a) {
        if (!a)
                return;
        g_clear_pointer(&a->members, g_ptr_array_unref);
        g_free(a);
}

OvaKind ova_archive_kind(const OvaArchive *a) {
        return a->kind;
}

guint ova_archive_n_members(const OvaArchive *a) {
        return a->members->len;
}

const OvaMember *ova_archive_member(const OvaArchive *a, guint i) {
        return i < a->members->len ? a->members->pdata[i] : NULL;
}

static gboolean fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean fail(GError **error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        g_set_error_literal(error, OVA_ERROR, 0, "");
        g_free((*error)->message);
        (*error)->message = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        return FALSE;
}

gboolean ova_path_is_safe(const char *name) {
        g_auto(GStrv) parts = NULL;

        if (!name || !*name || name[0] == '/' || strchr(name, '\\') || strstr(name, "://"))
                return FALSE;
        parts = g_strsplit(name, "/", -1);
        for (char **p = parts; *p; p++)
                if (g_str_equal(*p, ".."))
                        return FALSE;
        return TRUE;
}

/* "./a//b" → "a/b"; NULL for a name escaping the archive. */
static char *normalise_name(const char *name) {
        g_auto(GStrv) parts = g_strsplit(name, "/", -1);
        g_autoptr(GPtrArray) keep = g_ptr_array_new();

        if (name[0] == '/' || !ova_path_is_safe(name))
                return NULL;
        for (char **p = parts; *p; p++)
                if (**p && !g_str_equal(*p, "."))
                        g_ptr_array_add(keep, *p);
        g_ptr_array_add(keep, NULL);
        return g_strjoinv("/", (char **) keep->pdata);
}

static gboolean read_exact(OvaArchive *a, const OvaMember *m, guint64 off, void *buf, gsize len, GError **error) {
        gsize done = 0;

        while (done < len) {
                gssize n = a->read(a->userdata, m, off + done, (char *) buf + done, len - done, error);
                if (n < 0)
                        return FALSE;
                if (n == 0)
                        return fail(error, "unexpected end of %s at offset %" G_GUINT64_FORMAT,
                                    m ? m->name : "the archive", off + done);
                done += (gsize) n;
        }
        return TRUE;
}

static gboolean add_member(OvaArchive *a, const char *raw, guint64 size, guint64 offset, guint64 stored,
                           int method, GError **error) {
        OvaMember *m;
        char *name;

        if (a->members->len >= OVA_MAX_MEMBERS)
                return fail(error, "more than %u members in the archive", OVA_MAX_MEMBERS);
        if (strlen(raw) > OVA_MAX_NAME_BYTES)
                return fail(error, "a member name longer than %u bytes", OVA_MAX_NAME_BYTES);
        name = normalise_name(raw);
        if (!name)
                return fail(error, "member path escapes the archive: %s", raw);
        if (!*name) {
                g_free(name);
                return TRUE;
        }
        m = g_new0(OvaMember, 1);
        m->name = name;
        m->size = size;
        m->offset = offset;
        m->stored_size = stored;
        m->method = method;
        g_ptr_array_add(a->members, m);
        return TRUE;
}

/* ------------------------------------------------------------------ tar */

static gboolean tar_number(const unsigned char *f, gsize len, guint64 *ret) {
        guint64 v = 0;
        gsize i = 0;

        if (f[0] & 0x80) {      /* GNU base-256 */
                if (f[0] != 0x80)
                        return FALSE;
                for (i = 1; i < len; i++) {
                        if (v >> 56)
                                return FALSE;
                        v = (v << 8) | f[i];
                }
                *ret = v;
                return TRUE;
        }
        while (i < len && f[i] == ' ')
                i++;
        for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
                if (v >> 60)
                        return FALSE;
                v = v * 8 + (guint64) (f[i] - '0');
        }
        for (; i < len; i++)
                if (f[i] != ' ' && f[i] != '\0')
                        return FALSE;
        *ret = v;
        return TRUE;
}

static gboolean tar_checksum_ok(const unsigned char *h) {
        guint64 want;
        unsigned sum = 0;

        if (!tar_number(h + 148, 8, &want))
                return FALSE;
        for (int i = 0; i < 512; i++)
                sum += (i >= 148 && i < 156) ? ' ' : h[i];
        return sum == want;
}

static char *field(const unsigned char *f, gsize len) {
        return g_strndup((const char *) f, len);
}

/* pax records "LEN key=value\n": picks path and size. */
static gboolean pax_parse(const char *data, gsize len, char **path, guint64 *size, gboolean *has_size,
                          GError **error) {
        gsize pos = 0;

        while (pos < len) {
                const char *rec = data + pos, *sp, *eq;
                guint64 reclen = 0;
                gsize i = 0;

                while (pos + i < len && g_ascii_isdigit(rec[i]) && reclen < len) {
                        reclen = reclen * 10 + (guint64) (rec[i] - '0');
                        i++;
                }
                if (reclen == 0 && i == 0 && rec[0] == '\0')
                        break;
                if (i == 0 || reclen <= i || reclen > len - pos || rec[reclen - 1] != '\n')
                        return fail(error, "corrupt pax header record");
                sp = rec + i;
                if (*sp != ' ')
                        return fail(error, "corrupt pax header record");
                eq = memchr(sp, '=', (gsize) reclen - i);
                if (!eq)
                        return fail(error, "corrupt pax header record");
                if ((gsize) (eq - sp - 1) == 4 && strncmp(sp + 1, "path", 4) == 0) {
                        g_free(*path);
                        *path = g_strndup(eq + 1, (gsize) (rec + reclen - 1 - (eq + 1)));
                } else if ((gsize) (eq - sp - 1) == 4 && strncmp(sp + 1, "size", 4) == 0) {
                        g_autofree char *v = g_strndup(eq + 1, (gsize) (rec + reclen - 1 - (eq + 1)));
                        if (!g_ascii_string_to_unsigned(v, 10, 0, G_MAXINT64, size, NULL))
                                return fail(error, "corrupt pax size \"%s\"", v);
                        *has_size = TRUE;
                }
                pos += (gsize) reclen;
        }
        return TRUE;
}

static gboolean tar_list(OvaArchive *a, GError **error) {
        unsigned char h[512];
        guint64 off = 0;
        g_autofree char *long_name = NULL, *pax_path = NULL;
        guint64 pax_size = 0;
        gboolean pax_has_size = FALSE;

        while (off + 512 <= a->size) {
                g_autofree char *name = NULL;
                guint64 size, data, next;
                gboolean zero = TRUE;
                char type;

                if (!read_exact(a, NULL, off, h, sizeof h, error))
                        return FALSE;
                for (int i = 0; i < 512 && zero; i++)
                        zero = h[i] == 0;
                if (zero)
                        return TRUE;    /* end of archive */
                if (!tar_checksum_ok(h) || !tar_number(h + 124, 12, &size))
                        return off == 0 ? fail(error, "not a tar or zip archive")
                                        : fail(error, "corrupt tar header at offset %" G_GUINT64_FORMAT, off);
                type = (char) h[156];
                data = off + 512;
                if (pax_has_size)
                        size = pax_size;
                if (size > a->size || data > a->size - size)
                        return fail(error, "truncated archive: member at offset %" G_GUINT64_FORMAT
                                    " ends beyond the end of the file", off);
                next = data + ((size + 511) & ~(guint64) 511);

                if (type == 'L' || type == 'x') {
                        g_autofree char *buf = NULL;
                        if (size > 1024 * 1024)
                                return fail(error, "tar extended header at offset %" G_GUINT64_FORMAT " too large", off);
                        buf = g_malloc0(size + 1);
                        if (!read_exact(a, NULL, data, buf, size, error))
                                return FALSE;
                        if (type == 'L') {
                                g_free(long_name);
                                long_name = g_strndup(buf, size);
                        } else if (!pax_parse(buf, size, &pax_path, &pax_size, &pax_has_size, error))
                                return FALSE;
                        off = next;
                        continue;
                }
                if (pax_path)
                        name = g_steal_pointer(&pax_path);
                else if (long_name)
                        name = g_steal_pointer(&long_name);
                else if (memcmp(h + 257, "ustar\0", 6) == 0 && h[345]) {
                        g_autofree char *prefix = field(h + 345, 155), *base = field(h, 100);
                        name = g_strconcat(prefix, "/", base, NULL);
                } else
                        name = field(h, 100);
                g_clear_pointer(&long_name, g_free);
                g_clear_pointer(&pax_path, g_free);
                pax_has_size = FALSE;

                if (type == '0' || type == '\0' || type == '7' || type == 'S') {
                        if (!add_member(a, name, size, data, size, 0, error))
                                return FALSE;
                } else if (type != '5' && type != 'g' && !ova_path_is_safe(name) && name[0])
                        return fail(error, "member path escapes the archive: %s", name);
                else if ((type == '1' || type == '2')) {
                        g_autofree char *target = field(h + 157, 100);
                        if (type == '2' && (target[0] == '/' || !ova_path_is_safe(target)))
                                return fail(error, "member %s links outside the archive (%s)", name, target);
                }
                off = next;
        }
        return TRUE;
}

/* ------------------------------------------------------------------ zip */

static guint32 le32(const unsigned char *p) {
        return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static guint16 le16(const unsigned char *p) {
        return (guint16) (p[0] | (p[1] << 8));
}

static gboolean zip_list(OvaArchive *a, GError **error) {
        gsize tail = (gsize) MIN(a->size, (guint64) 65535 + 22);
        g_autofree unsigned char *buf = g_malloc(tail);
        g_autofree unsigned char *cd = NULL;
        const unsigned char *eocd = NULL;
        guint32 cd_size, cd_off;
        guint16 n;
        gsize pos = 0;

        if (tail < 22 || !read_exact(a, NULL, a->size - tail, buf, tail, error))
                return tail < 22 ? fail(error, "corrupt zip archive: too short") : FALSE;
        for (gsize i = tail - 22 + 1; i-- > 0;)
                if (le32(buf + i) == 0x06054b50) {
                        eocd = buf + i;
                        break;
                }
        if (!eocd)
                return fail(error, "corrupt zip archive: no end of central directory");
        n = le16(eocd + 10);
        cd_size = le32(eocd + 12);
        cd_off = le32(eocd + 16);
        if (n == 0xffff || cd_size == 0xffffffff || cd_off == 0xffffffff)
                return fail(error, "zip64 archives are not supported; use a tar OVA");
        if ((guint64) cd_off + cd_size > a->size || cd_size > 16u * 1024 * 1024)
                return fail(error, "corrupt zip archive: central directory out of bounds");
        cd = g_malloc(cd_size ? cd_size : 1);
        if (!read_exact(a, NULL, cd_off, cd, cd_size, error))
                return FALSE;
        for (guint i = 0; i < n; i++) {
                unsigned char lh[30];
                g_autofree char *name = NULL;
                guint16 flags, method, nl, el, cl;
                guint32 csize, usize, loff;
                guint64 data;

                if (pos + 46 > cd_size || le32(cd + pos) != 0x02014b50)
                        return fail(error, "corrupt zip archive: bad central directory entry %u", i);
                flags = le16(cd + pos + 8);
                method = le16(cd + pos + 10);
                csize = le32(cd + pos + 20);
                usize = le32(cd + pos + 24);
                nl = le16(cd + pos + 28);
                el = le16(cd + pos + 30);
                cl = le16(cd + pos + 32);
                loff = le32(cd + pos + 42);
                if (pos + 46 + (gsize) nl + el + cl > cd_size)
                        return fail(error, "corrupt zip archive: bad central directory entry %u", i);
                name = g_strndup((const char *) cd + pos + 46, nl);
                pos += 46 + (gsize) nl + el + cl;
                if (csize == 0xffffffff || usize == 0xffffffff || loff == 0xffffffff)
                        return fail(error, "zip64 archives are not supported; use a tar OVA");
                if (g_str_has_suffix(name, "/")) {
                        if (!ova_path_is_safe(name))
                                return fail(error, "member path escapes the archive: %s", name);
                        continue;
                }
                if (flags & 1)
                        return fail(error, "zip member %s is encrypted", name);
                if ((guint64) loff + 30 > a->size || !read_exact(a, NULL, loff, lh, sizeof lh, error) ||
                    le32(lh) != 0x04034b50)
                        return error && *error ? FALSE
                                               : fail(error, "corrupt zip archive: bad local header of %s", name);
                data = (guint64) loff + 30 + le16(lh + 26) + le16(lh + 28);
                if (data > a->size || csize > a->size - data)
                        return fail(error, "truncated archive: member %s ends beyond the end of the file", name);
                if (!add_member(a, name, usize, data, csize, method, error))
                        return FALSE;
        }
        return TRUE;
}

OvaArchive *ova_archive_open(OvaReadFn read, void *userdata, guint64 archive_size, GError **error) {
        g_autoptr(OvaArchive) a = g_new0(OvaArchive, 1);
        unsigned char magic[4] = { 0 };

        a->read = read;
        a->userdata = userdata;
        a->size = archive_size;
        a->members = g_ptr_array_new_with_free_func((GDestroyNotify) member_free);
        if (archive_size < 4 || !read_exact(a, NULL, 0, magic, sizeof magic, error)) {
                if (error && !*error)
                        fail(error, "not a tar or zip archive (%" G_GUINT64_FORMAT " bytes)", archive_size);
                return NULL;
        }
        if (magic[0] == 0x1f && magic[1] == 0x8b) {
                fail(error, "not a tar or zip archive: it is gzip-compressed; decompress it first");
                return NULL;
        }
        if (le32(magic) == 0x04034b50 || le32(magic) == 0x06054b50) {
                a->kind = OVA_KIND_ZIP;
                if (!zip_list(a, error))
                        return NULL;
        } else {
                a->kind = OVA_KIND_TAR;
                if (archive_size < 512) {
                        fail(error, "not a tar or zip archive");
                        return NULL;
                }
                if (!tar_list(a, error))
                        return NULL;
        }
        return g_steal_pointer(&a);
}

OvaArchive *ova_archive_new_directory(OvaReadFn read, void *userdata, GPtrArray *names, GArray *sizes,
                                      GError **error) {
        g_autoptr(OvaArchive) a = g_new0(OvaArchive, 1);

        a->kind = OVA_KIND_DIRECTORY;
        a->read = read;
        a->userdata = userdata;
        a->members = g_ptr_array_new_with_free_func((GDestroyNotify) member_free);
        for (guint i = 0; i < names->len; i++) {
                guint64 size = g_array_index(sizes, guint64, i);
                if (!add_member(a, names->pdata[i], size, 0, size, 0, error))
                        return NULL;
        }
        return g_steal_pointer(&a);
}

/* ------------------------------------------------------- member streams */

typedef gboolean (*ChunkFn)(const void *data, gsize len, void *userdata, GError **error);

static gboolean member_raw(OvaArchive *a, const OvaMember *m, guint64 off, void *buf, gsize len, GError **error) {
        if (a->kind == OVA_KIND_DIRECTORY)
                return read_exact(a, m, off, buf, len, error);
        return read_exact(a, NULL, m->offset + off, buf, len, error);
}

static gboolean member_stream(OvaArchive *a, const OvaMember *m, ChunkFn fn, void *userdata, GError **error) {
        g_autofree unsigned char *in = g_malloc(CHUNK);
        guint64 off = 0;

        if (m->method == 0) {
                while (off < m->stored_size) {
                        gsize n = (gsize) MIN((guint64) CHUNK, m->stored_size - off);
                        if (!member_raw(a, m, off, in, n, error) || !fn(in, n, userdata, error))
                                return FALSE;
                        off += n;
                }
                return TRUE;
        }
        if (m->method == 8) {
                g_autofree unsigned char *out = g_malloc(CHUNK);
                z_stream z = { 0 };
                guint64 produced = 0;
                int zr = Z_OK;
                gboolean ok = TRUE;

                if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
                        return fail(error, "cannot inflate %s", m->name);
                while (ok && zr != Z_STREAM_END) {
                        if (z.avail_in == 0) {
                                gsize n = (gsize) MIN((guint64) CHUNK, m->stored_size - off);
                                if (n == 0) {
                                        ok = fail(error, "corrupt zip member %s: compressed data ends early", m->name);
                                        break;
                                }
                                if (!member_raw(a, m, off, in, n, error)) {
                                        ok = FALSE;
                                        break;
                                }
                                off += n;
                                z.next_in = in;
                                z.avail_in = (uInt) n;
                        }
                        z.next_out = out;
                        z.avail_out = CHUNK;
                        zr = inflate(&z, Z_NO_FLUSH);
                        if (zr != Z_OK && zr != Z_STREAM_END) {
                                ok = fail(error, "corrupt zip member %s: %s", m->name, z.msg ? z.msg : "inflate failed");
                                break;
                        }
                        produced += CHUNK - z.avail_out;
                        if (produced > m->size) {
                                ok = fail(error, "corrupt zip member %s: more data than its size", m->name);
                                break;
                        }
                        if (CHUNK - z.avail_out > 0 && !fn(out, CHUNK - z.avail_out, userdata, error))
                                ok = FALSE;
                }
                inflateEnd(&z);
                if (ok && produced != m->size)
                        ok = fail(error, "corrupt zip member %s: size mismatch", m->name);
                return ok;
        }
        return fail(error, "zip member %s uses compression method %d (only stored and deflate)", m->name, m->method);
}

typedef struct {
        GString *s;
        gsize max;
        const char *name;
} Collect;

static gboolean collect_chunk(const void *data, gsize len, void *userdata, GError **error) {
        Collect *c = userdata;

        if (c->s->len + len > c->max)
                return fail(error, "%s is larger than %zu bytes", c->name, c->max);
        g_string_append_len(c->s, data, (gssize) len);
        return TRUE;
}

static char *member_read_all(OvaArchive *a, const OvaMember *m, gsize max, gsize *len, GError **error) {
        Collect c = { g_string_new(NULL), max, m->name };

        if (m->size > max) {
                g_string_free(c.s, TRUE);
                fail(error, "%s is larger than %zu bytes", m->name, max);
                return NULL;
        }
        if (!member_stream(a, m, collect_chunk, &c, error)) {
                g_string_free(c.s, TRUE);
                return NULL;
        }
        *len = c.s->len;
        return g_string_free(c.s, FALSE);
}

static gboolean checksum_chunk(const void *data, gsize len, void *userdata, GError **error) {
        g_checksum_update(userdata, data, (gssize) len);
        return TRUE;
}

static const OvaMember *find_member(OvaArchive *a, const char *name) {
        for (guint i = 0; i < a->members->len; i++) {
                const OvaMember *m = a->members->pdata[i];
                if (g_str_equal(m->name, name))
                        return m;
        }
        return NULL;
}

/* ------------------------------------------------------------- manifest */

static void manifest_entry_free(OvaManifestEntry *e) {
        if (!e)
                return;
        g_free(e->algorithm);
        g_free(e->file);
        g_free(e->digest);
        g_free(e);
}

GPtrArray *ova_manifest_parse(const char *text, gsize len, GError **error) {
        g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func((GDestroyNotify) manifest_entry_free);
        g_autofree char *copy = g_strndup(text, len);
        g_auto(GStrv) lines = NULL;
        unsigned lineno = 0;

        if (strlen(copy) != len) {
                fail(error, "manifest: a NUL byte in the text");
                return NULL;
        }
        lines = g_strsplit(copy, "\n", -1);
        for (char **l = lines; *l; l++) {
                char *line = g_strstrip(*l), *open, *close, *eq, *digest;
                OvaManifestEntry *e;
                GChecksumType type;
                gsize dlen;

                lineno++;
                if (!*line)
                        continue;
                open = strchr(line, '(');
                close = strrchr(line, ')');
                eq = close ? strchr(close, '=') : NULL;
                if (!open || !close || close < open || !eq) {
                        fail(error, "manifest line %u: expected \"SHA256(FILE)= DIGEST\"", lineno);
                        return NULL;
                }
                *open = '\0';
                g_strstrip(line);
                if (g_ascii_strcasecmp(line, "SHA1") == 0) {
                        type = G_CHECKSUM_SHA1;
                        dlen = 40;
                } else if (g_ascii_strcasecmp(line, "SHA256") == 0) {
                        type = G_CHECKSUM_SHA256;
                        dlen = 64;
                } else if (g_ascii_strcasecmp(line, "SHA512") == 0) {
                        type = G_CHECKSUM_SHA512;
                        dlen = 128;
                } else {
                        fail(error, "manifest line %u: unknown algorithm \"%s\" (SHA1, SHA256 or SHA512)",
                             lineno, line);
                        return NULL;
                }
                digest = g_strstrip(eq + 1);
                *close = '\0';
                if (strlen(digest) != dlen || strspn(digest, "0123456789abcdefABCDEF") != dlen) {
                        fail(error, "manifest line %u: the %s digest of %s is not %zu hex digits",
                             lineno, line, open + 1, dlen);
                        return NULL;
                }
                e = g_new0(OvaManifestEntry, 1);
                e->type = type;
                e->algorithm = g_ascii_strup(line, -1);
                e->file = g_strdup(open + 1);
                e->digest = g_ascii_strdown(digest, -1);
                g_ptr_array_add(entries, e);
        }
        return g_steal_pointer(&entries);
}

/* ------------------------------------------------------------------ OVF */

gboolean ova_parse_allocation_units(const char *units, guint64 *ret) {
        g_autofree char *u = NULL;
        GString *compact = g_string_new(NULL);
        const char *rest;
        guint64 base, exp, v = 1;

        if (!units || !*units) {
                g_string_free(compact, TRUE);
                *ret = 1;
                return TRUE;
        }
        for (const char *p = units; *p; p++)
                if (!g_ascii_isspace(*p))
                        g_string_append_c(compact, g_ascii_tolower(*p));
        u = g_string_free(compact, FALSE);
        if (g_str_equal(u, "kilobytes") || g_str_equal(u, "kb"))
                return (*ret = 1024ULL), TRUE;
        if (g_str_equal(u, "megabytes") || g_str_equal(u, "mb"))
                return (*ret = 1024ULL * 1024), TRUE;
        if (g_str_equal(u, "gigabytes") || g_str_equal(u, "gb"))
                return (*ret = 1024ULL * 1024 * 1024), TRUE;
        if (g_str_equal(u, "terabytes") || g_str_equal(u, "tb"))
                return (*ret = 1024ULL * 1024 * 1024 * 1024), TRUE;
        if (g_str_has_prefix(u, "bytes"))
                rest = u + 5;
        else if (g_str_has_prefix(u, "byte"))
                rest = u + 4;
        else
                return FALSE;
        if (!*rest)
                return (*ret = 1), TRUE;
        if (*rest++ != '*')
                return FALSE;
        {
                const char *caret = strchr(rest, '^');
                g_autofree char *b = g_strndup(rest, caret ? (gsize) (caret - rest) : strlen(rest));
                if (!g_ascii_string_to_unsigned(b, 10, 1, G_MAXUINT32, &base, NULL))
                        return FALSE;
                if (!caret)
                        return (*ret = base), TRUE;
                if (!g_ascii_string_to_unsigned(caret + 1, 10, 0, 64, &exp, NULL))
                        return FALSE;
        }
        for (guint64 i = 0; i < exp; i++) {
                if (v > G_MAXUINT64 / base)
                        return FALSE;
                v *= base;
        }
        *ret = v;
        return TRUE;
}

/* value × units, or FALSE naming what is wrong. */
static gboolean scaled(const char *what, const char *value, const char *units, guint64 *ret, GError **error) {
        guint64 v, mult;

        if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT64, &v, NULL))
                return fail(error, "OVF: %s \"%s\" is not a number", what, value);
        if (!ova_parse_allocation_units(units, &mult))
                return fail(error, "OVF: %s has unknown allocation units \"%s\"", what, units);
        if (mult && v > G_MAXUINT64 / mult)
                return fail(error, "OVF: %s %s × %s is too large", what, value, units);
        *ret = v * mult;
        return TRUE;
}

/* "ovf:/disk/vmdisk1" or "/disk/vmdisk1" → "vmdisk1". */
static const char *disk_ref(const char *host_resource) {
        const char *s = host_resource ? strrchr(host_resource, '/') : NULL;
        return s && strstr(host_resource, "disk/") ? s + 1 : NULL;
}

static const char *controller_bus(unsigned type) {
        switch (type) {
        case 5: return "ide";
        case 6: return "scsi";
        case 20: return "sata";
        default: return NULL;
        }
}

static const char *firmware_of(xmlNode *vs, xmlNode *hw) {
        xml_foreach_child(c, hw, "Config") {
                g_autofree char *key = xml_attr(c, "key"), *value = xml_attr(c, "value");
                if (key && g_str_equal(key, "firmware") && value)
                        return g_ascii_strcasecmp(value, "efi") == 0 ? "uefi" : "bios";
        }
        /* oVirt's OVF: BiosType 2 (Q35 OVMF) and 3 (secure boot) are UEFI. */
        for (xmlNode *n = vs ? vs->children : NULL; n; n = n->next) {
                if (n->type == XML_ELEMENT_NODE && g_str_equal((const char *) n->name, "Section")) {
                        g_autofree char *bt = xml_child_text(n, "BiosType");
                        if (bt)
                                return g_str_equal(bt, "2") || g_str_equal(bt, "3") ? "uefi" : "bios";
                }
        }
        return "bios";
}

/* The envelope's virtual system (at the top or in a collection), its
 * hardware section and its name (or id). */
static gboolean ovf_virtual_system(xmlNode *env, xmlNode **ret_vs, xmlNode **ret_hw, char **ret_name,
                                   char **ret_id, GError **error) {
        xmlNode *vs, *hw;
        g_autofree char *name = NULL, *vs_id = NULL;

        if (!g_str_equal((const char *) env->name, "Envelope"))
                return fail(error, "OVF: the root element is <%s>, not <Envelope>", env->name), FALSE;
        vs = xml_child(env, "VirtualSystem");
        if (!vs)
                vs = xml_child(xml_child(env, "VirtualSystemCollection"), "VirtualSystem");
        if (!vs)
                return fail(error, "OVF: no <VirtualSystem> in the envelope"), FALSE;
        hw = xml_child(vs, "VirtualHardwareSection");
        if (!hw)
                return fail(error, "OVF: no <VirtualHardwareSection> in the virtual system"), FALSE;
        vs_id = xml_attr(vs, "id");
        name = xml_child_text(vs, "Name");
        if (!name || !*name) {
                g_free(name);
                name = g_strdup(vs_id);
        }
        if (!name || !*name)
                return fail(error, "OVF: the virtual system has no name"), FALSE;
        *ret_vs = vs;
        *ret_hw = hw;
        *ret_name = g_steal_pointer(&name);
        *ret_id = g_steal_pointer(&vs_id);
        return TRUE;
}

/* <References>: file id → href, each inside the archive. */
static GHashTable *ovf_file_refs(xmlNode *env, GError **error) {
        g_autoptr(GHashTable) files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

        xml_foreach_child(f, xml_child(env, "References"), "File") {
                g_autofree char *id = xml_attr(f, "id"), *href = xml_attr(f, "href");
                if (!id || !href)
                        return fail(error, "OVF: a <File> without id or href (line %ld)", xmlGetLineNo(f)), NULL;
                if (!ova_path_is_safe(href))
                        return fail(error, "OVF: file reference escapes the archive: %s", href), NULL;
                g_hash_table_replace(files, g_steal_pointer(&id), g_steal_pointer(&href));
        }
        return g_steal_pointer(&files);
}

/* Controllers by InstanceID → their bus, for the bus of each disk. */
static GHashTable *ovf_controllers(xmlNode *hw) {
        GHashTable *controllers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

        for (xmlNode *it = hw->children; it; it = it->next) {
                g_autofree char *rt = NULL, *iid = NULL;
                guint64 t;
                if (it->type != XML_ELEMENT_NODE || !g_str_has_suffix((const char *) it->name, "Item"))
                        continue;
                rt = xml_child_text(it, "ResourceType");
                iid = xml_child_text(it, "InstanceID");
                if (rt && iid && g_ascii_string_to_unsigned(rt, 10, 0, 100, &t, NULL) && controller_bus((unsigned) t))
                        g_hash_table_replace(controllers, g_steal_pointer(&iid), (gpointer) controller_bus((unsigned) t));
        }
        return controllers;
}

/* The hardware items: "nics" built, CPUs and memory counted, and each
 * disk's bus (disk id → bus) from its controller. */
static gboolean ovf_build_hardware(JsonBuilder *b, xmlNode *hw, GHashTable *controllers, GHashTable *disk_bus,
                                   guint64 *vcpus, guint64 *memory, GError **error) {
        json_builder_set_member_name(b, "nics");
        json_builder_begin_array(b);
        for (xmlNode *it = hw->children; it; it = it->next) {
                g_autofree char *rt = NULL, *q = NULL, *units = NULL;
                guint64 t;
                if (it->type != XML_ELEMENT_NODE || !g_str_has_suffix((const char *) it->name, "Item"))
                        continue;
                rt = xml_child_text(it, "ResourceType");
                if (!rt || !g_ascii_string_to_unsigned(rt, 10, 0, 65535, &t, NULL))
                        return fail(error, "OVF: an <%s> with no valid ResourceType (line %ld)", it->name,
                                    xmlGetLineNo(it)), FALSE;
                q = xml_child_text(it, "VirtualQuantity");
                units = xml_child_text(it, "AllocationUnits");
                if (t == 3 && q) {
                        if (!g_ascii_string_to_unsigned(q, 10, 1, 65536, vcpus, NULL))
                                return fail(error, "OVF: CPU VirtualQuantity \"%s\" is not a number of CPUs", q), FALSE;
                } else if (t == 4 && q) {
                        if (!scaled("memory", q, units ? units : "byte * 2^20", memory, error))
                                return FALSE;
                } else if (t == 10) {
                        g_autofree char *net = xml_child_text(it, "Connection");
                        g_autofree char *model = xml_child_text(it, "ResourceSubType");
                        g_autofree char *mac = xml_child_text(it, "Address");
                        json_builder_begin_object(b);
                        json_build_str(b, "network", net);
                        json_build_str(b, "model", model);
                        json_build_str(b, "mac", mac && *mac ? mac : NULL);
                        json_builder_end_object(b);
                } else if (t == 17) {
                        g_autofree char *hr = xml_child_text(it, "HostResource");
                        g_autofree char *parent = xml_child_text(it, "Parent");
                        const char *ref = disk_ref(hr);
                        const char *bus = parent ? g_hash_table_lookup(controllers, parent) : NULL;
                        if (ref && bus)
                                g_hash_table_replace(disk_bus, g_strdup(ref), (gpointer) bus);
                }
        }
        json_builder_end_array(b);
        return TRUE;
}

static void ovf_build_os(JsonBuilder *b, xmlNode *vs) {
        xmlNode *os = xml_child(vs, "OperatingSystemSection");
        g_autofree char *id = NULL, *ostype = NULL, *desc = NULL;

        if (!os)
                return;
        id = xml_attr(os, "id");
        ostype = xml_attr(os, "osType");
        desc = xml_child_text(os, "Description");
        json_builder_set_member_name(b, "os");
        json_builder_begin_object(b);
        json_build_str(b, "ovf_id", id);
        json_build_str(b, "type", ostype);
        json_build_str(b, "description", desc);
        json_builder_end_object(b);
}

static gboolean ovf_build_disks(JsonBuilder *b, xmlNode *env, GHashTable *files, GHashTable *disk_bus,
                                GError **error) {
        json_builder_set_member_name(b, "disks");
        json_builder_begin_array(b);
        xml_foreach_child(d, xml_child(env, "DiskSection"), "Disk") {
                g_autofree char *id = xml_attr(d, "diskId"), *ref = xml_attr(d, "fileRef");
                g_autofree char *cap = xml_attr(d, "capacity"), *units = xml_attr(d, "capacityAllocationUnits");
                g_autofree char *pop = xml_attr(d, "populatedSize"), *fmt = xml_attr(d, "format");
                const char *href = ref ? g_hash_table_lookup(files, ref) : NULL;
                const char *bus = id ? g_hash_table_lookup(disk_bus, id) : NULL;
                guint64 capacity = 0, populated = 0;

                if (!id || !cap)
                        return fail(error, "OVF: a <Disk> without diskId or capacity (line %ld)", xmlGetLineNo(d)), FALSE;
                if (ref && !href)
                        return fail(error, "OVF: disk %s refers to file \"%s\", which <References> does not list",
                                    id, ref), FALSE;
                if (!scaled("disk capacity", cap, units, &capacity, error))
                        return FALSE;
                if (pop && !scaled("disk populatedSize", pop, NULL, &populated, error))
                        return FALSE;
                json_builder_begin_object(b);
                json_build_str(b, "disk_id", id);
                json_build_str(b, "file", href);
                json_build_int(b, "capacity_bytes", (gint64) MIN(capacity, (guint64) G_MAXINT64));
                if (pop)
                        json_build_int(b, "populated_bytes", (gint64) MIN(populated, (guint64) G_MAXINT64));
                if (fmt)
                        json_build_str(b, "format", strstr(fmt, "vmdk") ? "vmdk" : strstr(fmt, "qcow") ? "qcow2" : fmt);
                json_build_str(b, "bus", bus);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
        return TRUE;
}

static void ovf_build_networks(JsonBuilder *b, xmlNode *env) {
        json_builder_set_member_name(b, "networks");
        json_builder_begin_array(b);
        xml_foreach_child(n, xml_child(env, "NetworkSection"), "Network") {
                g_autofree char *nname = xml_attr(n, "name"), *desc = xml_child_text(n, "Description");
                json_builder_begin_object(b);
                json_build_str(b, "name", nname);
                json_build_str(b, "description", desc);
                json_builder_end_object(b);
        }
        json_builder_end_array(b);
}

JsonNode *ova_ovf_parse(const char *text, gsize len, GError **error) {
        g_autoptr(xmlDoc) doc = xml_parse("OVF", text, len, OVA_ERROR, 0, error);
        g_autoptr(JsonBuilder) b = NULL;
        g_autoptr(GHashTable) files = NULL, controllers = NULL, disk_bus = NULL;
        xmlNode *env, *vs, *hw;
        guint64 vcpus = 0, memory = 0;
        g_autofree char *name = NULL, *vs_id = NULL;

        if (!doc)
                return NULL;
        env = xmlDocGetRootElement(doc);
        if (!ovf_virtual_system(env, &vs, &hw, &name, &vs_id, error))
                return NULL;
        files = ovf_file_refs(env, error);
        if (!files)
                return NULL;
        controllers = ovf_controllers(hw);
        disk_bus = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

        b = json_builder_new();
        json_builder_begin_object(b);
        json_build_str(b, "name", name);
        json_build_str(b, "ovf_id", vs_id);
        json_build_str(b, "state", "shutoff");
        if (!ovf_build_hardware(b, hw, controllers, disk_bus, &vcpus, &memory, error))
                return NULL;
        json_build_int(b, "vcpus", (gint64) (vcpus ? vcpus : 1));
        json_build_int(b, "memory_bytes", (gint64) MIN(memory, (guint64) G_MAXINT64));
        json_build_str(b, "firmware", firmware_of(vs, hw));
        ovf_build_os(b, vs);
        if (!ovf_build_disks(b, env, files, disk_bus, error))
                return NULL;
        ovf_build_networks(b, env);
        json_builder_end_object(b);
        return json_builder_get_root(b);
}

/* ------------------------------------------------------------- inspect */

static char *join_dir(const char *dir, const char *name) {
        return *dir ? g_strconcat(dir, "/", name, NULL) : g_strdup(name);
}

/* Every file the manifest names is there; those that fit in hash_limit
 * bytes, all of them together in the manifest's order, match their digest
 * (G_MAXUINT64: every one). The verified entries go to b when it is not
 * NULL. */
static gboolean verify_manifest(OvaArchive *a, const OvaMember *mf, const char *dir, guint64 hash_limit,
                                JsonBuilder *b, GError **error) {
        g_autofree char *text = NULL;
        g_autoptr(GPtrArray) entries = NULL;
        gsize len = 0;

        text = member_read_all(a, mf, OVA_MAX_MANIFEST_BYTES, &len, error);
        if (!text)
                return FALSE;
        entries = ova_manifest_parse(text, len, error);
        if (!entries) {
                g_prefix_error(error, "%s: ", mf->name);
                return FALSE;
        }
        if (b) {
                json_builder_set_member_name(b, "manifest");
                json_builder_begin_object(b);
                json_build_str(b, "file", mf->name);
                json_builder_set_member_name(b, "verified");
                json_builder_begin_array(b);
        }
        for (guint i = 0; i < entries->len; i++) {
                const OvaManifestEntry *e = entries->pdata[i];
                g_autofree char *path = NULL;
                g_autoptr(GChecksum) sum = NULL;
                const OvaMember *m;
                const char *got;

                if (!ova_path_is_safe(e->file))
                        return fail(error, "%s: file path escapes the archive: %s", mf->name, e->file);
                path = join_dir(dir, e->file);
                m = find_member(a, path);
                if (!m)
                        return fail(error, "%s names %s, which is not in the archive", mf->name, e->file);
                if (m->size > hash_limit)
                        continue;
                if (hash_limit != G_MAXUINT64)
                        hash_limit -= m->size;  /* a budget for all of them */
                sum = g_checksum_new(e->type);
                if (!member_stream(a, m, checksum_chunk, sum, error))
                        return FALSE;
                got = g_checksum_get_string(sum);
                if (!g_str_equal(got, e->digest))
                        return fail(error, "checksum mismatch for %s: the manifest has %s %s, the file has %s",
                                    e->file, e->algorithm, e->digest, got);
                if (!b)
                        continue;
                json_builder_begin_object(b);
                json_build_str(b, "file", e->file);
                json_build_str(b, "algorithm", e->algorithm);
                json_builder_end_object(b);
        }
        if (b) {
                json_builder_end_array(b);
                json_builder_end_object(b);
        }
        return TRUE;
}

static guint depth(const char *name) {
        guint n = 0;

        for (; *name; name++)
                n += *name == '/';
        return n;
}

/* The shallowest member (the first among equals) whose name ends with
 * suffix, in dir when dir is not NULL. */
static const OvaMember *find_suffix(OvaArchive *a, const char *dir, const char *suffix) {
        const OvaMember *best = NULL;

        for (guint i = 0; i < a->members->len; i++) {
                const OvaMember *m = a->members->pdata[i];
                g_autofree char *lower = g_ascii_strdown(m->name, -1);
                g_autofree char *mdir = g_path_get_dirname(m->name);
                if (!g_str_has_suffix(lower, suffix))
                        continue;
                if (dir && !g_str_equal(mdir, *dir ? dir : "."))
                        continue;
                if (!best || depth(m->name) < depth(best->name))
                        best = m;
        }
        return best;
}

/* The ovf's manifest: NAME.mf beside NAME.ovf, else any .mf in its
 * directory (NULL if none); *ret_dir the directory ("" at the top). */
static const OvaMember *find_manifest(OvaArchive *a, const OvaMember *ovf, char **ret_dir) {
        g_autofree char *dir = g_path_get_dirname(ovf->name);
        g_autofree char *base = NULL, *mf_name = NULL;
        const OvaMember *mf;

        if (g_str_equal(dir, ".")) {
                g_free(dir);
                dir = g_strdup("");
        }
        base = g_strndup(ovf->name, strlen(ovf->name) - 4);
        mf_name = g_strconcat(base, ".mf", NULL);
        mf = find_member(a, mf_name);
        if (!mf)
                mf = find_suffix(a, dir, ".mf");
        *ret_dir = g_steal_pointer(&dir);
        return mf;
}

JsonNode *ova_inspect(OvaArchive *a, GError **error) {
        static const char *const kinds[] = { "tar", "zip", "directory" };
        const OvaMember *ovf, *mf;
        g_autofree char *ovf_text = NULL, *dir = NULL;
        g_autoptr(JsonNode) vm = NULL;
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(GList) members = NULL;
        JsonObject *o;
        JsonArray *disks;
        gsize len = 0;

        ovf = find_suffix(a, NULL, ".ovf");
        if (!ovf) {
                fail(error, "no .ovf file in the %s", a->kind == OVA_KIND_DIRECTORY ? "directory" : "archive");
                return NULL;
        }
        ovf_text = member_read_all(a, ovf, OVA_MAX_OVF_BYTES, &len, error);
        if (!ovf_text)
                return NULL;
        vm = ova_ovf_parse(ovf_text, len, error);
        if (!vm) {
                g_prefix_error(error, "%s: ", ovf->name);
                return NULL;
        }
        mf = find_manifest(a, ovf, &dir);

        o = json_node_get_object(vm);
        disks = json_object_get_array_member(o, "disks");
        for (guint i = 0; disks && i < json_array_get_length(disks); i++) {
                JsonObject *d = json_array_get_object_element(disks, i);
                const char *file = json_object_get_string_member_with_default(d, "file", NULL);
                g_autofree char *path = NULL;
                const OvaMember *m;
                if (!file)
                        continue;
                path = join_dir(dir, file);
                m = find_member(a, path);
                if (!m) {
                        fail(error, "the OVF names disk file %s (disk %s), which is not in the %s", file,
                             json_object_get_string_member_with_default(d, "disk_id", "?"),
                             a->kind == OVA_KIND_DIRECTORY ? "directory" : "archive");
                        return NULL;
                }
                json_object_set_string_member(d, "path", m->name);
                json_object_set_int_member(d, "file_bytes", (gint64) MIN(m->size, (guint64) G_MAXINT64));
        }

        json_builder_begin_object(b);
        json_build_str(b, "archive", kinds[a->kind]);
        json_build_str(b, "ovf", ovf->name);
        if (mf) {
                if (!verify_manifest(a, mf, dir, G_MAXUINT64, b, error))
                        return NULL;
        } else {
                json_builder_set_member_name(b, "manifest");
                json_builder_add_null_value(b);
        }
        json_builder_end_object(b);
        {
                g_autoptr(JsonNode) extra = json_builder_get_root(b);
                JsonObject *eo = json_node_get_object(extra);
                members = json_object_get_members(eo);
                for (GList *l = members; l; l = l->next)
                        json_object_set_member(o, l->data, json_node_copy(json_object_get_member(eo, l->data)));
        }
        return g_steal_pointer(&vm);
}

gboolean ova_check_manifest(OvaArchive *a, guint64 hash_limit, GError **error) {
        const OvaMember *ovf = find_suffix(a, NULL, ".ovf"), *mf;
        g_autofree char *dir = NULL;

        if (!ovf)
                return TRUE;    /* no manifest to hold it to */
        mf = find_manifest(a, ovf, &dir);
        return !mf || verify_manifest(a, mf, dir, hash_limit, NULL, error);
}
