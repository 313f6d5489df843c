# SPDX-License-Identifier: MIT
"""test_imap_clients - the IMAP server against real mail clients: curl
(imaps:// and imap:// with STARTTLS: LIST, a message by UID byte for byte
as `outpost message cat` gives it, a custom SEARCH), mbsync (isync) syncing
INBOX with a local Maildir both ways (pull, push by APPEND, a flag set
locally reaching the server), fetchmail over IMAP (with and without
--keep, through an MDA that writes what it gets) and mutt reading a
mailbox under a pseudo-terminal and piping the messages to a file.
Messages go in over SMTP (smtplib). Every subprocess has a timeout.
"""

import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import harness
from harness import DOMAIN, PASSWORD
from mailutil import deliver, imap_close, imap_login, make_msg, token

# a body that exercises dot lines, long-ish lines and 8-bit-free text
BODY = (b"first line\r\n"
        b".a line starting with a dot\r\n"
        b"\r\n"
        b"From the start of a line (mbox escaping must not leak)\r\n" +
        b"x" * 900 + b"\r\n"
        b"last line\r\n")


def run(argv, timeout=60, env=None, input=None):
    return subprocess.run(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout, env=env,
                          input=input)


def lf(data):
    return data.replace(b"\r\n", b"\n")


class ClientCase(unittest.TestCase):
    TOOL = None

    @classmethod
    def setUpClass(cls):
        if cls.TOOL and shutil.which(cls.TOOL) is None:
            raise unittest.SkipTest("%s not installed" % cls.TOOL)
        cls.srv = harness.Server(name=cls.__name__)
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="outpost-imapcli-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def new_user(self, bodies=()):
        """A fresh user with messages delivered; returns (user, [(uid,
        stored bytes)])."""
        user = "u%s@%s" % (token()[:12], DOMAIN)
        self.srv.add_user(user)
        self.toks = []
        for body in bodies:
            tok = token()
            self.toks.append(tok)
            deliver(self.srv, user, make_msg(tok, to=user, body=body))
        return user, self.srv.messages(user)


class ImapCurl(ClientCase):
    TOOL = "curl"

    def curl(self, user, url_path, port, scheme, extra=()):
        cred = urllib.parse.quote(user, safe="") + ":" + \
            urllib.parse.quote(PASSWORD, safe="")
        url = "%s://%s@127.0.0.1:%d/%s" % (scheme, cred, port, url_path)
        argv = ["curl", "-s", "-S", "--insecure", "--max-time", "30"]
        if scheme == "imap":
            argv.append("--ssl-reqd")
        p = run(argv + list(extra) + [url])
        self.assertEqual(p.returncode, 0, "curl %s: %r" % (url_path,
                                                          p.stderr))
        return p.stdout

    def test_curl(self):
        user, msgs = self.new_user([BODY, b"second\r\n", b"third\r\n"])
        self.assertEqual(len(msgs), 3)
        for scheme, port in (("imaps", self.srv.imaps_port),
                             ("imap", self.srv.imap_port)):
            with self.subTest(scheme=scheme):
                out = self.curl(user, "", port, scheme)
                self.assertRegex(out, rb'(?m)^\* LIST \([^)]*\) '
                                 rb'("[^"]*"|NIL) "?INBOX"?\r?$')
                for uid, stored in msgs:
                    out = self.curl(user, "INBOX;UID=%d" % uid, port, scheme)
                    self.assertEqual(out, stored)
                out = self.curl(user, "INBOX", port, scheme,
                                ["-X", "SEARCH SUBJECT %s" % self.toks[1]])
                self.assertEqual(out.strip(), b"* SEARCH %d" % 2)
                out = self.curl(user, "INBOX", port, scheme,
                                ["-X", "UID SEARCH NOT SUBJECT %s"
                                 % self.toks[1]])
                self.assertEqual(out.strip(), b"* SEARCH %d %d" % (
                    msgs[0][0], msgs[2][0]))
                # a section of one message
                out = self.curl(user, "INBOX;UID=%d;SECTION=HEADER.FIELDS"
                                "%%20(SUBJECT)" % msgs[0][0], port, scheme)
                self.assertEqual(out, b"Subject: test %s\r\n\r\n"
                                 % self.toks[0].encode())
        # without TLS curl cannot log in (LOGINDISABLED)
        cred = urllib.parse.quote(user, safe="") + ":" + PASSWORD
        p = run(["curl", "-s", "--max-time", "30", "imap://%s@127.0.0.1:%d/"
                 % (cred, self.srv.imap_port)])
        self.assertNotEqual(p.returncode, 0)
        self.assertNotIn(b"INBOX", p.stdout)

    def test_curl_append_and_folders(self):
        user, msgs = self.new_user([])
        port = self.srv.imaps_port
        self.curl(user, "", port, "imaps", ["-X", "CREATE Projects"])
        tok = token()
        msg = make_msg(tok, to=user, body=BODY)
        path = os.path.join(self.tmp, "upload.eml")
        with open(path, "wb") as f:
            f.write(msg)
        self.curl(user, "Projects", port, "imaps", ["-T", path])
        stored = self.srv.messages(user, "Projects")
        self.assertEqual(len(stored), 1)
        self.assertEqual(stored[0][1], msg, "APPEND must store the octets")
        out = self.curl(user, "Projects;UID=%d" % stored[0][0], port,
                        "imaps")
        self.assertEqual(out, msg)
        out = self.curl(user, "", port, "imaps")
        self.assertRegex(out, rb'(?m)^\* LIST \([^)]*\) ("[^"]*"|NIL) '
                         rb'"?Projects"?\r?$')
        out = self.curl(user, "", port, "imaps",
                        ["-X", "STATUS Projects (MESSAGES UIDNEXT)"])
        m = re.search(rb"\* STATUS \"?Projects\"? \(MESSAGES 1 "
                      rb"UIDNEXT (\d+)\)", out)
        self.assertTrue(m, out)
        self.assertGreater(int(m.group(1)), stored[0][0])


class ImapMbsync(ClientCase):
    TOOL = "mbsync"

    def write_conf(self, user, ssl_type="STARTTLS", patterns="INBOX",
                   create="Near"):
        self.maildir = os.path.join(self.tmp, "mail")
        os.makedirs(self.maildir)
        conf = os.path.join(self.tmp, "mbsyncrc")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("IMAPAccount outpost\n"
                    "Host 127.0.0.1\n"
                    "Port %d\n"
                    "User %s\n"
                    "Pass %s\n"
                    "SSLType %s\n"
                    "CertificateFile %s\n"
                    "Timeout 20\n"
                    "\n"
                    "IMAPStore remote\n"
                    "Account outpost\n"
                    "\n"
                    "MaildirStore local\n"
                    "Path %s/\n"
                    "Inbox %s/INBOX\n"
                    "SubFolders Verbatim\n"
                    "\n"
                    "Channel ch\n"
                    "Far :remote:\n"
                    "Near :local:\n"
                    "Patterns %s\n"
                    "Create %s\n"
                    "Sync All\n"
                    "Expunge Both\n"
                    "SyncState *\n" % (
                        self.srv.imaps_port if ssl_type == "IMAPS"
                        else self.srv.imap_port, user, PASSWORD, ssl_type,
                        os.path.join(self.srv.dir, "cert.pem"),
                        self.maildir, self.maildir, patterns, create))
        self.conf = conf

    def mbsync(self):
        env = dict(os.environ)
        env["HOME"] = self.tmp
        p = run(["mbsync", "-c", self.conf, "-V", "ch"], timeout=90,
                env=env)
        self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-3000:])
        return p

    def local_files(self):
        """{path: content} of the Maildir INBOX (cur and new)."""
        out = {}
        for sub in ("cur", "new"):
            d = os.path.join(self.maildir, "INBOX", sub)
            if not os.path.isdir(d):
                continue
            for name in os.listdir(d):
                with open(os.path.join(d, name), "rb") as f:
                    out[os.path.join(d, name)] = f.read()
        return out

    @staticmethod
    def strip_tuid(data):
        # mbsync may add X-TUID to find a message it just stored
        return re.sub(rb"(?m)^X-TUID: [^\r\n]*\r?\n", b"", data)

    def test_mbsync_imaps_pull(self):
        user, msgs = self.new_user([BODY, b"two\r\n"])
        self.write_conf(user, "IMAPS")
        self.mbsync()
        self.assertEqual(sorted(self.strip_tuid(v)
                                for v in self.local_files().values()),
                         sorted(lf(m) for _, m in msgs))

    def test_mbsync_both_ways(self):
        """Over STARTTLS: pull, push, flags both ways, expunge."""
        user, msgs = self.new_user([BODY, b"two\r\n", b"three\r\n"])
        self.write_conf(user)
        # pull: every server message appears locally, byte for byte (the
        # Maildir holds LF line ends)
        self.mbsync()
        local = self.local_files()
        self.assertEqual(sorted(self.strip_tuid(v) for v in local.values()),
                         sorted(lf(m) for _, m in msgs))

        # push: a new local message is APPENDed to the server
        tok = token()
        new = (b"From: Local <local@x.test>\nTo: %s\nSubject: pushed %s\n"
               b"Date: Mon, 23 Nov 2026 11:00:00 +0000\n"
               b"Message-ID: <%s@x.test>\n\nwritten locally\n.dot\n" % (
                   user.encode(), tok.encode(), tok.encode()))
        name = "%d.%d_0.localhost" % (time.time(), os.getpid())
        with open(os.path.join(self.maildir, "INBOX", "new", name), "wb") as f:
            f.write(new)
        self.mbsync()
        server = self.srv.messages(user)
        self.assertEqual(len(server), 4, [m[:80] for _, m in server])
        self.assertEqual(self.strip_tuid(server[-1][1]),
                         new.replace(b"\n", b"\r\n"))

        # a flag set locally (Maildir info :2,FS) reaches the server
        first = [p for p, v in self.local_files().items()
                 if self.strip_tuid(v) == lf(msgs[0][1])]
        self.assertEqual(len(first), 1)
        path = first[0]
        base = os.path.basename(path).split(":2,")[0]
        flags = os.path.basename(path).split(":2,")[1] \
            if ":2," in path else ""
        dest = os.path.join(self.maildir, "INBOX", "cur",
                            base + ":2," + "".join(sorted(set(flags + "FS"))))
        os.rename(path, dest)
        self.mbsync()
        m = imap_login(self.srv, user)
        try:
            self.assertEqual(m.select("INBOX")[0], "OK")
            typ, data = m.uid("FETCH", str(msgs[0][0]), "(FLAGS)")
            self.assertEqual(typ, "OK")
            self.assertIn(b"\\Flagged", data[0])
            self.assertIn(b"\\Seen", data[0])
            # and a flag set on the server comes back down (T = trashed)
            typ, _ = m.uid("STORE", str(msgs[1][0]), "+FLAGS", "(\\Deleted)")
            self.assertEqual(typ, "OK")
        finally:
            imap_close(m)
        self.mbsync()
        # Expunge Both: the deleted message is gone on both sides
        self.assertEqual(len(self.srv.message_uids(user)), 3)
        self.assertEqual(len(self.local_files()), 3)
        self.assertNotIn(lf(msgs[1][1]),
                         [self.strip_tuid(v)
                          for v in self.local_files().values()])

    def test_mbsync_folders(self):
        """Patterns * with Create Both: a server folder hierarchy appears
        as Maildir folders and a new local folder is CREATEd on the
        server with its message."""
        user, msgs = self.new_user([b"inbox one\r\n"])
        m = imap_login(self.srv, user)
        try:
            self.assertEqual(m.create("Projects/2026")[0], "OK")
            msg = make_msg(token(), to=user, body=b"in a subfolder\r\n")
            self.assertEqual(m.append("Projects/2026", None, None, msg)[0],
                             "OK")
        finally:
            imap_close(m)
        self.write_conf(user, patterns="*", create="Both")
        local_new = os.path.join(self.maildir, "Local")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(local_new, sub))
        tok = token()
        local_msg = (b"Subject: local folder %s\nMessage-ID: <%s@x.test>\n"
                     b"\nhello from a local folder\n" % (tok.encode(),
                                                         tok.encode()))
        with open(os.path.join(local_new, "new", "1.1_0.localhost"),
                  "wb") as f:
            f.write(local_msg)
        self.mbsync()
        sub = os.path.join(self.maildir, "Projects", "2026")
        got = []
        for d in ("cur", "new"):
            p = os.path.join(sub, d)
            for name in os.listdir(p) if os.path.isdir(p) else ():
                with open(os.path.join(p, name), "rb") as f:
                    got.append(self.strip_tuid(f.read()))
        self.assertEqual(got, [lf(msg)])
        server = self.srv.messages(user, "Local")
        self.assertEqual(len(server), 1)
        self.assertEqual(self.strip_tuid(server[0][1]),
                         local_msg.replace(b"\n", b"\r\n"))
        self.assertEqual(len(self.local_files()), 1)  # INBOX still synced
        self.mbsync()  # a second run changes nothing and succeeds
        self.assertEqual(len(self.srv.messages(user, "Local")), 1)


class ImapFetchmail(ClientCase):
    TOOL = "fetchmail"

    def fetchmail(self, user, port, ssl_line, out, keep):
        rc = os.path.join(self.tmp, "fetchmailrc")
        with open(rc, "w", encoding="utf-8") as f:
            f.write('poll 127.0.0.1 service %d protocol IMAP auth password\n'
                    '  user "%s" password "%s" is "%s" here\n'
                    '  folder INBOX\n'
                    '  %s no sslcertck\n' % (port, user, PASSWORD,
                                             os.environ.get("USER", "root"),
                                             ssl_line))
        os.chmod(rc, 0o600)
        env = dict(os.environ)
        env["HOME"] = self.tmp
        env["FETCHMAILHOME"] = self.tmp
        argv = ["fetchmail", "-f", rc, "--nodetach", "--nosyslog",
                "--invisible", "--timeout", "30",
                "--mda", "tee -a %s >/dev/null" % out]
        argv += ["--keep"] if keep else ["--nokeep"]
        argv += ["--all"]
        return run(argv, timeout=120, env=env)

    def check(self, port, ssl_line):
        user, msgs = self.new_user([BODY, b"second message\r\n"])
        expect = b"".join(lf(m) for _, m in msgs)
        out = os.path.join(self.tmp, "keep.out")
        p = self.fetchmail(user, port, ssl_line, out, keep=True)
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), expect)
        self.assertEqual(self.srv.message_uids(user), [u for u, _ in msgs])
        # --keep with IMAP leaves them, now \Seen
        m = imap_login(self.srv, user)
        try:
            m.select("INBOX", readonly=True)
            typ, data = m.search(None, "SEEN")
            self.assertEqual(data[0].split(), [b"1", b"2"])
        finally:
            imap_close(m)
        out = os.path.join(self.tmp, "nokeep.out")
        p = self.fetchmail(user, port, ssl_line, out, keep=False)
        self.assertEqual(p.returncode, 0, p.stderr + p.stdout)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), expect)
        self.assertEqual(self.srv.message_uids(user), [])
        # nothing left: fetchmail says so with exit code 1
        p = self.fetchmail(user, port, ssl_line, out, keep=False)
        self.assertEqual(p.returncode, 1, p.stderr + p.stdout)

    def test_fetchmail_imaps(self):
        self.check(self.srv.imaps_port, "ssl")

    def test_fetchmail_starttls(self):
        self.check(self.srv.imap_port, "sslproto tls1.2+")


class ImapMutt(ClientCase):
    TOOL = "mutt"

    def run_pty(self, argv, env, timeout=60):
        """Run argv on a pseudo-terminal (mutt wants one); returns (exit
        status, screen output). Killed after timeout."""
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen(argv, stdin=slave, stdout=slave,
                                 stderr=slave, env=env, close_fds=True,
                                 start_new_session=True)
        finally:
            os.close(slave)
        screen = b""
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    p.kill()
                    p.wait()
                    self.fail("mutt did not finish in %ds; screen: %r"
                              % (timeout, screen[-2000:]))
                r, _, _ = select.select([master], [], [], min(left, 0.5))
                if r:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:  # EIO: the child closed the terminal
                        chunk = b""
                    if not chunk:
                        break
                    screen += chunk
                elif p.poll() is not None:
                    break
            return p.wait(timeout=10), screen
        finally:
            os.close(master)
            if p.poll() is None:
                p.kill()
                p.wait()

    def test_mutt_reads_mailbox(self):
        user, msgs = self.new_user([BODY, b"second message\r\n",
                                    b"third\r\n"])
        out = os.path.join(self.tmp, "piped")
        hdrs = os.path.join(self.tmp, "headers")
        cert = os.path.join(self.srv.dir, "cert.pem")
        certs = os.path.join(self.tmp, "certs")
        shutil.copy(cert, certs)  # the accepted-certificates file
        # a missing $folder makes the first run ask to create it, which
        # flushes the pushed keys
        os.makedirs(os.path.join(self.tmp, "Mail"))
        muttrc = os.path.join(self.tmp, "muttrc")
        with open(muttrc, "w", encoding="utf-8") as f:
            f.write('set imap_user="%s"\n'
                    'set imap_pass="%s"\n'
                    'set certificate_file="%s"\n'
                    'set ssl_verify_host=no\n'
                    'set ssl_starttls=yes\n'
                    'set ssl_force_tls=yes\n'
                    'set imap_passive=yes\n'
                    'set timeout=5\n'
                    'set imap_keepalive=30\n'
                    'set connect_timeout=20\n'
                    'set sort=date-sent\n'
                    'set pipe_split=yes\n'
                    'set pipe_decode=no\n'
                    'set pipe_sep=""\n'
                    'set wait_key=no\n'
                    'set quit=yes\n'
                    'set move=no\n'
                    'set mark_old=no\n'
                    'set header_cache=""\n'
                    'set message_cachedir=""\n'
                    'set confirmappend=no\n'
                    'set index_format="IDX %%s|%%f"\n'
                    % (user, PASSWORD, certs))
        env = dict(os.environ)
        env["HOME"] = self.tmp
        env["TERM"] = "vt100"
        env["MAILCAP"] = "/dev/null"
        script = os.path.join(self.tmp, "subjects.sh")
        with open(script, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\ngrep -i '^subject:' >> %s\nexit 0\n" % hdrs)
        os.chmod(script, 0o755)
        # tag all, pipe every message raw into a file, then pipe each
        # through a script that keeps its Subject header
        keys = ('<tag-pattern>~A<enter><tag-prefix><pipe-message>'
                'cat >> %s<enter>'
                '<tag-prefix><pipe-message>%s<enter>'
                '<quit>' % (out, script))
        for url in ("imaps://127.0.0.1:%d/INBOX" % self.srv.imaps_port,
                    "imap://127.0.0.1:%d/INBOX" % self.srv.imap_port):
            with self.subTest(url=url.split(":")[0]):
                for path in (out, hdrs):
                    if os.path.exists(path):
                        os.unlink(path)
                rc, screen = self.run_pty(
                    ["mutt", "-n", "-F", muttrc, "-f", url,
                     "-e", "push '%s'" % keys], env, timeout=60)
                self.assertTrue(os.path.exists(out),
                                "mutt piped nothing; exit %r, screen %r" % (
                                    rc, screen[-1500:]))
                with open(out, "rb") as f:
                    piped = f.read()
                with open(hdrs, "rb") as f:
                    subjects = f.read()
                self.assertEqual(rc, 0, screen[-1500:])
                self.assertEqual(sorted(subjects.splitlines()),
                                 sorted(b"Subject: test " + t.encode()
                                        for t in self.toks))
                # each message piped whole (mutt hands out LF line ends)
                for _, stored in msgs:
                    self.assertIn(lf(stored), piped)
                self.assertEqual(len(piped), sum(len(lf(m))
                                                 for _, m in msgs))
        # reading with mutt must not have changed anything on the server
        self.assertEqual([u for u, _ in self.srv.messages(user)],
                         [u for u, _ in msgs])


if __name__ == "__main__":
    unittest.main()
