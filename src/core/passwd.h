/* SPDX-License-Identifier: MIT */
/*
 * passwd.h - password hashing with libxcrypt (yescrypt by default).
 */
#ifndef OUTPOST_PASSWD_H
#define OUTPOST_PASSWD_H

#include <stdbool.h>

#include "compat.h"

/* passwd_hash - new "$y$..." hash of password (allocated), NULL on error. */
char *passwd_hash(const char *password);
/* passwd_verify - constant-time comparison of crypt(password, hash). */
bool passwd_verify(const char *password, const char *hash);
/* passwd_read - read a password from the terminal (no echo, asks twice if
 * confirm) or one line from stdin when it is not a terminal. Allocated. */
char *passwd_read(const char *prompt, bool confirm);

#endif
