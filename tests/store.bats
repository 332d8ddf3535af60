#!/usr/bin/env bats
# The sealed profile store, through the real `cos` binary: sealing on disk,
# tamper detection, the passphrase, migration of plaintext files, locking,
# atomic writes and file permissions.

load lib/common

bats_require_minimum_version 1.5.0

setup_file() { cos_setup_file; }
teardown_file() { cos_teardown_file; }
setup() {
	cos_setup
	COS="$COS_BUILD/cos"
	TEST_COS="$COS_BUILD/test/cos"
	SECRET_ID=AKIDstoreTest0123456789abcdefghijkl
	SECRET_KEY=storeTestSecretKey0123456789abcd
}

# set_secret KEY VALUE [PROFILE]: stores a secret through stdin.
set_secret() {
	printf '%s\n' "$2" | "$COS" configure set "$1" - --profile "${3:-default}"
}

# Fails when any of the strings appears in a file under the configuration
# directory.
assert_not_on_disk() {
	local s
	for s in "$@"; do
		if grep -rqF -- "$s" "$COS_CONFIG_DIR"; then
			echo "found '$s' in:" >&2
			grep -rlF -- "$s" "$COS_CONFIG_DIR" >&2
			return 1
		fi
	done
}

# Flips one byte inside the sealed value of KEY in the credentials file
# (the decoded bytes, then encoded again, so the value stays valid base64).
flip_sealed_byte() {
	"$COS_TEST_PYTHON" - "$COS_CONFIG_DIR/credentials" "$1" <<'EOF'
import base64, sys
path, key = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
for i, line in enumerate(lines):
    name, sep, value = line.partition(" = ")
    if name == key and value.startswith("cos:v1:"):
        b64 = value[7:]
        raw = bytearray(base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)))
        raw[len(raw) // 2] ^= 0x01
        lines[i] = name + " = cos:v1:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")
        break
else:
    sys.exit("no sealed " + key)
open(path, "w").write("\n".join(lines))
EOF
}

file_mode() { stat -c %a "$1"; }

@test "secrets are sealed on disk" {
	set_secret secret_id "$SECRET_ID"
	set_secret secret_key "$SECRET_KEY"
	run "$COS" configure set assume_role "$EMULATOR_ROLE"
	[ "$status" -eq 0 ]
	assert_not_on_disk "$SECRET_ID" "$SECRET_KEY" "storeTestSecretKey" \
		"0123456789abcdefghijkl"
	grep -q '^secret_id = cos:v1:' "$COS_CONFIG_DIR/credentials"
	grep -q '^secret_key = cos:v1:' "$COS_CONFIG_DIR/credentials"
	grep -qF "assume_role = $EMULATOR_ROLE" "$COS_CONFIG_DIR/credentials"

	run --separate-stderr "$COS" configure get secret_key
	[ "$status" -eq 0 ]
	[ "$output" = "stor****abcd" ]
	[ -z "$stderr" ]
}

@test "sealed profile signs cos token" {
	set_secret secret_id "$EMULATOR_SECRET_ID"
	set_secret secret_key "$EMULATOR_SECRET_KEY"
	"$COS" configure set assume_role "$EMULATOR_ROLE"
	assert_not_on_disk "$EMULATOR_SECRET_ID" "$EMULATOR_SECRET_KEY"

	run --separate-stderr "$COS" token -o json
	assert_no_crash
	[ "$status" -eq 0 ]
	[[ "$output" == *'"TmpSecretId"'* ]]
	[ "$(emulator_count AssumeRole ok)" -eq 1 ]
}

@test "tampered sealed value is detected" {
	set_secret secret_key "$SECRET_KEY"
	flip_sealed_byte secret_key
	cp "$COS_CONFIG_DIR/credentials" "$BATS_TEST_TMPDIR/before"

	run --separate-stderr "$COS" configure get secret_key
	assert_no_crash
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"secret_key"* ]]
	[[ "$stderr" == *"profile 'default'"* ]]
	[[ "$stderr" == *"$COS_CONFIG_DIR/credentials"* ]]
	[[ "$stderr$output" != *"$SECRET_KEY"* ]]

	# Writing another key must not overwrite the damaged value.
	run "$COS" configure set assume_role "$EMULATOR_ROLE"
	[ "$status" -eq 0 ]
	grep -F "secret_key = " "$BATS_TEST_TMPDIR/before" >"$BATS_TEST_TMPDIR/old"
	grep -F "secret_key = " "$COS_CONFIG_DIR/credentials" >"$BATS_TEST_TMPDIR/new"
	cmp "$BATS_TEST_TMPDIR/old" "$BATS_TEST_TMPDIR/new"
}

@test "sealed value moved to another key fails" {
	set_secret secret_id "$SECRET_ID"
	set_secret secret_key "$SECRET_KEY"
	local sealed
	sealed=$(sed -n 's/^secret_key = //p' "$COS_CONFIG_DIR/credentials")
	sed -i "s|^secret_id = .*|secret_id = $sealed|" "$COS_CONFIG_DIR/credentials"

	run --separate-stderr "$COS" configure get secret_id
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"sealed secret_id of profile 'default'"* ]]
}

@test "sealed value moved to another profile fails" {
	set_secret secret_key "$SECRET_KEY"
	local sealed
	sealed=$(sed -n 's/^secret_key = //p' "$COS_CONFIG_DIR/credentials")
	printf '\n[profile other]\nsecret_key = %s\n' "$sealed" \
		>>"$COS_CONFIG_DIR/credentials"

	run --separate-stderr "$COS" configure get secret_key --profile other
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"profile 'other'"* ]]
}

@test "passphrase from COS_PASSPHRASE_FILE" {
	set_secret secret_key "$SECRET_KEY"
	echo "correct horse battery" >"$BATS_TEST_TMPDIR/pass"
	export COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/pass"
	run --separate-stderr "$COS" configure passphrase set
	[ "$status" -eq 0 ]
	grep -q '^cos-master-key:v1:argon2id:' "$COS_CONFIG_DIR/master.key"

	run --separate-stderr "$COS" configure get secret_key
	[ "$status" -eq 0 ]
	[ "$output" = "stor****abcd" ]

	# Without the file and without a terminal it fails at once.
	unset COS_PASSPHRASE_FILE
	run --separate-stderr timeout 10 setsid -w "$COS" configure get secret_key
	assert_no_crash
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[[ "$stderr" == *"COS_PASSPHRASE_FILE"* ]]
}

@test "wrong passphrase exits 5 and changes nothing" {
	set_secret secret_key "$SECRET_KEY"
	echo "right one" >"$BATS_TEST_TMPDIR/pass"
	export COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/pass"
	"$COS" configure passphrase set
	cp -p "$COS_CONFIG_DIR/credentials" "$COS_CONFIG_DIR/master.key" \
		"$BATS_TEST_TMPDIR/"

	echo "wrong one" >"$BATS_TEST_TMPDIR/pass"
	run --separate-stderr "$COS" configure get secret_key
	[ "$status" -eq 5 ]
	[[ "$stderr" == *"wrong passphrase"* ]]

	printf 'newSecretKey0123456789abcdefgh\n' >"$BATS_TEST_TMPDIR/value"
	run --separate-stderr "$COS" configure set secret_key - \
		<"$BATS_TEST_TMPDIR/value"
	[ "$status" -eq 5 ]
	run --separate-stderr "$COS" configure passphrase remove
	[ "$status" -eq 5 ]
	run --separate-stderr "$COS" configure passphrase change
	[ "$status" -eq 5 ]

	cmp "$COS_CONFIG_DIR/credentials" "$BATS_TEST_TMPDIR/credentials"
	cmp "$COS_CONFIG_DIR/master.key" "$BATS_TEST_TMPDIR/master.key"
}

@test "passphrase change and remove" {
	set_secret secret_key "$SECRET_KEY"
	echo "first" >"$BATS_TEST_TMPDIR/pass"
	echo "second" >"$BATS_TEST_TMPDIR/new"
	export COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/pass"
	"$COS" configure passphrase set

	COS_NEW_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/new" \
		run --separate-stderr "$COS" configure passphrase change
	[ "$status" -eq 0 ]
	run "$COS" configure get secret_key
	[ "$status" -eq 5 ]

	export COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/new"
	run "$COS" configure get secret_key
	[ "$status" -eq 0 ]
	[ "$output" = "stor****abcd" ]

	run "$COS" configure passphrase remove
	[ "$status" -eq 0 ]
	grep -q '^cos-master-key:v1:plain:' "$COS_CONFIG_DIR/master.key"
	unset COS_PASSPHRASE_FILE
	run "$COS" configure get secret_key
	[ "$status" -eq 0 ]
	[ "$output" = "stor****abcd" ]
}

@test "plaintext Python CLI file migrates with seal" {
	write_plain_profile
	write_plain_profile dev
	# Comments and keys that cos does not know must survive.
	sed -i '1i # written by the Python COS CLI' "$COS_CONFIG_DIR/credentials"
	printf '[profile extra]\n; keep me\nunknown_key = kept\n' \
		>>"$COS_CONFIG_DIR/credentials"
	cp "$COS_CONFIG_DIR/credentials" "$BATS_TEST_TMPDIR/plain"

	run --separate-stderr "$COS" configure get secret_key
	[ "$status" -eq 0 ]
	[ "$output" = "emul****bcde" ]
	[[ "$stderr" == *"plaintext"* ]]
	[[ "$stderr" == *"$COS_CONFIG_DIR/credentials"* ]]
	[[ "$stderr" == *"cos configure seal"* ]]

	run --separate-stderr "$COS" configure seal
	[ "$status" -eq 0 ]
	assert_not_on_disk "$EMULATOR_SECRET_ID" "$EMULATOR_SECRET_KEY"

	# Only the secret lines changed.
	diff <(grep -v '^secret_' "$BATS_TEST_TMPDIR/plain") \
		<(grep -v '^secret_' "$COS_CONFIG_DIR/credentials")
	[ "$(grep -c '^secret_.* = cos:v1:' "$COS_CONFIG_DIR/credentials")" -eq 4 ]

	run --separate-stderr "$COS" configure get secret_key --profile dev
	[ "$status" -eq 0 ]
	[ "$output" = "emul****bcde" ]
	[ -z "$stderr" ]

	run --separate-stderr "$COS" token -o env --profile dev
	[ "$status" -eq 0 ]
	[[ "$output" == *COS_TOKEN* ]]
}

@test "seal twice changes nothing" {
	write_plain_profile
	"$COS" configure seal 2>/dev/null
	cp "$COS_CONFIG_DIR/credentials" "$BATS_TEST_TMPDIR/once"
	run "$COS" configure seal
	[ "$status" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/once" "$COS_CONFIG_DIR/credentials"
}

@test "fifty parallel writers all persist" {
	local i pids=()
	for ((i = 1; i <= 50; i++)); do
		if ((i % 2)); then
			"$COS" configure set region "ap-r$i" --profile "p$i" &
		else
			printf 'AKIDparallel%04d\n' "$i" |
				"$COS" configure set secret_id - --profile "p$i" &
		fi
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i"
	done

	run "$COS" configure list-profiles
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 50 ]
	local n
	for ((n = 1; n <= 50; n++)); do
		if ((n % 2)); then
			run "$COS" configure get region --profile "p$n"
			[ "$output" = "ap-r$n" ]
		else
			run "$COS" configure get secret_id --profile "p$n"
			[ "$output" = "$(printf 'AKID****%04d' "$n")" ]
		fi
	done
	# No temporary file was left behind.
	[ -z "$(find "$COS_CONFIG_DIR" -name '*.tmp.*')" ]
}

@test "parallel writers of one profile all persist" {
	local keys=(region output session_name sts_endpoint ca_bundle)
	local values=(ap-beijing json sess-one https://sts.example.test /etc/ca.pem)
	local i pids=()
	for i in "${!keys[@]}"; do
		"$COS" configure set "${keys[$i]}" "${values[$i]}" &
		pids+=($!)
	done
	set_secret secret_id "$SECRET_ID" &
	pids+=($!)
	set_secret secret_key "$SECRET_KEY" &
	pids+=($!)
	for i in "${pids[@]}"; do
		wait "$i"
	done
	local n
	for n in "${!keys[@]}"; do
		run "$COS" configure get "${keys[$n]}"
		[ "$output" = "${values[$n]}" ]
	done
	run "$COS" configure get secret_key
	[ "$output" = "stor****abcd" ]
}

@test "writer killed mid-write leaves old file" {
	"$COS" configure set region ap-guangzhou
	cp "$COS_CONFIG_DIR/config" "$BATS_TEST_TMPDIR/old"

	COS_TEST_SLOW_WRITE=30 "$TEST_COS" configure set region ap-beijing 3>&- &
	local pid=$! i
	for ((i = 0; i < 100; i++)); do
		[ -n "$(find "$COS_CONFIG_DIR" -name '.config.tmp.*')" ] && break
		sleep 0.1
	done
	[ -n "$(find "$COS_CONFIG_DIR" -name '.config.tmp.*')" ]
	kill -KILL "$pid"
	wait "$pid" || true

	cmp "$BATS_TEST_TMPDIR/old" "$COS_CONFIG_DIR/config"
	run "$COS" configure get region
	[ "$output" = "ap-guangzhou" ]

	# The next writer takes the lock the dead one held and removes its
	# temporary file.
	run "$COS" configure set region ap-chengdu
	[ "$status" -eq 0 ]
	[ -z "$(find "$COS_CONFIG_DIR" -name '.config.tmp.*')" ]
	run "$COS" configure get region
	[ "$output" = "ap-chengdu" ]
}

@test "secret argument is wiped from argv" {
	# With a master key present, the only write is the credentials file.
	set_secret secret_id "$SECRET_ID"
	COS_TEST_SLOW_WRITE=30 "$TEST_COS" configure set secret_key \
		argvSecretKey0123456789abcdefgh 3>&- 2>/dev/null &
	local pid=$! i
	for ((i = 0; i < 100; i++)); do
		[ -n "$(find "$COS_CONFIG_DIR" -name '.credentials.tmp.*')" ] && break
		sleep 0.1
	done
	[ -n "$(find "$COS_CONFIG_DIR" -name '.credentials.tmp.*')" ]
	local cmdline
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline")
	kill -KILL "$pid"
	wait "$pid" || true
	[[ "$cmdline" == *"configure set secret_key"* ]]
	[[ "$cmdline" != *argvSecretKey* ]]
}

@test "lock held elsewhere makes writers wait" {
	touch "$COS_CONFIG_DIR/.lock"
	flock -x "$COS_CONFIG_DIR/.lock" sleep 1 3>&- &
	local holder=$!
	sleep 0.2
	run "$COS" configure set region ap-nanjing
	wait "$holder"
	[ "$status" -eq 0 ]
	run "$COS" configure get region
	[ "$output" = "ap-nanjing" ]
}

@test "modes under umask 022" {
	rm -rf "$COS_CONFIG_DIR"
	(
		umask 022
		set_secret secret_id "$SECRET_ID"
		"$COS" configure set region ap-beijing
	)
	[ "$(file_mode "$COS_CONFIG_DIR")" = 700 ]
	[ "$(file_mode "$COS_CONFIG_DIR/config")" = 600 ]
	[ "$(file_mode "$COS_CONFIG_DIR/credentials")" = 600 ]
	[ "$(file_mode "$COS_CONFIG_DIR/master.key")" = 600 ]
	[ "$(file_mode "$COS_CONFIG_DIR/.lock")" = 600 ]
}

@test "modes under umask 077 and 277" {
	rm -rf "$COS_CONFIG_DIR"
	(
		umask 077
		set_secret secret_id "$SECRET_ID"
	)
	(
		umask 277
		"$COS" configure set region ap-beijing
		set_secret secret_key "$SECRET_KEY"
	)
	[ "$(file_mode "$COS_CONFIG_DIR")" = 700 ]
	[ "$(file_mode "$COS_CONFIG_DIR/config")" = 600 ]
	[ "$(file_mode "$COS_CONFIG_DIR/credentials")" = 600 ]
	[ "$(file_mode "$COS_CONFIG_DIR/master.key")" = 600 ]
	run "$COS" configure get secret_key
	[ "$output" = "stor****abcd" ]
}

@test "group-readable credentials are rejected" {
	set_secret secret_id "$SECRET_ID"
	chmod 640 "$COS_CONFIG_DIR/credentials"
	run --separate-stderr "$COS" configure get secret_id
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"chmod 600 $COS_CONFIG_DIR/credentials"* ]]
	run --separate-stderr "$COS" configure set secret_id - <<<"AKIDother0000"
	[ "$status" -eq 1 ]
	[ "$(file_mode "$COS_CONFIG_DIR/credentials")" = 640 ]

	chmod 600 "$COS_CONFIG_DIR/credentials"
	chmod 644 "$COS_CONFIG_DIR/master.key"
	run --separate-stderr "$COS" configure get secret_id
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"chmod 600 $COS_CONFIG_DIR/master.key"* ]]
}

@test "symbolic link credentials are rejected" {
	set_secret secret_id "$SECRET_ID"
	mv "$COS_CONFIG_DIR/credentials" "$BATS_TEST_TMPDIR/real"
	ln -s "$BATS_TEST_TMPDIR/real" "$COS_CONFIG_DIR/credentials"
	run --separate-stderr "$COS" configure get secret_id
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"symbolic link"* ]]
}

@test "oversized file and line are rejected" {
	"$COS_TEST_PYTHON" -c 'import sys
sys.stdout.write("[default]\n" + "".join("k%d = %s\n" % (i, "x" * 100) for i in range(11000)))' \
		>"$COS_CONFIG_DIR/config"
	run --separate-stderr "$COS" configure get region
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"larger than 1048576 bytes"* ]]
	run --separate-stderr "$COS" configure set region ap-beijing
	[ "$status" -eq 1 ]
	[ "$(stat -c %s "$COS_CONFIG_DIR/config")" -gt 1048576 ]

	"$COS_TEST_PYTHON" -c 'print("[default]\nk = " + "x" * 70000)' \
		>"$COS_CONFIG_DIR/config"
	run --separate-stderr "$COS" configure get region
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"line 2"* ]]
}

@test "oversized value is rejected and not stored" {
	"$COS_TEST_PYTHON" -c 'print("A" * 40000)' >"$BATS_TEST_TMPDIR/big"
	run --separate-stderr "$COS" configure set secret_key - \
		<"$BATS_TEST_TMPDIR/big"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"longer than"* ]]
	[ ! -e "$COS_CONFIG_DIR/credentials" ]
}

@test "rewrite keeps comments and other profiles" {
	cat >"$COS_CONFIG_DIR/config" <<'EOF'
# my settings
[default]
region = ap-guangzhou
; a comment
custom_key: some value
  continued here

[profile dev]
region=ap-beijing
output = json
EOF
	cp "$COS_CONFIG_DIR/config" "$BATS_TEST_TMPDIR/before"
	run "$COS" configure set region ap-chengdu
	[ "$status" -eq 0 ]
	run "$COS" configure set output env --profile dev
	[ "$status" -eq 0 ]
	run "$COS" configure set session_name my-session --profile dev
	[ "$status" -eq 0 ]
	run "$COS" configure set region ap-hongkong --profile new
	[ "$status" -eq 0 ]
	diff "$BATS_TEST_TMPDIR/before" "$COS_CONFIG_DIR/config" \
		>"$BATS_TEST_TMPDIR/diff" || true
	cat >"$BATS_TEST_TMPDIR/want" <<'EOF'
3c3
< region = ap-guangzhou
---
> region = ap-chengdu
10c10,14
< output = json
---
> output = env
> session_name = my-session
> 
> [profile new]
> region = ap-hongkong
EOF
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/diff"
}

@test "configparser syntax is read" {
	cat >"$COS_CONFIG_DIR/config" <<'EOF'
[default]
    Region:ap-beijing
Session_Name = first
   second
EOF
	run "$COS" configure get region
	[ "$output" = "ap-beijing" ]
	run "$COS" configure get session_name
	[ "$output" = "first"$'\n'"second" ]
}

@test "invalid INI line is an error naming the line" {
	printf '[default]\nregion = ap-beijing\nthis line is wrong\n' \
		>"$COS_CONFIG_DIR/config"
	run --separate-stderr "$COS" configure get region
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"$COS_CONFIG_DIR/config, line 3"* ]]
	run --separate-stderr "$COS" configure set region ap-chengdu
	[ "$status" -eq 1 ]
	grep -q 'this line is wrong' "$COS_CONFIG_DIR/config"
}

@test "missing master key with sealed values" {
	set_secret secret_id "$SECRET_ID"
	rm "$COS_CONFIG_DIR/master.key"
	run --separate-stderr "$COS" configure get secret_id
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"master.key"* ]]
	run --separate-stderr "$COS" configure set secret_key - <<<"$SECRET_KEY"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"master key"* ]]
	[ ! -e "$COS_CONFIG_DIR/master.key" ]
}

@test "cos token with a passphrase-protected key" {
	set_secret secret_id "$EMULATOR_SECRET_ID"
	set_secret secret_key "$EMULATOR_SECRET_KEY"
	"$COS" configure set assume_role "$EMULATOR_ROLE"
	echo "token passphrase" >"$BATS_TEST_TMPDIR/pass"
	export COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/pass"
	"$COS" configure passphrase set

	run --separate-stderr "$COS" token -o env
	[ "$status" -eq 0 ]
	[[ "$output" == *COS_TOKEN* ]]

	echo "not it" >"$BATS_TEST_TMPDIR/pass"
	run --separate-stderr "$COS" token -o env
	[ "$status" -eq 5 ]
	[ -z "$output" ]
}
