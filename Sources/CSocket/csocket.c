#define _GNU_SOURCE
#include "csocket.h"

#include <stddef.h>

_Static_assert(sizeof(jn_mmsghdr) == sizeof(struct mmsghdr), "jn_mmsghdr must match struct mmsghdr");
_Static_assert(offsetof(jn_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "msg_len offset");

int jn_recvmmsg(int fd, jn_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int jn_sendmmsg(int fd, jn_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

