/*
 * lwipopts.h - the lwIP configuration of Rewind's network stack server
 * (guest/servers/net_server.c).  NO_SYS: one task, no threads, no locking;
 * the raw (callback) API only, no sockets or netconn API of lwIP's own (the
 * stack server's "net" protocol is the socket API).  IPv4 with ARP, ICMP,
 * UDP (for DHCP), TCP and DHCP; no IPv6, DNS, IGMP, AutoIP.
 *
 * Memory is bounded: lwIP's own heap (MEM_SIZE) and fixed pools, all in the
 * task's .bss.  Per connection, received data waits in pbufs until the client
 * reads it and the window is only reopened then (tcp_recved), so a socket
 * holds at most TCP_WND bytes of received data.
 */
#ifndef REWIND_LWIPOPTS_H
#define REWIND_LWIPOPTS_H

#define NO_SYS               1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_TIMERS          1
#define LWIP_SOCKET          0
#define LWIP_NETCONN         0
#define LWIP_NETIF_API       0

#define LWIP_IPV4                  1
#define LWIP_IPV6                  0
#define LWIP_ARP                   1
#define LWIP_ETHERNET              1
#define LWIP_ICMP                  1
#define LWIP_RAW                   0
#define LWIP_UDP                   1
#define LWIP_TCP                   1
#define LWIP_DHCP                  1
#define DHCP_DOES_ARP_CHECK        0 /* bind at once (slirp's pool has no other hosts) */
#define LWIP_AUTOIP                0
#define LWIP_IGMP                  0
#define LWIP_DNS                   0
#define IP_REASSEMBLY              1
#define IP_FRAG                    1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_HOSTNAME        0
#define LWIP_SINGLE_NETIF          1
/* Packets to the machine's own address loop back inside the stack (queued
 * by netif_loop_output, taken by netif_poll in net_server's loop): tasks of
 * one machine connect to each other (net_server sends what is for 127/8 to
 * the own address: lwIP routes loopback addresses only through a loopback
 * interface, which a single-interface build has not).  At most 64 pbufs
 * wait there; beyond, a packet is dropped (TCP sends it again). */
#define LWIP_NETIF_LOOPBACK        1
#define LWIP_LOOPBACK_MAX_PBUFS    64

/* Memory: lwIP's heap and pools (all static). */
#define MEM_LIBC_MALLOC         0
#define MEMP_MEM_MALLOC         0
#define MEM_ALIGNMENT           8
#define MEM_SIZE                (1024 * 1024) /* sends, and received data not yet read */
#define MEMP_NUM_PBUF           64
#define MEMP_NUM_UDP_PCB        20  /* DHCP + the UDP sockets of programs */
#define MEMP_NUM_TCP_PCB        272 /* 256 sockets + connections closing */
#define MEMP_NUM_TCP_PCB_LISTEN 16
#define MEMP_NUM_TCP_SEG        512
#define MEMP_NUM_REASSDATA      4
#define MEMP_NUM_ARP_QUEUE      32
#define PBUF_POOL_SIZE          128 /* frames being received (net_server copies data out) */
#define ARP_TABLE_SIZE          8
#define ARP_QUEUEING            1
/* Packets held per address being resolved: a burst of connections to a
 * fresh address (slirp's 10.0.2.2 right after DHCP) has its SYN-ACKs sent
 * once the ARP reply comes, not dropped beyond lwIP's default of 3 (each
 * drop costs that client a retransmitted SYN, 3 s or more). */
#define ARP_QUEUE_LEN           24

/* TCP: a 1460-byte MSS, 16 KiB windows each way. */
#define TCP_MSS                    1460
#define TCP_WND                    (11 * TCP_MSS)
#define TCP_SND_BUF                (11 * TCP_MSS)
#define TCP_SND_QUEUELEN           (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_LISTEN_BACKLOG         1
#define TCP_DEFAULT_LISTEN_BACKLOG 16
#define LWIP_TCP_KEEPALIVE         0
#define TCP_QUEUE_OOSEQ            1
#define LWIP_CALLBACK_API          1
/* SO_REUSEADDR, which net_server sets on every listening socket: a port can
 * be listened on again while connections accepted on it still close or wait
 * in TIME_WAIT (2 * TCP_MSL, two minutes), as on any host whose servers set
 * it.  lwIP still refuses a second listener on the same port (ERR_USE). */
#define SO_REUSE                   1

/* Frames leave in one pbuf (net_server copies it into the IPC buffer). */
#define LWIP_NETIF_TX_SINGLE_PBUF 1

/* The Internet checksum, 8 bytes a step (net_server.c): lwIP's own adds 2
 * bytes a step, and every byte received or sent is summed at least once. */
unsigned short net_chksum(const void *dataptr, int len);
#define LWIP_CHKSUM net_chksum

/* A client's bytes wait in the send queue until the window lets them out,
 * and in it again until they are acknowledged.  tcp_write sums them as it
 * copies them in (checksum on copy), and tcp_output_segment sums what is
 * there when it sends a segment (the sanity check): bytes that changed while
 * they waited (a flipped bit of memory, a stray store) would otherwise leave
 * under a checksum computed over the wrong bytes, which the peer takes.  A
 * mismatch is a fault of the request or wake (net_sent_bytes_changed,
 * net_server.c), which txipc undoes; the send is then made again from the
 * state before, or from the history's record of the SEND that queued them. */
#define LWIP_CHECKSUM_ON_COPY             1
#define TCP_CHECKSUM_ON_COPY_SANITY_CHECK 1
void net_sent_bytes_changed(void);
#define TCP_CHECKSUM_ON_COPY_SANITY_CHECK_FAIL(msg) net_sent_bytes_changed()
#define ETH_PAD_SIZE                                0

/* Every bulk copy lwIP makes goes through net_copy_checked (net_server.c),
 * which compares the copy with its source and ends the task as faulted if
 * they differ: a client's bytes into a segment (tcp_write), received data out
 * of a frame and to the client (pbuf_copy, pbuf_copy_partial, pbuf_take).  A
 * fault that garbles a copy without trapping (a skipped store, a flipped
 * pointer or count register, a changed instruction in memcpy) would otherwise
 * send or hand over wrong bytes under a checksum computed over them; caught,
 * it is a fault of the request or wake, which txipc undoes.  Header copies
 * (SMEMCPY) are left alone: the checksums over them are computed after; so
 * are whole frames (net_server.c, frame_copy), which checksums cover. */
#include <stddef.h>
void *net_copy_checked(void *dst, const void *src, size_t len);
#define MEMCPY(dst, src, len) net_copy_checked((dst), (src), (len))

#define LWIP_STATS         0
#define LWIP_DEBUG         0
#define LWIP_PROVIDE_ERRNO 0
#define CHECKSUM_CHECK_IP  1
#define CHECKSUM_CHECK_TCP 1
#define CHECKSUM_CHECK_UDP 1

#endif
