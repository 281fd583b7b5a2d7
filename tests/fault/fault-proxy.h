/* fault-proxy.h: a TCP proxy for tests that breaks connections on purpose
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A FaultProxy listens on 127.0.0.1 (a port the kernel picks) and forwards
 * every connection it accepts to 127.0.0.1:upstream_port, in a thread of
 * its own with plain non-blocking sockets and poll(). Each connection gets
 * a plan: the next one pushed with fault_proxy_push_plan(), or the default
 * one. A plan is deterministic: its fault fires when exactly @at_byte bytes
 * of its direction have been forwarded (never more), whatever the chunking.
 *
 * What the proxy did is kept per connection (bytes forwarded each way, the
 * writes made, whether and where the fault fired, who closed) and can be
 * read at any time; every change wakes the GMainContext given to
 * fault_proxy_new(), so a test iterating it with eap_test_wait_until()
 * sees it at once. fault_proxy_free() stops the thread, joins it and
 * closes every socket.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  FAULT_PASS,        /* forward both ways, end as the peers end */
  FAULT_DELAY,       /* hold each chunk read for @delay_ms before writing it */
  FAULT_CUT,         /* at byte K: FIN to both peers (shutdown), discard the rest */
  FAULT_RESET,       /* at byte K: RST to both peers (SO_LINGER 0 + close) */
  FAULT_STALL,       /* at byte K: stop reading and writing, keep both sockets open */
  FAULT_TRICKLE,     /* from byte K: one byte per write, @delay_ms apart */
  FAULT_HALF_CLOSE,  /* at byte K of FAULT_DOWN: FIN toward the client only; the
                      * client's bytes are still forwarded, the server's dropped */
} FaultAction;

typedef enum
{
  FAULT_UP,          /* client -> server */
  FAULT_DOWN,        /* server -> client */
  FAULT_BOTH,        /* DELAY and TRICKLE only */
} FaultDirection;

typedef struct
{
  FaultAction    action;
  FaultDirection direction;
  guint64        at_byte;    /* K, counted in @direction from the start of the connection */
  guint          delay_ms;   /* DELAY: per chunk; TRICKLE: between bytes (0: one poll) */
} FaultPlan;

/* One connection as the proxy saw it. */
typedef struct
{
  guint64  forwarded[2];     /* [FAULT_UP], [FAULT_DOWN]: bytes written to the far side */
  guint64  n_writes[2];      /* write calls that moved bytes */
  guint64  dropped[2];       /* bytes read but discarded (after a cut, a half-close) */
  gboolean upstream_failed;  /* the connect to the server failed: the client was reset */
  gboolean fired;            /* the plan's fault happened */
  guint64  fired_at;         /* forwarded[direction] when it fired */
  gboolean eof[2];           /* [FAULT_UP]: the client sent FIN; [FAULT_DOWN]: the server did */
  gboolean error[2];         /* a read or write on that direction failed (reset, EPIPE) */
  gboolean finished;         /* both sockets closed by the proxy */
} FaultReport;

typedef struct _FaultProxy FaultProxy;

/* Starts the proxy thread. @wake_context (nullable) is woken up on every
 * change of a report. */
FaultProxy *fault_proxy_new           (guint16          upstream_port,
                                       GMainContext    *wake_context);
guint16     fault_proxy_get_port      (FaultProxy      *proxy);
/* Where connections accepted from now on go. */
void        fault_proxy_set_upstream  (FaultProxy      *proxy,
                                       guint16          upstream_port);
/* The plan of connections for which none was pushed (initially PASS). */
void        fault_proxy_set_default   (FaultProxy      *proxy,
                                       const FaultPlan *plan);
/* The plan of the next connection accepted (a FIFO: one per connection). */
void        fault_proxy_push_plan     (FaultProxy      *proxy,
                                       const FaultPlan *plan);
/* Gives live connection @index a new plan whose @at_byte counts from the
 * bytes already forwarded in its direction ("K more bytes"). */
void        fault_proxy_arm           (FaultProxy      *proxy,
                                       guint            index,
                                       const FaultPlan *plan);
/* Connections accepted so far. */
guint       fault_proxy_get_n_accepted (FaultProxy     *proxy);
/* Copies connection @index's report; FALSE if there is no such connection. */
gboolean    fault_proxy_get_report    (FaultProxy      *proxy,
                                       guint            index,
                                       FaultReport     *report);
/* One line per connection: what the proxy did. Free with g_free(). */
char       *fault_proxy_describe      (FaultProxy      *proxy);
/* Stops the thread (joins it) and closes every socket. */
void        fault_proxy_free          (FaultProxy      *proxy);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FaultProxy, fault_proxy_free)

/* Conditions for eap_test_wait_until(): @data is a FaultWait. */
typedef struct
{
  FaultProxy *proxy;
  guint       index;
  guint64     n;             /* fault_wait_forwarded: bytes of @direction */
  FaultDirection direction;
} FaultWait;

gboolean    fault_wait_fired          (gpointer data);
gboolean    fault_wait_finished       (gpointer data);
gboolean    fault_wait_forwarded      (gpointer data);
gboolean    fault_wait_accepted       (gpointer data);   /* @index + 1 accepted */

/* An upper bound on a duration, for assertions: @us times
 * $EAP_TEST_TIMEOUT_SCALE (scripts/valgrind sets it: memcheck runs 20-50
 * times slower). Lower bounds are never scaled. */
gint64      fault_bound_us            (gint64 us);
/* Whether the process runs under Valgrind (its preload is in LD_PRELOAD). */
gboolean    fault_under_valgrind      (void);

G_END_DECLS
