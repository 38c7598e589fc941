/* session-test-util.h - what the session tests share: waiting on the main
 * context with a bound, private copies of the test PKI's card profiles. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Bound on every wait of these tests; a healthy run needs well under it. */
#define TEST_WAIT_S 60

typedef gboolean (*TestCondition) (gpointer data);

/* Iterate the thread-default main context until cond (data) holds; fails
 * the test after TEST_WAIT_S. */
void test_run_until (TestCondition cond, gpointer data, const char *what);
/* Until *flag is TRUE. */
void test_run_until_flag (const gboolean *flag, const char *what);

/* The result of an asynchronous call, kept for its _finish. */
typedef struct
{
  gboolean done;
  GAsyncResult *result;
} TestWait;

void test_wait_cb (GObject *source, GAsyncResult *result, gpointer data);
/* Wait for the callback and return its result (owned by w; free with
 * test_wait_clear). */
GAsyncResult *test_wait_result (TestWait *w, const char *what);
void test_wait_clear (TestWait *w);

/* The test PKI (MYNA_TEST_PKI). */
const char *test_pki_dir (void);
/* A copy of the profile's folder in dir/name; returns its profile.ini. The
 * copy has a state file of its own (PIN tries). */
char *test_profile_copy (const char *profile, const char *dir, const char *name);
/* A string of profiles.json's entry for profile ("auth_pin", ...). */
char *test_profile_string (const char *profile, const char *key);
/* rm -r */
void test_remove_tree (const char *dir);

G_END_DECLS
