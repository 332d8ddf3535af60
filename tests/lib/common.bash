# tests/lib/common.bash - shared helpers for the bats suites.
#
# Load it with `load lib/common` from tests/NAME.bats, then:
#
#   setup_file()    { cos_setup_file; }
#   teardown_file() { cos_teardown_file; }
#   setup()         { cos_setup; }
#
# cos_setup_file makes a throwaway CA, starts tests/emulator/sts_emulator.py
# on 127.0.0.1 with a port the system picks, and exports:
#   COS_STS_ENDPOINT, EMULATOR_URL  https://127.0.0.1:PORT
#   EMULATOR_PORT                   PORT
#   COS_CA_BUNDLE                   the CA that signed the emulator's cert
#   EMULATOR_UNTRUSTED_CA           a second CA that did not sign it
#   EMULATOR_SECRET_ID, EMULATOR_SECRET_KEY  a permanent key it accepts
#   EMULATOR_ROLE                   a role ARN that exists
#   EMULATOR_LOG                    its request log (action and outcome)
#   COS_BIN                         "$COS_BUILD/cos"
#   COS_TEST_PYTHON                 the python3 interpreter itself (a
#                                   version-manager shim can cost 0.2 s a run)
#
# Every request goes to 127.0.0.1; nothing here reaches another host.

# The emulator's built-in account (see sts_emulator.py --help).
EMULATOR_BUILTIN_SECRET_ID=AKIDEMULATOR00000000000000000EXAMPLE
EMULATOR_BUILTIN_SECRET_KEY=emulatorSecretKey0123456789abcde
EMULATOR_BUILTIN_ROLE=qcs::cam::uin/100000000001:roleName/cos-test-role

COS_SRC=${COS_SRC:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}
COS_BUILD=${COS_BUILD:-$COS_SRC/build}
export COS_SRC COS_BUILD

# Creates the test PKI in directory $1: ca.pem, server.pem, server.key and
# untrusted-ca.pem.  EC P-256 keys keep it fast.
_cos_make_pki() {
	local dir=$1 ext
	ext="$dir/server.ext"
	printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
		'basicConstraints=critical,CA:FALSE' \
		'keyUsage=critical,digitalSignature' \
		'extendedKeyUsage=serverAuth' >"$ext"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 3 -subj /CN=cos-test-ca \
		-keyout "$dir/ca.key" -out "$dir/ca.pem" &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 3 -subj /CN=cos-untrusted-ca \
		-keyout "$dir/untrusted-ca.key" -out "$dir/untrusted-ca.pem" &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -subj /CN=localhost \
		-keyout "$dir/server.key" -out "$dir/server.csr" &&
	openssl x509 -req -days 3 -in "$dir/server.csr" \
		-CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
		-extfile "$ext" -out "$dir/server.pem"
}

# Makes the PKI once per bats run (cached in $BATS_RUN_TMPDIR) and copies
# it to $BATS_FILE_TMPDIR/pki.
_cos_pki() {
	local cache="$BATS_RUN_TMPDIR/cos-pki" work
	if [ ! -f "$cache/server.pem" ]; then
		work=$(mktemp -d "$BATS_RUN_TMPDIR/cos-pki.XXXXXX") || return 1
		if ! _cos_make_pki "$work" >"$work/openssl.log" 2>&1; then
			cat "$work/openssl.log" >&2
			return 1
		fi
		# A parallel file may have won the race; either copy is good.
		mv -T "$work" "$cache" 2>/dev/null || rm -rf "$work"
	fi
	mkdir -p "$BATS_FILE_TMPDIR/pki" &&
	cp "$cache/ca.pem" "$cache/untrusted-ca.pem" "$cache/server.pem" \
		"$cache/server.key" "$BATS_FILE_TMPDIR/pki/"
}

# Starts the emulator; extra arguments go to sts_emulator.py.
cos_setup_file() {
	local pki="$BATS_FILE_TMPDIR/pki" port_file="$BATS_FILE_TMPDIR/emulator.port"
	local i port

	# Keep curl and libcurl away from any proxy the environment names.
	export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
	unset HTTPS_PROXY https_proxy HTTP_PROXY http_proxy ALL_PROXY all_proxy

	_cos_pki || return 1
	COS_TEST_PYTHON=$(python3 -c 'import sys; print(sys.executable)') ||
		return 1
	export COS_TEST_PYTHON
	rm -f "$port_file"
	export EMULATOR_LOG="$BATS_FILE_TMPDIR/emulator.log"
	"$COS_TEST_PYTHON" "$COS_SRC/tests/emulator/sts_emulator.py" \
		--port-file "$port_file" --cert "$pki/server.pem" \
		--key "$pki/server.key" --log "$EMULATOR_LOG" "$@" \
		</dev/null >"$BATS_FILE_TMPDIR/emulator.out" 2>&1 3>&- &
	export EMULATOR_PID=$!
	echo "$EMULATOR_PID" >"$BATS_FILE_TMPDIR/emulator.pid"

	for ((i = 0; i < 100; i++)); do
		[ -s "$port_file" ] && break
		if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
			echo "emulator exited during start-up:" >&2
			cat "$BATS_FILE_TMPDIR/emulator.out" >&2
			return 1
		fi
		sleep 0.1
	done
	if [ ! -s "$port_file" ]; then
		echo "emulator did not write $port_file within 10 s" >&2
		cat "$BATS_FILE_TMPDIR/emulator.out" >&2
		cos_teardown_file
		return 1
	fi
	read -r port <"$port_file"

	export EMULATOR_PORT=$port
	export EMULATOR_URL="https://127.0.0.1:$port"
	export COS_STS_ENDPOINT=$EMULATOR_URL
	export COS_CA_BUNDLE="$pki/ca.pem"
	export EMULATOR_UNTRUSTED_CA="$pki/untrusted-ca.pem"
	export EMULATOR_SECRET_ID=$EMULATOR_BUILTIN_SECRET_ID
	export EMULATOR_SECRET_KEY=$EMULATOR_BUILTIN_SECRET_KEY
	export EMULATOR_ROLE=$EMULATOR_BUILTIN_ROLE
	export COS_BIN="$COS_BUILD/cos"
}

# Stops the emulator started by cos_setup_file: TERM, then KILL after 5 s.
cos_teardown_file() {
	local pid=${EMULATOR_PID:-} i
	if [ -z "$pid" ] && [ -f "$BATS_FILE_TMPDIR/emulator.pid" ]; then
		read -r pid <"$BATS_FILE_TMPDIR/emulator.pid"
	fi
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

# Gives each test a fresh HOME and COS_CONFIG_DIR, clears the cos
# variables, and resets the emulator's faults, counters and clock offset.
cos_setup() {
	export HOME="$BATS_TEST_TMPDIR/home"
	export COS_CONFIG_DIR="$HOME/.cos"
	export XDG_CONFIG_HOME="$HOME/.config"
	mkdir -p -m 0700 "$HOME" "$COS_CONFIG_DIR"
	cd "$HOME" || return 1
	unset COS_PROFILE COS_REGION COS_SECRET_ID COS_SECRET_KEY COS_TOKEN \
		COS_TOKEN_EXPIRATION COS_ASSUME_ROLE COS_PASSPHRASE_FILE
	local reply
	reply=$(_cos_control POST reset) ||
		{ echo "cos_setup: emulator reset failed: $reply" >&2; return 1; }
}

# Writes $COS_CONFIG_DIR/config and credentials for profile $1 (default:
# default) with the emulator's key and role, mode 0600 in a 0700 directory.
# Sections are [default] or [profile NAME] in both files.
write_plain_profile() {
	local name=${1:-default} section
	if [ "$name" = default ]; then
		section="[default]"
	else
		section="[profile $name]"
	fi
	mkdir -p -m 0700 "$COS_CONFIG_DIR" && chmod 0700 "$COS_CONFIG_DIR" ||
		return 1
	(
		umask 077
		printf '%s\nregion = ap-guangzhou\n\n' "$section" \
			>>"$COS_CONFIG_DIR/config"
		printf '%s\nsecret_id = %s\nsecret_key = %s\nassume_role = %s\n\n' \
			"$section" "$EMULATOR_SECRET_ID" "$EMULATOR_SECRET_KEY" \
			"$EMULATOR_ROLE" >>"$COS_CONFIG_DIR/credentials"
	) && chmod 0600 "$COS_CONFIG_DIR/config" "$COS_CONFIG_DIR/credentials"
}

# key_profile [PROFILE]: stores the emulator's key, sealed, into PROFILE
# (default: default) with `cos configure set`, the secrets through stdin.
key_profile() {
	local profile=${1:-default}
	printf '%s\n' "$EMULATOR_SECRET_ID" |
		"$COS_BIN" configure set secret_id - --profile "$profile" &&
	printf '%s\n' "$EMULATOR_SECRET_KEY" |
		"$COS_BIN" configure set secret_key - --profile "$profile"
}

# role_profile [PROFILE]: key_profile plus the emulator's role.
role_profile() {
	local profile=${1:-default}
	key_profile "$profile" &&
	"$COS_BIN" configure set assume_role "$EMULATOR_ROLE" --profile "$profile"
}

# Sends a control request: _cos_control METHOD NAME [JSON].  Prints the
# response body; fails unless the emulator returns HTTP 200.
_cos_control() {
	local method=$1 name=$2 data=${3:-}
	local args=(--cacert "$COS_CA_BUNDLE" --noproxy '*' -sS --max-time 10
		--fail-with-body -X "$method")
	[ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data "$data")
	curl "${args[@]}" "https://127.0.0.1:$EMULATOR_PORT/__control/$name"
}

# Makes the next COUNT (default 1) STS responses fail with MODE; see
# `sts_emulator.py --help` for the modes.
emulator_fault() {
	local mode=${1:?usage: emulator_fault MODE [COUNT]} count=${2:-1}
	local reply
	reply=$(_cos_control POST fault \
		"{\"mode\": \"$mode\", \"count\": $count}") ||
		{ echo "emulator_fault: $reply" >&2; return 1; }
}

# Prints how many STS requests for ACTION reached the emulator since the
# last reset (cos_setup resets before each test).  With "ok" as the second
# argument, counts only the requests that succeeded.
emulator_count() {
	local action=${1:?usage: emulator_count ACTION [total|ok]}
	local which=${2:-total} stats
	stats=$(_cos_control GET stats) || return 1
	"$COS_TEST_PYTHON" -c 'import json, sys
entry = json.loads(sys.argv[1])["actions"].get(sys.argv[2], {})
print(entry.get(sys.argv[3], 0))' "$stats" "$action" "$which"
}

# Prints the emulator's statistics as JSON (counts, last request headers,
# last AssumeRole policy).
emulator_stats() {
	_cos_control GET stats
}

# Makes the emulator's clock run SECONDS ahead (negative: behind).
emulator_set_clock_offset() {
	local offset=${1:?usage: emulator_set_clock_offset SECONDS}
	local reply
	reply=$(_cos_control POST clock "{\"offset\": $offset}") ||
		{ echo "emulator_set_clock_offset: $reply" >&2; return 1; }
}

# Fails when $status shows that a signal killed the program (>= 128, except
# 130 for an interrupt), or when the output contains a sanitizer report.
assert_no_crash() {
	if [ "${status:-0}" -ge 128 ] && [ "$status" -ne 130 ]; then
		echo "crashed: exit status $status (signal $((status - 128)))" >&2
		echo "output: ${output:-}" >&2
		return 1
	fi
	case "${output:-}${stderr:-}" in
	*"ERROR: AddressSanitizer"* | *"ERROR: LeakSanitizer"* | *"runtime error:"*)
		echo "sanitizer report in the output:" >&2
		echo "${output:-}${stderr:-}" >&2
		return 1
		;;
	esac
	return 0
}
