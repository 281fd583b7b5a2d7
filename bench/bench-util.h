/* bench-util.h: timing and statistics shared by the benchmarks
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* CLOCK_MONOTONIC in nanoseconds. */
gint64 bench_now_ns  (void);

/* The median of @n values (@n > 0); @values is left as it is. */
double bench_median  (const double *values,
                      guint         n);

/* The smallest and largest of @n values (@n > 0). */
void   bench_min_max (const double *values,
                      guint         n,
                      double       *lo,
                      double       *hi);

G_END_DECLS
