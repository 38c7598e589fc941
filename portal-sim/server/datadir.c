/* datadir.c - making a data directory (portal-api.md "portal-sim's data
 * directory") from the project's test PKI and the seed content: a fresh
 * local TLS CA and server certificate, the JPKI trust anchors, CRLs and CA
 * keys, the terminal CA, residents.json, municipal-users.json and the
 * catalogue.
 *
 * Everything is written into a temporary directory beside the target and
 * renamed into place at the end, so that a crash leaves either no data
 * directory or a whole one, never half of one. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "server_internal.h"

#define TLS_CA_DAYS 3650        /* [S] a test CA; new data dir, new CA */
#define TLS_SERVER_DAYS 825     /* [S] the CA/Browser Forum's old ceiling */

static bool start_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool start_error(GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, PS_START_ERROR, PS_START_ERROR_FAILED, msg);
  return false;
}

bool ps_read_file(const char *path, char **data, size_t *len, GError **error)
{
  g_autoptr(GError) err = NULL;
  gsize n = 0;
  if(!g_file_get_contents(path, data, &n, &err))
    return start_error(error, "%s: cannot read it (%s)", path, err->message);
  if(len)
    *len = n;
  return true;
}

/* Creates path (which must not exist) with mode 0600 and the whole content,
 * on disk before it returns. */
static bool write_file(const char *path, const void *data, size_t len,
                       GError **error)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if(fd < 0)
    return start_error(error, "%s: cannot create it (%s)", path, g_strerror(errno));
  const char *p = data;
  while(len > 0) {
    ssize_t n = write(fd, p, len);
    if(n < 0 && errno == EINTR)
      continue;
    if(n <= 0) {
      int e = errno;
      close(fd);
      return start_error(error, "%s: cannot write it (%s)", path, g_strerror(e));
    }
    p += n;
    len -= (size_t)n;
  }
  if(fsync(fd) != 0 || close(fd) != 0)
    return start_error(error, "%s: cannot write it to disk (%s)", path,
                       g_strerror(errno));
  return true;
}

static bool copy_file(const char *from, const char *to, GError **error)
{
  g_autofree char *data = NULL;
  size_t len = 0;
  if(!ps_read_file(from, &data, &len, error))
    return false;
  bool ok = write_file(to, data, len, error);
  if(data)
    explicit_bzero(data, len);   /* CA keys pass through here */
  return ok;
}

static bool sync_dir(const char *path)
{
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if(fd < 0)
    return false;
  bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

static bool make_dir(const char *path, GError **error)
{
  if(mkdir(path, 0700) != 0)
    return start_error(error, "%s: cannot create it (%s)", path, g_strerror(errno));
  return true;
}

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
  return remove(path);
}

static void rm_rf(const char *path)
{
  nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the TLS identity ---- */

static bool add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
  if(!ext)
    return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

static bool random_serial(X509 *cert)
{
  BIGNUM *bn = BN_new();
  /* 127 random bits: positive, and unique without any state to keep. */
  bool ok = bn && BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
  BN_free(bn);
  return ok;
}

static X509 *new_cert(EVP_PKEY *key, const char *cn, long days)
{
  X509 *c = X509_new();
  if(!c)
    return NULL;
  X509_NAME *n = X509_get_subject_name(c);
  bool ok = X509_set_version(c, X509_VERSION_3) == 1 && random_serial(c) &&
            X509_gmtime_adj(X509_getm_notBefore(c), -3600) != NULL &&
            X509_time_adj_ex(X509_getm_notAfter(c), (int)days, 0, NULL) != NULL &&
            X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
                                       (const unsigned char *)"mynaterm portal-sim (test only)",
                                       -1, -1, 0) == 1 &&
            X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
                                       (const unsigned char *)cn, -1, -1, 0) == 1 &&
            X509_set_pubkey(c, key) == 1;
  if(!ok) {
    X509_free(c);
    return NULL;
  }
  return c;
}

static bool write_pem(const char *path, X509 *cert, EVP_PKEY *key, GError **error)
{
  BIO *b = BIO_new(BIO_s_mem());
  bool ok = b && (cert ? PEM_write_bio_X509(b, cert)
                       : PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) == 1;
  char *data = NULL;
  long len = ok ? BIO_get_mem_data(b, &data) : 0;
  ok = ok && len > 0 && write_file(path, data, (size_t)len, error);
  if(data && len > 0)
    explicit_bzero(data, (size_t)len);
  BIO_free(b);
  if(!ok && error && !*error)
    start_error(error, "%s: cannot encode it", path);
  return ok;
}

bool ps_tls_make(const char *tls_dir, GError **error)
{
  bool ok = false;
  EVP_PKEY *ca_key = EVP_EC_gen("P-256");
  EVP_PKEY *srv_key = EVP_EC_gen("P-256");
  X509 *ca = NULL, *srv = NULL;
  g_autofree char *stamp = ps_format_jst(g_get_real_time() / G_USEC_PER_SEC);
  g_autofree char *ca_cn = g_strdup_printf("portal-sim local TLS CA %s", stamp);
  g_autofree char *ca_pem = g_build_filename(tls_dir, "ca.pem", NULL);
  g_autofree char *ca_keyf = g_build_filename(tls_dir, "ca.key", NULL);
  g_autofree char *srv_pem = g_build_filename(tls_dir, "server.pem", NULL);
  g_autofree char *srv_keyf = g_build_filename(tls_dir, "server.key", NULL);
  if(!ca_key || !srv_key)
    goto done;
  ca = new_cert(ca_key, ca_cn, TLS_CA_DAYS);
  srv = new_cert(srv_key, "localhost", TLS_SERVER_DAYS);
  if(!ca || !srv)
    goto done;
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca, ca, NULL, NULL, 0);
  if(X509_set_issuer_name(ca, X509_get_subject_name(ca)) != 1 ||
     !add_ext(ca, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
     !add_ext(ca, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") ||
     !add_ext(ca, &ctx, NID_subject_key_identifier, "hash") ||
     !add_ext(ca, &ctx, NID_authority_key_identifier, "keyid:always") ||
     X509_sign(ca, ca_key, EVP_sha256()) <= 0)
    goto done;
  X509V3_set_ctx(&ctx, ca, srv, NULL, NULL, 0);
  if(X509_set_issuer_name(srv, X509_get_subject_name(ca)) != 1 ||
     !add_ext(srv, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
     !add_ext(srv, &ctx, NID_key_usage, "critical,digitalSignature") ||
     !add_ext(srv, &ctx, NID_ext_key_usage, "serverAuth") ||
     !add_ext(srv, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") ||
     !add_ext(srv, &ctx, NID_subject_key_identifier, "hash") ||
     !add_ext(srv, &ctx, NID_authority_key_identifier, "keyid:always") ||
     X509_sign(srv, ca_key, EVP_sha256()) <= 0)
    goto done;

  ok = write_pem(ca_pem, ca, NULL, error) && write_pem(ca_keyf, NULL, ca_key, error) &&
       write_pem(srv_pem, srv, NULL, error) && write_pem(srv_keyf, NULL, srv_key, error);
  if(!ok)
    goto done_quiet;

done:
  if(!ok)
    start_error(error, "%s: making the TLS certificates failed (OpenSSL)", tls_dir);
done_quiet:
  X509_free(ca);
  X509_free(srv);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(srv_key);
  return ok;
}

/* ---- residents.json from the test PKI ---- */

JsonNode *ps_residents_build(const char *profiles_json_path,
                             const char *seed_path, GError **error)
{
  g_autoptr(JsonParser) pp = json_parser_new();
  g_autoptr(JsonParser) sp = json_parser_new();
  g_autoptr(GError) err = NULL;
  if(!json_parser_load_from_mapped_file(pp, profiles_json_path, &err)) {
    start_error(error, "%s: cannot read it (%s); build the test PKI first "
                "(target test-pki) or pass --pki DIR", profiles_json_path,
                err->message);
    return NULL;
  }
  if(!json_parser_load_from_mapped_file(sp, seed_path, &err)) {
    start_error(error, "%s: cannot read it (%s)", seed_path, err->message);
    return NULL;
  }
  JsonNode *proot = json_parser_get_root(pp);
  JsonNode *sroot = json_parser_get_root(sp);
  JsonObject *po = proot && JSON_NODE_HOLDS_OBJECT(proot) ? json_node_get_object(proot) : NULL;
  JsonObject *so = sroot && JSON_NODE_HOLDS_OBJECT(sroot) ? json_node_get_object(sroot) : NULL;
  JsonNode *profiles = po ? json_object_get_member(po, "profiles") : NULL;
  JsonNode *seeds = so ? json_object_get_member(so, "residents") : NULL;
  if(!profiles || !JSON_NODE_HOLDS_ARRAY(profiles)) {
    start_error(error, "%s: no \"profiles\" array; regenerate the test PKI",
                profiles_json_path);
    return NULL;
  }
  if(!seeds || !JSON_NODE_HOLDS_OBJECT(seeds)) {
    start_error(error, "%s: no \"residents\" object keyed by profile name", seed_path);
    return NULL;
  }
  JsonObject *seedo = json_node_get_object(seeds);
  JsonArray *pa = json_node_get_array(profiles);
  JsonArray *out = json_array_new();
  for(guint i = 0; i < json_array_get_length(pa); i++) {
    JsonNode *en = json_array_get_element(pa, i);
    JsonObject *prof = JSON_NODE_HOLDS_OBJECT(en) ? json_node_get_object(en) : NULL;
    const char *name = ps_json_string(prof, "name");
    JsonNode *sn = name ? json_object_get_member(seedo, name) : NULL;
    JsonObject *seed = sn && JSON_NODE_HOLDS_OBJECT(sn) ? json_node_get_object(sn) : NULL;
    if(!seed) {
      /* Every profile of the test PKI is a registered resident; one that
       * the seed does not know is a new profile whose content is missing. */
      json_array_unref(out);
      start_error(error, "%s: no entry for the test PKI's profile \"%s\"; add one",
                  seed_path, name ? name : "?");
      return NULL;
    }
    JsonObject *r = json_object_new();
    json_object_set_string_member(r, "id", ps_json_string(seed, "id"));
    json_object_set_string_member(r, "profile", name);
    JsonObject *ac = json_object_new();
    json_object_set_string_member(ac, "issuer", ps_json_string(prof, "auth_cert_issuer"));
    json_object_set_string_member(ac, "serial", ps_json_string(prof, "auth_cert_serial"));
    json_object_set_object_member(r, "auth_cert", ac);
    /* The sign certificate too, when the card has one (a child's has
     * not): J-LIS's link of the two certificates, which lets a terminal
     * relay this resident's signed applications without a token [S]. */
    const char *sign_issuer = ps_json_string(prof, "sign_cert_issuer");
    const char *sign_serial = ps_json_string(prof, "sign_cert_serial");
    if(sign_issuer && sign_serial) {
      JsonObject *sc = json_object_new();
      json_object_set_string_member(sc, "issuer", sign_issuer);
      json_object_set_string_member(sc, "serial", sign_serial);
      json_object_set_object_member(r, "sign_cert", sc);
    }
    json_object_set_string_member(r, "name", ps_json_string(prof, "holder_name"));
    json_object_set_string_member(r, "name_kana", ps_json_string(prof, "holder_name_kana"));
    json_object_set_string_member(r, "birth_date", ps_json_string(prof, "birth_date"));
    json_object_set_string_member(r, "sex", ps_json_string(prof, "sex"));
    json_object_set_string_member(r, "address", ps_json_string(prof, "address"));
    json_object_set_string_member(r, "city_code", ps_json_string(prof, "city_code"));
    static const char *const parts[] = { "selfinfo", "records", "notices" };
    for(size_t k = 0; k < G_N_ELEMENTS(parts); k++) {
      JsonNode *v = json_object_get_member(seed, parts[k]);
      json_object_set_member(r, parts[k], v ? ps_json_copy(v)
                                            : json_node_new(k == 0 ? JSON_NODE_OBJECT
                                                                   : JSON_NODE_ARRAY));
      if(!v) {
        JsonNode *n = json_object_get_member(r, parts[k]);
        if(k == 0)
          json_node_take_object(n, json_object_new());
        else
          json_node_take_array(n, json_array_new());
      }
    }
    json_array_add_object_element(out, r);
  }
  JsonObject *top = json_object_new();
  json_object_set_int_member(top, "format", 1);
  json_object_set_array_member(top, "residents", out);
  JsonNode *root = json_node_new(JSON_NODE_OBJECT);
  json_node_take_object(root, top);
  return root;
}

/* ---- the whole directory ---- */

static bool dir_is_empty(const char *path, bool *empty)
{
  DIR *d = opendir(path);
  if(!d)
    return false;
  *empty = true;
  struct dirent *de;
  while((de = readdir(d))) {
    if(strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
      *empty = false;
      break;
    }
  }
  closedir(d);
  return true;
}

static bool fill(const char *tmp, const ps_datadir_sources *src, GError **error)
{
  g_autofree char *tls = g_build_filename(tmp, "tls", NULL);
  g_autofree char *trust = g_build_filename(tmp, "trust", NULL);
  g_autofree char *catalog = g_build_filename(tmp, "catalog", NULL);
  g_autofree char *profiles = g_build_filename(src->pki_dir, "profiles.json", NULL);
  if(!g_file_test(profiles, G_FILE_TEST_IS_REGULAR))
    return start_error(error, "%s: the test PKI is not there; build it (target "
                       "test-pki) or pass --pki DIR", profiles);
  if(!make_dir(tls, error) || !make_dir(trust, error) || !make_dir(catalog, error))
    return false;
  if(!ps_tls_make(tls, error))
    return false;

  static const char *const trust_files[] = {
    "auth-ca.pem", "sign-ca.pem", "auth-ca.key", "sign-ca.key",
    "auth-ca.crl.pem", "sign-ca.crl.pem",
  };
  for(size_t i = 0; i < G_N_ELEMENTS(trust_files); i++) {
    g_autofree char *from = g_build_filename(src->pki_dir, "ca", trust_files[i], NULL);
    g_autofree char *to = g_build_filename(trust, trust_files[i], NULL);
    if(!copy_file(from, to, error))
      return false;
  }

  /* The CA of the terminals' TLS client certificates, when the PKI has
   * one (a PKI of one's own may not: then terminals are known by
   * X-Terminal-Id only). */
  g_autofree char *term_ca = g_build_filename(src->pki_dir, "terminals", "ca.pem", NULL);
  if(g_file_test(term_ca, G_FILE_TEST_EXISTS)) {
    g_autofree char *to = g_build_filename(trust, "terminal-ca.pem", NULL);
    if(!copy_file(term_ca, to, error))
      return false;
  }

  g_autofree char *seed = g_build_filename(src->seed_dir, "residents-seed.json", NULL);
  JsonNode *res = ps_residents_build(profiles, seed, error);
  if(!res)
    return false;
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_pretty(gen, TRUE);
  json_generator_set_indent(gen, 2);
  json_generator_set_root(gen, res);
  json_node_unref(res);
  gsize rlen = 0;
  g_autofree char *rtext = json_generator_to_data(gen, &rlen);
  g_autofree char *rpath = g_build_filename(tmp, "residents.json", NULL);
  if(!write_file(rpath, rtext, rlen, error))
    return false;

  g_autofree char *mfrom = g_build_filename(src->seed_dir, "municipal-users.json", NULL);
  g_autofree char *mto = g_build_filename(tmp, "municipal-users.json", NULL);
  if(!copy_file(mfrom, mto, error))
    return false;

  /* The catalogue as its owner has it now; none yet is fine. */
  GDir *cd = src->catalog_dir ? g_dir_open(src->catalog_dir, 0, NULL) : NULL;
  if(cd) {
    const char *n;
    bool ok = true;
    while(ok && (n = g_dir_read_name(cd))) {
      if(!g_str_has_suffix(n, ".json"))
        continue;
      g_autofree char *from = g_build_filename(src->catalog_dir, n, NULL);
      g_autofree char *to = g_build_filename(catalog, n, NULL);
      ok = copy_file(from, to, error);
    }
    g_dir_close(cd);
    if(!ok)
      return false;
  }
  if(!sync_dir(tls) || !sync_dir(trust) || !sync_dir(catalog) || !sync_dir(tmp))
    return start_error(error, "%s: cannot write it to disk (%s)", tmp, g_strerror(errno));
  return true;
}

bool ps_datadir_prepare(const char *dir, const ps_datadir_sources *src,
                        bool *created, GError **error)
{
  *created = false;
  struct stat st;
  if(stat(dir, &st) == 0) {
    if(!S_ISDIR(st.st_mode))
      return start_error(error, "%s: not a directory; give --data a directory", dir);
    bool empty = false;
    if(!dir_is_empty(dir, &empty))
      return start_error(error, "%s: cannot read it (%s)", dir, g_strerror(errno));
    if(!empty)
      return true;             /* an existing data directory: never touched */
  }
  else if(errno != ENOENT)
    return start_error(error, "%s: %s", dir, g_strerror(errno));

  g_autofree char *parent = g_path_get_dirname(dir);
  g_autofree char *base = g_path_get_basename(dir);
  if(g_mkdir_with_parents(parent, 0700) != 0)
    return start_error(error, "%s: cannot create it (%s)", parent, g_strerror(errno));
  g_autofree char *tmp = g_strdup_printf("%s/.%s.new-XXXXXX", parent, base);
  if(!mkdtemp(tmp))
    return start_error(error, "%s: cannot create a directory there (%s)", parent,
                       g_strerror(errno));
  if(!fill(tmp, src, error)) {
    rm_rf(tmp);
    return false;
  }
  /* rename(2) replaces an empty directory and refuses a non-empty one: a
   * data directory that appeared meanwhile is kept as it is. */
  if(rename(tmp, dir) != 0) {
    int e = errno;
    rm_rf(tmp);
    return start_error(error, "%s: cannot put the new data directory in place (%s)",
                       dir, g_strerror(e));
  }
  sync_dir(parent);
  *created = true;
  return true;
}
