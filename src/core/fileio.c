/* SPDX-License-Identifier: MIT */
/*
 * fileio.c - whole writes on file descriptors: the retry loop around
 * pwrite(2) that the store's blob segments and the spool's spill files share.
 */
#include <errno.h>
#include <sys/types.h>
#include <unistd.h>

#include "fileio.h"

int
fileio_pwrite_all(int fd, const void *data, size_t len, uint64_t off)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}
