#!/usr/bin/env bats
# builtin_bash.bats - the `cos_token` bash loadable builtin, loaded into a
# real bash (--norc --noprofile) and run against the local STS emulator.

bats_require_minimum_version 1.5.0

load lib/common

setup_file() {
	cos_setup_file
	export SO="$COS_BUILD/cos_token.so"
	if [ "${SANITIZE:-}" = 1 ]; then
		# An ASan-built module needs the ASan runtime loaded first into
		# the uninstrumented bash.
		export SHELL_PRELOAD="$(${CC:-cc} -print-file-name=libasan.so):$(${CC:-cc} -print-file-name=libubsan.so)"
		export ASAN_OPTIONS=detect_leaks=0
	fi
}

teardown_file() {
	cos_teardown_file
}

setup() {
	[ -f "$SO" ] || skip "$SO is not built"
	cos_setup
	write_plain_profile
}

# Runs SCRIPT in a fresh bash with cos_token loaded (exit status 99 when
# loading fails).  The ASan preload, if any, stays out of child processes.
b() {
	local script="unset LD_PRELOAD
enable -f '$SO' cos_token || exit 99
$1"
	if [ -n "${SHELL_PRELOAD:-}" ]; then
		LD_PRELOAD="$SHELL_PRELOAD" bash --norc --noprofile -c "$script"
	else
		bash --norc --noprofile -c "$script"
	fi
}

# Sets four old values that a failed or refused call must leave alone.
OLD_VARS='export COS_SECRET_ID=old-id COS_SECRET_KEY=old-key COS_TOKEN=old-token COS_TOKEN_EXPIRATION=old-exp'
SHOW_VARS='printf "vars=[%s|%s|%s|%s]\n" "${COS_SECRET_ID-unset}" "${COS_SECRET_KEY-unset}" "${COS_TOKEN-unset}" "${COS_TOKEN_EXPIRATION-unset}"'

# Prints the TmpSecretId and ExpiredTime of the credentials the emulator
# issued last, separated by a space.
last_issued() {
	_cos_control GET issued | python3 -c 'import json, sys
issued = json.load(sys.stdin)
print(issued[-1]["TmpSecretId"], issued[-1]["ExpiredTime"])'
}

# Prints the value that the emulator's hostile mode puts after PREFIX.
hostile_value() {
	python3 -c 'import sys
sys.path.insert(0, sys.argv[1])
import sts_emulator
sys.stdout.write(sys.argv[2] + sts_emulator.HOSTILE_VALUE)' \
		"$COS_SRC/tests/emulator" "$1"
}

# Prints the process rule violations in an strace log: an execve other
# than the shell's own, a fork or vfork, or a clone without CLONE_THREAD.
strace_process_violations() {
	local log=$1
	local execs
	execs=$(grep -cE '^[0-9]+ +execve(at)?\(' "$log")
	[ "$execs" -eq 1 ] || echo "execve count $execs, expected 1"
	grep -E '^[0-9]+ +v?fork\(' "$log"
	grep -E '^[0-9]+ +clone3?\(' "$log" | grep -v CLONE_THREAD
	return 0
}

# Prints the file rule violations in an strace log: an open for writing
# (except /dev/null and /dev/tty), or a call that creates, renames or
# removes a file.
strace_file_violations() {
	local log=$1
	grep -E '^[0-9]+ +(open|openat|openat2)\(' "$log" |
		grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TMPFILE|O_TRUNC' |
		grep -vE '"/dev/(null|tty)"'
	grep -E '^[0-9]+ +(creat|mkdir|mkdirat|rename|renameat|renameat2|link|linkat|symlink|symlinkat|unlink|unlinkat|memfd_create|truncate)\(' "$log"
	return 0
}

STRACE_SYSCALLS=clone,clone3,fork,vfork,execve,execveat,open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,unlink,unlinkat,memfd_create,truncate

# Runs bash SCRIPT (cos_token loaded first) under strace -f into LOG.
strace_bash() {
	local log=$1 script=$2 preload=()
	[ -n "${SHELL_PRELOAD:-}" ] && preload=(-E "LD_PRELOAD=$SHELL_PRELOAD")
	strace -f -qq -o "$log" "${preload[@]}" -e "trace=$STRACE_SYSCALLS,chdir,socket,connect,read,write,sendto,recvfrom" \
		-- bash --norc --noprofile -c "enable -f '$SO' cos_token || exit 99
$script"
}

need_strace() {
	strace -o /dev/null true 2>/dev/null || skip "strace cannot trace here"
}

# ------------------------------------------------------------------------
# Build properties

@test "builtin exports only struct and hooks" {
	run nm -D --defined-only "$SO"
	[ "$status" -eq 0 ]
	# ASan adds an __odr_asan.<name> marker for each exported variable.
	names=$(awk '$3 !~ /^__odr_asan\./ { print $3 }' <<<"$output" | sort | tr '\n' ' ')
	echo "exported: $names"
	[ "$names" = "cos_token_builtin_load cos_token_builtin_unload cos_token_struct " ]
}

@test "builtin is linked with BIND_NOW" {
	run readelf -d "$SO"
	[ "$status" -eq 0 ]
	[[ $output == *"(FLAGS)"*"BIND_NOW"* ]]
	[[ $output == *"(FLAGS_1)"*"NOW"* ]]
}

@test "missing symbol fails enable cleanly" {
	# A module that needs a function this bash lacks, linked like ours.
	printf '%s\n' 'extern int no_such_bash_function(void);' \
		'struct b { const char *n; void *f; int fl; void *l; const char *s; void *h; };' \
		'static int run(void *w) { (void)w; return no_such_bash_function(); }' \
		'struct b missing_struct = { "missing", (void *)run, 1, 0, "missing", 0 };' \
		>"$BATS_TEST_TMPDIR/missing.c"
	${CC:-cc} -shared -fPIC -Wl,-z,now -o "$BATS_TEST_TMPDIR/missing.so" \
		"$BATS_TEST_TMPDIR/missing.c"
	run bash --norc --noprofile -c "enable -f '$BATS_TEST_TMPDIR/missing.so' missing; echo \"enable=\$?\"; echo alive"
	[[ $output == *"undefined symbol: no_such_bash_function"* ]]
	[[ $output == *"enable=1"* ]]
	[[ $output == *"alive"* ]]
}

# ------------------------------------------------------------------------
# Fetching

@test "fetch exports four variables to a child" {
	run --separate-stderr b 'cos_token || exit; /usr/bin/env'
	assert_no_crash
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^COS_SECRET_ID=.' <<<"$output")" -eq 1 ]
	[ "$(grep -c '^COS_SECRET_KEY=.' <<<"$output")" -eq 1 ]
	[ "$(grep -c '^COS_TOKEN=.' <<<"$output")" -eq 1 ]
	[[ $output =~ COS_TOKEN_EXPIRATION=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ]]
	[ "$(emulator_count AssumeRole ok)" -eq 1 ]
}

@test "fetch sets the issued id and expiry" {
	run --separate-stderr b 'cos_token || exit; printf "%s %s\n" "$COS_SECRET_ID" "$COS_TOKEN_EXPIRATION"'
	[ "$status" -eq 0 ]
	read -r issued_id issued_time <<<"$(last_issued)"
	[ "$output" = "$issued_id $(date -u -d "@$issued_time" +%Y-%m-%dT%H:%M:%SZ)" ]
}

@test "fetched key and token sign requests" {
	# GetCallerIdentity succeeds only with the exact key and token issued.
	"$COS_BIN" whoami --help >/dev/null 2>&1 || skip "cos whoami is not available"
	run --separate-stderr b 'cos_token || exit; "$COS_BIN" whoami'
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]
	[ "$(emulator_count GetCallerIdentity ok)" -eq 1 ]
}

@test "hostile values are set byte for byte" {
	emulator_fault hostile
	out=$BATS_TEST_TMPDIR
	run --separate-stderr b "cos_token || exit
printf '%s' \"\$COS_SECRET_ID\" >'$out/id'
printf '%s' \"\$COS_SECRET_KEY\" >'$out/key'
printf '%s' \"\$COS_TOKEN\" >'$out/token'
python3 -c 'import os, sys; sys.stdout.write(os.environ[\"COS_TOKEN\"])' >'$out/child-token'"
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]
	hostile_value AKID >"$out/want-id"
	hostile_value key >"$out/want-key"
	hostile_value tok >"$out/want-token"
	cmp "$out/id" "$out/want-id"
	cmp "$out/key" "$out/want-key"
	cmp "$out/token" "$out/want-token"
	cmp "$out/child-token" "$out/want-token"
}

@test "fetch matches cos token -o env" {
	[ -x "$COS_BIN" ] || skip "cos is not built"
	# Hostile values also check that the env format quotes correctly.
	emulator_fault hostile 2
	run --separate-stderr b '
eval "$("$COS_BIN" token -o env)" || exit 1
for v in COS_SECRET_ID COS_SECRET_KEY COS_TOKEN COS_TOKEN_EXPIRATION; do
	declare -n ref=$v; printf -v "cli_$v" "%s" "$ref"; unset -n ref
done
cli_names=$(compgen -e COS_)
unset COS_SECRET_ID COS_SECRET_KEY COS_TOKEN COS_TOKEN_EXPIRATION
cos_token || exit 2
[ "$(compgen -e COS_)" = "$cli_names" ] || { echo "names differ: $cli_names"; exit 3; }
for v in COS_SECRET_ID COS_SECRET_KEY COS_TOKEN; do
	c=cli_$v
	[ "${!v}" = "${!c}" ] || { echo "$v differs"; exit 4; }
done
t1=$(date -u -d "$cli_COS_TOKEN_EXPIRATION" +%s) t2=$(date -u -d "$COS_TOKEN_EXPIRATION" +%s)
[ $((t2 - t1)) -ge 0 ] && [ $((t2 - t1)) -le 5 ] || { echo "expiry $cli_COS_TOKEN_EXPIRATION vs $COS_TOKEN_EXPIRATION"; exit 5; }
[ "${#COS_TOKEN_EXPIRATION}" -eq "${#cli_COS_TOKEN_EXPIRATION}" ] || exit 6
echo same'
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = same ]
}

@test "set -x does not trace values" {
	run --separate-stderr b 'set -x; cos_token; set +x; printf "%s\n" "$COS_SECRET_KEY"'
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	[[ $stderr != *"$output"* ]]
}

# ------------------------------------------------------------------------
# Failures leave the variables alone

@test "wrong key leaves previous values" {
	sed -i 's/^secret_key = .*/secret_key = wrongSecretKey0000000000000000000/' \
		"$COS_CONFIG_DIR/credentials"
	run --separate-stderr b "$OLD_VARS; cos_token; echo \"rc=\$?\"; $SHOW_VARS"
	assert_no_crash
	echo "stderr: $stderr"
	[[ $output == *"rc=3"* ]]
	[[ $output == *"vars=[old-id|old-key|old-token|old-exp]"* ]]
	[[ $stderr == *"cos_token: "* ]]
	[[ $stderr == *"Code: AuthFailure"* ]]
}

@test "emulator fault leaves previous values" {
	for mode in http500 notjson missingfield close nul; do
		_cos_control POST reset >/dev/null
		emulator_fault "$mode" 10
		run --separate-stderr b "$OLD_VARS; cos_token; echo \"rc=\$?\"; $SHOW_VARS"
		assert_no_crash
		echo "$mode: $output / $stderr"
		[[ $output == *"vars=[old-id|old-key|old-token|old-exp]"* ]]
		[[ $output != *"rc=0"* ]]
		[[ $stderr == *"cos_token: "* ]]
	done
}

@test "unreachable endpoint returns 4" {
	# A port that was free a moment ago; nothing listens on it.
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run --separate-stderr b "export COS_STS_ENDPOINT=https://127.0.0.1:$port; $OLD_VARS; cos_token; echo \"rc=\$?\"; $SHOW_VARS"
	echo "stderr: $stderr"
	[[ $output == *"rc=4"* ]]
	[[ $output == *"vars=[old-id|old-key|old-token|old-exp]"* ]]
}

@test "no profile returns 1 with a hint" {
	rm -f "$COS_CONFIG_DIR/credentials" "$COS_CONFIG_DIR/config"
	run --separate-stderr b 'cos_token; echo "rc=$?"'
	echo "stderr: $stderr"
	[ "$output" = "rc=1" ]
	[[ $stderr == *"cos_token: no permanent key"* ]]
	[ "$(wc -l <<<"$stderr")" -ge 2 ]
}

@test "usage errors return 2" {
	run --separate-stderr b 'cos_token --bogus; echo "rc=$?"; cos_token -d 10; echo "rc=$?"; cos_token extra; echo "rc=$?"; cos_token -u -s; echo "rc=$?"'
	[ "$output" = "rc=2
rc=2
rc=2
rc=2" ]
	[[ $stderr == *"cos_token: unknown option '--bogus'"* ]]
	[[ $stderr == *"Try 'cos_token --help'."* ]]
	[[ $stderr == *"cos_token: Duration must be at least 1800 seconds"* ]]
	[[ $stderr == *"cos_token: unexpected argument 'extra'"* ]]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "core validation errors return 2" {
	run --separate-stderr b 'cos_token -r "Bad Region"; echo "rc=$?"; cos_token --profile "a b"; echo "rc=$?"'
	echo "stderr: $stderr"
	[ "$output" = "rc=2
rc=2" ]
	[[ $stderr == *"region 'Bad Region'"* ]]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "invalid COS_KEY_CACHE_SECONDS returns 2" {
	run --separate-stderr b 'export COS_KEY_CACHE_SECONDS=soon; cos_token; echo "rc=$?"'
	[ "$output" = "rc=2" ]
	[[ $stderr == *"invalid COS_KEY_CACHE_SECONDS 'soon'"* ]]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

# ------------------------------------------------------------------------
# Variables the builtin must not assign

# Declares NAME with one attribute, runs cos_token, and checks that it
# fails with status 1, names NAME and the attribute, sends no request and
# changes none of the variables.
check_rejected() {
	local name=$1 declaration=$2 what=$3 before
	before=$(emulator_count AssumeRole)
	run --separate-stderr b "$OLD_VARS
unset $name
target=target-value
$declaration
snapshot() { declare -p COS_SECRET_ID COS_SECRET_KEY COS_TOKEN COS_TOKEN_EXPIRATION target 2>&1; }
old=\$(snapshot)
cos_token; rc=\$?
new=\$(snapshot)
echo \"rc=\$rc\"
[ \"\$old\" = \"\$new\" ] && echo unchanged || printf 'changed:\n%s\n---\n%s\n' \"\$old\" \"\$new\""
	assert_no_crash
	echo "$name $what: $output / $stderr"
	[[ $output == *"rc=1"* ]]
	[[ $output == *"unchanged"* ]]
	[[ $stderr == *"cos_token: cannot set $name: it is $what"* ]]
	[ "$(emulator_count AssumeRole)" -eq "$before" ]
}

NAMES="COS_SECRET_ID COS_SECRET_KEY COS_TOKEN COS_TOKEN_EXPIRATION"

@test "readonly variable rejected" {
	for n in $NAMES; do check_rejected "$n" "readonly $n=ro" "readonly"; done
}

@test "integer variable rejected" {
	for n in $NAMES; do
		check_rejected "$n" "declare -i $n=7" "an integer variable (declare -i)"
	done
}

@test "case-converting variables rejected" {
	for n in $NAMES; do
		check_rejected "$n" "declare -u $n=UP" "an uppercasing variable (declare -u)"
		check_rejected "$n" "declare -l $n=low" "a lowercasing variable (declare -l)"
		check_rejected "$n" "declare -c $n=Cap" "a capitalizing variable (declare -c)"
	done
}

@test "array variables rejected" {
	for n in $NAMES; do
		check_rejected "$n" "$n=(a b)" "an indexed array (declare -a)"
		check_rejected "$n" "declare -A $n=([k]=v)" "an associative array (declare -A)"
	done
}

@test "nameref variable rejected" {
	for n in $NAMES; do
		check_rejected "$n" "declare -n $n=target" "a nameref (declare -n)"
	done
}

@test "integer variable never evaluates a value" {
	# With the check missing, bash would evaluate the hostile value as
	# arithmetic and run the command substitution in it.
	emulator_fault hostile
	run --separate-stderr b "declare -i COS_TOKEN; cos_token; echo \"rc=\$?\""
	[ "$output" = "rc=1" ]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

# ------------------------------------------------------------------------
# -u, -s, --refresh-within

@test "unset removes the variables from children" {
	run --separate-stderr b "$OLD_VARS; cos_token -u; echo \"rc=\$?\"; /usr/bin/env | grep -c '^COS_\(SECRET_ID\|SECRET_KEY\|TOKEN\|TOKEN_EXPIRATION\)='; $SHOW_VARS"
	[ "$output" = "rc=0
0
vars=[unset|unset|unset|unset]" ]
}

@test "unset rejects readonly and changes nothing" {
	run --separate-stderr b "$OLD_VARS; readonly COS_TOKEN_EXPIRATION; cos_token -u; echo \"rc=\$?\"; $SHOW_VARS"
	[ "$output" = "rc=1
vars=[old-id|old-key|old-token|old-exp]" ]
	[[ $stderr == *"cos_token: cannot unset COS_TOKEN_EXPIRATION: it is readonly"* ]]
}

@test "unset rejects a nameref" {
	run --separate-stderr b "$OLD_VARS; target=keep; declare -n COS_TOKEN=target; cos_token -u; echo \"rc=\$?\"; echo \"target=\$target\"; declare -p COS_SECRET_ID"
	[[ $output == *"rc=1"* ]]
	[[ $output == *"target=keep"* ]]
	[[ $output == *'COS_SECRET_ID="old-id"'* ]]
	[[ $stderr == *"cannot unset COS_TOKEN: it is a nameref (declare -n)"* ]]
}

@test "unset clears an integer variable" {
	run --separate-stderr b 'declare -i COS_TOKEN=5; cos_token -u; echo "rc=$?"; echo "${COS_TOKEN-unset}"'
	[ "$output" = "rc=0
unset" ]
}

@test "status reports unset credentials" {
	run --separate-stderr b 'cos_token -s; echo "rc=$?"'
	[ "$output" = "COS credentials: not set
rc=0" ]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "status masks the id and shows no secret" {
	run --separate-stderr b 'cos_token || exit
printf "%s\n%s\n%s\n" "$COS_SECRET_ID" "$COS_SECRET_KEY" "$COS_TOKEN"
echo ---
cos_token -s'
	[ "$status" -eq 0 ]
	id=$(sed -n 1p <<<"$output")
	key=$(sed -n 2p <<<"$output")
	token=$(sed -n 3p <<<"$output")
	report=$(sed '1,/^---$/d' <<<"$output")
	echo "$report"
	[[ $report == "COS credentials: set"* ]]
	[[ $report == *"secret ID: ${id:0:4}****${id: -4}"* ]]
	[[ $report =~ expires:\ +[0-9T:-]+Z\ \(in\ (1h\ 59m|2h\ 0m)\) ]]
	[[ $report != *"$id"* ]]
	[[ $report != *"$key"* ]]
	[[ $report != *"$token"* ]]
}

@test "status reports expired credentials" {
	run --separate-stderr b "$OLD_VARS; COS_TOKEN_EXPIRATION=2001-01-01T00:00:00Z; cos_token -s"
	[ "$status" -eq 0 ]
	[[ $output == "COS credentials: expired"* ]]
	[[ $output == *"(expired "*" ago)"* ]]
}

@test "refresh-within fetches when unset" {
	run --separate-stderr b 'cos_token --refresh-within 60 && echo "${COS_TOKEN:+set}"'
	[ "$output" = set ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "refresh-within skips valid credentials" {
	run --separate-stderr b 'cos_token -d 1800 || exit
old=$COS_TOKEN
cos_token --refresh-within 60 || exit
cos_token --refresh-within 1700 || exit
[ "$COS_TOKEN" = "$old" ] && echo same'
	echo "stderr: $stderr"
	[ "$output" = same ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "refresh-within fetches near expiry" {
	run --separate-stderr b 'cos_token -d 1800 || exit
old=$COS_TOKEN
cos_token --refresh-within 1800 || exit
[ "$COS_TOKEN" != "$old" ] && echo new'
	echo "stderr: $stderr"
	[ "$output" = new ]
	[ "$(emulator_count AssumeRole)" -eq 2 ]
}

@test "refresh-within reuses a cached session" {
	run --separate-stderr b 'cos_token --refresh-within 60 || exit; printf "%s\n" "$COS_TOKEN"'
	[ "$status" -eq 0 ]
	first=$output
	run --separate-stderr b 'cos_token --refresh-within 60 || exit; printf "%s\n" "$COS_TOKEN"'
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "$first" ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "refresh-within skips a cached session inside the window" {
	run --separate-stderr b 'cos_token -d 1800 --refresh-within 60 || exit; printf "%s\n" "$COS_TOKEN"'
	[ "$status" -eq 0 ]
	first=$output
	run --separate-stderr b 'cos_token -d 1800 --refresh-within 1800 || exit; printf "%s\n" "$COS_TOKEN"'
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]
	[ "$output" != "$first" ]
	[ "$(emulator_count AssumeRole)" -eq 2 ]
}

@test "refresh-within fetches when not exported" {
	run --separate-stderr b 'cos_token || exit; export -n COS_TOKEN_EXPIRATION; cos_token --refresh-within 60 || exit; /usr/bin/env | grep -c "^COS_TOKEN_EXPIRATION="'
	echo "stderr: $stderr"
	[ "$output" = 1 ]
	[ "$(emulator_count AssumeRole)" -eq 2 ]
}

@test "refresh-within does no I/O when valid" {
	need_strace
	log=$BATS_TEST_TMPDIR/strace.log
	later=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
	# chdir to /proc and back to / marks the call in the trace.
	run strace_bash "$log" "$OLD_VARS COS_TOKEN_EXPIRATION=$later
cd /proc
cos_token --refresh-within 60; rc=\$?
cd /
exit \$rc"
	[ "$status" -eq 0 ]
	window=$(sed -n '/chdir("\/proc")/,/chdir("\/")/p' "$log")
	echo "$window"
	[ "$(wc -l <<<"$window")" -eq 2 ]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

# ------------------------------------------------------------------------
# Shell semantics

@test "works under set -euo pipefail" {
	run --separate-stderr b 'set -euo pipefail
cos_token
cos_token -s >/dev/null
cos_token --refresh-within 60
printf "%s\n" "${COS_TOKEN:+set}"
cos_token -u
echo done'
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = "set
done" ]
}

@test "failure under set -e stops the script" {
	emulator_fault http500 10
	run --separate-stderr b 'set -e; cos_token; echo not-reached'
	assert_no_crash
	[ "$status" -ne 0 ]
	[ "$output" = "" ]
}

@test "local variables capture the credentials" {
	run --separate-stderr b 'f() {
	local COS_TOKEN
	cos_token || return
	/usr/bin/env | grep -c "^COS_TOKEN=."
}
f || exit
echo "after: ${COS_TOKEN-unset} ${COS_SECRET_ID:+id-set}"
/usr/bin/env | grep -c "^COS_TOKEN=" || true'
	echo "stderr: $stderr"
	[ "$output" = "1
after: unset id-set
0" ]
}

@test "plaintext warning shows once per shell" {
	run --separate-stderr b 'cos_token && cos_token && cos_token'
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]
	[ "$(grep -c "secret_key of profile 'default' is stored in plaintext" <<<"$stderr")" -eq 1 ]
	[[ $stderr == "bash: line "*": cos_token: warning: "* ]]
}

@test "prefix assignment settings reach the core" {
	# bash resolves getenv() to its exported variables, including the
	# temporary ones of a prefix assignment.
	run --separate-stderr b 'COS_PROFILE=nosuch cos_token; echo "rc=$?"'
	[ "$output" = "rc=1" ]
	[[ $stderr == *"profile 'nosuch'"* ]]
}

@test "prefix-assigned variable keeps the new value" {
	run --separate-stderr b 'COS_TOKEN=prefix cos_token || exit
[ "$COS_TOKEN" != prefix ] && [ -n "$COS_TOKEN" ] && echo kept
/usr/bin/env | grep -c "^COS_TOKEN=prefix$" || true'
	echo "stderr: $stderr"
	[ "$output" = "kept
0" ]
}

@test "changed COS_CONFIG_DIR takes effect" {
	run --separate-stderr b "cos_token || exit
export COS_CONFIG_DIR='$BATS_TEST_TMPDIR/empty'
cos_token; echo \"rc=\$?\""
	echo "stderr: $stderr"
	[ "$output" = "rc=1" ]
	[[ $stderr == *"permanent key"* ]]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "help prints the long help" {
	run --separate-stderr b 'help cos_token'
	[ "$status" -eq 0 ]
	[[ $output == *"cos_token: cos_token [-d SECONDS]"* ]]
	[[ $output == *"--refresh-within SECONDS"* ]]
	run --separate-stderr b 'cos_token --help'
	[ "$status" -eq 0 ]
	[[ $output == "Usage: cos_token [-d SECONDS]"* ]]
}

@test "unload and reload work" {
	run --separate-stderr b "cos_token || exit 1
enable -d cos_token || exit 2
type cos_token >/dev/null 2>&1 && exit 3
enable -d cos_token 2>/dev/null && exit 4
enable -f '$SO' cos_token || exit 5
cos_token -u || exit 6
cos_token || exit 7
enable -d cos_token || exit 8
echo ok"
	assert_no_crash
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "no fork, exec or thread-less clone in a call" {
	need_strace
	log=$BATS_TEST_TMPDIR/strace.log
	run strace_bash "$log" 'cos_token && printf "%s\n" "${COS_TOKEN:+set}"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = set ]
	run strace_process_violations "$log"
	echo "$output"
	[ -z "$output" ]
}

@test "no file written or created in a call" {
	need_strace
	log=$BATS_TEST_TMPDIR/strace.log
	run strace_bash "$log" 'cos_token && printf "%s\n" "${COS_TOKEN:+set}"'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = set ]
	run strace_file_violations "$log"
	echo "$output"
	[ -z "$output" ]
}

@test "strace checker flags fork and writes" {
	need_strace
	log=$BATS_TEST_TMPDIR/strace.log
	run strace_bash "$log" "x=\$(echo hi); echo hi >'$BATS_TEST_TMPDIR/f'"
	run strace_process_violations "$log"
	echo "$output"
	[[ $output == *"clone"* ]]
	run strace_file_violations "$log"
	echo "$output"
	[[ $output == *"O_CREAT"* ]]
}

# ------------------------------------------------------------------------
# Passphrase prompt and the key cache

@test "passphrase prompt and key cache" {
	command -v expect >/dev/null || skip "expect is not installed"
	[ -x "$COS_BIN" ] || skip "cos is not built"
	echo "correct horse battery" >"$BATS_TEST_TMPDIR/pass"
	COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/pass" "$COS_BIN" configure passphrase set
	COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/pass" "$COS_BIN" configure seal
	! grep -q "$EMULATOR_SECRET_KEY" "$COS_CONFIG_DIR/credentials"
	run expect -f "$COS_SRC/tests/lib/passphrase-bash.exp" "$SO" "correct horse battery"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"passphrase: ok"* ]]
}

@test "passphrase without a terminal fails at once" {
	[ -x "$COS_BIN" ] || skip "cos is not built"
	echo "correct horse battery" >"$BATS_TEST_TMPDIR/pass"
	COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/pass" "$COS_BIN" configure passphrase set
	COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/pass" "$COS_BIN" configure seal
	# setsid leaves the shell without a controlling terminal.
	run --separate-stderr timeout 20 setsid -w \
		env ${SHELL_PRELOAD:+LD_PRELOAD=$SHELL_PRELOAD} \
		bash --norc --noprofile -c "unset LD_PRELOAD; enable -f '$SO' cos_token || exit 99; $OLD_VARS; cos_token; echo \"rc=\$?\"; $SHOW_VARS"
	assert_no_crash
	echo "stderr: $stderr"
	[ "$output" = "rc=2
vars=[old-id|old-key|old-token|old-exp]" ]
	[[ $stderr == *"COS_PASSPHRASE_FILE"* ]]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "passphrase from COS_PASSPHRASE_FILE needs no terminal" {
	[ -x "$COS_BIN" ] || skip "cos is not built"
	echo "correct horse battery" >"$BATS_TEST_TMPDIR/pass"
	export COS_PASSPHRASE_FILE="$BATS_TEST_TMPDIR/pass"
	"$COS_BIN" configure passphrase set
	"$COS_BIN" configure seal
	run --separate-stderr b 'cos_token && echo "${COS_TOKEN:+set}"'
	echo "stderr: $stderr"
	[ "$output" = set ]
}

# ------------------------------------------------------------------------
# Memory

@test "1000 calls leak nothing under valgrind" {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	[ "${SANITIZE:-}" != 1 ] || skip "valgrind and ASan do not mix"
	# Ten fetches, then ten refreshes after -u: the first refresh fetches
	# and fills the session cache, the other nine read it.  The other
	# calls take the paths with no request.
	run valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=1 bash --norc --noprofile -c "enable -f '$SO' cos_token || exit 99
for ((i = 0; i < 10; i++)); do cos_token || exit 98; done
for ((i = 0; i < 245; i++)); do
	if ((i % 25 == 0)); then cos_token -u; fi
	cos_token --refresh-within 60 || exit 97
	cos_token -s >/dev/null
	cos_token --bogus 2>/dev/null
done
COS_PROFILE=nosuch cos_token 2>/dev/null
enable -d cos_token
echo finished"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *finished* ]]
	fetches=$(emulator_count AssumeRole ok)
	echo "fetches: $fetches"
	[ "$fetches" -eq 11 ]
}

@test "memory stays flat over fetches" {
	[ "${SANITIZE:-}" != 1 ] || skip "ASan keeps freed memory in quarantine"
	# Resident size after 20 fetches and after 100 more; a leak of a
	# response per fetch would show as several hundred KB.
	run --separate-stderr b 'rss() { local k v u; while read -r k v u; do [ "$k" = VmRSS: ] && echo "$v"; done </proc/$$/status; }
for ((i = 0; i < 20; i++)); do cos_token || exit 1; done
a=$(rss)
for ((i = 0; i < 100; i++)); do cos_token || exit 1; done
b=$(rss)
echo "$a $b"'
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]
	read -r first second <<<"$output"
	echo "VmRSS: $first kB, then $second kB"
	[ $((second - first)) -lt 512 ]
}

# ------------------------------------------------------------------------
# Interrupts
#
# These come last: the emulator finishes each aborted slow request about
# 30 s later, and a test after them that counts requests would count it.

@test "Ctrl-C aborts a slow request" {
	command -v expect >/dev/null || skip "expect is not installed"
	emulator_fault slow
	run expect -f "$COS_SRC/tests/lib/ctrlc.exp" bash "enable -f '$SO' cos_token; $OLD_VARS"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"ctrlc: status=130 "*"vars=[old-id|old-key|old-token|old-exp]"* ]]
}

@test "Ctrl-C check fails for an ignored interrupt" {
	# Negative control: a command that ignores SIGINT must fail the check.
	command -v expect >/dev/null || skip "expect is not installed"
	CTRLC_MAX_MS=1500 run expect -f "$COS_SRC/tests/lib/ctrlc.exp" bash \
		"enable -f '$SO' cos_token" "( trap '' INT; sleep 3 )"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"ctrlc: FAIL"* ]]
}

@test "trapped INT aborts a slow request" {
	emulator_fault slow
	start=$(date +%s%N)
	pidfile=$BATS_TEST_TMPDIR/pid
	b "echo \$\$ >'$pidfile'
$OLD_VARS
trap 'echo trap-ran' INT
cos_token; echo \"rc=\$?\"
$SHOW_VARS" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	job=$!
	sleep 1
	kill -INT "$(cat "$pidfile")"
	wait "$job" || true
	elapsed_ms=$((($(date +%s%N) - start) / 1000000))
	cat "$BATS_TEST_TMPDIR/out"
	echo "elapsed: $elapsed_ms ms"
	grep -qx 'trap-ran' "$BATS_TEST_TMPDIR/out"
	grep -qx 'rc=130' "$BATS_TEST_TMPDIR/out"
	grep -qx 'vars=\[old-id|old-key|old-token|old-exp\]' "$BATS_TEST_TMPDIR/out"
	[ "$elapsed_ms" -lt 4000 ]
}
