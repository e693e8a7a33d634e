#ifndef JUNCTION_CSPAWN_H
#define JUNCTION_CSPAWN_H

#include <stddef.h>
#include <sys/types.h>

/// What a child process is placed into before it execs. All paths may be NULL.
typedef struct {
    /// A network namespace file (e.g. /run/netns/NAME) to join.
    const char *netns_path;
    /// Files bind-mounted over /etc/resolv.conf and /etc/hosts in a private mount namespace (the pod's view).
    const char *resolv_conf;
    const char *hosts;
    /// Hostname to set in a new UTS namespace (NULL keeps the host's).
    const char *hostname;
    const char *workdir;
    /// Descriptors for the child's stdin/stdout/stderr (-1: /dev/null).
    int stdin_fd;
    int stdout_fd;
    int stderr_fd;
    /// 1: start the child in a new process group, so a signal can reach everything it forks;
    /// 2: in a new session (a daemon that outlives the terminal that started it).
    int new_process_group;
} jn_spawn_options;

/// Forks and, in the child, joins the namespace, sets up mounts and execs `argv[0]` (searched in PATH when it has
/// no slash) with `envp`. Only async-signal-safe calls happen between fork and exec. Returns the child's pid, or
/// -errno when the fork failed; a failure in the child after fork is reported by `errpipe` semantics: the child
/// writes errno to an internal pipe and exits 127, and this function returns -errno.
pid_t jn_spawn(const char *const argv[], const char *const envp[], const jn_spawn_options *options);

/// Binds the calling thread to one CPU (sched_setaffinity of the thread). Returns 0 or -errno.
int jn_pin_thread(int cpu);

/// Bytes the C heap has handed out and not had back, over all of glibc's arenas (from `malloc_info`).
size_t jn_heap_in_use(void);

#endif
