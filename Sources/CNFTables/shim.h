#ifndef JUNCTION_CNFTABLES_SHIM_H
#define JUNCTION_CNFTABLES_SHIM_H
#include <nftables/libnftables.h>
#endif
