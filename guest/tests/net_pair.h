/*
 * net_pair.h - the common head of the network tests built twice, once as
 * the server (on stack "net", 10.0.2.15) and once with -DCLIENT as its
 * client (on "net2"), the two stacks joined by tests/nic_wire.c.
 *
 * Define NAME (the program's name, a string) before including it.  It gives
 * ROLE and STACK for the build, the stack's capability `net', and
 * fail(what, r), which prints "NAME: ROLE FAIL what: error" and returns 1.
 */
#ifndef NET_PAIR_H
#define NET_PAIR_H

#include <stdio.h>
#include <rewind/net.h>

#ifndef NAME
#error "define NAME before including net_pair.h"
#endif

#ifdef CLIENT
#define ROLE  "client"
#define STACK "net2"
#else
#define ROLE  "server"
#define STACK "net"
#endif

static rw_cap net;

static __attribute__((unused)) int fail(const char *what, long r)
{
	printf(NAME ": " ROLE " FAIL %s: %s\n", what, net_strerror(r));
	return 1;
}

#endif
