#!/usr/bin/env bats
# `cos configure` and its subcommands, through the real `cos` binary.

load lib/common

bats_require_minimum_version 1.5.0

setup_file() { cos_setup_file; }
teardown_file() { cos_teardown_file; }
setup() {
	cos_setup
	COS="$COS_BUILD/cos"
	SECRET_ID=AKIDconfigTest0123456789abcdefghij
	SECRET_KEY=configTestSecretKey0123456789xyz
}

set_secret() {
	printf '%s\n' "$2" | "$COS" configure set "$1" - --profile "${3:-default}"
}

# Fails when $output or $stderr contains any of the strings.
assert_not_shown() {
	local s
	for s in "$@"; do
		if [[ "${output:-}${stderr:-}" == *"$s"* ]]; then
			echo "'$s' appears in the output:" >&2
			echo "${output:-}${stderr:-}" >&2
			return 1
		fi
	done
}

# Runs `cos configure ARGS...` on a new pseudo-terminal and types the
# lines of $ANSWERS, each after the next prompt (output ending in ": ").
# Prints the terminal transcript; kills the command and exits 124 when it
# does not finish within 20 seconds.
run_on_pty() {
	"$COS_TEST_PYTHON" - "$COS" "$@" <<'EOF'
import os, pty, select, signal, sys, time
cos, args = sys.argv[1], sys.argv[2:]
answers = os.environ.get("ANSWERS", "").split("\n")
pid, fd = pty.fork()
if pid == 0:
    os.execv(cos, [cos, "configure"] + args)
out = b""
deadline = time.time() + 20
def read_some():
    global out
    r, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
    if not r:
        return False
    try:
        data = os.read(fd, 4096)
    except OSError:
        return False
    out += data
    return bool(data)
def prompted():
    return out[mark:].rstrip(b" ").endswith(b":")
mark = 0
for answer in answers:
    while not prompted() and read_some():
        pass
    if not prompted():
        break
    os.write(fd, answer.encode() + b"\n")
    mark = len(out)
while read_some():
    pass
for _ in range(200):
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.01)
sys.stdout.write(out.decode(errors="replace"))
if done == 0:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.exit(124)
sys.exit(os.waitstatus_to_exitcode(st))
EOF
}

@test "set and get every plain key" {
	# NOTE: bats 1.8's run with flags changes a global $i, so the loop
	# variable has another name.
	local keys=(assume_role region output sts_endpoint ca_bundle session_name
		connect_timeout timeout)
	local values=("$EMULATOR_ROLE" ap-beijing json https://127.0.0.1:9
		/etc/ssl/ca.pem my.session-1 2.5 60)
	local n
	for n in "${!keys[@]}"; do
		run --separate-stderr "$COS" configure set "${keys[$n]}" "${values[$n]}"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		[ -z "$stderr" ]
		run --separate-stderr "$COS" configure get "${keys[$n]}"
		[ "$status" -eq 0 ]
		[ "$output" = "${values[$n]}" ]
	done
	grep -qF "assume_role = $EMULATOR_ROLE" "$COS_CONFIG_DIR/credentials"
	grep -q '^region = ap-beijing$' "$COS_CONFIG_DIR/config"
}

@test "secret via stdin is stored masked and never shown" {
	run --separate-stderr bash -c "printf '%s\r\n' '$SECRET_KEY' |
		'$COS' configure set secret_key -"
	[ "$status" -eq 0 ]
	assert_not_shown "$SECRET_KEY"
	[ -z "$stderr" ]
	run --separate-stderr "$COS" configure get secret_key
	[ "$status" -eq 0 ]
	[ "$output" = "conf****9xyz" ]
}

@test "secret as argument warns and is stored" {
	run --separate-stderr "$COS" configure set secret_id "$SECRET_ID"
	[ "$status" -eq 0 ]
	assert_not_shown "$SECRET_ID"
	[[ "$stderr" == *"Warning:"*"command line"* ]]
	[[ "$stderr" == *"cos configure set secret_id -"* ]]
	[[ "$stderr" == *"--prompt"* ]]
	run "$COS" configure get secret_id
	[ "$output" = "AKID****ghij" ]
}

@test "unknown key lists valid keys" {
	run --separate-stderr "$COS" configure set colour blue
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown key 'colour'"* ]]
	[[ "$stderr" == *"secret_id, secret_key, assume_role, region, output, sts_endpoint, ca_bundle, session_name, connect_timeout, timeout"* ]]
	[[ "$stderr" == *"--help"* ]]
	run "$COS" configure get colour
	[ "$status" -eq 2 ]
}

@test "invalid values are rejected" {
	local cases=(
		"region|ap_beijing|invalid region"
		"region|AP-BEIJING|invalid region"
		"output|xml|xml"
		"sts_endpoint|http://sts.tencentcloudapi.com|https://"
		"sts_endpoint|https://|host name"
		"assume_role|qcs::cam::uin/abc:roleName/x|invalid assume_role"
		"assume_role|arn:aws:iam::1:role/x|invalid assume_role"
		"assume_role|qcs::cam::uin/1:roleName/|invalid assume_role"
		"session_name|a b|invalid session_name"
		"connect_timeout|0|invalid connect_timeout"
		"timeout|3601|invalid timeout"
		"timeout|5s|invalid timeout"
	)
	local c key value want
	for c in "${cases[@]}"; do
		IFS='|' read -r key value want <<<"$c"
		run --separate-stderr "$COS" configure set "$key" "$value"
		echo "case $c: status $status, stderr $stderr"
		[ "$status" -eq 2 ]
		[[ "$stderr" == *"$want"* ]]
	done
	[ ! -e "$COS_CONFIG_DIR/config" ]
	[ ! -e "$COS_CONFIG_DIR/credentials" ]
}

@test "role ARN forms are accepted" {
	run "$COS" configure set assume_role qcs::cam::uin/100001:role/4611686018427397919
	[ "$status" -eq 0 ]
	run "$COS" configure set assume_role 'qcs::cam::uin/100001:roleName/a+b=c,d.e@f_g-h'
	[ "$status" -eq 0 ]
}

@test "control and non-ASCII bytes named by position" {
	run --separate-stderr bash -c "printf 'AKID\x01abc\n' | '$COS' configure set secret_id -"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"position 5"* ]]
	run --separate-stderr bash -c "printf 'AKIDab\xc3\xa9c\n' | '$COS' configure set secret_key -"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"position 7"* ]]
	run --separate-stderr bash -c "printf 'AKID abc\n' | '$COS' configure set secret_key -"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"position 5"* ]]
	run --separate-stderr bash -c "printf 'AKIDabc\nmore\n' | '$COS' configure set secret_key -"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"position 8"* ]]
	[ ! -e "$COS_CONFIG_DIR/credentials" ]
}

@test "prompt without a terminal fails at once" {
	run --separate-stderr timeout 10 setsid -w "$COS" configure set secret_key --prompt
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"terminal"* ]]
	[ ! -e "$COS_CONFIG_DIR/credentials" ]
}

@test "prompt reads the value without echo" {
	ANSWERS="$SECRET_KEY" run --separate-stderr run_on_pty set secret_key --prompt
	[ "$status" -eq 0 ]
	assert_not_shown "$SECRET_KEY"
	run "$COS" configure get secret_key
	[ "$output" = "conf****9xyz" ]
}

@test "Ctrl-C at the prompt leaves echo on" {
	# Types Ctrl-C at the hidden prompt; prints how cos ended and whether
	# the terminal echoes again.
	run "$COS_TEST_PYTHON" - "$COS" <<'EOF'
import os, pty, select, signal, sys, termios, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "configure", "set", "secret_key",
                           "--prompt"])
out = b""
deadline = time.time() + 20
while not out.rstrip(b" ").endswith(b":") and time.time() < deadline:
    if select.select([fd], [], [], 1)[0]:
        out += os.read(fd, 4096)
os.write(fd, b"\x03")
_, st = os.waitpid(pid, 0)
echo = termios.tcgetattr(fd)[3] & termios.ECHO
print("signal" if os.WIFSIGNALED(st) else "exit", os.WTERMSIG(st) if
      os.WIFSIGNALED(st) else os.WEXITSTATUS(st), "echo" if echo else "noecho")
EOF
	echo "$output"
	[ "$output" = "signal 2 echo" ]
	[ ! -e "$COS_CONFIG_DIR/credentials" ]
}

@test "interactive setup without a terminal fails at once" {
	run --separate-stderr timeout 10 setsid -w "$COS" configure </dev/null
	assert_no_crash
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"cos configure set KEY VALUE"* ]]
	[[ "$stderr" == *"import-token"* ]]
}

@test "interactive setup on a terminal" {
	ANSWERS="$SECRET_ID"$'\n'"$SECRET_KEY"$'\n'"$EMULATOR_ROLE"$'\n'ap-chengdu$'\n'json \
		run --separate-stderr run_on_pty
	echo "$output"
	[ "$status" -eq 0 ]
	# The Secret ID is echoed as typed; the Secret Key is not.
	[[ "$output" != *"$SECRET_KEY"* ]]
	[[ "$output" == *"Secret Key [none]: "* ]]
	run "$COS" configure get secret_key
	[ "$output" = "conf****9xyz" ]
	run "$COS" configure get region
	[ "$output" = "ap-chengdu" ]
	run "$COS" configure get output
	[ "$output" = "json" ]

	# Enter keeps every value; the prompts show them masked.
	cp "$COS_CONFIG_DIR/credentials" "$BATS_TEST_TMPDIR/before"
	ANSWERS=$'\n\n\n\n' run --separate-stderr run_on_pty
	[ "$status" -eq 0 ]
	[[ "$output" == *"Secret ID [AKID****ghij]: "* ]]
	[[ "$output" == *"Secret Key [conf****9xyz]: "* ]]
	[[ "$output" == *"Default region [ap-chengdu]: "* ]]
	assert_not_shown "$SECRET_ID" "$SECRET_KEY"
	cmp "$BATS_TEST_TMPDIR/before" "$COS_CONFIG_DIR/credentials"
}

@test "interactive setup asks again after an invalid value" {
	ANSWERS=$'\n\n\nnot_a_region\nap-tokyo\n' run --separate-stderr run_on_pty --profile dev
	[ "$status" -eq 0 ]
	[[ "$output" == *"invalid region 'not_a_region'"* ]]
	run "$COS" configure get region --profile dev
	[ "$output" = "ap-tokyo" ]
}

@test "list shows values, origins and source" {
	set_secret secret_id "$EMULATOR_SECRET_ID"
	set_secret secret_key "$EMULATOR_SECRET_KEY"
	"$COS" configure set region ap-beijing

	run --separate-stderr env -u COS_STS_ENDPOINT "$COS" configure list
	[ "$status" -eq 0 ]
	assert_not_shown "$EMULATOR_SECRET_ID" "$EMULATOR_SECRET_KEY"
	[[ "$output" =~ secret_id\ +AKID\*\*\*\*[A-Z]{4}\ +credentials\ file ]]
	[[ "$output" =~ region\ +ap-beijing\ +config\ file ]]
	[[ "$output" =~ sts_endpoint\ +https://sts.tencentcloudapi.com\ +default ]]
	[[ "$output" =~ session_name\ +-\ +unset ]]
	[[ "$output" == *"Credential source: permanent key"* ]]

	COS_REGION=ap-tokyo run --separate-stderr "$COS" configure list
	[[ "$output" =~ region\ +ap-tokyo\ +environment ]]
	[[ "$output" =~ sts_endpoint\ +https://127.0.0.1:[0-9]+\ +environment ]]

	"$COS" configure set assume_role "$EMULATOR_ROLE"
	run "$COS" configure list
	[[ "$output" == *"Credential source: assume role"* ]]

	COS_TOKEN=sometoken run "$COS" configure list
	[[ "$output" == *"Credential source: environment token"* ]]

	run "$COS" configure list --profile empty
	[ "$status" -eq 0 ]
	[[ "$output" == *"Credential source: none"* ]]
}

@test "import-token from arguments" {
	run --separate-stderr "$COS" configure import-token --tmp-secret-id AKIDtmp000111222333 \
		--tmp-secret-key tmpKey0123456789abcdef --token tokenValue0123456789
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"profile 'temp'"* ]]
	[[ "$stderr" == *"Warning:"*"command line"* ]]
	assert_not_shown tmpKey0123456789abcdef tokenValue0123456789
	grep -q '^\[profile temp\]$' "$COS_CONFIG_DIR/credentials"
	grep -q '^token = cos:v1:' "$COS_CONFIG_DIR/credentials"
	run grep -rF -e tmpKey0123456789 -e tokenValue0123 -e AKIDtmp000111 "$COS_CONFIG_DIR"
	[ "$status" -eq 1 ]

	run "$COS" configure get token --profile temp
	[ "$output" = "toke****6789" ]
	run "$COS" configure list --profile temp
	[[ "$output" == *"Credential source: imported token"* ]]
}

@test "import-token from the environment" {
	COS_SECRET_ID=AKIDenv00001111 COS_SECRET_KEY=envKey0123456789abcd \
	COS_TOKEN=envToken0123456789 COS_TOKEN_EXPIRATION=2099-01-02T03:04:05Z \
		run --separate-stderr "$COS" configure import-token --from-env --profile ci
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"2099-01-02T03:04:05Z"* ]]
	[[ "$stderr" != *"Warning"* ]]
	run "$COS" configure get token_expiration --profile ci
	[ "$output" = "2099-01-02T03:04:05Z" ]
	run "$COS" configure list --profile ci
	[[ "$output" == *"Credential source: imported token"* ]]

	COS_SECRET_ID=AKIDenv00001111 COS_SECRET_KEY=envKey0123456789abcd \
		run --separate-stderr "$COS" configure import-token --from-env
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"COS_TOKEN"* ]]
}

@test "import-token from cos token json" {
	set_secret secret_id "$EMULATOR_SECRET_ID"
	set_secret secret_key "$EMULATOR_SECRET_KEY"
	"$COS" configure set assume_role "$EMULATOR_ROLE"
	"$COS" token -o json >"$BATS_TEST_TMPDIR/token.json"

	run --separate-stderr "$COS" configure import-token --json "$BATS_TEST_TMPDIR/token.json"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"expire at 20"* ]]
	run "$COS" configure list --profile temp
	[[ "$output" == *"Credential source: imported token"* ]]

	run --separate-stderr "$COS" configure import-token --json - --profile piped \
		<"$BATS_TEST_TMPDIR/token.json"
	[ "$status" -eq 0 ]
	local tmp_key
	tmp_key=$("$COS_TEST_PYTHON" -c 'import json,sys
print(json.load(open(sys.argv[1]))["Credentials"]["TmpSecretKey"])' "$BATS_TEST_TMPDIR/token.json")
	run grep -rF -- "$tmp_key" "$COS_CONFIG_DIR"
	[ "$status" -eq 1 ]
}

@test "import-token rejects bad input" {
	run --separate-stderr "$COS" configure import-token
	[ "$status" -eq 2 ]
	run --separate-stderr "$COS" configure import-token --from-env --json x
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"only one"* ]]
	echo '{"Version": 1, "Credentials": {"TmpSecretId": "AKIDx"}}' >"$BATS_TEST_TMPDIR/j"
	run --separate-stderr "$COS" configure import-token --json "$BATS_TEST_TMPDIR/j"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"TmpSecretKey"* ]]
	echo 'not json' >"$BATS_TEST_TMPDIR/j"
	run --separate-stderr "$COS" configure import-token --json "$BATS_TEST_TMPDIR/j"
	[ "$status" -eq 2 ]
	run --separate-stderr "$COS" configure import-token --tmp-secret-id AKIDx
	[ "$status" -eq 2 ]
	[ ! -e "$COS_CONFIG_DIR/credentials" ]
}

@test "expired imported token warns" {
	COS_SECRET_ID=AKIDenv00001111 COS_SECRET_KEY=envKey0123456789abcd \
	COS_TOKEN=envToken0123456789 COS_TOKEN_EXPIRATION=2001-01-01T00:00:00Z \
		run --separate-stderr "$COS" configure import-token --from-env
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"expired"*"cos token"* ]]
}

@test "list-profiles and remove" {
	"$COS" configure set region ap-beijing
	"$COS" configure set region ap-tokyo --profile dev
	set_secret secret_id "$SECRET_ID" prod
	run "$COS" configure list-profiles
	[ "$status" -eq 0 ]
	[ "$output" = $'prod\ndefault\ndev' ] || [ "$(sort <<<"$output")" = $'default\ndev\nprod' ]

	run --separate-stderr "$COS" configure remove
	[ "$status" -eq 2 ]
	run --separate-stderr "$COS" configure remove --profile dev
	[ "$status" -eq 0 ]
	run "$COS" configure list-profiles
	[ "$(sort <<<"$output")" = $'default\nprod' ]
	run --separate-stderr "$COS" configure remove --profile dev
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"not found"* ]]
}

@test "profile names are checked" {
	run --separate-stderr "$COS" configure set region ap-beijing --profile 'bad name'
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"letters, digits, '-', '_' or '.'"* ]]
	run --separate-stderr "$COS" configure set region ap-beijing --profile 'a]b'
	[ "$status" -eq 2 ]
	run "$COS" configure set region ap-beijing --profile ok.name_1-2
	[ "$status" -eq 0 ]
	grep -q '^\[profile ok.name_1-2\]$' "$COS_CONFIG_DIR/config"
}

@test "COS_PROFILE selects the profile" {
	COS_PROFILE=staging run "$COS" configure set region ap-beijing
	[ "$status" -eq 0 ]
	grep -q '^\[profile staging\]$' "$COS_CONFIG_DIR/config"
	COS_PROFILE=staging run "$COS" configure get region
	[ "$output" = ap-beijing ]
	run "$COS" configure get region
	[ "$status" -eq 1 ]
}

@test "usage errors exit 2 with a help hint" {
	local cmd
	for cmd in "bogus" "set" "set region" "set region a b" "get" \
		"list-profiles --profile x" "seal extra" "passphrase" \
		"passphrase bogus" "set region x --prompt" "get region --prompt" \
		"--profile"; do
		run --separate-stderr "$COS" configure $cmd
		echo "cos configure $cmd: $status $stderr"
		[ "$status" -eq 2 ]
		[[ "$stderr" == *"Try 'cos configure --help'."* ]]
	done
	run --separate-stderr "$COS" configure set region ap-beijing --profile a --profile b
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"twice"* ]]
}

@test "help lists the subcommands" {
	run --separate-stderr "$COS" configure --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"cos configure import-token"* ]]
	[[ "$output" == *"--from-env"* ]]
	[[ "$output" == *"COS_PASSPHRASE_FILE"* ]]
	run "$COS" configure set --help
	[ "$status" -eq 0 ]
}

@test "options after operands and after --" {
	run "$COS" configure set region ap-beijing --profile dev
	[ "$status" -eq 0 ]
	run "$COS" configure get --profile dev region
	[ "$output" = ap-beijing ]
	run "$COS" configure set --profile dev -- session_name -leading-dash
	[ "$status" -eq 0 ]
	run "$COS" configure get session_name --profile dev
	[ "$output" = "-leading-dash" ]
	run "$COS" configure set --profile dev -- secret_key -dashKey0123
	[ "$status" -eq 0 ]
	run "$COS" configure get secret_key --profile dev
	[ "$output" = "-das****0123" ]
}

@test "byte order mark is read and kept" {
	printf '\357\273\277[default]\nregion = ap-tokyo\n' >"$COS_CONFIG_DIR/config"
	chmod 600 "$COS_CONFIG_DIR/config"
	run --separate-stderr "$COS" configure get region
	[ "$status" -eq 0 ]
	[ "$output" = ap-tokyo ]
	"$COS" configure set output json
	[ "$(head -c 3 "$COS_CONFIG_DIR/config" | od -An -tx1 | tr -d ' ')" = efbbbf ]
	run --separate-stderr "$COS" configure get output
	[ "$output" = json ]
}

@test "section header without bracket is named" {
	printf '[default\nregion = ap-tokyo\n' >"$COS_CONFIG_DIR/config"
	chmod 600 "$COS_CONFIG_DIR/config"
	run --separate-stderr "$COS" configure get region
	[ "$status" -eq 1 ]
	[[ $stderr == *"config, line 1: a [section] line without its closing ']'"* ]]
}
