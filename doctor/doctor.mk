# doctor/: splicelab-doctor PID, the diagnosis of a live process. It reads
# /proc with common/'s readers (procview.c; ends.c: fds, TCP sockets by
# inode, pipe bytes, which the runner's --relay-cmd verdicts read too);
# built dynamic for this host and static for the lab guests.

DOCTOR_SRCS := $(wildcard doctor/*.c)
DOCTOR_OBJS := $(patsubst doctor/%.c,$(BUILD)/obj/doctor/%.o,$(DOCTOR_SRCS))
DOCTOR_LIB_OBJS := $(filter-out $(BUILD)/obj/doctor/main.o,$(DOCTOR_OBJS))

TOOLS        += $(BUILD)/splicelab-doctor
BENCH_SCRIPTS += scripts/bench-doctor.sh
STATIC_TOOLS += $(BUILD)/static/splicelab-doctor

$(BUILD)/obj/doctor/%.o: doctor/%.c $(wildcard doctor/*.h) $(COMMON_HDRS) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Idoctor -Icommon -c $< -o $@

$(BUILD)/splicelab-doctor: $(DOCTOR_OBJS) $(COMMON_LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS_JSON) -o $@

$(BUILD)/static/splicelab-doctor: $(DOCTOR_OBJS) $(COMMON_LIB)
	$(call msg,STATIC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -static $^ $(LDLIBS_JSON) -o $@

# The fixtures the host tests diagnose: small real programs that splice.
TEST_BINS += $(BUILD)/tests/doctor-fixture

$(BUILD)/tests/doctor-fixture: tests/host/doctor_fixture.c | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< -o $@

# Unit tests of the pure parts (cmocka).
DOCTOR_TESTS := gobuild verdict
TEST_BINS += $(patsubst %,$(BUILD)/tests/unit_doctor_%,$(DOCTOR_TESTS))

$(BUILD)/obj/tests/doctor_%.o: tests/unit/test_doctor_%.c $(wildcard doctor/*.h) $(COMMON_HDRS) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Idoctor -Icommon -Itests/unit -c $< -o $@

$(BUILD)/tests/unit_doctor_%: $(BUILD)/obj/tests/doctor_%.o $(DOCTOR_LIB_OBJS) $(COMMON_LIB)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS_JSON) -lcmocka -o $@
