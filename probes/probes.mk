# probes/: splicelab-probe, libbpf CO-RE probes on the splice path. Built
# dynamic for this host and static for guests and old hosts. vmlinux.h comes
# from the build machine's BTF: CO-RE relocates field offsets to whatever
# kernel the probes load on, so any recent BTF serves.

PROBE_DIR    := $(BUILD)/probes
VMLINUX_BTF  ?= /sys/kernel/btf/vmlinux
BPF_CLANG    ?= clang
BPF_CFLAGS   := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror
PROBE_SRCS   := probes/splice_probe.c probes/attach.c probes/records.c probes/cell_summary.c \
                probes/skeleton.c probes/verifier_features.c probes/min_btf.c \
                probes/proc_sums.c
PROBE_OBJS   := $(patsubst probes/%.c,$(PROBE_DIR)/%.o,$(PROBE_SRCS))
PROBE_LIBS   := -lbpf -lelf -lz $(LDLIBS_JSON)

TOOLS        += $(BUILD)/splicelab-probe
STATIC_TOOLS += $(BUILD)/static/splicelab-probe
DEPS_PARTS   += probes
BENCH_SCRIPTS += scripts/bench-probes.sh

$(PROBE_DIR)/vmlinux.h: | $(DEPS_STAMP)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)[ -r $(VMLINUX_BTF) ] || { echo "probes: no BTF at $(VMLINUX_BTF): build on a kernel with CONFIG_DEBUG_INFO_BTF, or VMLINUX_BTF=FILE" >&2; exit 1; }
	$(Q)bpftool btf dump file $(VMLINUX_BTF) format c >$@.tmp && mv $@.tmp $@

$(PROBE_DIR)/splice_probe.bpf.o: probes/splice_probe.bpf.c probes/splice_probe.h $(PROBE_DIR)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(BPF_CLANG) $(BPF_CFLAGS) -I$(PROBE_DIR) -Iprobes -c $< -o $@

$(PROBE_DIR)/splice_probe.skel.h: $(PROBE_DIR)/splice_probe.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)bpftool gen skeleton $< name splice_probe_bpf >$@.tmp && mv $@.tmp $@

$(PROBE_DIR)/%.o: probes/%.c $(wildcard probes/*.h) $(PROBE_DIR)/splice_probe.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Iprobes -I$(PROBE_DIR) -c $< -o $@

$(BUILD)/splicelab-probe: $(PROBE_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(PROBE_LIBS) -o $@

$(BUILD)/static/splicelab-probe: $(PROBE_OBJS)
	$(call msg,STATIC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -static $^ $(PROBE_LIBS) -o $@
