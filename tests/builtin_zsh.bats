#!/usr/bin/env bats
# builtin_zsh.bats - the zsh module cos/token and its cos_token builtin, in a
# real `zsh -f` against the local STS emulator.

load lib/common

setup_file() {
	export MODULE_DIR="$COS_BUILD/zsh"
	export FAKE_ABI_DIR="$COS_BUILD/test/zsh-fake-abi"
	# An ASan build of the module needs the runtime loaded into zsh first.
	export ZSH_PRELOAD=
	if [ "${SANITIZE:-}" = 1 ]; then
		ZSH_PRELOAD="$(cc -print-file-name=libasan.so):$(cc -print-file-name=libubsan.so)"
	fi
	cos_setup_file
}

teardown_file() {
	cos_teardown_file
}

setup() {
	[ -f "$MODULE_DIR/cos/token.so" ] ||
		fail_test "missing $MODULE_DIR/cos/token.so; run make first"
	cos_setup
	write_plain_profile
	export OUT="$BATS_TEST_TMPDIR"
}

fail_test() {
	printf '# %s\n' "$@" >&3
	return 1
}

# Runs zsh -f with the arguments, with the ASan runtime when needed.  The
# script then removes LD_PRELOAD, so that the programs it starts (curl,
# for one, hangs with the ASan runtime preloaded) run without it.
zsh_cmd() {
	if [ -n "$ZSH_PRELOAD" ]; then
		[ "$1" = -c ] && set -- -c "unset LD_PRELOAD; $2" "${@:3}"
		ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$ZSH_PRELOAD" zsh -f "$@"
	else
		zsh -f "$@"
	fi
}

# Prints strace options that give the traced zsh the ASan runtime.
strace_preload() {
	[ -z "$ZSH_PRELOAD" ] ||
		printf '%s\n' -E "LD_PRELOAD=$ZSH_PRELOAD" -E ASAN_OPTIONS=detect_leaks=0
}

# Runs SCRIPT in a fresh `zsh -f` after loading the module; 99 means the
# module did not load.
z() {
	zsh_cmd -c 'module_path=("$MODULE_DIR" $module_path)
zmodload cos/token || exit 99
'"$1"
}

# Asserts that files $1 and $2 have the same bytes, showing the difference
# when they do not.
assert_same_file() {
	cmp "$1" "$2" || {
		diff "$1" "$2" | head -20 >&3
		return 1
	}
}

# zsh code that prints the four values, and the environment a child gets.
SAVE_VARS='print -r -- "${COS_SECRET_ID-unset}|${COS_SECRET_KEY-unset}|${COS_TOKEN-unset}|${COS_TOKEN_EXPIRATION-unset}"; /usr/bin/env | grep -E "^COS_(SECRET_ID|SECRET_KEY|TOKEN|TOKEN_EXPIRATION)=" | sort'

@test "module exports only the six entry points" {
	run nm -D --defined-only "$MODULE_DIR/cos/token.so"
	[ "$status" -eq 0 ]
	names=$(printf '%s\n' "$output" | awk '{ print $3 }' | sort | tr '\n' ' ')
	[ "$names" = "boot_ cleanup_ enables_ features_ finish_ setup_ " ]
}

@test "module is linked with immediate binding and relro" {
	run readelf -d "$MODULE_DIR/cos/token.so"
	[ "$status" -eq 0 ]
	[[ "$output" == *"BIND_NOW"* || "$output" == *"FLAGS_1"*"NOW"* ]]
	run readelf -l "$MODULE_DIR/cos/token.so"
	[[ "$output" == *"GNU_RELRO"* ]]
}

@test "loads with module_path and exports all four" {
	run zsh_cmd -c "module_path+=($MODULE_DIR); zmodload cos/token; cos_token; env | grep ^COS_"
	[ "$status" -eq 0 ]
	[[ "$output" == *"COS_SECRET_ID=AKID"* ]]
	[[ "$output" == *"COS_SECRET_KEY="?* ]]
	[[ "$output" == *"COS_TOKEN="?* ]]
	[[ "$output" =~ COS_TOKEN_EXPIRATION=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ]]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "values match the emulator and the child's env" {
	run z 'cos_token || exit $?
for v in COS_SECRET_ID COS_SECRET_KEY COS_TOKEN COS_TOKEN_EXPIRATION; do
	print -rn -- "${(P)v}" > "$OUT/shell.$v"
	/usr/bin/printenv $v > "$OUT/child.$v" || exit 7
done'
	[ "$status" -eq 0 ]
	for v in COS_SECRET_ID COS_SECRET_KEY COS_TOKEN COS_TOKEN_EXPIRATION; do
		[ -s "$OUT/shell.$v" ]
		# printenv adds one newline.
		{ cat "$OUT/shell.$v"; printf '\n'; } > "$OUT/shell-nl.$v"
		assert_same_file "$OUT/shell-nl.$v" "$OUT/child.$v"
	done
	# The emulator records the ID and expiry of what it issued.
	curl -sS --cacert "$COS_CA_BUNDLE" "$COS_STS_ENDPOINT/__control/issued" \
		> "$OUT/issued.json"
	run python3 -c 'import json, sys, time
issued = json.load(open(sys.argv[1]))
mine = [c for c in issued if c["TmpSecretId"] == sys.argv[2]]
assert len(mine) == 1, "the emulator issued no such secret ID"
print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(mine[0]["ExpiredTime"])))' \
		"$OUT/issued.json" "$(cat "$OUT/shell.COS_SECRET_ID")"
	[ "$status" -eq 0 ]
	[ "$output" = "$(cat "$OUT/shell.COS_TOKEN_EXPIRATION")" ]
}

@test "key and token are accepted by the emulator" {
	# Signing GetCallerIdentity with the temporary key and token proves
	# that both reached the child byte for byte.
	run z 'cos_token || exit $?
python3 "$COS_SRC/tests/lib/sts_identity.py"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"qcs::sts:"*":assumed-role/"* ]]
	[ "$(emulator_count GetCallerIdentity)" -eq 1 ]
}

@test "same variables as eval of cos token -o env" {
	# Each request issues new values, so compare names, types, lengths of
	# the fixed-size values and the expiry format.
	shape='for v in COS_SECRET_ID COS_SECRET_KEY COS_TOKEN COS_TOKEN_EXPIRATION; do
	value=${(P)v}
	if [[ $v == COS_TOKEN_EXPIRATION ]]; then
		value=${value//[0-9]/9}
	else
		value=${value//[A-Za-z0-9+\/=_-]/.}
	fi
	print -r -- "$v ${(t)${(P)v}} ${#value} $value"
done'
	run z 'cos_token 2> /dev/null || exit 10
'"$shape"
	[ "$status" -eq 0 ]
	builtin=$output
	run zsh_cmd -c 'eval "$("$COS_BIN" token -o env 2> /dev/null)" || exit 10
'"$shape"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 4 ]
	[ "${lines[0]%% *}" = COS_SECRET_ID ]
	[ "$output" = "$builtin" ] || fail_test "cos_token:" "$builtin" "eval:" "$output"
	[[ "$builtin" == *"COS_TOKEN_EXPIRATION scalar-export 20 9999-99-99T99:99:99Z"* ]]
}

@test "hostile values are set exactly, never evaluated" {
	emulator_fault hostile
	cd "$OUT"
	run z 'cos_token || exit $?
for v in COS_SECRET_ID COS_SECRET_KEY COS_TOKEN; do
	print -rn -- "${(P)v}" > "$OUT/shell.$v"
	/usr/bin/printenv $v > "$OUT/child.$v" || exit 7
done'
	[ "$status" -eq 0 ]
	hostile=$(printf 'a'"'"'b"c $(id) `id` \\d\\\\e f\ng')
	printf '%s' "AKID$hostile" > "$OUT/want.COS_SECRET_ID"
	printf '%s' "key$hostile" > "$OUT/want.COS_SECRET_KEY"
	printf '%s' "tok$hostile" > "$OUT/want.COS_TOKEN"
	for v in COS_SECRET_ID COS_SECRET_KEY COS_TOKEN; do
		cmp "$OUT/want.$v" "$OUT/shell.$v"
		printf '\n' >> "$OUT/want.$v"
		cmp "$OUT/want.$v" "$OUT/child.$v"
	done
}

@test "readonly variable rejected, nothing changed" {
	run z 'cos_token || exit 10
{ '"$SAVE_VARS"' } > "$OUT/before"
readonly COS_TOKEN
cos_token
print -r -- "rc=$?"
{ '"$SAVE_VARS"' } > "$OUT/after"
print -r -- still running'
	[ "$status" -eq 0 ]
	[[ "$output" == *"cannot set COS_TOKEN: it is readonly"* ]]
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *"still running"* ]]
	[ "$(wc -l < "$OUT/before")" -eq 5 ]
	assert_same_file "$OUT/before" "$OUT/after"
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "non-scalar parameters rejected, nothing changed" {
	local decl
	for decl in 'typeset -i COS_TOKEN=7' 'typeset -F COS_TOKEN=1.5' \
	    'typeset -E COS_SECRET_KEY=2' 'typeset -a COS_SECRET_ID=(a b)' \
	    'typeset -A COS_TOKEN_EXPIRATION=(k v)' 'typeset -u COS_TOKEN=x' \
	    'typeset -l COS_SECRET_ID=x' 'typeset -Z 5 COS_TOKEN=1' \
	    'typeset -L 3 COS_SECRET_KEY=abcdef' \
	    'typeset -T COS_TOKEN cos_token_parts'; do
		run z "$decl"'
typeset -p COS_SECRET_ID COS_SECRET_KEY COS_TOKEN COS_TOKEN_EXPIRATION cos_token_parts > "$OUT/before" 2>/dev/null
cos_token
print -r -- "rc=$?"
typeset -p COS_SECRET_ID COS_SECRET_KEY COS_TOKEN COS_TOKEN_EXPIRATION cos_token_parts > "$OUT/after" 2>/dev/null
print -r -- still running'
		[ "$status" -eq 0 ] || fail_test "$decl: status $status" "$output"
		[[ "$output" == *"cannot set COS_"*": it is "* ]] ||
			fail_test "$decl: no error naming the variable" "$output"
		[[ "$output" == *"rc=1"* ]] || fail_test "$decl" "$output"
		[[ "$output" == *"still running"* ]] || fail_test "$decl" "$output"
		cmp "$OUT/before" "$OUT/after" || fail_test "$decl: values changed"
	done
	# Rejected before any request.
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "failed request leaves previous values" {
	run z 'cos_token || exit 10
{ '"$SAVE_VARS"' } > "$OUT/before"
# RequestLimitExceeded is retried, so fail all three attempts.
curl -sS --cacert "$COS_CA_BUNDLE" -d "{\"mode\": \"limit\", \"count\": 3}" "$COS_STS_ENDPOINT/__control/fault" > /dev/null
cos_token
print -r -- "limit rc=$?"
cos_token --duration 60
print -r -- "usage rc=$?"
COS_STS_ENDPOINT=https://127.0.0.1:1 cos_token
print -r -- "network rc=$?"
{ '"$SAVE_VARS"' } > "$OUT/after"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"limit rc=3"* ]]
	[[ "$output" == *"RequestLimitExceeded"* ]]
	[[ "$output" == *"usage rc=2"* ]]
	[[ "$output" == *"network rc=4"* ]]
	[ "$(wc -l < "$OUT/before")" -eq 5 ]
	assert_same_file "$OUT/before" "$OUT/after"
}

@test "usage errors return 2 and name the word" {
	run z 'cos_token --bogus; print -r -- "rc=$?"; cos_token extra; print -r -- "rc=$?"; cos_token -u -s; print -r -- "rc=$?"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"unknown option '--bogus'"* ]]
	[[ "$output" == *"unexpected argument 'extra'"* ]]
	[[ "$output" == *"cannot be used together"* ]]
	[ "$(printf '%s\n' "$output" | grep -c '^rc=2$')" -eq 3 ]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "unset removes all four from the child env" {
	run z 'cos_token || exit 10
cos_token --unset || exit 11
print -r -- "left=[${COS_SECRET_ID-}${COS_SECRET_KEY-}${COS_TOKEN-}${COS_TOKEN_EXPIRATION-}]"
/usr/bin/env'
	[ "$status" -eq 0 ]
	[[ "$output" == *"left=[]"* ]]
	[[ "$output" != *"COS_SECRET_ID="* ]]
	[[ "$output" != *"COS_SECRET_KEY="* ]]
	[[ "$output" != *"COS_TOKEN="* ]]
	[[ "$output" != *"COS_TOKEN_EXPIRATION="* ]]
}

@test "unset rejects a readonly variable" {
	run z 'cos_token || exit 10
readonly COS_SECRET_KEY
cos_token -u
print -r -- "rc=$?"
print -r -- "id=${COS_SECRET_ID:+set}"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"cannot unset COS_SECRET_KEY: it is readonly"* ]]
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *"id=set"* ]]
}

@test "status masks the secret ID and shows no secret" {
	run z 'cos_token || exit 10
print -rn -- "$COS_SECRET_ID" > "$OUT/id"
print -rn -- "$COS_SECRET_KEY" > "$OUT/key"
print -rn -- "$COS_TOKEN" > "$OUT/token"
cos_token --status'
	[ "$status" -eq 0 ]
	id=$(cat "$OUT/id")
	[[ "$output" == *"COS credentials: set"* ]]
	[[ "$output" == *"secret ID: ${id:0:4}****${id: -4}"* ]]
	[[ "$output" == *"expires:"*"(in 1h 59m)"* || "$output" == *"expires:"*"(in 2h 0m)"* ]]
	[[ "$output" != *"$id"* ]]
	[[ "$output" != *"$(cat "$OUT/key")"* ]]
	[[ "$output" != *"$(cat "$OUT/token")"* ]]
	run z 'cos_token -s; print -r -- "rc=$?"'
	[[ "$output" == *"COS credentials: not set"* ]]
	[[ "$output" == *"rc=0"* ]]
}

@test "refresh-within makes no request while valid" {
	run z 'cos_token || exit 10
print -rn -- "$COS_TOKEN" > "$OUT/first"
cos_token --refresh-within 300 || exit 11
print -rn -- "$COS_TOKEN" > "$OUT/second"'
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
	cmp "$OUT/first" "$OUT/second"
}

@test "refresh-within fetches when near expiry" {
	run z 'cos_token || exit 10
print -rn -- "$COS_TOKEN" > "$OUT/first"
zmodload zsh/datetime
TZ=UTC0 strftime -s COS_TOKEN_EXPIRATION "%Y-%m-%dT%H:%M:%SZ" $((EPOCHSECONDS + 120))
cos_token --refresh-within 300 || exit 11
print -rn -- "$COS_TOKEN" > "$OUT/second"
print -r -- "$COS_TOKEN_EXPIRATION"'
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole)" -eq 2 ]
	! cmp -s "$OUT/first" "$OUT/second"
}

@test "refresh-within fetches when a variable is missing" {
	run z 'cos_token || exit 10
unset COS_SECRET_KEY
cos_token --refresh-within 300 || exit 11
typeset +x COS_TOKEN_EXPIRATION
cos_token --refresh-within 300 || exit 12
print -r -- "key=${COS_SECRET_KEY:+set}"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"key=set"* ]]
	# The second refresh reuses the session that the first one cached.
	[ "$(emulator_count AssumeRole)" -eq 2 ]
}

@test "refresh-within does no file or network I/O" {
	command -v strace > /dev/null || skip "strace is not installed"
	strace -o /dev/null true 2> /dev/null || skip "ptrace is not allowed here"
	log="$OUT/strace.log"
	run strace -f -qq -o "$log" $(strace_preload) \
		-e trace=open,openat,openat2,stat,newfstatat,statx,access,faccessat,socket,connect,clone,clone3,execve \
		zsh -f -c 'module_path=("$MODULE_DIR" $module_path)
zmodload cos/token || exit 99
cos_token || exit 10
: > "$OUT/mark.a"
cos_token --refresh-within 300 || exit 11
: > "$OUT/mark.b"'
	[ "$status" -eq 0 ]
	grep -q 'mark\.a"' "$log"
	grep -q 'mark\.b"' "$log"
	# Every call traced between the two marker files belongs to the
	# cheap call.
	between=$(awk '/mark\.a"/ { on = 1; next } /mark\.b"/ { on = 0 } on' "$log")
	[ -z "$between" ] || fail_test "syscalls during --refresh-within:" "$between"
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "no fork, exec or file written during a call" {
	command -v strace > /dev/null || skip "strace is not installed"
	strace -o /dev/null true 2> /dev/null || skip "ptrace is not allowed here"
	trace=clone,clone3,fork,vfork,execve,execveat,open,openat,openat2,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,unlink,unlinkat,memfd_create,truncate
	# The store's lock file is the one file that may be opened for
	# writing.  It holds no data, and it is checked below.
	lock="$COS_CONFIG_DIR/.lock"
	check_log() {
		awk -v lock="\"$lock\"" '
			/execve(at)?\(/ { execs++ }
			/ (fork|vfork)\(/ { print "fork: " $0; bad++ }
			/clone3?\(/ && !/CLONE_THREAD/ { print "process clone: " $0; bad++ }
			/open(at|at2)?\(/ && /O_WRONLY|O_RDWR|O_CREAT|O_TMPFILE|O_TRUNC/ &&
			    !/"\/dev\/null"|"\/dev\/tty"/ && index($0, lock) == 0 {
				print "write open: " $0; bad++ }
			/ (creat|mkdir|mkdirat|rename|renameat|renameat2|link|linkat|symlink|symlinkat|unlink|unlinkat|memfd_create|truncate)\(/ {
				print "file change: " $0; bad++ }
			END {
				if (execs != 1) { print "execve count " execs; bad++ }
				exit bad != 0
			}' "$1"
	}

	# Negative control: a command substitution and a redirection to a
	# file must be caught, or the checker proves nothing.
	strace -f -qq -o "$OUT/control.log" -e trace=$trace \
		zsh -f -c 'x=$(print hi); print hi > "$OUT/f"'
	run check_log "$OUT/control.log"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process clone"* || "$output" == *"fork"* ]]
	[[ "$output" == *"write open"* ]]

	(cd "$COS_CONFIG_DIR" && ls -A | grep -v '^\.lock$' | sort) > "$OUT/files-before"
	strace -f -qq -o "$OUT/call.log" $(strace_preload) -e trace=$trace \
		zsh -f -c 'module_path=("$MODULE_DIR" $module_path)
zmodload cos/token || exit 99
cos_token || exit 10
cos_token --duration 3600 || exit 11
print -r -- "$COS_TOKEN"'
	run check_log "$OUT/call.log"
	[ "$status" -eq 0 ] || fail_test "$output"
	[ "$(emulator_count AssumeRole)" -eq 2 ]
	(cd "$COS_CONFIG_DIR" && ls -A | grep -v '^\.lock$' | sort) > "$OUT/files-after"
	assert_same_file "$OUT/files-before" "$OUT/files-after"
	[ ! -s "$lock" ]
}

@test "works under nounset and errexit" {
	run z 'setopt nounset errexit
cos_token
cos_token --refresh-within 60
cos_token -s > /dev/null
print -r -- "id=${COS_SECRET_ID[1,4]}"
cos_token -u
cos_token --refresh-within 60
print -r -- "all ok"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"id=AKID"* ]]
	[[ "$output" == *"all ok"* ]]

	emulator_fault limit 3
	run z 'setopt nounset errexit
cos_token
print -r -- "not reached"'
	[ "$status" -eq 3 ]
	[[ "$output" != *"not reached"* ]]
}

@test "local in a function scopes the values" {
	run z 'COS_TOKEN=outer; export COS_TOKEN
f() {
	local COS_TOKEN
	cos_token || return 10
	print -r -- "inner=${COS_TOKEN:+fresh}"
	/usr/bin/printenv COS_TOKEN > "$OUT/inner"
}
f || exit $?
print -r -- "outer=$COS_TOKEN"
/usr/bin/printenv COS_TOKEN > "$OUT/outer"
print -r -- "id=${COS_SECRET_ID:+global}"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"inner=fresh"* ]]
	[[ "$output" == *"outer=outer"* ]]
	[[ "$output" == *"id=global"* ]]
	[ "$(cat "$OUT/outer")" = outer ]
	[ "$(cat "$OUT/inner")" != outer ]
	[ -s "$OUT/inner" ]
}

@test "prefix assignment is restored by zsh" {
	# Documented difference from bash: zsh restores a prefix-assigned
	# parameter after a builtin returns.
	run z 'COS_TOKEN=x cos_token || exit 10
print -r -- "token=${COS_TOKEN-unset} id=${COS_SECRET_ID:+set}"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"token=unset id=set"* ]]
}

@test "warn_create_global gives no warning" {
	run z 'setopt warn_create_global
f() { cos_token; }
f || exit 10
print -r -- "id=${COS_SECRET_ID:+set}"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"id=set"* ]]
	[[ "$output" != *"created globally"* ]]
}

@test "help prints usage and options" {
	run z 'cos_token --help; print -r -- "rc=$?"'
	[ "$status" -eq 0 ]
	[[ "$output" == "Usage: cos_token "* ]]
	[[ "$output" == *"--refresh-within SECONDS"* ]]
	[[ "$output" == *"rc=0"* ]]
}

@test "unload and reload" {
	run z 'cos_token || exit 10
zmodload -u cos/token || exit 11
whence -w cos_token
zmodload cos/token || exit 12
cos_token --duration 1800 || exit 13
zmodload -u cos/token || exit 14
zmodload cos/token || exit 15
cos_token -s'
	[ "$status" -eq 0 ]
	[[ "$output" == *"cos_token: none"* ]]
	[[ "$output" == *"COS credentials: set"* ]]
	[ "$(emulator_count AssumeRole)" -eq 2 ]
}

@test "autoload on first use" {
	run zsh_cmd -c 'module_path=("$MODULE_DIR" $module_path)
zmodload -ab cos/token cos_token
cos_token || exit 10
print -r -- "id=${COS_SECRET_ID:+set}"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"id=set"* ]]
}

@test "make install puts it in zsh's module directory" {
	command -v make > /dev/null || skip "make is not installed"
	make -s -C "$COS_SRC" BUILD="$COS_BUILD" DESTDIR="$OUT/root" PREFIX=/usr \
		install-zsh-module
	dir=$(zsh -fc 'print -r -- $module_path[1]')
	[ -f "$OUT/root$dir/cos/token.so" ]
	cmp "$MODULE_DIR/cos/token.so" "$OUT/root$dir/cos/token.so"
	make -s -C "$COS_SRC" BUILD="$COS_BUILD" DESTDIR="$OUT/root" PREFIX=/opt/cos \
		install-zsh-module
	version=$(zsh -fc 'print -r -- $ZSH_VERSION')
	[ -f "$OUT/root/opt/cos/lib/zsh/$version/cos/token.so" ]
	run zsh_cmd -c 'module_path=("$OUT/root/opt/cos/lib/zsh/'"$version"'")
zmodload cos/token && cos_token -s'
	[ "$status" -eq 0 ]
	[[ "$output" == *"COS credentials: not set"* ]]
}

@test "other zsh version rejected at load" {
	[ -f "$FAKE_ABI_DIR/cos/token.so" ] ||
		fail_test "missing $FAKE_ABI_DIR/cos/token.so; run make first"
	run zsh_cmd -c 'module_path=("$FAKE_ABI_DIR" $module_path)
zmodload cos/token
print -r -- "rc=$?"
whence -w cos_token
print -r -- "version=$ZSH_VERSION"'
	[ "$status" -eq 0 ]
	[[ "$output" == *"rc=1"* ]]
	[[ "$output" == *"cos_token: none"* ]]
	version=$(printf '%s\n' "$output" | sed -n 's/^version=//p')
	[[ "$output" == *"cos/token was built for zsh 0.0-test, but this shell is zsh $version; rebuild it with make"* ]]
}

@test "Ctrl-C aborts a slow request" {
	command -v expect > /dev/null || skip "expect is not installed"
	emulator_fault slow
	SHELL_PRELOAD="$ZSH_PRELOAD" run expect -f "$COS_SRC/tests/lib/ctrlc.exp" zsh \
		'unset LD_PRELOAD; module_path=("$MODULE_DIR" $module_path); zmodload cos/token'
	printf '%s\n' "$output" | tail -3 >&3
	[ "$status" -eq 0 ]
	[[ "$output" == *"ctrlc: status=130 "*"vars=[unset|unset|unset|unset]"* ]]
}

@test "Ctrl-C keeps previous values" {
	command -v expect > /dev/null || skip "expect is not installed"
	SHELL_PRELOAD="$ZSH_PRELOAD" run expect -f "$COS_SRC/tests/lib/ctrlc.exp" zsh \
		'unset LD_PRELOAD; module_path=("$MODULE_DIR" $module_path); zmodload cos/token; cos_token; print -rn -- "$COS_SECRET_ID" > "$OUT/id"; curl -sS --cacert "$COS_CA_BUNDLE" -d "{\"mode\": \"slow\"}" "$COS_STS_ENDPOINT/__control/fault" > /dev/null'
	[ "$status" -eq 0 ]
	id=$(cat "$OUT/id")
	[ -n "$id" ]
	[[ "$output" == *"ctrlc: status=130 "*"vars=[$id|"* ]]
}

@test "passphrase prompt, key cache and Ctrl-C" {
	command -v expect > /dev/null || skip "expect is not installed"
	printf '%s\n' 'zsh-test-passphrase' > "$OUT/passphrase"
	chmod 600 "$OUT/passphrase"
	COS_PASSPHRASE_FILE="$OUT/passphrase" "$COS_BIN" configure passphrase set
	COS_PASSPHRASE_FILE="$OUT/passphrase" "$COS_BIN" configure seal
	! grep -q "$EMULATOR_SECRET_KEY" "$COS_CONFIG_DIR/credentials"
	run env -u COS_PASSPHRASE_FILE SHELL_PRELOAD="$ZSH_PRELOAD" \
		expect -f "$COS_SRC/tests/lib/passphrase-zsh.exp" "$MODULE_DIR" \
		zsh-test-passphrase
	printf '%s\n' "$output" | tail -3 >&3
	[ "$status" -eq 0 ]
	[[ "$output" == *"passphrase: ok"* ]]
}

@test "trapped INT aborts the request" {
	emulator_fault slow
	# A script's INT trap runs only after the request has been cleaned
	# up, and the script goes on with status 130.
	zsh_cmd -c 'module_path=("$MODULE_DIR" $module_path)
zmodload cos/token || exit 99
trap "print -r -- TRAPPED" INT
print -r -- $$ > "$OUT/pid"
typeset -F SECONDS
start=$SECONDS
cos_token
print -r -- "rc=$? id=${COS_SECRET_ID-unset}"
print -r -- "took=$(( SECONDS - start < 5 ? 1 : 0 ))"' > "$OUT/out" 2>&1 3>&- &
	local shell=$!
	for _ in $(seq 50); do
		[ -s "$OUT/pid" ] && break
		sleep 0.1
	done
	sleep 1
	kill -INT "$(cat "$OUT/pid")"
	wait "$shell"
	run cat "$OUT/out"
	[[ "$output" == *"TRAPPED"*"rc=130 id=unset"* ]]
	[[ "$output" == *"took=1"* ]]
}

@test "1000 calls keep memory flat" {
	# ASan keeps freed memory in quarantine, so RSS says nothing there.
	[ "${SANITIZE:-}" != 1 ] || skip "the module is built with ASan"
	run z 'zmodload zsh/system
# Sets REPLY to the resident set size in kB, without a subshell.
rss() {
	local line
	for line in ${(f)"$(</proc/$$/status)"}; do
		[[ $line == VmRSS:* ]] && REPLY=${${line#VmRSS:}%kB}
	done
}
cycle() {
	local i
	for i in {1..$1}; do
		if (( i % 50 == 0 )); then
			# A window as long as the session skips the cache.
			cos_token -u || return 1
			cos_token --refresh-within 7200 || return 2
		else
			cos_token --refresh-within 60 || return 3
			cos_token -s > /dev/null || return 4
		fi
	done
}
cycle 100 2> /dev/null || exit 10
rss; before=$REPLY
cycle 1000 2> /dev/null || exit 11
rss; after=$REPLY
print -r -- "RSS before=$((before)) kB after=$((after)) kB"
(( after - before < 1024 )) || exit 12'
	printf '# %s\n' "$output" >&3
	[ "$status" -eq 0 ]
	# One fetch at the start, then one every 50 calls.
	[ "$(emulator_count AssumeRole)" -eq 23 ]
}

@test "valgrind finds no leak over 1000 calls" {
	[ "${SANITIZE:-}" != 1 ] || skip "the module is built with ASan"
	command -v valgrind > /dev/null || skip "valgrind is not installed"
	run valgrind --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=42 --log-file="$OUT/valgrind.log" \
		zsh -f -c 'module_path=("$MODULE_DIR" $module_path)
zmodload cos/token || exit 99
for i in {1..1000}; do
	if (( i % 50 == 0 )); then
		cos_token -u || exit 1
		cos_token --refresh-within 7200 2> /dev/null || exit 2
	else
		cos_token --refresh-within 60 2> /dev/null || exit 3
		cos_token -s > /dev/null || exit 4
	fi
done
zmodload -u cos/token || exit 5'
	[ "$status" -eq 0 ] || { tail -40 "$OUT/valgrind.log" >&3; false; }
	grep -q "definitely lost: 0 bytes" "$OUT/valgrind.log" ||
		grep -q "All heap blocks were freed" "$OUT/valgrind.log" ||
		grep -q "no leaks are possible" "$OUT/valgrind.log"
	grep -q "ERROR SUMMARY: 0 errors" "$OUT/valgrind.log"
	# One fetch at the start, then one every 50 calls: a window as long
	# as the session skips the session cache.
	[ "$(emulator_count AssumeRole)" -eq 21 ]
}
