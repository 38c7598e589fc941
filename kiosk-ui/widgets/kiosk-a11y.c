/* kiosk-a11y.c - only the page of a stack that is shown is presented. */

#include "kiosk-a11y.h"

static void
update (GtkStack *stack)
{
  GtkWidget *visible = gtk_stack_get_visible_child (stack);

  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (stack)); c;
       c = gtk_widget_get_next_sibling (c))
    gtk_accessible_update_state (GTK_ACCESSIBLE (c), GTK_ACCESSIBLE_STATE_HIDDEN,
                                 c != visible, -1);
}

void
kiosk_a11y_track_stack (GtkStack *stack)
{
  g_return_if_fail (GTK_IS_STACK (stack));
  g_autoptr (GtkSelectionModel) pages = gtk_stack_get_pages (stack);

  g_signal_connect (stack, "notify::visible-child", G_CALLBACK (update), NULL);
  /* Pages added later start hidden too. */
  g_signal_connect_object (pages, "items-changed", G_CALLBACK (update), stack, G_CONNECT_SWAPPED);
  update (stack);
}
