# SPDX-License-Identifier: MIT
"""test_crash - an acknowledged message survives a crash.

Several client threads send messages over many SMTP sessions while the test
SIGKILLs the server at a random moment; then the server is restarted on the
same data directory. Every message that got its 250 must be in each of its
recipients' INBOX exactly once and byte-complete; a message that did not get
its 250 may be missing but never truncated, duplicated or misdelivered.
Each message carries a unique token in its Subject and body. Bounded: a few
rounds of a few seconds, a cap on messages per thread and round.
"""

import os
import random
import re
import smtplib
import threading
import time
import unittest
import uuid

import harness
from harness import DOMAIN

ALICE = "alice@" + DOMAIN
BOB = "bob@" + DOMAIN
SENDER = "crash@sender.test"
ROUNDS = 3
THREADS = 4
PER_THREAD = 150
TOKEN_RE = re.compile(rb"Subject: crash ([0-9a-f]{32})\r\n")


def make_message(rng, tok):
    size = rng.choice((200, 2000, 20000, 150000))
    line = (b"body " + tok.encode() + b" ").ljust(76, b"x") + b"\r\n"
    body = line * max(1, size // len(line))
    if rng.random() < 0.3:
        body += b".dot line\r\n..\r\n"
    return (b"From: <" + SENDER.encode() + b">\r\n"
            b"Subject: crash " + tok.encode() + b"\r\n"
            b"Message-ID: <" + tok.encode() + b"@sender.test>\r\n\r\n" + body +
            b"end " + tok.encode() + b"\r\n")


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.srv = harness.Server(users=("alice", "bob"), name="crash",
                                  conf={"max_connections_per_ip": "100"})
        self.addCleanup(self.srv.close)
        self.srv.start()
        self.lock = threading.Lock()
        self.sent = {}     # token -> (message, recipients)
        self.acked = set()
        self.rng = random.Random()
        self.stats = []  # per round: (acknowledged, client threads busy)

    def client(self, seed, stop, counter):
        rng = random.Random(seed)
        n = 0
        while not stop.is_set() and n < PER_THREAD:
            try:
                s = smtplib.SMTP("127.0.0.1", self.srv.smtp_port,
                                 local_hostname="crash.test", timeout=20)
            except OSError:
                return
            try:
                for _ in range(rng.randint(1, 5)):
                    if stop.is_set() or n >= PER_THREAD:
                        break
                    tok = uuid.uuid4().hex
                    msg = make_message(rng, tok)
                    rcpts = [ALICE] if rng.random() < 0.6 else [ALICE, BOB]
                    with self.lock:
                        self.sent[tok] = (msg, rcpts)
                    n += 1
                    refused = s.sendmail(SENDER, rcpts, msg)
                    if refused == {}:
                        with self.lock:
                            self.acked.add(tok)
                            counter[0] += 1
                s.quit()
            except (smtplib.SMTPException, OSError):
                return
            finally:
                try:
                    s.close()
                except OSError:
                    pass

    def one_round(self, rnd):
        stop = threading.Event()
        counter = [0]
        threads = [threading.Thread(target=self.client,
                                    args=(rnd * 100 + i, stop, counter))
                   for i in range(THREADS)]
        for t in threads:
            t.start()
        # wait for the first acknowledgement, then a random moment more
        deadline = time.monotonic() + 20
        while counter[0] == 0 and time.monotonic() < deadline and \
                any(t.is_alive() for t in threads):
            time.sleep(0.01)
        self.assertGreater(counter[0], 0, "round %d: nothing acknowledged"
                           % rnd)
        time.sleep(self.rng.uniform(0.02, 0.3))
        inflight = sum(t.is_alive() for t in threads)
        self.srv.kill()
        stop.set()
        for t in threads:
            t.join(30)
            self.assertFalse(t.is_alive(), "client thread hung")
        self.srv.start()
        self.stats.append((counter[0], inflight))

    def test_sigkill_keeps_acknowledged(self):
        for rnd in range(ROUNDS):
            self.one_round(rnd)
        seen = {}
        for user in (ALICE, BOB):
            for uid, stored in self.srv.messages(user):
                rp, _, body = harness.split_trace(stored)
                self.assertEqual(rp, b"<" + SENDER.encode() + b">")
                m = TOKEN_RE.search(body)
                self.assertTrue(m, "%s uid %d: no token (truncated?) %r"
                                % (user, uid, body[:200]))
                tok = m.group(1).decode()
                self.assertIn(tok, self.sent, "unknown message stored")
                msg, rcpts = self.sent[tok]
                self.assertIn(user, rcpts, "delivered to a non-recipient")
                self.assertEqual(len(body), len(msg), "%s uid %d: %d of %d "
                                 "bytes" % (user, uid, len(body), len(msg)))
                self.assertEqual(body, msg, "%s uid %d differs" % (user, uid))
                key = (user, tok)
                self.assertNotIn(key, seen, "%s has %s twice (uids %d, %d)"
                                 % (user, tok, seen.get(key, 0), uid))
                seen[key] = uid
        lost = [(u, t) for t in self.acked for u in self.sent[t][1]
                if (u, t) not in seen]
        self.assertEqual(lost, [], "%d acknowledged deliveries lost of %d "
                         "acknowledged messages" % (len(lost),
                                                    len(self.acked)))
        if os.environ.get("OUTPOST_CRASH_VERBOSE"):
            print("crash: sent %d acked %d stored %d rounds %r" % (
                len(self.sent), len(self.acked), len(seen), self.stats))
        # the kill hit live traffic at least once
        self.assertTrue(any(busy for _, busy in self.stats), self.stats)
        # and the restarted server takes mail again
        tok = uuid.uuid4().hex
        s = smtplib.SMTP("127.0.0.1", self.srv.smtp_port, timeout=20)
        s.sendmail(SENDER, [ALICE], make_message(self.rng, tok))
        s.quit()
        self.srv.stop_clean()
