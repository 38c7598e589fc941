/* router.c - method and path to a route. Patterns are literal segments and
 * "{}" (one non-empty segment); a path that some route matches with another
 * method is a 405 that names the methods it has. */
#include <string.h>

#include "server_internal.h"

struct ps_router {
  GPtrArray *routes;           /* const ps_route *, borrowed from the tables */
};

ps_router *ps_router_new(void)
{
  ps_router *r = g_new0(ps_router, 1);
  r->routes = g_ptr_array_new();
  return r;
}

void ps_router_free(ps_router *r)
{
  if(!r)
    return;
  g_ptr_array_unref(r->routes);
  g_free(r);
}

void ps_router_add(ps_router *r, const ps_route *table, bool dev)
{
  for(const ps_route *rt = table; rt->method; rt++) {
    /* Without --dev a dev route does not exist at all: 404, not 403. */
    if((rt->flags & PS_ROUTE_DEV) && !dev)
      continue;
    g_ptr_array_add(r->routes, (gpointer)rt);
  }
}

/* Matches path against pattern segment by segment; on success the {}
 * segments go to params (when not NULL). */
static bool match_pattern(const char *pattern, const char *path,
                          GPtrArray *params)
{
  const char *p = pattern, *q = path;
  if(*p != '/' || *q != '/')
    return false;
  while(*p && *q) {
    if(*p != '/' || *q != '/')
      return false;
    p++;
    q++;
    const char *pe = strchrnul(p, '/');
    const char *qe = strchrnul(q, '/');
    if(pe - p == 2 && p[0] == '{' && p[1] == '}') {
      if(qe == q)
        return false;
      if(params)
        g_ptr_array_add(params, g_strndup(q, (gsize)(qe - q)));
    }
    else if(pe - p != qe - q || memcmp(p, q, (size_t)(pe - p)) != 0)
      return false;
    p = pe;
    q = qe;
  }
  return *p == '\0' && *q == '\0';
}

ps_match ps_router_match(const ps_router *r, const char *method,
                         const char *path, const ps_route **route,
                         char ***params, char **allow)
{
  *route = NULL;
  *params = NULL;
  *allow = NULL;
  g_autoptr(GString) methods = NULL;
  for(guint i = 0; i < r->routes->len; i++) {
    const ps_route *rt = g_ptr_array_index(r->routes, i);
    if(strcmp(rt->method, method) == 0) {
      GPtrArray *ps = g_ptr_array_new_with_free_func(g_free);
      if(match_pattern(rt->pattern, path, ps)) {
        g_ptr_array_add(ps, NULL);
        *params = (char **)g_ptr_array_free(ps, FALSE);
        *route = rt;
        return PS_MATCH_FOUND;
      }
      g_ptr_array_unref(ps);
    }
    else if(match_pattern(rt->pattern, path, NULL)) {
      if(!methods)
        methods = g_string_new(NULL);
      /* Each method once, in table order. */
      g_autofree char *needle = g_strconcat(", ", rt->method, ",", NULL);
      g_autofree char *hay = g_strconcat(", ", methods->str, ",", NULL);
      if(!strstr(hay, needle)) {
        if(methods->len)
          g_string_append(methods, ", ");
        g_string_append(methods, rt->method);
      }
    }
  }
  if(methods) {
    *allow = g_string_free(g_steal_pointer(&methods), FALSE);
    return PS_MATCH_NO_METHOD;
  }
  return PS_MATCH_NO_PATH;
}
