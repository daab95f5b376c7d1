# scripts/lab.mk: the kernel lab. `make lab` runs the matrix on each of
# KERNELS (host natively, the others under qemu) into results/<label>/ and
# prints every table; see scripts/lab/lab.sh --help.
#   make lab                                   host and Debian 12's 6.1
#   make lab KERNELS="debian12 ~/kernel-3.10.0-1160.el7.x86_64.rpm" LAB_JOBS=2
#   make lab KERNELS=debian12 MATRIX="--preset quick"
KERNELS  ?= host debian12
LAB_JOBS ?= 1

lab: tools
	$(Q)scripts/deps.sh lab
	$(Q)scripts/lab/lab.sh -j $(LAB_JOBS) $(if $(MATRIX),--matrix '$(MATRIX)') $(KERNELS)

BENCH_SCRIPTS += scripts/lab/bench.sh
