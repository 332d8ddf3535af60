#!/usr/bin/env bats
# cos exec: runs COMMAND directly with the four credential variables in
# its environment, against the STS emulator.

load lib/common

bats_require_minimum_version 1.5.0

setup_file() { cos_setup_file; }
teardown_file() { cos_teardown_file; }
setup() {
	cos_setup
	COS="$COS_BUILD/cos"
}

# env_value NAME: the value of NAME in the env(1) output in $output.
env_value() {
	printf '%s\n' "$output" | sed -n "s/^$1=//p"
}

# Prints the emulator's issued credential with TmpSecretId $1 as
# "ExpiredTime ISO-8601", or nothing when it issued none with that id.
issued_expiry() {
	_cos_control GET issued | python3 -c '
import json, sys, time
for c in json.load(sys.stdin):
    if c["TmpSecretId"] == sys.argv[1]:
        t = c["ExpiredTime"]
        print(t, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)))' "$1"
}

@test "exec gives back the core limit and SIGXFSZ" {
	role_profile
	# AddressSanitizer lowers the core limit itself unless told not to.
	export ASAN_OPTIONS="disable_coredump=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	run --separate-stderr bash -c 'ulimit -c unlimited && "$0" exec -- sh -c "ulimit -c"' "$COS"
	[ "$status" -eq 0 ]
	[ "$output" = unlimited ]
	# Started with SIGXFSZ at its default action, COMMAND gets it so,
	# although cos itself ignores the signal.  The kernel's SigIgn mask
	# of grep shows it (bit 24 is signal 25, SIGXFSZ).
	run --separate-stderr python3 -c '
import os, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
os.execv(sys.argv[1], [sys.argv[1], "exec", "--", "grep", "^SigIgn:",
    "/proc/self/status"])' "$COS"
	[ "$status" -eq 0 ]
	mask=$(printf '%s\n' "$output" | awk '{print $2}')
	echo "SigIgn: $mask"
	[ $(( 0x$mask & 0x1000000 )) -eq 0 ]
}

@test "exec env shows the emulator's credentials" {
	role_profile
	run --separate-stderr "$COS" exec -- env
	assert_no_crash
	[ "$status" -eq 0 ]
	local id key token expiration issued
	id=$(env_value COS_SECRET_ID)
	key=$(env_value COS_SECRET_KEY)
	token=$(env_value COS_TOKEN)
	expiration=$(env_value COS_TOKEN_EXPIRATION)
	[ -n "$id" ] && [ -n "$key" ] && [ -n "$token" ]
	[ "$id" != "$EMULATOR_SECRET_ID" ]
	[ "$key" != "$EMULATOR_SECRET_KEY" ]

	# The id and the expiry are the ones the emulator issued.
	issued=$(issued_expiry "$id")
	[ -n "$issued" ]
	[ "${issued#* }" = "$expiration" ]

	# The key and the token are exact: the emulator accepts them.
	COS_SECRET_ID=$id COS_SECRET_KEY=$key COS_TOKEN=$token \
		run --separate-stderr "$COS" whoami -o json
	[ "$status" -eq 0 ]
	[[ "$output" == *'"Type": "CAMRole"'* ]]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "exec passes an environment token through" {
	role_profile
	eval "$("$COS" token -o env)"
	local id=$COS_SECRET_ID token=$COS_TOKEN expiration=$COS_TOKEN_EXPIRATION
	run --separate-stderr "$COS" exec -- env
	[ "$status" -eq 0 ]
	[ "$(env_value COS_SECRET_ID)" = "$id" ]
	[ "$(env_value COS_TOKEN)" = "$token" ]
	[ "$(env_value COS_TOKEN_EXPIRATION)" = "$expiration" ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "exec returns the command's exit status" {
	role_profile
	run "$COS" exec -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run "$COS" exec -- false
	[ "$status" -eq 1 ]
	run "$COS" exec -- true
	[ "$status" -eq 0 ]
}

@test "exec command killed by a signal" {
	role_profile
	run "$COS" exec -- sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
}

@test "exec replaces cos with the command" {
	role_profile
	# bash execs cos, cos execs sh: all three are one process.
	run --separate-stderr bash -c 'echo $$; exec "$1" exec -- sh -c "echo \$\$"' \
		_ "$COS"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "${lines[1]}" ]
}

@test "exec runs no shell" {
	role_profile
	run --separate-stderr "$COS" exec -- /bin/echo '$HOME' '$(id)' 'a;b' '*'
	[ "$status" -eq 0 ]
	[ "$output" = '$HOME $(id) a;b *' ]
}

@test "exec options after -- go to the command" {
	role_profile
	run --separate-stderr "$COS" exec -- printf '%s|' --profile -d -- x
	[ "$status" -eq 0 ]
	[ "$output" = '--profile|-d|--|x|' ]
}

@test "exec missing command is 127" {
	role_profile
	run -127 --separate-stderr "$COS" exec -- no-such-command-for-cos-test
	[ "$status" -eq 127 ]
	[ "$stderr" = "Error: command 'no-such-command-for-cos-test' not found" ]
}

@test "exec command not executable is 126" {
	role_profile
	printf '#!/bin/sh\necho hi\n' >"$BATS_TEST_TMPDIR/script"
	chmod 0644 "$BATS_TEST_TMPDIR/script"
	run --separate-stderr "$COS" exec -- "$BATS_TEST_TMPDIR/script"
	[ "$status" -eq 126 ]
	[[ "$stderr" == "Error: cannot execute '$BATS_TEST_TMPDIR/script': Permission denied" ]]

	run --separate-stderr "$COS" exec -- "$BATS_TEST_TMPDIR"
	[ "$status" -eq 126 ]
}

@test "exec without -- is a usage error" {
	role_profile
	run --separate-stderr "$COS" exec env
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unexpected argument 'env'"* ]]

	run --separate-stderr "$COS" exec --profile default
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"missing '--' before the command"* ]]
	[[ "$stderr" == *"Try 'cos exec --help'."* ]]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "exec without a command is a usage error" {
	role_profile
	run --separate-stderr "$COS" exec --
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"missing the command after '--'"* ]]

	run --separate-stderr "$COS" exec
	[ "$status" -eq 2 ]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "exec bad options are usage errors" {
	role_profile
	run --separate-stderr "$COS" exec -d 60 -- true
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"at least 1800"* ]]
	run --separate-stderr "$COS" exec --bogus -- true
	[ "$status" -eq 2 ]
	run --separate-stderr "$COS" exec --profile a --profile b -- true
	[ "$status" -eq 2 ]
	run --separate-stderr "$COS" exec --prefix x/ -- true
	[ "$status" -eq 2 ]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "exec help lists the exit codes" {
	run --separate-stderr "$COS" exec --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"126 when COMMAND cannot be executed"* ]]
	[[ "$output" == *"127 when it is not found"* ]]
	run --separate-stderr "$COS" --help
	[[ "$output" == *"126 COMMAND cannot be executed"* ]]
	[[ "$output" == *"127 COMMAND not found"* ]]
}

@test "exec with a permanent key drops the token" {
	key_profile
	# A stray expiry without a token must not reach the command.
	export COS_TOKEN_EXPIRATION=2099-01-01T00:00:00Z
	run --separate-stderr "$COS" exec -- env
	[ "$status" -eq 0 ]
	[ "$(env_value COS_SECRET_ID)" = "$EMULATOR_SECRET_ID" ]
	[ "$(env_value COS_SECRET_KEY)" = "$EMULATOR_SECRET_KEY" ]
	[[ "$output" != *COS_TOKEN=* ]]
	[[ "$output" != *COS_TOKEN_EXPIRATION=* ]]
	[[ "$stderr" == *"profile 'default' has no assume_role"* ]]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "exec scoping needs a role session" {
	key_profile
	run --separate-stderr "$COS" exec --read-only -- env
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"option --read-only applies only to a session from AssumeRole"* ]]
	[[ "$output" != *COS_SECRET* ]]

	role_profile other
	eval "$("$COS" token -o env --profile other)"
	run --separate-stderr "$COS" exec -b photos-1250000000 -- env
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"environment token"* ]]
	[[ "$stderr" == *"Unset COS_TOKEN"* ]]
}

@test "exec scoped session carries the policy" {
	role_profile
	run --separate-stderr "$COS" exec -b photos-1250000000 --read-only -- true
	[ "$status" -eq 0 ]
	emulator_stats | python3 -c '
import json, sys
policy = json.load(sys.stdin)["last_policy"]
actions = policy["statement"][0]["action"]
assert all("Put" not in a and "Delete" not in a for a in actions), actions
assert "photos-1250000000" in policy["statement"][0]["resource"][0]'
}

@test "exec rejected key exits 3" {
	printf '%s\n' "$EMULATOR_SECRET_ID" | "$COS" configure set secret_id -
	printf '%s\n' wrongSecretKey0123456789abcdefgh |
		"$COS" configure set secret_key -
	"$COS" configure set assume_role "$EMULATOR_ROLE"
	run --separate-stderr "$COS" exec -- env
	assert_no_crash
	[ "$status" -eq 3 ]
	[[ "$output" != *COS_SECRET* ]]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "exec writes nothing for an environment token" {
	role_profile
	eval "$("$COS" token -o env)"
	find "$HOME" -printf '%p %s %T@\n' | sort >"$BATS_TEST_TMPDIR/before"
	run "$COS" exec -- true
	[ "$status" -eq 0 ]
	find "$HOME" -printf '%p %s %T@\n' | sort >"$BATS_TEST_TMPDIR/after"
	diff "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after"
}

@test "exec with a plaintext profile" {
	write_plain_profile
	run --separate-stderr "$COS" exec -- env
	[ "$status" -eq 0 ]
	[ -n "$(env_value COS_TOKEN)" ]
	[ "$(stat -c %a "$COS_CONFIG_DIR/master.key")" = 600 ]
	run --separate-stderr "$COS" exec -- true
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "exec leaves no descriptors open" {
	role_profile
	# Once to fill the cache, once to read it: neither may leak a lock,
	# a cache file or the STS connection into the command.
	local i
	for i in 1 2; do
		run --separate-stderr "$COS" exec -- sh -c 'ls -l /proc/$$/fd/'
		[ "$status" -eq 0 ]
		[[ "$output" != *"$COS_CONFIG_DIR"* ]]
		[[ "$output" != *"socket:"* ]]
	done
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}
