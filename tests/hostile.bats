#!/usr/bin/env bats
# Hostile input to `cos`: broken and malicious STS responses, damaged and
# hostile configuration files, tampered sealed values, wrong passphrases,
# shell syntax in names and values, and a file size limit hit during a
# write.
#
# Most cases are rows of a table.  hostile_case runs one row in a fresh
# configuration directory and checks five things: the exit status, the
# message on stderr, that stdout is empty, that stderr carries no
# terminal control characters, and that every file in the configuration
# directory is byte-identical afterwards.  The tests at the end check the
# cases where hostile values must come through intact.

load lib/common
load lib/scripted

bats_require_minimum_version 1.5.0

setup_file() {
	cos_setup_file || return 1
	scripted_start
}
teardown_file() {
	scripted_stop
	cos_teardown_file
}
setup() {
	cos_setup
	scripted_reset
}
teardown() {
	local dir
	# Stores that unreadable moved out for nobody to use.
	if [ -f "$BATS_TEST_TMPDIR/moved" ]; then
		while read -r dir; do
			rm -rf "$dir"
		done <"$BATS_TEST_TMPDIR/moved"
	fi
}

# ------------------------------------------------------------------
# The table machinery

# Prints every file, directory and link under the configuration
# directory with its type, mode, size and link target, then the SHA-256
# of every regular file.
snapshot() {
	(
		cd "$COS_CONFIG_DIR" 2>/dev/null || exit 0
		find . -printf '%y %m %s %p %l\n' | LC_ALL=C sort
		find . -type f -print0 | LC_ALL=C sort -z |
			xargs -0r sha256sum 2>&1
	)
}

# Runs cos without a controlling terminal (so that a prompt fails instead
# of waiting) and stops it after 20 s (so that a hang fails the row).  As
# root, a row may ask to run it as nobody ($RUN_AS_NOBODY), because root
# reads files whatever their mode.
cos() {
	if [ -n "${RUN_AS_NOBODY:-}" ]; then
		setsid -w timeout 20 setpriv --reuid=65534 --regid=65534 \
			--clear-groups "$COS_BIN" "$@"
	else
		setsid -w timeout 20 "$COS_BIN" "$@"
	fi
}

# Starts a row: an empty configuration directory with the emulator's
# plaintext profile, the store lock already created (readers create it),
# the emulator and the scripted server reset.
fresh_store() {
	rm -rf "$COS_CONFIG_DIR"
	cos_setup >/dev/null || return 1
	write_plain_profile || return 1
	(umask 077 && : >"$COS_CONFIG_DIR/.lock")
	scripted_reset
	export COS_STS_ENDPOINT=$EMULATOR_URL
}

# report ROW WHAT: records a failed check of ROW.
report() {
	printf '%s: %s\n' "$1" "$2" >>"$BATS_TEST_TMPDIR/failures"
}

# contains_in_order TEXT PART...: each PART occurs in TEXT after the
# previous one (fixed strings, not patterns).
contains_in_order() {
	local text=$1 part rest
	shift
	rest=$text
	for part in "$@"; do
		case $rest in
		*"$part"*) rest=${rest#*"$part"} ;;
		*) return 1 ;;
		esac
	done
}

# hostile_case NAME SETUP EXIT MESSAGE COMMAND: runs one row.  SETUP and
# COMMAND are shell text (eval'd); MESSAGE is one or more fixed strings
# separated by " ... " that stderr must contain in that order, with
# {dir} standing for the configuration directory.
hostile_case() {
	local name=$1 setup=$2 code=$3 message=$4 command=$5
	local before after part
	local -a parts=()

	fresh_store || { report "$name" "the store could not be set up"; return; }
	if ! eval "$setup"; then
		report "$name" "setup failed: $setup"
		return
	fi
	message=${message//\{dir\}/$COS_CONFIG_DIR}
	while [[ $message == *" ... "* ]]; do
		parts+=("${message%% ... *}")
		message=${message#* ... }
	done
	parts+=("$message")

	before=$(snapshot)
	run --separate-stderr eval "$command"
	after=$(snapshot)

	if [ "$status" -ge 124 ] && [ "$status" -ne 130 ]; then
		report "$name" "crashed, hung or did not start (exit $status): $stderr"
	fi
	if [ "$status" -ne "$code" ]; then
		report "$name" "exit status $status, expected $code"
	fi
	if ! contains_in_order "$stderr" "${parts[@]}"; then
		report "$name" "stderr lacks '$(printf '%s' "${parts[*]}")': $stderr"
	fi
	if [ -n "$output" ]; then
		report "$name" "stdout is not empty: $output"
	fi
	if [[ $stderr =~ [$'\x01'-$'\x08'$'\x0b'-$'\x1f'$'\x7f'] ]]; then
		report "$name" "stderr contains a control character"
	fi
	if [ "$before" != "$after" ]; then
		report "$name" "the configuration directory changed: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
	fi
	for part in "${parts[@]}"; do
		[ -n "$part" ] || report "$name" "empty message pattern"
	done
}

# run_table [DEFAULT_COMMAND] < TABLE: runs every row of "name | setup |
# exit | message | command" (the command column may be left out for the
# default).  Blank lines and lines starting with # are skipped.  Fails
# listing every failed check.
run_table() {
	local default=${1:-cos token -o env}
	local name setup code message command rows=0

	: >"$BATS_TEST_TMPDIR/failures"
	while IFS='|' read -r name setup code message command; do
		name=$(trim "$name")
		[ -n "$name" ] && [ "${name:0:1}" != "#" ] || continue
		setup=$(trim "$setup")
		command=$(trim "$command")
		# Each row runs in a subshell, so that its exports stay there.
		(hostile_case "$name" "${setup:-:}" "$(trim "$code")" \
			"$(trim "$message")" "${command:-$default}") </dev/null
		rows=$((rows + 1))
	done
	echo "# $rows rows" >&3
	if [ -s "$BATS_TEST_TMPDIR/failures" ]; then
		cat "$BATS_TEST_TMPDIR/failures" >&2
		return 1
	fi
	[ "$rows" -gt 0 ]
}

trim() {
	local s=$1
	s=${s#"${s%%[![:space:]]*}"}
	s=${s%"${s##*[![:space:]]}"}
	printf '%s' "$s"
}

# ------------------------------------------------------------------
# Setup helpers for the rows

fault() { emulator_fault "$@"; }

# Makes the scripted server the STS endpoint with this script.
script() {
	scripted_script "$1" && export COS_STS_ENDPOINT=$SCRIPTED_URL
}

# body TEXT: the scripted server sends exactly the bytes of TEXT.
body() {
	script "[{\"body_hex\": \"$(printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n')\"}]"
}

# creds JSON / response JSON: a success body with these Credentials or
# Response fields replaced (null removes a field).
creds() { script "[{\"success\": true, \"credentials\": $1}]"; }
response() { script "[{\"success\": true, \"response\": $1}]"; }

# put NAME TEXT: replaces a file of the store (printf %b escapes in TEXT).
put() {
	(umask 077 && printf '%b' "$2" >"$COS_CONFIG_DIR/$1")
}

# big NAME: a file of 1 MiB + 1 byte that is valid INI otherwise.
big() {
	(umask 077 && {
		printf '[default]\n'
		head -c $((1024 * 1024)) /dev/zero | tr '\0' '#'
	} >"$COS_CONFIG_DIR/$1")
}

# random_bytes NAME SIZE SEED nul|nonul: SIZE bytes from a fixed seed.
random_bytes() {
	"$COS_TEST_PYTHON" - "$COS_CONFIG_DIR/$1" "$2" "$3" "$4" <<'EOF'
import os, random, sys
path, size, seed, nul = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
r = random.Random(seed)
low = 0 if nul == "nul" else 1
data = bytes(r.randrange(low, 256) for _ in range(size))
if nul == "nul":
    data = data[:size // 2] + b"\0" + data[size // 2 + 1:]
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, data)
os.close(fd)
EOF
}

# unreadable NAME: mode 000.  Root reads such a file anyway, so as root
# the store moves to a directory that nobody owns, and cos runs as nobody.
unreadable() {
	if [ "$(id -u)" -eq 0 ]; then
		local top
		top=$(mktemp -d /tmp/cos-hostile.XXXXXX) || return 1
		echo "$top" >>"$BATS_TEST_TMPDIR/moved"
		chmod 755 "$top"
		cp -a "$COS_CONFIG_DIR" "$top/.cos"
		chown -R 65534:65534 "$top"
		export HOME=$top COS_CONFIG_DIR=$top/.cos RUN_AS_NOBODY=1
		# A checkout inside a private directory (mktemp -d) is out of
		# nobody's reach: run a copy of cos from the new top instead.
		if ! setpriv --reuid=65534 --regid=65534 --clear-groups \
			test -x "$COS_BIN"; then
			cp "$COS_BIN" "$top/cos" && chmod 755 "$top/cos" &&
				export COS_BIN=$top/cos || return 1
		fi
		if ! setpriv --reuid=65534 --regid=65534 --clear-groups \
			test -x "$COS_BIN"; then
			echo "nobody cannot run $COS_BIN" >&2
			return 1
		fi
	fi
	chmod 000 "$COS_CONFIG_DIR/$1"
}

# sealed: seals the plaintext profile (creates master.key).
sealed() {
	"$COS_BIN" configure seal 2>/dev/null
}

# tamper KEY flip|cut|chars|swap: damages the sealed value of KEY.
tamper() {
	"$COS_TEST_PYTHON" - "$COS_CONFIG_DIR/credentials" "$1" "$2" <<'EOF'
import base64, sys
path, key, how = sys.argv[1:4]
lines = open(path).read().split("\n")
index = {l.partition(" = ")[0]: i for i, l in enumerate(lines)}
i = index[key]
name, _, value = lines[i].partition(" = ")
assert value.startswith("cos:v1:")
b64 = value[7:]
if how == "flip":
    raw = bytearray(base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)))
    raw[len(raw) // 2] ^= 0x20
    value = "cos:v1:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")
elif how == "cut":
    value = value[:-10]
elif how == "chars":
    value = value[:20] + "!$(id)" + value[26:]
elif how == "swap":
    other = index["secret_key" if key == "secret_id" else "secret_id"]
    value = lines[other].partition(" = ")[2]
lines[i] = name + " = " + value
open(path, "w").write("\n".join(lines))
EOF
}

# passphrase: protects the master key with a passphrase from a file and
# leaves COS_PASSPHRASE_FILE pointing at it.
passphrase() {
	printf 'the right passphrase\n' >"$BATS_TEST_TMPDIR/right"
	COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/right" \
		"$COS_BIN" configure passphrase set 2>/dev/null &&
	export COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/right"
}

# passphrase_file TEXT: a passphrase file with TEXT (printf %b).
passphrase_file() {
	printf '%b' "$1" >"$BATS_TEST_TMPDIR/given"
	export COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/given"
}

# limited BLOCKS COMMAND...: runs COMMAND under ulimit -f BLOCKS.
limited() {
	local blocks=$1
	shift
	(ulimit -f "$blocks" && "$@")
}

long() { head -c "$1" /dev/zero | tr '\0' "${2:-a}"; }

# ------------------------------------------------------------------
# The tables

@test "hostile: malformed, truncated, oversized and empty STS responses" {
	run_table <<'EOF'
# name               | setup                                    | exit | message
not-json             | fault notjson                            | 1 | Error: STS returned a response that is not valid JSON
empty-body           | fault empty                              | 1 | Error: STS returned an empty response body
oversized-body       | fault oversized                          | 1 | Error: response from ... is larger than 1048576 bytes
truncated-json       | body '{"Response": {"Credentials": {"TmpS' | 1 | Error: STS returned a response that is not valid JSON
cut-off-transfer     | fault close 3                            | 4 | failed: transfer closed with ... AssumeRole failed 3 times in a row
trailing-garbage     | body '{"Response": {}} <html>'           | 1 | Error: STS returned a response that is not valid JSON
byte-order-mark      | body $'\xef\xbb\xbf{"Response": {}}'     | 1 | Error: STS returned a response that is not valid JSON
deep-nesting         | body "$(long 5000 '[')"                  | 1 | Error: STS returned a response that is not valid JSON
top-level-array      | body '[{"Response": {}}]'                | 1 | Error: STS returned JSON without a Response object
response-string      | body '{"Response": "ok"}'                | 1 | Error: STS returned JSON without a Response object
no-credentials       | response '{"Credentials": null}'         | 1 | Error: STS response has no Credentials object
http-302             | script '[{"status": 302, "headers": [["Location", "https://127.0.0.1:9/"]]}]' | 4 | answered HTTP 302
http-404-json        | script '[{"status": 404, "body": "{}"}]' | 4 | answered HTTP 404
EOF
}

@test "hostile: wrong types and bad values in STS fields" {
	run_table <<'EOF'
# name               | setup                                    | exit | message
missing-field        | fault missingfield                       | 1 | Error: STS response has no Credentials.TmpSecretKey
wrong-type-token     | fault wrongtype                          | 1 | Error: STS response field Credentials.Token is not a string
credentials-array    | response '{"Credentials": []}'           | 1 | Error: STS response has no Credentials object
id-number            | creds '{"TmpSecretId": 42}'              | 1 | Error: STS response field Credentials.TmpSecretId is not a string
key-boolean          | creds '{"TmpSecretKey": true}'           | 1 | Error: STS response field Credentials.TmpSecretKey is not a string
id-empty             | creds '{"TmpSecretId": ""}'              | 1 | Error: STS response field Credentials.TmpSecretId is empty
id-over-1024         | creds "{\"TmpSecretId\": \"$(long 1025 A)\"}"  | 1 | Error: STS response field Credentials.TmpSecretId is 1025 bytes, over the limit of 1024
key-over-1024        | creds "{\"TmpSecretKey\": \"$(long 1025 k)\"}" | 1 | Error: STS response field Credentials.TmpSecretKey is 1025 bytes, over the limit of 1024
token-over-4096      | fault token-too-long                     | 1 | Error: STS response field Credentials.Token is 5000 bytes, over the limit of 4096
nul-in-key           | fault nul                                | 1 | Error: STS response field Credentials.TmpSecretKey contains a NUL byte, which no shell variable can hold
escape-in-id         | creds '{"TmpSecretId": "AKID\u001b[31m"}' | 1 | Error: STS response field Credentials.TmpSecretId contains a control character or invalid UTF-8 at offset 4
c1-control-in-token  | creds '{"Token": "t\u009b1m"}'           | 1 | Error: STS response field Credentials.Token contains a control character or invalid UTF-8 at offset 1
invalid-utf8-in-key  | body $'{"Response": {"Credentials": {"TmpSecretId": "a", "TmpSecretKey": "k\xff", "Token": "t"}, "ExpiredTime": 9999999999}}' | 1 | Error: STS response field Credentials.TmpSecretKey contains a control character or invalid UTF-8 at offset 1
expired-already      | response '{"ExpiredTime": 1600000000}'   | 1 | Error: STS returned credentials that expired already (2020-09-13T12:26:40Z)
expiry-float         | response '{"ExpiredTime": 1.8e9}'        | 1 | Error: STS response field ExpiredTime is not an integer
expiry-string        | response '{"ExpiredTime": "1800000000"}' | 1 | Error: STS response field ExpiredTime is not an integer
no-expiry            | response '{"ExpiredTime": null, "Expiration": null}' | 1 | Error: STS response has neither ExpiredTime nor Expiration
bad-expiration       | response '{"ExpiredTime": null, "Expiration": "tomorrow"}' | 1 | Error: STS response field Expiration is not an ISO-8601 UTC time
error-not-object     | body '{"Response": {"Error": "denied"}}' | 1 | Error: STS returned an Error that is not an object
error-escapes        | body '{"Response": {"Error": {"Code": "AuthFailure\u001b[2J", "Message": "no\u001b]0;pwned\u0007\nWarning: fake"}}}' | 3 | Error: no?]0;pwned??Warning: fake ... Code: AuthFailure?[2J
error-code-number    | body '{"Response": {"Error": {"Code": 7, "Message": "odd"}}}' | 3 | Error: odd
hostile-as-dotenv    | fault hostile                            | 1 | Error: cannot write COS_SECRET_ID as a dotenv line: its value contains a quote at position 6 ... use -o env or -o json instead | cos token -o dotenv
EOF
}

@test "hostile: unreadable, oversized, binary and misplaced configuration files" {
	run_table <<'EOF'
# name                   | setup                               | exit | message
unreadable-credentials   | unreadable credentials              | 1 | Error: cannot open '{dir}/credentials': Permission denied
unreadable-config        | unreadable config                   | 1 | Error: cannot open '{dir}/config': Permission denied
oversized-credentials    | big credentials                     | 1 | Error: '{dir}/credentials' is larger than 1048576 bytes
oversized-config         | big config                          | 1 | Error: '{dir}/config' is larger than 1048576 bytes
binary-with-nul          | random_bytes credentials 4096 7 nul | 1 | Error: {dir}/credentials contains a NUL byte; it is not a text file
binary-without-nul       | random_bytes config 4000 1 nonul    | 1 | Error: {dir}/config, line 2: a 'key = value' line before any [section] line
line-over-64k-config     | put config "[default]\nregion = $(long 70000)\n" | 1 | Error: {dir}/config, line 2: longer than 65536 bytes
line-over-64k-cred       | put credentials "[default]\nsecret_id = $(long 65537)\n" | 1 | Error: {dir}/credentials, line 2: longer than 65536 bytes
group-readable           | chmod 640 "$COS_CONFIG_DIR/credentials" | 1 | Error: '{dir}/credentials' is accessible by other users (mode 0640); refusing to use it ... Fix it with: chmod 600 {dir}/credentials
world-readable           | chmod 604 "$COS_CONFIG_DIR/credentials" | 1 | Error: '{dir}/credentials' is accessible by other users (mode 0604); refusing to use it
symlinked-credentials    | mv "$COS_CONFIG_DIR/credentials" "$BATS_TEST_TMPDIR/elsewhere" && ln -s "$BATS_TEST_TMPDIR/elsewhere" "$COS_CONFIG_DIR/credentials" | 1 | Error: '{dir}/credentials' is a symbolic link; cos reads only regular files there
credentials-directory    | rm "$COS_CONFIG_DIR/credentials" && mkdir "$COS_CONFIG_DIR/credentials" | 1 | Error: '{dir}/credentials' is not a regular file
credentials-fifo         | rm "$COS_CONFIG_DIR/credentials" && mkfifo -m 600 "$COS_CONFIG_DIR/credentials" | 1 | Error: '{dir}/credentials' is not a regular file
duplicate-section        | put credentials "[default]\nsecret_id = a\n[default]\nsecret_key = b\n" | 1 | Error: {dir}/credentials, line 3: this section already appeared earlier in the file
duplicate-key            | put credentials "[default]\nsecret_id = a\nSECRET_ID = b\n" | 1 | Error: {dir}/credentials, line 3: this key already appeared earlier in the section
key-before-section       | put config "region = ap-beijing\n[default]\n" | 1 | Error: {dir}/config, line 1: a 'key = value' line before any [section] line
not-key-value            | put config "[default]\n\$(id)\n"      | 1 | Error: {dir}/config, line 2: expected a [section], 'key = value' or a comment
empty-key-name           | put config "[default]\n = x\n"       | 1 | Error: {dir}/config, line 2: a key name is missing before the '=' or ':'
region-with-syntax       | put config "[default]\nregion = \$(id)\n" | 2 | Error: region '$(id)' is not a valid region name such as ap-shanghai
timeout-not-a-number     | put config "[default]\ntimeout = soon\n" | 2 | Error: timeout 'soon' is not a number of seconds
endpoint-not-https       | export COS_STS_ENDPOINT='http://127.0.0.1:9/'   | 2 | Error: STS endpoint 'http://127.0.0.1:9/' is not an https:// URL
EOF
}

@test "hostile: owner check of the credentials file" {
	[ "$(id -u)" -eq 0 ] || skip "only root can give the file to another user"
	run_table <<'EOF'
other-owner | chown 65534 "$COS_CONFIG_DIR/credentials" | 1 | Error: '{dir}/credentials' belongs to another user (uid 65534)
EOF
}

@test "hostile: tampered sealed values and wrong passphrases" {
	run_table <<'EOF'
# name                  | setup                                   | exit | message
flipped-byte            | sealed && tamper secret_key flip        | 1 | Error: cannot open the sealed secret_key of profile 'default' in '{dir}/credentials': the value was changed
truncated-value         | sealed && tamper secret_key cut         | 1 | Error: cannot open the sealed secret_key of profile 'default'
shell-syntax-in-value   | sealed && tamper secret_id chars        | 1 | Error: cannot open the sealed secret_id of profile 'default'
values-swapped          | sealed && tamper secret_id swap         | 1 | Error: cannot open the sealed secret_id of profile 'default'
master-key-missing      | sealed && rm "$COS_CONFIG_DIR/master.key" | 1 | Error: the master key '{dir}/master.key' is missing
master-key-garbage      | sealed && put master.key 'garbage\n'    | 1 | Error: '{dir}/master.key' is not a master key file that this version of cos reads
master-key-huge-memory  | sealed && passphrase && sed -i 's/:67108864:/:999999999999:/' "$COS_CONFIG_DIR/master.key" | 1 | Error: '{dir}/master.key' is not a master key file that this version of cos reads
wrong-passphrase        | sealed && passphrase && passphrase_file 'the wrong passphrase\n' | 5 | Error: wrong passphrase for '{dir}/master.key' ... Check the first line of the file that COS_PASSPHRASE_FILE names.
empty-passphrase-file   | sealed && passphrase && passphrase_file '' | 1 | has an empty first line
long-passphrase-line    | sealed && passphrase && passphrase_file "$(long 1100 p)" | 1 | is longer than 1024 bytes
missing-passphrase-file | sealed && passphrase && export COS_PASSPHRASE_FILE=/nonexistent/pass | 1 | Error: cannot open the passphrase file '/nonexistent/pass' (from COS_PASSPHRASE_FILE): No such file or directory
no-terminal-to-ask      | sealed && passphrase && unset COS_PASSPHRASE_FILE | 2 | Error: no terminal (/dev/tty) to show the prompt ... Set COS_PASSPHRASE_FILE
EOF
}

@test "hostile: shell syntax in profile names, buckets and options" {
	run_table <<'EOF'
# name                 | setup | exit | message | command
profile-subst          |       | 2 | Error: invalid profile name '$(id)': use 1 to 64 letters | cos token --profile '$(id)'
profile-backticks      |       | 2 | Error: invalid profile name '`id`' | cos token --profile '`id`'
profile-newline        |       | 2 | Error: invalid profile name 'a?b' | cos token --profile $'a\nb'
profile-escape         |       | 2 | Error: invalid profile name 'a?[31mb' | cos token --profile $'a\e[31mb'
profile-semicolon      |       | 2 | Error: invalid profile name 'x;id' | cos configure set region ap-beijing --profile 'x;id'
profile-path-env       |       | 2 | Error: invalid profile name '../../etc' | COS_PROFILE=../../etc cos token -o env
profile-65-chars       |       | 2 | Error: invalid profile name | cos token --profile "$(long 65 p)"
profile-import-quote   |       | 2 | Error: invalid profile name 'it's' | cos configure import-token --from-env --profile "it's"
bucket-subst           |       | 2 | Error: bucket 'b$(id)-1250000000' is not a valid COS bucket name | cos token -o env -b 'b$(id)-1250000000'
bucket-semicolon       |       | 2 | Error: bucket 'bkt-1250000000;id' is not a valid COS bucket name | cos token -o env -b 'bkt-1250000000;id'
region-subst           |       | 2 | Error: region '$(id)' is not a valid region name | cos token -o env -r '$(id)'
session-backticks      |       | 2 | Error: session name '`id`' has an invalid character at position 1 | cos token -o env --session-name '`id`'
set-region-subst       |       | 2 | Error: invalid region '$(id)' | cos configure set region '$(id)'
set-value-newline      |       | 2 | Error: invalid session_name | cos configure set session_name $'ab\ncd'
set-secret-nul         |       | 2 | Error: the value on stdin contains a NUL byte | printf 'AKID\0x' | cos configure set secret_id -
set-secret-space       |       | 2 | Error: invalid secret_id: a control character, space or non-ASCII byte at position 5 | printf 'AKID x' | cos configure set secret_id -
set-value-too-long     |       | 2 | Error: the value of ca_bundle is longer than 32768 bytes | cos configure set ca_bundle "/$(long 33000)"
set-unknown-key        |       | 2 | Error: unknown key '$(id)' | cos configure set '$(id)' x
import-not-json        |       | 2 | Error: the JSON on stdin is not a JSON object | printf 'export X=1' | cos configure import-token --json -
import-hostile-token   |       | 2 | Error: invalid token: a control character, space or non-ASCII byte at position 2 | printf '{"Credentials": {"TmpSecretId": "AKID", "TmpSecretKey": "k", "Token": "t $(id)"}}' | cos configure import-token --json - --profile default
EOF
}

@test "hostile: file size limit reached during a write" {
	run_table <<'EOF'
# name               | setup | exit | message | command
# ulimit -f counts 1024-byte blocks.  It applies to stderr too when that
# is a file, as under bats, so the messages must fit in the limit.
one-big-value        |        | 1 | Error: cannot write '{dir}/config': File too large; the file was not changed | limited 1 cos configure set ca_bundle "/$(long 3000)"
many-sealed-keys     | sealed | 1 | Error: cannot write '{dir}/credentials': File too large; the file was not changed | COS_SECRET_ID=AKID$(long 600 i) COS_SECRET_KEY=$(long 600 k) COS_TOKEN=$(long 3000 t) limited 2 cos configure import-token --from-env --profile default
sealing-the-store    | sealed && printf 'token = %s\n' "$(long 900 t)" >>"$COS_CONFIG_DIR/credentials" | 1 | Error: cannot write '{dir}/credentials': File too large; the file was not changed | limited 1 cos configure seal
EOF
}

# ------------------------------------------------------------------
# The table machinery can fail

@test "hostile_case: each check reports its failure" {
	local f="$BATS_TEST_TMPDIR/failures"

	: >"$f"
	(hostile_case wrong-exit 'fault notjson' 2 "not valid JSON" "cos token -o env")
	grep -q "^wrong-exit: exit status 1, expected 2" "$f"

	: >"$f"
	(hostile_case wrong-message 'fault notjson' 1 "some other message" "cos token -o env")
	grep -q "^wrong-message: stderr lacks 'some other message'" "$f"

	: >"$f"
	(hostile_case order 'fault notjson' 1 "JSON ... STS returned" "cos token -o env")
	grep -q "^order: stderr lacks" "$f"

	: >"$f"
	(hostile_case stdout-used '' 0 "plaintext" "cos token -o env")
	grep -q "^stdout-used: stdout is not empty" "$f"

	: >"$f"
	(hostile_case dir-changed '' 0 "" "cos configure set region ap-beijing")
	grep -q "^dir-changed: the configuration directory changed" "$f"
	grep -q "^dir-changed: empty message pattern" "$f"

	: >"$f"
	(hostile_case control-chars '' 1 "x" "printf '\e[31mx' >&2; false")
	grep -q "^control-chars: stderr contains a control character" "$f"

	: >"$f"
	(hostile_case hang '' 0 "x" "setsid -w timeout 1 sleep 5")
	grep -q "^hang: crashed, hung or did not start (exit 124)" "$f"

	: >"$f"
	(hostile_case passes 'fault notjson' 1 "Error: STS returned ... not valid JSON" "cos token -o env")
	[ ! -s "$f" ]
}

# ------------------------------------------------------------------
# Hostile values that must come through intact

# Writes the emulator's hostile values (see its "hostile" fault) into
# $want/id, $want/key and $want/token.
hostile_values() {
	want="$BATS_TEST_TMPDIR/want"
	mkdir -p "$want"
	"$COS_TEST_PYTHON" - "$COS_SRC/tests/emulator" "$want" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
from sts_emulator import HOSTILE_VALUE
for name, prefix in (("id", "AKID"), ("key", "key"), ("token", "tok")):
    with open(sys.argv[2] + "/" + name, "wb") as f:
        f.write((prefix + HOSTILE_VALUE).encode())
EOF
	# The values must really be hostile for these tests to mean anything.
	grep -qF '$(id)' "$want/token" && grep -qF "'" "$want/token" &&
		grep -qF '`' "$want/token" && grep -qF '\' "$want/token" &&
		[ "$(wc -l <"$want/token")" -ge 1 ]
}

# get_hostile FORMAT: runs cos token -o FORMAT on the hostile fault into
# $BATS_TEST_TMPDIR/out.FORMAT, checking the store is unchanged.
get_hostile() {
	local before
	fresh_store
	before=$(snapshot)
	emulator_fault hostile
	"$COS_BIN" token -o "$1" >"$BATS_TEST_TMPDIR/out.$1" 2>"$BATS_TEST_TMPDIR/err.$1"
	[ "$(snapshot)" = "$before" ]
}

# compare_dir DIR: DIR/id, DIR/key and DIR/token equal the wanted bytes.
compare_dir() {
	local name
	for name in id key token; do
		if ! cmp "$want/$name" "$1/$name"; then
			echo "$name differs:" >&2
			od -c "$1/$name" | head -5 >&2
			return 1
		fi
	done
}

@test "hostile values: env output evaluates exactly in bash, zsh and dash" {
	local sh got
	hostile_values
	get_hostile env
	for sh in bash zsh dash; do
		command -v "$sh" >/dev/null || { echo "$sh is not installed" >&2; return 1; }
		got="$BATS_TEST_TMPDIR/got-$sh"
		mkdir -p "$got"
		"$sh" -c '. "$1" && printf %s "$COS_SECRET_ID" >"$2/id" &&
			printf %s "$COS_SECRET_KEY" >"$2/key" &&
			printf %s "$COS_TOKEN" >"$2/token"' sh \
			"$BATS_TEST_TMPDIR/out.env" "$got"
		compare_dir "$got"
		# eval of the command substitution, the way the docs use it.
		rm -f "$got"/*
		"$sh" -c 'eval "$(cat "$1")" && printf %s "$COS_TOKEN" >"$2/token"' \
			sh "$BATS_TEST_TMPDIR/out.env" "$got"
		cmp "$want/token" "$got/token"
	done
	# Nothing ran: $(id) and `id` would have printed uid=.
	! grep -q 'uid=' "$BATS_TEST_TMPDIR/got-bash/token" || false
}

@test "hostile values: fish output evaluates exactly in fish" {
	command -v fish >/dev/null || skip "fish is not installed"
	hostile_values
	get_hostile fish
	local got="$BATS_TEST_TMPDIR/got-fish"
	mkdir -p "$got"
	fish --no-config -c 'source $argv[1]; and printf %s "$COS_SECRET_ID" >$argv[2]/id; and printf %s "$COS_SECRET_KEY" >$argv[2]/key; and printf %s "$COS_TOKEN" >$argv[2]/token' \
		"$BATS_TEST_TMPDIR/out.fish" "$got"
	compare_dir "$got"
}

@test "hostile values: json output parses back exactly" {
	hostile_values
	get_hostile json
	local got="$BATS_TEST_TMPDIR/got-json"
	mkdir -p "$got"
	"$COS_TEST_PYTHON" - "$BATS_TEST_TMPDIR/out.json" "$got" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))["Credentials"]
for name, key in (("id", "TmpSecretId"), ("key", "TmpSecretKey"), ("token", "Token")):
    open(sys.argv[2] + "/" + name, "wb").write(c[key].encode())
EOF
	compare_dir "$got"
}

@test "hostile values: powershell output parses back in pwsh" {
	command -v pwsh >/dev/null || skip "pwsh is not installed (the quoting is fuzzed in tests/fuzz/fuzz_quote.c)"
	hostile_values
	get_hostile powershell
	local got="$BATS_TEST_TMPDIR/got-ps"
	mkdir -p "$got"
	pwsh -NoProfile -Command ". '$BATS_TEST_TMPDIR/out.powershell'; [IO.File]::WriteAllText('$got/token', \$Env:COS_TOKEN)"
	cmp "$want/token" "$got/token"
}

@test "hostile values: dotenv output is refused, table shows no control characters" {
	hostile_values
	get_hostile dotenv || true
	[ ! -s "$BATS_TEST_TMPDIR/out.dotenv" ]
	grep -q "cannot write COS_SECRET_ID as a dotenv line" "$BATS_TEST_TMPDIR/err.dotenv"

	get_hostile table
	[ -s "$BATS_TEST_TMPDIR/out.table" ]
	! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$BATS_TEST_TMPDIR/out.table" || false
	grep -q "AKIDa'b\"c \$(id) \`id\`" "$BATS_TEST_TMPDIR/out.table"
}

@test "hostile values: prefix with shell syntax reaches the policy intact" {
	local prefix='it'"'"'s $(id) `x` "q"'
	fresh_store
	local before
	before=$(snapshot)
	run --separate-stderr "$COS_BIN" token -o env -b bkt-1250000000 -p "$prefix"
	[ "$status" -eq 0 ]
	[ "$(snapshot)" = "$before" ]
	emulator_stats | "$COS_TEST_PYTHON" -c '
import json, sys
policy = json.load(sys.stdin)["last_policy"]
resources = [r for s in policy["statement"] for r in s["resource"]]
want = sys.argv[1]
assert any(r.endswith("/" + want + "*") for r in resources), resources
' "$prefix"
}

@test "hostile values: largest allowed credentials are accepted" {
	fresh_store
	creds "{\"TmpSecretId\": \"$(long 1024 I)\", \"TmpSecretKey\": \"$(long 1024 K)\", \"Token\": \"$(long 4096 T)\"}"
	run --separate-stderr "$COS_BIN" token -o env
	[ "$status" -eq 0 ]
	[[ $output == *"export COS_TOKEN='$(long 4096 T)'"* ]]
	[ "$(scripted_count)" -eq 1 ]
}

# ------------------------------------------------------------------
# The fuzzing corpus

@test "fuzz corpus: every saved input replays without a crash" {
	local target
	for target in ini sts unseal quote; do
		[ -x "$COS_BUILD/test/fuzz/replay_$target" ] ||
			{ echo "run make check to build replay_$target" >&2; return 1; }
		run "$COS_BUILD/test/fuzz/replay_$target" "$COS_SRC/tests/fuzz/corpus/$target"
		assert_no_crash
		[ "$status" -eq 0 ]
		[[ $output =~ ^replayed\ [1-9][0-9]*\ inputs$ ]]
	done
}

@test "fuzz corpus: quoting samples read back in bash, zsh and dash" {
	# Each quoting seed goes through the real binary as all three
	# credentials; values the core rejects must be rejected cleanly.
	local file sh samples=0 rejected=0 got="$BATS_TEST_TMPDIR/got"
	mkdir -p "$got"
	for file in "$COS_SRC"/tests/fuzz/corpus/quote/*; do
		fresh_store
		"$COS_TEST_PYTHON" - "$file" "$SCRIPTED_SCRIPT" <<'EOF'
import json, sys
raw = open(sys.argv[1], "rb").read()
# JSON text that carries the raw bytes: escape only what JSON requires,
# and keep other bytes (even invalid UTF-8) as they are.
out = bytearray(b'"')
for b in raw:
    if b in (0x22, 0x5c) or b < 0x20:
        out += b"\\u%04x" % b
    else:
        out.append(b)
out += b'"'
value = out.decode("latin-1")
body = ('{"Response": {"Credentials": {"TmpSecretId": %s, "TmpSecretKey": %s, '
        '"Token": %s}, "ExpiredTime": 9999999999}}' % (value, value, value))
json.dump([{"body_hex": body.encode("latin-1").hex()}], open(sys.argv[2], "w"))
EOF
		export COS_STS_ENDPOINT=$SCRIPTED_URL
		run --separate-stderr "$COS_BIN" token -o env
		assert_no_crash
		if [ "$status" -ne 0 ]; then
			[ "$status" -eq 1 ]
			[ -z "$output" ]
			[[ $stderr == *"contains a control character or invalid UTF-8"* ||
				$stderr == *"contains a NUL byte"* ||
				$stderr == *"is empty"* ]]
			rejected=$((rejected + 1))
			continue
		fi
		printf '%s' "$output" >"$BATS_TEST_TMPDIR/sample.env"
		for sh in bash zsh dash; do
			rm -f "$got/value"
			"$sh" -c '. "$1" && printf %s "$COS_TOKEN" >"$2"' sh \
				"$BATS_TEST_TMPDIR/sample.env" "$got/value"
			cmp "$file" "$got/value" || { echo "$sh: $file" >&2; return 1; }
		done
		samples=$((samples + 1))
	done
	echo "# $samples samples read back, $rejected rejected" >&3
	[ "$samples" -ge 10 ]
	[ "$rejected" -ge 1 ]
}
