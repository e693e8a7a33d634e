#ifndef JUNCTION_CSOCKET_H
#define JUNCTION_CSOCKET_H

#include <sys/socket.h>

/// struct mmsghdr, which <sys/socket.h> declares only under _GNU_SOURCE (Swift's Glibc module does not see it).
typedef struct jn_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} jn_mmsghdr;

/// recvmmsg(2) flag: block for the first datagram only, then take what is queued.
#define JN_MSG_WAITFORONE 0x10000

/// recvmmsg(2) without a timeout. Returns the datagrams received or -1 with errno.
int jn_recvmmsg(int fd, jn_mmsghdr *messages, unsigned int count, int flags);

/// sendmmsg(2). Returns the datagrams sent or -1 with errno.
int jn_sendmmsg(int fd, jn_mmsghdr *messages, unsigned int count, int flags);

#endif
