/* kiosk-browse-util.c - calls, words and widgets the browsing pages share. */

#include "kiosk-browse-util.h"

#include <glib/gi18n-lib.h>
#include <string.h>

/* ---- calls ---- */

typedef struct
{
  GWeakRef owner;
  mp_client *client;
  GCancellable *cancellable;
  KioskBrowseDone done;
  gpointer data;
} BrowseCall;

static void
browse_call_free (BrowseCall *bc)
{
  g_weak_ref_clear (&bc->owner);
  g_clear_object (&bc->cancellable);
  g_free (bc);
}

static void
browse_call_answered (GObject *source, GAsyncResult *res, gpointer user_data)
{
  BrowseCall *bc = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(mp_result) result = mp_client_call_finish (bc->client, res, &error);
  g_autoptr(GObject) owner = g_weak_ref_get (&bc->owner);

  if (owner == NULL || (bc->cancellable && g_cancellable_is_cancelled (bc->cancellable)))
    /* The page was cleared, moved on or is gone: the answer is dropped
     * here, before anything of the page is touched. */
    g_debug ("a call of %s ended after it was cancelled",
             owner ? G_OBJECT_TYPE_NAME (owner) : "a page that is gone");
  else
    bc->done (owner, bc->cancellable, result, error, bc->data);
  browse_call_free (bc);
}

void
kiosk_browse_call (gpointer owner, mp_client *client, mp_call *call,
                   GCancellable *cancellable, KioskBrowseDone done, gpointer data)
{
  g_return_if_fail (G_IS_OBJECT (owner));
  g_return_if_fail (client != NULL);
  g_return_if_fail (call != NULL);

  BrowseCall *bc = g_new0 (BrowseCall, 1);
  g_weak_ref_init (&bc->owner, owner);
  bc->client = client;
  bc->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  bc->done = done;
  bc->data = data;
  mp_client_call_async (client, call, cancellable, browse_call_answered, bc);
}

GCancellable *
kiosk_browse_renew_cancellable (GCancellable **slot)
{
  kiosk_browse_cancel (slot);
  *slot = g_cancellable_new ();
  return *slot;
}

void
kiosk_browse_cancel (GCancellable **slot)
{
  if (*slot)
    g_cancellable_cancel (*slot);
  g_clear_object (slot);
}

/* ---- JSON ---- */

const char *
kiosk_browse_json_string (JsonObject *object, const char *member)
{
  if (object == NULL || !json_object_has_member (object, member))
    return NULL;
  JsonNode *n = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

static JsonNode *
member_node (JsonObject *object, const char *member)
{
  if (object == NULL || !json_object_has_member (object, member))
    return NULL;
  return json_object_get_member (object, member);
}

JsonObject *
kiosk_browse_json_object (JsonObject *object, const char *member)
{
  JsonNode *n = member_node (object, member);
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

JsonArray *
kiosk_browse_json_array_member (JsonObject *object, const char *member)
{
  return kiosk_browse_json_array (member_node (object, member));
}

gboolean
kiosk_browse_json_bool (JsonObject *object, const char *member, gboolean fallback)
{
  JsonNode *n = member_node (object, member);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return fallback;
  return json_node_get_boolean (n);
}

gint64
kiosk_browse_json_int (JsonObject *object, const char *member, gint64 fallback)
{
  JsonNode *n = member_node (object, member);
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (n);
}

JsonArray *
kiosk_browse_json_array (JsonNode *node)
{
  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

JsonObject *
kiosk_browse_json_object_at (JsonArray *array, guint i)
{
  if (array == NULL || i >= json_array_get_length (array))
    return NULL;
  JsonNode *n = json_array_get_element (array, i);
  return JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

const char *
kiosk_browse_json_string_at (JsonArray *array, guint i)
{
  if (array == NULL || i >= json_array_get_length (array))
    return NULL;
  JsonNode *n = json_array_get_element (array, i);
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (n);
}

guint
kiosk_browse_all_count (const mp_result *result, guint fallback)
{
  if (result->resultset == NULL || !JSON_NODE_HOLDS_OBJECT (result->resultset))
    return fallback;
  gint64 n = kiosk_browse_json_int (json_node_get_object (result->resultset), "all_count", -1);
  if (n < 0)
    return fallback;
  return (guint) MIN (n, (gint64) G_MAXUINT);
}

/* ---- words ---- */

typedef enum {
  UNIT_NONE,
  UNIT_YEN
} Unit;

typedef struct
{
  const char *key;
  const char *label;   /* msgid */
  Unit unit;
} KeyWord;

/* The data keys portal-sim serves in self-information (docs/portal-sim.md,
 * residents.json) and exchange records. */
static const KeyWord key_words[] = {
  /* Self-information: household */
  { "relationship", N_("Relationship"), UNIT_NONE },
  { "name", N_("Name"), UNIT_NONE },
  { "name_kana", N_("Name in kana"), UNIT_NONE },
  { "birth_date", N_("Date of birth"), UNIT_NONE },
  { "sex", N_("Sex"), UNIT_NONE },
  /* local tax */
  { "fiscal_year", N_("Fiscal year"), UNIT_NONE },
  { "tax", N_("Tax"), UNIT_NONE },
  { "total_income", N_("Total income"), UNIT_YEN },
  { "taxable_income", N_("Taxable income"), UNIT_YEN },
  { "income_levy", N_("Income-based tax"), UNIT_YEN },
  { "per_capita_levy", N_("Per-capita tax"), UNIT_YEN },
  { "annual_amount", N_("Amount per year"), UNIT_YEN },
  { "collection", N_("How it is paid"), UNIT_NONE },
  /* child allowance */
  { "recipient_relationship", N_("Recipient"), UNIT_NONE },
  { "child_relationship", N_("Child's relationship"), UNIT_NONE },
  { "child_birth_date", N_("Child's date of birth"), UNIT_NONE },
  { "monthly_amount", N_("Amount per month"), UNIT_YEN },
  { "status", N_("Status"), UNIT_NONE },
  { "since", N_("Since"), UNIT_NONE },
  /* health insurance */
  { "copay_rate", N_("Share you pay"), UNIT_NONE },
  { "insurer", N_("Insurer"), UNIT_NONE },
  { "kind", N_("Kind"), UNIT_NONE },
  { "qualified_on", N_("Insured since"), UNIT_NONE },
  { "role", N_("Insured as"), UNIT_NONE },
  /* pension */
  { "benefit", N_("Benefit"), UNIT_NONE },
  { "category", N_("Classification"), UNIT_NONE },
  { "months_paid", N_("Months paid"), UNIT_NONE },
  { "period", N_("Period"), UNIT_NONE },
  { "scheme", N_("Scheme"), UNIT_NONE },
  /* health check-ups */
  { "blood_pressure", N_("Blood pressure"), UNIT_NONE },
  { "bmi", N_("BMI"), UNIT_NONE },
  { "date", N_("Date"), UNIT_NONE },
  { "hba1c", N_("HbA1c"), UNIT_NONE },
  { "institution", N_("Institution"), UNIT_NONE },
  { "judgement", N_("Result"), UNIT_NONE },
  /* vaccinations */
  { "dose", N_("Dose"), UNIT_NONE },
  { "vaccine", N_("Vaccine"), UNIT_NONE },
  /* long-term care */
  { "annual_premium", N_("Premium per year"), UNIT_YEN },
  { "certification", N_("Care level"), UNIT_NONE },
  { "certified_period", N_("Certified for"), UNIT_NONE },
  { "insured_category", N_("Insured category"), UNIT_NONE },
  { "premium_stage", N_("Premium stage"), UNIT_NONE },
  /* exchange records */
  { "requester", N_("Requested by"), UNIT_NONE },
  { "provider", N_("Provided by"), UNIT_NONE },
  { "information", N_("Information"), UNIT_NONE },
  { "procedure", N_("For the procedure"), UNIT_NONE },
  { "legal_basis", N_("Legal basis"), UNIT_NONE },
};

static const KeyWord *
key_word (const char *key)
{
  for (gsize i = 0; key && i < G_N_ELEMENTS (key_words); i++)
    if (strcmp (key_words[i].key, key) == 0)
      return &key_words[i];
  return NULL;
}

const char *
kiosk_browse_key_label (const char *key)
{
  const KeyWord *w = key_word (key);
  return w ? _(w->label) : key;
}

/* 1234567 -> "1,234,567" */
static char *
grouped (gint64 n)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GINT64_FORMAT, n < 0 ? -n : n);
  GString *s = g_string_new (n < 0 ? "-" : "");
  gsize len = strlen (digits);
  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, digits[i]);
    }
  return g_string_free (s, FALSE);
}

char *
kiosk_browse_value_text (const char *key, JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("");
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);
      GString *s = g_string_new (NULL);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          g_autofree char *v = kiosk_browse_value_text (key, json_array_get_element (a, i));
          if (i > 0)
            g_string_append_c (s, '\n');
          g_string_append (s, v);
        }
      return g_string_free (s, FALSE);
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (o);
      GString *s = g_string_new (NULL);
      for (GList *l = members; l; l = l->next)
        {
          g_autofree char *v = kiosk_browse_value_text (l->data, json_object_get_member (o, l->data));
          if (s->len)
            g_string_append_c (s, '\n');
          /* Translators: one member of a nested piece of information, "label: value" */
          g_string_append_printf (s, _("%s: %s"), kiosk_browse_key_label (l->data), v);
        }
      return g_string_free (s, FALSE);
    }

  GType t = json_node_get_value_type (node);
  if (t == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  if (t == G_TYPE_BOOLEAN)
    return g_strdup (json_node_get_boolean (node) ? _("Yes") : _("No"));
  if (t == G_TYPE_INT64)
    {
      const KeyWord *w = key_word (key);
      g_autofree char *n = grouped (json_node_get_int (node));
      if (w && w->unit == UNIT_YEN)
        /* Translators: an amount of money; %s is the number with digit grouping */
        return g_strdup_printf (_("%s yen"), n);
      return g_steal_pointer (&n);
    }
  if (t == G_TYPE_DOUBLE)
    return g_strdup_printf ("%g", json_node_get_double (node));
  return g_strdup ("");
}

char *
kiosk_browse_date_text (const char *date)
{
  if (date == NULL)
    return g_strdup ("");
  /* "2026-10-10 09:00:00" -> "2026-10-10 09:00" */
  if (strlen (date) == 19 && date[10] == ' ' && date[13] == ':' && date[16] == ':')
    return g_strndup (date, 16);
  return g_strdup (date);
}

typedef struct
{
  const char *value;
  const char *label;   /* msgid */
} ValueWord;

static const char *
value_word (const ValueWord *words, gsize n, const char *value)
{
  if (value == NULL)
    return "";
  for (gsize i = 0; i < n; i++)
    if (strcmp (words[i].value, value) == 0)
      return _(words[i].label);
  return value;
}

const char *
kiosk_browse_category_label (const char *category)
{
  static const ValueWord words[] = {
    /* Translators: the procedure category 子育て */
    { "子育て", N_("Child-rearing") },
    /* Translators: the procedure category 介護 */
    { "介護", N_("Nursing care") },
    /* Translators: the procedure category 被災者支援 */
    { "被災者支援", N_("Disaster support") },
  };
  return value_word (words, G_N_ELEMENTS (words), category);
}

const char *
kiosk_browse_status_label (const char *status)
{
  static const ValueWord words[] = {
    /* Translators: application status 到達 */
    { "到達", N_("Received") },
    /* Translators: application status 審査中 */
    { "審査中", N_("Being examined") },
    /* Translators: application status 補正待ち */
    { "補正待ち", N_("Waiting for your correction") },
    /* Translators: application status 手続終了 */
    { "手続終了", N_("Completed") },
    /* Translators: application status 取下げ */
    { "取下げ", N_("Withdrawn") },
  };
  return value_word (words, G_N_ELEMENTS (words), status);
}

const char *
kiosk_browse_portal_status_label (const char *portal_status)
{
  static const ValueWord words[] = {
    /* Translators: the portal's status 処理中 */
    { "処理中", N_("In progress") },
    /* Translators: the portal's status 要訂正 */
    { "要訂正", N_("Needs correcting") },
    /* Translators: the portal's status 受付エラー */
    { "受付エラー", N_("Not accepted") },
    /* Translators: the portal's status 閲覧期間外 */
    { "閲覧期間外", N_("No longer shown") },
  };
  return value_word (words, G_N_ELEMENTS (words), portal_status);
}

gboolean
kiosk_browse_status_needs_correction (const char *status, const char *portal_status)
{
  return g_strcmp0 (status, "補正待ち") == 0 || g_strcmp0 (portal_status, "要訂正") == 0;
}

/* ---- widgets ---- */

GtkWidget *
kiosk_browse_label_new (const char *text, const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_widget_set_halign (label, GTK_ALIGN_FILL);
  if (css_class)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

/* The button inside an activatable row (see kiosk_browse_row_new), or NULL. */
static GtkWidget *
row_button (GtkWidget *widget)
{
  GtkWidget *child;
  if (!GTK_IS_LIST_BOX_ROW (widget))
    return NULL;
  child = gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (widget));
  return GTK_IS_BUTTON (child) ? child : NULL;
}

GtkWidget *
kiosk_browse_row_new (GtkWidget *child, gboolean activatable)
{
  GtkWidget *row = gtk_list_box_row_new ();
  gtk_widget_set_size_request (row, -1, 64);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), activatable);
  gtk_widget_set_margin_top (child, 12);
  gtk_widget_set_margin_bottom (child, 12);
  gtk_widget_set_margin_start (child, 16);
  gtk_widget_set_margin_end (child, 16);
  gtk_widget_set_valign (child, GTK_ALIGN_CENTER);
  if (activatable)
    {
      /* A row that does something is a button inside: GTK 4.8 gives list
       * rows no accessible action, so assistive tools (and the end-to-end
       * tests) could not press it otherwise. The button activates the row,
       * so the list's row-activated handler stays the one place. */
      GtkWidget *button = gtk_button_new ();
      gtk_widget_add_css_class (button, "flat");
      gtk_button_set_child (GTK_BUTTON (button), child);
      g_signal_connect_swapped (button, "clicked", G_CALLBACK (gtk_widget_activate), row);
      gtk_widget_set_focusable (row, FALSE);
      child = button;
    }
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), child);
  return row;
}

void
kiosk_browse_grid_add (GtkGrid *grid, int *row, const char *label, const char *value)
{
  if (value == NULL || *value == '\0')
    return;
  GtkWidget *l = kiosk_browse_label_new (label, "kiosk-muted");
  gtk_widget_add_css_class (l, "kiosk-body");
  gtk_widget_set_valign (l, GTK_ALIGN_START);
  GtkWidget *v = kiosk_browse_label_new (value, "kiosk-body");
  gtk_widget_set_hexpand (v, TRUE);
  gtk_grid_attach (grid, l, 0, *row, 1, 1);
  gtk_grid_attach (grid, v, 1, *row, 1, 1);
  (*row)++;
}

GtkWidget *
kiosk_browse_object_grid (JsonObject *object)
{
  GtkWidget *grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 24);
  int row = 0;
  g_autoptr(GList) members = json_object_get_members (object);
  for (GList *l = members; l; l = l->next)
    {
      g_autofree char *v = kiosk_browse_value_text (l->data, json_object_get_member (object, l->data));
      kiosk_browse_grid_add (GTK_GRID (grid), &row, kiosk_browse_key_label (l->data), v);
    }
  return grid;
}

void
kiosk_browse_box_clear (GtkBox *box)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))))
    gtk_box_remove (box, child);
}

void
kiosk_browse_list_clear (GtkListBox *list)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))))
    gtk_list_box_remove (list, child);
}

guint
kiosk_browse_list_count (GtkListBox *list)
{
  guint n = 0;
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (list)); c;
       c = gtk_widget_get_next_sibling (c))
    if (GTK_IS_LIST_BOX_ROW (c))
      n++;
  return n;
}

void
kiosk_browse_unparent_children (GtkWidget *widget)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child (widget)))
    gtk_widget_unparent (child);
}

void
kiosk_browse_set_name (GtkWidget *widget, const char *name)
{
  GtkWidget *button = row_button (widget);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  if (button)
    gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

void
kiosk_browse_set_description (GtkWidget *widget, const char *description)
{
  GtkWidget *button = row_button (widget);
  if (button)
    kiosk_browse_set_description (button, description);
  if (description && *description)
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (widget),
                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}
