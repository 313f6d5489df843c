# SPDX-License-Identifier: MIT
"""test_smtp_rcache - the loop thread's short-lived recipient cache: a
recipient found moments ago is accepted without a store round trip, but a
delivery to a user deleted meanwhile still fails temporarily (451, nothing
stored), and once the entry expires (STORE_USER_CACHE_MS, 2 s) the deleted
user is rejected at RCPT again. Case in the address does not matter.
"""

import time
import unittest

import harness
from harness import DOMAIN

SENDER = "sender@sender.test"
CLIENT = "client.test"
CACHE_S = 2.0


class SmtpRecipientCache(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(users=("alice", "gone"),
                                 name=cls.__name__)
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop_clean()

    def raw(self):
        r = self.srv.connect()
        self.addCleanup(r.close)
        self.assertEqual(r.reply()[0], 220)
        r.expect(250, "EHLO " + CLIENT)
        return r

    def send(self, rcpt, tag):
        """one message to rcpt on a new session: (RCPT code, final code)"""
        r = self.raw()
        r.expect(250, "MAIL FROM:<%s>" % SENDER)
        code, _ = r.cmd("RCPT TO:<%s>" % rcpt)
        if code != 250:
            return code, None
        r.expect(354, "DATA")
        r.send(b"Subject: " + tag.encode() + b"\r\n\r\nhi\r\n.\r\n")
        final = r.reply()[0]
        r.cmd("QUIT")
        return code, final

    def test_cached_user_deleted(self):
        gone = "gone@" + DOMAIN
        self.assertEqual(self.send(gone, "one"), (250, 250))
        self.assertEqual(len(self.srv.message_uids(gone)), 1)
        t0 = time.monotonic()
        self.srv.cli("user", "del", gone)
        rcpt, final = self.send(gone.upper(), "two")
        if time.monotonic() - t0 < CACHE_S - 0.3:
            # still cached: accepted at RCPT, refused for now at the end
            self.assertEqual((rcpt, final), (250, 451))
        else:
            self.assertEqual(rcpt, 550)  # a slow machine: already expired
        time.sleep(CACHE_S + 0.3)
        self.assertEqual(self.send(gone, "three"), (550, None))

    def test_cache_hits_deliver(self):
        alice = "alice@" + DOMAIN
        before = len(self.srv.message_uids(alice))
        for i, addr in enumerate((alice, alice, "ALICE@" + DOMAIN.upper())):
            self.assertEqual(self.send(addr, "m%d" % i), (250, 250))
        self.assertEqual(len(self.srv.message_uids(alice)), before + 3)


if __name__ == "__main__":
    unittest.main()
