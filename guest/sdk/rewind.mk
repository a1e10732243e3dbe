# rewind.mk - build Rewind guest programs against the SDK.
#
# Usage, in your own Makefile:
#
#   all:                                   # (optional: `all` is the default goal)
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
# Flags for every program: CFLAGS / LDFLAGS given on the make command line or
# set in your Makefile (not taken from the environment), e.g.
# `make CFLAGS='-Og -g3'` for debugging; or REWIND_USER_CFLAGS /
# REWIND_USER_LDFLAGS.  They come after the SDK's own, so -Og overrides -O2.
# Warnings (-Wall -Wextra) are on but are not errors; set
# REWIND_WERROR := -Werror (the project's own guests do) to make them errors.
# A program is rebuilt when its flags change: each program (and the SDK)
# keeps the flags it was built with in $(REWIND_BUILD)/obj/NAME/flags.
#
# Static libraries of one program's own (e.g. a third-party library built by
# your Makefile): set REWIND_LIBS_<NAME> := lib1.a lib2.a before its
# rewind_program; they are linked after its objects and librewind, and are
# prerequisites of the ELF.
#
# Protocols of your own (the format is in ../abi/PROTOCOLS.md): list their
# definitions before the first rewind_program,
#   REWIND_PROTO_FILES := proto/ledger.proto
# and each NAME.proto becomes $(REWIND_BUILD)/include/NAME_proto.h
# (`#include <NAME_proto.h>`: the request rules, NAME_OPS for rw_serve_ops and
# the client stubs NAME_call_op), regenerated when the definition changes.
# NAME must not be one of the SDK's protocols (kv, fs, blk, ...).
#
# memcpy, memmove, memset, memcmp and strlen come from the SDK (sdk/string.c,
# word-sized), not picolibc (a byte per iteration).  To link picolibc's for
# one program, set REWIND_LIBC_STRING_<NAME> := 1 before its rewind_program.
# malloc, free, calloc, realloc and the aligned allocators come from the SDK
# too (sdk/malloc.c: 16-byte aligned blocks, size-class free lists); set
# REWIND_LIBC_MALLOC_<NAME> := 1 for picolibc's nano-malloc (8-aligned).
# printf's decimal digits of a double come from the SDK too (sdk/dtoa.c:
# correctly rounded from the exact value, as glibc prints them).
#
# FLOAT=hard (riscv64) builds for the machine's floating-point unit
# (-march=rv64imafdc -mabi=lp64d, picolibc's hard-float library) into
# build/hardfloat by default; the default, FLOAT=soft, is rv64imac with
# floating point in software.  The two ABIs do not link together: build every
# program of a system (and its SDK) with one of them.  The kernel turns the
# FPU on for a hard-float program; AArch64 always has FP/SIMD.
#
# ARCH picks the instruction set: riscv64 (the default) or aarch64, e.g.
# `make ARCH=aarch64`.  A system has one architecture, so build all of its
# programs for the same one; the kernel picks the CPU from the ELF.  With
# ARCH=aarch64 the default build folder is build/aarch64 (riscv64: build).
#
# Requires, for riscv64, riscv64-unknown-elf-gcc and picolibc (Debian packages
# gcc-riscv64-unknown-elf and picolibc-riscv64-unknown-elf); for aarch64,
# aarch64-linux-gnu-gcc and picolibc (gcc-aarch64-linux-gnu and
# picolibc-aarch64-linux-gnu), used freestanding: no Linux, static, no PIE.

# `make` alone builds `all` (every rewind_program), whether or not the including
# Makefile named a target before this include: otherwise the first rule below
# (a generated header) would become its default goal.
ifeq ($(.DEFAULT_GOAL),)
  .DEFAULT_GOAL := all
endif

ARCH ?= riscv64
FLOAT ?= soft
ifeq ($(filter soft hard,$(FLOAT)),)
  $(error FLOAT=$(FLOAT): expected soft or hard)
endif
ifeq ($(ARCH),riscv64)
  REWIND_CROSS  ?= riscv64-unknown-elf-
  REWIND_SPECS  := --specs=picolibc.specs
  ifeq ($(FLOAT),hard)
    REWIND_ARCH   := -march=rv64imafdc -mabi=lp64d -mcmodel=medany
    REWIND_BUILD  ?= build/hardfloat
  else
    REWIND_ARCH   := -march=rv64imac -mabi=lp64 -mcmodel=medany
    REWIND_BUILD  ?= build
  endif
else ifeq ($(ARCH),aarch64)
  ifeq ($(FLOAT),hard)
    $(error FLOAT=hard is for riscv64: AArch64 programs always use its FP/SIMD unit)
  endif
  REWIND_CROSS  ?= aarch64-linux-gnu-
  # Linux's compiler: no PIE, no stack protector or unwind tables, static.
  REWIND_ARCH   := -march=armv8-a -mcmodel=small -fno-pie -fno-stack-protector \
                   -fno-asynchronous-unwind-tables -fno-unwind-tables
  REWIND_PICOLIBC ?= /usr/lib/picolibc/aarch64-linux-gnu
  REWIND_SPECS  := --specs=$(REWIND_PICOLIBC)/picolibc.specs
  REWIND_LDARCH := -static -no-pie -Wl,--build-id=none
  REWIND_BUILD  ?= build/aarch64
else
  $(error ARCH=$(ARCH): expected riscv64 or aarch64)
endif
REWIND_CC     ?= $(REWIND_CROSS)gcc
REWIND_AR     ?= $(REWIND_CROSS)ar
REWIND_ABI    ?= $(REWIND_SDK)/../abi
REWIND_OBJ    := $(REWIND_BUILD)/obj
REWIND_IMAGE  ?= $(REWIND_BUILD)/image
REWIND_INC    := $(REWIND_BUILD)/include
REWIND_ABI_H  := $(REWIND_INC)/rewind/abi.h
# One header per protocol definition (abi/NAME.proto -> rewind/NAME_proto.h).
REWIND_PROTOS  := $(sort $(basename $(notdir $(wildcard $(REWIND_ABI)/*.proto))))
REWIND_PROTO_H := $(patsubst %,$(REWIND_INC)/rewind/%_proto.h,$(REWIND_PROTOS))
# A user's protocols (REWIND_PROTO_FILES): headers in $(REWIND_INC) itself.
# Recursive, so that a Makefile may set the list after this include (before
# its first rewind_program, whose objects wait for the headers).
REWIND_PROTO_FILES ?=
rewind__user_protos = $(sort $(basename $(notdir $(REWIND_PROTO_FILES))))
REWIND_USER_PROTO_H = $(patsubst %,$(REWIND_INC)/%_proto.h,$(rewind__user_protos))
REWIND_GEN_H   = $(REWIND_ABI_H) $(REWIND_PROTO_H) $(REWIND_USER_PROTO_H)
REWIND_MK     := $(REWIND_SDK)/rewind.mk

REWIND_WERROR  ?=
# Flags that turn a skipped branch or a flipped comparison into a trap (GCC 12: each conditional
# branch checks its reversed condition again on both ways out, each stored comparison its
# reverse; a mismatch is __builtin_trap, an ebreak / brk that txipc rolls back). For a server
# whose wrong answers cost more than its time: a program's third rewind_program argument, e.g.
# $(eval $(call rewind_program,bank,bank.c,$(REWIND_HARDEN_CFLAGS))). Not the default: a
# server ran 25-28 % more instructions a request (docs/PERFORMANCE.md, "Hardened branches").
REWIND_HARDEN_CFLAGS := -fharden-compares -fharden-conditional-branches
# The assembler gcc runs for every object (-B): sdk/trap-jumps.sh, through a shim in the build
# folder that names the real one. It puts a word that cannot run after each ret and jump of
# compiled C, so that a fault that skips one traps instead of running the code placed next
# (trap-jumps.sh says more). Costs nothing at run time. REWIND_TRAP_JUMPS= (empty) turns it off.
REWIND_TRAP_JUMPS ?= 1
REWIND_AS_SCRIPT := $(abspath $(REWIND_SDK))/trap-jumps.sh
REWIND_AS_SHIM   := $(abspath $(REWIND_BUILD))/bin/as
ifneq ($(REWIND_TRAP_JUMPS),)
  REWIND_AS_FLAGS := -B$(dir $(REWIND_AS_SHIM))
  REWIND_AS_DEPS  := $(REWIND_AS_SHIM) $(REWIND_AS_SCRIPT)
endif
# CFLAGS / LDFLAGS count only when given on the command line or in a
# Makefile: a host CFLAGS in the environment is not meant for this compiler.
rewind__user   = $(if $(filter environment%,$(origin $(1))),,$($(1)))
REWIND_CFLAGS  = $(REWIND_ARCH) $(REWIND_AS_FLAGS) -O2 -g -Wall -Wextra $(REWIND_WERROR) \
                 -ffunction-sections -fdata-sections $(REWIND_SPECS) \
                 -I$(REWIND_SDK)/include -I$(REWIND_INC) $(REWIND_USER_CFLAGS) $(call rewind__user,CFLAGS)
REWIND_LDFLAGS = $(REWIND_ARCH) $(REWIND_LDARCH) -g $(REWIND_SPECS) -nostartfiles \
                 -T $(REWIND_SDK)/link.ld -Wl,--gc-sections -L$(REWIND_BUILD)/lib $(REWIND_USER_LDFLAGS) $(call rewind__user,LDFLAGS)

ifeq ($(V),1)
  REWIND_Q :=
  REWIND_SAY := @true
  REWIND_SAY_SH := true
else ifneq ($(findstring s,$(filter-out --%,$(firstword -$(MAKEFLAGS)))),)
  # make -s: no CC/LD lines either
  REWIND_Q := @
  REWIND_SAY := @true
  REWIND_SAY_SH := true
else
  REWIND_Q := @
  REWIND_SAY := @printf '  %-7s %s\n'
  REWIND_SAY_SH := printf '  %-7s %s\n'
endif

REWIND_PROGRAMS :=

# ---- SDK: ABI and protocol headers (generated), crt0, libc glue, librewind ----

$(REWIND_ABI_H): $(REWIND_ABI)/abi.def $(REWIND_ABI)/gen-abi.sh
	$(REWIND_SAY) GEN $@
	$(REWIND_Q)sh $(REWIND_ABI)/gen-abi.sh c $@

$(REWIND_INC)/rewind/%_proto.h: $(REWIND_ABI)/%.proto $(REWIND_ABI)/gen-proto.sh
	$(REWIND_SAY) GEN $@
	$(REWIND_Q)sh $(REWIND_ABI)/gen-proto.sh c $< $@

# $(call rewind__user_proto,FILE): the rule for one user protocol's header.
define rewind__user_proto
$(if $(filter $(basename $(notdir $(1))),$(REWIND_PROTOS)),$$(error REWIND_PROTO_FILES: $(1) has the name of the SDK's protocol $(basename $(notdir $(1))) (../abi/$(notdir $(1))); rename it and its "protocol" line))
$(if $(filter-out %.proto,$(1)),$$(error REWIND_PROTO_FILES: $(1) is not a .proto file))
$(if $(wildcard $(1)),,$$(error REWIND_PROTO_FILES: $(1) does not exist (paths are relative to the folder make runs in)))
$(REWIND_INC)/$(basename $(notdir $(1)))_proto.h: $(1) $(REWIND_ABI)/gen-proto.sh
	$$(REWIND_SAY) GEN $$@
	$$(REWIND_Q)sh $(REWIND_ABI)/gen-proto.sh c $$< $$@ $(1)
endef

# Checked and given rules once, at the first rewind_program (when the
# Makefile has set REWIND_PROTO_FILES).
rewind__protos_done :=
define rewind__protos
$(if $(word 2,$(filter %/$(1).proto $(1).proto,$(REWIND_PROTO_FILES))),$$(error REWIND_PROTO_FILES: two definitions of protocol $(1): $(filter %/$(1).proto $(1).proto,$(REWIND_PROTO_FILES))))
endef
define rewind__user_protos_once
ifeq ($$(rewind__protos_done),)
rewind__protos_done := 1
$$(foreach n,$$(rewind__user_protos),$$(eval $$(call rewind__protos,$$(n))))
$$(foreach f,$$(REWIND_PROTO_FILES),$$(eval $$(call rewind__user_proto,$$(f))))
endif
endef

# ---- flags stamps ----

# $(call rewind__stamp,FILE,VAR): FILE holds the value of VAR; it is rewritten
# (and so newer than what was built from it) only when that value changes.
rewind__quote = '$(subst ','\'',$(1))'
define rewind__stamp
$(1): rewind__force
	@mkdir -p $$(@D)
	$$(REWIND_Q)printf '%s\n' $$(call rewind__quote,$$($(2))) > $$@.tmp; \
	if cmp -s $$@.tmp $$@; then rm -f $$@.tmp; else mv -f $$@.tmp $$@ && $$(REWIND_SAY_SH) FLAGS $$@; fi
endef

.PHONY: rewind__force
rewind__force:

# The shim gcc finds as its assembler (REWIND_AS_FLAGS): the real one is what gcc would run.
$(REWIND_AS_SHIM): $(REWIND_MK)
	@mkdir -p $(@D)
	$(REWIND_Q)real=$$($(REWIND_CC) -print-prog-name=as) && \
	printf '#!/bin/sh\nexec sh %s %s %s "$$@"\n' "'$(REWIND_AS_SCRIPT)'" "'$$real'" '$(ARCH)' > $@.tmp && \
	chmod +x $@.tmp && mv -f $@.tmp $@

# ---- SDK: crt0, libc glue, string functions, librewind ----

REWIND_CRT0     := $(REWIND_OBJ)/sdk/crt0.o
REWIND_SYS      := $(REWIND_OBJ)/sdk/sys.o
REWIND_MALLOC   := $(REWIND_OBJ)/sdk/malloc.o
REWIND_STRING   := $(REWIND_OBJ)/sdk/string.o
REWIND_DTOA     := $(REWIND_OBJ)/sdk/dtoa.o
REWIND_ATOMIC_O := $(REWIND_OBJ)/sdk/atomic.o
REWIND_ATOMIC   := $(REWIND_BUILD)/lib/libatomic.a
REWIND_LIB_SRCS := $(wildcard $(REWIND_SDK)/lib/*.c)
REWIND_LIB_OBJS := $(patsubst $(REWIND_SDK)/lib/%.c,$(REWIND_OBJ)/sdk/lib/%.o,$(REWIND_LIB_SRCS))
REWIND_LIB      := $(REWIND_BUILD)/lib/librewind.a
REWIND_SDK_OBJS := $(REWIND_CRT0) $(REWIND_SYS) $(REWIND_MALLOC) $(REWIND_STRING) $(REWIND_DTOA) $(REWIND_ATOMIC_O) $(REWIND_LIB_OBJS)
REWIND_SDK_FLAGS_FILE := $(REWIND_OBJ)/sdk/flags

# The SDK's own objects are never LTO bitcode, whatever -flto a user's CFLAGS
# carry: libc's references into them (stdout, memset) are resolved by the
# plain linker, which cannot see symbols inside bitcode.
REWIND_SDK_CFLAGS = $(filter-out -flto -flto=% -ffat-lto-objects,$(REWIND_CFLAGS)) -fno-lto
REWIND_SDK_FLAGS = $(REWIND_CC) $(REWIND_SDK_CFLAGS)
$(eval $(call rewind__stamp,$(REWIND_SDK_FLAGS_FILE),REWIND_SDK_FLAGS))

# The SDK's own <time.h>, <stdio.h>, ... (include/*.h) stand in front of
# picolibc's: an object's .d file names the header it used, but not one that
# would now shadow it, so every object also depends on the list of them.
REWIND_LIBC_WRAPPERS := $(sort $(notdir $(wildcard $(REWIND_SDK)/include/*.h)))
REWIND_WRAPPERS_FILE := $(REWIND_OBJ)/sdk/wrappers
$(eval $(call rewind__stamp,$(REWIND_WRAPPERS_FILE),REWIND_LIBC_WRAPPERS))

# The string functions must not be compiled back into calls to themselves, nor
# calloc's malloc and memset into a call to calloc.
$(REWIND_STRING) $(REWIND_MALLOC): REWIND_NOBUILTIN := -fno-builtin -fno-tree-loop-distribute-patterns

$(REWIND_OBJ)/sdk/%.o: $(REWIND_SDK)/%.c $(REWIND_MK) $(REWIND_SDK_FLAGS_FILE) $(REWIND_WRAPPERS_FILE) $(REWIND_AS_DEPS) | $(REWIND_GEN_H)
	@mkdir -p $(@D)
	$(REWIND_SAY) CC $@
	$(REWIND_Q)$(REWIND_CC) $(REWIND_SDK_CFLAGS) $(REWIND_NOBUILTIN) -MMD -MP -c -o $@ $<

$(REWIND_OBJ)/sdk/%.o: $(REWIND_SDK)/%.S $(REWIND_MK) $(REWIND_SDK_FLAGS_FILE) $(REWIND_AS_DEPS) | $(REWIND_GEN_H)
	@mkdir -p $(@D)
	$(REWIND_SAY) AS $@
	$(REWIND_Q)$(REWIND_CC) $(REWIND_SDK_CFLAGS) -MMD -MP -c -o $@ $<

$(REWIND_LIB): $(REWIND_LIB_OBJS)
	@mkdir -p $(@D)
	$(REWIND_SAY) AR $@
	$(REWIND_Q)rm -f $@ && $(REWIND_AR) rcs $@ $^

# libatomic's functions (sdk/atomic.c): linked last into every program, and found by -latomic.
$(REWIND_ATOMIC): $(REWIND_ATOMIC_O)
	@mkdir -p $(@D)
	$(REWIND_SAY) AR $@
	$(REWIND_Q)rm -f $@ && $(REWIND_AR) rcs $@ $^

-include $(REWIND_SDK_OBJS:.o=.d)

# ---- programs ----

# $(call rewind__object,PROG,SOURCE,EXTRA_CFLAGS)
define rewind__object
$(REWIND_OBJ)/$(1)/$(basename $(notdir $(2))).o: $(2) $(REWIND_MK) $(REWIND_OBJ)/$(1)/flags $(REWIND_WRAPPERS_FILE) $(REWIND_AS_DEPS) | $(REWIND_GEN_H)
	@mkdir -p $$(@D)
	$$(REWIND_SAY) CC $$@
	$$(REWIND_Q)$$(REWIND_CC) $$(REWIND_CFLAGS) $(3) -MMD -MP -c -o $$@ $$<
-include $(REWIND_OBJ)/$(1)/$(basename $(notdir $(2))).d
endef

# $(call rewind_program,NAME,SOURCES[,EXTRA_CFLAGS[,EXTRA_LDFLAGS]])
define rewind_program
$(rewind__user_protos_once)
REWIND_PROGRAMS += $(REWIND_IMAGE)/$(1).elf
all: $(REWIND_IMAGE)/$(1).elf
REWIND_FLAGS.$(1) = $$(REWIND_CC) $$(REWIND_CFLAGS) $(3) | $$(REWIND_LDFLAGS) $(4) | $(if $(REWIND_LIBC_STRING_$(1)),libc-string,sdk-string) $(if $(REWIND_LIBC_MALLOC_$(1)),libc-malloc,sdk-malloc) $(REWIND_LIBS_$(1))
$(call rewind__stamp,$(REWIND_OBJ)/$(1)/flags,REWIND_FLAGS.$(1))
$(foreach s,$(2),$(eval $(call rewind__object,$(1),$(s),$(3))))
$(REWIND_IMAGE)/$(1).elf: $(foreach s,$(2),$(REWIND_OBJ)/$(1)/$(basename $(notdir $(s))).o) $(REWIND_CRT0) $(REWIND_SYS) $(if $(REWIND_LIBC_MALLOC_$(1)),,$(REWIND_MALLOC)) $(REWIND_DTOA) $(if $(REWIND_LIBC_STRING_$(1)),,$(REWIND_STRING)) $(REWIND_LIB) $(REWIND_LIBS_$(1)) $(REWIND_ATOMIC) $(REWIND_SDK)/link.ld $(REWIND_OBJ)/$(1)/flags
	@mkdir -p $$(@D)
	$$(REWIND_SAY) LD $$@
	$$(REWIND_Q)$$(REWIND_CC) $$(REWIND_LDFLAGS) $(4) -o $$@ $(REWIND_CRT0) $(REWIND_SYS) $(if $(REWIND_LIBC_MALLOC_$(1)),,$(REWIND_MALLOC)) $(REWIND_DTOA) $(foreach s,$(2),$(REWIND_OBJ)/$(1)/$(basename $(notdir $(s))).o) $(if $(REWIND_LIBC_STRING_$(1)),,$(REWIND_STRING)) $(REWIND_LIB) $(REWIND_LIBS_$(1)) $(REWIND_ATOMIC)
endef

.DELETE_ON_ERROR:
