# SPDX-License-Identifier: MIT
"""test_imap_concurrent - several IMAP sessions on one mailbox: flag
changes and expunges made by one session reach the other as untagged
FETCH/EXPUNGE at its next NOOP (never during FETCH/STORE/SEARCH, RFC 3501
7.4.1), IDLE reports an SMTP delivery as "* N EXISTS" within 2 seconds, a
delivery during a session shows up at NOOP, UIDs are never reused after an
expunge (also across a restart) and UIDVALIDITY survives a restart.
Clients: imaplib and mailutil.RawImap (for IDLE); messages come in over
SMTP.
"""

import imaplib
import poplib
import re
import threading
import time
import unittest

import harness
import mailutil
from harness import DOMAIN
from mailutil import (RawImap, deliver, imap_close, imap_login, make_msg,
                      token)


def ok(typ_data):
    typ, data = typ_data
    if typ != "OK":
        raise AssertionError("IMAP command failed: %r %r" % (typ, data))
    return data


def untagged(m, name):
    """The untagged responses NAME that imaplib collected, removed."""
    return m.untagged_responses.pop(name, [])


def flags_by_seq(fetch_lines):
    """{seq: set of flags} from imaplib's FETCH untagged data."""
    out = {}
    for line in fetch_lines:
        if isinstance(line, tuple):
            line = line[0]
        m = re.match(rb"(\d+) \(.*FLAGS \(([^)]*)\)", line)
        if m:
            out[int(m.group(1))] = set(m.group(2).decode().split())
    return out


def apply_expunges(msgs, expunges):
    """What remains of msgs after the EXPUNGE sequence numbers, in order."""
    msgs = list(msgs)
    for n in expunges:
        del msgs[int(n) - 1]
    return msgs


def status(m, items="(MESSAGES UIDNEXT UIDVALIDITY)"):
    data = ok(m.status("INBOX", items))
    got = re.findall(rb"([A-Z]+) (\d+)", data[0].split(b"(", 1)[1])
    return {k.decode(): int(v) for k, v in got}


def uids_of(m):
    data = ok(m.uid("SEARCH", None, "ALL"))
    return [int(x) for x in data[0].split()]


class ConcurrentCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = harness.Server(name=cls.__name__)
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()

    def new_user(self, n_messages=0):
        user = "u%s@%s" % (token()[:12], DOMAIN)
        self.srv.add_user(user)
        for i in range(n_messages):
            deliver(self.srv, user, make_msg(token(), to=user,
                                             body=b"message %d\r\n" % i))
        return user

    def login(self, user, how="ssl"):
        m = imap_login(self.srv, user, how=how)
        self.addCleanup(imap_close, m)
        return m


class ImapTwoSessions(ConcurrentCase):

    def test_flags_and_expunge_reach_other_session(self):
        user = self.new_user(3)
        a = self.login(user)
        b = self.login(user, how="starttls")
        self.assertEqual(ok(a.select("INBOX")), [b"3"])
        self.assertEqual(ok(b.select("INBOX")), [b"3"])
        uids = uids_of(b)
        self.assertEqual(len(uids), 3)

        ok(a.store("2", "+FLAGS", "(\\Flagged \\Seen)"))
        ok(b.noop())
        seen = flags_by_seq(untagged(b, "FETCH"))
        self.assertIn(2, seen, "B saw no FETCH FLAGS for message 2 at NOOP")
        self.assertEqual(seen[2] & {"\\Flagged", "\\Seen"},
                         {"\\Flagged", "\\Seen"})

        ok(a.store("1", "+FLAGS", "(\\Deleted)"))
        self.assertEqual(ok(a.expunge()), [b"1"])  # imaplib pops EXPUNGE
        ok(b.noop())
        self.assertEqual(untagged(b, "EXPUNGE"), [b"1"],
                         "B must see * 1 EXPUNGE at NOOP")
        self.assertEqual(uids_of(b), uids[1:])
        data = ok(b.fetch("1:*", "(UID FLAGS)"))
        self.assertEqual(len(data), 2, data)
        self.assertIn(b"UID %d " % uids[1], data[0])
        self.assertIn(b"\\Flagged", data[0])
        self.assertEqual(self.srv.message_uids(user), uids[1:])

    def test_no_expunge_during_fetch_store_search(self):
        """RFC 3501 7.4.1: EXPUNGE must not be sent while responding to
        FETCH, STORE or SEARCH (sequence numbers would shift under the
        client); NOOP may then send it."""
        user = self.new_user(3)
        a = self.login(user)
        b = self.login(user)
        ok(a.select("INBOX"))
        ok(b.select("INBOX"))
        ok(a.store("1:2", "+FLAGS", "(\\Deleted)"))
        ok(a.expunge())
        for cmd in (lambda: b.fetch("1:3", "(FLAGS)"),
                    lambda: b.store("3", "+FLAGS", "(\\Answered)"),
                    lambda: b.search(None, "ALL")):
            cmd()
            self.assertEqual(untagged(b, "EXPUNGE"), [],
                             "EXPUNGE sent during FETCH/STORE/SEARCH")
        ok(b.noop())
        self.assertEqual(apply_expunges([1, 2, 3], untagged(b, "EXPUNGE")),
                         [3])
        data = ok(b.fetch("1", "(FLAGS)"))
        self.assertIn(b"\\Answered", data[0])

    def test_delivery_shows_at_noop(self):
        user = self.new_user(1)
        m = self.login(user)
        self.assertEqual(ok(m.select("INBOX")), [b"1"])
        untagged(m, "EXISTS")
        deliver(self.srv, user, make_msg(token(), to=user))
        ok(m.noop())
        self.assertEqual(untagged(m, "EXISTS"), [b"2"])
        stored = self.srv.messages(user)[1][1]
        data = ok(m.fetch("2", "(BODY.PEEK[])"))
        self.assertEqual(data[0][1], stored)
        # an APPEND by another session also shows up
        other = self.login(user)
        ok(other.append("INBOX", None, None,
                        b"Subject: appended\r\n\r\nx\r\n"))
        ok(m.noop())
        self.assertEqual(untagged(m, "EXISTS"), [b"3"])

    def test_uids_never_reused(self):
        user = self.new_user(3)
        m = self.login(user)
        ok(m.select("INBOX"))
        uids = uids_of(m)
        self.assertEqual(uids, sorted(uids))
        ok(m.uid("STORE", "%d" % uids[2], "+FLAGS", "(\\Deleted)"))
        ok(m.expunge())
        deliver(self.srv, user, make_msg(token(), to=user))
        ok(m.noop())
        new = uids_of(m)
        self.assertEqual(new[:2], uids[:2])
        self.assertGreater(new[2], uids[2], "UID of an expunged message "
                           "was given to a new one")
        st = status(self.login(user))
        self.assertGreater(st["UIDNEXT"], new[2])

    def test_move_seen_as_expunge_by_other(self):
        user = self.new_user(3)
        a = self.login(user)
        b = self.login(user)
        ok(a.create("Moved"))
        ok(a.select("INBOX"))
        ok(b.select("INBOX"))
        uids = uids_of(a)
        typ, data = a.uid("MOVE", str(uids[1]), "Moved")
        self.assertEqual(typ, "OK", data)
        ok(b.noop())
        self.assertEqual(untagged(b, "EXPUNGE"), [b"2"])
        self.assertEqual(uids_of(b), [uids[0], uids[2]])
        self.assertEqual(len(self.srv.message_uids(user, "Moved")), 1)

    def test_expunge_while_other_streams_big_message(self):
        """B fetches an 8 MB body while A expunges it: B still gets the
        whole message (or a NO), never a truncated literal or a crash."""
        user = self.new_user(0)
        body = b"".join(b"%07d %s\r\n" % (i, b"z" * 60)
                        for i in range(120000))
        deliver(self.srv, user, make_msg(token(), to=user, body=body))
        stored = self.srv.messages(user)[0][1]
        a = self.login(user)
        ok(a.select("INBOX"))
        r = RawImap(self.srv.imaps_port, tls=True, timeout=30,
                    rcvbuf=65536)
        self.addCleanup(r.close)
        r.greeting()
        r.login(user)
        r.command("SELECT INBOX")
        tag = r.next_tag()
        r.send("%s FETCH 1 (BODY.PEEK[])\r\n" % tag)
        time.sleep(0.2)  # let the server start streaming
        ok(a.store("1", "+FLAGS", "(\\Deleted)"))
        ok(a.expunge())
        got = []
        while True:
            resp = r.response()
            if resp[0].startswith(tag.encode() + b" "):
                break
            got.append(resp)
        if resp[0].startswith(tag.encode() + b" OK"):
            fm = mailutil.fetch_map(got)
            self.assertEqual(fm[1]["BODY[]"], stored)
        else:
            self.assertTrue(resp[0].startswith(tag.encode() + b" NO"), resp)
        r.command("NOOP")
        self.assertTrue(self.srv.running())

    def test_concurrent_appends_unique_uids(self):
        user = self.new_user(0)
        clients = [self.login(user) for _ in range(4)]
        results = []
        errors = []

        def worker(m, k):
            try:
                for i in range(10):
                    typ, data = m.append("INBOX", None, None,
                                         b"Subject: w%d-%d\r\n\r\nx\r\n"
                                         % (k, i))
                    if typ != "OK":
                        raise AssertionError(data)
                    mm = re.search(rb"APPENDUID \d+ (\d+)", data[0])
                    results.append(int(mm.group(1)))
            except BaseException as e:  # noqa: B902 (reported below)
                errors.append(e)
        threads = [threading.Thread(target=worker, args=(m, k))
                   for k, m in enumerate(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertFalse(any(t.is_alive() for t in threads), "APPEND hung")
        self.assertEqual(errors, [])
        self.assertEqual(len(set(results)), 40)
        self.assertEqual(sorted(results), self.srv.message_uids(user))

    def test_pop3_deletion_seen_by_imap(self):
        """A message deleted over POP3 is expunged in an open IMAP session
        at its next NOOP."""
        user = self.new_user(2)
        m = self.login(user)
        ok(m.select("INBOX"))
        uids = uids_of(m)
        p = poplib.POP3_SSL("127.0.0.1", self.srv.pop3s_port, timeout=30,
                            context=harness.unverified_tls_context())
        try:
            p.user(user)
            p.pass_(harness.PASSWORD)
            p.dele(1)
            p.quit()
        finally:
            p.close()
        ok(m.noop())
        self.assertEqual(untagged(m, "EXPUNGE"), [b"1"])
        self.assertEqual(uids_of(m), uids[1:])

    def test_uid_expunge_and_close_seen_by_other(self):
        """UID EXPUNGE (RFC 4315) removes only the given \\Deleted
        messages; CLOSE expunges silently for itself but the other session
        still hears about it."""
        user = self.new_user(4)
        a = self.login(user)
        b = self.login(user)
        ok(a.select("INBOX"))
        ok(b.select("INBOX"))
        uids = uids_of(a)
        ok(a.store("1:2", "+FLAGS", "(\\Deleted)"))
        typ, data = a.uid("EXPUNGE", str(uids[1]))
        self.assertEqual(typ, "OK", data)
        self.assertEqual(uids_of(a), [uids[0]] + uids[2:])
        ok(b.noop())
        self.assertEqual(untagged(b, "EXPUNGE"), [b"2"])
        ok(a.store("2", "+FLAGS", "(\\Deleted)"))  # uids[2]
        ok(a.close())
        ok(b.noop())
        self.assertEqual(apply_expunges([uids[0], uids[2], uids[3]],
                                        untagged(b, "EXPUNGE")),
                         [uids[3]])
        self.assertEqual(uids_of(b), [uids[3]])

    def test_both_sessions_expunge_same_message(self):
        user = self.new_user(3)
        a = self.login(user)
        b = self.login(user)
        ok(a.select("INBOX"))
        ok(b.select("INBOX"))
        ok(a.store("2", "+FLAGS", "(\\Deleted)"))
        ok(b.noop())
        untagged(b, "FETCH")
        ok(a.expunge())
        b.expunge()  # its view still has the message; must not crash
        ok(b.noop())
        ok(a.noop())
        exp_a = untagged(a, "EXPUNGE")
        self.assertEqual(exp_a, [], "A saw its own expunge twice")
        self.assertEqual(len(uids_of(b)), 2)
        self.assertEqual(len(uids_of(a)), 2)
        self.assertEqual(len(self.srv.message_uids(user)), 2)

    def test_delete_selected_mailbox_from_other_session(self):
        user = self.new_user(0)
        a = self.login(user)
        b = self.login(user)
        ok(a.create("Doomed"))
        ok(a.append("Doomed", None, None, b"Subject: x\r\n\r\nx\r\n"))
        ok(b.select("Doomed"))
        ok(a.delete("Doomed"))
        # B's mailbox is gone: NOOP, FETCH and STORE may say NO or BYE
        # but the server keeps serving everyone
        for cmd in (lambda: b.noop(), lambda: b.fetch("1", "(FLAGS)"),
                    lambda: b.store("1", "+FLAGS", "(\\Seen)")):
            try:
                cmd()
            except (imaplib.IMAP4.abort, imaplib.IMAP4.error, OSError):
                break
        self.assertEqual(ok(a.select("INBOX")), [b"0"])
        self.assertTrue(self.srv.running())


class ImapIdle(ConcurrentCase):

    def idle_client(self, user):
        r = RawImap(self.srv.imaps_port, tls=True, timeout=10)
        self.addCleanup(r.close)
        r.greeting()
        r.login(user)
        st, text, unt = r.command("SELECT INBOX")
        return r, len(mailutil.untagged_named(unt, "EXISTS"))

    def start_idle(self, r):
        tag = r.next_tag()
        r.send("%s IDLE\r\n" % tag)
        line = r.line()
        self.assertTrue(line.startswith(b"+"), line)
        return tag

    def wait_for(self, r, pattern, timeout):
        """Lines received before pattern matched, or fail after timeout."""
        deadline = time.monotonic() + timeout
        got = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail("no %r within %.1fs; got %r" % (pattern, timeout,
                                                         got))
            r.sock.settimeout(left)
            try:
                line = r.line()
            except (TimeoutError, OSError):
                continue
            finally:
                r.sock.settimeout(r.timeout)
            got.append(line)
            if re.match(pattern, line):
                return got

    def stop_idle(self, r, tag):
        r.send("DONE\r\n")
        while True:
            line = r.line()
            if line.startswith(tag.encode() + b" "):
                self.assertTrue(line.startswith(tag.encode() + b" OK"), line)
                return

    def test_idle_exists_after_smtp_delivery(self):
        user = self.new_user(2)
        r, _ = self.idle_client(user)
        tag = self.start_idle(r)
        deliver(self.srv, user, make_msg(token(), to=user))
        t0 = time.monotonic()
        self.wait_for(r, rb"\* 3 EXISTS$", 2.0)
        self.assertLess(time.monotonic() - t0, 2.0)
        # a second delivery in the same IDLE
        deliver(self.srv, user, make_msg(token(), to=user))
        self.wait_for(r, rb"\* 4 EXISTS$", 2.0)
        self.stop_idle(r, tag)
        got = r.fetch("4", "UID")
        self.assertIn(4, got)

    def test_idle_sees_other_sessions_flags_and_expunge(self):
        user = self.new_user(3)
        r, _ = self.idle_client(user)
        other = self.login(user)
        ok(other.select("INBOX"))
        tag = self.start_idle(r)
        ok(other.store("2", "+FLAGS", "(\\Flagged)"))
        self.wait_for(r, rb"\* 2 FETCH \(.*FLAGS \([^)]*\\Flagged", 2.0)
        ok(other.store("1", "+FLAGS", "(\\Deleted)"))
        ok(other.expunge())
        self.wait_for(r, rb"\* 1 EXPUNGE$", 2.0)
        self.stop_idle(r, tag)

    def test_idle_sees_append_and_pop3_delete(self):
        user = self.new_user(1)
        r, _ = self.idle_client(user)
        other = self.login(user)
        tag = self.start_idle(r)
        ok(other.append("INBOX", None, None, b"Subject: a\r\n\r\nb\r\n"))
        self.wait_for(r, rb"\* 2 EXISTS$", 2.0)
        p = poplib.POP3_SSL("127.0.0.1", self.srv.pop3s_port, timeout=30,
                            context=harness.unverified_tls_context())
        try:
            p.user(user)
            p.pass_(harness.PASSWORD)
            p.dele(1)
            p.quit()
        finally:
            p.close()
        self.wait_for(r, rb"\* 1 EXPUNGE$", 2.0)
        self.stop_idle(r, tag)

    def test_idle_many_sessions_one_delivery(self):
        user = self.new_user(0)
        clients = [self.idle_client(user)[0] for _ in range(5)]
        tags = [self.start_idle(r) for r in clients]
        deliver(self.srv, user, make_msg(token(), to=user))
        errors = []

        def waiter(r):
            try:
                self.wait_for(r, rb"\* 1 EXISTS$", 2.0)
            except BaseException as e:  # noqa: B902 (reported below)
                errors.append(e)
        threads = [threading.Thread(target=waiter, args=(r,))
                   for r in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        self.assertFalse(any(t.is_alive() for t in threads), "IDLE hung")
        self.assertEqual(errors, [])
        for r, tag in zip(clients, tags):
            self.stop_idle(r, tag)


class ImapRestart(ConcurrentCase):
    """UIDVALIDITY and UIDNEXT survive a restart; UIDs are not reused."""

    def test_uidvalidity_and_uids_across_restart(self):
        user = self.new_user(3)
        m = imap_login(self.srv, user)
        try:
            ok(m.select("INBOX"))
            uids = uids_of(m)
            ok(m.uid("STORE", "%d" % uids[-1], "+FLAGS", "(\\Deleted)"))
            ok(m.expunge())
            before = status(m)
        finally:
            imap_close(m)
        self.assertEqual(before["MESSAGES"], 2)
        self.assertGreater(before["UIDNEXT"], uids[-1])

        self.srv.stop()
        self.srv.start()
        m = imap_login(self.srv, user)
        try:
            after = status(m)
            self.assertEqual(after["UIDVALIDITY"], before["UIDVALIDITY"])
            self.assertEqual(after["UIDNEXT"], before["UIDNEXT"])
            ok(m.select("INBOX"))
            self.assertEqual(uids_of(m), uids[:-1])
        finally:
            imap_close(m)
        deliver(self.srv, user, make_msg(token(), to=user))
        m = imap_login(self.srv, user)
        try:
            ok(m.select("INBOX"))
            new = uids_of(m)
            self.assertEqual(new[:-1], uids[:-1])
            self.assertGreaterEqual(new[-1], before["UIDNEXT"],
                                    "UID reused after restart")
            # also after a crash (SIGKILL) the validity stays
            sel_validity = status(m)["UIDVALIDITY"]
        finally:
            imap_close(m)
        self.srv.kill()
        self.srv.start()
        m = imap_login(self.srv, user)
        try:
            self.assertEqual(status(m)["UIDVALIDITY"], sel_validity)
            ok(m.select("INBOX"))
            self.assertEqual(uids_of(m), new)
        finally:
            imap_close(m)

    def test_uidnext_after_emptying_mailbox_and_restart(self):
        """A mailbox emptied by EXPUNGE keeps its UIDNEXT across a restart
        (a store that derives UIDNEXT from max(uid)+1 reuses UIDs)."""
        user = self.new_user(2)
        m = imap_login(self.srv, user)
        try:
            ok(m.select("INBOX"))
            old = uids_of(m)
            ok(m.store("1:*", "+FLAGS", "(\\Deleted)"))
            ok(m.expunge())
            before = status(m)
        finally:
            imap_close(m)
        self.assertEqual(before["MESSAGES"], 0)
        self.srv.stop()
        self.srv.start()
        deliver(self.srv, user, make_msg(token(), to=user))
        m = imap_login(self.srv, user)
        try:
            after = status(m)
            self.assertEqual(after["UIDVALIDITY"], before["UIDVALIDITY"])
            ok(m.select("INBOX"))
            new = uids_of(m)
        finally:
            imap_close(m)
        self.assertEqual(len(new), 1)
        self.assertGreater(new[0], max(old), "UID reused after the mailbox "
                           "was emptied and the server restarted")

    def test_recreated_mailbox_new_validity_or_fresh_uids(self):
        """RFC 3501 2.3.1.1: a mailbox deleted and created again under the
        same name must not hand out old UIDs under the old UIDVALIDITY."""
        user = self.new_user(0)
        m = imap_login(self.srv, user)
        try:
            ok(m.create("Reborn"))
            for i in range(2):
                ok(m.append("Reborn", None, None,
                            b"Subject: %d\r\n\r\nx\r\n" % i))
            data = ok(m.status("Reborn", "(UIDVALIDITY UIDNEXT)"))
            v1 = dict(re.findall(rb"([A-Z]+) (\d+)", data[0]))
            ok(m.delete("Reborn"))
            ok(m.create("Reborn"))
            ok(m.append("Reborn", None, None, b"Subject: new\r\n\r\ny\r\n"))
            data = ok(m.status("Reborn", "(UIDVALIDITY UIDNEXT)"))
            v2 = dict(re.findall(rb"([A-Z]+) (\d+)", data[0]))
            ok(m.select("Reborn"))
            uid = uids_of(m)[0]
        finally:
            imap_close(m)
        self.assertTrue(v2[b"UIDVALIDITY"] != v1[b"UIDVALIDITY"] or
                        uid >= int(v1[b"UIDNEXT"]),
                        "old UIDVALIDITY %r reused with UID %d" % (v1, uid))


if __name__ == "__main__":
    unittest.main()
