# SPDX-License-Identifier: MIT
"""test_read - `outpost read`, the IMAP reader, against a running outpost:
messages go in over SMTP (a multipart one built with Python's email
package, with a binary attachment, a hostile file name and encoded
headers), and what the reader prints or saves is checked: the listing,
the decoded text and headers, attachments saved byte-identical under safe
names, over implicit TLS and STARTTLS, and its errors.
"""

import os
import shutil
import subprocess
import tempfile
import unittest
from email.message import EmailMessage

import harness
import mailutil
from harness import DOMAIN, PASSWORD

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN

BLOB = bytes(range(256)) * 300 + b"\r\n.\r\n\0end"


def multipart():
    m = EmailMessage()
    m["From"] = "=?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <j@sender.test>"
    m["To"] = ALICE
    m["Subject"] = "Grüße aus Köln"
    m["Date"] = "Tue, 24 Nov 2026 09:30:00 +0100"
    m.set_content("Hallo Welt, ünïcödé\n.a line with a dot\nend\n",
                  charset="iso-8859-1", cte="quoted-printable")
    m.add_attachment(BLOB, maintype="application", subtype="octet-stream",
                     filename="../../.hidden/evil.bin")
    m.add_attachment("second attachment\n".encode(), maintype="text",
                     subtype="csv", filename="tabelle ä.csv")
    return m.as_bytes().replace(b"\n", b"\r\n")


class ReadCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(name=cls.__name__)
        cls.srv.start()
        mailutil.deliver(cls.srv, ALICE, multipart())
        mailutil.deliver(cls.srv, ALICE, mailutil.make_msg(
            "plain1", body=b"just text\r\n"))
        mailutil.deliver(cls.srv, ALICE, mailutil.make_msg(
            "b64", extra=b"MIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: base64\r\n",
            body=b"w6TDtsO8IGJhc2U2NCB0ZXh0Cg==\r\n"))
        mailutil.deliver(cls.srv, ALICE, mailutil.make_msg(
            "esc", extra=b"X-Evil: 1\r\n",
            body=b"bell \x1b[31mred\x07 text\r\n"))

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()

    def read(self, *args, user=ALICE, password=PASSWORD, check=True):
        env = self.srv.env()
        env["OUTPOST_PASSWORD"] = password
        p = subprocess.run([self.srv.bin, "read", "--insecure", "--user",
                            user] + list(args), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        if check:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def test_list(self):
        out = self.read("--list").stdout.decode()
        lines = out.splitlines()
        self.assertEqual(len(lines), 4, out)
        f = lines[0].split("\t")
        self.assertEqual(f[0], "1")
        self.assertEqual(f[1], "2026-11-24 09:30")
        self.assertEqual(f[2], "Jürgen Müller <j@sender.test>")
        self.assertEqual(f[3], "Grüße aus Köln")
        self.assertEqual(lines[1].split("\t")[3], "test plain1")
        self.assertEqual(lines[2].split("\t")[0], "3")

    def test_list_starttls_and_ports(self):
        out = self.read("--starttls", "--port", str(self.srv.imap_port),
                        "--list").stdout.decode()
        self.assertEqual(len(out.splitlines()), 4)
        # the default port is the config's first imaps_listen
        out = self.read("--tls", "--list").stdout.decode()
        self.assertEqual(len(out.splitlines()), 4)

    def test_show_multipart(self):
        out = self.read("--show", "1").stdout.decode()
        self.assertIn("From: Jürgen Müller <j@sender.test>\n", out)
        self.assertIn("To: %s\n" % ALICE, out)
        self.assertIn("Subject: Grüße aus Köln\n", out)
        self.assertIn("Date: Tue, 24 Nov 2026 09:30:00 +0100\n", out)
        # quoted-printable latin-1 decoded to UTF-8
        self.assertIn("\nHallo Welt, ünïcödé\n.a line with a dot\nend\n",
                      out)
        att = out.split("Attachments:\n", 1)[1].splitlines()
        self.assertEqual(len(att), 2, out)
        self.assertEqual(att[0].split("\t"),
                         ["  evil.bin", "application/octet-stream",
                          "%d bytes" % len(BLOB)])
        self.assertEqual(att[1].split("\t"),
                         ["  tabelle ä.csv", "text/csv", "18 bytes"])

    def test_show_base64_and_plain(self):
        out = self.read("--show", "3").stdout.decode()
        self.assertIn("\näöü base64 text\n", out)
        self.assertNotIn("Attachments", out)
        out = self.read("--show", "2").stdout.decode()
        self.assertIn("Subject: test plain1\n", out)
        self.assertTrue(out.endswith("\n\njust text\n"), out)

    def test_show_no_control_characters(self):
        out = self.read("--show", "4").stdout
        self.assertNotIn(b"\x1b", out)
        self.assertNotIn(b"\x07", out)
        self.assertIn(b"bell ?[31mred? text", out)

    def test_save_attachments(self):
        d = tempfile.mkdtemp(prefix="outpost-read-")
        self.addCleanup(shutil.rmtree, d, True)
        out = self.read("--save-attachments", "1", d).stdout.decode()
        self.assertEqual(sorted(os.listdir(d)), ["evil.bin", "tabelle ä.csv"])
        with open(os.path.join(d, "evil.bin"), "rb") as f:
            self.assertEqual(f.read(), BLOB)
        with open(os.path.join(d, "tabelle ä.csv"), "rb") as f:
            self.assertEqual(f.read(), b"second attachment\n")
        self.assertIn("(%d bytes)" % len(BLOB), out)
        # again: existing files are never overwritten
        self.read("--save-attachments", "1", d)
        self.assertEqual(sorted(os.listdir(d)),
                         ["1-evil.bin", "1-tabelle ä.csv", "evil.bin",
                          "tabelle ä.csv"])
        with open(os.path.join(d, "1-evil.bin"), "rb") as f:
            self.assertEqual(f.read(), BLOB)
        # nothing escaped the directory
        self.assertFalse(os.path.exists(os.path.join(d, "..", "evil.bin")))

    def test_reading_changes_no_flags(self):
        import imaplib
        self.read("--show", "2")
        i = imaplib.IMAP4_SSL("127.0.0.1", self.srv.imaps_port,
                              ssl_context=harness.unverified_tls_context())
        try:
            i.login(ALICE, PASSWORD)
            i.select("INBOX", readonly=True)
            typ, data = i.fetch("2", "(FLAGS)")
            self.assertEqual(typ, "OK")
            self.assertNotIn(b"\\Seen", data[0])
        finally:
            i.logout()

    def test_errors(self):
        p = self.read("--list", password="wrong", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"login failed", p.stderr)
        p = self.read("--show", "99", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"no message 99", p.stderr)
        p = self.read("--list", "--mailbox", "Nope", check=False)
        self.assertNotEqual(p.returncode, 0)
        p = self.read("--list", "--show", "1", check=False)
        self.assertEqual(p.returncode, 2)
        # the certificate is self-signed: without --insecure, refused
        env = self.srv.env()
        env["OUTPOST_PASSWORD"] = PASSWORD
        p = subprocess.run([self.srv.bin, "read", "--user", ALICE, "--list"],
                           env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"not trusted", p.stderr)

    def test_empty_mailbox(self):
        out = self.read("--list", user=BOB).stdout
        self.assertEqual(out, b"")


if __name__ == "__main__":
    unittest.main()
