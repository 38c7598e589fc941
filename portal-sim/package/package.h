/* package.h - the application package of portal-api.md (a flat ZIP with
 * kousei.xml, the form data and the attachments, signed with an enveloped
 * XMLDSig in kousei.xml): reading it safely and verifying its signature.
 * The format is defined in docs/portal-sim-packages.md.
 *
 * ps_package_verify checks that a package is well-formed and that its
 * signature verifies with the certificate in KeyInfo. It does NOT decide
 * whether that certificate is trustworthy: the caller checks the chain to the
 * sign CA, the validity dates and the revocation status of
 * ps_package->sign_cert (pki/), and whether the procedure and the attachment
 * ids exist (catalog/), and reads the form data (catalog/).
 *
 * Thread safety: call ps_package_global_init() once before any other
 * function (it is safe to call it more than once, from any thread); after
 * that ps_package_verify may run on several threads at once.
 */
#ifndef PORTALSIM_PACKAGE_H
#define PORTALSIM_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <openssl/x509.h>

/* Bounds on what a package may make the verifier read or allocate (zip
 * bombs, entry floods). Sizes are uncompressed bytes. */
typedef struct ps_package_limits {
  unsigned max_entries;      /* ZIP entries, kousei.xml included */
  size_t max_total_size;     /* sum of the entries' sizes */
  size_t max_entry_size;     /* one entry */
  unsigned max_ratio;        /* size / compressed size of one entry, checked
                                for entries over PS_PACKAGE_RATIO_FLOOR */
  size_t max_name_bytes;     /* an entry's name, in UTF-8 bytes */
  size_t max_kousei_size;    /* kousei.xml */
} ps_package_limits;

/* Below this size an entry's compression ratio is not checked: a small file
 * of repeated bytes compresses well and costs nothing to inflate. */
#define PS_PACKAGE_RATIO_FLOOR (64u * 1024u)

/* The limits used when ps_package_verify gets NULL (values in
 * docs/portal-sim-packages.md). */
extern const ps_package_limits ps_package_default_limits;

typedef struct ps_package_file {
  char *name;           /* its name in the ZIP (UTF-8) */
  char *attachment_id;  /* the catalogue's id of the attachment; NULL for
                           the form */
  char *content_type;   /* application/xml, image/jpeg, image/png,
                           application/pdf */
  GBytes *data;
} ps_package_file;

typedef struct ps_package {
  char *proc_id;
  char *applicant_cert_sha256;  /* lowercase hex; equals the SHA-256 of
                                   sign_cert's DER */
  ps_package_file *form;
  GPtrArray *attachments;       /* of ps_package_file *, in 構成情報 order */
  X509 *sign_cert;              /* from KeyInfo; its chain and revocation
                                   are NOT checked here */
  GBytes *kousei_xml;           /* the signed kousei.xml as received */
  char zip_sha256[65];          /* lowercase hex of the whole ZIP */
} ps_package;

/* Initialises libxml2 and xmlsec (OpenSSL) for this process, once, and
 * routes xmlsec's reading of Reference URIs to the package being verified
 * (never to files or the network). false if xmlsec could not start. */
bool ps_package_global_init(void);

/* Shuts xmlsec down (for leak checkers at the end of tests); no package
 * function may be called after it. */
void ps_package_global_cleanup(void);

/* Verifies the package zip[0 .. len). limits NULL: the defaults.
 * true: well-formed, every file in the ZIP listed in 構成情報 and signed
 * exactly once, every digest and the signature value correct; *out is the
 * package (free with ps_package_free).
 * false: *out is NULL and every finding is appended to report (items and
 * content as in docs/portal-sim-packages.md); nothing is appended on
 * success. */
bool ps_package_verify(const uint8_t *zip, size_t len,
                       const ps_package_limits *limits, ps_package **out,
                       GPtrArray *report);

void ps_package_free(ps_package *pkg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ps_package, ps_package_free)

#endif
