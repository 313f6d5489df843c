#!/bin/sh
# Run the embedded default in the foreground (what `make run` does):
#   scripts/run.sh BIN
# On first use, `BIN init ./data` creates the data directory (config,
# self-signed certificate, store). Then `BIN serve -c ./data/outpost.conf`.
# As root, serve binds and then drops to the user named by run_user
# (default "outpost"), giving it ./data. This script creates that system
# user when it is missing; when the user cannot reach ./data (e.g. the tree
# lives under /root, mode 0700), it sets run_user = root in the config
# instead and says so.
set -eu
bin=${1:?usage: scripts/run.sh BIN}
conf=./data/outpost.conf
if [ ! -e "$conf" ]; then
	"$bin" init ./data
fi
if [ "$(id -u)" = 0 ]; then
	user=$(sed -n 's/^[[:space:]]*run_user[[:space:]]*=[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$conf" | tail -n 1)
	user=${user:-outpost}
	if [ "$user" != root ] && ! getent passwd "$user" >/dev/null; then
		echo "run: creating system user $user (useradd --system)" >&2
		useradd --system --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin "$user"
	fi
	if [ "$user" != root ] &&
	    ! runuser -u "$user" -- test -x "$(pwd)" 2>/dev/null; then
		echo "run: user $user cannot reach $(pwd); running as root" \
		    "(run_user = root in $conf)" >&2
		if grep -q '^[[:space:]]*run_user[[:space:]]*=' "$conf"; then
			sed -i 's/^[[:space:]]*run_user[[:space:]]*=.*/run_user = root/' "$conf"
		else
			printf '\n# set by scripts/run.sh: %s cannot reach this directory\nrun_user = root\n' \
			    "$user" >>"$conf"
		fi
	fi
fi
exec "$bin" serve -c "$conf"
