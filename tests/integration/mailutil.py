# SPDX-License-Identifier: MIT
"""mailutil - helpers for the mail access tests (POP3, `outpost read`).

deliver() puts a message into a running harness.Server over SMTP with
smtplib; RawPop3 is a POP3 client over a plain or TLS socket that sends
exact bytes and reads single-line and multi-line replies (with dot
unstuffing) so tests can check what clients' libraries would hide.
Only the Python standard library.
"""

import smtplib
import socket
import time
import uuid

import harness
from harness import DOMAIN, HOSTNAME

SENDER = "sender@sender.test"


def token():
    return uuid.uuid4().hex


def make_msg(tok, to="alice@" + DOMAIN, body=b"hello\r\n", extra=b""):
    """A small RFC 5322 message with a unique Subject and Message-ID."""
    return (b"From: Sender <" + SENDER.encode() + b">\r\n"
            b"To: <" + to.encode() + b">\r\n"
            b"Subject: test " + tok.encode() + b"\r\n"
            b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            b"Message-ID: <" + tok.encode() + b"@sender.test>\r\n" + extra +
            b"\r\n" + body)


def deliver(srv, rcpt, msg, sender=SENDER):
    """Deliver msg (bytes) to rcpt over SMTP; returns once it is stored."""
    s = smtplib.SMTP("127.0.0.1", srv.smtp_port, local_hostname="client.test",
                     timeout=60)
    try:
        refused = s.sendmail(sender, [rcpt], msg)
        if refused:
            raise AssertionError("refused: %r" % refused)
        s.quit()
    finally:
        s.close()


def deliver_many(srv, rcpt, msgs, sender=SENDER):
    """Deliver each of msgs (bytes) to rcpt over one SMTP connection."""
    s = smtplib.SMTP("127.0.0.1", srv.smtp_port, local_hostname="client.test",
                     timeout=60)
    try:
        for m in msgs:
            refused = s.sendmail(sender, [rcpt], m)
            if refused:
                raise AssertionError("refused: %r" % refused)
        s.quit()
    finally:
        s.close()


def wait_for(pred, timeout=5.0, step=0.05):
    """Poll pred() until it is true or timeout passes; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


class RawPop3:
    """A POP3 client that sends exact bytes (plain, STLS or implicit TLS)."""

    def __init__(self, port, tls=False, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        self.timeout = timeout
        if tls:
            self._wrap()
        self.buf = b""

    def _wrap(self):
        ctx = harness.unverified_tls_context()
        self.sock = ctx.wrap_socket(self.sock, server_hostname=HOSTNAME)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed; unparsed %r" % self.buf[:200])
        self.buf += chunk

    def line(self):
        """One line without its CRLF (fails on a bare LF ending)."""
        while b"\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\n", 1)
        if not line.endswith(b"\r"):
            raise ValueError("line not ended by CRLF: %r" % line)
        return line[:-1]

    def multi(self):
        """Lines of a multi-line body up to ".", unstuffed."""
        lines = []
        while True:
            line = self.line()
            if line == b".":
                return lines
            if line.startswith(b"."):
                line = line[1:]
            lines.append(line)

    def multi_raw(self):
        """The exact bytes of a multi-line body including the final .CRLF"""
        out = b""
        while True:
            line = self.line() + b"\r\n"
            out += line
            if line == b".\r\n":
                return out

    def cmd(self, line):
        self.send(line + "\r\n" if isinstance(line, str) else line + b"\r\n")
        return self.line()

    def greeting(self):
        g = self.line()
        if not g.startswith(b"+OK"):
            raise AssertionError("greeting %r" % g)
        return g

    def stls(self):
        r = self.cmd("STLS")
        if not r.startswith(b"+OK"):
            raise AssertionError("STLS: %r" % r)
        if self.buf:
            raise AssertionError("bytes after STLS reply: %r" % self.buf)
        self._wrap()

    def read_until_eof(self, limit=1 << 24):
        data = self.buf
        self.buf = b""
        while len(data) < limit:
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, OSError):
                break
            if not chunk:
                break
            data += chunk
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --- IMAP (test_imap_clients/_concurrent/_mime.py) ---
#
# imap_login() gives a logged-in imaplib client; RawImap sends exact bytes,
# reads responses with their literals and parses them into Python values:
# atoms are str, quoted strings and literals are bytes, NIL is None and a
# parenthesised list is a list. An atom with brackets such as
# BODY[HEADER.FIELDS (SUBJECT)]<0> is one atom.

import imaplib  # noqa: E402
import re  # noqa: E402


def imap_login(srv, user, how="ssl", timeout=30):
    """An imaplib client logged in as user: how = ssl | starttls."""
    ctx = harness.unverified_tls_context()
    if how == "ssl":
        m = imaplib.IMAP4_SSL("127.0.0.1", srv.imaps_port, ssl_context=ctx,
                              timeout=timeout)
    else:
        m = imaplib.IMAP4("127.0.0.1", srv.imap_port, timeout=timeout)
        m.starttls(ctx)
    m.login(user, harness.PASSWORD)
    return m


def imap_close(m):
    try:
        m.logout()
    except Exception:
        try:
            m.shutdown()
        except Exception:
            pass


class ImapError(Exception):
    pass


class RawImap:
    """An IMAP client on a plain, STARTTLS or implicit-TLS socket."""

    def __init__(self, port, tls=False, timeout=10, rcvbuf=None):
        if rcvbuf:  # a small receive window, set before the handshake
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.settimeout(timeout)
            self.sock.connect(("127.0.0.1", port))
        else:
            self.sock = socket.create_connection(("127.0.0.1", port),
                                                 timeout=timeout)
        self.timeout = timeout
        self.buf = b""
        self.ntag = 0
        if tls:
            self._wrap()

    def _wrap(self):
        ctx = harness.unverified_tls_context()
        self.sock = ctx.wrap_socket(self.sock, server_hostname=HOSTNAME)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError("connection closed; unparsed %r" % self.buf[:200])
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def response(self):
        """One response as segments [line, literal, line, ...]: a line
        ending in {N} is followed by its N-octet literal."""
        segs = []
        while True:
            line = self.line()
            segs.append(line)
            m = re.search(rb"\{(\d+)\+?\}$", line)
            if not m:
                return segs
            segs.append(self.read_exact(int(m.group(1))))

    def greeting(self):
        g = self.response()[0]
        if not g.startswith(b"* OK") and not g.startswith(b"* PREAUTH"):
            raise ImapError("greeting %r" % g)
        return g

    def next_tag(self):
        self.ntag += 1
        return "t%d" % self.ntag

    def command(self, cmd, literals=(), check=True):
        """Send "TAG cmd"; cmd may contain {N} markers, one per literal in
        literals (synchronising: each waits for "+"). Returns (status,
        text, [untagged responses as segment lists])."""
        tag = self.next_tag()
        if isinstance(cmd, str):
            cmd = cmd.encode()
        parts = re.split(rb"(\{\d+\})", cmd)
        lits = list(literals)
        untagged = []
        out = tag.encode() + b" "
        for p in parts:
            out += p
            if re.fullmatch(rb"\{\d+\}", p):
                self.send(out + b"\r\n")
                out = b""
                while True:
                    r = self.response()
                    if r[0].startswith(b"+"):
                        break
                    if r[0].startswith(tag.encode() + b" "):
                        raise ImapError("literal refused: %r" % r[0])
                    untagged.append(r)
                out = lits.pop(0)
        self.send(out + b"\r\n")
        while True:
            r = self.response()
            if r[0].startswith(tag.encode() + b" "):
                status, _, text = r[0][len(tag) + 1:].partition(b" ")
                status = status.decode()
                if check and status != "OK":
                    raise ImapError("%s -> %r" % (cmd[:200], r[0]))
                return status, text, untagged
            untagged.append(r)

    def login(self, user, password=None):
        return self.command("LOGIN %s %s" % (
            imap_quote(user), imap_quote(password or harness.PASSWORD)))

    def starttls(self):
        self.command("STARTTLS")
        if self.buf:
            raise ImapError("bytes after STARTTLS reply: %r" % self.buf)
        self._wrap()

    def fetch(self, seqset, items, uid=False):
        """{seq: {ITEM NAME (upper): value}} of the untagged FETCH
        responses."""
        st, text, unt = self.command("%sFETCH %s (%s)" % (
            "UID " if uid else "", seqset, items))
        return fetch_map(unt)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def imap_quote(s):
    if isinstance(s, bytes):
        s = s.decode()
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def imap_parse(segs):
    """Parse one response (segment list) into a list of values."""
    top = []
    stack = [top]
    n = len(segs)
    i = 0
    while i < n:
        line = segs[i]
        j = 0
        L = len(line)
        while j < L:
            c = line[j:j + 1]
            if c == b" ":
                j += 1
            elif c == b"(":
                new = []
                stack[-1].append(new)
                stack.append(new)
                j += 1
            elif c == b")":
                if len(stack) == 1:
                    raise ImapError("unbalanced ) in %r" % line)
                stack.pop()
                j += 1
            elif c == b'"':
                k = j + 1
                s = b""
                while True:
                    if k >= L:
                        raise ImapError("unterminated string in %r" % line)
                    ch = line[k:k + 1]
                    if ch == b"\\":
                        s += line[k + 1:k + 2]
                        k += 2
                    elif ch == b'"':
                        k += 1
                        break
                    else:
                        s += ch
                        k += 1
                stack[-1].append(s)
                j = k
            elif c == b"{" and re.fullmatch(rb"\{\d+\+?\}", line[j:]):
                i += 1
                stack[-1].append(segs[i])
                j = L
            else:
                k = j
                depth = 0
                while k < L:
                    ch = line[k:k + 1]
                    if ch == b"[":
                        depth += 1
                    elif ch == b"]":
                        depth -= 1
                    elif depth == 0 and ch in (b" ", b"(", b")"):
                        break
                    k += 1
                atom = line[j:k].decode("utf-8", "replace")
                stack[-1].append(None if atom.upper() == "NIL" else atom)
                j = k
        i += 1
    if len(stack) != 1:
        raise ImapError("unbalanced ( in %r" % segs[0][:200])
    return top


def fetch_map(untagged):
    out = {}
    for r in untagged:
        v = imap_parse(r)
        if len(v) == 4 and v[0] == "*" and isinstance(v[2], str) and \
                v[2].upper() == "FETCH" and isinstance(v[3], list):
            items = out.setdefault(int(v[1]), {})
            kv = v[3]
            for k in range(0, len(kv) - 1, 2):
                items[kv[k].upper()] = kv[k + 1]
    return out


def untagged_named(untagged, name):
    """The parsed untagged responses "* NAME ..." or "* N NAME ..."."""
    out = []
    for r in untagged:
        v = imap_parse(r)
        if len(v) >= 2 and isinstance(v[1], str) and v[1].upper() == name:
            out.append(v)
        elif len(v) >= 3 and isinstance(v[2], str) and \
                v[2].upper() == name:
            out.append(v)
    return out
