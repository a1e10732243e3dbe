# lwip.mk - lwIP (Debian's source package `lwip`), cross-compiled into a static
# library for the guest architecture; included by guest/Makefile.
#
# The source is fetched once per user by fetch-lwip.sh (a private apt
# configuration, signatures and checksums checked by apt) into
# ${XDG_CACHE_HOME:-~/.cache}/rewind/lwip-VERSION, and reused.  Built: the
# IPv4 core (TCP, UDP, DHCP, ARP, ICMP, ethernet) with the project's
# lwipopts.h and arch/cc.h (net/include/); NO_SYS, raw API only.
#   LWIP_LIB      $(REWIND_BUILD)/lib/liblwip.a
#   LWIP_CFLAGS   the include flags a program that uses lwIP's headers needs
# lwIP is not the project's code: it is compiled with its own warning flags
# (-Wall, not -Werror), and programs include its headers with -isystem.

LWIP_VERSION := 2.1.3+dfsg1-2
ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),all)),)
LWIP_DIR := $(shell sh net/fetch-lwip.sh $(LWIP_VERSION))
ifeq ($(LWIP_DIR),)
$(error lwIP $(LWIP_VERSION) is not available (the message above says why); REWIND_LWIP_DIR=DIR uses a tree already on disk)
endif
endif

LWIP_SRCS := core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
             core/netif.c core/pbuf.c core/stats.c core/tcp.c core/tcp_in.c core/tcp_out.c \
             core/timeouts.c core/udp.c \
             core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
             core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c \
             netif/ethernet.c
LWIP_OBJ   := $(REWIND_OBJ)/lwip
LWIP_OBJS  := $(patsubst %.c,$(LWIP_OBJ)/%.o,$(LWIP_SRCS))
LWIP_LIB   := $(REWIND_BUILD)/lib/liblwip.a
LWIP_CFLAGS := -Inet/include -isystem $(LWIP_DIR)/src/include
LWIP_OWN_CFLAGS = $(REWIND_ARCH) -O2 -g -Wall -Wno-address -ffunction-sections -fdata-sections \
                  $(REWIND_SPECS) -Inet/include -I$(LWIP_DIR)/src/include
LWIP_FLAGS = $(REWIND_CC) $(LWIP_OWN_CFLAGS)
$(eval $(call rewind__stamp,$(LWIP_OBJ)/flags,LWIP_FLAGS))

$(LWIP_OBJ)/%.o: $(LWIP_DIR)/src/%.c net/include/lwipopts.h net/include/arch/cc.h $(LWIP_OBJ)/flags
	@mkdir -p $(@D)
	$(REWIND_SAY) CC $@
	$(REWIND_Q)$(REWIND_CC) $(LWIP_OWN_CFLAGS) -c -o $@ $<

$(LWIP_LIB): $(LWIP_OBJS)
	@mkdir -p $(@D)
	$(REWIND_SAY) AR $@
	$(REWIND_Q)rm -f $@ && $(REWIND_AR) rcs $@ $^
