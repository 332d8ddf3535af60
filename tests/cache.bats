#!/usr/bin/env bats
# The session cache: reuse and refresh around the margin, one entry per
# request shape, sealing on disk, damaged entries, clear-cache, and 50
# processes starting at once, against the STS emulator.

load lib/common

bats_require_minimum_version 1.5.0

setup_file() { cos_setup_file; }
teardown_file() { cos_teardown_file; }
setup() {
	cos_setup
	COS="$COS_BUILD/cos"
	CACHE="$COS_CONFIG_DIR/cache"
	unset COS_CACHE_MARGIN
}

# secret_id [COS EXEC OPTIONS...]: prints the COS_SECRET_ID that cos exec
# hands to its command.
secret_id() {
	"$COS" exec "$@" -- sh -c 'printf "%s\n" "$COS_SECRET_ID"'
}

session_files() {
	find "$CACHE" -name '*.session' | sort
}

session_count() {
	session_files | wc -l
}

# The only session file; fails when there is not exactly one.
the_session() {
	local files
	files=$(session_files)
	[ -n "$files" ] && [ "$(printf '%s\n' "$files" | wc -l)" -eq 1 ] &&
		printf '%s\n' "$files"
}

# Flips one bit in the decoded sealed value of FIELD in entry FILE.
flip_sealed_bit() {
	python3 - "$1" "$2" <<'EOF'
import base64, sys
path, field = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
for i, line in enumerate(lines):
    name, sep, value = line.partition("=")
    if name == field and value.startswith("cos:v1:"):
        b64 = value[7:]
        raw = bytearray(base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)))
        raw[len(raw) // 2] ^= 0x01
        lines[i] = name + "=cos:v1:" + base64.urlsafe_b64encode(raw).decode().rstrip("=")
        break
else:
    sys.exit("no sealed " + field)
open(path, "w").write("\n".join(lines))
EOF
}

@test "cache second exec makes no request" {
	role_profile
	local first second
	first=$(secret_id)
	[ "$(emulator_count AssumeRole)" -eq 1 ]
	second=$(secret_id)
	[ "$first" = "$second" ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "cache entry files and modes" {
	role_profile
	run "$COS" exec -- true
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$CACHE")" = 700 ]
	local name session
	for name in $(ls -A "$CACHE"); do
		[[ "$name" =~ ^[0-9a-f]{16}-[0-9a-f]{64}\.(session|lock)$ ]]
	done
	[ "$(ls -A "$CACHE" | wc -l)" -eq 2 ]
	session=$(the_session)
	[ "$(stat -c %a "$session")" = 600 ]
	[ "$(head -n 1 "$session")" = "cos-session-cache:v1" ]
	grep -q '^token=cos:v1:' "$session"
	grep -q '^secret_key=cos:v1:' "$session"
	grep -q '^secret_id=cos:v1:' "$session"
}

@test "cache keeps nothing in plaintext" {
	role_profile
	run --separate-stderr "$COS" exec -- env
	[ "$status" -eq 0 ]
	local id key token
	id=$(printf '%s\n' "$output" | sed -n 's/^COS_SECRET_ID=//p')
	key=$(printf '%s\n' "$output" | sed -n 's/^COS_SECRET_KEY=//p')
	token=$(printf '%s\n' "$output" | sed -n 's/^COS_TOKEN=//p')
	[ -n "$id" ] && [ -n "$key" ] && [ -n "$token" ]
	local s
	for s in "$id" "$key" "$token" "$EMULATOR_SECRET_ID" \
		"$EMULATOR_SECRET_KEY"; do
		run grep -rlF -- "$s" "$CACHE"
		[ "$status" -eq 1 ]
	done
}

@test "cache margin from COS_CACHE_MARGIN" {
	role_profile
	local first
	first=$(secret_id)
	# About 7200 seconds are left: more than 7100, not more than 7250.
	[ "$(COS_CACHE_MARGIN=7100 secret_id)" = "$first" ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
	[ "$(COS_CACHE_MARGIN=7250 secret_id)" != "$first" ]
	[ "$(emulator_count AssumeRole)" -eq 2 ]
	# The refreshed session replaced the entry.
	[ "$(session_count)" -eq 1 ]
	[ "$(COS_CACHE_MARGIN=7100 secret_id)" != "$first" ]
	[ "$(emulator_count AssumeRole)" -eq 2 ]
}

@test "cache margin from the profile" {
	role_profile
	printf '[default]\ncache_margin = 7250\n' >>"$COS_CONFIG_DIR/config"
	run "$COS" exec -- true
	run "$COS" exec -- true
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole)" -eq 2 ]
	# The variable wins over the profile.
	COS_CACHE_MARGIN=300 run "$COS" exec -- true
	[ "$(emulator_count AssumeRole)" -eq 2 ]
}

@test "cache margin set through configure" {
	role_profile
	run --separate-stderr "$COS" configure set cache_margin 7250
	[ "$status" -eq 0 ]
	run --separate-stderr "$COS" configure get cache_margin
	[ "$output" = 7250 ]
	run "$COS" exec -- true
	run "$COS" exec -- true
	[ "$(emulator_count AssumeRole)" -eq 2 ]
	run --separate-stderr "$COS" configure set cache_margin 5m
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"invalid cache_margin '5m'"* ]]
	run --separate-stderr "$COS" configure get cache_margin
	[ "$output" = 7250 ]
}

@test "cache margin must be a number" {
	role_profile
	COS_CACHE_MARGIN=5m run --separate-stderr "$COS" exec -- true
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"COS_CACHE_MARGIN '5m' is not a whole number of seconds"* ]]
	COS_CACHE_MARGIN=99999 run --separate-stderr "$COS" exec -- true
	[ "$status" -eq 2 ]
	printf '[default]\ncache_margin = -1\n' >>"$COS_CONFIG_DIR/config"
	run --separate-stderr "$COS" exec -- true
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"cache_margin '-1' of profile 'default'"* ]]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "cache expiry comes from the server" {
	role_profile
	# The emulator's clock runs 6950 s behind, so its 7200 s session
	# ends 250 s from now by our clock: inside the 300 s margin.  cos
	# corrects its timestamp once per call after SignatureExpire.
	emulator_set_clock_offset -6950
	run "$COS" exec -- true
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole ok)" -eq 1 ]
	run "$COS" exec -- true
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole ok)" -eq 2 ]

	# 500 s left is outside the margin, so that session is reused.
	emulator_set_clock_offset -6700
	run "$COS" exec -- true
	[ "$(emulator_count AssumeRole ok)" -eq 3 ]
	run "$COS" exec -- true
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole ok)" -eq 3 ]
}

@test "cache entry per request shape" {
	role_profile
	role_profile other
	local -a shapes=(
		""
		"-d 3600"
		"-r ap-beijing"
		"-b photos-1250000000"
		"-b photos-1250000000 --read-only"
		"--session-name other-session"
		"--profile other"
	)
	local shape n=0
	for shape in "${shapes[@]}"; do
		# shellcheck disable=SC2086
		run "$COS" exec $shape -- true
		[ "$status" -eq 0 ]
		n=$((n + 1))
		[ "$(emulator_count AssumeRole)" -eq "$n" ]
	done
	[ "$(session_count)" -eq "${#shapes[@]}" ]
	for shape in "${shapes[@]}"; do
		# shellcheck disable=SC2086
		run "$COS" exec $shape -- true
		[ "$status" -eq 0 ]
	done
	[ "$(emulator_count AssumeRole)" -eq "$n" ]
}

@test "cache damaged entry is a miss" {
	role_profile
	run "$COS" exec -- true
	local session n=1 damage
	session=$(the_session)
	for damage in flip-token flip-id expiry duration garbage empty \
		truncated no-magic nul; do
		case $damage in
		flip-token) flip_sealed_bit "$session" token ;;
		flip-id) flip_sealed_bit "$session" secret_id ;;
		expiry)
			# A later expiry would extend reuse; it is bound to the seal.
			sed -i 's/^expired_time=\(.*\)/echo expired_time=$((\1 + 9000))/e' \
				"$session" ;;
		duration) sed -i 's/^duration=.*/duration=43200/' "$session" ;;
		garbage) head -c 3000 /dev/urandom >"$session" ;;
		empty) : >"$session" ;;
		truncated) sed -i '$d' "$session" ;;
		no-magic) sed -i '1d' "$session" ;;
		nul) printf 'cos-session-cache:v1\n\0\n' >"$session" ;;
		esac
		run --separate-stderr "$COS" exec -- true
		assert_no_crash
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		n=$((n + 1))
		[ "$(emulator_count AssumeRole)" -eq "$n" ]
		# The entry was replaced with a good one.
		run "$COS" exec -- true
		[ "$(emulator_count AssumeRole)" -eq "$n" ]
	done
}

@test "cache entry moved to another name is a miss" {
	role_profile
	run "$COS" exec -- true
	local short long
	short=$(the_session)
	run "$COS" exec -d 43200 -- true
	long=$(session_files | grep -vxF "$short")
	[ -n "$long" ]
	[ "$(emulator_count AssumeRole)" -eq 2 ]
	# The 7200 s session must not pass for the 43200 s one.
	cp "$short" "$long"
	run "$COS" exec -d 43200 -- true
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole)" -eq 3 ]
}

@test "cache entry readable by others is replaced" {
	role_profile
	run "$COS" exec -- true
	local session
	session=$(the_session)
	chmod 0644 "$session"
	run --separate-stderr "$COS" exec -- true
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole)" -eq 2 ]
	[ "$(stat -c %a "$session")" = 600 ]
}

@test "cache under another master key is a miss" {
	export COS_SECRET_ID=$EMULATOR_SECRET_ID COS_SECRET_KEY=$EMULATOR_SECRET_KEY
	export COS_ASSUME_ROLE=$EMULATOR_ROLE
	run "$COS" exec -- true
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$COS_CONFIG_DIR/master.key")" = 600 ]
	rm "$COS_CONFIG_DIR/master.key"
	run --separate-stderr "$COS" exec -- true
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(emulator_count AssumeRole)" -eq 2 ]
	run "$COS" exec -- true
	[ "$(emulator_count AssumeRole)" -eq 2 ]
}

@test "cache with a passphrase" {
	export COS_SECRET_ID=$EMULATOR_SECRET_ID COS_SECRET_KEY=$EMULATOR_SECRET_KEY
	export COS_ASSUME_ROLE=$EMULATOR_ROLE
	echo "correct horse battery" >"$BATS_TEST_TMPDIR/pass"
	export COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/pass"
	"$COS" configure passphrase set
	run --separate-stderr "$COS" exec -- true
	[ "$status" -eq 0 ]
	run --separate-stderr "$COS" exec -- true
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]

	echo "wrong one" >"$BATS_TEST_TMPDIR/pass"
	run --separate-stderr "$COS" exec -- true
	assert_no_crash
	[ "$status" -eq 5 ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "cos token stays uncached" {
	role_profile
	local id
	id=$(secret_id)
	run --separate-stderr "$COS" token -o json
	[ "$status" -eq 0 ]
	run --separate-stderr "$COS" token -o json
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole)" -eq 3 ]
	[[ "$output" != *"\"$id\""* ]]

	run --separate-stderr "$COS" token --cached -o json
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole)" -eq 3 ]
	[[ "$output" == *"\"TmpSecretId\": \"$id\""* ]]
}

@test "clear-cache removes every session" {
	role_profile
	role_profile other
	run "$COS" exec -- true
	run "$COS" exec --profile other -- true
	[ "$(session_count)" -eq 2 ]
	run --separate-stderr "$COS" configure clear-cache
	[ "$status" -eq 0 ]
	[ "$stderr" = "Removed 2 cached sessions." ]
	[ -z "$(ls -A "$CACHE")" ]
	run "$COS" exec -- true
	[ "$(emulator_count AssumeRole)" -eq 3 ]
}

@test "clear-cache for one profile" {
	role_profile
	role_profile other
	run "$COS" exec -- true
	run "$COS" exec -d 3600 -- true
	run "$COS" exec --profile other -- true
	[ "$(emulator_count AssumeRole)" -eq 3 ]
	run --separate-stderr "$COS" configure clear-cache --profile default
	[ "$status" -eq 0 ]
	[ "$stderr" = "Removed 2 cached sessions of profile 'default'." ]
	[ "$(session_count)" -eq 1 ]
	run "$COS" exec --profile other -- true
	[ "$(emulator_count AssumeRole)" -eq 3 ]
	run "$COS" exec -- true
	[ "$(emulator_count AssumeRole)" -eq 4 ]
}

@test "clear-cache without a cache" {
	run --separate-stderr "$COS" configure clear-cache
	[ "$status" -eq 0 ]
	[ "$stderr" = "Removed 0 cached sessions." ]
	[ ! -e "$CACHE" ]
	run --separate-stderr "$COS" configure clear-cache --profile 'bad name'
	[ "$status" -eq 2 ]
	run --separate-stderr "$COS" configure clear-cache extra
	[ "$status" -eq 2 ]
}

@test "cache lock makes exec wait" {
	role_profile
	run "$COS" exec -- true
	local lock start elapsed
	lock=$(find "$CACHE" -name '*.lock')
	[ -n "$lock" ]
	flock -n "$lock" true
	flock "$lock" sleep 2 &
	sleep 0.5
	start=$(date +%s%N)
	run "$COS" exec -- true
	elapsed=$((($(date +%s%N) - start) / 1000000))
	wait
	[ "$status" -eq 0 ]
	[ "$elapsed" -ge 1000 ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

# run_parallel N: starts N `cos exec` at once with a cold cache; each
# writes its exit status and the COS_SECRET_ID it saw under
# $BATS_TEST_TMPDIR/par.  They wait for one start signal, so that they
# really overlap.
run_parallel() {
	local n=$1 dir="$BATS_TEST_TMPDIR/par" i
	mkdir -p "$dir"
	for ((i = 0; i < n; i++)); do
		(
			while [ ! -e "$dir/go" ]; do sleep 0.01; done
			"$COS" exec -- sh -c 'printf "%s\n" "$COS_SECRET_ID"' \
				>"$dir/out.$i" 2>"$dir/err.$i"
			echo $? >"$dir/rc.$i"
		) &
	done
	sleep 0.5
	touch "$dir/go"
	wait
}

# check_parallel N: every run succeeded with a session, at most 3
# AssumeRole calls were made, and the cache still serves later runs.
check_parallel() {
	local n=$1 dir="$BATS_TEST_TMPDIR/par" i calls ids
	for ((i = 0; i < n; i++)); do
		[ "$(cat "$dir/rc.$i")" = 0 ] || {
			echo "run $i failed:" >&2
			cat "$dir/err.$i" >&2
			return 1
		}
		[ -s "$dir/out.$i" ]
	done
	calls=$(emulator_count AssumeRole)
	echo "AssumeRole calls: $calls" >&2
	[ "$calls" -ge 1 ] && [ "$calls" -le 3 ]
	ids=$(cat "$dir"/out.* | sort -u | wc -l)
	[ "$ids" -le "$calls" ]
	[ "$(session_count)" -eq 1 ]
	[ -z "$(find "$CACHE" -name '.*tmp*')" ]
	run "$COS" exec -- true
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole)" -eq "$calls" ]
}

@test "cache 50 parallel exec" {
	role_profile
	run_parallel 50
	check_parallel 50
}

@test "cache 50 parallel exec without a master key" {
	write_plain_profile
	[ ! -e "$COS_CONFIG_DIR/master.key" ]
	run_parallel 50
	check_parallel 50
	[ "$(stat -c %a "$COS_CONFIG_DIR/master.key")" = 600 ]
}

@test "clear-cache during parallel exec" {
	role_profile
	local dir="$BATS_TEST_TMPDIR/mix" i
	mkdir -p "$dir"
	for ((i = 0; i < 20; i++)); do
		(
			"$COS" exec -- true 2>"$dir/exec-err.$i"
			echo $? >"$dir/exec-rc.$i"
		) &
		(
			"$COS" configure clear-cache 2>/dev/null
			echo $? >"$dir/clear-rc.$i"
		) &
	done
	wait
	for ((i = 0; i < 20; i++)); do
		[ "$(cat "$dir/exec-rc.$i")" = 0 ]
		[ "$(cat "$dir/clear-rc.$i")" = 0 ]
		[ ! -s "$dir/exec-err.$i" ]
	done
	[ -z "$(find "$CACHE" -name '.*tmp*')" ]
}
