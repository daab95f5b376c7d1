# splicelab: the one entry point.
#   make            build everything into build/ (installs Debian deps when missing)
#   make test       unit + integration tests (real splices on this kernel and in qemu)
#   make bench      performance figures
#   make run        the default matrix on this machine -> build/runs/<label>/matrix.json
#   make lab        the matrix inside other kernels under qemu (KERNELS=..., MATRIX=...)
#   make compare    analyze every results/*/matrix.json
#   make install PREFIX=/usr/local
# V=1 shows full commands.

BUILD   ?= build
PREFIX  ?= /usr/local
CC      ?= gcc
OPT     ?= -O2 -g
CSTD    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
CFLAGS  += $(OPT) $(CSTD)
LDLIBS_JSON := -ljansson
VERSION := 0.1.0
COMMIT  := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
MAKEFLAGS += --no-print-directory
endif

# Rewritten only when the commit changes (any git layout, worktrees too), so
# the one object that records the commit is rebuilt exactly then.
COMMIT_STAMP := $(BUILD)/.commit
$(shell mkdir -p $(BUILD) && [ "$$(cat $(COMMIT_STAMP) 2>/dev/null)" = "$(COMMIT)" ] || echo "$(COMMIT)" >$(COMMIT_STAMP))

# Every object depends on this stamp (order-only), so it must be defined
# before the component makefiles are read.
DEPS_STAMP := $(BUILD)/.deps

# Component makefiles append to these.
TOOLS        :=
STATIC_TOOLS :=
TEST_BINS    :=
BENCH_SCRIPTS := scripts/bench-matrix.sh
DEPS_PARTS   := build test

.PHONY: all tools test bench run lab reference compare install clean deps lint
.DELETE_ON_ERROR:
.SECONDARY:

all: tools

include common/common.mk
include repro/repro.mk
-include probes/probes.mk
-include analyze/analyze.mk
-include scripts/lab.mk
include doctor/doctor.mk

tools: $(TOOLS) $(STATIC_TOOLS)

# Packages are checked once per change of the lists (dpkg-query, fast) and
# installed when missing, so a fresh Debian 12 machine needs nothing but `make`.
$(DEPS_STAMP): scripts/deps.sh $(MAKEFILE_LIST)
	$(Q)scripts/deps.sh $(DEPS_PARTS)
	$(Q)mkdir -p $(BUILD) && touch $@

deps: $(DEPS_STAMP)

$(BUILD) $(BUILD)/obj $(BUILD)/static $(BUILD)/tests:
	$(Q)mkdir -p $@

# The tests use every part: the lab's (qemu, busybox-static, pahole) and
# analyze's headless Chromium too, so `make test` installs them.
test: tools $(TEST_BINS)
	$(Q)scripts/deps.sh $(DEPS_PARTS) lab analyze
	$(Q)BUILD=$(BUILD) tests/run-all.sh

bench: tools
	$(Q)BUILD=$(BUILD) scripts/bench.sh $(BENCH_SCRIPTS)

install: tools
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	$(if $(STATIC_TOOLS),install -d $(DESTDIR)$(PREFIX)/lib/splicelab/static)
	$(if $(STATIC_TOOLS),install -m 0755 $(STATIC_TOOLS) $(DESTDIR)$(PREFIX)/lib/splicelab/static/)

clean:
	rm -rf $(BUILD)

# Static analysis of the project's own C (not run by `make test`: the tools
# are slow and their findings are reviewed, not gated, by CI).
LINT_SRCS = $(wildcard common/*.c repro/*.c analyze/*.c probes/*.c doctor/*.c tests/unit/*.c tests/host/*.c)
# probes/skeleton.c only wraps bpftool's generated code (see skeleton.h).
# cppcheck cannot expand jansson's and libbpf's iteration macros without the
# system headers, which it would then lint too.
lint: $(if $(filter %/splicelab-probe,$(TOOLS)),$(BUILD)/probes/splice_probe.skel.h)
	$(Q)cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability,style \
	  --std=c11 --inline-suppr --suppress=unknownMacro -D_GNU_SOURCE -Icommon -Irepro -Iprobes -Idoctor \
	  $(filter-out probes/skeleton.c,$(LINT_SRCS))
	$(Q)clang-tidy --quiet $(filter-out %.bpf.c probes/skeleton.c,$(LINT_SRCS)) -- -std=c11 -D_GNU_SOURCE \
	  -Icommon -Irepro -Iprobes -Idoctor -I$(BUILD)/probes -Itests/unit -I$(BUILD) -DSPLICELAB_VERSION='"lint"' -DSPLICELAB_COMMIT='"lint"'

