# SPDX-License-Identifier: MIT
"""harness - run a real `outpost serve` for the integration tests.

A Server owns a temporary directory: `outpost init DIR` writes the config,
certificate and store there; the harness rewrites config keys (loopback
ports picked free, run_user root, test limits), starts the daemon in the
foreground with OUTPOST_READY_FD so it says "ready" once it listens, and
stops it with SIGTERM. The daemon's stderr goes to DIR/server.log; run.py
prints the tail of the logs of the servers of a failing test.

Every CLI call runs with OUTPOST_CONFIG=DIR/outpost.conf. Helpers read stored
messages back with `outpost message list/cat` and talk SMTP over raw sockets
when exact bytes matter. Only the Python standard library.
"""

import atexit
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

DOMAIN = "example.test"
HOSTNAME = "outpost.test"
PASSWORD = "s3cret-Pw"
START_TIMEOUT = float(os.environ.get("OUTPOST_START_TIMEOUT", "30"))

# Every server made during the run (run.py prints their logs on failure).
ALL_SERVERS = []
_failed_any = [False]


def outpost_bin():
    path = os.environ.get("OUTPOST_BIN")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "..", "build", "outpost")
    path = os.path.abspath(path)
    if not os.access(path, os.X_OK):
        raise RuntimeError("outpost binary not found: %s (set OUTPOST_BIN)"
                           % path)
    return path


def free_ports(n):
    """n distinct free loopback TCP ports (held open together while picked)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def set_conf_keys(path, values):
    """Set each key once: rewrite its line if present, else append."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    done = set()
    out = []
    for line in lines:
        m = re.match(r"^\s*#?\s*([A-Za-z0-9_]+)\s*=", line)
        if m and m.group(1) in values and not line.lstrip().startswith("#"):
            key = m.group(1)
            if key in done:
                continue  # a key appears once
            out.append("%s = %s" % (key, values[key]))
            done.add(key)
        else:
            out.append(line)
    while out and out[-1] == "":
        out.pop()
    for key, val in values.items():
        if key not in done:
            out.append("%s = %s" % (key, val))
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


class ServerError(Exception):
    pass


class Server:
    """One outpost daemon in its own temporary directory."""

    def __init__(self, conf=None, users=("alice", "bob", "carol", "dave"),
                 name="server"):
        self.bin = outpost_bin()
        self.dir = tempfile.mkdtemp(prefix="outpost-it-%s-" % name)
        self.name = name
        self.proc = None
        self.log_path = os.path.join(self.dir, "server.log")
        self.conf_path = os.path.join(self.dir, "outpost.conf")
        ALL_SERVERS.append(self)
        self._run([self.bin, "init", self.dir], use_conf=False)
        if not os.path.exists(self.conf_path):
            raise ServerError("outpost init did not write %s" % self.conf_path)
        ports = free_ports(7)
        self.smtp_port, self.submission_port, self.submissions_port, \
            self.imap_port, self.imaps_port, self.pop3_port, \
            self.pop3s_port = ports
        self.conf = {
            "hostname": HOSTNAME,
            "smtp_listen": "127.0.0.1:%d" % self.smtp_port,
            "submission_listen": "127.0.0.1:%d" % self.submission_port,
            "submissions_listen": "127.0.0.1:%d" % self.submissions_port,
            "imap_listen": "127.0.0.1:%d" % self.imap_port,
            "imaps_listen": "127.0.0.1:%d" % self.imaps_port,
            "pop3_listen": "127.0.0.1:%d" % self.pop3_port,
            "pop3s_listen": "127.0.0.1:%d" % self.pop3s_port,
            "run_user": "root",
            "log_level": "debug",
        }
        if conf:
            self.conf.update(conf)
        set_conf_keys(self.conf_path, self.conf)
        self.add_domain(DOMAIN)
        self.users = []
        for u in users:
            self.add_user("%s@%s" % (u, DOMAIN))

    # --- the CLI ---

    def env(self):
        e = dict(os.environ)
        e["OUTPOST_CONFIG"] = self.conf_path
        e.pop("OUTPOST_READY_FD", None)
        return e

    def _run(self, argv, use_conf=True, input=None, check=True, timeout=60):
        env = self.env() if use_conf else dict(os.environ)
        if isinstance(input, str):
            input = input.encode()
        p = subprocess.run(argv, input=input, env=env, timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and p.returncode != 0:
            raise ServerError("%s exited %d\nstdout: %r\nstderr: %r" % (
                " ".join(argv), p.returncode, p.stdout[-2000:],
                p.stderr[-2000:]))
        return p

    def cli(self, *args, input=None, check=True):
        """Run `outpost ARGS` with OUTPOST_CONFIG set; returns stdout bytes."""
        return self._run([self.bin] + list(args), input=input,
                         check=check).stdout

    def add_domain(self, domain):
        self.cli("domain", "add", domain)

    def add_user(self, address, password=PASSWORD):
        self.cli("user", "add", address, input=password + "\n")
        self.users.append(address)

    def message_uids(self, user, mailbox=None):
        args = ["message", "list", user] + ([mailbox] if mailbox else [])
        out = self.cli(*args).decode("utf-8", "replace")
        uids = []
        for line in out.splitlines():
            f = line.split()
            if f and f[0].isdigit():
                uids.append(int(f[0]))
        return uids

    def message_cat(self, user, uid, mailbox=None):
        args = ["message", "cat", user] + ([mailbox] if mailbox else []) + \
            [str(uid)]
        return self.cli(*args)

    def messages(self, user, mailbox=None):
        """[(uid, stored bytes)] for every message of user's mailbox."""
        return [(u, self.message_cat(user, u, mailbox))
                for u in self.message_uids(user, mailbox)]

    # --- the daemon ---

    def start(self, timeout=START_TIMEOUT):
        if self.proc is not None:
            raise ServerError("already running")
        r, w = os.pipe()
        env = self.env()
        env["OUTPOST_READY_FD"] = str(w)
        logf = open(self.log_path, "ab")
        logf.write(b"--- harness: start\n")
        logf.flush()
        try:
            self.proc = subprocess.Popen(
                [self.bin, "serve", "-c", self.conf_path], env=env,
                pass_fds=(w,), stdin=subprocess.DEVNULL, stdout=logf,
                stderr=logf)
        finally:
            os.close(w)
            logf.close()
        got = b""
        deadline = time.monotonic() + timeout
        try:
            while b"\n" not in got:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    raise ServerError("no readiness within %.0fs" % timeout)
                ready, _, _ = select.select([r], [], [], left)
                if not ready:
                    continue
                chunk = os.read(r, 64)
                if not chunk:
                    rc = self.proc.poll()
                    if rc is None:
                        try:
                            rc = self.proc.wait(2)
                        except subprocess.TimeoutExpired:
                            pass
                    self.kill()
                    raise ServerError("server closed the readiness fd "
                                      "without 'ready' (exit %r)" % (rc,))
                got += chunk
        finally:
            os.close(r)
        if got != b"ready\n":
            self.kill()
            raise ServerError("readiness fd said %r" % got)
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15):
        """SIGTERM and wait; returns the exit status (killed if too slow)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.proc = None
                raise ServerError("server did not stop within %ds of SIGTERM"
                                  % timeout)
        rc = self.proc.returncode
        self.proc = None
        return rc

    def kill(self):
        """SIGKILL (a crash) and reap."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc = None

    def reload(self, values):
        """Rewrite config keys and send SIGHUP."""
        self.conf.update(values)
        set_conf_keys(self.conf_path, values)
        self.proc.send_signal(signal.SIGHUP)

    SANITIZER_RE = re.compile(rb"ERROR: (AddressSanitizer|LeakSanitizer)|"
                              rb"runtime error: |WARNING: ThreadSanitizer")

    def stop_clean(self):
        """Stop; raise ServerError unless the exit status is 0 and the log
        has no sanitizer report."""
        rc = self.stop()
        with open(self.log_path, "rb") as f:
            m = self.SANITIZER_RE.search(f.read())
        if m:
            raise ServerError("sanitizer report in %s: %r" % (self.log_path,
                                                             m.group(0)))
        if rc not in (0, None):
            raise ServerError("server exited %d after SIGTERM" % rc)

    def log_tail(self, lines=60):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
        except OSError as e:
            return "(no log: %s)" % e
        tail = data.decode("utf-8", "replace").splitlines()[-lines:]
        return "\n".join(tail)

    def close(self):
        try:
            self.stop()
        except ServerError:
            pass

    # --- clients ---

    def connect(self, port=None, timeout=10):
        return RawSmtp(("127.0.0.1", port or self.smtp_port), timeout)


def _cleanup():
    for s in ALL_SERVERS:
        if s.proc is not None:
            s.kill()
    if _failed_any[0] or os.environ.get("OUTPOST_KEEP"):
        return
    for s in ALL_SERVERS:
        shutil.rmtree(s.dir, ignore_errors=True)


atexit.register(_cleanup)


def mark_failed():
    _failed_any[0] = True


def unverified_tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class RawSmtp:
    """An SMTP client over a plain socket that sends exact bytes."""

    def __init__(self, addr, timeout=10):
        self.sock = socket.create_connection(addr, timeout=timeout)
        self.timeout = timeout
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed; unparsed %r" % self.buf)
        self.buf += chunk

    def read_line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        """One reply: (code, [text lines]) ; multi-line joined."""
        lines = []
        while True:
            line = self.read_line()
            if len(line) < 3 or not line[:3].isdigit():
                raise ValueError("malformed reply line %r" % line)
            lines.append(line[4:].decode("utf-8", "replace"))
            if len(line) == 3 or line[3:4] == b" ":
                return int(line[:3]), lines
            if line[3:4] != b"-":
                raise ValueError("malformed reply line %r" % line)

    def cmd(self, line):
        self.send(line + "\r\n" if isinstance(line, str) else line + b"\r\n")
        return self.reply()

    def expect(self, code, line=None):
        got = self.cmd(line) if line is not None else self.reply()
        if got[0] != code:
            raise AssertionError("%r: expected %d, got %r" % (line, code, got))
        return got

    def pending(self, wait=0.3):
        """Bytes that arrive within wait seconds, unprompted."""
        self.sock.settimeout(wait)
        try:
            self._fill()
        except (socket.timeout, TimeoutError):
            pass
        except EOFError:
            pass
        finally:
            self.sock.settimeout(self.timeout)
        data, self.buf = self.buf, b""
        return data

    def read_until_eof(self, limit=1 << 20):
        data = self.buf
        self.buf = b""
        while len(data) < limit:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        return data

    def starttls(self, ctx=None):
        ctx = ctx or unverified_tls_context()
        self.sock = ctx.wrap_socket(self.sock, server_hostname=HOSTNAME)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def split_trace(stored):
    """Split a stored message into (return_path, [received headers unfolded],
    the message as sent). Raises ValueError if the trace prefix is wrong."""
    m = re.match(rb"Return-Path: ([^\r\n]*)\r\n", stored)
    if not m:
        raise ValueError("stored message does not start with Return-Path: %r"
                         % stored[:200])
    pos = m.end()
    rp = m.group(1)
    received = []
    while stored.startswith(b"Received:", pos):
        end = pos
        while True:
            nl = stored.find(b"\r\n", end)
            if nl < 0:
                raise ValueError("unterminated Received header")
            end = nl + 2
            if stored[end:end + 1] not in (b" ", b"\t"):
                break
        received.append(re.sub(rb"\r\n[ \t]", b" ", stored[pos:end - 2]))
        pos = end
    if not received:
        raise ValueError("no Received: header after Return-Path: %r"
                         % stored[:300])
    return rp, received, stored[pos:]
