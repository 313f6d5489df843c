/* SPDX-License-Identifier: MIT */
/*
 * test_fileio.c - unit tests for fileio_pwrite_all: whole writes at an
 * offset into a real temporary file, and the error on a bad descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/mem.h"
#include "test.h"

static int
tmp_fd(void)
{
	char path[] = "/tmp/outpost-test-fileio-XXXXXX";
	int fd = mkstemp(path);

	if (fd != -1)
		(void)unlink(path);
	return fd;
}

static void
test_pwrite_all_offsets(void)
{
	int fd = tmp_fd();
	char got[16] = {0};

	CHECK(fd != -1);
	CHECK_INT(fileio_pwrite_all(fd, "hello", 5, 0), 0);
	CHECK_INT(fileio_pwrite_all(fd, "world", 5, 8), 0);
	CHECK_INT(fileio_pwrite_all(fd, "", 0, 100), 0);
	CHECK_INT(pread(fd, got, sizeof(got), 0), 13);
	CHECK(memcmp(got, "hello\0\0\0world", 13) == 0);
	close(fd);
}

static void
test_pwrite_all_large(void)
{
	int fd = tmp_fd();
	size_t len = 1 << 20;
	uint8_t *data = xmalloc(len), *back = xmalloc(len);

	CHECK(fd != -1);
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7);
	CHECK_INT(fileio_pwrite_all(fd, data, len, 3), 0);
	CHECK_INT(pread(fd, back, len, 3), (long long)len);
	CHECK(memcmp(data, back, len) == 0);
	free(data);
	free(back);
	close(fd);
}

static void
test_pwrite_all_bad_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	CHECK(fd != -1);
	errno = 0;
	CHECK_INT(fileio_pwrite_all(fd, "x", 1, 0), -1);
	CHECK_INT(errno, EBADF);
	close(fd);
}

#define TESTS(X)                                                               \
	X(test_pwrite_all_offsets)                                             \
	X(test_pwrite_all_large)                                               \
	X(test_pwrite_all_bad_fd)
TEST_MAIN(TESTS)
