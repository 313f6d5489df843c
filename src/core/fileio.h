/* SPDX-License-Identifier: MIT */
/*
 * fileio.h - small helpers for whole reads and writes on file descriptors.
 */
#ifndef OUTPOST_FILEIO_H
#define OUTPOST_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "compat.h"

/*
 * fileio_pwrite_all - write all len bytes of data at offset off, retrying
 * short writes and EINTR. 0 ok, -1 error with errno set (ENOSPC when the
 * file takes no more bytes).
 */
int fileio_pwrite_all(int fd, const void *data, size_t len,
                      uint64_t off) WARN_UNUSED_RESULT;

#endif
