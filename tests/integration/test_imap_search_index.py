# SPDX-License-Identifier: MIT
"""test_imap_search_index - SEARCH on the header fields the MIME index
records (Subject, From, To, Cc, Bcc, Message-ID, In-Reply-To, References,
Date, Reply-To, Sender) gives the same answers as searching the message:
encoded words, folding, presence tests, and the cases where the index
cannot tell (a value over its cap, a field repeated many times) and SEARCH
falls back to the message's header; other fields are searched as before.
"""

import re
import unittest

import harness
import mailutil
from harness import DOMAIN
from mailutil import RawImap, token


class ImapSearchIndex(unittest.TestCase):
    USER = "carol@" + DOMAIN

    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(name=cls.__name__)
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()

    def imap(self):
        r = RawImap(self.srv.imaps_port, tls=True, timeout=30)
        self.addCleanup(r.close)
        r.greeting()
        r.login(self.USER)
        return r

    def append(self, r, msg):
        st, text, _ = r.command("APPEND INBOX {%d}" % len(msg), [msg])
        return int(re.search(rb"\[APPENDUID \d+ (\d+)\]", text).group(1))

    def search(self, r, uids, crit, lits=()):
        st, text, unt = r.command(
            "UID SEARCH CHARSET UTF-8 UID %d:%d %s" % (uids[0], uids[-1],
                                                       crit), list(lits))
        res = mailutil.untagged_named(unt, "SEARCH")
        return sorted(uids.index(int(x)) for x in res[0][2:])

    def test_index_and_fallback(self):
        r = self.imap()
        r.command("SELECT INBOX")
        tok = token()
        long_subject = " ".join("filler%d" % i for i in range(800))
        msgs = [
            # 0: a Subject over the index's cap, needle at its end, then a
            # second short Subject
            ("Subject: %s\r\n %s-tail\r\nSubject: short %s\r\n"
             "From: a@x.test\r\n\r\nbody\r\n" % (long_subject, tok, tok)),
            # 1: Cc repeated more than the index records, needle last
            "".join("Cc: cc%d@x.test\r\n" % i for i in range(8)) +
            "Cc: %s-cc@x.test\r\nSubject: many cc\r\n\r\nbody\r\n" % tok,
            # 2: encoded words, folding, a field not indexed
            ("Subject: =?UTF-8?Q?caf=C3=A9?= %s\r\n folded-part\r\n"
             "From: =?ISO-8859-1?Q?Andr=E9?= <andre@x.test>\r\n"
             "X-Custom: custom-%s\r\n"
             "Message-ID: <%s@x.test>\r\n"
             "Date: Tue, 03 Feb 2026 10:00:00 +0000\r\n\r\nbody\r\n" %
             (tok, tok, tok)),
            # 3: no header fields at all
            "\r\nonly a body %s\r\n" % tok,
        ]
        uids = [self.append(r, m.encode()) for m in msgs]
        for crit, lits, want in (
                ("SUBJECT %s-tail" % tok, (), [0]),
                ("SUBJECT {%d}" % len("SHORT " + tok), ["SHORT " + tok], [0]),
                ("HEADER Subject \"\"", (), [0, 1, 2]),
                ("HEADER Cc %s-cc" % tok, (), [1]),
                ("HEADER CC cc1@", (), [1]),
                ("HEADER Cc \"\"", (), [1]),
                ("NOT HEADER Cc \"\"", (), [0, 2, 3]),
                ("SUBJECT {%d}" % len("CAFÉ".encode()), ["CAFÉ".encode()],
                 [2]),
                ("SUBJECT \"%s folded-part\"" % tok, (), [2]),
                ("FROM {%d}" % len("andré".encode()), ["andré".encode()],
                 [2]),
                ("FROM a@x.test", (), [0]),
                ("HEADER Message-ID %s@x" % tok, (), [2]),
                ("HEADER X-Custom custom-%s" % tok, (), [2]),
                ("HEADER X-Custom \"\"", (), [2]),
                ("SENTON 3-Feb-2026", (), [2]),
                ("OR SUBJECT many FROM andre", (), [1, 2]),
                ("TO \"\"", (), []),
                ("TEXT %s" % tok, (), [0, 1, 2, 3])):
            lits = [x.encode() if isinstance(x, str) else x for x in lits]
            with self.subTest(criteria=crit):
                self.assertEqual(self.search(r, uids, crit, lits), want)


if __name__ == "__main__":
    unittest.main()
