#!/bin/sh
# Build every libFuzzer target (tests/fuzz/fuzz_*.c) with clang and run each
# for FUZZ_SECONDS (default 30) on a scratch copy of its committed corpus.
# New crashing inputs are left in build-fuzz/NAME/ as crash-*; add them to
# tests/fuzz/corpus/NAME/ with a unit test once fixed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
secs=${FUZZ_SECONDS:-30}
out=build-fuzz
mkdir -p "$out/obj"
cflags="-std=c17 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer-no-link,address,undefined -DOUTPOST_TESTING $(pkg-config --cflags openssl sqlite3 libcrypt)"
libs="$(pkg-config --libs openssl sqlite3 libcrypt) -lpthread"
objs=""
for src in src/core/*.c src/store/*.c src/mime/*.c src/smtp/*.c src/imap/*.c src/pop3/*.c; do
	[ -f "$src" ] || continue
	obj="$out/obj/$(echo "$src" | tr / _).o"
	clang $cflags -c "$src" -o "$obj"
	objs="$objs $obj"
done
status=0
for f in tests/fuzz/fuzz_*.c; do
	name=$(basename "$f" .c)
	name=${name#fuzz_}
	mkdir -p "$out/$name/corpus"
	cp -r "tests/fuzz/corpus/$name/." "$out/$name/corpus/" 2>/dev/null || true
	clang $cflags -fsanitize=fuzzer "$f" $objs $libs -o "$out/$name/fuzz"
	dict=""
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=$top/tests/fuzz/$name.dict"
	echo "== fuzz $name for ${secs}s"
	if ! (cd "$out/$name" && ./fuzz $dict -max_total_time="$secs" \
	    -print_final_stats=1 corpus >log 2>&1); then
		echo "FAIL fuzz $name: see $out/$name/log"
		tail -n 30 "$out/$name/log"
		status=1
	else
		echo "ok fuzz $name $(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/$name/log")"
	fi
done
exit $status
