#!/usr/bin/env bats
# Retries, clock skew, timeouts and the debug log of `cos`, against the STS
# emulator and a scripted stand-in that sends responses the emulator
# cannot (any error code, a Date header far off, a port that never
# answers).
#
# The policy under test: at most 3 attempts; retry HTTP 5xx, throttling,
# InternalError*, ServiceUnavailable, connection failures and timeouts;
# never retry other service errors, HTTP 4xx or TLS failures; honour
# Retry-After; correct the clock once after AuthFailure.SignatureExpire.

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
	write_plain_profile
	scripted_reset
}

# Starts over within a test: an empty configuration directory with the
# emulator's profile, and the emulator's faults and counters reset.
fresh_profile() {
	rm -rf "$COS_CONFIG_DIR"
	cos_setup
	write_plain_profile
}

# Runs `cos -v token -o env` with stdout and stderr apart, and records the
# wall time in $elapsed_ms.
token_v() {
	local start=${EPOCHREALTIME/./}
	run --separate-stderr "$COS_BIN" -v token -o env "$@"
	elapsed_ms=$(((${EPOCHREALTIME/./} - start) / 1000))
}

# Checks a successful `cos token -o env` run.
assert_token_ok() {
	assert_no_crash
	if [ "$status" -ne 0 ]; then
		echo "exit status $status, stderr: $stderr" >&2
		return 1
	fi
	[[ $output == *"export COS_SECRET_ID='"* ]]
	[[ $output == *"export COS_TOKEN='"* ]]
}

# Checks a failed run: exit status $1, nothing on stdout.
assert_failed_with() {
	assert_no_crash
	if [ "$status" -ne "$1" ]; then
		echo "expected exit status $1, got $status; stderr: $stderr" >&2
		return 1
	fi
	if [ -n "$output" ]; then
		echo "stdout is not empty: $output" >&2
		return 1
	fi
}

assert_requests() {
	local count
	count=$(emulator_count AssumeRole)
	if [ "$count" -ne "$1" ]; then
		echo "expected $1 AssumeRole requests, the emulator saw $count" >&2
		return 1
	fi
}

assert_scripted_requests() {
	local count
	count=$(scripted_count)
	if [ "$count" -ne "$1" ]; then
		echo "expected $1 requests, the scripted server saw $count" >&2
		return 1
	fi
}

# retry_case MODE EXIT_CODE MESSAGE: MODE twice is ridden out in three
# attempts; MODE three times fails with EXIT_CODE and MESSAGE after three.
retry_case() {
	local mode=$1 code=$2 message=$3

	emulator_fault "$mode" 2
	token_v
	assert_token_ok
	assert_requests 3
	[ "$(grep -c "retrying AssumeRole" <<<"$stderr")" -eq 2 ]

	fresh_profile
	emulator_fault "$mode" 3
	token_v
	assert_failed_with "$code"
	assert_requests 3
	[[ $stderr == *"$message"* ]]
	[[ $stderr == *"AssumeRole failed 3 times in a row"* ]]
}

@test "retry: HTTP 500 ridden out, then exit 4" {
	retry_case http500 4 "answered HTTP 500"
}

@test "retry: HTTP 503 with Retry-After ridden out, then exit 4" {
	retry_case http503-retry-after 4 "answered HTTP 503"
}

@test "retry: RequestLimitExceeded ridden out, then exit 3" {
	retry_case limit 3 "Code: RequestLimitExceeded"
}

@test "retry: InternalError ridden out, then exit 3" {
	retry_case internal 3 "Code: InternalError.SystemError"
}

@test "retry: connection closed mid-body ridden out, then exit 4" {
	retry_case close 4 "transfer closed"
}

@test "retry: one fault costs one extra request" {
	emulator_fault limit 1
	token_v
	assert_token_ok
	assert_requests 2
}

@test "retry: GetCallerIdentity is retried too" {
	# The permanent key alone, so that whoami makes no AssumeRole call.
	rm "$COS_CONFIG_DIR/credentials"
	emulator_fault http500 1
	COS_SECRET_ID=$EMULATOR_SECRET_ID COS_SECRET_KEY=$EMULATOR_SECRET_KEY \
		run --separate-stderr "$COS_BIN" -v whoami
	assert_no_crash
	[ "$status" -eq 0 ]
	[ "$(emulator_count GetCallerIdentity)" -eq 2 ]
	[[ $stderr == *"retrying GetCallerIdentity"* ]]
}

# no_retry_case CODE: the scripted server answers CODE; one request, exit 3.
no_retry_case() {
	scripted_reset
	scripted_script "[{\"error\": [\"$1\", \"rejected by script\"]}]"
	COS_STS_ENDPOINT=$SCRIPTED_URL token_v
	assert_failed_with 3
	assert_scripted_requests 1
	[[ $stderr == *"Code: $1"* ]]
	[[ $stderr != *"retrying"* ]]
}

@test "no retry: every non-retryable service error makes one request" {
	local code
	for code in AuthFailure.SignatureFailure AuthFailure.SecretIdNotFound \
		AuthFailure.TokenFailure AuthFailure.SignatureExpire \
		AuthFailure.InvalidAuthorization InvalidParameter.OverTimeError \
		InvalidParameter.ParamError InvalidParameterValue \
		ResourceNotFound.RoleNotFound UnauthorizedOperation \
		UnsupportedRegion; do
		no_retry_case "$code"
	done
}

@test "no retry: retryable codes from the scripted server do retry" {
	# The counterpart of the test above, so that it can fail.
	local code
	for code in RequestLimitExceeded RequestLimitExceeded.UinLimitExceeded \
		InternalError InternalError.DbError ServiceUnavailable; do
		scripted_reset
		scripted_script "[{\"error\": [\"$code\", \"busy\"]}, {\"success\": true}]"
		COS_STS_ENDPOINT=$SCRIPTED_URL token_v
		assert_token_ok
		assert_scripted_requests 2
	done
}

@test "no retry: wrong secret key gives SignatureFailure once" {
	sed -i "s/^secret_key = .*/secret_key = wrongSecretKey0123456789abcdefgh/" \
		"$COS_CONFIG_DIR/credentials"
	token_v
	assert_failed_with 3
	assert_requests 1
	[[ $stderr == *"Code: AuthFailure.SignatureFailure"* ]]
}

@test "no retry: unknown role gives RoleNotFound once" {
	sed -i "s/cos-test-role/no-such-role/" "$COS_CONFIG_DIR/credentials"
	token_v
	assert_failed_with 3
	assert_requests 1
	[[ $stderr == *"Code: ResourceNotFound.RoleNotFound"* ]]
}

@test "no retry: over-long duration is refused before any request" {
	# InvalidParameter.OverTimeError cannot come back from the emulator:
	# cos refuses durations over 43200 s itself.
	token_v --duration 43201
	assert_failed_with 2
	assert_requests 0
	[[ $stderr == *"Duration cannot exceed 43200 seconds"* ]]
}

@test "no retry: HTTP 404 is not retried" {
	scripted_script '[{"status": 404, "body": "no such path"}]'
	COS_STS_ENDPOINT=$SCRIPTED_URL token_v
	assert_failed_with 4
	assert_scripted_requests 1
	[[ $stderr == *"answered HTTP 404"* ]]
}

@test "no retry: untrusted certificate fails at once" {
	COS_CA_BUNDLE=$EMULATOR_UNTRUSTED_CA token_v
	assert_failed_with 4
	[[ $stderr == *"TLS connection to"* ]]
	[[ $stderr != *"retrying"* ]]
	[ "$(grep -c "^cos: POST" <<<"$stderr")" -eq 1 ]
}

@test "retry: a refused connection is retried" {
	local port
	# A port that was free a moment ago; nothing listens on it.
	port=$("$COS_TEST_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	COS_STS_ENDPOINT="https://127.0.0.1:$port" token_v
	assert_failed_with 4
	[ "$(grep -c "after a network failure" <<<"$stderr")" -eq 2 ]
	[ "$(grep -c "^cos: POST" <<<"$stderr")" -eq 3 ]
}

@test "Retry-After: the 1 s wait is honoured" {
	emulator_fault http503-retry-after 1
	token_v
	assert_token_ok
	assert_requests 2
	[ "$elapsed_ms" -ge 1000 ]
	[[ $stderr == *"retrying AssumeRole in 1000 ms"* ]]
}

@test "Retry-After: a wait past the time limit is not made" {
	scripted_script '[{"status": 503, "headers": [["Retry-After", "30"]], "body": "busy"}, {"success": true}]'
	COS_STS_ENDPOINT=$SCRIPTED_URL COS_TIMEOUT=5 token_v
	assert_failed_with 4
	assert_scripted_requests 1
	[ "$elapsed_ms" -lt 3000 ]
	[[ $stderr == *"not retrying AssumeRole: the 5000 ms time limit would pass"* ]]
}

@test "Retry-After: a malformed value falls back to backoff" {
	scripted_script '[{"status": 503, "headers": [["Retry-After", "soon"]], "body": "busy"}, {"status": 503, "headers": [["Retry-After", "-5"]], "body": "busy"}, {"success": true}]'
	COS_STS_ENDPOINT=$SCRIPTED_URL token_v
	assert_token_ok
	assert_scripted_requests 3
	[ "$elapsed_ms" -lt 3000 ]
}

@test "verbose: each retry is logged with its reason" {
	emulator_fault limit 2
	token_v
	assert_token_ok
	grep -q "retrying AssumeRole in [0-9]* ms (attempt 2 of 3) after RequestLimitExceeded: " <<<"$stderr"
	grep -q "retrying AssumeRole in [0-9]* ms (attempt 3 of 3) after RequestLimitExceeded: " <<<"$stderr"

	fresh_profile
	emulator_fault http500 1
	token_v
	assert_token_ok
	grep -q "retrying AssumeRole in [0-9]* ms (attempt 2 of 3) after a server error: .*HTTP 500" <<<"$stderr"

	fresh_profile
	emulator_fault close 1
	token_v
	assert_token_ok
	grep -q "(attempt 2 of 3) after a network failure: " <<<"$stderr"
}

@test "verbose: retries are silent without -v" {
	emulator_fault limit 2
	run --separate-stderr "$COS_BIN" token -o env
	assert_token_ok
	[[ $stderr != *"retrying"* ]]
	[[ $stderr != *"cos: "* ]]
}

# assert_skew_warning SECONDS DIRECTION: the warning names the offset
# within one second (the Date header has whole seconds).
assert_skew_warning() {
	local n=$1 dir=$2
	grep -Eq "Warning: the local clock is ($((n - 1))|$n|$((n + 1))) seconds $dir the STS server's clock; fix time sync" <<<"$stderr" || {
		echo "no skew warning for $n s $dir in: $stderr" >&2
		return 1
	}
}

@test "clock skew: server 900 s ahead is corrected with a warning" {
	emulator_set_clock_offset 900
	token_v
	assert_token_ok
	assert_requests 2
	assert_skew_warning 900 behind
}

@test "clock skew: server 900 s behind is corrected with a warning" {
	emulator_set_clock_offset -900
	token_v
	assert_token_ok
	assert_requests 2
	assert_skew_warning 900 "ahead of"
}

@test "clock skew: the warning shows without -v" {
	emulator_set_clock_offset 3600
	run --separate-stderr "$COS_BIN" token -o env
	assert_token_ok
	assert_skew_warning 3600 behind
}

@test "clock skew: inside the 300 s window nothing is said" {
	emulator_set_clock_offset 120
	token_v
	assert_token_ok
	assert_requests 1
	[[ $stderr != *"local clock"* ]]
}

@test "clock skew: a skew the retry cannot fix exits 3 with the skew" {
	local expired='"error": ["AuthFailure.SignatureExpire", "Signature expired"]'
	scripted_script "[{$expired, \"date_offset\": 900}]"
	COS_STS_ENDPOINT=$SCRIPTED_URL token_v
	assert_failed_with 3
	assert_scripted_requests 2
	assert_skew_warning 900 behind
	grep -Eq "The local clock is (899|900|901) seconds behind the STS server's clock, and a request corrected by that offset failed too" <<<"$stderr"
	[[ $stderr == *"Code: AuthFailure.SignatureExpire"* ]]
}

@test "clock skew: no Date header means no second attempt" {
	local expired='"error": ["AuthFailure.SignatureExpire", "Signature expired"]'
	scripted_script "[{$expired}]"
	COS_STS_ENDPOINT=$SCRIPTED_URL token_v
	assert_failed_with 3
	assert_scripted_requests 1
	[[ $stderr == *"the response had no valid Date header"* ]]
}

@test "clock skew: a malformed Date header is not trusted" {
	local expired='"error": ["AuthFailure.SignatureExpire", "Signature expired"]'
	local date
	for date in "yesterday" "Sun, 06 Nov 1994 08:49:37 PST" \
		"Sun, 06 Foo 2030 08:49:37 GMT" "Sun, 32 Nov 2030 08:49:37 GMT" \
		"Sun, 06 Nov 2030 25:49:37 GMT" "Sun, 06 Nov 2030 08:49:37 GMT x"; do
		scripted_reset
		scripted_script "[{$expired, \"headers\": [[\"Date\", \"$date\"]]}]"
		COS_STS_ENDPOINT=$SCRIPTED_URL token_v
		assert_failed_with 3
		assert_scripted_requests 1
		[[ $stderr == *"no valid Date header"* ]]
	done
}

@test "timeout: COS_TIMEOUT=2 stops a slow server in about 2 s" {
	emulator_fault slow 1
	COS_TIMEOUT=2 token_v
	assert_failed_with 4
	[ "$elapsed_ms" -ge 1900 ]
	[ "$elapsed_ms" -lt 4000 ]
	[[ $stderr == *"timed out after 2000 ms"* ]]
	assert_requests 1
}

@test "timeout: the profile key timeout works too" {
	run "$COS_BIN" configure set timeout 2
	[ "$status" -eq 0 ]
	emulator_fault slow 1
	token_v
	assert_failed_with 4
	[ "$elapsed_ms" -ge 1900 ]
	[ "$elapsed_ms" -lt 4000 ]
	[[ $stderr == *"timed out after 2000 ms"* ]]
}

@test "timeout: COS_TIMEOUT wins over the profile key" {
	run "$COS_BIN" configure set timeout 60
	[ "$status" -eq 0 ]
	emulator_fault slow 1
	COS_TIMEOUT=1.5 token_v
	assert_failed_with 4
	[ "$elapsed_ms" -lt 3500 ]
	[[ $stderr == *"timed out after 1500 ms"* ]]
}

@test "timeout: connect_timeout bounds a server that never answers" {
	# The silent port accepts TCP but never starts TLS: each attempt
	# stops after connect_timeout, and all three fit in the time limit.
	COS_STS_ENDPOINT=$SCRIPTED_SILENT_URL COS_CONNECT_TIMEOUT=1 COS_TIMEOUT=20 token_v
	assert_failed_with 4
	[ "$(grep -c "^cos: POST" <<<"$stderr")" -eq 3 ]
	[ "$elapsed_ms" -ge 2900 ]
	[ "$elapsed_ms" -lt 9000 ]
	[[ $stderr == *"timed out"* ]]
}

@test "timeout: profile key connect_timeout works too" {
	run "$COS_BIN" configure set connect_timeout 1
	[ "$status" -eq 0 ]
	COS_STS_ENDPOINT=$SCRIPTED_SILENT_URL COS_TIMEOUT=2.5 token_v
	assert_failed_with 4
	[ "$elapsed_ms" -lt 4500 ]
	[[ $stderr == *"timed out"* ]]
}

@test "timeout: invalid values are usage errors" {
	local value
	for value in abc 0 -1 3601 nan 1e9 2s; do
		COS_TIMEOUT=$value token_v
		assert_failed_with 2
		[[ $stderr == *"timeout '$value' is not a number of seconds"* ]]
		run --separate-stderr "$COS_BIN" configure set timeout -- "$value"
		[ "$status" -eq 2 ]
		[[ $stderr == *"invalid timeout '$value'"* ]]
	done
	COS_CONNECT_TIMEOUT=soon token_v
	assert_failed_with 2
	[[ $stderr == *"connect_timeout 'soon' is not a number of seconds"* ]]
	assert_requests 0
}

@test "timeout: configure set stores and lists both keys" {
	run "$COS_BIN" configure set timeout 20
	[ "$status" -eq 0 ]
	run "$COS_BIN" configure set connect_timeout 2.5
	[ "$status" -eq 0 ]
	run --separate-stderr "$COS_BIN" configure get timeout
	[ "$output" = 20 ]
	run --separate-stderr "$COS_BIN" configure get connect_timeout
	[ "$output" = 2.5 ]
	run --separate-stderr "$COS_BIN" configure list
	grep -Eq '^timeout +20 +config' <<<"$output"
	grep -Eq '^connect_timeout +2.5 +config' <<<"$output"
}

# assert_absent FILE NAME VALUE...: none of the values occurs in FILE.
assert_absent() {
	local file=$1 name=$2 value
	shift 2
	for value in "$@"; do
		if [ ${#value} -lt 8 ]; then
			echo "$name '$value' is too short to search for" >&2
			return 1
		fi
		if grep -qF -- "$value" "$file"; then
			echo "$name found in $file" >&2
			return 1
		fi
	done
}

@test "debug: no secret of any kind reaches the log" {
	local passphrase="correct horse battery staple 7f3a"
	local pfile="$BATS_TEST_TMPDIR/passphrase" log="$BATS_TEST_TMPDIR/debug.log"
	local issued

	# A sealed profile whose master key has a passphrase.
	rm -f "$COS_CONFIG_DIR/credentials"
	printf '%s\n' "$passphrase" >"$pfile"
	export COS_PASSPHRASE_FILE=$pfile
	printf '%s\n' "$EMULATOR_SECRET_ID" | "$COS_BIN" configure set secret_id -
	printf '%s\n' "$EMULATOR_SECRET_KEY" | "$COS_BIN" configure set secret_key -
	"$COS_BIN" configure set assume_role "$EMULATOR_ROLE"
	"$COS_BIN" configure passphrase set
	grep -q '^cos-master-key:v1:argon2id:' "$COS_CONFIG_DIR/master.key"

	# One retry, so that the retry lines are in the log too.
	emulator_fault limit 1
	"$COS_BIN" --debug token -o json >"$BATS_TEST_TMPDIR/creds.json" 2>"$log"
	grep -q "retrying AssumeRole" "$log"
	grep -q "> X-TC-Action: AssumeRole" "$log"
	grep -Eq "^cos: > Authorization: TC3-HMAC-SHA256 Credential=<redacted>/[0-9]{4}-[0-9]{2}-[0-9]{2}/sts/tc3_request, SignedHeaders=content-type;host, Signature=<redacted>$" "$log"

	# The temporary credentials, signing GetCallerIdentity with a token.
	eval "$("$COS_TEST_PYTHON" - "$BATS_TEST_TMPDIR/creds.json" <<'EOF'
import json, shlex, sys
c = json.load(open(sys.argv[1]))["Credentials"]
for name, key in (("TMP_ID", "TmpSecretId"), ("TMP_KEY", "TmpSecretKey"),
                  ("TMP_TOKEN", "Token")):
    print("%s=%s" % (name, shlex.quote(c[key])))
EOF
)"
	COS_SECRET_ID=$TMP_ID COS_SECRET_KEY=$TMP_KEY COS_TOKEN=$TMP_TOKEN \
		"$COS_BIN" --debug whoami >/dev/null 2>>"$log"
	grep -q "> X-TC-Token: <redacted>" "$log"

	# Every temporary SecretId the emulator issued.
	issued=$(curl --cacert "$COS_CA_BUNDLE" --noproxy '*' -sS \
		"$EMULATOR_URL/__control/issued" |
		"$COS_TEST_PYTHON" -c 'import json, sys
for c in json.load(sys.stdin): print(c["TmpSecretId"])')
	[ -n "$issued" ]

	assert_absent "$log" "permanent secret id" "$EMULATOR_SECRET_ID"
	assert_absent "$log" "permanent secret key" "$EMULATOR_SECRET_KEY"
	assert_absent "$log" "passphrase" "$passphrase"
	assert_absent "$log" "temporary secret id" "$TMP_ID"
	assert_absent "$log" "temporary secret key" "$TMP_KEY"
	assert_absent "$log" "token" "$TMP_TOKEN"
	# shellcheck disable=SC2086
	assert_absent "$log" "issued secret id" $issued
	# The parts of the permanent key alone, so that a partial leak shows.
	assert_absent "$log" "secret id tail" "${EMULATOR_SECRET_ID:8}"
	assert_absent "$log" "secret key head" "${EMULATOR_SECRET_KEY:0:16}"
}

@test "debug: the search for secrets can fail" {
	# The same check finds a secret that is there.
	printf 'cos: > X-TC-Token: %s\n' "$EMULATOR_SECRET_KEY" >"$BATS_TEST_TMPDIR/leaky.log"
	run assert_absent "$BATS_TEST_TMPDIR/leaky.log" "secret key" "$EMULATOR_SECRET_KEY"
	[ "$status" -ne 0 ]
}
