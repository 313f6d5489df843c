#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""run - the integration test runner.

Discovers tests/integration/test_*.py (unittest TestCase classes), runs them
and prints one line per test: "ok <module>.<Class>.<test>" or
"FAIL <module>.<Class>.<test>" followed by the failure text and the tail of
the server logs of that class, indented. A skipped test prints "skip NAME"
(not counted as passed). Exits 1 when anything failed.

  OUTPOST_BIN=build/outpost python3 tests/integration/run.py [FILTER...]

FILTER: run only tests whose name contains one of the substrings.
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402


def indent(text):
    return "\n".join("    " + line for line in text.rstrip().splitlines())


class Result(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.npass = 0
        self.nfail = 0
        self.class_servers_from = 0
        self.cur_class = None
        self.t0 = 0.0

    def startTest(self, test):
        super().startTest(test)
        cls = type(test)
        if cls is not self.cur_class:
            self.cur_class = cls
        self.t0 = time.monotonic()

    def _server_logs(self):
        out = []
        for s in harness.ALL_SERVERS[self.class_servers_from:]:
            out.append("--- %s log (%s):\n%s" % (s.name, s.log_path,
                                                 s.log_tail()))
        return "\n".join(out)

    def _fail(self, test, err):
        self.nfail += 1
        harness.mark_failed()
        name = test.id() if hasattr(test, "id") else str(test)
        # setUpClass failures come as an _ErrorHolder "setUpClass (m.Class)"
        desc = str(test)
        if desc.startswith("setUpClass ("):
            name = desc[len("setUpClass ("):-1] + ".setUpClass"
        elif desc.startswith("tearDownClass ("):
            name = desc[len("tearDownClass ("):-1] + ".tearDownClass"
        print("FAIL %s" % name)
        print(indent(self._exc_info_to_string(err, test)))
        logs = self._server_logs()
        if logs:
            print(indent(logs))
        sys.stdout.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        self.npass += 1
        print("ok %s (%.1fs)" % (test.id(), time.monotonic() - self.t0))
        sys.stdout.flush()

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._fail(subtest, err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        print("skip %s: %s" % (test.id(), reason))

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._fail(test, err)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.nfail += 1
        print("FAIL %s (unexpected success)" % test.id())


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def main(argv):
    filters = argv[1:]
    loader = unittest.TestLoader()
    names = sorted(f[:-3] for f in os.listdir(HERE)
                   if f.startswith("test_") and f.endswith(".py"))
    result = Result()
    for modname in names:
        try:
            mod = __import__(modname)
        except Exception:  # an import error is a failure of that module
            result.nfail += 1
            import traceback
            print("FAIL %s.import" % modname)
            print(indent(traceback.format_exc()))
            continue
        for cls_suite in loader.loadTestsFromModule(mod):
            tests = [t for t in flatten(cls_suite)
                     if not filters or any(f in t.id() for f in filters)]
            if not tests:
                continue
            result.class_servers_from = len(harness.ALL_SERVERS)
            suite = unittest.TestSuite(tests)
            suite.run(result)  # top level: runs setUpClass/tearDownClass
            # each class ran as its own top-level suite, torn down already
            result._previousTestClass = None
    print("integration: %d passed, %d failed" % (result.npass, result.nfail))
    return 1 if result.nfail else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
