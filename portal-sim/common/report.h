/* report.h - the report_list of portal-api.md's error envelope: what failed,
 * one entry per finding, so that a rejection names every reason at once.
 *
 *   item     what the finding is about: a form field ("form.child_name"),
 *            a file in a package ("attachment:jumin.pdf"), a rule
 *            ("photo.aspect_ratio"), a certificate ("sign_cert") ...
 *   content  what is wrong, in Japanese, for a person to read and act on.
 */
#ifndef PORTALSIM_REPORT_H
#define PORTALSIM_REPORT_H

#include <glib.h>
#include <json-glib/json-glib.h>

typedef struct ps_report_item {
  char *item;
  char *content;
} ps_report_item;

/* A GPtrArray of ps_report_item that frees its items. */
GPtrArray *ps_report_new(void);

void ps_report_add(GPtrArray *report, const char *item, const char *fmt, ...)
  G_GNUC_PRINTF(3, 4);

/* [{"item": ..., "content": ...}, ...]; a new node, never NULL. */
JsonNode *ps_report_to_json(const GPtrArray *report);

#endif
