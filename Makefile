# SPDX-License-Identifier: GPL-2.0
#
# make                 build mstat.ko against the running kernel's headers
# make KDIR=<dir>      build against another kernel build directory
# make demo            mstat in a 4-CPU QEMU VM on Debian's 6.1 kernel
# make vm MODULES=...  mstat and your modules (.ko or source dirs) in that VM on
#                      6.12 (KERNEL=6.1 or 6.12-rt), RUN="..." run, /proc shown
# make kunit           run the KUnit suite under UML (sets everything up)
# make kunit-x86_64    the same suite on an SMP x86_64 kernel in QEMU
# make e2e             end-to-end tests in QEMU on Debian's 6.1 and 6.12
# make bench           mstat against kmalloc; writes BENCHMARKS.md and bench.png
# make bench TRACE=<f> replay one allocation trace through both (bench/traces/README)
# make check           every test: KUnit (both), end-to-end, build checks
# make torture         the mstat_torture suite on five kernels (kasan, kcsan, kmsan, rt,
#                      arm64), TORTURE_SECONDS (default 300) each, about 7 min
#                      each when built; a fresh build of one took 9-15 min on 2
#                      busy cores (arm64 longer), a warm one 15-60 s
KDIR ?= /lib/modules/$(shell uname -r)/build

all: modules

modules:
	@if [ ! -d "$(KDIR)" ]; then \
		echo "mstat: no kernel build directory at $(KDIR)." >&2; \
		echo "  Install the headers of the kernel to build for (e.g. apt-get install" >&2; \
		echo "  linux-headers-cloud-amd64) and run 'make KDIR=/usr/src/linux-headers-<version>'," >&2; \
		echo "  or run 'make check', which sets up its own kernels." >&2; \
		exit 1; \
	fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
	@# DKMS's build: keep this kernel's Module.symvers for client modules
	@if [ -n "$(SYMVERS_DIR)" ]; then mkdir -p "$(SYMVERS_DIR)" && cp Module.symvers "$(SYMVERS_DIR)"/; fi

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -f *.o *.ko *.mod *.mod.c *.mod.o .*.cmd modules.order Module.symvers kunit/*.o

demo:
	scripts/demo.sh

kunit:
	scripts/kunit.sh

kunit-x86_64:
	scripts/kunit.sh --arch x86_64

e2e:
	python3 scripts/mstat_vm.py e2e

bench:
	scripts/bench.sh

check:
	scripts/check.sh

# Each configuration runs even if one before it failed; the target fails if any did.
TORTURE_SECONDS ?= 300
TORTURE_CONFIGS ?= kasan kcsan kmsan rt arm64
torture:
	@rc=0; for c in $(TORTURE_CONFIGS); do \
		scripts/torture.sh --config $$c --seconds $(TORTURE_SECONDS) || rc=1; \
	done; exit $$rc

KERNEL ?= 6.12
RUN ?= sleep 1
vm:
	python3 scripts/mstat_vm.py vm --kernel $(KERNEL) $(addprefix --module ,$(MODULES)) \
		--run '$(RUN)'

.PHONY: all modules clean demo kunit kunit-x86_64 e2e bench check torture vm
