# repro/: the cell engine and the matrix runner `splicelab`, built twice:
# dynamic for this host, static for VMs and old hosts (nothing needed at run
# time but the kernel).

REPRO_SRCS := $(filter-out repro/main.c,$(wildcard repro/*.c))
REPRO_OBJS := $(patsubst repro/%.c,$(BUILD)/obj/repro/%.o,$(REPRO_SRCS))
REPRO_MAIN := $(BUILD)/obj/repro/main.o
REPRO_LIBS := $(LDLIBS_JSON) -lpthread

TOOLS += $(BUILD)/splicelab
STATIC_TOOLS += $(BUILD)/static/splicelab

$(BUILD)/obj/repro/%.o: repro/%.c $(wildcard repro/*.h) $(COMMON_HDRS) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Irepro -Icommon -c $< -o $@

$(BUILD)/splicelab: $(REPRO_MAIN) $(REPRO_OBJS) $(COMMON_LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(REPRO_LIBS) -o $@

$(BUILD)/static/splicelab: $(REPRO_MAIN) $(REPRO_OBJS) $(COMMON_LIB)
	$(call msg,STATIC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -static $^ $(REPRO_LIBS) -o $@

run: $(BUILD)/splicelab
	$(Q)$(BUILD)/splicelab $(if $(LABEL),--label $(LABEL)) $(MATRIX)

# Unit tests (cmocka): each links the engine's objects, not main.
REPRO_TESTS := options params classify json load relay_cmd
TEST_BINS += $(patsubst %,$(BUILD)/tests/unit_repro_%,$(REPRO_TESTS))
BENCH_SCRIPTS += scripts/bench-load.sh scripts/bench-throughput.sh

$(BUILD)/obj/tests/%.o: tests/unit/%.c $(wildcard repro/*.h tests/unit/*.h) $(COMMON_HDRS) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Irepro -Icommon -Itests/unit -c $< -o $@

$(BUILD)/tests/unit_repro_%: $(BUILD)/obj/tests/test_%.o $(REPRO_OBJS) $(COMMON_LIB)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ $(REPRO_LIBS) -lcmocka -o $@
