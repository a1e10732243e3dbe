# rewind.mk - build Rewind guest programs against the SDK.
#
# Usage, in your own Makefile:
#
#   all:                                   # keep `all` the default goal
#   REWIND_SDK   := /path/to/rewind/guest/sdk
#   REWIND_BUILD := build                   # optional, default: build
#   include $(REWIND_SDK)/rewind.mk
#
#   $(eval $(call rewind_program,hello,hello.c util.c))
#   $(eval $(call rewind_program,big,big.c,-DFOO=1,-Xlinker --defsym=X=1))
#
#   all: $(REWIND_PROGRAMS)
#
# rewind_program NAME, SOURCES [, EXTRA_CFLAGS [, EXTRA_LDFLAGS]] builds
# $(REWIND_IMAGE)/NAME.elf (default build/image/NAME.elf) from C or assembly
# (.S) sources.  Objects go to $(REWIND_BUILD)/obj/NAME/ (source base names
# must be unique within a program); the SDK itself (crt0, libc glue and
# librewind with the kv/fs/blk/tty clients: every sdk/lib/*.c) is built once
# into $(REWIND_BUILD).
# Extra flags must not contain commas: use -Xlinker instead of -Wl,a,b.
# `make V=1` shows the full commands.
#
# Requires riscv64-unknown-elf-gcc and picolibc (Debian packages
# gcc-riscv64-unknown-elf and picolibc-riscv64-unknown-elf).

REWIND_CROSS  ?= riscv64-unknown-elf-
REWIND_CC     ?= $(REWIND_CROSS)gcc
REWIND_AR     ?= $(REWIND_CROSS)ar
REWIND_BUILD  ?= build
REWIND_ABI    ?= $(REWIND_SDK)/../abi
REWIND_OBJ    := $(REWIND_BUILD)/obj
REWIND_IMAGE  ?= $(REWIND_BUILD)/image
REWIND_INC    := $(REWIND_BUILD)/include
REWIND_ABI_H  := $(REWIND_INC)/rewind/abi.h
REWIND_MK     := $(REWIND_SDK)/rewind.mk

REWIND_ARCH    := -march=rv64imac -mabi=lp64 -mcmodel=medany
REWIND_CFLAGS  := $(REWIND_ARCH) -O2 -g -Wall -Wextra -Werror \
                  -ffunction-sections -fdata-sections --specs=picolibc.specs \
                  -I$(REWIND_SDK)/include -I$(REWIND_INC) $(REWIND_USER_CFLAGS)
REWIND_LDFLAGS := $(REWIND_ARCH) -g --specs=picolibc.specs -nostartfiles \
                  -T $(REWIND_SDK)/link.ld -Wl,--gc-sections $(REWIND_USER_LDFLAGS)

ifeq ($(V),1)
  REWIND_Q :=
  REWIND_SAY := @true
else
  REWIND_Q := @
  REWIND_SAY := @printf '  %-7s %s\n'
endif

REWIND_PROGRAMS :=

# ---- SDK: ABI header, crt0, libc glue, librewind ----

$(REWIND_ABI_H): $(REWIND_ABI)/abi.def $(REWIND_ABI)/gen-abi.sh
	$(REWIND_SAY) GEN $@
	$(REWIND_Q)sh $(REWIND_ABI)/gen-abi.sh c $@

REWIND_CRT0     := $(REWIND_OBJ)/sdk/crt0.o
REWIND_SYS      := $(REWIND_OBJ)/sdk/sys.o
REWIND_LIB_SRCS := $(wildcard $(REWIND_SDK)/lib/*.c)
REWIND_LIB_OBJS := $(patsubst $(REWIND_SDK)/lib/%.c,$(REWIND_OBJ)/sdk/lib/%.o,$(REWIND_LIB_SRCS))
REWIND_LIB      := $(REWIND_BUILD)/lib/librewind.a
REWIND_SDK_OBJS := $(REWIND_CRT0) $(REWIND_SYS) $(REWIND_LIB_OBJS)

$(REWIND_OBJ)/sdk/%.o: $(REWIND_SDK)/%.c $(REWIND_MK) | $(REWIND_ABI_H)
	@mkdir -p $(@D)
	$(REWIND_SAY) CC $@
	$(REWIND_Q)$(REWIND_CC) $(REWIND_CFLAGS) -MMD -MP -c -o $@ $<

$(REWIND_OBJ)/sdk/%.o: $(REWIND_SDK)/%.S $(REWIND_MK) | $(REWIND_ABI_H)
	@mkdir -p $(@D)
	$(REWIND_SAY) AS $@
	$(REWIND_Q)$(REWIND_CC) $(REWIND_CFLAGS) -MMD -MP -c -o $@ $<

$(REWIND_LIB): $(REWIND_LIB_OBJS)
	@mkdir -p $(@D)
	$(REWIND_SAY) AR $@
	$(REWIND_Q)rm -f $@ && $(REWIND_AR) rcs $@ $^

-include $(REWIND_SDK_OBJS:.o=.d)

# ---- programs ----

# $(call rewind__object,PROG,SOURCE,EXTRA_CFLAGS)
define rewind__object
$(REWIND_OBJ)/$(1)/$(basename $(notdir $(2))).o: $(2) $(REWIND_MK) | $(REWIND_ABI_H)
	@mkdir -p $$(@D)
	$$(REWIND_SAY) CC $$@
	$$(REWIND_Q)$$(REWIND_CC) $$(REWIND_CFLAGS) $(3) -MMD -MP -c -o $$@ $$<
-include $(REWIND_OBJ)/$(1)/$(basename $(notdir $(2))).d
endef

# $(call rewind_program,NAME,SOURCES[,EXTRA_CFLAGS[,EXTRA_LDFLAGS]])
define rewind_program
REWIND_PROGRAMS += $(REWIND_IMAGE)/$(1).elf
$(foreach s,$(2),$(eval $(call rewind__object,$(1),$(s),$(3))))
$(REWIND_IMAGE)/$(1).elf: $(foreach s,$(2),$(REWIND_OBJ)/$(1)/$(basename $(notdir $(s))).o) $(REWIND_CRT0) $(REWIND_SYS) $(REWIND_LIB) $(REWIND_SDK)/link.ld
	@mkdir -p $$(@D)
	$$(REWIND_SAY) LD $$@
	$$(REWIND_Q)$$(REWIND_CC) $$(REWIND_LDFLAGS) $(4) -o $$@ $(REWIND_CRT0) $(REWIND_SYS) $(foreach s,$(2),$(REWIND_OBJ)/$(1)/$(basename $(notdir $(s))).o) $(REWIND_LIB)
endef

.DELETE_ON_ERROR:
