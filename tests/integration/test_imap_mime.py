# SPDX-License-Identifier: MIT
"""test_imap_mime - the IMAP server's view of MIME structure: a
multipart/mixed message (text/plain quoted-printable, a base64 binary
attachment, an attached message/rfc822, a nested multipart/alternative with
a base64 text part) is delivered over SMTP; BODYSTRUCTURE is checked field
by field against RFC 3501 section 7.4.2, every BODY[section] against the
exact slice of the stored octets (`outpost message cat`), partial fetches,
HEADER.FIELDS(.NOT), and SEARCH keys (header, body text after base64
decoding, UTF-8 with CHARSET, dates, sizes, NOT/OR). Malformed messages
(no closing boundary, bad base64, 10000 parts, 10000 nested levels, a
200 KB header line) must leave the server answering FETCH BODYSTRUCTURE.
"""

import base64
import os
import re
import unittest

import harness
import mailutil
from harness import DOMAIN
from mailutil import RawImap, deliver, token

CRLF = b"\r\n"
RANDOM = os.urandom(3000)
ALT_TEXT = "Größenwahn xylophone-%s\r\n"


def b64lines(data):
    enc = base64.b64encode(data)
    return b"".join(enc[i:i + 76] + CRLF for i in range(0, len(enc), 76))


def build_message(tok):
    """(message bytes, dict of named slices of it)."""
    s = {}
    s["p1_mime"] = (b"Content-Type: text/plain; charset=utf-8\r\n"
                    b"Content-Transfer-Encoding: quoted-printable\r\n"
                    b"\r\n")
    s["p1"] = (b"Hello plain part, caf=C3=A9 " + tok.encode() + b"\r\n"
               b"second line\r\n")
    s["p2_mime"] = (b'Content-Type: application/octet-stream; '
                    b'name="random.bin"\r\n'
                    b"Content-Transfer-Encoding: base64\r\n"
                    b"Content-ID: <rand-" + tok.encode() + b"@x.test>\r\n"
                    b"Content-Description: some random bytes\r\n"
                    b'Content-Disposition: attachment; '
                    b'filename="random.bin"\r\n'
                    b"\r\n")
    s["p2"] = b64lines(RANDOM)
    s["p3_mime"] = (b"Content-Type: message/rfc822\r\n"
                    b'Content-Disposition: attachment; '
                    b'filename="inner.eml"\r\n'
                    b"\r\n")
    s["p3_header"] = (b"From: Inner Person <inner@inner.test>\r\n"
                      b"To: someone@inner.test\r\n"
                      b"Subject: inner subject\r\n"
                      b"Date: Sun, 22 Nov 2026 09:00:00 +0100\r\n"
                      b"Message-ID: <inner-" + tok.encode() + b"@inner.test>"
                      b"\r\n"
                      b"MIME-Version: 1.0\r\n"
                      b"Content-Type: text/plain; charset=us-ascii\r\n"
                      b"\r\n")
    s["p3_text"] = b"inner body line 1\r\ninner body line 2\r\n"
    s["p3"] = s["p3_header"] + s["p3_text"]
    s["p4_mime"] = (b'Content-Type: multipart/alternative; '
                    b'boundary="alt-b"\r\n'
                    b"\r\n")
    s["p4_1_mime"] = (b"Content-Type: text/plain; charset=utf-8\r\n"
                      b"Content-Transfer-Encoding: base64\r\n"
                      b"\r\n")
    s["p4_1"] = b64lines((ALT_TEXT % tok).encode())
    s["p4_2_mime"] = b"Content-Type: text/html; charset=us-ascii\r\n\r\n"
    s["p4_2"] = b"<p>alternative html</p>\r\n"
    s["p4"] = (b"--alt-b\r\n" + s["p4_1_mime"] + s["p4_1"] +
               b"\r\n--alt-b\r\n" + s["p4_2_mime"] + s["p4_2"] +
               b"\r\n--alt-b--\r\n")
    s["header"] = (b"From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= "
                   b"<juergen@sender.test>\r\n"
                   b"To: alice@" + DOMAIN.encode() + b"\r\n"
                   b"Subject: =?UTF-8?B?" +
                   base64.b64encode("Grüße aus Köln ".encode()) +
                   b"?= " + tok.encode() + b"\r\n"
                   b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
                   b"Message-ID: <" + tok.encode() + b"@sender.test>\r\n"
                   b"X-Custom-Header: magenta-" + tok.encode() + b"\r\n"
                   b"MIME-Version: 1.0\r\n"
                   b'Content-Type: multipart/mixed; boundary="outer-b"\r\n'
                   b"\r\n")
    s["text"] = (b"This is the preamble.\r\n"
                 b"--outer-b\r\n" + s["p1_mime"] + s["p1"] +
                 b"\r\n--outer-b\r\n" + s["p2_mime"] + s["p2"] +
                 b"\r\n--outer-b\r\n" + s["p3_mime"] + s["p3"] +
                 b"\r\n--outer-b\r\n" + s["p4_mime"] + s["p4"] +
                 b"\r\n--outer-b--\r\n"
                 b"epilogue\r\n")
    return s["header"] + s["text"], s


def nlines(body):
    return body.count(b"\n") + (0 if body.endswith(b"\n") or not body else 1)


def ieq(a, b):
    """Case-insensitive equality for IMAP strings/atoms (bytes or str)."""
    if isinstance(a, bytes):
        a = a.decode("utf-8", "replace")
    if isinstance(b, bytes):
        b = b.decode("utf-8", "replace")
    return a is not None and b is not None and a.upper() == b.upper()


def params(lst):
    """A body-fld-param list as {NAME: value bytes}."""
    if lst is None:
        return {}
    return {lst[i].decode().upper(): lst[i + 1]
            for i in range(0, len(lst) - 1, 2)}


class MimeCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(name=cls.__name__)
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()

    def imap(self, user):
        r = RawImap(self.srv.imaps_port, tls=True, timeout=30)
        self.addCleanup(r.close)
        r.greeting()
        r.login(user)
        return r


class ImapMimeStructure(MimeCase):
    """One rich message; fetches compared with slices of the stored octets."""

    USER = "alice@" + DOMAIN

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tok = token()
        msg, cls.slices = build_message(cls.tok)
        deliver(cls.srv, cls.USER, msg)
        uids = cls.srv.message_uids(cls.USER)
        cls.uid = uids[-1]
        cls.stored = cls.srv.message_cat(cls.USER, cls.uid)
        # the server prepends trace fields; the rest is what we sent
        _, _, sent = harness.split_trace(cls.stored)
        assert sent == msg, "stored message differs from the one sent"
        cls.trace = cls.stored[:len(cls.stored) - len(msg)]

    def setUp(self):
        self.r = self.imap(self.USER)
        self.r.command("SELECT INBOX")

    def fetch1(self, items):
        got = self.r.fetch(self.uid, items, uid=True)
        self.assertEqual(len(got), 1, got)
        got = list(got.values())[0]
        self.assertEqual(got.pop("UID", None), str(self.uid))
        return got

    def test_sections_byte_identical(self):
        s = self.slices
        expect = {
            "": self.stored,
            "HEADER": self.trace + s["header"],
            "TEXT": s["text"],
            "1": s["p1"],
            "1.MIME": s["p1_mime"],
            "2": s["p2"],
            "2.MIME": s["p2_mime"],
            "3": s["p3"],
            "3.MIME": s["p3_mime"],
            "3.HEADER": s["p3_header"],
            "3.TEXT": s["p3_text"],
            "3.1": s["p3_text"],
            "4": s["p4"],
            "4.MIME": s["p4_mime"],
            "4.1": s["p4_1"],
            "4.1.MIME": s["p4_1_mime"],
            "4.2": s["p4_2"],
            "4.2.MIME": s["p4_2_mime"],
        }
        for sec, want in expect.items():
            with self.subTest(section=sec):
                got = self.fetch1("BODY.PEEK[%s]" % sec)
                key = "BODY[%s]" % sec
                self.assertIn(key, got)
                self.assertEqual(got[key], want)
        got = self.fetch1("RFC822.SIZE RFC822.HEADER RFC822.TEXT")
        self.assertEqual(int(got["RFC822.SIZE"]), len(self.stored))
        self.assertEqual(got["RFC822.HEADER"], self.trace + s["header"])
        self.assertEqual(got["RFC822.TEXT"], s["text"])
        # base64 attachment decodes back to the random bytes
        att = self.fetch1("BODY.PEEK[2]")["BODY[2]"]
        self.assertEqual(base64.b64decode(att), RANDOM)

    def test_peek_does_not_set_seen(self):
        self.fetch1("BODY.PEEK[1]")
        self.assertNotIn("\\Seen", self.fetch1("FLAGS")["FLAGS"])

    def test_partial(self):
        for spec, want in (
                ("[]<0.100>", self.stored[:100]),
                ("[]<100.50>", self.stored[100:150]),
                ("[2]<10.20>", self.slices["p2"][10:30]),
                ("[TEXT]<0.10>", self.slices["text"][:10]),
                ("[1]<%d.100>" % (len(self.slices["p1"]) - 5),
                 self.slices["p1"][-5:]),
                ("[1]<100000.10>", b"")):
            with self.subTest(spec=spec):
                got = self.fetch1("BODY.PEEK" + spec)
                origin = spec[spec.index("<") + 1:spec.index(".", spec.index(
                    "<"))]
                key = "BODY" + spec[:spec.index("<")] + "<%s>" % origin
                self.assertIn(key, got, "RFC 3501 6.4.5: partial reply "
                              "names only the origin octet")
                self.assertEqual(got[key], want)

    def test_header_fields(self):
        hdr = self.slices["header"]
        got = self.fetch1("BODY.PEEK[HEADER.FIELDS (Subject From)]")
        self.assertEqual(len(got), 1, got)
        (key, val), = got.items()
        self.assertTrue(key.startswith("BODY[HEADER.FIELDS ("), key)
        lines = [ln + CRLF for ln in hdr.split(CRLF)
                 if ln.startswith((b"From:", b"Subject:"))]
        self.assertEqual(val, b"".join(lines) + CRLF)
        got = self.fetch1("BODY.PEEK[HEADER.FIELDS.NOT (Subject From "
                          "Received Return-Path)]")
        (key, val), = got.items()
        self.assertTrue(key.startswith("BODY[HEADER.FIELDS.NOT ("), key)
        rest = [ln + CRLF for ln in hdr.split(CRLF)[:-2]
                if not ln.startswith((b"From:", b"Subject:"))]
        self.assertEqual(val, b"".join(rest) + CRLF)
        # in a nested message
        got = self.fetch1("BODY.PEEK[3.HEADER.FIELDS (SUBJECT)]")
        (key, val), = got.items()
        self.assertEqual(val, b"Subject: inner subject\r\n\r\n")

    def check_text(self, bs, subtype, charset, enc, body):
        self.assertTrue(ieq(bs[0], "TEXT"), bs)
        self.assertTrue(ieq(bs[1], subtype), bs)
        self.assertEqual(params(bs[2]).get("CHARSET", b"").lower(), charset)
        self.assertTrue(ieq(bs[5], enc), bs)
        self.assertEqual(int(bs[6]), len(body), "body-fld-octets")
        self.assertEqual(int(bs[7]), nlines(body), "body-fld-lines")

    def test_bodystructure(self):
        s = self.slices
        bs = self.fetch1("BODYSTRUCTURE")["BODYSTRUCTURE"]
        self.assertIsInstance(bs, list)
        # multipart: 4 parts then subtype then extension data
        self.assertTrue(all(isinstance(p, list) for p in bs[:4]), bs)
        parts = bs[:4]
        self.assertTrue(ieq(bs[4], "MIXED"), bs[4:])
        self.assertEqual(params(bs[5]).get("BOUNDARY"), b"outer-b")
        p1, p2, p3, p4 = parts
        # 1: text/plain quoted-printable
        self.check_text(p1, "PLAIN", b"utf-8", "QUOTED-PRINTABLE", s["p1"])
        # 2: application/octet-stream base64 with id, description,
        # disposition filename (extension data after body-fld-octets)
        self.assertTrue(ieq(p2[0], "APPLICATION"), p2)
        self.assertTrue(ieq(p2[1], "OCTET-STREAM"), p2)
        self.assertEqual(params(p2[2]).get("NAME"), b"random.bin")
        self.assertEqual(p2[3], b"<rand-%s@x.test>" % self.tok.encode())
        self.assertEqual(p2[4], b"some random bytes")
        self.assertTrue(ieq(p2[5], "BASE64"), p2)
        self.assertEqual(int(p2[6]), len(s["p2"]))
        # extension: md5, disposition, language, location
        self.assertGreaterEqual(len(p2), 9, p2)
        disp = p2[8]
        self.assertIsInstance(disp, list, p2)
        self.assertTrue(ieq(disp[0], "ATTACHMENT"), disp)
        self.assertEqual(params(disp[1]).get("FILENAME"), b"random.bin")
        # 3: message/rfc822: envelope, body structure, lines
        self.assertTrue(ieq(p3[0], "MESSAGE") and ieq(p3[1], "RFC822"), p3)
        self.assertTrue(ieq(p3[5], "7BIT"), p3)
        self.assertEqual(int(p3[6]), len(s["p3"]))
        env = p3[7]
        self.assertIsInstance(env, list)
        self.assertEqual(len(env), 10, env)
        self.assertEqual(env[0], b"Sun, 22 Nov 2026 09:00:00 +0100")
        self.assertEqual(env[1], b"inner subject")
        self.assertEqual(env[2], [[b"Inner Person", None, b"inner",
                                   b"inner.test"]])
        self.assertEqual(env[9], b"<inner-%s@inner.test>" % self.tok.encode())
        self.check_text(p3[8], "PLAIN", b"us-ascii", "7BIT", s["p3_text"])
        self.assertEqual(int(p3[9]), nlines(s["p3"]), "message lines")
        self.assertGreaterEqual(len(p3), 12, p3)
        self.assertIsInstance(p3[11], list, p3)
        self.assertTrue(ieq(p3[11][0], "ATTACHMENT"), p3)
        self.assertEqual(params(p3[11][1]).get("FILENAME"), b"inner.eml")
        # 4: multipart/alternative of base64 text/plain and text/html
        self.assertIsInstance(p4[0], list)
        self.assertIsInstance(p4[1], list)
        self.assertTrue(ieq(p4[2], "ALTERNATIVE"), p4)
        self.assertEqual(params(p4[3]).get("BOUNDARY"), b"alt-b")
        self.check_text(p4[0], "PLAIN", b"utf-8", "BASE64", s["p4_1"])
        self.check_text(p4[1], "HTML", b"us-ascii", "7BIT", s["p4_2"])
        # BODY (non-extensible) has the same shape without extension data
        b = self.fetch1("BODY")["BODY"]
        self.assertTrue(ieq(b[4], "MIXED"), b)
        self.assertEqual(len(b), 5, "BODY has no extension data: %r" % b)
        self.assertEqual(len(b[0]), 8, b[0])

    def test_envelope(self):
        env = self.fetch1("ENVELOPE")["ENVELOPE"]
        self.assertEqual(env[0], b"Mon, 23 Nov 2026 10:00:00 +0000")
        # RFC 3501: ENVELOPE subject is the raw (encoded) header value
        self.assertTrue(env[1].startswith(b"=?UTF-8?B?"), env[1])
        self.assertEqual(env[2][0][2:], [b"juergen", b"sender.test"])
        self.assertEqual(env[3], env[2], "sender defaults to from")
        self.assertEqual(env[4], env[2], "reply-to defaults to from")
        self.assertEqual(env[5], [[None, None, b"alice",
                                   DOMAIN.encode()]])
        self.assertEqual(env[9], b"<%s@sender.test>" % self.tok.encode())


class ImapMimeDefaults(MimeCase):
    """Single-part messages and RFC 2045/2046 defaults."""

    USER = "dave@" + DOMAIN

    def append(self, r, msg):
        st, text, _ = r.command("APPEND INBOX {%d}" % len(msg), [msg])
        return int(re.search(rb"\[APPENDUID \d+ (\d+)\]", text).group(1))

    def one(self, r, uid, items):
        got = r.fetch(uid, items, uid=True)
        self.assertEqual(len(got), 1, got)
        return list(got.values())[0]

    def test_single_part_defaults(self):
        r = self.imap(self.USER)
        r.command("SELECT INBOX")
        header = b"From: a@b.test\r\nSubject: no content-type\r\n\r\n"
        body = b"line one\r\nline two\r\nline three\r\n"
        uid = self.append(r, header + body)
        v = self.one(r, uid, "BODYSTRUCTURE BODY.PEEK[1] BODY.PEEK[TEXT] "
                     "BODY.PEEK[HEADER]")
        self.assertEqual(v["BODY[1]"], body, "RFC 3501 6.4.5: part 1 of a "
                         "non-multipart message is its body")
        self.assertEqual(v["BODY[TEXT]"], body)
        self.assertEqual(v["BODY[HEADER]"], header)
        bs = v["BODYSTRUCTURE"]
        self.assertTrue(ieq(bs[0], "TEXT") and ieq(bs[1], "PLAIN"), bs)
        self.assertEqual(params(bs[2]).get("CHARSET", b"").lower(),
                         b"us-ascii", "RFC 2045 5.2 default charset")
        self.assertTrue(ieq(bs[5], "7BIT"), bs)
        self.assertEqual(int(bs[6]), len(body))
        self.assertEqual(int(bs[7]), 3)

    def test_digest_default_is_message_rfc822(self):
        r = self.imap(self.USER)
        r.command("SELECT INBOX")
        inner = b"Subject: digested\r\n\r\ndigest body\r\n"
        msg = (b"Subject: digest\r\nMIME-Version: 1.0\r\n"
               b'Content-Type: multipart/digest; boundary="d"\r\n\r\n'
               b"--d\r\n\r\n" + inner + b"\r\n--d--\r\n")
        uid = self.append(r, msg)
        v = self.one(r, uid, "BODYSTRUCTURE BODY.PEEK[1] "
                     "BODY.PEEK[1.HEADER] BODY.PEEK[1.TEXT]")
        part = v["BODYSTRUCTURE"][0]
        self.assertTrue(ieq(part[0], "MESSAGE") and ieq(part[1], "RFC822"),
                        "RFC 2046 5.1.5: digest parts default to "
                        "message/rfc822: %r" % part)
        self.assertEqual(v["BODY[1]"], inner)
        self.assertEqual(v["BODY[1.HEADER]"], b"Subject: digested\r\n\r\n")
        self.assertEqual(v["BODY[1.TEXT]"], b"digest body\r\n")

    def test_fetch_sets_seen(self):
        r = self.imap(self.USER)
        r.command("SELECT INBOX")
        msg = b"Subject: to be read\r\n\r\nread me\r\n"
        uid = self.append(r, msg)
        v = self.one(r, uid, "FLAGS")
        self.assertNotIn("\\Seen", v["FLAGS"])
        v = self.one(r, uid, "BODY[TEXT]")
        self.assertEqual(v["BODY[TEXT]"], b"read me\r\n")
        self.assertIn("\\Seen", v.get("FLAGS", []),
                      "RFC 3501 6.4.5: the implicit \\Seen SHOULD be "
                      "reported in the same FETCH response")
        self.assertIn("\\Seen", self.one(r, uid, "FLAGS")["FLAGS"])
        # EXAMINE is read-only: fetching there sets nothing
        uid2 = self.append(r, msg)
        r.command("EXAMINE INBOX")
        self.one(r, uid2, "BODY[]")
        r.command("SELECT INBOX")
        self.assertNotIn("\\Seen", self.one(r, uid2, "FLAGS")["FLAGS"])

    def test_partial_header_fields_and_binary_safe(self):
        r = self.imap(self.USER)
        r.command("SELECT INBOX")
        msg = (b"Subject: partial\r\nX-A: 1\r\n\r\n" +
               bytes(range(1, 256)).replace(b"\r", b"").replace(b"\n", b"")
               + b"\r\n")
        uid = self.append(r, msg)
        v = self.one(r, uid, "BODY.PEEK[HEADER.FIELDS (X-A)]<2.3> "
                     "BODY.PEEK[TEXT]")
        self.assertEqual(v["BODY[HEADER.FIELDS (X-A)]<2>"], b"A: ")
        self.assertEqual(v["BODY[TEXT]"], msg.split(b"\r\n\r\n", 1)[1])

    def test_search_charsets_and_folding(self):
        """SEARCH decodes ISO-8859-1 encoded words and bodies and matches
        against unfolded header values."""
        r = self.imap(self.USER)
        r.command("SELECT INBOX")
        tok = token()
        msgs = [b"Subject: =?ISO-8859-1?Q?caf=E9_latin?= " + tok.encode() +
                b"\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
                b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                b"na=EFve body\r\n",
                b"Subject: folded " + tok.encode() + b"\r\n"
                b" subject continues here\r\n\r\nbody\r\n",
                b"Subject: =?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?= " +
                tok.encode() + b"\r\n\r\nx\r\n"]
        uids = [self.append(r, m) for m in msgs]
        for crit, lit, want in (
                ("SUBJECT {%d}", "café latin", [0]),
                ("BODY {%d}", "naïve", [0]),
                ("SUBJECT {%d}", "subject continues", [1]),
                ("SUBJECT {%d}", "%s subject" % tok, [1]),
                ("SUBJECT {%d}", "éé", [2]),  # adjacent words
                ("SUBJECT {%d}", "É", [0, 2])):
            lit = lit.encode()
            with self.subTest(criteria=crit, literal=lit):
                st, text, unt = r.command(
                    "UID SEARCH CHARSET UTF-8 UID %d:%d " % (uids[0],
                                                             uids[-1]) +
                    crit % len(lit), [lit])
                res = mailutil.untagged_named(unt, "SEARCH")
                self.assertEqual(sorted(int(x) for x in res[0][2:]),
                                 [uids[i] for i in want])


class ImapMimeMalformed(MimeCase):
    """Broken MIME neither crashes nor stalls the server."""

    USER = "bob@" + DOMAIN

    def append(self, r, msg):
        st, text, _ = r.command("APPEND INBOX {%d}" % len(msg), [msg])
        m = re.search(rb"\[APPENDUID (\d+) (\d+)\]", text)
        self.assertTrue(m, "UIDPLUS APPENDUID missing: %r" % text)
        return int(m.group(2))

    def check_answers(self, r, uid, msg):
        got = r.fetch(uid, "BODYSTRUCTURE RFC822.SIZE", uid=True)
        self.assertEqual(len(got), 1, got)
        v = list(got.values())[0]
        self.assertIsInstance(v["BODYSTRUCTURE"], list)
        self.assertEqual(int(v["RFC822.SIZE"]), len(msg))
        got = r.fetch(uid, "BODY.PEEK[]", uid=True)
        self.assertEqual(list(got.values())[0]["BODY[]"], msg)
        got = r.fetch(uid, "BODY.PEEK[1] BODY.PEEK[1.MIME] BODY", uid=True)
        self.assertEqual(len(got), 1, got)
        r.command("NOOP")
        self.assertTrue(self.srv.running(), "server died")

    def test_malformed(self):
        hdr = (b"From: x@sender.test\r\nTo: bob@example.test\r\n"
               b"Subject: broken\r\nMIME-Version: 1.0\r\n")
        cases = {
            "no final boundary":
                hdr + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
                b"--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
                b"--b\r\nContent-Type: text/plain\r\n\r\nsecond, no end\r\n",
            "bad base64":
                hdr + b"Content-Type: text/plain\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n"
                b"!!!! not base64 at all ====\r\nQUJD=RE\xff\xfe\r\n===\r\n",
            "10000 parts":
                hdr + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' +
                b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\n%d\r\n" % i
                         for i in range(10000)) + b"--b--\r\n",
            "10000 nested":
                hdr + b'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n' +
                b"".join(b"--b%d\r\nContent-Type: multipart/mixed; "
                         b'boundary="b%d"\r\n\r\n' % (i, i + 1)
                         for i in range(10000)) +
                b"--b10000\r\n\r\ndeep\r\n--b10000--\r\n",
            "nested message/rfc822":
                hdr + b"Content-Type: message/rfc822\r\n\r\n" * 3000 +
                b"end\r\n",
            "200 KB header line":
                hdr + b"X-Long: " + b"a" * 200000 + b"\r\n"
                b'Content-Type: text/plain; name="' + b"n" * 100000 +
                b'"\r\n\r\nbody\r\n',
            "empty boundary and junk params":
                hdr + b"Content-Type: multipart/mixed; boundary=\"\"; "
                b"=;;;a=\"unterminated\r\n\r\n--\r\n\r\n----\r\n",
        }
        r = self.imap(self.USER)
        r.command("SELECT INBOX")
        for name, msg in cases.items():
            with self.subTest(case=name):
                uid = self.append(r, msg)
                self.check_answers(r, uid, msg)
        # hostile section specs, partial ranges and search nesting
        uid = self.append(r, cases["10000 nested"])
        for items in ("BODY.PEEK[%s]" % ".".join(["1"] * 3000),
                      "BODY.PEEK[%s.MIME]" % ".".join(["1"] * 3000),
                      "BODY.PEEK[4294967297]", "BODY.PEEK[0]",
                      "BODY.PEEK[1.0.1]", "BODY.PEEK[99999999999999999999]",
                      "BODY.PEEK[]<4294967295.4294967295>",
                      "BODY.PEEK[]<18446744073709551615.2>",
                      "BODY.PEEK[]<0.18446744073709551616>",
                      "BODY.PEEK[HEADER.FIELDS (%s)]" % " ".join(
                          "X-%d" % i for i in range(5000)),
                      "BODY.PEEK[1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1"
                      ".HEADER]"):
            with self.subTest(items=items[:60]):
                st, text, _ = r.command("UID FETCH %d (%s)" % (uid, items),
                                        check=False)
                self.assertIn(st, ("OK", "NO", "BAD"))
                r.command("NOOP")
        for crit in ("NOT " * 15000 + "ALL",
                     "OR " * 8000 + "ALL " * 8001,
                     "(" * 5000 + "ALL" + ")" * 5000,
                     "HEADER " + "X" * 60000 + " y"):
            with self.subTest(search=crit[:30]):
                st, text, _ = r.command("SEARCH " + crit, check=False)
                self.assertIn(st, ("OK", "NO", "BAD"))
                r.command("NOOP")
        self.assertTrue(self.srv.running(), "server died")
        # the whole mailbox at once, then SEARCH through all of it
        r.command("FETCH 1:* (BODYSTRUCTURE ENVELOPE)")
        r.command("SEARCH TEXT deep")
        self.assertTrue(self.srv.running())


class ImapMimeSearch(MimeCase):
    """SEARCH keys against messages whose answers are known."""

    USER = "carol@" + DOMAIN

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tok = token()
        rich, _ = build_message(cls.tok)
        deliver(cls.srv, cls.USER, rich)                          # 1
        plain = mailutil.make_msg(cls.tok + "b", to=cls.USER,
                                  body=b"just some plain words\r\n")
        deliver(cls.srv, cls.USER, plain)                         # 2
        r = RawImap(cls.srv.imaps_port, tls=True, timeout=30)
        try:
            r.greeting()
            r.login(cls.USER)
            big = (b"From: Big Sender <big@sender.test>\r\n"
                   b"To: carol@example.test\r\n"
                   b"Subject: old big one\r\n"
                   b"Date: Thu, 01 Jan 2015 12:00:00 +0000\r\n\r\n" +
                   b"filler line\r\n" * 5000)
            r.command('APPEND INBOX (\\Flagged) "01-Feb-2015 12:00:00 +0000" '
                      "{%d}" % len(big), [big])                   # 3
        finally:
            r.close()
        cls.sizes = [len(m) for _, m in cls.srv.messages(cls.USER)]

    def setUp(self):
        self.r = self.imap(self.USER)
        self.r.command("SELECT INBOX")

    def search(self, criteria, literals=()):
        st, text, unt = self.r.command("SEARCH " + criteria, literals)
        res = mailutil.untagged_named(unt, "SEARCH")
        self.assertEqual(len(res), 1, unt)
        return sorted(int(x) for x in res[0][2:])

    def test_search(self):
        tok = self.tok
        cases = [
            ("ALL", [1, 2, 3]),
            ("SUBJECT %s" % tok, [1, 2]),
            ("SUBJECT %sb" % tok, [2]),
            ("FROM big@sender.test", [3]),
            ("FROM juergen", [1]),
            ("TO carol", [2, 3]),
            ("TO alice", [1]),
            ("HEADER X-Custom-Header magenta-%s" % tok, [1]),
            ("HEADER X-Custom-Header \"\"", [1]),
            ("HEADER Message-ID %sb@sender" % tok, [2]),
            ("BODY \"plain words\"", [2]),
            ("BODY filler", [3]),
            ("BODY xylophone-%s" % tok, [1]),   # only inside base64
            ("TEXT xylophone-%s" % tok, [1]),
            ("TEXT magenta-%s" % tok, [1]),     # TEXT covers the header
            ("BODY magenta-%s" % tok, []),      # BODY does not
            ("LARGER %d" % (self.sizes[2] - 1), [3]),
            ("SMALLER %d" % (self.sizes[1] + 1), [2]),
            ("SENTBEFORE 1-Jan-2016", [3]),
            ("SENTON 23-Nov-2026", [1, 2]),
            ("SENTSINCE 2-Jan-2015", [1, 2]),
            ("BEFORE 1-Mar-2015", [3]),
            ("ON 1-Feb-2015", [3]),
            ("SINCE 1-Mar-2015", [1, 2]),
            ("FLAGGED", [3]),
            ("NOT FLAGGED", [1, 2]),
            ("OR FLAGGED SUBJECT %sb" % tok, [2, 3]),
            ("NOT OR FLAGGED SUBJECT %sb" % tok, [1]),
            ("(SUBJECT %s NOT BODY words)" % tok, [1]),
            ("UID 2:*", [2, 3]),
            ("2,3 NOT 3", [2]),
        ]
        for crit, want in cases:
            with self.subTest(criteria=crit):
                self.assertEqual(self.search(crit), want)

    def test_search_utf8(self):
        for crit, lit, want in (
                ("CHARSET UTF-8 SUBJECT {%d}", "Grüße", [1]),
                ("CHARSET UTF-8 SUBJECT {%d}", "köln", [1]),  # case-folded
                ("CHARSET UTF-8 FROM {%d}", "Müller", [1]),
                ("CHARSET UTF-8 BODY {%d}", "Größenwahn", [1]),
                ("CHARSET UTF-8 BODY {%d}", "café", [1]),     # from QP
                ("CHARSET UTF-8 TEXT {%d}", "Grüße", [1]),
                ("CHARSET UTF-8 SUBJECT {%d}", "Grüsse", [])):
            lit = lit.encode()
            with self.subTest(criteria=crit, literal=lit):
                self.assertEqual(self.search(crit % len(lit), [lit]), want)
        st, text, _ = self.r.command("SEARCH CHARSET KOI9-X SUBJECT x",
                                     check=False)
        self.assertEqual(st, "NO")
        self.assertIn(b"[BADCHARSET", text)

    def test_uid_search(self):
        uids = self.srv.message_uids(self.USER)
        st, text, unt = self.r.command("UID SEARCH OR FLAGGED SUBJECT %sb"
                                       % self.tok)
        res = mailutil.untagged_named(unt, "SEARCH")
        self.assertEqual(sorted(int(x) for x in res[0][2:]), uids[1:])


if __name__ == "__main__":
    unittest.main()
