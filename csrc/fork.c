/* fork.c - fork safety: a child process created by fork() runs every call serially.
 *
 * GCC's libgomp keeps its worker threads in a pool; fork() copies the pool's bookkeeping
 * into the child but not the threads, so the child's first parallel region waits forever
 * for workers that do not exist. A pthread_atfork child handler, registered when the
 * library is loaded, sets cc_after_fork in the child, and cc_resolve_threads then returns 1:
 * a one-thread region never touches the pool. (Other OpenMP runtimes are fork-safe or not;
 * serial is right for all of them.) Platforms without fork (Windows) have nothing to do.
 */
#include "internal.h"

volatile int cc_after_fork = 0;

#if defined(_OPENMP) && (defined(__unix__) || defined(__APPLE__))
#include <pthread.h>

static pthread_once_t cc_fork_once = PTHREAD_ONCE_INIT;

static void cc_fork_child(void) { cc_after_fork = 1; }

static void cc_fork_register(void) { (void)pthread_atfork(NULL, NULL, cc_fork_child); }

void cc_fork_guard_init(void) { (void)pthread_once(&cc_fork_once, cc_fork_register); }

#if defined(__GNUC__) || defined(__clang__)
/* at load time, so that a parent that never called the library (but used OpenMP through
 * another one) still gets a serial child */
__attribute__((constructor)) static void cc_fork_guard_at_load(void) { cc_fork_guard_init(); }
#endif

#else
void cc_fork_guard_init(void) {}
#endif
