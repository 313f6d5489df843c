#!/bin/sh
# SPDX-License-Identifier: MIT
# lint.sh - the checks `make lint` runs over src/:
#  1. banned calls (STYLE.md 5): strcpy strcat sprintf vsprintf gets strtok
#     strncpy atoi atol strtol alloca system popen, and raw malloc, anywhere
#     in src/ except src/core/mem.c and src/core/span.c. Comments, string
#     and character literals are ignored. Each hit prints "file:line: ...".
#  2. clang-format --dry-run -Werror over every .c and .h under src/.
# Exits 1 when either finds anything, else 0. With arguments, checks only
# those files (for testing the script itself).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
status=0

if [ $# -gt 0 ]; then
	files=$*
else
	files=$(find src -type f \( -name '*.c' -o -name '*.h' \) | sort)
fi
[ -n "$files" ] || { echo "lint: no files under src/"; exit 0; }

banned='strcpy|strcat|sprintf|vsprintf|gets|strtok|strncpy|atoi|atol|strtol|alloca|system|popen|malloc'
for f in $files; do
	case $f in
	src/core/mem.c|src/core/span.c) continue ;;
	esac
	# Blank out comments and literals (keeping line numbers), then look
	# for NAME( with NAME a whole word not preceded by . or -> (a member).
	awk -v file="$f" -v banned="$banned" '
	BEGIN { incomment = 0; bad = 0 }
	{
		line = $0; out = ""; i = 1; n = length(line)
		while (i <= n) {
			c = substr(line, i, 1); c2 = substr(line, i, 2)
			if (incomment) {
				if (c2 == "*/") { incomment = 0; i += 2 }
				else i++
				out = out " "
				continue
			}
			if (c2 == "/*") { incomment = 1; i += 2; out = out "  "; continue }
			if (c2 == "//") break
			if (c == "\"" || c == "\047") {
				q = c; i++
				while (i <= n && substr(line, i, 1) != q) {
					if (substr(line, i, 1) == "\\") i++
					i++
				}
				i++; out = out q q
				continue
			}
			out = out c; i++
		}
		rest = out
		while (match(rest, "(^|[^A-Za-z0-9_.>])(" banned ")[ \t]*\\(")) {
			hit = substr(rest, RSTART, RLENGTH)
			sub(/^[^A-Za-z_]/, "", hit); sub(/[ \t]*\($/, "", hit)
			printf "%s:%d: banned call %s(): %s\n", file, NR, hit, $0
			bad = 1
			rest = substr(rest, RSTART + RLENGTH)
		}
	}
	END { exit bad }' "$f" || status=1
done

if command -v clang-format >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	if ! clang-format --dry-run -Werror $files 2>"${TMPDIR:-/tmp}/lint.$$"; then
		# first three places per file, then a count
		grep -E '^[^ ]+:[0-9]+:[0-9]+: ' "${TMPDIR:-/tmp}/lint.$$" |
		    awk -F: '{ n[$1]++; if (n[$1] <= 3) print $1 ":" $2 ": not clang-formatted (clang-format -i " $1 ")" }
			END { for (f in n) if (n[f] > 3) print f ": " n[f] - 3 " more places not clang-formatted" }'
		status=1
	fi
	rm -f "${TMPDIR:-/tmp}/lint.$$"
else
	echo "lint: clang-format not installed" >&2
	status=1
fi

[ $status = 0 ] && echo "lint: ok"
exit $status
