#!/bin/sh
# Run every test and print the tally: "N passed, N failed".
#   scripts/test.sh          plain build, then the ASan+UBSan build
#   scripts/test.sh --quick  plain build, unit tests and corpus replay only
# Each test prints "ok NAME" or "FAIL NAME"; this script counts those lines.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

builds="build build-san"
quick=0
[ "${1:-}" = "--quick" ] && { builds="build"; quick=1; }

for b in $builds; do
	[ -x "$b/outpost" ] || { echo "FAIL build $b/outpost missing" | tee -a "$log"; continue; }
	for t in "$b"/tests/test_*; do
		[ -x "$t" ] || continue
		echo "== $t"
		"$t" >"$log.one" 2>&1
		rc=$?
		cat "$log.one"; cat "$log.one" >>"$log"
		if [ $rc != 0 ] && ! grep -q '^FAIL ' "$log.one"; then
			echo "FAIL $t exited $rc" | tee -a "$log"
		fi
	done
	for r in "$b"/tests/replay_fuzz_*; do
		[ -x "$r" ] || continue
		name=${r##*/replay_fuzz_}
		"$r" "tests/fuzz/corpus/$name" >"$log.one" 2>&1
		rc=$?
		tail -n 20 "$log.one"; cat "$log.one" >>"$log"
		[ $rc != 0 ] && echo "FAIL replay $name exited $rc" | tee -a "$log"
	done
	if [ $quick = 0 ]; then
		echo "== integration ($b)"
		OUTPOST_BIN="$top/$b/outpost" python3 tests/integration/run.py \
		    >"$log.one" 2>&1
		rc=$?
		cat "$log.one"; cat "$log.one" >>"$log"
		if [ $rc != 0 ] && ! grep -q '^FAIL ' "$log.one"; then
			echo "FAIL integration ($b) exited $rc" | tee -a "$log"
		fi
	fi
done
rm -f "$log.one"
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL ' "$log")
echo
grep '^FAIL ' "$log" | sed 's/^/  /'
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
