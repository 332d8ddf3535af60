#!/usr/bin/env bash
# bench/run.sh BUILD - sets up what bench/bench.py measures, runs it, and
# tears everything down again.  `make bench` calls it after building BUILD
# with optimisation.
#
# It starts the STS emulator on 127.0.0.1 with a throwaway CA (through the
# same helpers as the bats suites, tests/lib/common.bash), and creates two
# throwaway profile stores with `cos configure`, the secrets passed on
# stdin: one without a passphrase, and one whose master key is wrapped
# with a passphrase read from COS_PASSPHRASE_FILE.  Everything lives in a
# temporary directory that is removed at the end; ~/.cos is not touched
# and nothing reaches another host.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-build-bench}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cos-bench.XXXXXX")

for tool in python3 openssl curl strace zsh /usr/bin/time; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench: '$tool' not found; run 'make deps' first" >&2
		exit 1
	fi
done

# common.bash is written for bats, so set the bats variables it reads.
export COS_SRC=$src COS_BUILD=$build
BATS_TEST_DIRNAME=$src/tests
BATS_RUN_TMPDIR=$work/run
BATS_FILE_TMPDIR=$work/emulator
mkdir -p "$BATS_RUN_TMPDIR" "$BATS_FILE_TMPDIR"
# shellcheck source=../tests/lib/common.bash
. "$src/tests/lib/common.bash"

cleanup() {
	cos_teardown_file
	rm -rf "$work"
}
trap cleanup EXIT

cos_setup_file

unset COS_PROFILE COS_REGION COS_SECRET_ID COS_SECRET_KEY COS_TOKEN \
	COS_TOKEN_EXPIRATION COS_ASSUME_ROLE COS_PASSPHRASE_FILE \
	COS_KEY_CACHE_SECONDS
export LC_ALL=C

# Writes a profile with the emulator's key and role into the store that
# COS_CONFIG_DIR names.
configure_profile() {
	printf %s "$EMULATOR_SECRET_ID" | "$COS_BIN" configure set secret_id -
	printf %s "$EMULATOR_SECRET_KEY" | "$COS_BIN" configure set secret_key -
	"$COS_BIN" configure set assume_role "$EMULATOR_ROLE"
	"$COS_BIN" configure set region ap-guangzhou
}

# The store without a passphrase, used by most measurements.
export HOME=$work/home
export COS_CONFIG_DIR=$HOME/.cos
mkdir -p -m 0700 "$HOME"
configure_profile

# The store whose master key is wrapped with a passphrase (Argon2id).
export BENCH_PASS_CONFIG_DIR=$work/pass-home/.cos
export BENCH_PASSPHRASE_FILE=$work/passphrase
mkdir -p -m 0700 "$work/pass-home"
(umask 077 && printf '%s\n' "bench-passphrase-$RANDOM$RANDOM" \
	>"$BENCH_PASSPHRASE_FILE")
COS_CONFIG_DIR=$BENCH_PASS_CONFIG_DIR \
	COS_PASSPHRASE_FILE=$BENCH_PASSPHRASE_FILE \
	bash -c "$(declare -f configure_profile); configure_profile &&
		\"\$COS_BIN\" configure passphrase set"

cd "$work"
python3 "$src/bench/bench.py" --out "$src/bench"
