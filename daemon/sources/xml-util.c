/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libxml/parser.h>
#include <string.h>

#include "sources/xml-util.h"

xmlDoc *xml_parse(const char *what, const char *text, gsize len, GQuark domain, int code, GError **error) {
        xmlParserCtxt *ctxt;
        xmlDoc *doc;

        if (len > G_MAXINT) {
                g_set_error(error, domain, code, "%s: too large", what);
                return NULL;
        }
        ctxt = xmlNewParserCtxt();
        if (!ctxt) {
                g_set_error(error, domain, code, "%s: out of memory", what);
                return NULL;
        }
        doc = xmlCtxtReadMemory(ctxt, text, (int) len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
        if (!doc || !xmlDocGetRootElement(doc)) {
                const xmlError *e = xmlCtxtGetLastError(ctxt);
                if (e && e->message) {
                        g_autofree char *msg = g_strdup(e->message);
                        g_strchomp(msg);
                        g_set_error(error, domain, code, "%s: XML error at line %d, column %d: %s",
                                    what, e->line, e->int2, msg);
                } else
                        g_set_error(error, domain, code, "%s: not an XML document", what);
                if (doc)
                        xmlFreeDoc(doc);
                doc = NULL;
        }
        xmlFreeParserCtxt(ctxt);
        return doc;
}

static gboolean is_elem(const xmlNode *n, const char *name) {
        return n->type == XML_ELEMENT_NODE && strcmp((const char *) n->name, name) == 0;
}

xmlNode *xml_child(const xmlNode *node, const char *name) {
        if (!node)
                return NULL;
        for (xmlNode *c = node->children; c; c = c->next)
                if (is_elem(c, name))
                        return c;
        return NULL;
}

xmlNode *xml_next(const xmlNode *node, const char *name) {
        for (xmlNode *c = node ? node->next : NULL; c; c = c->next)
                if (is_elem(c, name))
                        return c;
        return NULL;
}

xmlNode *xml_path(const xmlNode *node, const char *path) {
        g_auto(GStrv) parts = g_strsplit(path, "/", -1);

        for (char **p = parts; node && *p; p++)
                node = xml_child(node, *p);
        return (xmlNode *) node;
}

char *xml_attr(const xmlNode *node, const char *name) {
        if (!node)
                return NULL;
        for (xmlAttr *a = node->properties; a; a = a->next)
                if (strcmp((const char *) a->name, name) == 0) {
                        xmlChar *v = xmlNodeListGetString(node->doc, a->children, 1);
                        char *s = g_strdup(v ? (const char *) v : "");
                        xmlFree(v);
                        return s;
                }
        return NULL;
}

char *xml_text(const xmlNode *node) {
        xmlChar *v;
        char *s;

        if (!node)
                return NULL;
        v = xmlNodeGetContent(node);
        s = g_strstrip(g_strdup(v ? (const char *) v : ""));
        xmlFree(v);
        return s;
}

char *xml_child_text(const xmlNode *node, const char *name) {
        return xml_text(xml_child(node, name));
}
