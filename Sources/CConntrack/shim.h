// C shim over libnl-nf-3's conntrack API for the Swift `Conntrack` target: a dump of the table into plain
// structs and a delete by original tuple. Everything is `static inline` with a `cct_` prefix; no state of its own.
#ifndef CCONNTRACK_SHIM_H
#define CCONNTRACK_SHIM_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netlink.h>

#include <netlink/netlink.h>
#include <netlink/errno.h>
#include <netlink/socket.h>
#include <netlink/cache.h>
#include <netlink/addr.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netfilter/ct.h>

/// One conntrack entry's tuples: addresses as 16 bytes (IPv4 in the first 4), ports in host order.
typedef struct {
    uint8_t family;
    uint8_t proto;
    uint16_t zone;
    uint8_t orig_src[16], orig_dst[16], reply_src[16], reply_dst[16];
    uint16_t orig_sport, orig_dport, reply_sport, reply_dport;
} cct_flow;

static inline void cct_copy_addr(struct nl_addr *a, uint8_t out[16]) {
    memset(out, 0, 16);
    if (!a) return;
    unsigned int n = nl_addr_get_len(a);
    if (n > 16) n = 16;
    memcpy(out, nl_addr_get_binary_addr(a), n);
}

static inline struct nl_sock *cct_open(int *err) {
    struct nl_sock *sk = nl_socket_alloc();
    if (!sk) { *err = -NLE_NOMEM; return NULL; }
    int rc = nfnl_connect(sk);
    if (rc < 0) { nl_socket_free(sk); *err = rc; return NULL; }
    // A large table dumps in many messages; a bigger receive buffer avoids ENOBUFS.
    nl_socket_set_buffer_size(sk, 4 * 1024 * 1024, 0);
    *err = 0;
    return sk;
}

static inline void cct_close(struct nl_sock *sk) {
    if (sk) nl_socket_free(sk);
}

/// Dumps the table; fills `*out` (malloc'd, caller frees with `free`) with the entries of protocol `proto`
/// (0: all) and family `family` (0: all). Returns the count, or a negative libnl error.
static inline int cct_dump(struct nl_sock *sk, uint8_t family, uint8_t proto, cct_flow **out) {
    struct nl_cache *cache = NULL;
    *out = NULL;
    int rc = nfnl_ct_alloc_cache(sk, &cache);
    if (rc < 0) return rc;
    int total = nl_cache_nitems(cache);
    cct_flow *flows = calloc(total > 0 ? (size_t)total : 1, sizeof(cct_flow));
    if (!flows) { nl_cache_free(cache); return -NLE_NOMEM; }
    int n = 0;
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct nfnl_ct *ct = (struct nfnl_ct *)o;
        uint8_t p = nfnl_ct_get_proto(ct), f = nfnl_ct_get_family(ct);
        if ((proto && p != proto) || (family && f != family)) continue;
        cct_flow *fl = &flows[n++];
        fl->family = f;
        fl->proto = p;
        fl->zone = nfnl_ct_test_zone(ct) ? nfnl_ct_get_zone(ct) : 0;
        cct_copy_addr(nfnl_ct_get_src(ct, 0), fl->orig_src);
        cct_copy_addr(nfnl_ct_get_dst(ct, 0), fl->orig_dst);
        cct_copy_addr(nfnl_ct_get_src(ct, 1), fl->reply_src);
        cct_copy_addr(nfnl_ct_get_dst(ct, 1), fl->reply_dst);
        fl->orig_sport = nfnl_ct_get_src_port(ct, 0);
        fl->orig_dport = nfnl_ct_get_dst_port(ct, 0);
        fl->reply_sport = nfnl_ct_get_src_port(ct, 1);
        fl->reply_dport = nfnl_ct_get_dst_port(ct, 1);
    }
    nl_cache_free(cache);
    *out = flows;
    return n;
}

/// Deletes the entry whose original tuple is the flow's. Returns 0, or a negative libnl error
/// (-NLE_OBJ_NOTFOUND when it is already gone).
static inline int cct_delete(struct nl_sock *sk, const cct_flow *fl) {
    struct nfnl_ct *ct = nfnl_ct_alloc();
    if (!ct) return -NLE_NOMEM;
    int alen = fl->family == AF_INET6 ? 16 : 4;
    struct nl_addr *src = nl_addr_build(fl->family, fl->orig_src, alen);
    struct nl_addr *dst = nl_addr_build(fl->family, fl->orig_dst, alen);
    nfnl_ct_set_family(ct, fl->family);
    nfnl_ct_set_proto(ct, fl->proto);
    if (fl->zone) nfnl_ct_set_zone(ct, fl->zone);
    int rc = -NLE_NOMEM;
    if (src && dst) {
        nfnl_ct_set_src(ct, 0, src);
        nfnl_ct_set_dst(ct, 0, dst);
        nfnl_ct_set_src_port(ct, 0, fl->orig_sport);
        nfnl_ct_set_dst_port(ct, 0, fl->orig_dport);
        rc = nfnl_ct_del(sk, ct, 0);
    }
    if (src) nl_addr_put(src);
    if (dst) nl_addr_put(dst);
    nfnl_ct_put(ct);
    return rc;
}

static inline const char *cct_strerror(int err) { return nl_geterror(err); }

#endif
