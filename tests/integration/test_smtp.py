# SPDX-License-Identifier: MIT
"""test_smtp - the SMTP server (port 25 service) against real clients:
Python's smtplib, swaks, and raw sockets where the exact bytes on the wire
matter (pipelining, smuggling, STARTTLS injection, BDAT, bare CR, NUL).
Every accepted message is read back with `outpost message cat` and compared
byte for byte with what was sent.
"""

import os
import re
import signal
import smtplib
import socket
import subprocess
import time
import unittest
import uuid

import harness
from harness import DOMAIN, HOSTNAME

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
CAROL = "carol@" + DOMAIN
DAVE = "dave@" + DOMAIN
SENDER = "sender@sender.test"
CLIENT = "client.test"
MiB = 1024 * 1024

ENH = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}(\s|$)")


def token():
    return uuid.uuid4().hex


def make_msg(tok, body=b"hello\r\n", extra=b""):
    return (b"From: <" + SENDER.encode() + b">\r\n"
            b"To: <" + ALICE.encode() + b">\r\n"
            b"Subject: test " + tok.encode() + b"\r\n"
            b"Message-ID: <" + tok.encode() + b"@sender.test>\r\n" + extra +
            b"\r\n" + body)


class SmtpCase(unittest.TestCase):
    """Base: one server for the class, helpers to talk and to check."""
    CONF = {}
    USERS = ("alice", "bob", "carol", "dave")

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(conf=cls.CONF, users=cls.USERS,
                                 name=cls.__name__)
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop_clean()  # exit 0, no sanitizer report

    # --- clients ---

    def smtp(self, **kw):
        s = smtplib.SMTP("127.0.0.1", self.srv.smtp_port,
                         local_hostname=CLIENT, timeout=kw.get("timeout", 60))
        self.addCleanup(self._close_smtp, s)
        return s

    @staticmethod
    def _close_smtp(s):
        try:
            s.close()
        except Exception:
            pass

    def raw(self, ehlo=True):
        r = self.srv.connect()
        self.addCleanup(r.close)
        code, text = r.reply()
        self.assertEqual(code, 220, text)
        if ehlo:
            r.expect(250, "EHLO " + CLIENT)
        return r

    # --- checks ---

    def assertEnhanced(self, reply, code=None):
        """reply (code, text) carries an RFC 2034 enhanced status code whose
        class matches the reply code's first digit."""
        c, text = reply
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if isinstance(text, list):
            text = text[0] if text else ""
        if code is not None:
            self.assertEqual(c, code, text)
        m = ENH.match(text)
        self.assertTrue(m, "reply %d %r has no enhanced status code"
                        % (c, text))
        self.assertEqual(m.group(1), str(c)[0], "class mismatch: %d %r"
                         % (c, text))

    def snapshot(self, *users):
        return {u: set(self.srv.message_uids(u)) for u in users}

    def new_messages(self, snap):
        """{user: [stored bytes of messages not in snap]}"""
        out = {}
        for u, before in snap.items():
            out[u] = [self.srv.message_cat(u, uid)
                      for uid in self.srv.message_uids(u) if uid not in before]
        return out

    def assertStoredExact(self, stored, sent, sender=SENDER):
        rp, received, body = harness.split_trace(stored)
        self.assertEqual(rp, b"<" + sender.encode() + b">")
        if body != sent:
            # a short diff: first differing offset
            i = next((k for k in range(min(len(body), len(sent)))
                      if body[k] != sent[k]), min(len(body), len(sent)))
            self.fail("stored body differs at offset %d (stored %d bytes, "
                      "sent %d): stored %r sent %r" % (
                          i, len(body), len(sent), body[max(0, i - 20):i + 40],
                          sent[max(0, i - 20):i + 40]))

    def deliver_raw(self, r, rcpts, data_wire, sender=SENDER, params=""):
        """MAIL/RCPT/DATA with data_wire sent verbatim (must end the DATA
        itself); returns the reply after the data."""
        r.expect(250, "MAIL FROM:<%s>%s" % (sender, params))
        for rc in rcpts:
            r.expect(250, "RCPT TO:<%s>" % rc)
        r.expect(354, "DATA")
        r.send(data_wire)
        return r.reply()


class SmtpCommands(SmtpCase):
    """Every command, reply codes, enhanced status codes, policy."""
    CONF = {"smtp_max_message_size": "25M", "smtp_max_recipients": "3",
            "max_errors": "50", "smtp_max_line": "512"}

    def test_greeting_names_host(self):
        r = self.srv.connect()
        self.addCleanup(r.close)
        code, text = r.reply()
        self.assertEqual(code, 220)
        self.assertTrue(text[0].startswith(HOSTNAME), text)

    def test_ehlo_extensions(self):
        s = self.smtp()
        code, _ = s.ehlo()
        self.assertEqual(code, 250)
        f = s.esmtp_features
        for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes",
                    "starttls", "smtputf8", "chunking"):
            self.assertIn(ext, f, "EHLO lacks %s: %r" % (ext, f))
        self.assertIn(int(f["size"]), (25 * MiB, 25 * 1000 * 1000),
                      "SIZE %r for a 25M limit" % f["size"])

    def test_ehlo_twice_and_helo(self):
        s = self.smtp()
        self.assertEqual(s.ehlo()[0], 250)
        self.assertEqual(s.ehlo()[0], 250)
        r = self.raw(ehlo=False)
        code, text = r.cmd("HELO " + CLIENT)
        self.assertEqual(code, 250)
        # HELO gives a single line reply and a usable session
        self.assertEqual(len(text), 1, text)
        self.assertEnhanced(r.cmd("MAIL FROM:<%s>" % SENDER), 250)
        self.assertEnhanced(r.cmd("RCPT TO:<%s>" % ALICE), 250)
        self.assertEqual(r.cmd("QUIT")[0], 221)

    def test_ehlo_helo_without_argument_501(self):
        r = self.raw(ehlo=False)
        self.assertEnhanced(r.cmd("EHLO"), 501)
        self.assertEnhanced(r.cmd("HELO"), 501)
        self.assertEqual(r.cmd("EHLO " + CLIENT)[0], 250)

    def test_simple_delivery_smtplib(self):
        tok = token()
        msg = make_msg(tok, b"line one\r\nline two\r\n")
        snap = self.snapshot(ALICE, BOB)
        s = self.smtp()
        refused = s.sendmail(SENDER, [ALICE, BOB], msg)
        self.assertEqual(refused, {})
        new = self.new_messages(snap)
        for u in (ALICE, BOB):
            self.assertEqual(len(new[u]), 1, "%s got %d" % (u, len(new[u])))
            self.assertStoredExact(new[u][0], msg)
        self.assertEqual(s.quit()[0], 221)

    def test_null_sender(self):
        tok = token()
        msg = make_msg(tok)
        snap = self.snapshot(ALICE)
        r = self.raw()
        code, _ = self.deliver_raw(r, [ALICE], msg + b".\r\n", sender="")
        self.assertEqual(code, 250)
        new = self.new_messages(snap)[ALICE]
        self.assertEqual(len(new), 1)
        rp, _, body = harness.split_trace(new[0])
        self.assertEqual(rp, b"<>")
        self.assertEqual(body, msg)

    def test_received_header(self):
        tok = token()
        msg = make_msg(tok)
        snap = self.snapshot(ALICE)
        s = self.smtp()
        s.sendmail(SENDER, [ALICE], msg)
        stored = self.new_messages(snap)[ALICE]
        self.assertEqual(len(stored), 1)
        self.assertTrue(stored[0].startswith(
            b"Return-Path: <" + SENDER.encode() + b">\r\nReceived: "),
            stored[0][:200])
        _, received, body = harness.split_trace(stored[0])
        self.assertEqual(body, msg)
        h = received[0]
        self.assertIn(b"by " + HOSTNAME.encode(), h)
        self.assertRegex(h, rb"\bid [A-Za-z0-9._-]+")
        self.assertIn(CLIENT.encode(), h, "FROM clause lacks the EHLO name")
        self.assertIn(b"127.0.0.1", h, "FROM clause lacks the client IP")
        self.assertRegex(h, rb";\s*\S+.*\d{4} \d\d:\d\d:\d\d [+-]\d{4}",
                         "no date after ';'")
        # every trace line is folded below 998 octets
        for line in stored[0].split(b"\r\n"):
            self.assertLessEqual(len(line), 998)

    def test_rset(self):
        r = self.raw()
        self.assertEnhanced(r.cmd("MAIL FROM:<%s>" % SENDER), 250)
        self.assertEnhanced(r.cmd("RCPT TO:<%s>" % ALICE), 250)
        self.assertEnhanced(r.cmd("RSET"), 250)
        # the transaction is gone: RCPT and DATA need MAIL again
        self.assertEnhanced(r.cmd("RCPT TO:<%s>" % ALICE), 503)
        self.assertEnhanced(r.cmd("DATA"), 503)
        self.assertEnhanced(r.cmd("MAIL FROM:<%s>" % SENDER), 250)
        self.assertEnhanced(r.cmd("RCPT TO:<%s>" % ALICE), 250)
        # EHLO resets the transaction too (RFC 5321 4.1.4)
        r.expect(250, "EHLO " + CLIENT)
        self.assertEqual(r.cmd("DATA")[0], 503)

    def test_vrfy_252_expn_502(self):
        r = self.raw()
        self.assertEnhanced(r.cmd("VRFY alice"), 252)
        self.assertEnhanced(r.cmd("VRFY <nobody@%s>" % DOMAIN), 252)
        self.assertEqual(r.cmd("EXPN staff")[0], 502)
        s = self.smtp()
        s.ehlo()
        self.assertEqual(s.verify(ALICE)[0], 252)

    def test_noop_help_turn_quit(self):
        r = self.raw()
        self.assertEnhanced(r.cmd("NOOP"), 250)
        self.assertEnhanced(r.cmd("NOOP with an argument"), 250)
        code, _ = r.cmd("HELP")
        self.assertIn(code, (211, 214))
        code, _ = r.cmd("HELP MAIL")
        self.assertIn(code, (211, 214, 504))
        self.assertEqual(r.cmd("TURN")[0], 502)
        self.assertEqual(r.cmd("noop")[0], 250, "commands are case-blind")
        code, _ = r.cmd("QUIT")
        self.assertEqual(code, 221)
        self.assertEqual(r.read_until_eof(), b"", "data after 221")

    def test_bad_sequence_503(self):
        r = self.raw(ehlo=False)
        self.assertEnhanced(r.cmd("MAIL FROM:<%s>" % SENDER), 503)
        r.expect(250, "EHLO " + CLIENT)
        self.assertEnhanced(r.cmd("RCPT TO:<%s>" % ALICE), 503)
        self.assertEnhanced(r.cmd("DATA"), 503)
        self.assertEnhanced(r.cmd("MAIL FROM:<%s>" % SENDER), 250)
        self.assertEnhanced(r.cmd("MAIL FROM:<%s>" % SENDER), 503)
        # no recipient yet: RFC 5321 3.3 allows 503 or 554
        code, text = r.cmd("DATA")
        self.assertIn(code, (503, 554), text)
        self.assertEnhanced((code, text))
        self.assertEnhanced(r.cmd("RCPT TO:<%s>" % ALICE), 250)
        r.expect(354, "DATA")
        r.send("Subject: x\r\n\r\nx\r\n.\r\n")
        self.assertEnhanced(r.reply(), 250)

    def test_syntax_errors_500_501(self):
        r = self.raw()
        code, text = r.cmd("FROBNICATE")
        self.assertEqual(code, 500)
        self.assertEnhanced((code, text))
        self.assertEqual(r.cmd("")[0], 500)
        for bad in ("MAIL FROM:%s" % SENDER,         # no angle brackets
                    "MAIL FROM:<%s" % SENDER,
                    "MAIL TO:<%s>" % SENDER,
                    "MAIL FROM:<a b@sender.test>",
                    "MAIL FROM:<@>",
                    "MAIL"):
            code, text = r.cmd(bad)
            self.assertEqual(code, 501, "%r -> %d %r" % (bad, code, text))
            self.assertEnhanced((code, text))
        code, text = r.cmd("MAIL FROM:<%s> FROB=1" % SENDER)
        self.assertIn(code, (501, 555), text)  # RFC 5321 4.1.1.11: 555
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        for bad in ("RCPT TO:", "RCPT TO:<>", "RCPT FROM:<%s>" % ALICE,
                    "RCPT TO:<%s" % ALICE, "RCPT"):
            code, text = r.cmd(bad)
            self.assertEqual(code, 501, "%r -> %d %r" % (bad, code, text))
        self.assertEnhanced(r.cmd("RCPT TO:<%s>" % ALICE), 250)
        self.assertEqual(r.cmd("DATA extra")[0], 501)
        self.assertEqual(r.cmd("NOOP")[0], 250)

    def test_unknown_user_550(self):
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        code, text = r.cmd("RCPT TO:<nobody@%s>" % DOMAIN)
        self.assertEqual(code, 550, text)
        self.assertTrue(text[0].startswith("5.1.1"), text)
        s = self.smtp()
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as cm:
            s.sendmail(SENDER, ["nobody@" + DOMAIN], make_msg(token()))
        self.assertEqual(cm.exception.recipients["nobody@" + DOMAIN][0], 550)

    def test_postmaster_without_account(self):
        """RFC 5321 4.5.1: postmaster (any case, with or without a local
        domain) MUST be accepted; with no postmaster account it goes to
        the domain's first account (alice here), once."""
        tok = token()
        r = self.raw()
        code, text = self.deliver_raw(
            r, ["Postmaster", "POSTMASTER@" + DOMAIN],
            make_msg(tok) + b".\r\n")
        self.assertEqual(code, 250, text)
        found = [m for _, m in self.srv.messages(ALICE)
                 if tok.encode() in m]
        self.assertEqual(len(found), 1, "postmaster mail not in alice's "
                         "INBOX exactly once")

    def test_relay_denied_554(self):
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        for rcpt in ("victim@foreign.test", "alice@example.test.foreign.test",
                     "alice%foreign.test@" + DOMAIN,
                     "@foreign.test:alice@" + DOMAIN):
            code, text = r.cmd("RCPT TO:<%s>" % rcpt)
            if rcpt.startswith("alice%") or rcpt.startswith("@"):
                # percent hack / source route to a local domain: never
                # relayed; refusing or delivering to the local part is fine
                self.assertIn(code, (250, 550, 501, 553, 554), text)
                continue
            self.assertEqual(code, 554, "%s -> %d %r" % (rcpt, code, text))
            self.assertTrue(text[0].startswith("5.7.1"), text)

    def test_max_recipients_452(self):
        tok = token()
        msg = make_msg(tok)
        snap = self.snapshot(ALICE, BOB, CAROL, DAVE)
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        for u in (ALICE, BOB, CAROL):
            self.assertEnhanced(r.cmd("RCPT TO:<%s>" % u), 250)
        code, text = r.cmd("RCPT TO:<%s>" % DAVE)
        self.assertEqual(code, 452, text)
        self.assertEnhanced((code, text))
        r.expect(354, "DATA")
        r.send(msg + b".\r\n")
        self.assertEnhanced(r.reply(), 250)
        new = self.new_messages(snap)
        for u in (ALICE, BOB, CAROL):
            self.assertEqual(len(new[u]), 1, u)
            self.assertStoredExact(new[u][0], msg)
        self.assertEqual(new[DAVE], [])

    def test_pipelining_reply_order(self):
        tok = token()
        msg = make_msg(tok)
        snap = self.snapshot(ALICE, BOB)
        r = self.raw()
        r.send("MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nRCPT TO:<nobody@%s>\r\n"
               "RCPT TO:<%s>\r\nDATA\r\n" % (SENDER, ALICE, DOMAIN, BOB))
        codes = [r.reply()[0] for _ in range(5)]
        self.assertEqual(codes, [250, 250, 550, 250, 354])
        r.send(msg + b".\r\nNOOP\r\nRSET\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\n"
               b"QUIT\r\n" % (SENDER.encode(), CAROL.encode()))
        codes = [r.reply()[0] for _ in range(6)]
        self.assertEqual(codes, [250, 250, 250, 250, 250, 221])
        new = self.new_messages(snap)
        for u in (ALICE, BOB):
            self.assertEqual(len(new[u]), 1, u)
            self.assertStoredExact(new[u][0], msg)

    def test_dot_stuffing_round_trip(self):
        tok = token()
        body = (b".\r\n..\r\n...\r\n.leading dot\r\n..two dots\r\n"
                b" .space dot\r\nend.\r\n.\r\nlast line\r\n")
        msg = make_msg(tok, body)
        snap = self.snapshot(ALICE)
        s = self.smtp()
        s.sendmail(SENDER, [ALICE], msg)  # smtplib stuffs the dots
        new = self.new_messages(snap)[ALICE]
        self.assertEqual(len(new), 1)
        self.assertStoredExact(new[0], msg)
        # the same by hand: wire bytes stuffed, stored unstuffed
        wire = make_msg(tok, b"..\r\n...x\r\n.y\r\n") + b".\r\n"
        snap = self.snapshot(ALICE)
        r = self.raw()
        self.assertEqual(self.deliver_raw(r, [ALICE], wire)[0], 250)
        new = self.new_messages(snap)[ALICE]
        self.assertStoredExact(new[0], make_msg(tok, b".\r\n..x\r\ny\r\n"))

    def test_8bit_utf8_message(self):
        tok = token()
        body = "Grüße aus Köln — ünïcødé ✓ 日本語\r\n".encode() * 3
        msg = make_msg(tok, body, extra="X-Name: Jörg\r\n".encode())
        snap = self.snapshot(ALICE)
        s = self.smtp()
        s.ehlo()
        s.sendmail(SENDER, [ALICE], msg, mail_options=["BODY=8BITMIME"])
        new = self.new_messages(snap)[ALICE]
        self.assertEqual(len(new), 1)
        self.assertStoredExact(new[0], msg)

    def test_smtputf8_address(self):
        tok = token()
        sender = "jörg.müller@bücher.test"
        msg = make_msg(tok, "Hallo Jörg\r\n".encode(),
                       extra=("Reply-To: <%s>\r\n" % sender).encode())
        snap = self.snapshot(ALICE)
        s = self.smtp()
        s.ehlo()
        self.assertTrue(s.has_extn("smtputf8"))
        s.sendmail(sender, [ALICE], msg,
                   mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        new = self.new_messages(snap)[ALICE]
        self.assertEqual(len(new), 1)
        self.assertStoredExact(new[0], msg, sender=sender)

    def test_size_20mb_accepted(self):
        tok = token()
        line = b"0123456789" * 7 + b"abcdef\r\n"  # 78 octets
        body = line * (20 * MiB // len(line))
        msg = make_msg(tok, body)
        self.assertGreater(len(msg), 20 * MiB - 100)
        snap = self.snapshot(ALICE)
        s = self.smtp(timeout=300)
        s.ehlo()
        self.assertTrue(s.has_extn("size"))
        s.sendmail(SENDER, [ALICE], msg)  # smtplib sends SIZE=len(msg)
        new = self.new_messages(snap)[ALICE]
        self.assertEqual(len(new), 1)
        self.assertStoredExact(new[0], msg)

    def test_size_over_limit_552(self):
        tok = token()
        line = b"x" * 998 + b"\r\n"
        total = 27 * MiB
        snap = self.snapshot(ALICE)
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        r.expect(250, "RCPT TO:<%s>" % ALICE)
        r.expect(354, "DATA")
        chunk = make_msg(tok) + line * (MiB // len(line))
        sent = 0
        try:
            while sent < total:
                r.send(chunk)
                sent += len(chunk)
                chunk = line * (MiB // len(line))
            r.send(b".\r\n")
        except OSError:
            pass  # the server may stop reading once over the limit
        code, text = r.reply()
        self.assertEqual(code, 552, text)
        self.assertEnhanced((code, text))
        self.assertEqual(self.new_messages(snap)[ALICE], [])

    def test_size_declared_over_limit_552_at_mail(self):
        r = self.raw()
        code, text = r.cmd("MAIL FROM:<%s> SIZE=%d" % (SENDER, 30 * MiB))
        self.assertEqual(code, 552, text)
        self.assertEnhanced((code, text))
        self.assertEnhanced(r.cmd("MAIL FROM:<%s> SIZE=1000" % SENDER), 250)
        self.assertEqual(r.cmd("RSET")[0], 250)
        code, _ = r.cmd("MAIL FROM:<%s> SIZE=99999999999999999999999" % SENDER)
        self.assertIn(code, (501, 552))

    def test_smuggling_bare_lf_dot(self):
        variants = {
            "lf-dot-lf": b"\n.\n",
            "lf-dot-crlf": b"\n.\r\n",
            "crlf-dot-lf": b"\r\n.\n",
            "cr-dot-cr": b"\r.\r",
            "crlf-dot-cr": b"\r\n.\r",
            "cr-dot-crlf": b"\r.\r\n",
        }
        for name, seq in variants.items():
            with self.subTest(variant=name):
                tok = token()
                snap = self.snapshot(ALICE, BOB)
                r = self.raw()
                r.expect(250, "MAIL FROM:<%s>" % SENDER)
                r.expect(250, "RCPT TO:<%s>" % ALICE)
                r.expect(354, "DATA")
                r.send(make_msg(tok, b"first part") + seq +
                       b"MAIL FROM:<evil@sender.test>\r\n"
                       b"RCPT TO:<" + BOB.encode() + b">\r\nDATA\r\n"
                       b"Subject: smuggled " + tok.encode() + b"\r\n\r\n"
                       b"smuggled\r\n.\r\nQUIT\r\n")
                replies = []
                while True:
                    try:
                        replies.append(r.reply())
                    except (EOFError, OSError):
                        break
                codes = [c for c, _ in replies]
                self.assertEqual(len(codes), 2, "one reply for the data and "
                                 "one for QUIT expected, got %r" % replies)
                self.assertEqual(codes[1], 221)
                self.assertIn(codes[0] // 100, (2, 5), replies)
                new = self.new_messages(snap)
                self.assertEqual(new[BOB], [], "smuggled message delivered")
                if codes[0] == 250:
                    self.assertEqual(len(new[ALICE]), 1)
                    self.assertIn(b"smuggled", new[ALICE][0])
                    self.assertIn(b"first part", new[ALICE][0])
                else:
                    self.assertEqual(new[ALICE], [])

    def test_bare_cr_rejected(self):
        snap = self.snapshot(ALICE)
        r = self.raw()
        code, text = self.deliver_raw(
            r, [ALICE], make_msg(token(), b"foo\rbar\r\n") + b".\r\n")
        self.assertEqual(code // 100, 5, "bare CR: %d %r" % (code, text))
        self.assertEqual(self.new_messages(snap)[ALICE], [])
        self.assertEqual(r.cmd("NOOP")[0], 250)

    def test_nul_rejected(self):
        snap = self.snapshot(ALICE)
        r = self.raw()
        code, text = self.deliver_raw(
            r, [ALICE], make_msg(token(), b"foo\x00bar\r\n") + b".\r\n")
        self.assertEqual(code // 100, 5, "NUL: %d %r" % (code, text))
        self.assertEqual(self.new_messages(snap)[ALICE], [])
        code, _ = r.cmd(b"NOOP\x00")
        self.assertEqual(code // 100, 5, "NUL in a command line")
        self.assertEqual(r.cmd("NOOP")[0], 250)

    def test_overlong_command_line_500_continues(self):
        r = self.raw()
        code, text = r.cmd("NOOP " + "x" * 5000)
        self.assertEqual(code, 500, text)
        self.assertEnhanced((code, text))
        self.assertEqual(r.cmd("NOOP")[0], 250,
                         "the rest of the long line was taken as a command")
        code, _ = r.cmd("MAIL FROM:<%s@sender.test>" % ("a" * 600))
        self.assertEqual(code // 100, 5)
        self.assertEqual(r.cmd("NOOP")[0], 250)
        self.assertEqual(r.pending(0.2), b"")

    def test_bdat_chunking(self):
        tok = token()
        c1 = make_msg(tok, b".leading dot\r\n")
        c2 = b".\r\n..\r\nlast\r\n"
        snap = self.snapshot(ALICE)
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        r.expect(250, "RCPT TO:<%s>" % ALICE)
        r.send(b"BDAT %d\r\n" % len(c1) + c1)
        self.assertEnhanced(r.reply(), 250)
        r.send(b"BDAT %d LAST\r\n" % len(c2) + c2)
        self.assertEnhanced(r.reply(), 250)
        new = self.new_messages(snap)[ALICE]
        self.assertEqual(len(new), 1)
        self.assertStoredExact(new[0], c1 + c2)  # BDAT: no dot-unstuffing
        # pipelined: two chunks, an empty last one, all in one write
        tok = token()
        c1 = make_msg(tok, b"part one\r\n")
        c2 = b"part two\r\n"
        snap = self.snapshot(ALICE)
        r.send(b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nBDAT %d\r\n%sBDAT %d\r\n"
               b"%sBDAT 0 LAST\r\nNOOP\r\n" % (
                   SENDER.encode(), ALICE.encode(), len(c1), c1, len(c2), c2))
        codes = [r.reply()[0] for _ in range(6)]
        self.assertEqual(codes, [250] * 6)
        new = self.new_messages(snap)[ALICE]
        self.assertEqual(len(new), 1)
        self.assertStoredExact(new[0], c1 + c2)

    def test_bdat_over_limit_552_and_continue(self):
        snap = self.snapshot(ALICE)
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        r.expect(250, "RCPT TO:<%s>" % ALICE)
        n = 27 * MiB
        r.send(b"BDAT %d LAST\r\n" % n)
        block = (b"z" * 1022 + b"\r\n") * 1024
        sent = 0
        try:
            while sent < n:
                part = block[:n - sent]
                r.send(part)
                sent += len(part)
        except OSError:
            pass
        code, text = r.reply()
        self.assertEqual(code, 552, text)
        self.assertEqual(self.new_messages(snap)[ALICE], [])
        # the chunk was framed by its size: the session goes on
        self.assertEqual(r.cmd("NOOP")[0], 250)

    def test_bdat_then_data_503_and_rset(self):
        snap = self.snapshot(ALICE)
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        r.expect(250, "RCPT TO:<%s>" % ALICE)
        r.send(b"BDAT 5\r\nhello")
        self.assertEqual(r.reply()[0], 250)
        self.assertEqual(r.cmd("DATA")[0], 503, "DATA after BDAT (RFC 3030)")
        self.assertEqual(r.cmd("RSET")[0], 250)
        self.assertEqual(self.new_messages(snap)[ALICE], [])
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        r.expect(250, "RCPT TO:<%s>" % ALICE)
        r.send(b"BDAT 7 LAST\r\nbye\r\n\r\n")
        self.assertEqual(r.reply()[0], 250)
        new = self.new_messages(snap)[ALICE]
        self.assertEqual(len(new), 1)
        self.assertEqual(harness.split_trace(new[0])[2], b"bye\r\n\r\n")

    def test_bdat_bad_size(self):
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        r.expect(250, "RCPT TO:<%s>" % ALICE)
        self.assertEqual(r.cmd("BDAT abc")[0], 501)
        self.assertEqual(r.cmd("BDAT")[0], 501)
        self.assertEqual(r.cmd("BDAT -5 LAST")[0], 501)
        self.assertEqual(r.cmd("NOOP")[0], 250)

    def test_pipelined_data_in_same_write(self):
        # a client that pipelines the message text right behind DATA
        tok = token()
        msg = make_msg(tok)
        snap = self.snapshot(ALICE)
        r = self.raw()
        r.send(b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n%s.\r\nQUIT\r\n"
               % (SENDER.encode(), ALICE.encode(), msg))
        codes = [r.reply()[0] for _ in range(5)]
        self.assertEqual(codes, [250, 250, 354, 250, 221])
        new = self.new_messages(snap)[ALICE]
        self.assertEqual(len(new), 1)
        self.assertStoredExact(new[0], msg)

    def test_command_line_limit_boundary(self):
        # smtp_max_line = 512 counts the CRLF (RFC 5321 4.5.3.1.4)
        r = self.raw()
        self.assertEqual(r.cmd("NOOP " + "x" * (510 - 5))[0], 250,
                         "a 512-octet line (with CRLF) was refused")
        self.assertEqual(r.cmd("NOOP " + "x" * (511 - 5))[0], 500,
                         "a 513-octet line (with CRLF) was accepted")
        self.assertEqual(r.cmd("NOOP")[0], 250)

    def test_data_line_limit(self):
        # smtp_max_data_line (1000 with CRLF): a 998-octet line is stored
        # exact; a 5000-octet line is refused at the end of the data or
        # stored exact, never split into commands or folded silently
        for n, must_accept in ((998, True), (5000, False)):
            with self.subTest(octets=n):
                tok = token()
                msg = make_msg(tok, b"y" * n + b"\r\nafter\r\n")
                snap = self.snapshot(ALICE)
                r = self.raw()
                code, text = self.deliver_raw(r, [ALICE], msg + b".\r\n")
                new = self.new_messages(snap)[ALICE]
                if must_accept or code == 250:
                    self.assertEqual(code, 250, text)
                    self.assertEqual(len(new), 1)
                    self.assertStoredExact(new[0], msg)
                else:
                    self.assertEqual(code // 100, 5, text)
                    self.assertEqual(new, [])
                self.assertEqual(r.cmd("NOOP")[0], 250)

    def test_duplicate_recipients_one_copy(self):
        tok = token()
        msg = make_msg(tok)
        snap = self.snapshot(ALICE, BOB)
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        r.expect(250, "RCPT TO:<%s>" % ALICE)
        code, text = r.cmd("RCPT TO:<%s>" % ALICE)
        self.assertEqual(code, 250, text)
        code, text = r.cmd("RCPT TO:<alice@Example.TEST>")
        self.assertEqual(code, 250, "domains are case-blind: %r" % text)
        r.expect(354, "DATA")
        r.send(msg + b".\r\n")
        self.assertEqual(r.reply()[0], 250)
        new = self.new_messages(snap)
        self.assertEqual(len(new[ALICE]), 1, "duplicate copies stored")
        self.assertStoredExact(new[ALICE][0], msg)
        self.assertEqual(new[BOB], [])

    def test_client_drops_mid_data(self):
        tok = token()
        snap = self.snapshot(ALICE)
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        r.expect(250, "RCPT TO:<%s>" % ALICE)
        r.expect(354, "DATA")
        r.send(make_msg(tok, b"half a message\r\n" * 1000))
        r.close()
        time.sleep(0.5)
        self.assertEqual(self.new_messages(snap)[ALICE], [],
                         "an unfinished message was stored")
        r2 = self.raw()
        self.assertEqual(r2.cmd("NOOP")[0], 250)

    def test_empty_message(self):
        snap = self.snapshot(ALICE)
        r = self.raw()
        code, text = self.deliver_raw(r, [ALICE], b".\r\n")
        self.assertIn(code // 100, (2, 5), text)
        new = self.new_messages(snap)[ALICE]
        if code == 250:
            self.assertEqual(len(new), 1)
            self.assertEqual(harness.split_trace(new[0])[2], b"")
        else:
            self.assertEqual(new, [])
        self.assertEqual(r.cmd("NOOP")[0], 250)

    def test_hostile_ehlo_name_and_quoted_sender(self):
        # odd EHLO names and a quoted local part must not break the trace
        tok = token()
        msg = make_msg(tok)
        snap = self.snapshot(ALICE)
        r = self.raw(ehlo=False)
        code, _ = r.cmd("EHLO x(y;z)\"Received: evil")
        if code != 250:
            self.assertEqual(code, 501)
            r.expect(250, "EHLO " + CLIENT)
        sender = '"john smith"@sender.test'
        code, text = self.deliver_raw(r, [ALICE], msg + b".\r\n",
                                      sender=sender)
        self.assertEqual(code, 250, text)
        new = self.new_messages(snap)[ALICE]
        self.assertEqual(len(new), 1)
        rp, received, body = harness.split_trace(new[0])
        self.assertEqual(rp, b"<" + sender.encode() + b">")
        self.assertEqual(len(received), 1)
        self.assertEqual(body, msg)

    def test_tls_garbage_handshake(self):
        r = self.raw()
        r.expect(220, "STARTTLS")
        r.send(b"this is not a TLS ClientHello\r\n" * 10)
        try:
            r.read_until_eof()
        except OSError:
            pass
        r2 = self.raw()
        self.assertEqual(r2.cmd("NOOP")[0], 250)

    def test_parallel_sessions(self):
        import threading
        toks = [token() for _ in range(60)]
        snap = self.snapshot(ALICE)
        errors = []

        def worker(chunk):
            try:
                s = smtplib.SMTP("127.0.0.1", self.srv.smtp_port,
                                 local_hostname=CLIENT, timeout=60)
                for t in chunk:
                    s.sendmail(SENDER, [ALICE], make_msg(t))
                s.quit()
            except Exception as e:  # reported below
                errors.append(repr(e))
        threads = [threading.Thread(target=worker, args=(toks[i::12],))
                   for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        new = self.new_messages(snap)[ALICE]
        got = sorted(re.search(rb"Subject: test ([0-9a-f]+)", m).group(1)
                     .decode() for m in new)
        self.assertEqual(got, sorted(toks))

    def test_starttls_smtplib(self):
        tok = token()
        msg = make_msg(tok)
        snap = self.snapshot(ALICE)
        s = self.smtp()
        s.ehlo()
        code, _ = s.starttls(context=harness.unverified_tls_context())
        self.assertEqual(code, 220)
        code, _ = s.ehlo()
        self.assertEqual(code, 250)
        self.assertNotIn("starttls", s.esmtp_features)
        self.assertIn("pipelining", s.esmtp_features)
        self.assertEqual(s.docmd("STARTTLS")[0], 503)
        s.sendmail(SENDER, [ALICE], msg)
        new = self.new_messages(snap)[ALICE]
        self.assertEqual(len(new), 1)
        self.assertStoredExact(new[0], msg)
        _, received, _ = harness.split_trace(new[0])
        self.assertIn(b"with ESMTPS", received[0])  # RFC 3848

    def test_starttls_resets_state(self):
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        code, _ = r.cmd("STARTTLS")
        # STARTTLS inside a transaction: refused or a reset; either way no
        # MAIL survives the handshake
        if code == 220:
            r.starttls()
            self.assertEqual(r.cmd("RCPT TO:<%s>" % ALICE)[0], 503)
        else:
            self.assertEqual(code, 503)

    def test_starttls_injection(self):
        r = self.raw()
        r.send(b"STARTTLS\r\nNOOP\r\nNOOP\r\n")
        code, text = r.reply()
        self.assertEqual(code, 220, text)
        self.assertEqual(r.buf, b"", "data after the 220: %r" % r.buf)
        r.starttls()
        self.assertEqual(r.pending(0.7), b"",
                         "plaintext pipelined before the handshake was "
                         "answered after it")
        code, lines = r.cmd("EHLO " + CLIENT)
        self.assertEqual(code, 250)
        self.assertGreater(len(lines), 1, "expected EHLO's multi-line reply, "
                           "got %r (an injected command's reply?)" % lines)
        self.assertEqual(r.cmd("NOOP")[0], 250)


class SmtpSwaks(SmtpCase):
    """The same server seen through swaks."""
    CONF = {"smtp_max_recipients": "3"}

    def swaks(self, *args, expect_rc=0):
        argv = ["swaks", "--server", "127.0.0.1",
                "--port", str(self.srv.smtp_port), "--helo", CLIENT,
                "--from", SENDER, "--timeout", "60"] + list(args)
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        out = p.stdout.decode("utf-8", "replace")
        self.assertEqual(p.returncode, expect_rc, "swaks %s exited %d:\n%s"
                         % (" ".join(args), p.returncode, out[-3000:]))
        return out

    def check_one(self, snap, user, tok):
        new = self.new_messages(snap)[user]
        self.assertEqual(len(new), 1, "%s: %d new messages" % (user, len(new)))
        self.assertIn(tok.encode(), new[0])
        harness.split_trace(new[0])
        return new[0]

    def test_swaks_plain(self):
        tok = token()
        snap = self.snapshot(ALICE, BOB)
        out = self.swaks("--to", "%s,%s" % (ALICE, BOB), "--header",
                         "Subject: swaks " + tok, "--body", "body " + tok)
        self.assertIn("250", out)
        for u in (ALICE, BOB):
            self.check_one(snap, u, tok)

    def test_swaks_starttls(self):
        tok = token()
        snap = self.snapshot(ALICE)
        out = self.swaks("--to", ALICE, "--tls", "--header",
                         "Subject: tls " + tok)
        self.assertIn("TLS started", out)
        self.check_one(snap, ALICE, tok)

    def test_swaks_pipeline(self):
        tok = token()
        snap = self.snapshot(ALICE, CAROL)
        self.swaks("--to", "%s,%s" % (ALICE, CAROL), "--pipeline",
                   "--header", "Subject: pipe " + tok)
        self.check_one(snap, ALICE, tok)
        self.check_one(snap, CAROL, tok)

    def test_swaks_dots_and_8bit(self):
        tok = token()
        data = ("From: <%s>\r\nTo: <%s>\r\nSubject: dots %s\r\n\r\n"
                ".\r\n..\r\n.x\r\nGrüße" % (SENDER, ALICE, tok)).encode()
        path = os.path.join(self.srv.dir, "swaks-%s.eml" % tok)
        with open(path, "wb") as f:
            f.write(data)
        snap = self.snapshot(ALICE)
        self.swaks("--to", ALICE, "--data", "@" + path)
        stored = self.check_one(snap, ALICE, tok)
        _, _, body = harness.split_trace(stored)
        self.assertEqual(body, data + b"\r\n")  # swaks ends the last line

    def test_swaks_unknown_user_and_relay(self):
        out = self.swaks("--to", "nobody@" + DOMAIN, expect_rc=24)
        self.assertIn("550", out)
        out = self.swaks("--to", "victim@foreign.test", expect_rc=24)
        self.assertIn("554", out)

    def test_swaks_quit_after_rcpt(self):
        out = self.swaks("--to", ALICE, "--quit-after", "RCPT")
        self.assertIn("221", out)


class SmtpLimits(SmtpCase):
    """Per-address connections, errors before disconnect, timeouts."""
    CONF = {"max_connections_per_ip": "3", "max_errors": "3",
            "smtp_command_timeout": "2s", "smtp_data_timeout": "3s"}
    USERS = ("alice",)

    def raw(self, ehlo=True):
        # the sessions of the test before may still be counted for a moment
        deadline = time.monotonic() + 3
        while True:
            r = self.srv.connect()
            self.addCleanup(r.close)
            code, text = r.reply()
            if code != 421 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(code, 220, text)
        if ehlo:
            r.expect(250, "EHLO " + CLIENT)
        return r

    def test_connections_per_ip(self):
        time.sleep(0.5)  # sessions of earlier tests have ended
        conns = []
        for _ in range(3):
            r = self.srv.connect()
            self.addCleanup(r.close)
            self.assertEqual(r.reply()[0], 220)
            conns.append(r)
        r4 = self.srv.connect()
        self.addCleanup(r4.close)
        code, text = r4.reply()
        self.assertEqual(code, 421, text)
        self.assertEqual(r4.read_until_eof(), b"", "no close after 421")
        # a slot frees up when a session ends
        conns[0].cmd("QUIT")
        conns[0].close()
        deadline = time.monotonic() + 5
        while True:
            r5 = self.srv.connect()
            self.addCleanup(r5.close)
            code, _ = r5.reply()
            if code == 220 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(code, 220)

    def test_max_errors(self):
        r = self.raw()
        replies = []
        closed = False
        for i in range(8):
            try:
                r.send("BOGUS%d\r\n" % i)
                replies.append(r.reply()[0])
            except (EOFError, OSError):
                closed = True
                break
            if replies[-1] == 421:
                closed = r.read_until_eof() == b""
                break
        self.assertIn(421, replies, replies)
        self.assertLessEqual(len(replies), 4, replies)
        self.assertEqual(replies[:2], [500, 500])
        self.assertTrue(closed)

    def test_command_timeout_421(self):
        r = self.raw()
        t0 = time.monotonic()
        r.sock.settimeout(15)
        code, text = r.reply()
        elapsed = time.monotonic() - t0
        self.assertEqual(code, 421, text)
        self.assertGreater(elapsed, 1.5)
        self.assertLess(elapsed, 8)
        self.assertEqual(r.read_until_eof(), b"")

    def test_data_timeout_421(self):
        snap = self.snapshot(ALICE)
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        r.expect(250, "RCPT TO:<%s>" % ALICE)
        r.expect(354, "DATA")
        r.send(b"Subject: stalled\r\n\r\npart")
        t0 = time.monotonic()
        r.sock.settimeout(20)
        code, text = r.reply()
        elapsed = time.monotonic() - t0
        self.assertEqual(code, 421, text)
        self.assertGreater(elapsed, 2.5)
        self.assertLess(elapsed, 10)
        self.assertEqual(r.read_until_eof(), b"")
        self.assertEqual(self.new_messages(snap)[ALICE], [])

    def test_slots_released_after_abnormal_ends(self):
        import struct
        # TLS garbage, drop mid-DATA, RST, closed for errors: each of these
        # sessions must give its per-address slot back
        for i in range(2):
            r = self.raw()
            r.expect(220, "STARTTLS")
            r.send(b"\x16\x03\x01garbage" * 50)
            r.read_until_eof()
            r.close()
            r = self.raw()
            r.expect(250, "MAIL FROM:<%s>" % SENDER)
            r.expect(250, "RCPT TO:<%s>" % ALICE)
            r.expect(354, "DATA")
            r.send(b"Subject: x\r\n\r\npartial")
            r.close()
            r = self.raw()
            r.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                              struct.pack("ii", 1, 0))
            r.send(b"NOOP\r\n")
            r.close()
            r = self.raw()
            for j in range(5):
                try:
                    r.cmd("BAD%d" % j)
                except (EOFError, OSError):
                    break
            r.close()
        time.sleep(1)
        conns = []
        for _ in range(3):
            r = self.srv.connect()
            self.addCleanup(r.close)
            conns.append(r.reply()[0])
        self.assertEqual(conns, [220, 220, 220], "per-address slots leaked")

    def test_timeout_inside_data(self):
        # the data timeout is separate (default minutes); a slow client that
        # keeps sending is not cut off by the 2s command timeout
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        r.expect(250, "RCPT TO:<%s>" % ALICE)
        r.expect(354, "DATA")
        for i in range(4):
            r.send(b"line %d\r\n" % i)
            time.sleep(1)
        r.send(b".\r\n")
        self.assertEqual(r.reply()[0], 250)


class SmtpGlobalLimit(SmtpCase):
    """max_connections counts every address together."""
    CONF = {"max_connections": "2"}
    USERS = ("alice",)

    def test_max_connections(self):
        a, b = self.raw(), self.raw()
        r = self.srv.connect()
        self.addCleanup(r.close)
        code, text = r.reply()
        self.assertEqual(code, 421, text)
        self.assertEqual(r.read_until_eof(), b"")
        a.cmd("QUIT")
        a.close()
        deadline = time.monotonic() + 5
        while True:
            r = self.srv.connect()
            self.addCleanup(r.close)
            code, _ = r.reply()
            if code == 220 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(code, 220)
        self.assertEqual(b.cmd("NOOP")[0], 250)


class SmtpStop(SmtpCase):
    """SIGTERM with a transaction in flight."""
    USERS = ("alice",)

    def test_sigterm_mid_data(self):
        snap = self.snapshot(ALICE)
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        r.expect(250, "RCPT TO:<%s>" % ALICE)
        r.expect(354, "DATA")
        r.send(b"Subject: interrupted\r\n\r\nhalf of it\r\n")
        time.sleep(0.2)
        self.srv.proc.send_signal(signal.SIGTERM)
        try:
            code, text = r.reply()
        except (EOFError, OSError) as e:
            code, text = None, repr(e)
        self.assertEqual(code, 421, text)
        rc = self.srv.proc.wait(10)
        self.assertEqual(rc, 0)
        self.srv.proc = None
        self.srv.stop_clean()
        self.assertEqual(self.new_messages(snap)[ALICE], [])
        self.srv.start()  # for tearDownClass


class SmtpSignals(SmtpCase):
    """SIGHUP reload and SIGTERM stop, each on a server of its own."""
    CONF = {"smtp_max_recipients": "2"}

    def rcpt_codes(self, n):
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        codes = [r.cmd("RCPT TO:<%s>" % u)[0]
                 for u in (ALICE, BOB, CAROL, DAVE)[:n]]
        r.cmd("QUIT")
        return codes

    def test_sighup_reload(self):
        self.assertEqual(self.rcpt_codes(3), [250, 250, 452])
        old = self.raw()
        self.srv.reload({"smtp_max_recipients": "4"})
        deadline = time.monotonic() + 5
        while True:
            codes = self.rcpt_codes(4)
            if codes == [250] * 4 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(codes, [250] * 4)
        self.assertTrue(self.srv.running())
        # a session keeps the configuration it started with
        old.expect(250, "MAIL FROM:<%s>" % SENDER)
        codes = [old.cmd("RCPT TO:<%s>" % u)[0] for u in (ALICE, BOB, CAROL)]
        self.assertEqual(codes, [250, 250, 452])
        # a broken file is refused and the running configuration kept
        self.srv.reload({"smtp_max_recipients": "banana"})
        time.sleep(1)
        self.assertTrue(self.srv.running(), "died on a bad config reload")
        self.assertEqual(self.rcpt_codes(4), [250] * 4)
        harness.set_conf_keys(self.srv.conf_path, {"smtp_max_recipients": "2"})

    def test_sigterm_graceful(self):
        srv = harness.Server(users=("alice",), name="sigterm").start()
        self.addCleanup(srv.close)
        r = srv.connect()
        self.addCleanup(r.close)
        self.assertEqual(r.reply()[0], 220)
        r.expect(250, "EHLO " + CLIENT)
        t0 = time.monotonic()
        srv.proc.send_signal(signal.SIGTERM)
        code, text = r.reply()
        self.assertEqual(code, 421, text)
        rc = srv.proc.wait(10)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertEqual(rc, 0)
        srv.proc = None
        srv.stop_clean()  # the log has no sanitizer report
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", srv.smtp_port), 2).close()
        # the store is intact: the CLI still works after the stop
        srv.message_uids(ALICE)
