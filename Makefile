# SPDX-License-Identifier: GPL-2.0
#
# make                 build mstat.ko against the running kernel's headers
# make KDIR=<dir>      build against another kernel build directory
# make kunit           run the KUnit suite under UML (sets everything up)
# make check           every test: KUnit and the build checks
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

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -f *.o *.ko *.mod *.mod.c *.mod.o .*.cmd modules.order Module.symvers kunit/*.o

kunit:
	scripts/kunit.sh

check:
	scripts/check.sh

.PHONY: all modules clean kunit check
