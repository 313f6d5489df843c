# SPDX-License-Identifier: MIT
"""test_pop3 - the POP3 server against real clients: Python's poplib over
STLS and implicit TLS (and plaintext where the config allows it), raw
sockets where the exact bytes matter (AUTH PLAIN, pipelining, errors),
curl and fetchmail. Messages go in over SMTP (smtplib); what POP3 hands out
is compared byte for byte with `outpost message cat`, and deletions are
checked with `outpost message list`.
"""

import base64
import os
import poplib
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import harness
import mailutil
from harness import DOMAIN, PASSWORD
from mailutil import RawPop3, deliver, make_msg, token

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
CAROL = "carol@" + DOMAIN
DAVE = "dave@" + DOMAIN

# lines starting with "." must survive dot-stuffing both ways
DOTTY = (b"first line\r\n"
         b".starts with a dot\r\n"
         b"..two dots\r\n"
         b".\r\n"
         b" . not at the start\r\n"
         b"last line\r\n")


def joined(lines):
    """poplib's list of lines back to the octets on the wire (CRLF each)."""
    return b"".join(line + b"\r\n" for line in lines)


class Pop3Case(unittest.TestCase):
    """Base: one server for the class, poplib and raw clients."""
    CONF = {}

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(conf=cls.CONF, name=cls.__name__)
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()

    def pop(self, user=None, how="stls"):
        """A poplib client, logged in as user unless None."""
        if how == "ssl":
            p = poplib.POP3_SSL("127.0.0.1", self.srv.pop3s_port,
                                context=harness.unverified_tls_context(),
                                timeout=30)
        else:
            p = poplib.POP3("127.0.0.1", self.srv.pop3_port, timeout=30)
            if how == "stls":
                p.stls(harness.unverified_tls_context())
        self.addCleanup(self._close, p)
        if user is not None:
            p.user(user)
            p.pass_(PASSWORD)
        return p

    @staticmethod
    def _close(p):
        try:
            p.close()
        except Exception:
            pass

    def raw(self, tls=False, stls=False):
        r = RawPop3(self.srv.pop3s_port if tls else self.srv.pop3_port,
                    tls=tls)
        self.addCleanup(r.close)
        r.greeting()
        if stls:
            r.stls()
        return r

    def fill(self, user, bodies):
        """Deliver one message per body; returns the stored bytes in order."""
        for b in bodies:
            deliver(self.srv, user, make_msg(token(), to=user, body=b))
        stored = self.srv.messages(user)
        self.assertEqual(len(stored), len(bodies))
        return [m for _, m in stored]

    def login_retry(self, user, how="stls", timeout=5.0):
        """Log in, retrying while an old session's lock is being released."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.pop(user, how)
            except poplib.error_proto as e:
                if b"[IN-USE]" not in e.args[0] or \
                        time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


class Pop3Tls(Pop3Case):
    """Default config: plaintext authentication needs TLS."""

    def test_capa_before_and_after_stls(self):
        p = self.pop(how="plain")
        capa = p.capa()
        self.assertIn("STLS", capa)
        self.assertNotIn("USER", capa)
        self.assertNotIn("SASL", capa)
        for k in ("TOP", "UIDL", "PIPELINING", "RESP-CODES"):
            self.assertIn(k, capa)
        p.stls(harness.unverified_tls_context())
        capa = p.capa()
        self.assertNotIn("STLS", capa)
        self.assertIn("USER", capa)
        self.assertIn("PLAIN", capa.get("SASL", []))

    def test_plaintext_refused(self):
        r = self.raw()
        self.assertTrue(r.cmd("USER " + ALICE).startswith(b"-ERR"))
        self.assertTrue(r.cmd("PASS " + PASSWORD).startswith(b"-ERR"))
        resp = base64.b64encode(b"\0" + ALICE.encode() + b"\0" +
                                PASSWORD.encode()).decode()
        self.assertTrue(r.cmd("AUTH PLAIN " + resp).startswith(b"-ERR"))
        # still usable: STLS then login works
        r.stls()
        self.assertTrue(r.cmd("USER " + ALICE).startswith(b"+OK"))
        self.assertTrue(r.cmd("PASS " + PASSWORD).startswith(b"+OK"))

    def test_stls_drops_pipelined_plaintext(self):
        r = self.raw()
        r.send("STLS\r\nUSER " + ALICE + "\r\n")
        self.assertTrue(r.line().startswith(b"+OK"))
        self.assertEqual(r.buf, b"")
        r._wrap()
        # the USER sent before the handshake must not have been kept
        self.assertTrue(r.cmd("PASS " + PASSWORD).startswith(b"-ERR"))

    def test_session_stls_and_ssl(self):
        body = DOTTY + b"x" * 900 + b"\r\n" + b"y" * 900 + b"\r\n"
        stored = self.fill(CAROL, [b"one\r\n", body, b"three\r\n.\r\n"])
        for how in ("stls", "ssl"):
            with self.subTest(how=how):
                p = self.pop(CAROL, how)
                count, total = p.stat()
                self.assertEqual(count, 3)
                self.assertEqual(total, sum(len(m) for m in stored))
                resp, listing, _ = p.list()
                sizes = {}
                for line in listing:
                    n, size = line.split()
                    sizes[int(n)] = int(size)
                self.assertEqual(sorted(sizes), [1, 2, 3])
                resp, uidls, _ = p.uidl()
                uids = [line.split()[1] for line in uidls]
                self.assertEqual(len(set(uids)), 3)
                for i, m in enumerate(stored, 1):
                    resp, lines, octets = p.retr(i)
                    got = joined(lines)
                    self.assertEqual(got, m)
                    self.assertEqual(sizes[i], len(got))
                    self.assertIn(str(len(m)).encode(), resp)
                    # single-message LIST and UIDL agree with the listings
                    self.assertEqual(p.list(i).split()[2],
                                     str(len(m)).encode())
                    self.assertEqual(p.uidl(i).split()[2], uids[i - 1])
                p.quit()
                self.assertEqual(len(self.srv.message_uids(CAROL)), 3)

    def test_top(self):
        body = b"b1\r\n.b2\r\nb3\r\nb4\r\n"
        stored = self.fill(DAVE, [body])[0]
        hdr, _, stored_body = stored.partition(b"\r\n\r\n")
        p = self.pop(DAVE)
        resp, lines, _ = p.top(1, 0)
        self.assertEqual(joined(lines), hdr + b"\r\n\r\n")
        resp, lines, _ = p.top(1, 2)
        self.assertEqual(joined(lines), hdr + b"\r\n\r\nb1\r\n.b2\r\n")
        resp, lines, _ = p.top(1, 100)
        self.assertEqual(joined(lines), stored)
        with self.assertRaises(poplib.error_proto):
            p.top(2, 0)
        with self.assertRaises(poplib.error_proto):
            p._shortcmd("TOP 1 x")
        p.quit()

    def test_raw_dot_stuffing(self):
        stored = self.fill(BOB, [DOTTY])[0]
        r = self.raw(tls=True)
        r.cmd("USER " + BOB)
        self.assertTrue(r.cmd("PASS " + PASSWORD).startswith(b"+OK"))
        self.assertTrue(r.cmd("RETR 1").startswith(b"+OK"))
        wire = r.multi_raw()
        self.assertIn(b"\r\n..starts with a dot\r\n", wire)
        self.assertIn(b"\r\n...two dots\r\n", wire)
        self.assertIn(b"\r\n..\r\n", wire)
        self.assertIn(b"\r\n . not at the start\r\n", wire)
        self.assertTrue(wire.endswith(b"last line\r\n.\r\n"))
        self.assertEqual(len(wire) - 3 - wire.count(b"\r\n.."), len(stored))
        r.cmd("QUIT")
        # empty the mailbox again for other tests
        p = self.pop(BOB)
        p.dele(1)
        p.quit()

    def test_dele_rset_quit_drop(self):
        user = "erin@" + DOMAIN
        self.srv.add_user(user)
        stored = self.fill(user, [b"m1\r\n", b"m2\r\n", b"m3\r\n"])
        uids = self.srv.message_uids(user)
        # DELE then RSET: nothing is deleted
        p = self.pop(user)
        p.dele(2)
        with self.assertRaises(poplib.error_proto):
            p.retr(2)
        with self.assertRaises(poplib.error_proto):
            p.dele(2)
        self.assertEqual(p.stat(), (2, len(stored[0]) + len(stored[2])))
        resp, listing, _ = p.list()
        self.assertEqual([line.split()[0] for line in listing], [b"1", b"3"])
        p.rset()
        self.assertEqual(p.stat()[0], 3)
        p.quit()
        self.assertEqual(self.srv.message_uids(user), uids)
        # DELE then a dropped connection: nothing is deleted
        p = self.login_retry(user)
        p.dele(1)
        p.dele(3)
        p.close()  # no QUIT
        time.sleep(0.2)
        self.assertEqual(self.srv.message_uids(user), uids)
        # DELE then QUIT: really removed; numbering is per session
        p = self.login_retry(user)
        self.assertEqual(p.stat()[0], 3)
        p.dele(1)
        p.dele(3)
        resp = p.quit()
        self.assertTrue(resp.startswith(b"+OK"))
        self.assertEqual(self.srv.message_uids(user), [uids[1]])
        p = self.login_retry(user)
        self.assertEqual(p.stat(), (1, len(stored[1])))
        self.assertEqual(joined(p.retr(1)[1]), stored[1])
        p.quit()

    def test_maildrop_lock(self):
        user = "frank@" + DOMAIN
        self.srv.add_user(user)
        p1 = self.pop(user)
        with self.assertRaises(poplib.error_proto) as cm:
            self.pop(user, how="ssl")
        self.assertIn(b"[IN-USE]", cm.exception.args[0])
        # another user is not affected
        self.pop(ALICE).quit()
        p1.quit()
        p2 = self.login_retry(user, how="ssl")
        p2.quit()

    def test_wrong_password(self):
        p = self.pop()
        p.user(ALICE)
        with self.assertRaises(poplib.error_proto) as cm:
            p.pass_("wrong-" + PASSWORD)
        self.assertIn(b"[AUTH]", cm.exception.args[0])
        # unknown users get the same answer
        p.user("nobody@" + DOMAIN)
        with self.assertRaises(poplib.error_proto) as cm:
            p.pass_(PASSWORD)
        self.assertIn(b"[AUTH]", cm.exception.args[0])
        # and the session can still log in
        p.user(ALICE)
        self.assertTrue(p.pass_(PASSWORD).startswith(b"+OK"))
        p.quit()

    def test_pass_without_user(self):
        r = self.raw(tls=True)
        self.assertTrue(r.cmd("PASS " + PASSWORD).startswith(b"-ERR"))

    def test_auth_plain(self):
        good = base64.b64encode(b"\0" + ALICE.encode() + b"\0" +
                                PASSWORD.encode())
        # with the initial response
        r = self.raw(tls=True)
        resp = self.retry_locked(r, [b"AUTH PLAIN " + good])
        self.assertTrue(resp.startswith(b"+OK"), resp)
        self.assertTrue(r.cmd("STAT").startswith(b"+OK"))
        r.cmd("QUIT")
        # without: "+ " continuation, then the response
        r = self.raw(stls=True)
        resp = self.retry_locked(r, [b"AUTH PLAIN", good])
        self.assertTrue(resp.startswith(b"+OK"), resp)
        r.cmd("QUIT")
        # authzid equal to authcid is fine
        r = self.raw(tls=True)
        both = base64.b64encode(ALICE.encode() + b"\0" + ALICE.encode() +
                                b"\0" + PASSWORD.encode())
        resp = self.retry_locked(r, [b"AUTH PLAIN " + both])
        self.assertTrue(resp.startswith(b"+OK"), resp)
        r.cmd("QUIT")
        # wrong password, bad base64, cancel, another authzid
        r = self.raw(tls=True)
        bad = base64.b64encode(b"\0" + ALICE.encode() + b"\0wrong")
        self.assertIn(b"[AUTH]", r.cmd(b"AUTH PLAIN " + bad))
        self.assertTrue(r.cmd(b"AUTH PLAIN !!!notb64").startswith(b"-ERR"))
        self.assertEqual(r.cmd("AUTH PLAIN"), b"+ ")
        self.assertTrue(r.cmd("*").startswith(b"-ERR"))
        other = base64.b64encode(BOB.encode() + b"\0" + ALICE.encode() +
                                 b"\0" + PASSWORD.encode())
        self.assertTrue(r.cmd(b"AUTH PLAIN " + other).startswith(b"-ERR"))
        self.assertTrue(r.cmd("AUTH CRAM-MD5").startswith(b"-ERR"))
        # AUTH without arguments lists mechanisms
        self.assertTrue(r.cmd("AUTH").startswith(b"+OK"))
        self.assertIn(b"PLAIN", r.multi())
        resp = self.retry_locked(r, [b"AUTH PLAIN " + good])
        self.assertTrue(resp.startswith(b"+OK"), resp)
        r.cmd("QUIT")

    def retry_locked(self, r, lines, timeout=5.0):
        """Send a login's lines; again while an old session's lock lasts.
        Returns the reply to the last line."""
        deadline = time.monotonic() + timeout
        while True:
            for line in lines[:-1]:
                r.cmd(line)
            resp = r.cmd(lines[-1])
            if b"[IN-USE]" not in resp or time.monotonic() > deadline:
                return resp
            time.sleep(0.05)

    def test_wrong_state(self):
        r = self.raw(tls=True)
        for c in ("STAT", "LIST", "RETR 1", "DELE 1", "UIDL", "TOP 1 0",
                  "RSET", "NOOP"):
            self.assertTrue(r.cmd(c).startswith(b"-ERR"), c)
        r.close()
        r = self.raw(tls=True)
        resp = self.retry_locked(r, ["USER " + DAVE, "PASS " + PASSWORD])
        self.assertTrue(resp.startswith(b"+OK"), resp)
        for c in ("USER " + DAVE, "PASS x", "STLS", "AUTH PLAIN", "APOP a b"):
            self.assertTrue(r.cmd(c).startswith(b"-ERR"), c)
        self.assertTrue(r.cmd("NOOP").startswith(b"+OK"))
        for c in ("RETR 0", "RETR 99999", "RETR x"):
            self.assertTrue(r.cmd(c).startswith(b"-ERR"), c)
        self.assertTrue(r.cmd("NOOP").startswith(b"+OK"))
        self.assertTrue(r.cmd("QUIT").startswith(b"+OK"))

    def test_too_long_line(self):
        r = self.raw(tls=True)
        self.assertTrue(r.cmd("USER " + "a" * 5000).startswith(b"-ERR"))
        # the rest of the long line was discarded; the session goes on
        self.assertTrue(r.cmd("CAPA").startswith(b"+OK"))
        r.multi()
        r.cmd("USER " + DAVE)
        resp = r.cmd("PASS " + PASSWORD)
        self.assertTrue(resp.startswith(b"+OK") or b"[IN-USE]" in resp, resp)

    def test_too_many_errors_closes(self):
        r = self.raw()
        out = b""
        r.send(b"FOO\r\n" * 50)
        out = r.read_until_eof()
        self.assertLessEqual(out.count(b"-ERR"), 12)
        self.assertIn(b"-ERR", out)

    def test_pipelining(self):
        user = "gina@" + DOMAIN
        self.srv.add_user(user)
        stored = self.fill(user, [DOTTY, b"second\r\n"])
        r = self.raw(tls=True)
        r.send("USER %s\r\nPASS %s\r\nSTAT\r\nLIST\r\nRETR 1\r\nUIDL 2\r\n"
               "TOP 2 0\r\nRETR 2\r\nDELE 1\r\nNOOP\r\nSTAT\r\nRSET\r\n"
               "QUIT\r\n" % (user, PASSWORD))
        self.assertTrue(r.line().startswith(b"+OK"))  # USER
        self.assertTrue(r.line().startswith(b"+OK"))  # PASS
        self.assertEqual(r.line(), b"+OK 2 %d" % sum(map(len, stored)))
        self.assertTrue(r.line().startswith(b"+OK"))
        self.assertEqual(r.multi(), [b"1 %d" % len(stored[0]),
                                     b"2 %d" % len(stored[1])])
        self.assertTrue(r.line().startswith(b"+OK"))
        self.assertEqual(joined(r.multi()), stored[0])
        self.assertTrue(r.line().startswith(b"+OK 2 "))
        self.assertTrue(r.line().startswith(b"+OK"))
        self.assertEqual(joined(r.multi()),
                         stored[1].partition(b"\r\n\r\n")[0] + b"\r\n\r\n")
        self.assertTrue(r.line().startswith(b"+OK"))
        self.assertEqual(joined(r.multi()), stored[1])
        self.assertTrue(r.line().startswith(b"+OK"))  # DELE
        self.assertTrue(r.line().startswith(b"+OK"))  # NOOP
        self.assertEqual(r.line(), b"+OK 1 %d" % len(stored[1]))
        self.assertTrue(r.line().startswith(b"+OK"))  # RSET
        self.assertTrue(r.line().startswith(b"+OK"))  # QUIT
        self.assertEqual(r.read_until_eof(), b"")
        self.assertEqual(len(self.srv.message_uids(user)), 2)

    def test_large_message(self):
        user = "hank@" + DOMAIN
        self.srv.add_user(user)
        body = b"".join(b"%06d .%s\r\n" % (i, b"y" * 70)
                        for i in range(40000))
        body += b".final\r\n"
        stored = self.fill(user, [body])[0]
        self.assertGreater(len(stored), 3 * 1024 * 1024)
        p = self.pop(user, how="ssl")
        resp, lines, octets = p.retr(1)
        self.assertEqual(joined(lines), stored)
        self.assertEqual(p.list(1).split()[2], str(len(stored)).encode())
        p.quit()

    def test_big_listing(self):
        # LIST and UIDL stream out as the output drains: more lines than
        # one chunk (32 KiB), pipelined with the commands after them
        user = "lena@" + DOMAIN
        self.srv.add_user(user)
        n = 1500
        mailutil.deliver_many(self.srv, user,
                              [make_msg("m%d" % i, to=user) for i in range(n)])
        uids = self.srv.message_uids(user)
        self.assertEqual(len(uids), n)
        r = self.raw(tls=True)
        r.cmd("USER " + user)
        self.assertTrue(r.cmd("PASS " + PASSWORD).startswith(b"+OK"))
        self.assertTrue(r.cmd("DELE 2").startswith(b"+OK"))
        r.send("UIDL\r\nLIST\r\nSTAT\r\n")
        self.assertTrue(r.line().startswith(b"+OK"))
        uidl = r.multi()
        self.assertEqual(len(uidl), n - 1)
        self.assertEqual(len(set(line.split()[1] for line in uidl)), n - 1)
        self.assertEqual([int(line.split()[0]) for line in uidl],
                         [1] + list(range(3, n + 1)))
        self.assertTrue(r.line().startswith(b"+OK %d messages" % (n - 1)))
        listing = r.multi()
        self.assertEqual(len(listing), n - 1)
        total = sum(int(line.split()[1]) for line in listing)
        self.assertEqual(r.line(), b"+OK %d %d" % (n - 1, total))
        r.cmd("QUIT")

    def test_curl(self):
        if shutil.which("curl") is None:
            self.skipTest("curl not installed")
        user = "ivan@" + DOMAIN
        self.srv.add_user(user)
        stored = self.fill(user, [DOTTY])[0]
        cred = urllib.parse.quote(user, safe="") + ":" + \
            urllib.parse.quote(PASSWORD, safe="")
        for url, extra in (
                ("pop3s://%s@127.0.0.1:%d/1" % (cred, self.srv.pop3s_port),
                 []),
                ("pop3://%s@127.0.0.1:%d/1" % (cred, self.srv.pop3_port),
                 ["--ssl-reqd"])):
            with self.subTest(url=url.split(":")[0]):
                deadline = time.monotonic() + 5
                while True:
                    p = subprocess.run(["curl", "-s", "-S", "--insecure",
                                        "--max-time", "30"] + extra + [url],
                                       stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, timeout=60)
                    if p.returncode == 0 or time.monotonic() > deadline:
                        break
                    time.sleep(0.1)  # the previous session's lock
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(p.stdout, stored)
        # plain pop3:// without --ssl-reqd cannot log in (no USER offered)
        p = subprocess.run(["curl", "-s", "--max-time", "30",
                            "pop3://%s@127.0.0.1:%d/1" %
                            (cred, self.srv.pop3_port)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stdout, b"")


class Pop3Plaintext(Pop3Case):
    """pop3_allow_plaintext_auth = yes: login without TLS."""
    CONF = {"pop3_allow_plaintext_auth": "yes"}

    def test_plain_session(self):
        stored = self.fill(ALICE, [DOTTY, b"two\r\n"])
        p = self.pop(how="plain")
        capa = p.capa()
        self.assertIn("USER", capa)
        self.assertIn("STLS", capa)
        p.user(ALICE)
        p.pass_(PASSWORD)
        self.assertEqual(p.stat(), (2, sum(map(len, stored))))
        for i, m in enumerate(stored, 1):
            self.assertEqual(joined(p.retr(i)[1]), m)
        p.quit()

    def test_auth_plain_no_tls(self):
        r = self.raw()
        self.assertEqual(r.cmd("AUTH PLAIN"), b"+ ")
        resp = r.cmd(base64.b64encode(b"\0" + BOB.encode() + b"\0" +
                                      PASSWORD.encode()))
        self.assertTrue(resp.startswith(b"+OK"), resp)
        r.cmd("QUIT")


class Pop3Timeout(Pop3Case):
    """pop3_idle_timeout = 1s: idle sessions and stalled readers end."""
    CONF = {"pop3_idle_timeout": "1s", "pop3_allow_plaintext_auth": "yes"}

    def test_idle_timeout(self):
        r = self.raw()
        time.sleep(1.6)
        self.assertIn(b"-ERR", r.read_until_eof())

    def test_stalled_reader(self):
        # a client that stops reading in the middle of a RETR is cut off
        # after the idle timeout; no reply is put inside the message
        user = "mona@" + DOMAIN
        self.srv.add_user(user)
        body = (b"z" * 98 + b"\r\n") * (150 * 1024)  # 15 MiB
        deliver(self.srv, user, make_msg("big", to=user, body=body))
        size = len(self.srv.message_cat(user, self.srv.message_uids(user)[0]))
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect(("127.0.0.1", self.srv.pop3_port))
        r = RawPop3.__new__(RawPop3)
        r.sock, r.buf, r.timeout = s, b"", 10
        self.addCleanup(r.close)
        r.greeting()
        r.cmd("USER " + user)
        self.assertTrue(r.cmd("PASS " + PASSWORD).startswith(b"+OK"))
        r.send("RETR 1\r\n")
        time.sleep(3)
        data = r.read_until_eof(limit=size * 2)
        self.assertLess(len(data), size)
        self.assertNotIn(b"-ERR", data)
        # the server goes on serving
        p = self.login_retry(user, how="plain")
        self.assertEqual(p.stat()[0], 1)
        p.quit()


class Pop3Fetchmail(Pop3Case):
    """fetchmail over implicit TLS and STLS, with and without --keep."""

    def setUp(self):
        if shutil.which("fetchmail") is None:
            self.skipTest("fetchmail not installed")
        self.tmp = tempfile.mkdtemp(prefix="outpost-fetchmail-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def fetchmail(self, user, port, ssl_line, out, keep):
        rc = os.path.join(self.tmp, "fetchmailrc")
        with open(rc, "w", encoding="utf-8") as f:
            f.write('poll 127.0.0.1 service %d protocol POP3 auth password\n'
                    '  user "%s" password "%s" is "%s" here\n'
                    '  %s no sslcertck\n' % (port, user, PASSWORD,
                                             os.environ.get("USER", "root"),
                                             ssl_line))
        os.chmod(rc, 0o600)
        env = dict(os.environ)
        env["HOME"] = self.tmp
        env["FETCHMAILHOME"] = self.tmp
        argv = ["fetchmail", "-f", rc, "--nodetach", "--nosyslog",
                "--invisible", "--mda", "tee -a %s >/dev/null" % out]
        argv += ["--keep"] if keep else ["--nokeep"]
        argv += ["--all"]
        p = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        return p

    def check(self, user, port, ssl_line):
        self.srv.add_user(user)
        stored = self.fill(user, [DOTTY, b"second message\r\n"])
        # fetchmail hands the MDA LF line ends
        expect = b"".join(m.replace(b"\r\n", b"\n") for m in stored)
        out = os.path.join(self.tmp, "keep.out")
        p = self.fetchmail(user, port, ssl_line, out, keep=True)
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), expect)
        self.assertEqual(len(self.srv.message_uids(user)), 2)
        out = os.path.join(self.tmp, "nokeep.out")
        p = mailutil.wait_for(lambda: self._ok(
            self.fetchmail(user, port, ssl_line, out, keep=False)))
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), expect)
        self.assertEqual(self.srv.message_uids(user), [])

    @staticmethod
    def _ok(p):
        return p if p.returncode != 8 else None  # 8: mailbox locked

    def test_fetchmail_pop3s(self):
        self.check("jill@" + DOMAIN, self.srv.pop3s_port, "ssl")

    def test_fetchmail_stls(self):
        self.check("kurt@" + DOMAIN, self.srv.pop3_port,
                   "sslproto tls1.2+")


if __name__ == "__main__":
    unittest.main()
