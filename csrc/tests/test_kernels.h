/* test_kernels.h - the kernel tests (test_kernels*.c): every slot of every dispatch table
 * this CPU runs, called directly against the naive references of ref/ref_kernels.c. */
#ifndef CONVCORE_TEST_KERNELS_H
#define CONVCORE_TEST_KERNELS_H

/* Runs them all, counting into check.h's counters; prints a line per target. */
void test_kernels(void);

#endif
