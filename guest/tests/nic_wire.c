/*
 * nic_wire - a test stand-in for the NIC driver: serves the "nic" protocol
 * to two stacks (two client badges) and passes every frame one sends to the
 * other, as if their cards were joined by a cable.  No device: the network
 * stack, the socket library and the apps are tested end to end inside the
 * guest (tests t_net_wire*.toml).  Each client gets its own MAC at INFO
 * (52:54:00:12:34:10 + the order it came in); frames wait in a queue of
 * QLEN per client (more are dropped, counted); whenever one is queued both
 * "net_rx" and "net_rx2" are NOTIFYed (a stack woken for nothing drains
 * NIC_EAGAIN).  DROP_EVERY (0: none) drops every Nth frame, to make TCP
 * retransmit.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/nic.h>
#include <rewind/driver.h>

#ifndef DROP_EVERY
#define DROP_EVERY 0
#endif
#define QLEN 32

struct port {
	int used, open;
	uint64_t badge;
	uint32_t head, n;
	uint16_t len[QLEN];
	uint8_t frame[QLEN][NIC_MTU];
};

static struct port ports[2];
static rw_cap rx1, rx2;
static int have1, have2;
static uint64_t sent, dropped;

static struct port *port_of(uint64_t badge, int add)
{
	for (int i = 0; i < 2; i++)
		if (ports[i].used && ports[i].badge == badge)
			return &ports[i];
	if (!add)
		return NULL;
	for (int i = 0; i < 2; i++) {
		if (!ports[i].used) {
			ports[i].used = 1;
			ports[i].badge = badge;
			return &ports[i];
		}
	}
	return NULL;
}

static long do_info(const rw_request *r)
{
	struct port *p = port_of(r->badge, 1);
	uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x10 };

	if (!p)
		return RW_ENOMEM;
	mac[5] = (uint8_t)(0x10 + (p - ports));
	r->out->w[0] = nic_mac_pack(mac);
	r->out->w[1] = NIC_MTU;
	r->out->w[2] = 1;
	return 0;
}

static long do_open(const rw_request *r)
{
	struct port *p = port_of(r->badge, 1);

	if (!p)
		return RW_ENOMEM;
	p->open = 1;
	return 0;
}

static long do_close(const rw_request *r)
{
	struct port *p = port_of(r->badge, 0);

	if (p)
		p->open = 0;
	return 0;
}

static long do_set_mac(const rw_request *r)
{
	struct port *p = port_of(r->badge, 0);

	return p && p->open ? 0 : NIC_ENOTOPEN;
}

static long do_send(const rw_request *r)
{
	struct port *p = port_of(r->badge, 0);

	if (!p || !p->open)
		return NIC_ENOTOPEN;
	struct port *q = &ports[p == &ports[0]];
	uint32_t len = (uint32_t)r->in->w[0];
	r->out->w[0] = len;
	sent++;
	if (!q->open || q->n == QLEN || (DROP_EVERY && sent % DROP_EVERY == 0)) {
		dropped++;
		return 0; /* lost on the wire */
	}
	uint32_t slot = (q->head + q->n) % QLEN;
	memcpy(q->frame[slot], rw_ipc_buf(), len);
	q->len[slot] = (uint16_t)len;
	q->n++;
	if (have1)
		rw_notify(rx1, NIC_RX_BIT);
	if (have2)
		rw_notify(rx2, NIC_RX_BIT);
	return 0;
}

static long do_recv(const rw_request *r)
{
	struct port *p = port_of(r->badge, 0);

	if (!p || !p->open)
		return NIC_ENOTOPEN;
	if (p->n == 0)
		return NIC_EAGAIN;
	uint32_t len = p->len[p->head];
	memcpy(rw_ipc_buf(), p->frame[p->head], len);
	p->head = (p->head + 1) % QLEN;
	p->n--;
	r->out->w[0] = len;
	r->out->len = len;
	return 0;
}

static long do_stats(const rw_request *r)
{
	r->out->w[0] = sent - dropped;
	r->out->w[1] = sent;
	r->out->w[2] = dropped;
	return 0;
}

static const rw_op ops[] = { NIC_OPS(do_) };

int main(void)
{
	rw_cap ep;

	if (rw_cap_get("nic", &ep) < 0) {
		printf("nic_wire: no endpoint \"nic\"\n");
		return 1;
	}
	have1 = rw_cap_get("net_rx", &rx1) == 0;
	have2 = rw_cap_get("net_rx2", &rx2) == 0;
	printf("nic_wire: ready\n");
	rw_serve_ops(ep, ops, RW_NOPS(ops), NULL);
}
