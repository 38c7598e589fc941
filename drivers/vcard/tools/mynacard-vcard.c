/* mynacard-vcard - the software card outside the process.
 *
 * Two ways out: `mynacard-vcard vpcd` (here) and `mynacard-vcard pn532`, the
 * card behind an emulated PN532 for libnfc (pn532.c).
 *
 * `mynacard-vcard vpcd` serves one software card (a profile) to pcscd through
 * vsmartcard-vpcd, so that anything speaking PC/SC - our own stack, OpenSC,
 * pcsc_scan - sees a card in a reader. vpcd listens; the card connects to it.
 * Every message either way is a 2-byte big-endian length and a payload; a
 * 1-byte payload is a control message (00 power off, 01 power on, 02 reset,
 * 04 get ATR), anything longer a command APDU.
 *
 * The card is "inserted" while it is connected to vpcd. Tests remove and
 * re-insert it with SIGUSR1 / SIGUSR2 or --remove-after-apdus, and may kill
 * and restart pcscd: the card reconnects by itself. One myna_vcard lives for
 * the whole process, so retry counters survive all of that as on a real card.
 *
 * One thread, one poll() loop; signals arrive through a signalfd, so nothing
 * runs in a signal handler. Nothing is printed on stdout. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mynavcard/vcard.h"
#include "vcard_server.h"

/* vpcd's length prefix is 16 bits: no message, either way, is longer. The
 * card could answer 65536 bytes + SW to an extended READ BINARY; through vpcd
 * it gives at most what fits (a shorter read, as its reader path allows). */
#define VPCD_MAX_PAYLOAD 0xFFFFu
#define VPCD_MSG_MAX (2 + VPCD_MAX_PAYLOAD)

#define VPCD_CTRL_OFF 0x00
#define VPCD_CTRL_ON 0x01
#define VPCD_CTRL_RESET 0x02
#define VPCD_CTRL_ATR 0x04

/* Reconnection back-off while the card is inserted but vpcd is not there
 * (pcscd not started yet, or killed): short enough that a restarted pcscd
 * finds the card at its first presence poll, long enough not to spin. */
#define BACKOFF_MIN_MS 10
#define BACKOFF_MAX_MS 200

typedef struct server {
  myna_vcard *card;
  struct sockaddr_storage addr;
  socklen_t addr_len;
  int sig_fd;
  int log_fd;      /* -1: no --apdu-log */
  int sock;        /* -1: not connected */
  bool connecting; /* non-blocking connect() in progress */
  int64_t next_attempt;  /* CLOCK_MONOTONIC ms */
  unsigned backoff_ms;
  bool running;

  /* what vpcd sent and is not handled yet */
  uint8_t *in;
  size_t in_len;
  /* the reply not yet accepted by the socket (normally sent whole at once) */
  uint8_t *out;
  size_t out_len;
  size_t out_off;
  /* --remove-after-apdus fired: close once the last answer is out */
  bool remove_when_sent;
} server;

void errorf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs(PROG ": ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static int64_t now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- the APDU log ---------------------------------------------------------
 * One line per event, written with one write() on an O_APPEND descriptor so
 * that a test reading the file while we run sees whole lines at once. Never
 * command or response data: VERIFY and CHANGE REFERENCE DATA carry PINs. */

int apdu_log_open(const char *path)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if(fd < 0)
    errorf("--apdu-log %s: %s", path, strerror(errno));
  return fd;
}

void log_line(int log_fd, const char *fmt, ...)
{
  if(log_fd < 0)
    return;
  char line[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
  va_end(ap);
  if(n < 0)
    return;
  if((size_t)n > sizeof(line) - 2)
    n = (int)sizeof(line) - 2;
  line[n++] = '\n';
  ssize_t w;
  do
    w = write(log_fd, line, (size_t)n);
  while(w < 0 && errno == EINTR);
}

/* Nc as the command declares it, short or extended (0 for cases 1 and 2). */
static size_t command_nc(const uint8_t *cmd, size_t len)
{
  if(len <= 5)
    return 0;
  if(cmd[4])
    return cmd[4];
  if(len <= 7)
    return 0;
  return (size_t)cmd[5] << 8 | cmd[6];
}

void log_apdu(int log_fd, const uint8_t *cmd, size_t len,
              const uint8_t *resp, size_t resp_len)
{
  if(log_fd < 0)
    return;
  /* a command shorter than a header is logged with what it has */
  char hdr[4][3];
  for(size_t i = 0; i < 4; i++) {
    if(i < len)
      snprintf(hdr[i], sizeof(hdr[i]), "%02X", cmd[i]);
    else
      memcpy(hdr[i], "--", 3);
  }
  unsigned sw = resp_len >= 2 ?
    (unsigned)resp[resp_len - 2] << 8 | resp[resp_len - 1] : 0;
  log_line(log_fd, "apdu %s %s %s %s lc=%zu sw=%04X", hdr[0], hdr[1], hdr[2],
           hdr[3], command_nc(cmd, len), sw);
}

int signals_open(void)
{
  /* the signals we act on only ever arrive through the signalfd */
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGUSR1);
  sigaddset(&mask, SIGUSR2);
  if(sigprocmask(SIG_BLOCK, &mask, NULL)) {
    errorf("sigprocmask: %s", strerror(errno));
    return -1;
  }
  int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if(fd < 0)
    errorf("signalfd: %s", strerror(errno));
  return fd;
}

/* ---- the connection to vpcd ---------------------------------------------- */

static void set_quickack(int fd)
{
  /* Linux clears TCP_QUICKACK after it has acknowledged: arm it again after
   * every read, or vpcd's second write (it sends length and payload apart)
   * waits for our delayed ACK under Nagle - about 40 ms per APDU. */
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

static void drop_connection(server *s)
{
  if(s->sock >= 0)
    close(s->sock);
  s->sock = -1;
  s->connecting = false;
  /* the buffers held APDUs (PINs among them) and answers */
  if(s->in)
    explicit_bzero(s->in, s->in_len);
  if(s->out)
    explicit_bzero(s->out, s->out_len);
  s->in_len = 0;
  s->out_len = 0;
  s->out_off = 0;
  s->remove_when_sent = false;
}

static void retry_later(server *s)
{
  s->next_attempt = now_ms() + s->backoff_ms;
  s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                     : s->backoff_ms * 2;
}

/* A connect to a local port in the ephemeral range, with nobody listening,
 * can pick that same port as its source and connect to itself (TCP
 * simultaneous open). That socket would then hold vpcd's port and keep a
 * restarted pcscd from binding it. */
static bool connected_to_self(int fd)
{
  struct sockaddr_storage a, b;
  socklen_t al = sizeof(a), bl = sizeof(b);
  if(getsockname(fd, (struct sockaddr *)&a, &al) ||
     getpeername(fd, (struct sockaddr *)&b, &bl))
    return false;
  return al == bl && !memcmp(&a, &b, al);
}

static void on_connected(server *s)
{
  s->connecting = false;
  if(connected_to_self(s->sock)) {
    drop_connection(s);
    retry_later(s);
    return;
  }
  int one = 1;
  setsockopt(s->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  set_quickack(s->sock);
  s->backoff_ms = BACKOFF_MIN_MS;
  /* a new connection is a new insertion into the reader: power cycle */
  myna_vcard_reset(s->card);
  log_line(s->log_fd, "# connected");
}

static void start_connect(server *s)
{
  s->sock = socket(s->addr.ss_family,
                   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if(s->sock < 0) {
    errorf("socket: %s", strerror(errno));
    retry_later(s);
    return;
  }
  if(connect(s->sock, (struct sockaddr *)&s->addr, s->addr_len) == 0) {
    on_connected(s);
    return;
  }
  if(errno == EINPROGRESS) {
    s->connecting = true;
    return;
  }
  /* ECONNREFUSED while pcscd is not (yet) there: the normal case */
  drop_connection(s);
  retry_later(s);
}

static void finish_connect(server *s)
{
  int err = 0;
  socklen_t len = sizeof(err);
  if(getsockopt(s->sock, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
    drop_connection(s);
    retry_later(s);
    return;
  }
  on_connected(s);
}

/* The card leaves the reader: the connection closes, which vpcd reports to
 * pcscd as a removal at its next presence poll. */
static void remove_card(server *s)
{
  myna_vcard_set_present(s->card, false);
  myna_vcard_reset(s->card);
  /* Leave with a reset (RST), not an orderly close: vpcd takes a read of
   * zero bytes (FIN) after an APDU for an empty answer and keeps the dead
   * connection, so pcscd would never see the card go; a failed read makes it
   * drop the connection and report the removal. */
  if(s->sock >= 0) {
    struct linger abortive = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(s->sock, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
  }
  drop_connection(s);
  log_line(s->log_fd, "# removed");
}

static void insert_card(server *s)
{
  myna_vcard_set_present(s->card, true);
  log_line(s->log_fd, "# inserted");
  s->backoff_ms = BACKOFF_MIN_MS;
  s->next_attempt = now_ms();
}

/* Send what is left of the reply. true when all of it is out (or the
 * connection was dropped); false when the socket is full for now. */
static bool flush_reply(server *s)
{
  while(s->out_off < s->out_len) {
    ssize_t w = send(s->sock, s->out + s->out_off, s->out_len - s->out_off,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if(w < 0) {
      if(errno == EINTR)
        continue;
      if(errno == EAGAIN || errno == EWOULDBLOCK)
        return false;
      /* vpcd went away mid-answer: pcscd was killed */
      drop_connection(s);
      log_line(s->log_fd, "# disconnected");
      retry_later(s);
      return true;
    }
    s->out_off += (size_t)w;
  }
  explicit_bzero(s->out, s->out_len);
  s->out_len = 0;
  s->out_off = 0;
  if(s->remove_when_sent)
    remove_card(s);
  return true;
}

/* Queue one message (length + payload in one buffer, so that it leaves in
 * one send() and one TCP segment) and try to send it. */
static void reply(server *s, const uint8_t *payload, size_t n)
{
  s->out[0] = (uint8_t)(n >> 8);
  s->out[1] = (uint8_t)n;
  if(payload != s->out + 2)
    memcpy(s->out + 2, payload, n);
  s->out_len = 2 + n;
  s->out_off = 0;
  flush_reply(s);
}

static void handle_control(server *s, uint8_t code)
{
  switch(code) {
  case VPCD_CTRL_OFF:
    myna_vcard_reset(s->card);
    log_line(s->log_fd, "# power-off");
    break;
  case VPCD_CTRL_ON:
    /* a card powered up starts from its reset state too */
    myna_vcard_reset(s->card);
    log_line(s->log_fd, "# power-on");
    break;
  case VPCD_CTRL_RESET:
    myna_vcard_reset(s->card);
    log_line(s->log_fd, "# reset");
    break;
  case VPCD_CTRL_ATR: {
    /* not logged: pcscd polls presence with it several times a second */
    size_t n = 0;
    const uint8_t *atr = myna_vcard_atr(s->card, &n);
    reply(s, atr, n);
    break;
  }
  default:
    /* no other control message exists; vpcd expects no answer to one */
    break;
  }
}

static void handle_apdu(server *s, const uint8_t *cmd, size_t len)
{
  size_t n = myna_vcard_process(s->card, cmd, len, s->out + 2,
                                VPCD_MAX_PAYLOAD);
  if(!n) {
    /* cannot happen while connected (the card is present); be a card that
     * has gone rather than send an empty answer */
    remove_card(s);
    return;
  }
  log_apdu(s->log_fd, cmd, len, s->out + 2, n);
  if(!myna_vcard_is_present(s->card))
    s->remove_when_sent = true;  /* --remove-after-apdus: after this answer */
  reply(s, s->out + 2, n);
}

/* Handle every whole message in the input buffer, one at a time: vpcd waits
 * for each answer, so a second message only arrives after a reply. */
static void handle_input(server *s)
{
  size_t off = 0;
  while(s->sock >= 0 && !s->out_len && s->in_len - off >= 2) {
    size_t n = (size_t)s->in[off] << 8 | s->in[off + 1];
    if(s->in_len - off < 2 + n)
      break;
    const uint8_t *payload = s->in + off + 2;
    off += 2 + n;
    if(n == 1)
      handle_control(s, payload[0]);
    else if(n > 1)
      handle_apdu(s, payload, n);
  }
  if(s->sock < 0)
    return;  /* dropped: the buffer is already wiped */
  if(off) {
    memmove(s->in, s->in + off, s->in_len - off);
    explicit_bzero(s->in + s->in_len - off, off);
    s->in_len -= off;
  }
}

static void read_input(server *s)
{
  ssize_t r;
  do
    r = recv(s->sock, s->in + s->in_len, VPCD_MSG_MAX - s->in_len,
             MSG_DONTWAIT);
  while(r < 0 && errno == EINTR);
  if(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return;
  if(r <= 0) {
    /* pcscd closed the reader (killed, restarted): the card is still in
     * the reader, so find vpcd again */
    drop_connection(s);
    log_line(s->log_fd, "# disconnected");
    s->backoff_ms = BACKOFF_MIN_MS;
    retry_later(s);
    return;
  }
  set_quickack(s->sock);
  s->in_len += (size_t)r;
  handle_input(s);
}

static void handle_signals(server *s)
{
  struct signalfd_siginfo si;
  while(read(s->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
    switch(si.ssi_signo) {
    case SIGTERM:
    case SIGINT:
      s->running = false;
      break;
    case SIGUSR1:
      if(myna_vcard_is_present(s->card))
        remove_card(s);
      break;
    case SIGUSR2:
      if(!myna_vcard_is_present(s->card))
        insert_card(s);
      break;
    default:
      break;
    }
  }
}

static int serve(server *s)
{
  s->running = true;
  s->backoff_ms = BACKOFF_MIN_MS;
  s->next_attempt = now_ms();
  while(s->running) {
    bool present = myna_vcard_is_present(s->card);
    if(present && s->sock < 0 && now_ms() >= s->next_attempt)
      start_connect(s);

    struct pollfd p[2] = {
      { .fd = s->sig_fd, .events = POLLIN },
      { .fd = s->sock, .events = 0 }
    };
    if(s->connecting || s->out_len)
      p[1].events = POLLOUT;
    else
      p[1].events = POLLIN;
    int timeout = -1;
    if(present && s->sock < 0) {
      int64_t wait = s->next_attempt - now_ms();
      timeout = wait < 0 ? 0 : (int)wait;
    }
    if(poll(p, s->sock >= 0 ? 2 : 1, timeout) < 0) {
      if(errno == EINTR)
        continue;
      errorf("poll: %s", strerror(errno));
      return EXIT_ERROR;
    }
    if(p[0].revents)
      handle_signals(s);
    if(!s->running)
      break;
    /* the signals may have dropped the connection p[1] was about */
    if(s->sock < 0 || s->sock != p[1].fd || !p[1].revents)
      continue;
    if(s->connecting)
      finish_connect(s);
    else if(s->out_len) {
      if(flush_reply(s) && s->sock >= 0)
        handle_input(s);
    }
    else
      read_input(s);
  }
  return EXIT_OK;
}

/* ---- command line ---------------------------------------------------------- */

static void usage_vpcd(FILE *f)
{
  fputs("Usage: " PROG " vpcd --port PORT [--host ADDR] --profile FILE\n"
        "         [--quirks SPEC] [--remove-after-apdus N] [--apdu-log FILE]\n"
        "\n"
        "Serve a software My Number Card to pcscd through vsmartcard-vpcd.\n"
        "The card connects to vpcd (which listens on PORT) and counts as\n"
        "inserted while connected; it reconnects whenever vpcd goes away.\n"
        "\n"
        "  --port PORT              vpcd's port (CHANNELID in reader.conf)\n"
        "  --host ADDR              vpcd's host (default 127.0.0.1)\n"
        "  --profile FILE           the card's profile.ini or its folder\n"
        "  --quirks SPEC            short-only,t0,contactless,no-pin-change,\n"
        "                           slow[=MS] (t0: a T=0-only ATR; contactless:\n"
        "                           a PC/SC part-3 contactless ATR;\n"
        "                           no-pin-change: CHANGE REFERENCE DATA 6D00)\n"
        "  --remove-after-apdus N   remove the card after answering the N-th\n"
        "                           APDU (N >= 1; once)\n"
        "  --apdu-log FILE          append one line per APDU and event (never\n"
        "                           command or response data)\n"
        "  -h, --help               show this help\n"
        "\n"
        "Signals: SIGUSR1 removes the card, SIGUSR2 inserts it again,\n"
        "SIGTERM and SIGINT end the program (exit status 0).\n"
        "Exit status: 0 ended by a signal, 1 error (bad profile), 2 usage.\n",
        f);
}

static void usage(FILE *f)
{
  fputs("Usage: " PROG " vpcd|pn532 OPTIONS...\n"
        "       " PROG " --help | --version\n"
        "\n"
        "The software My Number Card outside the process: to pcscd through\n"
        "vsmartcard-vpcd (vpcd), or as an ISO 14443-4 Type B card behind an\n"
        "emulated PN532 on a pseudo-terminal, for libnfc (pn532).\n"
        "\n", f);
  usage_vpcd(f);
  fputc('\n', f);
  usage_pn532(f);
}

bool parse_quirks_option(const char *text, unsigned *quirks, unsigned *slow_ms)
{
  if(myna_vcard_parse_quirks(text, quirks, slow_ms))
    return true;
  errorf("--quirks '%s': use short-only, t0, contactless, no-pin-change, slow "
         "or slow=MS (0-60000), separated by commas", text);
  return false;
}

bool parse_number(const char *text, unsigned long max, unsigned long *out)
{
  if(!text || !*text || *text < '0' || *text > '9')
    return false;
  char *end = NULL;
  errno = 0;
  unsigned long v = strtoul(text, &end, 10);
  if(errno || *end || v > max)
    return false;
  *out = v;
  return true;
}

/* vpcd listens on IPv4 (INADDR_ANY); prefer an IPv4 address of a name. */
static bool resolve(const char *host, unsigned port, server *s)
{
  char service[8];
  snprintf(service, sizeof(service), "%u", port);
  struct addrinfo hints = { .ai_family = AF_UNSPEC,
                            .ai_socktype = SOCK_STREAM,
                            .ai_flags = AI_NUMERICSERV };
  struct addrinfo *res = NULL;
  int rc = getaddrinfo(host, service, &hints, &res);
  if(rc) {
    errorf("--host %s: %s", host, gai_strerror(rc));
    return false;
  }
  const struct addrinfo *pick = res;
  for(const struct addrinfo *a = res; a; a = a->ai_next)
    if(a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  memcpy(&s->addr, pick->ai_addr, pick->ai_addrlen);
  s->addr_len = pick->ai_addrlen;
  freeaddrinfo(res);
  return true;
}

static int cmd_vpcd(int argc, char **argv)
{
  enum { OPT_PORT = 256, OPT_HOST, OPT_PROFILE, OPT_QUIRKS, OPT_REMOVE_AFTER,
         OPT_APDU_LOG };
  static const struct option opts[] = {
    { "port", required_argument, NULL, OPT_PORT },
    { "host", required_argument, NULL, OPT_HOST },
    { "profile", required_argument, NULL, OPT_PROFILE },
    { "quirks", required_argument, NULL, OPT_QUIRKS },
    { "remove-after-apdus", required_argument, NULL, OPT_REMOVE_AFTER },
    { "apdu-log", required_argument, NULL, OPT_APDU_LOG },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
  };
  const char *host = "127.0.0.1", *profile = NULL, *log_path = NULL;
  unsigned long port = 0, remove_after = 0;
  unsigned quirks = 0, slow_ms = 0;
  int c;
  opterr = 0;
  optind = 1;
  while((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch(c) {
    case OPT_PORT:
      if(!parse_number(optarg, 65535, &port) || !port) {
        errorf("--port needs a number from 1 to 65535, not '%s'", optarg);
        return EXIT_USAGE;
      }
      break;
    case OPT_HOST:
      if(!*optarg) {
        errorf("--host needs an address");
        return EXIT_USAGE;
      }
      host = optarg;
      break;
    case OPT_PROFILE:
      profile = optarg;
      break;
    case OPT_QUIRKS:
      if(!parse_quirks_option(optarg, &quirks, &slow_ms))
        return EXIT_USAGE;
      break;
    case OPT_REMOVE_AFTER:
      if(!parse_number(optarg, ULONG_MAX, &remove_after) || !remove_after) {
        errorf("--remove-after-apdus needs a count of 1 or more, not '%s'",
               optarg);
        return EXIT_USAGE;
      }
      break;
    case OPT_APDU_LOG:
      if(!*optarg) {
        errorf("--apdu-log needs a file name");
        return EXIT_USAGE;
      }
      log_path = optarg;
      break;
    case 'h':
      usage_vpcd(stdout);
      return EXIT_OK;
    case ':':
      errorf("%s needs a value", argv[optind - 1]);
      return EXIT_USAGE;
    default:
      errorf("unknown option '%s' (see --help)", argv[optind - 1]);
      return EXIT_USAGE;
    }
  }
  if(optind < argc) {
    errorf("unexpected argument '%s' (see --help)", argv[optind]);
    return EXIT_USAGE;
  }
  if(!port) {
    errorf("--port is required (vpcd's CHANNELID)");
    return EXIT_USAGE;
  }
  if(!profile || !*profile) {
    errorf("--profile is required");
    return EXIT_USAGE;
  }

  server s = { .sig_fd = -1, .log_fd = -1, .sock = -1 };
  if(!resolve(host, (unsigned)port, &s))
    return EXIT_USAGE;

  char err[512];
  s.card = myna_vcard_load(profile, err, sizeof(err));
  if(!s.card) {
    errorf("%s", err);
    return EXIT_ERROR;
  }
  myna_vcard_set_quirks(s.card, quirks, slow_ms);
  if(remove_after)
    myna_vcard_remove_after(s.card, remove_after);

  int rc = EXIT_ERROR;
  if(log_path) {
    s.log_fd = apdu_log_open(log_path);
    if(s.log_fd < 0)
      goto out;
  }
  s.sig_fd = signals_open();
  if(s.sig_fd < 0)
    goto out;
  s.in = calloc(1, VPCD_MSG_MAX);
  s.out = calloc(1, VPCD_MSG_MAX);
  if(!s.in || !s.out) {
    errorf("out of memory");
    goto out;
  }

  rc = serve(&s);

out:
  drop_connection(&s);
  /* counters and PINs are already in the state file (written at each
   * change); freeing wipes the card's copies */
  myna_vcard_free(s.card);
  free(s.in);
  free(s.out);
  if(s.sig_fd >= 0)
    close(s.sig_fd);
  if(s.log_fd >= 0)
    close(s.log_fd);
  return rc;
}

int main(int argc, char **argv)
{
  if(argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if(!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    usage(stdout);
    return EXIT_OK;
  }
  if(!strcmp(argv[1], "--version")) {
    puts(PROG " " MYNA_VERSION);
    return EXIT_OK;
  }
  if(!strcmp(argv[1], "vpcd"))
    return cmd_vpcd(argc - 1, argv + 1);
  if(!strcmp(argv[1], "pn532"))
    return cmd_pn532(argc - 1, argv + 1);
  errorf("unknown command '%s' (the commands are 'vpcd' and 'pn532'; see "
         "--help)", argv[1]);
  return EXIT_USAGE;
}
