/*
 * nic.h - client of a network (NIC) driver (endpoint "nic" by convention);
 * its one client is the network stack server.
 *
 * Protocol (one rw_call per request), defined in guest/abi/nic.proto, from
 * which <rewind/nic_proto.h> (labels, constants, errors, request rules,
 * client stubs nic_call_*) is generated; the device in docs/DEVICES.md:
 *
 *   request      words                          buffer   reply (label 0)
 *   NIC_INFO     -                              -        w0 = MAC, w1 = MTU (1514), w2 = link (1 up)
 *   NIC_OPEN     w0 = filter bits (NIC_F_*)     -        -  (session for the caller's badge)
 *   NIC_CLOSE    -                              -        -
 *   NIC_SET_MAC  w0 = MAC (unicast, 48 bits)    -        -
 *   NIC_SEND     w0 = length (14..1514)         frame    w0 = length
 *   NIC_RECV     -                              -        w0 = length, buffer = one frame; NIC_EAGAIN if none
 *   NIC_STATS    -                              -        w0 rx frames, w1 tx frames, w2 rx dropped, w3 tx errors
 *
 * A MAC is 48 bits with the first octet in bits 0-7 (52:54:00:12:34:56 is
 * 0x563412005452).  SET_MAC, SEND and RECV need a session (NIC_ENOTOPEN).
 * After a RECV answered NIC_EAGAIN (or the first frame since the last RECV)
 * the driver NOTIFYs the notification "net_rx" with bit NIC_RX_BIT when a
 * frame arrives: the client drains with RECV until NIC_EAGAIN.
 */
#ifndef REWIND_NIC_H
#define REWIND_NIC_H

#include <stdint.h>
#include <rewind/rewind.h>
#include <rewind/nic_proto.h> /* generated from guest/abi/nic.proto */

#ifdef __cplusplus
extern "C" {
#endif

/* The 48-bit MAC of six octets (mac[0] first on the wire), and back. */
static inline uint64_t nic_mac_pack(const uint8_t mac[6])
{
	uint64_t v = 0;

	for (int i = 5; i >= 0; i--)
		v = v << 8 | mac[i];
	return v;
}

static inline void nic_mac_unpack(uint64_t v, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(v >> (8 * i));
}

/* Name of a NIC_E* code, else rw_strerror's. */
const char *nic_strerror(long err);

#ifdef __cplusplus
}
#endif

#endif
