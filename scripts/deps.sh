#!/bin/sh
# Install the Debian packages outpost needs to build (and, with "test" or
# "bench", to test or benchmark) when any is missing. Runs apt-get as root.
set -eu
build="gcc make pkg-config libssl-dev libsqlite3-dev libcrypt-dev openssl"
test="clang libclang-rt-14-dev python3 swaks curl mutt fetchmail isync"
bench="postfix dovecot-imapd dovecot-pop3d"
want="$build"
for arg in "$@"; do
	case "$arg" in
	test) want="$want $test" ;;
	bench) want="$want $test $bench" ;;
	esac
done
missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages and not root; install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Postfix's and Dovecot's own services are not wanted: the bench runs private
# instances. policy-rc.d keeps the packages from starting them.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends $missing
