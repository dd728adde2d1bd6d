/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xml-util: the few libxml2 helpers the sources module needs (OVF in ova.c,
 * libvirt domain XML in sources.c). Pure: data in, data out.
 *
 * libxml2 rather than GMarkup: the OVF and libvirt's XML use namespaces
 * (ovf:, rasd:, vssd:, vmw:, libosinfo:) with prefixes that vary between
 * producers; libxml2 resolves them, reports errors with line and column,
 * and is already loaded with libvirt. Documents are read without network
 * access, without loading external DTDs and without substituting entities
 * (libxml2's own limits bound entity amplification).
 */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

/* Parses len bytes; on error sets "WHAT: line L, column C: libxml2's text". */
xmlDoc *xml_parse(const char *what, const char *text, gsize len, GQuark domain, int code, GError **error);

/* The first child element of node whose local name is name (any namespace). */
xmlNode *xml_child(const xmlNode *node, const char *name);
/* The next sibling element after node with the same local name. */
xmlNode *xml_next(const xmlNode *node, const char *name);
/* Walks a path of local names separated by '/', from node. */
xmlNode *xml_path(const xmlNode *node, const char *path);
/* The value of the attribute whose local name is name (any namespace), or NULL. */
char *xml_attr(const xmlNode *node, const char *name);
/* The text content of node, stripped; NULL for a NULL node. */
char *xml_text(const xmlNode *node);
/* The text of the child element name, stripped. */
char *xml_child_text(const xmlNode *node, const char *name);

#define xml_foreach_child(c, parent, name) \
        for (xmlNode *c = xml_child((parent), (name)); c; c = xml_next(c, (name)))
