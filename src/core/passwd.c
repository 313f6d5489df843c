/* SPDX-License-Identifier: MIT */
/*
 * passwd.c - password hashing and checking with libxcrypt (yescrypt, "$y$",
 * with the library's default cost), a constant-time comparison of the
 * computed hash, and reading a password from the terminal with echo off (or
 * one line from stdin for scripts). Hashing is slow on purpose: call it on a
 * store/auth thread, never on the event loop. Passwords are secrets: every
 * buffer that held one is wiped with explicit_bzero and none is logged.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "mem.h"
#include "passwd.h"

#define PASSWD_MAX 1024 /* longest password read, in bytes */

/* signals that end a prompt: the terminal is restored, then re-raised */
static const int passwd_signals[] = {SIGINT, SIGTERM, SIGQUIT, SIGTSTP,
                                     SIGHUP, SIGTTIN, SIGTTOU};
static volatile sig_atomic_t passwd_signo;

static void
passwd_catch(int signo)
{
	passwd_signo = signo;
}

char *
passwd_hash(const char *password)
{
	char *setting, *out = NULL;
	void *data = NULL;
	int size = 0;
	const char *h;

	setting = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (setting == NULL)
		return NULL;
	h = crypt_ra(password, setting, &data, &size);
	if (h != NULL && h[0] != '*')
		out = xstrdup(h);
	if (data != NULL) {
		explicit_bzero(data, (size_t)size);
		free(data);
	}
	free(setting);
	return out;
}

bool
passwd_verify(const char *password, const char *hash)
{
	void *data = NULL;
	int size = 0;
	const char *h;
	unsigned char diff = 0;
	size_t hlen, n;

	/* empty or locked ("*", "!...") hashes never match */
	if (hash == NULL || hash[0] == '\0' || hash[0] == '*' || hash[0] == '!')
		return false;
	h = crypt_ra(password, hash, &data, &size);
	if (h == NULL || h[0] == '*') {
		diff = 1;
	} else {
		/* the hash length is public; compare every byte regardless */
		hlen = strlen(hash);
		n = strlen(h);
		diff |= (unsigned char)(n != hlen);
		for (size_t i = 0; i < hlen; i++)
			diff |= (unsigned char)(hash[i] ^ (i < n ? h[i] : 0));
	}
	if (data != NULL) {
		explicit_bzero(data, (size_t)size);
		free(data);
	}
	return diff == 0;
}

/*
 * read_line_fd - read one line (up to LF or EOF) byte by byte, so nothing
 * after it is consumed; strip trailing CR/LF. -1 on error, EOF before any
 * byte, or a line longer than PASSWD_MAX.
 */
static int
read_line_fd(int fd, char *buf, size_t size)
{
	size_t len = 0;
	bool got = false, toolong = false;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR && passwd_signo == 0)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got = true;
		if (c == '\n')
			break;
		if (len + 1 >= size)
			toolong = true;
		else
			buf[len++] = c;
	}
	while (len > 0 && (buf[len - 1] == '\r' || buf[len - 1] == '\n'))
		len--;
	buf[len] = '\0';
	if (!got || toolong)
		return -1;
	return 0;
}

/*
 * tty_prompt - write prompt to the tty, read a line with echo off. A signal
 * (^C, ^Z) ends the read; the terminal and handlers are restored before the
 * signal is raised again, so the terminal never stays without echo.
 */
static int
tty_prompt(int tty, const char *prompt, char *buf, size_t size)
{
	struct sigaction sa, old_sa[N_ELEMENTS(passwd_signals)];
	struct termios old, noecho;
	ssize_t w ATTR_UNUSED;
	int ret, signo;

	if (tcgetattr(tty, &old) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = passwd_catch;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the read must stop */
	passwd_signo = 0;
	for (size_t i = 0; i < N_ELEMENTS(passwd_signals); i++)
		(void)sigaction(passwd_signals[i], &sa, &old_sa[i]);
	noecho = old;
	noecho.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	noecho.c_lflag |= ICANON;
	w = write(tty, prompt, strlen(prompt));
	if (tcsetattr(tty, TCSAFLUSH, &noecho) < 0)
		ret = -1;
	else
		ret = read_line_fd(tty, buf, size);
	(void)tcsetattr(tty, TCSAFLUSH, &old);
	w = write(tty, "\n", 1);
	signo = passwd_signo;
	for (size_t i = 0; i < N_ELEMENTS(passwd_signals); i++)
		(void)sigaction(passwd_signals[i], &old_sa[i], NULL);
	if (signo != 0) {
		(void)raise(signo);
		ret = -1; /* the signal was ignored or handled: give up */
	}
	return ret;
}

char *
passwd_read(const char *prompt, bool confirm)
{
	char *pw = xmalloc(PASSWD_MAX), *pw2 = NULL, *out = NULL;
	int tty = -1;

	if (!isatty(STDIN_FILENO)) {
		if (read_line_fd(STDIN_FILENO, pw, PASSWD_MAX) == 0)
			out = xstrdup(pw);
		goto out;
	}
	tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty < 0)
		goto out;
	if (tty_prompt(tty, prompt, pw, PASSWD_MAX) < 0)
		goto out;
	if (confirm) {
		static const char mismatch[] = "passwords do not match\n";
		ssize_t w ATTR_UNUSED;

		pw2 = xmalloc(PASSWD_MAX);
		if (tty_prompt(tty, "Retype password: ", pw2, PASSWD_MAX) < 0)
			goto out;
		if (strcmp(pw, pw2) != 0) {
			w = write(tty, mismatch, sizeof(mismatch) - 1);
			goto out;
		}
	}
	out = xstrdup(pw);
out:
	if (tty >= 0)
		close(tty);
	explicit_bzero(pw, PASSWD_MAX);
	free(pw);
	if (pw2 != NULL) {
		explicit_bzero(pw2, PASSWD_MAX);
		free(pw2);
	}
	return out;
}
