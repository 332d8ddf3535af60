#!/usr/bin/env bats
# cos token end to end: the real binary against the STS emulator, every
# output format, the request it sends, and its errors.

load lib/common

bats_require_minimum_version 1.5.0

setup_file() { cos_setup_file; }
teardown_file() { cos_teardown_file; }
setup() {
	cos_setup
	COS="$COS_BUILD/cos"
	role_profile
}

# Prints field $1 of the last request the emulator received (header
# names in lower case, or "policy" for the decoded Policy as JSON).
last_request() {
	emulator_stats | "$COS_TEST_PYTHON" -c '
import json, sys
stats = json.load(sys.stdin)
if sys.argv[1] == "policy":
    print(json.dumps(stats.get("last_policy"), sort_keys=True))
else:
    print(stats["last_headers"].get(sys.argv[1], ""))' "$1"
}

# Prints "ExpiredTime TmpSecretId" of the credentials the emulator issued
# last.
last_issued() {
	_cos_control GET issued | "$COS_TEST_PYTHON" -c '
import json, sys
c = json.load(sys.stdin)[-1]
print(c["ExpiredTime"], c["TmpSecretId"])'
}

@test "env output sourced in bash, zsh and dash" {
	run --separate-stderr "$COS" token -o env
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >creds.sh
	read -r expired id < <(last_issued)
	for sh in bash zsh dash; do
		command -v "$sh" >/dev/null || continue
		run "$sh" -c '. ./creds.sh && printf "%s|%s\n" "$COS_SECRET_ID" "$COS_TOKEN_EXPIRATION"'
		[ "$status" -eq 0 ]
		[ "$output" = "$id|$(date -u -d "@$expired" +%Y-%m-%dT%H:%M:%SZ)" ]
	done
}

@test "env output signs a later request" {
	"$COS" token -o env >creds.sh
	# The key and token really work: whoami signs with them.
	run --separate-stderr bash -c '. ./creds.sh && "$0" whoami -o json' "$COS"
	[ "$status" -eq 0 ]
	[[ $output == *'"Type": "CAMRole"'* ]]
}

@test "json output has every field" {
	run --separate-stderr "$COS" token -o json
	[ "$status" -eq 0 ]
	read -r expired id < <(last_issued)
	run "$COS_TEST_PYTHON" -c '
import json, sys
d = json.loads(sys.argv[1])
c = d["Credentials"]
assert d["Version"] == 1, d
assert c["TmpSecretId"] == sys.argv[2], c
assert d["ExpiredTime"] == int(sys.argv[3]), d
assert d["ExpiresIn"] == 7200, d
assert c["Expiration"].endswith("Z") and d["RequestedTime"].endswith("Z")
assert c["TmpSecretKey"] and c["Token"]
print("ok")' "$output" "$id" "$expired"
	echo "$output"
	[ "$output" = ok ]
}

@test "fish powershell and dotenv outputs" {
	run --separate-stderr "$COS" token -o fish
	[ "$status" -eq 0 ]
	[[ $output == *"set -gx COS_SECRET_ID 'AKID"* ]]
	[[ $output == *"set -gx COS_TOKEN_EXPIRATION '"* ]]
	run --separate-stderr "$COS" token -o powershell
	[ "$status" -eq 0 ]
	[[ $output == *"\$Env:COS_SECRET_KEY = '"* ]]
	run --separate-stderr "$COS" token -o dotenv
	[ "$status" -eq 0 ]
	[[ $output == *$'\nCOS_TOKEN='* ]]
	# Values stand unquoted, as docker --env-file reads them.
	! printf '%s\n' "$output" | grep -q "^COS_[A-Z_]*=['\"]"
}

@test "table output shortens secrets" {
	run --separate-stderr "$COS" token -o table -d 3600
	[ "$status" -eq 0 ]
	[[ $output == *"| Duration     | 3600s (1h 0m)"* ]]
	[[ $output == *"| Expires At   | 20"* ]]
	[[ $output == *"| TmpSecretId  | AKID"*"..."* ]]
}

@test "default output is the profile's, else table" {
	run --separate-stderr "$COS" token
	[[ $output == *"| Key "* ]]
	"$COS" configure set output json
	run --separate-stderr "$COS" token
	[[ $output == "{"* ]]
	COS_OUTPUT=env run --separate-stderr "$COS" token
	[[ $output == "# Temporary COS credentials"* ]]
}

@test "request carries the documented headers" {
	run --separate-stderr "$COS" token -o json
	[ "$status" -eq 0 ]
	[ "$(last_request x-tc-action)" = AssumeRole ]
	[ "$(last_request x-tc-version)" = 2018-08-13 ]
	[ "$(last_request x-tc-language)" = en-US ]
	[ "$(last_request content-type)" = application/json ]
	[ "$(last_request host)" = "127.0.0.1:$EMULATOR_PORT" ]
}

@test "region follows the precedence order" {
	"$COS" token -o json >/dev/null
	[ "$(last_request x-tc-region)" = ap-shanghai ]
	"$COS" configure set region ap-beijing
	"$COS" token -o json >/dev/null
	[ "$(last_request x-tc-region)" = ap-beijing ]
	COS_REGION=ap-chengdu "$COS" token -o json >/dev/null
	[ "$(last_request x-tc-region)" = ap-chengdu ]
	COS_REGION=ap-chengdu "$COS" token -o json -r ap-tokyo >/dev/null
	[ "$(last_request x-tc-region)" = ap-tokyo ]
}

@test "scoped token sends the policy" {
	run --separate-stderr "$COS" token -o json -r ap-guangzhou \
		-b examplebucket-1250000000 -p logs/ --read-only
	[ "$status" -eq 0 ]
	policy=$(last_request policy)
	[[ $policy == *'"qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/logs/*"'* ]]
	[[ $policy == *'"name/cos:GetObject"'* ]]
	[[ $policy != *PutObject* ]]
}

@test "session name default and option" {
	"$COS" token -o json >/dev/null
	name=$(_cos_control GET issued | "$COS_TEST_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[-1]["RoleSessionName"])')
	[[ $name == cos-* ]]
	"$COS" token -o json --session-name ci.build-42 >/dev/null
	name=$(_cos_control GET issued | "$COS_TEST_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[-1]["RoleSessionName"])')
	[ "$name" = ci.build-42 ]
}

@test "wrong secret key is rejected with exit 3" {
	printf 'wrong-key-0123456789\n' | "$COS" configure set secret_key -
	run --separate-stderr "$COS" token -o env
	assert_no_crash
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[[ $stderr == *"Error: The provided credentials could not be validated"* ]]
	[[ $stderr == *"Code: AuthFailure.SignatureFailure"* ]]
	[[ $stderr == *"RequestId: "* ]]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "missing role names the fix" {
	"$COS" configure set assume_role - </dev/null 2>/dev/null || true
	sed -i '/assume_role/d' "$COS_CONFIG_DIR/credentials"
	run --separate-stderr "$COS" token
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr == "Error: Assume role ARN is required"* ]]
	[[ $stderr == *'cos configure set assume_role "qcs::cam::uin/<uin>:roleName/<role>"'* ]]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "role that does not exist exits 3" {
	"$COS" configure set assume_role "qcs::cam::uin/100000000001:roleName/missing-role"
	run --separate-stderr "$COS" token
	[ "$status" -eq 3 ]
	[ -z "$output" ]
	[[ $stderr == *"Code: ResourceNotFound.RoleNotFound"* ]]
}

@test "duration limits are checked before any request" {
	run --separate-stderr "$COS" token -d 1799
	[ "$status" -eq 2 ]
	[ "$stderr" = "Error: Duration must be at least 1800 seconds" ]
	run --separate-stderr "$COS" token -d 43201
	[ "$status" -eq 2 ]
	[ "$stderr" = "Error: Duration cannot exceed 43200 seconds" ]
	run --separate-stderr "$COS" token -d 1h
	[ "$status" -eq 2 ]
	[[ $stderr == "Error: Duration must be a whole number of seconds, not '1h'"* ]]
	run --separate-stderr "$COS" token -d 43200 -o json
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "untrusted certificate exits 4" {
	COS_CA_BUNDLE=$EMULATOR_UNTRUSTED_CA run --separate-stderr "$COS" token -o env
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	[[ $stderr == *"TLS connection to https://127.0.0.1:$EMULATOR_PORT failed"* ]]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "plain http endpoint is refused" {
	COS_STS_ENDPOINT="http://127.0.0.1:$EMULATOR_PORT" run --separate-stderr "$COS" token
	[ "$status" -eq 2 ]
	[[ $stderr == *"is not an https:// URL"* ]]
}

@test "failure writes nothing to a redirect" {
	emulator_fault notjson
	run bash -c '"$0" token -o env > creds.sh' "$COS"
	[ "$status" -eq 1 ]
	[ ! -s creds.sh ]
}

@test "temporary credentials alone are not enough" {
	"$COS" token -o json >creds.json
	"$COS" configure import-token --json creds.json --profile temp
	run --separate-stderr "$COS" token --profile temp
	[ "$status" -eq 1 ]
	[[ $stderr == *"needs a permanent key, but profile 'temp' has only temporary credentials"* ]]
}

@test "environment token does not replace the profile key" {
	# A shell that already holds temporary credentials can mint new ones:
	# cos token signs with the profile's permanent key.
	"$COS" token -o env >creds.sh
	run --separate-stderr bash -c '. ./creds.sh && "$0" token -o json' "$COS"
	[ "$status" -eq 0 ]
	[ "$(emulator_count AssumeRole ok)" -eq 2 ]
}

@test "usage errors exit 2 with a hint" {
	run --separate-stderr "$COS" token --bogus
	[ "$status" -eq 2 ]
	[[ $stderr == *"Try 'cos token --help'."* ]]
	run --separate-stderr "$COS" token -o yaml
	[ "$status" -eq 2 ]
	[[ $stderr == *"unknown output format 'yaml'"* ]]
	run --separate-stderr "$COS" token -o json -o env
	[ "$status" -eq 2 ]
	[[ $stderr == *"option --output is given twice"* ]]
	run --separate-stderr "$COS" token extra
	[ "$status" -eq 2 ]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "help and version" {
	run "$COS" --version
	[ "$status" -eq 0 ]
	[[ $output == "cos "[0-9]* ]]
	run "$COS" token --help
	[ "$status" -eq 0 ]
	[[ $output == *"--duration SECONDS"* ]]
	run "$COS" --help
	[ "$status" -eq 0 ]
	[[ $output == *"3 rejected by the service"* ]]
}

@test "line break in a key never reaches a header" {
	COS_SECRET_ID="$EMULATOR_SECRET_ID"$'\r\nX-Injected: 1' \
		COS_SECRET_KEY=$EMULATOR_SECRET_KEY run --separate-stderr "$COS" token
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "$stderr" = "Error: COS_SECRET_ID contains a control character at position $(( ${#EMULATOR_SECRET_ID} + 1 ))
Set it again without line breaks or spaces around it." ]
	COS_SECRET_ID=AKIDx COS_SECRET_KEY=k COS_TOKEN=$'tok\nX-Injected: 1' \
		run --separate-stderr "$COS" whoami
	[ "$status" -eq 2 ]
	[[ $stderr == *"the token in the environment"*"control character at position 4"* ]]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
	[ "$(emulator_count GetCallerIdentity)" -eq 0 ]
}

@test "line break in a stored key is refused" {
	printf '[default]\nsecret_id = %s\n  X-Injected: yes\nsecret_key = %s\nassume_role = %s\n' \
		"$EMULATOR_SECRET_ID" "$EMULATOR_SECRET_KEY" "$EMULATOR_ROLE" \
		>"$COS_CONFIG_DIR/credentials"
	run --separate-stderr "$COS" token
	[ "$status" -eq 2 ]
	[[ $stderr == *"the secret_id of profile 'default' contains a control character"* ]]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "config writable by others is refused" {
	"$COS" configure set region ap-beijing
	chmod 666 "$COS_CONFIG_DIR/config"
	run --separate-stderr "$COS" token
	[ "$status" -eq 1 ]
	[[ $stderr == *"file '$COS_CONFIG_DIR/config' is writable by other users (mode 0666)"* ]]
	[[ $stderr == *"chmod go-w"* ]]
	chmod 600 "$COS_CONFIG_DIR/config"
	chmod 777 "$COS_CONFIG_DIR"
	run --separate-stderr "$COS" token
	[ "$status" -eq 1 ]
	[[ $stderr == *"directory '$COS_CONFIG_DIR' is writable by other users (mode 0777)"* ]]
	chmod 700 "$COS_CONFIG_DIR"
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "unreadable CA bundle is a usage error" {
	COS_CA_BUNDLE=/nonexistent/ca.pem run --separate-stderr "$COS" token
	[ "$status" -eq 2 ]
	[[ $stderr == "Error: CA bundle '/nonexistent/ca.pem' cannot be read: No such file or directory"* ]]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "endpoint port and user part are checked" {
	COS_STS_ENDPOINT=https://127.0.0.1:99999 run --separate-stderr "$COS" token
	[ "$status" -eq 2 ]
	[[ $stderr == *"has no valid host or port"* ]]
	COS_STS_ENDPOINT="https://user@127.0.0.1:$EMULATOR_PORT" run --separate-stderr "$COS" token
	[ "$status" -eq 2 ]
	[[ $stderr == *"contains user information ('@')"* ]]
}

@test "table shows little of the key and token" {
	run --separate-stderr "$COS" token -o table
	[ "$status" -eq 0 ]
	key=$(printf '%s\n' "$output" | sed -n 's/^| TmpSecretKey | \([^ ]*\) .*/\1/p')
	token=$(printf '%s\n' "$output" | sed -n 's/^| Token        | \([^ ]*\) .*/\1/p')
	[ "${#key}" -eq 7 ]
	[[ $key == *... ]]
	[ "${#token}" -eq 19 ]
	[[ $token == *... ]]
}

@test "overlong prefix is rejected" {
	run --separate-stderr "$COS" token -b examplebucket-1250000000 \
		-p "$(printf 'a%.0s' {1..851})"
	[ "$status" -eq 2 ]
	[ "$stderr" = "Error: prefix is 851 bytes long, over the limit of 850" ]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "escape sequences in arguments are not echoed" {
	run --separate-stderr "$COS" token $'--\e[31mX'
	[ "$status" -eq 2 ]
	[[ $stderr == *"unknown option '--?[31mX'"* ]]
	[[ $stderr != *$'\e'* ]]
}
