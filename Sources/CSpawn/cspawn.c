#define _GNU_SOURCE
#include "cspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/close_range.h>
#include <unistd.h>

static void child_fail(int pipe_fd, int err) {
    (void)!write(pipe_fd, &err, sizeof(err));
    _exit(127);
}

static int exec_search(const char *file, const char *const argv[], const char *const envp[]) {
    if (strchr(file, '/') != NULL) {
        execve(file, (char *const *)argv, (char *const *)envp);
        return errno;
    }
    const char *path = NULL;
    for (const char *const *e = envp; e && *e; e++) {
        if (strncmp(*e, "PATH=", 5) == 0) { path = *e + 5; break; }
    }
    if (path == NULL) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    char buf[4096];
    int last = ENOENT;
    const char *p = path;
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        size_t flen = strlen(file);
        if (len + 1 + flen + 1 <= sizeof(buf)) {
            memcpy(buf, p, len);
            buf[len] = '/';
            memcpy(buf + len + 1, file, flen + 1);
            execve(buf, (char *const *)argv, (char *const *)envp);
            if (errno != ENOENT && errno != ENOTDIR) last = errno;
        }
        if (!colon) break;
        p = colon + 1;
    }
    return last;
}

pid_t jn_spawn(const char *const argv[], const char *const envp[], const jn_spawn_options *o) {
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0) return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(errpipe[0]);
        close(errpipe[1]);
        return -e;
    }
    if (pid == 0) {
        close(errpipe[0]);
        // Reset signal dispositions and mask inherited from the (multithreaded) parent.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
        if (o->new_process_group == 2) {
            if (setsid() < 0) child_fail(errpipe[1], errno);
        } else if (o->new_process_group && setpgid(0, 0) != 0) {
            child_fail(errpipe[1], errno);
        }
        if (o->netns_path) {
            int fd = open(o->netns_path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) child_fail(errpipe[1], errno);
            if (setns(fd, CLONE_NEWNET) != 0) child_fail(errpipe[1], errno);
            close(fd);
        }
        if (o->resolv_conf || o->hosts || o->hostname) {
            int flags = 0;
            if (o->resolv_conf || o->hosts) flags |= CLONE_NEWNS;
            if (o->hostname) flags |= CLONE_NEWUTS;
            if (unshare(flags) != 0) child_fail(errpipe[1], errno);
            if (flags & CLONE_NEWNS) {
                // Keep our bind mounts from propagating back to the host's mount namespace.
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) child_fail(errpipe[1], errno);
                if (o->resolv_conf && mount(o->resolv_conf, "/etc/resolv.conf", NULL, MS_BIND, NULL) != 0)
                    child_fail(errpipe[1], errno);
                if (o->hosts && mount(o->hosts, "/etc/hosts", NULL, MS_BIND, NULL) != 0) child_fail(errpipe[1], errno);
            }
            if (o->hostname && sethostname(o->hostname, strlen(o->hostname)) != 0) child_fail(errpipe[1], errno);
        }
        if (o->workdir && chdir(o->workdir) != 0) child_fail(errpipe[1], errno);
        int fds[3] = {o->stdin_fd, o->stdout_fd, o->stderr_fd};
        for (int i = 0; i < 3; i++) {
            int fd = fds[i];
            if (fd < 0) {
                fd = open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY);
                if (fd < 0) child_fail(errpipe[1], errno);
            }
            if (fd != i && dup2(fd, i) < 0) child_fail(errpipe[1], errno);
        }
        // Nothing else the parent had open leaks into the child (the error pipe is already close-on-exec).
        syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
        child_fail(errpipe[1], exec_search(argv[0], argv, envp));
    }
    close(errpipe[1]);
    int err = 0;
    ssize_t n;
    do { n = read(errpipe[0], &err, sizeof(err)); } while (n < 0 && errno == EINTR);
    close(errpipe[0]);
    if (n == (ssize_t)sizeof(err)) {
        int status;
        waitpid(pid, &status, 0);
        return -err;
    }
    return pid;
}

int jn_pin_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set) == 0 ? 0 : -errno;
}

size_t jn_heap_in_use(void) {
    // mallinfo2 covers the main arena only; malloc_info's closing totals cover every arena: the memory the
    // arenas hold from the system, less what is free in them (fastbins and the rest), plus the mmapped blocks.
    char *text = NULL;
    size_t length = 0;
    FILE *out = open_memstream(&text, &length);
    if (!out) return 0;
    malloc_info(0, out);
    fclose(out);
    size_t fast = 0, rest = 0, mapped = 0, current = 0;
    const char *tail = strstr(text, "</heap>");
    for (const char *p = tail ? tail : text; p && *p; p = strchr(p + 1, '<')) {
        unsigned long count, size;
        if (sscanf(p, "<total type=\"fast\" count=\"%lu\" size=\"%lu\"/>", &count, &size) == 2) fast = size;
        else if (sscanf(p, "<total type=\"rest\" count=\"%lu\" size=\"%lu\"/>", &count, &size) == 2) rest = size;
        else if (sscanf(p, "<total type=\"mmap\" count=\"%lu\" size=\"%lu\"/>", &count, &size) == 2) mapped = size;
        else if (sscanf(p, "<system type=\"current\" size=\"%lu\"/>", &size) == 1) current = size;
    }
    free(text);
    return current + mapped - fast - rest;
}
