/* outbox_hook.h - libmynaportal internal: a probe at the steps of the
 * outbox's writes, for the crash tests.
 *
 * The crash tests (tests/client/test_outbox.c) must stop a process at an
 * exact point inside mp_outbox_enqueue, mp_outbox_mark_delivered and
 * mp_outbox_discard, e.g. after the package was renamed into DIR/packages
 * but before the entry was committed. The probe is a function pointer that
 * is NULL unless a test sets it; nothing outside this header (no setting,
 * no environment variable) can reach it, so a production process never
 * stops anywhere.
 *
 * Steps, in order of occurrence:
 *   "enqueue:inserted"   row inserted, transaction open, file still staged
 *   "enqueue:renamed"    file in DIR/packages, transaction still open
 *   "enqueue:committed"  entry committed, before returning
 *   "deliver:committed"  receipt committed, package not yet wiped
 *   "deliver:wiped"      package overwritten and unlinked, row still names it
 *   "discard:marked"     entry marked for discarding, package not yet wiped
 *   "discard:wiped"      package wiped, row not yet deleted
 */
#ifndef MYNAPORTAL_OUTBOX_HOOK_H
#define MYNAPORTAL_OUTBOX_HOOK_H

#include <glib.h>

G_BEGIN_DECLS

typedef void (*mp_outbox_step_hook)(const char *step);

/* Process-wide; NULL turns the probe off. */
void mp_outbox_set_step_hook(mp_outbox_step_hook hook);

G_END_DECLS

#endif
