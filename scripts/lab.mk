# scripts/lab.mk: the kernel lab. `make lab` runs the matrix on each of
# KERNELS (host natively, the others under qemu) into build/lab/<label>/
# and prints every table and their comparison; see scripts/lab/lab.sh --help.
#   make lab                                   host and Debian 12's 6.1
#   make lab KERNELS="debian12 ~/kernel-3.10.0-1160.el7.x86_64.rpm" LAB_JOBS=2
#   make lab KERNELS=~/bzImage-4.9.229 BTF=~/btf-4.9.229
#   make lab KERNELS=debian12 MATRIX="--preset quick"   # -> build/lab/<label>@quick/
# RESULTS=DIR writes elsewhere (results/ holds the committed reference
# results: `make reference`); FORCE=1 replaces a folder holding another matrix.
KERNELS  ?= host debian12
LAB_JOBS ?= 1
RESULTS  ?= build/lab

# lab_args: the options make passes on (each only when set).
lab_args = -j $(LAB_JOBS) -o '$(RESULTS)' $(if $(MATRIX),--matrix '$(MATRIX)') \
  $(if $(BTF),--btf '$(BTF)') $(if $(filter 1 yes,$(FORCE)),--force)

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
