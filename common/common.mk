# common/: what several tools share, so that none borrows from another:
# the cell's vocabulary (parameters and their names, sizes and flags, the
# cell id, the profiles, the --relay-cmd syntax: splicelab writes it,
# splicelab-analyze reads it), the kernel's view of a process from /proc
# (threads, fds, sockets, pipes: the runner's verdicts and
# splicelab-doctor's) and the version. It includes nothing of theirs; each
# tool links the archive, which takes only the objects it uses.

COMMON_SRCS := $(wildcard common/*.c)
COMMON_OBJS := $(patsubst common/%.c,$(BUILD)/obj/common/%.o,$(COMMON_SRCS))
COMMON_HDRS := $(wildcard common/*.h)
COMMON_LIB  := $(BUILD)/obj/common/libsplicelab-common.a

$(BUILD)/obj/common/%.o: common/%.c $(COMMON_HDRS) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Icommon -c $< -o $@

# The only object that knows the version and commit (see COMMIT_STAMP).
$(BUILD)/obj/common/version.o: common/version.c $(COMMIT_STAMP) | $(DEPS_STAMP)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -DSPLICELAB_VERSION='"$(VERSION)"' -DSPLICELAB_COMMIT='"$(COMMIT)"' -c $< -o $@

$(COMMON_LIB): $(COMMON_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^
