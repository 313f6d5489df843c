# SPDX-License-Identifier: MIT
"""test_imap - the IMAP server against Python's imaplib and raw sockets
(where the exact bytes matter: literals, LITERAL+, pipelining, limits).
Messages go in with APPEND (and SMTP for one test) and are read back byte
for byte with FETCH.
"""

import base64
import imaplib
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import uuid

import harness
from harness import DOMAIN, PASSWORD

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN


def token():
    return uuid.uuid4().hex


def make_msg(tok, body=b"hello\r\n", subject=None):
    subject = subject if subject is not None else "test " + tok
    return (b"From: Sender <sender@sender.test>\r\n"
            b"To: <" + ALICE.encode() + b">\r\n"
            b"Subject: " + subject.encode() + b"\r\n"
            b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            b"Message-ID: <" + tok.encode() + b"@sender.test>\r\n"
            b"\r\n" + body)


def tls_ctx():
    return harness.unverified_tls_context()


class Raw:
    """A raw IMAP connection: send bytes, read lines."""

    def __init__(self, port, tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls:
            self.sock = tls_ctx().wrap_socket(self.sock)
        self.buf = b""
        self.greeting = self.line()

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("closed; have %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def until_tagged(self, tag):
        """Lines up to and including the tagged reply for tag."""
        out = []
        while True:
            ln = self.line()
            out.append(ln)
            if ln.startswith(tag.encode() + b" "):
                return out

    def read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def login(self, user=ALICE):
        self.send(b"L1 LOGIN " + user.encode() + b" " + PASSWORD.encode() +
                  b"\r\n")
        r = self.until_tagged("L1")
        assert r[-1].startswith(b"L1 OK"), r

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class IMAPTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(
            conf={"imap_max_literal": "8M", "max_errors": "5"},
            users=("alice", "bob"), name="imap").start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()

    def imaps(self, user=ALICE):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.srv.imaps_port,
                              ssl_context=tls_ctx(), timeout=20)
        if user:
            typ, _ = m.login(user, PASSWORD)
            self.assertEqual(typ, "OK")
        return m

    def raw(self, tls=True):
        return Raw(self.srv.imaps_port if tls else self.srv.imap_port, tls)

    # --- connection and authentication ---

    def test_greeting_and_capability(self):
        r = self.raw(tls=False)
        self.assertTrue(r.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 "),
                        r.greeting)
        self.assertIn(b" STARTTLS", r.greeting)
        self.assertIn(b" LOGINDISABLED", r.greeting)
        self.assertNotIn(b"AUTH=PLAIN", r.greeting)
        r.send(b"a CAPABILITY\r\n")
        lines = r.until_tagged("a")
        self.assertTrue(lines[0].startswith(b"* CAPABILITY IMAP4rev1 "))
        self.assertIn(b"STARTTLS", lines[0])
        self.assertIn(b"LOGINDISABLED", lines[0])
        self.assertIn(b"IDLE", lines[0])
        self.assertIn(b"LITERAL+", lines[0])
        self.assertTrue(lines[-1].startswith(b"a OK"))
        r.close()
        # on the implicit-TLS port: AUTH=PLAIN, no STARTTLS (greeting too)
        r = self.raw()
        self.assertTrue(r.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 "),
                        r.greeting)
        self.assertIn(b" AUTH=PLAIN", r.greeting)
        self.assertNotIn(b"STARTTLS", r.greeting)
        self.assertNotIn(b"LOGINDISABLED", r.greeting)
        r.send(b"a CAPABILITY\r\n")
        caps = r.until_tagged("a")[0]
        self.assertIn(b"AUTH=PLAIN", caps)
        self.assertNotIn(b"STARTTLS", caps)
        self.assertNotIn(b"LOGINDISABLED", caps)
        r.close()

    def test_plaintext_login_refused_then_starttls(self):
        m = imaplib.IMAP4("127.0.0.1", self.srv.imap_port, timeout=20)
        with self.assertRaises(imaplib.IMAP4.error):
            m.login(ALICE, PASSWORD)
        m.starttls(ssl_context=tls_ctx())
        self.assertNotIn("LOGINDISABLED", m.capabilities)
        typ, _ = m.login(ALICE, PASSWORD)
        self.assertEqual(typ, "OK")
        m.logout()

    def test_starttls_discards_injected_plaintext(self):
        r = self.raw(tls=False)
        r.send(b"s STARTTLS\r\nx LOGIN " + ALICE.encode() + b" " +
               PASSWORD.encode() + b"\r\n")
        self.assertTrue(r.line().startswith(b"s OK"))
        r.sock = tls_ctx().wrap_socket(r.sock)
        r.buf = b""
        r.send(b"c NOOP\r\n")
        lines = r.until_tagged("c")
        # the injected LOGIN never ran: no "x" reply, still not logged in
        self.assertFalse(any(ln.startswith(b"x ") for ln in lines))
        r.send(b"d SELECT INBOX\r\n")
        self.assertTrue(r.until_tagged("d")[-1].startswith(b"d BAD"))
        r.close()

    def test_wrong_password(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.srv.imaps_port,
                              ssl_context=tls_ctx(), timeout=20)
        with self.assertRaises(imaplib.IMAP4.error):
            m.login(ALICE, "wrong")
        with self.assertRaises(imaplib.IMAP4.error):
            m.login("nobody@" + DOMAIN, PASSWORD)
        typ, _ = m.login(ALICE, PASSWORD)
        self.assertEqual(typ, "OK")
        m.logout()

    def test_authenticate_plain(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.srv.imaps_port,
                              ssl_context=tls_ctx(), timeout=20)
        typ, _ = m.authenticate(
            "PLAIN", lambda _: ("\0%s\0%s" % (ALICE, PASSWORD)).encode())
        self.assertEqual(typ, "OK")
        m.logout()
        # SASL-IR and cancel on a raw connection
        r = self.raw()
        r.send(b"a AUTHENTICATE PLAIN\r\n")
        self.assertEqual(r.line(), b"+ ")
        r.send(b"*\r\n")
        self.assertTrue(r.line().startswith(b"a BAD"))
        ir = base64.b64encode(("\0%s\0%s" % (BOB, PASSWORD)).encode())
        r.send(b"b AUTHENTICATE PLAIN " + ir + b"\r\n")
        self.assertTrue(r.until_tagged("b")[-1].startswith(b"b OK"))
        r.close()

    # --- mailboxes ---

    def test_list_and_special_use(self):
        m = self.imaps()
        typ, data = m.list('""', "*")
        self.assertEqual(typ, "OK")
        text = b"\n".join(data)
        self.assertIn(b'"INBOX"', text)
        self.assertRegex(text, rb'\(\\HasNoChildren \\Sent\) "/" "Sent"')
        self.assertRegex(text, rb'\\Trash\) "/" "Trash"')
        typ, _ = m.create("Projects/2026/Q4")
        self.assertEqual(typ, "OK")
        typ, data = m.list('""', "%")
        text = b"\n".join(data)
        self.assertIn(b'(\\HasChildren) "/" "Projects"', text)
        self.assertNotIn(b"Projects/2026", text)
        typ, data = m.list("Projects/", "%")
        self.assertEqual(data, [b'(\\HasChildren) "/" "Projects/2026"'])
        typ, data = m.list('""', '""')
        self.assertEqual(data, [b'(\\Noselect) "/" ""'])
        typ, _ = m.rename("Projects/2026", "Projects/Y2026")
        self.assertEqual(typ, "OK")
        typ, data = m.list('""', "Projects/*")
        self.assertIn(b'"Projects/Y2026/Q4"', b"\n".join(data))
        typ, _ = m.delete("Projects/Y2026/Q4")
        self.assertEqual(typ, "OK")
        typ, _ = m.create("INBOX")
        self.assertEqual(typ, "NO")
        typ, _ = m.select("Nonexistent")
        self.assertEqual(typ, "NO")
        m.logout()

    def test_utf7_mailbox_names(self):
        m = self.imaps()
        # "Entwürfe" in modified UTF-7
        typ, _ = m.create("Entw&APw-rfe")
        self.assertEqual(typ, "OK")
        typ, data = m.list('""', "Entw*")
        self.assertEqual(data, [b'(\\HasNoChildren) "/" "Entw&APw-rfe"'])
        # IMAP4rev2 clients see UTF-8
        r = self.raw()
        r.login()
        r.send(b"e ENABLE IMAP4rev2\r\n")
        lines = r.until_tagged("e")
        self.assertIn(b"* ENABLED IMAP4rev2", lines)
        r.send(b'l LIST "" "Entw*"\r\n')
        lines = r.until_tagged("l")
        self.assertIn('"Entwürfe"'.encode(), lines[0])
        r.close()
        m.logout()

    def test_subscribe_lsub_status(self):
        m = self.imaps()
        m.create("Sub1")
        typ, _ = m.subscribe("Sub1")
        self.assertEqual(typ, "OK")
        typ, data = m.lsub('""', "Sub*")
        self.assertEqual(data, [b'() "/" "Sub1"'])
        m.unsubscribe("Sub1")
        typ, data = m.lsub('""', "Sub*")
        self.assertEqual(data, [None])
        m.append("Sub1", None, None, make_msg(token()))
        m.append("Sub1", "(\\Seen)", None, make_msg(token()))
        typ, data = m.status("Sub1", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY)")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0],
                         rb'"Sub1" \(MESSAGES 2 UIDNEXT 3 UIDVALIDITY \d+ '
                         rb'UNSEEN 1\)')
        m.logout()

    # --- messages ---

    def test_append_fetch_roundtrip(self):
        m = self.imaps()
        m.create("RT")
        tok = token()
        body = b"".join(b"line %d of the body\r\n" % i for i in range(200))
        msg = make_msg(tok, body)
        typ, data = m.append("RT", "(\\Flagged $Work)",
                             '"17-Jul-1996 02:44:25 -0700"', msg)
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"\[APPENDUID \d+ 1\]")
        typ, data = m.select("RT")
        self.assertEqual(data, [b"1"])
        typ, data = m.fetch("1", "(UID FLAGS INTERNALDATE RFC822.SIZE)")
        self.assertIn(b"UID 1", data[0])
        self.assertIn(b"FLAGS (\\Flagged $Work)", data[0])
        # the same instant (store_message_append keeps no zone offset)
        self.assertIn(b'INTERNALDATE "17-Jul-1996 09:44:25 +0000"', data[0])
        self.assertIn(b"RFC822.SIZE %d" % len(msg), data[0])
        # PEEK leaves \Seen alone
        typ, data = m.fetch("1", "(BODY.PEEK[])")
        self.assertEqual(data[0][1], msg)
        typ, data = m.fetch("1", "(FLAGS)")
        self.assertNotIn(b"\\Seen", data[0])
        typ, data = m.fetch("1", "(BODY[HEADER])")
        self.assertEqual(data[0][1], msg[:msg.index(b"\r\n\r\n") + 4])
        self.assertIn(b"\\Seen", data[0][0])  # implicit \Seen reported
        typ, data = m.fetch("1", "(BODY[TEXT]<10.20>)")
        self.assertEqual(data[0][1], body[10:30])
        self.assertIn(b"BODY[TEXT]<10>", data[0][0])
        typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT DATE)])")
        self.assertEqual(data[0][1],
                         b"Subject: test " + tok.encode() + b"\r\n"
                         b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n")
        typ, data = m.fetch("1", "(RFC822.HEADER RFC822.TEXT)")
        self.assertEqual(data[0][1], msg[:msg.index(b"\r\n\r\n") + 4])
        self.assertEqual(data[1][1], body)
        typ, data = m.fetch("1", "(ENVELOPE BODYSTRUCTURE)")
        self.assertIn(b'"test ' + tok.encode() + b'"', data[0])
        self.assertIn(b'("TEXT" "PLAIN"', data[0])
        typ, data = m.uid("FETCH", "1", "(RFC822)")
        self.assertEqual(data[0][1], msg)
        m.logout()

    def test_big_message_streams(self):
        m = self.imaps()
        m.create("Big")
        body = (b"0123456789" * 7 + b"\r\n") * 70000  # ~5 MB
        msg = make_msg(token(), body)
        typ, _ = m.append("Big", None, None, msg)
        self.assertEqual(typ, "OK")
        m.select("Big", readonly=True)
        typ, data = m.fetch("1", "(BODY[])")
        self.assertEqual(len(data[0][1]), len(msg))
        self.assertEqual(data[0][1], msg)
        # read-only: no implicit \Seen
        typ, data = m.fetch("1", "(FLAGS)")
        self.assertNotIn(b"\\Seen", data[0])
        m.logout()

    def test_store_search_expunge(self):
        m = self.imaps()
        m.create("SSE")
        toks = [token() for _ in range(5)]
        for i, t in enumerate(toks):
            m.append("SSE", None, None,
                     make_msg(t, b"body number %d\r\n" % i,
                              subject="subj%d" % i))
        m.select("SSE")
        typ, data = m.search(None, "ALL")
        self.assertEqual(data, [b"1 2 3 4 5"])
        typ, data = m.store("2:3", "+FLAGS", "(\\Deleted)")
        self.assertEqual(len(data), 2)
        typ, data = m.store("4", "+FLAGS.SILENT", "(\\Flagged)")
        self.assertEqual(data, [None])
        typ, data = m.search(None, "DELETED")
        self.assertEqual(data, [b"2 3"])
        typ, data = m.search(None, "OR", "FLAGGED", "SUBJECT", "subj0")
        self.assertEqual(data, [b"1 4"])
        typ, data = m.search(None, "NOT", "DELETED", "BODY", "number")
        self.assertEqual(data, [b"1 4 5"])
        typ, data = m.search("UTF-8", "TEXT", toks[4])
        self.assertEqual(data, [b"5"])
        typ, data = m.uid("SEARCH", "UID", "4:*")
        self.assertEqual(data, [b"4 5"])
        typ, data = m.search(None, "SENTON", "23-Nov-2026", "LARGER", "10")
        self.assertEqual(data, [b"1 2 3 4 5"])
        typ, data = m.search(None, "HEADER", "Message-ID", toks[2])
        self.assertEqual(data, [b"3"])
        typ, data = m.search(None, "5:*", "2")
        self.assertEqual(data, [b""])
        typ, data = m.search("KOI8-R", "ALL")
        self.assertEqual(typ, "NO")
        typ, data = m.store("1", "FLAGS", "(\\Answered kw1 kw2)")
        self.assertIn(b"FLAGS (\\Answered kw1 kw2)", data[0])
        typ, data = m.store("1", "-FLAGS", "(kw1)")
        self.assertIn(b"FLAGS (\\Answered kw2)", data[0])
        typ, data = m.search(None, "KEYWORD", "kw2", "UNKEYWORD", "kw1")
        self.assertEqual(data, [b"1"])
        typ, data = m.expunge()
        self.assertEqual(data, [b"3", b"2"])  # highest first
        typ, data = m.search(None, "ALL")
        self.assertEqual(data, [b"1 2 3"])
        typ, data = m.fetch("1:*", "(UID)")
        self.assertEqual([d for d in data],
                         [b"1 (UID 1)", b"2 (UID 4)", b"3 (UID 5)"])
        with self.assertRaisesRegex(imaplib.IMAP4.error, "BAD"):
            m.store("9", "+FLAGS", "(\\Seen)")
        m.logout()

    def test_copy_move_uidplus(self):
        m = self.imaps()
        m.create("CM1")
        m.create("CM2")
        for _ in range(3):
            m.append("CM1", None, None, make_msg(token()))
        m.select("CM1")
        typ, data = m.copy("1:2", "CM2")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"\[COPYUID \d+ 1:2 1:2\]")
        typ, data = m.uid("MOVE", "2:3", "CM2")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.untagged_responses.get("EXPUNGE"), [b"3", b"2"])
        typ, data = m.search(None, "ALL")
        self.assertEqual(data, [b"1"])
        typ, data = m.status("CM2", "(MESSAGES)")
        self.assertIn(b"MESSAGES 4", data[0])
        typ, data = m.copy("1", "NoSuchBox")
        self.assertEqual(typ, "NO")
        self.assertIn(b"TRYCREATE", data[0])
        typ, _ = m.close()
        self.assertEqual(typ, "OK")
        m.logout()

    def test_other_session_changes(self):
        a = self.imaps()
        b = self.imaps()
        a.create("Shared")
        a.append("Shared", None, None, make_msg(token()))
        a.append("Shared", None, None, make_msg(token()))
        a.select("Shared")
        b.select("Shared")
        b.append("Shared", None, None, make_msg(token()))
        b.store("1", "+FLAGS", "(\\Deleted)")
        b.store("2", "+FLAGS", "(\\Flagged)")
        b.expunge()
        typ, _ = a.noop()
        self.assertEqual(a.untagged_responses.get("EXPUNGE"), [b"1"])
        self.assertIn(b"2", a.untagged_responses.get("EXISTS"))
        fetches = a.untagged_responses.get("FETCH") or []
        self.assertTrue(any(b"\\Flagged" in f for f in fetches), fetches)
        a.logout()
        b.logout()

    def test_idle(self):
        r = self.raw()
        r.login()
        r.send(b"s SELECT INBOX\r\n")
        r.until_tagged("s")
        r.send(b"i IDLE\r\n")
        self.assertEqual(r.line(), b"+ idling")
        m = self.imaps(BOB)
        m.append("INBOX", None, None, make_msg(token()))  # bob's INBOX
        m.logout()
        # delivery to alice through the store from another session
        m = self.imaps()
        m.append("INBOX", None, None, make_msg(token()))
        m.logout()
        ln = r.line()
        self.assertRegex(ln, rb"^\* \d+ EXISTS$")
        r.send(b"DONE\r\n")
        lines = r.until_tagged("i")
        self.assertTrue(lines[-1].startswith(b"i OK"))
        r.close()

    def test_smtp_delivery_then_fetch(self):
        tok = token()
        msg = make_msg(tok)
        with smtplib.SMTP("127.0.0.1", self.srv.smtp_port, timeout=20) as s:
            s.sendmail("sender@sender.test", [ALICE], msg)
        m = self.imaps()
        m.select("INBOX")
        typ, data = m.search(None, "SUBJECT", tok)
        self.assertEqual(typ, "OK")
        self.assertTrue(data[0])
        n = data[0].split()[-1]
        typ, data = m.fetch(n, "(BODY.PEEK[TEXT])")
        self.assertEqual(data[0][1], b"hello\r\n")
        m.logout()

    def test_misc_commands(self):
        m = self.imaps()
        typ, data = m.namespace()
        self.assertEqual(data, [b'(("" "/")) NIL NIL'])
        typ, data = m.xatom("ID", "NIL")
        self.assertEqual(typ, "OK")
        m.create("Misc")
        for i in range(4):
            m.append("Misc", "(\\Deleted)" if i % 2 else None, None,
                     make_msg(token()))
        # EXAMINE is read-only: no STORE, no EXPUNGE
        typ, data = m.select("Misc", readonly=True)
        self.assertEqual(data, [b"4"])
        typ, data = m.store("1", "+FLAGS", "(\\Seen)")
        self.assertEqual(typ, "NO")
        typ, _ = m.unselect()
        self.assertEqual(typ, "OK")
        m.select("Misc")
        # UID EXPUNGE removes only the named deleted messages
        typ, data = m.uid("EXPUNGE", "2")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.untagged_responses.pop("EXPUNGE"), [b"2"])
        typ, data = m.search(None, "ALL")
        self.assertEqual(data, [b"1 2 3"])
        # CLOSE expunges the rest silently
        typ, _ = m.close()
        self.assertEqual(typ, "OK")
        typ, data = m.status("Misc", "(MESSAGES DELETED SIZE)")
        self.assertIn(b"MESSAGES 2", data[0])
        self.assertIn(b"DELETED 0", data[0])
        m.logout()

    def test_esearch_and_rev2(self):
        r = self.raw()
        r.login()
        r.send(b"c CREATE ES\r\n")
        r.until_tagged("c")
        for i in range(5):
            msg = make_msg(token())
            r.send(b"a%d APPEND ES {%d+}\r\n" % (i, len(msg)) + msg +
                   b"\r\n")
            r.until_tagged("a%d" % i)
        r.send(b"s SELECT ES\r\n")
        r.until_tagged("s")
        r.send(b"t SEARCH RETURN (MIN MAX COUNT) ALL\r\n")
        lines = r.until_tagged("t")
        self.assertIn(b'* ESEARCH (TAG "t") MIN 1 MAX 5 COUNT 5', lines)
        r.send(b"e ENABLE IMAP4rev2\r\n")
        r.until_tagged("e")
        r.send(b"s2 SELECT ES\r\n")
        lines = r.until_tagged("s2")
        self.assertIn(b'* LIST () "/" "ES"', lines)
        self.assertFalse(any(b"RECENT" in ln for ln in lines), lines)
        r.send(b"u UID SEARCH 2:3,5\r\n")
        lines = r.until_tagged("u")
        self.assertIn(b'* ESEARCH (TAG "u") UID ALL 2:3,5', lines)
        r.send(b"v SEARCH 9\r\n")  # a set past the end matches nothing
        lines = r.until_tagged("v")
        self.assertIn(b'* ESEARCH (TAG "v")', lines)
        r.send(b"f FETCH 1 (BODY.PEEK[7] BODY.PEEK[HEADER]<0.4>)\r\n")
        lines = r.until_tagged("f")
        self.assertEqual(lines[0], b'* 1 FETCH (BODY[7] "" BODY[HEADER]<0> '
                                   b'{4}')
        r.send(b"g FETCH 1:2 (FLAGS) junk\r\n")
        self.assertTrue(r.until_tagged("g")[-1].startswith(b"g BAD"))
        r.send(b"h FETCH 1 (BODY[HEADER.FIELDS ()])\r\n")
        self.assertTrue(r.until_tagged("h")[-1].startswith(b"h BAD"))
        # a day past the month's end is no date
        r.send(b"i SEARCH SINCE 31-Feb-2020\r\n")
        self.assertTrue(r.until_tagged("i")[-1].startswith(b"i BAD"))
        r.send(b"j SEARCH SINCE 29-Feb-2020\r\n")
        lines = r.until_tagged("j")
        self.assertTrue(lines[-1].startswith(b"j OK"), lines)
        self.assertIn(b'* ESEARCH (TAG "j") ALL 1:5', lines)
        r.close()

    def test_fetch_search_sparse_and_dense(self):
        """FETCH reads a dense set in one scan and a sparse one message by
        message; SEARCH HEADER reads headers only: all must agree."""
        m = self.imaps()
        m.create("Sparse")
        toks = [token() for _ in range(12)]
        for i, tok in enumerate(toks):
            body = b"line\r\n" * (1 + i * 500)
            subj = "sparse %d %s" % (i, "zebra" if i % 4 == 1 else "ox")
            # a long header (past 2 KiB) on some messages
            extra = (b"X-Long: " + b"y" * 3000 + b"\r\n") if i % 3 == 0 \
                else b""
            msg = make_msg(tok, body=body, subject=subj)
            msg = extra + msg
            typ, _ = m.append("Sparse", None, None, msg)
            self.assertEqual(typ, "OK")
        typ, _ = m.select("Sparse")
        self.assertEqual(typ, "OK")
        for spec in ("1,12", "1:12", "2,7,11", "12", "3:5"):
            typ, data = m.fetch(
                spec, "(UID FLAGS BODY.PEEK[HEADER.FIELDS (Message-ID)])")
            self.assertEqual(typ, "OK")
            want = []
            for part in spec.split(","):
                lo, _, hi = part.partition(":")
                want += list(range(int(lo), int(hi or lo) + 1))
            got = [d for d in data if isinstance(d, tuple)]
            self.assertEqual(len(got), len(want), (spec, data))
            for seq, d in zip(want, got):
                self.assertTrue(d[0].startswith(b"%d (UID %d " % (seq, seq)),
                                d[0])
                self.assertIn(toks[seq - 1].encode(), d[1])
        typ, data = m.uid("SEARCH", "HEADER", "Subject", "ZEBRA")
        self.assertEqual(data[0].split(), [b"2", b"6", b"10"])
        typ, data = m.search(None, "HEADER", "X-Long", "yyyy")
        self.assertEqual(data[0].split(), [b"1", b"4", b"7", b"10"])
        typ, data = m.search(None, "NOT", "HEADER", "Subject", "sparse")
        self.assertEqual(data, [b""])
        typ, data = m.search(None, "BODY", "line", "HEADER", "Subject", "ox")
        self.assertEqual(len(data[0].split()), 9)
        # a non-PEEK fetch of a sparse set marks those \Seen and says so
        typ, data = m.fetch("1,12", "(BODY[HEADER.FIELDS (Subject)])")
        self.assertEqual(typ, "OK")
        heads = [d[0] for d in data if isinstance(d, tuple)]
        self.assertEqual(len(heads), 2, data)
        for h in heads:
            self.assertIn(b"\\Seen", h)
        typ, data = m.search(None, "SEEN")
        self.assertEqual(data[0].split(), [b"1", b"12"])
        m.logout()

    def test_multipart_sections(self):
        m = self.imaps()
        m.create("MP")
        msg = (b"From: a@b.test\r\nTo: c@d.test\r\nSubject: mp\r\n"
               b"MIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
               b"preamble\r\n--XX\r\nContent-Type: text/plain\r\n\r\n"
               b"part one\r\n--XX\r\nContent-Type: text/html\r\n\r\n"
               b"<p>two</p>\r\n--XX--\r\n")
        m.append("MP", None, None, msg)
        m.select("MP")
        typ, data = m.fetch("1", "(BODY.PEEK[1] BODY.PEEK[2.MIME] "
                                 "BODYSTRUCTURE)")
        self.assertEqual(data[0][1], b"part one")
        self.assertEqual(data[1][1], b"Content-Type: text/html\r\n\r\n")
        self.assertIn(b'"MIXED"', data[0][0])
        typ, data = m.search(None, "BODY", "two")
        self.assertEqual(data, [b"1"])
        m.logout()

    # --- other real clients ---

    @unittest.skipUnless(shutil.which("curl"), "curl not installed")
    def test_curl(self):
        m = self.imaps()
        m.create("Curl")
        msg = make_msg(token())
        m.append("Curl", None, None, msg)
        m.logout()
        user = "%s:%s" % (ALICE, PASSWORD)
        p = subprocess.run(
            ["curl", "-sS", "-k", "--user", user,
             "imaps://127.0.0.1:%d/Curl;UID=1" % self.srv.imaps_port],
            capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, msg)
        # STARTTLS on the plain port
        p = subprocess.run(
            ["curl", "-sS", "-k", "--ssl-reqd", "--user", user,
             "imap://127.0.0.1:%d/" % self.srv.imap_port],
            capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b'"Curl"', p.stdout)

    @unittest.skipUnless(shutil.which("mbsync"), "mbsync not installed")
    def test_mbsync_both_ways(self):
        m = self.imaps(BOB)
        msgs = [make_msg(token()) for _ in range(3)]
        for msg in msgs:
            m.append("INBOX", None, None, msg)
        m.logout()
        d = tempfile.mkdtemp(prefix="outpost-it-mbsync-")
        try:
            cert = None
            with open(self.srv.conf_path) as f:
                for line in f:
                    if line.split("=")[0].strip() == "tls_cert":
                        cert = line.split("=", 1)[1].strip()
            cert = os.path.join(self.srv.dir, cert)
            rc = os.path.join(d, "rc")
            with open(rc, "w") as f:
                f.write("IMAPAccount a\nHost 127.0.0.1\nPort %d\n"
                        "User %s\nPass %s\nSSLType IMAPS\n"
                        "CertificateFile %s\n\n"
                        "IMAPStore remote\nAccount a\n\n"
                        "MaildirStore local\nPath %s/\nInbox %s/INBOX\n"
                        "SubFolders Verbatim\n\n"
                        "Channel c\nFar :remote:\nNear :local:\n"
                        "Patterns *\nCreate Both\nExpunge Both\n"
                        "SyncState *\n" % (self.srv.imaps_port, BOB,
                                            PASSWORD, cert, d, d))
            p = subprocess.run(["mbsync", "-c", rc, "-a"],
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            got = []
            for sub in ("new", "cur"):
                p2 = os.path.join(d, "INBOX", sub)
                for name in os.listdir(p2):
                    with open(os.path.join(p2, name), "rb") as f:
                        got.append(f.read())
            # mbsync stores LF line ends and adds an X-TUID header
            got = [re.sub(rb"X-TUID: [^\n]*\n", b"", g).replace(b"\n", b"\r\n")
                   for g in got]
            for msg in msgs:
                self.assertIn(msg, got)
            # a message written locally goes up with APPEND
            up = make_msg(token())
            with open(os.path.join(d, "Sent", "new", "1.x"), "wb") as f:
                f.write(up)
            p = subprocess.run(["mbsync", "-c", rc, "-a"],
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            m = self.imaps(BOB)
            m.select("Sent")
            typ, data = m.fetch("1", "(BODY.PEEK[])")
            self.assertEqual(
                re.sub(rb"X-TUID: [^\r]*\r\n", b"", data[0][1]), up)
            m.logout()
        finally:
            shutil.rmtree(d, ignore_errors=True)

    # --- the wire: literals, pipelining, errors ---

    def test_literals(self):
        r = self.raw()
        r.send(b"a LOGIN {%d}\r\n" % len(ALICE))
        self.assertEqual(r.line(), b"+ Ready for literal data")
        r.send(ALICE.encode() + b" {%d+}\r\n" % len(PASSWORD) +
               PASSWORD.encode() + b"\r\n")
        self.assertTrue(r.until_tagged("a")[-1].startswith(b"a OK"))
        msg = make_msg(token())
        r.send(b"b APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n")
        self.assertTrue(r.until_tagged("b")[-1].startswith(b"b OK"))
        # too large: synchronizing gets NO [TOOBIG] and no "+"
        r.send(b"c APPEND INBOX {99999999}\r\n")
        self.assertTrue(r.line().startswith(b"c NO [TOOBIG]"))
        # non-synchronizing: its bytes are skipped, the stream stays in sync
        big = b"x" * (9 * 1024 * 1024)
        r.send(b"d APPEND INBOX {%d+}\r\n" % len(big) + big + b"\r\n"
               b"e NOOP\r\n")
        self.assertTrue(r.line().startswith(b"d NO [TOOBIG]"))
        self.assertTrue(r.until_tagged("e")[-1].startswith(b"e OK"))
        r.close()

    def test_pipelining_in_order(self):
        r = self.raw()
        r.login()
        r.send(b"p1 SELECT INBOX\r\np2 NOOP\r\np3 SEARCH ALL\r\n"
               b"p4 FETCH 1 (UID)\r\np5 CAPABILITY\r\np6 LOGOUT\r\n")
        tags = []
        while True:
            try:
                ln = r.line()
            except EOFError:
                break
            if not ln.startswith(b"*"):
                tags.append(ln.split()[0])
        self.assertEqual(tags, [b"p1", b"p2", b"p3", b"p4", b"p5", b"p6"])
        r.close()

    def test_bad_commands_and_error_limit(self):
        r = self.raw()
        r.send(b"a FROB\r\n")
        self.assertTrue(r.line().startswith(b"a BAD"))
        r.send(b"b SELECT INBOX\r\n")
        self.assertTrue(r.line().startswith(b"b BAD"))
        r.send(b'c LOGIN "unterminated\r\n')
        self.assertTrue(r.line().startswith(b"c BAD"))
        r.send(b"d NOOP\r\n")
        self.assertTrue(r.line().startswith(b"d OK"))
        r.send(b"x\r\n" * 4)
        lines = []
        try:
            while True:
                lines.append(r.line())
        except (EOFError, OSError):
            pass
        self.assertIn(b"* BYE Too many errors", lines)
        r.close()

    def test_long_line(self):
        r = self.raw()
        r.send(b"a LOGIN " + b"x" * 100000 + b"\r\nb NOOP\r\n")
        self.assertTrue(r.line().startswith(b"a BAD"))
        self.assertTrue(r.line().startswith(b"b OK"))
        r.close()

    def test_shutdown_says_bye(self):
        srv = harness.Server(users=("alice",), name="imap-bye").start()
        try:
            r = Raw(srv.imaps_port, tls=True)
            r.login()
            srv.stop()
            lines = []
            try:
                while True:
                    lines.append(r.line())
            except (EOFError, OSError):
                pass
            self.assertTrue(any(ln.startswith(b"* BYE") for ln in lines),
                            lines)
            r.close()
        finally:
            srv.close()


if __name__ == "__main__":
    unittest.main()
