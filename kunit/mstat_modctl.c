// SPDX-License-Identifier: GPL-2.0
/*
 * /bin/insmod and /bin/rmmod of the torture's initramfs (scripts/torture.sh),
 * one program named twice: "insmod <file.ko>" loads a module, "rmmod <name>"
 * unloads one without waiting for its references.  The exit code is 0 or the
 * errno, which mstat_torture reports.  Built with the kernel's nolibc
 * (tools/include/nolibc), so the same source serves x86_64 and arm64 with no
 * C library for the target installed.
 */
#include <linux/fcntl.h>

static const char *base(const char *s)
{
	const char *b = s;

	for (; *s; s++)
		if (*s == '/')
			b = s + 1;
	return b;
}

int main(int argc, char **argv)
{
	long ret;
	int fd;

	if (argc != 2)
		return 22;	/* EINVAL */
	if (!strcmp(base(argv[0]), "rmmod")) {
		ret = my_syscall2(__NR_delete_module, argv[1], O_NONBLOCK);
		return ret < 0 ? -ret : 0;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return errno;
	ret = my_syscall3(__NR_finit_module, fd, "", 0);
	close(fd);
	return ret < 0 ? -ret : 0;
}
