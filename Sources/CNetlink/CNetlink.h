// C shim over libnl-route-3 for the Swift `Netlink` target.
//
// Everything defined here is `static inline` with a `cnl_` prefix: macros, inline helpers and the few
// Linux calls the Swift Glibc module does not export (setns, unshare, statfs) are wrapped as plain
// functions so Swift can call them. Nothing here keeps state of its own.
#ifndef CNETLINK_H
#define CNETLINK_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>

#include <netlink/netlink.h>
#include <netlink/errno.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/handlers.h>
#include <netlink/socket.h>
#include <netlink/cache.h>
#include <netlink/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>

// MARK: - Namespaces

/// CLONE_NEWNET from <sched.h>; glibc only declares it (and setns/unshare) under _GNU_SOURCE.
#define CNL_CLONE_NEWNET 0x40000000
/// NSFS_MAGIC from <linux/magic.h>: the file system type of a bind-mounted namespace file.
#define CNL_NSFS_MAGIC 0x6e736673

extern int setns(int fd, int nstype);
extern int unshare(int flags);

/// Moves the calling thread into the network namespace `fd` refers to. Returns 0 or -1 with errno.
static inline int cnl_setns_net(int fd) {
    return setns(fd, CNL_CLONE_NEWNET);
}

/// Gives the calling thread a new, empty network namespace. Returns 0 or -1 with errno.
static inline int cnl_unshare_net(void) {
    return unshare(CNL_CLONE_NEWNET);
}

/// 1 when `path` is a namespace file (nsfs), 0 when it is something else, -1 with errno on failure.
static inline int cnl_path_is_nsfs(const char *path) {
    struct statfs st;
    if (statfs(path, &st) != 0) {
        return -1;
    }
    return st.f_type == CNL_NSFS_MAGIC ? 1 : 0;
}

// MARK: - Kernel error capture

/// What the kernel said in the last NLMSG_ERROR: its errno and, with extended acks, its message.
///
/// libnl folds the kernel's errno into its own smaller set of codes (EEXIST and EADDRINUSE both become
/// NLE_EXIST) and drops the extended-ack text; this keeps both for error reports.
typedef struct cnl_error_capture {
    int kernel_errno;
    char message[256];
} cnl_error_capture;

/// Reads the NLMSGERR_ATTR_MSG attribute of an extended ack, or returns NULL.
static inline const char *cnl_extack_message(const struct nlmsgerr *err) {
    const struct nlmsghdr *hdr = ((const struct nlmsghdr *)err) - 1;
    if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS)) {
        return NULL;
    }
    size_t offset = sizeof(struct nlmsgerr);
    if (!(hdr->nlmsg_flags & NLM_F_CAPPED)) {
        offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
    }
    size_t header = NLMSG_HDRLEN;
    if (hdr->nlmsg_len < header + offset) {
        return NULL;
    }
    int length = (int)(hdr->nlmsg_len - header - offset);
    struct nlattr *attrs = (struct nlattr *)((char *)err + offset);
    struct nlattr *msg = nla_find(attrs, length, NLMSGERR_ATTR_MSG);
    if (msg == NULL || nla_len(msg) <= 0) {
        return NULL;
    }
    const char *text = nla_data(msg);
    if (text[nla_len(msg) - 1] != '\0') {
        return NULL;
    }
    return text;
}

static int cnl_capture_error_callback(struct sockaddr_nl *who, struct nlmsgerr *err, void *arg) {
    (void)who;
    cnl_error_capture *capture = arg;
    capture->kernel_errno = -err->error;
    capture->message[0] = '\0';
    const char *text = cnl_extack_message(err);
    if (text != NULL) {
        strncpy(capture->message, text, sizeof(capture->message) - 1);
        capture->message[sizeof(capture->message) - 1] = '\0';
    }
    // NL_STOP keeps libnl's own handling: the call fails with -nl_syserr2nlerr(err->error).
    return NL_STOP;
}

/// Asks the kernel for extended acks (capped: the request is not echoed back) and records every
/// NLMSG_ERROR of `sk` into `capture`, which must outlive the socket. Returns 0 or a negative NLE code.
static inline int cnl_socket_capture_errors(struct nl_sock *sk, cnl_error_capture *capture) {
    int one = 1;
    int fd = nl_socket_get_fd(sk);
    // Best effort: kernels without extended acks still report errnos.
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
    struct nl_cb *cb = nl_socket_get_cb(sk);
    if (cb == NULL) {
        return -NLE_NOMEM;
    }
    int rc = nl_cb_err(cb, NL_CB_CUSTOM, cnl_capture_error_callback, capture);
    nl_cb_put(cb);
    return rc;
}

// MARK: - Object casts

/// libnl caches hand out `struct nl_object *`; the route objects are that with a wider type.
static inline struct rtnl_link *cnl_object_as_link(struct nl_object *obj) {
    return (struct rtnl_link *)obj;
}

static inline struct rtnl_addr *cnl_object_as_addr(struct nl_object *obj) {
    return (struct rtnl_addr *)obj;
}

static inline struct rtnl_route *cnl_object_as_route(struct nl_object *obj) {
    return (struct rtnl_route *)obj;
}

#endif
