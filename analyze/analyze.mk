# analyze/: splicelab-analyze, the comparison of results across kernels, and
# `make compare` over every committed results/*/matrix.json.

ANALYZE_SRCS := $(filter-out analyze/main.c,$(wildcard analyze/*.c))
ANALYZE_OBJS := $(patsubst analyze/%.c,$(BUILD)/obj/analyze/%.o,$(ANALYZE_SRCS))
# From common/: the cell's names, sizes and flags (params), the profiles
# (allowed.c's list), version and commit.
ANALYZE_LIBS := $(LDLIBS_JSON) -lpthread

TOOLS += $(BUILD)/splicelab-analyze
BENCH_SCRIPTS += scripts/bench-analyze.sh

$(BUILD)/obj/analyze/%.o: analyze/%.c $(wildcard analyze/*.h) $(COMMON_HDRS) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Ianalyze -Icommon -c $< -o $@

$(BUILD)/splicelab-analyze: $(BUILD)/obj/analyze/main.o $(ANALYZE_OBJS) $(COMMON_LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(ANALYZE_LIBS) -o $@

COMPARE_DIR ?= results/compare
COMPARE_INPUTS = $(sort $(wildcard results/*/matrix.json))

compare: $(BUILD)/splicelab-analyze
	$(Q)mkdir -p $(COMPARE_DIR)
	$(Q)$(BUILD)/splicelab-analyze --markdown $(COMPARE_DIR)/report.md \
	  --html $(COMPARE_DIR)/report.html --csv $(COMPARE_DIR)/joined.csv $(COMPARE_INPUTS)

# Unit tests (cmocka): each links analyze's objects, not main.
ANALYZE_TESTS := $(patsubst tests/unit/test_analyze_%.c,%,$(wildcard tests/unit/test_analyze_*.c))
TEST_BINS += $(patsubst %,$(BUILD)/tests/unit_analyze_%,$(ANALYZE_TESTS))

$(BUILD)/obj/tests/analyze_%.o: tests/unit/test_analyze_%.c $(wildcard analyze/*.h tests/unit/*.h) $(COMMON_HDRS) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Ianalyze -Icommon -Itests/unit -c $< -o $@

$(BUILD)/tests/unit_analyze_%: $(BUILD)/obj/tests/analyze_%.o $(ANALYZE_OBJS) $(COMMON_LIB)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ $(ANALYZE_LIBS) -lcmocka -o $@
