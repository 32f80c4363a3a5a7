/* check.h - the C test driver's pass/fail counters and its CHECK macro, shared by
 * test_main.c (which defines the counters and prints the one "N passed, N failed" line)
 * and the kernel tests (test_kernels*.c). */
#ifndef CONVCORE_TEST_CHECK_H
#define CONVCORE_TEST_CHECK_H
#include <stdio.h>

extern int cc_test_passed, cc_test_failed;

/* Failures past this many are counted but not printed (a broken kernel fails thousands
 * of calls). */
#define CC_TEST_SHOW_MAX 200

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        if (cond) {                                                             \
            ++cc_test_passed;                                                   \
        } else if (++cc_test_failed <= CC_TEST_SHOW_MAX) {                      \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                         \
            printf(__VA_ARGS__);                                                \
            printf("\n");                                                       \
        }                                                                       \
    } while (0)

#endif
