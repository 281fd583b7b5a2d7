/* prime-calculator.h: the .NET docs' PrimeNumberCalculator as an eap component
 *
 * SPDX-FileCopyrightText: 2026 The eap authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * This is the sample for "how do I write my own eap component?". It uses
 * only the public API (<eap.h>), exactly as a third party would, so it can
 * be copied out of the tree and built against the installed eap-1.pc.
 *
 * It follows Microsoft's "How to: Implement a Component That Supports the
 * Event-based Asynchronous Pattern" (PrimeNumberCalculator), mapped to eap:
 *
 *   .NET                                      eap (this file)
 *   CalculatePrimeAsync (n, taskId)           prime_calculator_calculate_prime_async
 *   CalculatePrimeCompleted event             signal "completed::calculate-prime"
 *   ProgressChanged event                     signal "progress-changed::calculate-prime"
 *   CalculatePrimeCompletedEventArgs          PrimeCalculateCompletedArgs
 *   CalculatePrimeProgressChangedEventArgs    PrimeCalculateProgressArgs
 *   CancelAsync (taskId)                      eap_component_cancel_async (inherited)
 *
 * A real library would put each type in its own .h/.c pair (STYLE.md
 * §2.1); the sample keeps its three small types together so that one file
 * tells the whole story.
 */

#pragma once

#include <eap.h>

G_BEGIN_DECLS

/* The name of the operation: the detail of its signals. */
#define PRIME_CALCULATOR_CALCULATE_PRIME "calculate-prime"

/* ------------------------------------------------------------------ */
/* The progress arguments: EapProgressArgs plus what the search found. */

#define PRIME_TYPE_CALCULATE_PROGRESS_ARGS (prime_calculate_progress_args_get_type ())

G_DECLARE_FINAL_TYPE (PrimeCalculateProgressArgs, prime_calculate_progress_args,
                      PRIME, CALCULATE_PROGRESS_ARGS, EapProgressArgs)

guint64 prime_calculate_progress_args_get_latest_prime (PrimeCalculateProgressArgs *self);
guint64 prime_calculate_progress_args_get_primes_found (PrimeCalculateProgressArgs *self);

/* ------------------------------------------------------------------ */
/* The completed arguments: EapCompletedArgs plus the typed result.    */

#define PRIME_TYPE_CALCULATE_COMPLETED_ARGS (prime_calculate_completed_args_get_type ())

G_DECLARE_FINAL_TYPE (PrimeCalculateCompletedArgs, prime_calculate_completed_args,
                      PRIME, CALCULATE_COMPLETED_ARGS, EapCompletedArgs)

guint64  prime_calculate_completed_args_get_number        (PrimeCalculateCompletedArgs  *self);
gboolean prime_calculate_completed_args_get_is_prime      (PrimeCalculateCompletedArgs  *self,
                                                           GError                      **error);
guint64  prime_calculate_completed_args_get_first_divisor (PrimeCalculateCompletedArgs  *self,
                                                           GError                      **error);

/* ------------------------------------------------------------------ */
/* The component.                                                      */

#define PRIME_TYPE_CALCULATOR (prime_calculator_get_type ())

G_DECLARE_FINAL_TYPE (PrimeCalculator, prime_calculator, PRIME, CALCULATOR, EapComponent)

PrimeCalculator *prime_calculator_new                   (void) G_GNUC_WARN_UNUSED_RESULT;

gboolean         prime_calculator_calculate_prime_async (PrimeCalculator  *self,
                                                         guint64           number,
                                                         gpointer          user_state,
                                                         GError          **error);

gboolean         prime_calculator_calculate_prime       (PrimeCalculator  *self,
                                                         guint64           number,
                                                         gboolean         *is_prime,
                                                         guint64          *first_divisor,
                                                         GCancellable     *cancellable,
                                                         GError          **error);

G_END_DECLS
