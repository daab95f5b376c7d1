# scripts/lab.mk: the kernel lab. `make lab` runs the matrix on each of
# KERNELS (host natively, the others under qemu) into build/lab/<label>/
# and prints every table and their comparison; see scripts/lab/lab.sh --help.
#   make lab                                   host and Debian 12's 6.1
#   make lab KERNELS="debian12 ~/kernel-3.10.0-1160.el7.x86_64.rpm" LAB_JOBS=2
#   make lab KERNELS=~/bzImage-4.9.229 BTF=~/btf-4.9.229
#   make lab KERNELS=debian12 MATRIX="--preset quick"   # -> build/lab/<label>@quick/
#   make lab KERNELS=debian12 LAB_ADD=~/proxy MATRIX="--relay-cmd '/bin/proxy {listen} {upstream}' -n 4M"
#                                  # your own relay: LAB_ADD files go to the guests' /bin
# RESULTS=DIR writes elsewhere (results/ holds the committed reference
# results: `make reference`); FORCE=1 replaces a folder holding another matrix.
KERNELS  ?= host debian12
LAB_JOBS ?= 1
RESULTS  ?= build/lab

# lab_args: the options make passes on (each only when set). MATRIX is
# passed as it was written, quotes and all: lab.sh splits it into words.
sh_quote = '$(subst ','\'',$(1))'
lab_args = -j $(LAB_JOBS) -o $(call sh_quote,$(RESULTS)) $(if $(MATRIX),--matrix $(call sh_quote,$(MATRIX))) \
  $(foreach f,$(LAB_ADD),--add $(call sh_quote,$(f))) \
  $(if $(BTF),--btf $(call sh_quote,$(BTF))) $(if $(filter 1 yes,$(FORCE)),--force)

lab: tools
	$(Q)scripts/deps.sh lab
	$(Q)scripts/lab/lab.sh $(lab_args) $(KERNELS)

# The committed reference results: Debian 12's 6.1 and the kernels in
# REFERENCE_KERNELS_DIR (bzImage-<release> with btf-<release> beside each:
# CentOS 7's 3.10.0-1160.el7, 4.9.229, 5.10.89), default matrix, probes
# on, into results/; then `make compare`. Not the host: its kernel build
# string changes with every update of the machine.
REFERENCE_RELEASES := 3.10.0-1160.el7.x86_64 4.9.229 5.10.89
reference: tools
	$(Q)[ -n "$(REFERENCE_KERNELS_DIR)" ] || { echo "make reference: set REFERENCE_KERNELS_DIR=DIR (bzImage-<release> and btf-<release> for $(REFERENCE_RELEASES))" >&2; exit 64; }
	$(Q)scripts/deps.sh lab
	$(Q)scripts/lab/lab.sh -j $(LAB_JOBS) -o results --probes on \
	  debian12 $(foreach r,$(REFERENCE_RELEASES),$(REFERENCE_KERNELS_DIR)/bzImage-$(r))
	$(Q)$(MAKE) compare

BENCH_SCRIPTS += scripts/lab/bench.sh
