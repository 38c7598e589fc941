/* report.c - the report_list of the error envelope. */
#include <stdarg.h>

#include "report.h"

static void report_item_free(gpointer p)
{
  ps_report_item *it = p;
  g_free(it->item);
  g_free(it->content);
  g_free(it);
}

GPtrArray *ps_report_new(void)
{
  return g_ptr_array_new_with_free_func(report_item_free);
}

void ps_report_add(GPtrArray *report, const char *item, const char *fmt, ...)
{
  ps_report_item *it = g_new0(ps_report_item, 1);
  va_list ap;
  va_start(ap, fmt);
  it->item = g_strdup(item);
  it->content = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_ptr_array_add(report, it);
}

JsonNode *ps_report_to_json(const GPtrArray *report)
{
  JsonArray *a = json_array_new();
  for(guint i = 0; report && i < report->len; i++) {
    const ps_report_item *it = g_ptr_array_index(report, i);
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "item", it->item);
    json_object_set_string_member(o, "content", it->content);
    json_array_add_object_element(a, o);
  }
  JsonNode *n = json_node_new(JSON_NODE_ARRAY);
  json_node_take_array(n, a);
  return n;
}
