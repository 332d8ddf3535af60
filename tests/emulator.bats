#!/usr/bin/env bats
# Tests of the local STS emulator itself, driven by an independent TC3
# signer written with openssl and curl, so that the cos tests can trust it.

load lib/common

setup_file() { cos_setup_file; }
teardown_file() { cos_teardown_file; }
setup() { cos_setup; }

EMULATOR="$BATS_TEST_DIRNAME/emulator/sts_emulator.py"

# --- an independent TC3-HMAC-SHA256 signer ---------------------------------

hex_of() { od -An -v -tx1 | tr -d ' \n'; }

sha256_file() { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }

# hmac_hex KEY_HEX MESSAGE: lower-case hex HMAC-SHA256.
hmac_hex() {
	printf '%s' "$2" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" -r |
		cut -d' ' -f1
}

# tc3_signature SECRET_KEY DATE STRING_TO_SIGN
tc3_signature() {
	local k
	k=$(printf 'TC3%s' "$1" | hex_of)
	k=$(hmac_hex "$k" "$2")
	k=$(hmac_hex "$k" sts)
	k=$(hmac_hex "$k" tc3_request)
	hmac_hex "$k" "$3"
}

# tc3_authorization METHOD HOST QUERY CONTENT_TYPE BODY_FILE TIMESTAMP DATE
#                   SECRET_ID SECRET_KEY
tc3_authorization() {
	local method=$1 host=$2 query=$3 ctype=$4 body=$5 ts=$6 date=$7
	local id=$8 key=$9 canonical hashed sts
	ctype=$(printf '%s' "$ctype" | tr 'A-Z' 'a-z')
	canonical=$(printf '%s\n/\n%s\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s' \
		"$method" "$query" "$ctype" "$host" "$(sha256_file "$body")")
	hashed=$(printf '%s' "$canonical" | openssl dgst -sha256 -r | cut -d' ' -f1)
	sts=$(printf 'TC3-HMAC-SHA256\n%s\n%s/sts/tc3_request\n%s' "$ts" "$date" "$hashed")
	printf 'TC3-HMAC-SHA256 Credential=%s/%s/sts/tc3_request, SignedHeaders=content-type;host, Signature=%s' \
		"$id" "$date" "$(tc3_signature "$key" "$date" "$sts")"
}

# sts_call ACTION BODY: signs and sends one request, prints the body.  These
# variables change what is signed or sent:
#   TS, SCOPE_DATE, SECRET_ID, SECRET_KEY, TOKEN, CTYPE, SIGN_CTYPE, SEND_BODY
#   (bytes sent instead of BODY), AUTH (Authorization sent as is), VERSION,
#   REGION (empty: no X-TC-Region), METHOD and QUERY (for GET).
sts_call() {
	local action=$1 body=$2 dir=$BATS_TEST_TMPDIR
	local method=${METHOD:-POST} query=${QUERY:-}
	local ts=${TS:-$(date +%s)} ctype=${CTYPE:-application/json} auth url
	local date=${SCOPE_DATE:-$(date -u -d "@$ts" +%F)}
	printf '%s' "$body" >"$dir/signed-body"
	printf '%s' "${SEND_BODY-$body}" >"$dir/sent-body"
	auth=${AUTH-$(tc3_authorization "$method" "127.0.0.1:$EMULATOR_PORT" \
		"$query" "${SIGN_CTYPE:-$ctype}" "$dir/signed-body" "$ts" "$date" \
		"${SECRET_ID:-$EMULATOR_SECRET_ID}" "${SECRET_KEY:-$EMULATOR_SECRET_KEY}")}
	local args=(--cacert "$COS_CA_BUNDLE" --noproxy '*' -sS --max-time 20
		-D "$dir/headers" -H "Content-Type: $ctype"
		-H "X-TC-Action: $action" -H "X-TC-Version: ${VERSION:-2018-08-13}"
		-H "X-TC-Timestamp: $ts" -H "X-TC-Language: en-US")
	[ -n "${REGION-ap-guangzhou}" ] && args+=(-H "X-TC-Region: ${REGION-ap-guangzhou}")
	[ -n "$auth" ] && args+=(-H "Authorization: $auth")
	[ -n "${TOKEN:-}" ] && args+=(-H "X-TC-Token: $TOKEN")
	url="https://127.0.0.1:$EMULATOR_PORT/"
	if [ "$method" = GET ]; then
		url="$url?$query"
		args+=(-G)
	else
		args+=(--data-binary "@$dir/sent-body")
	fi
	curl "${args[@]}" "$url"
}

# json_field PATH: prints a field of the JSON on stdin (dots separate keys).
json_field() {
	"$COS_TEST_PYTHON" -c 'import json, sys
value = json.loads(sys.stdin.buffer.read())
for key in sys.argv[1].split("."):
    value = value[int(key)] if isinstance(value, list) else value[key]
print(value if isinstance(value, str) else json.dumps(value))' "$1"
}

error_code() { printf '%s' "$output" | json_field Response.Error.Code; }

# header_value NAME: the value of a response header from the last sts_call.
header_value() {
	tr -d '\r' <"$BATS_TEST_TMPDIR/headers" |
		awk -v name="$(printf '%s' "$1" | tr 'A-Z' 'a-z')" '
		{ split($0, kv, ": "); if (tolower(kv[1]) == name) { sub(/^[^:]*: /, ""); print } }'
}

assume_body() {
	printf '{"RoleArn": "%s", "RoleSessionName": "%s"%s}' \
		"${2:-$EMULATOR_ROLE}" "${3:-emulator-test}" "${1:+, $1}"
}

# assume_role [EXTRA_JSON_MEMBERS]: sets TMP_ID, TMP_KEY, TMP_TOKEN.
assume_role() {
	local response
	response=$(sts_call AssumeRole "$(assume_body "${1:-}")") || return 1
	TMP_ID=$(printf '%s' "$response" | json_field Response.Credentials.TmpSecretId) &&
	TMP_KEY=$(printf '%s' "$response" | json_field Response.Credentials.TmpSecretKey) &&
	TMP_TOKEN=$(printf '%s' "$response" | json_field Response.Credentials.Token)
}

# signed_request_args: curl arguments of a valid AssumeRole request, in the
# array REQUEST, for tests that need raw curl behavior.
signed_request_args() {
	local ts body="$BATS_TEST_TMPDIR/raw-body"
	ts=$(date +%s)
	assume_body >"$body"
	REQUEST=(--cacert "$COS_CA_BUNDLE" --noproxy '*' -sS
		-H "Content-Type: application/json" -H "X-TC-Action: AssumeRole"
		-H "X-TC-Version: 2018-08-13" -H "X-TC-Timestamp: $ts"
		-H "X-TC-Region: ap-guangzhou"
		-H "Authorization: $(tc3_authorization POST "127.0.0.1:$EMULATOR_PORT" "" \
			application/json "$body" "$ts" "$(date -u -d "@$ts" +%F)" \
			"$EMULATOR_SECRET_ID" "$EMULATOR_SECRET_KEY")"
		--data-binary "@$body" "https://127.0.0.1:$EMULATOR_PORT/")
}

# --- self-test and the signer ----------------------------------------------

@test "self-test passes on the published vectors" {
	run "$COS_TEST_PYTHON" "$EMULATOR" --self-test
	[ "$status" -eq 0 ]
	[[ "$output" != *"not ok"* ]]
	for name in TC3-V1 TC3-V2 TC3-V3a TC3-V3b TC3-V4 TC3-V5; do
		[[ "$output" == *"ok "*" - $name signature"* ]]
		[[ "$output" == *"ok "*" - $name verifies"* ]]
	done
}

@test "self-test fails on a wrong vector" {
	"$COS_TEST_PYTHON" - "$BATS_TEST_DIRNAME/emulator/tc3_vectors.json" \
		"$BATS_TEST_TMPDIR/bad.json" <<-'EOF'
	import json, sys
	doc = json.load(open(sys.argv[1], encoding="utf-8"))
	v = doc["vectors"][1]
	v["signature"] = v["signature"][:-1] + ("0" if v["signature"][-1] != "0" else "1")
	json.dump(doc, open(sys.argv[2], "w", encoding="utf-8"))
	EOF
	run "$COS_TEST_PYTHON" "$EMULATOR" --self-test --vectors "$BATS_TEST_TMPDIR/bad.json"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not ok "*" - TC3-V2 signature"* ]]
}

@test "bash signer reproduces vector TC3-V1" {
	printf '{}' >"$BATS_TEST_TMPDIR/v1"
	run tc3_authorization POST sts.tencentcloudapi.com "" application/json \
		"$BATS_TEST_TMPDIR/v1" 1699980000 2023-11-14 \
		AKIDEXAMPLE1234567890abcdefghijklmnop EXAMPLEKEY1234567890abcdefghijklm
	[ "$output" = "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE1234567890abcdefghijklmnop/2023-11-14/sts/tc3_request, SignedHeaders=content-type;host, Signature=ded35d3d37555f4fb76bd64006aae91b3ab13de7bc8f867ab52ae389889d6d5c" ]
}

@test "--help lists every option and fault mode" {
	run "$COS_TEST_PYTHON" "$EMULATOR" --help
	[ "$status" -eq 0 ]
	for word in --port-file --cert --key --log --clock-offset --keys \
		--self-test http500 http503-retry-after limit internal slow close \
		notjson missingfield wrongtype oversized hostile nul token-too-long \
		empty /__control/fault /__control/reset /__control/stats \
		/__control/clock "$EMULATOR_SECRET_ID" "$EMULATOR_ROLE"; do
		[[ "$output" == *"$word"* ]] || { echo "missing: $word"; false; }
	done
}

# --- server basics ---------------------------------------------------------

@test "server listens on 127.0.0.1 only" {
	run "$COS_TEST_PYTHON" -c 'import socket, sys
s = socket.socket()
s.settimeout(2)
try:
    s.connect(("127.0.0.2", int(sys.argv[1])))
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)' "$EMULATOR_PORT"
	[ "$status" -eq 0 ]
}

@test "untrusted CA is rejected by curl" {
	run curl --cacert "$EMULATOR_UNTRUSTED_CA" --noproxy '*' -sS \
		"$EMULATOR_URL/__control/stats"
	[ "$status" -eq 60 ]
}

@test "certificate is valid for localhost" {
	run curl --cacert "$COS_CA_BUNDLE" --noproxy '*' -sS \
		--resolve "localhost:$EMULATOR_PORT:127.0.0.1" \
		"https://localhost:$EMULATOR_PORT/__control/stats"
	[ "$status" -eq 0 ]
}

# --- signature checks ------------------------------------------------------

@test "signed AssumeRole returns credentials" {
	local before after
	before=$(date +%s)
	run sts_call AssumeRole "$(assume_body '"DurationSeconds": 1800')"
	after=$(date +%s)
	[ "$status" -eq 0 ]
	id=$(printf '%s' "$output" | json_field Response.Credentials.TmpSecretId)
	key=$(printf '%s' "$output" | json_field Response.Credentials.TmpSecretKey)
	token=$(printf '%s' "$output" | json_field Response.Credentials.Token)
	expired=$(printf '%s' "$output" | json_field Response.ExpiredTime)
	expiration=$(printf '%s' "$output" | json_field Response.Expiration)
	request_id=$(printf '%s' "$output" | json_field Response.RequestId)
	[[ "$id" == AKID* ]]
	[ "${#key}" -ge 32 ]
	[ "${#token}" -ge 200 ] && [ "${#token}" -le 4096 ]
	[ "$expired" -ge $((before + 1800)) ] && [ "$expired" -le $((after + 1800)) ]
	[ "$expiration" = "$(date -u -d "@$expired" +%Y-%m-%dT%H:%M:%SZ)" ]
	[[ "$request_id" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]
	[ -n "$(header_value Date)" ]
	[ "$(header_value Content-Type)" = application/json ]
}

@test "two AssumeRole calls return different credentials" {
	assume_role
	first=$TMP_ID
	assume_role
	[ "$first" != "$TMP_ID" ]
}

@test "DurationSeconds defaults to 7200" {
	now=$(date +%s)
	run sts_call AssumeRole "$(assume_body)"
	expired=$(printf '%s' "$output" | json_field Response.ExpiredTime)
	[ "$expired" -ge $((now + 7200)) ] && [ "$expired" -le $((now + 7202)) ]
}

@test "altered body byte gives SignatureFailure" {
	body=$(assume_body)
	SEND_BODY=${body/emulator-test/emulator-tesT} run sts_call AssumeRole "$body"
	[ "$(error_code)" = AuthFailure.SignatureFailure ]
	[[ "$output" == *'"RequestId"'* ]]
}

@test "wrong secret key gives SignatureFailure" {
	SECRET_KEY=${EMULATOR_SECRET_KEY%?}X run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = AuthFailure.SignatureFailure ]
}

@test "unknown SecretId gives SecretIdNotFound" {
	SECRET_ID=AKIDUNKNOWN0000000000000000000000000 run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = AuthFailure.SecretIdNotFound ]
}

@test "timestamp 400 s off gives SignatureExpire" {
	TS=$(($(date +%s) - 400)) run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = AuthFailure.SignatureExpire ]
	TS=$(($(date +%s) + 400)) run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = AuthFailure.SignatureExpire ]
	TS=$(($(date +%s) - 200)) run sts_call AssumeRole "$(assume_body)"
	printf '%s' "$output" | json_field Response.Credentials.TmpSecretId
}

@test "Beijing date in the scope is rejected" {
	now=$(date +%s)
	# Put the emulator's clock at 16:40 UTC, when Beijing is a day ahead.
	target=$((now / 86400 * 86400 + 16 * 3600 + 2400))
	emulator_set_clock_offset $((target - now))
	utc=$(date -u -d "@$target" +%F)
	beijing=$(date -u -d "@$((target + 8 * 3600))" +%F)
	[ "$utc" != "$beijing" ]

	TS=$target SCOPE_DATE=$beijing run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = AuthFailure.SignatureFailure ]
	TS=$target SCOPE_DATE=$utc run sts_call AssumeRole "$(assume_body)"
	printf '%s' "$output" | json_field Response.Credentials.TmpSecretId
}

@test "malformed Authorization gives InvalidAuthorization" {
	good=$(tc3_authorization POST "127.0.0.1:$EMULATOR_PORT" "" \
		application/json /dev/null 1 1970-01-01 "$EMULATOR_SECRET_ID" x)
	bad=(
		"${good//, /,}"
		"${good/TC3-HMAC-SHA256/tc3-hmac-sha256}"
		"${good/SignedHeaders=content-type;host/SignedHeaders=host}"
		"${good/SignedHeaders=content-type;host/SignedHeaders=host;content-type}"
		"${good/\/tc3_request/}"
		"${good%, Signature=*}"
		"Bearer abc"
		""
	)
	for auth in "${bad[@]}"; do
		AUTH=$auth run sts_call AssumeRole "$(assume_body)"
		[ "$(error_code)" = AuthFailure.InvalidAuthorization ] ||
			{ echo "accepted: $auth -> $output"; false; }
	done
}

@test "charset in Content-Type works when signed as sent" {
	CTYPE="application/json; charset=utf-8" run sts_call AssumeRole "$(assume_body)"
	printf '%s' "$output" | json_field Response.Credentials.TmpSecretId
	CTYPE="application/json; charset=utf-8" SIGN_CTYPE=application/json \
		run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = AuthFailure.SignatureFailure ]
	CTYPE=text/plain run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = InvalidParameter ]
}

@test "GET request signs the query string" {
	METHOD=GET CTYPE=application/x-www-form-urlencoded \
		run sts_call GetCallerIdentity ""
	[ "$(printf '%s' "$output" | json_field Response.Type)" = CAMUser ]
	QUERY="RoleArn=$EMULATOR_ROLE&RoleSessionName=get-test&DurationSeconds=900" \
		METHOD=GET CTYPE=application/x-www-form-urlencoded \
		run sts_call AssumeRole ""
	printf '%s' "$output" | json_field Response.Credentials.TmpSecretId
}

@test "unknown action and version are rejected" {
	run sts_call GetFederationTokenX '{}'
	[ "$(error_code)" = InvalidAction ]
	VERSION=2019-01-01 run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = NoSuchVersion ]
}

@test "missing or invalid X-TC-Region is rejected" {
	REGION="" run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = MissingParameter ]
	REGION=Guangzhou run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = UnsupportedRegion ]
}

# --- AssumeRole parameters -------------------------------------------------

@test "AssumeRole rejects bad parameters with the real codes" {
	uin_role=qcs::cam::uin/100000000001
	cases=(
		"ResourceNotFound.RoleNotFound|$(assume_body "" "$uin_role:roleName/missing-role")"
		"ResourceNotFound.RoleNotFound|$(assume_body "" "qcs::cam::uin/100000000002:roleName/cos-test-role")"
		"InvalidParameter.ParamError|$(assume_body "" "qcs::cam::uin/abc:roleName/x")"
		"InvalidParameter.ParamError|$(assume_body "" "cos-test-role")"
		"InvalidParameter.ParamError|$(assume_body "" "" "x")"
		"InvalidParameter.ParamError|$(assume_body "" "" "has space")"
		"InvalidParameter.ParamError|$(assume_body "" "" "$(printf 'a%.0s' {1..129})")"
		"InvalidParameter.OverTimeError|$(assume_body '"DurationSeconds": 43201')"
		"InvalidParameter.ParamError|$(assume_body '"DurationSeconds": "900"')"
		"InvalidParameter.ParamError|$(assume_body '"DurationSeconds": 0')"
		"InvalidParameter.StrategyFormatError|$(assume_body '"Policy": "not-json"')"
		"InvalidParameter.StrategyFormatError|$(assume_body '"Policy": "%7B%22statement%22%3A%5B%5D%7D"')"
		"InvalidParameter.StrategyFormatError|$(assume_body '"Policy": "%7B%22version%22%3A%222.0%22%2C%22principal%22%3A%7B%7D%2C%22statement%22%3A%5B%7B%22effect%22%3A%22allow%22%2C%22action%22%3A%22*%22%2C%22resource%22%3A%22*%22%7D%5D%7D"')"
		"InvalidParameter.ResouceError|$(assume_body '"Policy": "%7B%22version%22%3A%222.0%22%2C%22statement%22%3A%5B%7B%22effect%22%3A%22allow%22%2C%22action%22%3A%22*%22%2C%22resource%22%3A%22bucket%2Fkey%22%7D%5D%7D"')"
		"MissingParameter|{\"RoleArn\": \"$EMULATOR_ROLE\"}"
		"UnknownParameter|$(assume_body '"Bogus": 1')"
	)
	for case in "${cases[@]}"; do
		want=${case%%|*}
		run sts_call AssumeRole "${case#*|}"
		[ "$(error_code)" = "$want" ] ||
			{ echo "${case#*|}: want $want, got $output"; false; }
	done
}

@test "role can be named by id and long sessions allowed" {
	run sts_call AssumeRole "$(assume_body '"DurationSeconds": 43200' \
		qcs::cam::uin/100000000001:role/4611686018427397919 "a@b.c=d,e+f_g-h")"
	printf '%s' "$output" | json_field Response.Credentials.TmpSecretId
}

@test "valid policy is accepted and recorded" {
	policy='{"version":"2.0","statement":[{"effect":"allow","action":["name/cos:GetObject"],"resource":["qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/dir/*"]}]}'
	encoded=$("$COS_TEST_PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$policy")
	run sts_call AssumeRole "$(assume_body "\"Policy\": \"$encoded\"")"
	printf '%s' "$output" | json_field Response.Credentials.TmpSecretId
	stats=$(emulator_stats)
	[ "$(printf '%s' "$stats" | json_field last_policy_raw)" = "$encoded" ]
	[ "$(printf '%s' "$stats" | json_field last_policy.statement.0.resource.0)" = \
		qcs::cos:ap-guangzhou:uid/1250000000:examplebucket-1250000000/dir/* ]
	issued=$(curl --cacert "$COS_CA_BUNDLE" --noproxy '*' -sS "$EMULATOR_URL/__control/issued")
	[[ "$issued" == *'"PolicyDecoded"'*'name/cos:GetObject'* ]]
}

# --- temporary credentials -------------------------------------------------

@test "GetCallerIdentity with the permanent key" {
	run sts_call GetCallerIdentity '{}'
	[ "$(printf '%s' "$output" | json_field Response.Type)" = CAMUser ]
	[ "$(printf '%s' "$output" | json_field Response.AccountId)" = 100000000001 ]
	[ "$(printf '%s' "$output" | json_field Response.Arn)" = \
		qcs::cam::uin/100000000001:uin/100000000001 ]
}

@test "GetCallerIdentity with issued temporary credentials" {
	assume_role
	SECRET_ID=$TMP_ID SECRET_KEY=$TMP_KEY TOKEN=$TMP_TOKEN \
		run sts_call GetCallerIdentity '{}'
	[ "$(printf '%s' "$output" | json_field Response.Type)" = CAMRole ]
	[ "$(printf '%s' "$output" | json_field Response.Arn)" = \
		qcs::sts:100000000001:assumed-role/4611686018427397919/emulator-test ]
	[ "$(printf '%s' "$output" | json_field Response.UserId)" = \
		4611686018427397919:emulator-test ]
}

@test "temporary credentials need the right token" {
	assume_role
	SECRET_ID=$TMP_ID SECRET_KEY=$TMP_KEY run sts_call GetCallerIdentity '{}'
	[ "$(error_code)" = AuthFailure.TokenFailure ]
	SECRET_ID=$TMP_ID SECRET_KEY=$TMP_KEY TOKEN=${TMP_TOKEN%?}x \
		run sts_call GetCallerIdentity '{}'
	[ "$(error_code)" = AuthFailure.TokenFailure ]
	SECRET_ID=$TMP_ID SECRET_KEY=${TMP_KEY%?}x TOKEN=$TMP_TOKEN \
		run sts_call GetCallerIdentity '{}'
	[ "$(error_code)" = AuthFailure.SignatureFailure ]
	TOKEN=$TMP_TOKEN run sts_call GetCallerIdentity '{}'
	[ "$(error_code)" = AuthFailure.TokenFailure ]
}

@test "expired temporary credentials give TokenFailure" {
	assume_role '"DurationSeconds": 900'
	emulator_set_clock_offset 1000
	SECRET_ID=$TMP_ID SECRET_KEY=$TMP_KEY TOKEN=$TMP_TOKEN \
		TS=$(($(date +%s) + 1000)) run sts_call GetCallerIdentity '{}'
	[ "$(error_code)" = AuthFailure.TokenFailure ]
}

# --- clock -----------------------------------------------------------------

@test "clock offset moves the Date header and the skew window" {
	emulator_set_clock_offset 3600
	run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = AuthFailure.SignatureExpire ]
	date_epoch=$(date -d "$(header_value Date)" +%s)
	now=$(date +%s)
	[ "$date_epoch" -ge $((now + 3590)) ] && [ "$date_epoch" -le $((now + 3610)) ]
	TS=$((now + 3600)) run sts_call AssumeRole "$(assume_body)"
	printf '%s' "$output" | json_field Response.Credentials.TmpSecretId
}

@test "reset restores the clock" {
	emulator_set_clock_offset 3600
	curl --cacert "$COS_CA_BUNDLE" --noproxy '*' -sS -X POST "$EMULATOR_URL/__control/reset"
	run sts_call AssumeRole "$(assume_body)"
	printf '%s' "$output" | json_field Response.Credentials.TmpSecretId
}

# --- faults ----------------------------------------------------------------

@test "fault http500" {
	emulator_fault http500
	signed_request_args
	run curl -o /dev/null -w '%{http_code}' "${REQUEST[@]}"
	[ "$output" = 500 ]
	run curl "${REQUEST[@]}"
	printf '%s' "$output" | json_field Response.Credentials.TmpSecretId
}

@test "fault http503-retry-after" {
	emulator_fault http503-retry-after
	signed_request_args
	run curl -D "$BATS_TEST_TMPDIR/headers" -o /dev/null -w '%{http_code}' "${REQUEST[@]}"
	[ "$output" = 503 ]
	[ "$(header_value Retry-After)" = 1 ]
}

@test "fault limit and internal" {
	emulator_fault limit
	run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = RequestLimitExceeded ]
	emulator_fault internal
	run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = InternalError.SystemError ]
}

@test "fault count applies to that many requests" {
	emulator_fault limit 2
	run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = RequestLimitExceeded ]
	run sts_call AssumeRole "$(assume_body)"
	[ "$(error_code)" = RequestLimitExceeded ]
	run sts_call AssumeRole "$(assume_body)"
	printf '%s' "$output" | json_field Response.Credentials.TmpSecretId
}

@test "fault notjson" {
	emulator_fault notjson
	run sts_call AssumeRole "$(assume_body)"
	[ "$status" -eq 0 ]
	[[ "$output" == "<html>"* ]]
	[ "$(header_value Content-Type)" = text/html ]
	run "$COS_TEST_PYTHON" -c 'import json, sys; json.loads(sys.argv[1])' "$output"
	[ "$status" -ne 0 ]
}

@test "fault missingfield and wrongtype" {
	emulator_fault missingfield
	run sts_call AssumeRole "$(assume_body)"
	printf '%s' "$output" | json_field Response.Credentials.TmpSecretId
	run "$COS_TEST_PYTHON" -c 'import json, sys
c = json.loads(sys.argv[1])["Response"]["Credentials"]
assert "TmpSecretKey" not in c and "Token" in c, c' "$output"
	[ "$status" -eq 0 ]

	emulator_fault wrongtype
	run sts_call AssumeRole "$(assume_body)"
	run "$COS_TEST_PYTHON" -c 'import json, sys
r = json.loads(sys.argv[1])["Response"]
assert isinstance(r["ExpiredTime"], str), r["ExpiredTime"]
assert isinstance(r["Credentials"]["Token"], int)' "$output"
	[ "$status" -eq 0 ]
}

@test "fault oversized" {
	emulator_fault oversized
	signed_request_args
	run curl -o "$BATS_TEST_TMPDIR/big" "${REQUEST[@]}"
	[ "$status" -eq 0 ]
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/big")" -gt 1048576 ]
	json_field Response.Credentials.TmpSecretId <"$BATS_TEST_TMPDIR/big"
}

@test "fault close cuts the body short" {
	emulator_fault close
	signed_request_args
	run curl -D "$BATS_TEST_TMPDIR/headers" -o "$BATS_TEST_TMPDIR/part" "${REQUEST[@]}"
	[ "$status" -ne 0 ]
	length=$(header_value Content-Length)
	[ "$length" -gt 0 ]
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/part")" -lt "$length" ]
}

@test "fault slow holds the answer while others are served" {
	emulator_fault slow
	signed_request_args
	start=$(date +%s)
	run curl --max-time 2 -o /dev/null "${REQUEST[@]}"
	[ "$status" -eq 28 ]
	[ $(($(date +%s) - start)) -lt 5 ]
	run curl --max-time 5 "${REQUEST[@]}"
	printf '%s' "$output" | json_field Response.Credentials.TmpSecretId
}

@test "fault hostile returns quoted shell metacharacters" {
	emulator_fault hostile
	run sts_call AssumeRole "$(assume_body)"
	run "$COS_TEST_PYTHON" -c 'import json, sys
c = json.loads(sys.argv[1])["Response"]["Credentials"]
for value in c.values():
    for part in ("\x27", "\"", "$(id)", "`", "\\", " ", "\n"):
        assert part in value, (part, value)' "$output"
	[ "$status" -eq 0 ]
}

@test "fault nul, token-too-long and empty" {
	emulator_fault nul
	run sts_call AssumeRole "$(assume_body)"
	[[ "$output" == *'\u0000'* ]]
	emulator_fault token-too-long
	run sts_call AssumeRole "$(assume_body)"
	token=$(printf '%s' "$output" | json_field Response.Credentials.Token)
	[ "${#token}" -eq 5000 ]
	emulator_fault empty
	signed_request_args
	run curl -o "$BATS_TEST_TMPDIR/empty" -w '%{http_code}' "${REQUEST[@]}"
	[ "$output" = 200 ]
	[ ! -s "$BATS_TEST_TMPDIR/empty" ]
}

@test "unknown fault mode is rejected" {
	run emulator_fault no-such-mode
	[ "$status" -ne 0 ]
	[[ "$output" == *"unknown fault mode"* ]]
}

# --- counters, stats, log, concurrency -------------------------------------

@test "counters count requests and reset clears them" {
	assume_role
	assume_role
	SECRET_KEY=wrong run sts_call AssumeRole "$(assume_body)"
	run sts_call GetCallerIdentity '{}'
	[ "$(emulator_count AssumeRole)" = 3 ]
	[ "$(emulator_count AssumeRole ok)" = 2 ]
	[ "$(emulator_count GetCallerIdentity)" = 1 ]
	[ "$(emulator_count GetFederationToken)" = 0 ]
	curl --cacert "$COS_CA_BUNDLE" --noproxy '*' -sS -X POST "$EMULATOR_URL/__control/reset"
	[ "$(emulator_count AssumeRole)" = 0 ]
}

@test "stats redact Authorization and X-TC-Token" {
	assume_role
	SECRET_ID=$TMP_ID SECRET_KEY=$TMP_KEY TOKEN=$TMP_TOKEN \
		run sts_call GetCallerIdentity '{}'
	stats=$(emulator_stats)
	[ "$(printf '%s' "$stats" | json_field last_headers.authorization)" = \
		"TC3-HMAC-SHA256 <redacted>" ]
	[ "$(printf '%s' "$stats" | json_field last_headers.x-tc-token)" = "<redacted>" ]
	[ "$(printf '%s' "$stats" | json_field last_headers.x-tc-action)" = GetCallerIdentity ]
	[[ "$stats" != *"$TMP_TOKEN"* ]]
	[[ "$stats" != *"Signature="* ]]
}

@test "log has one line per request and no secret" {
	assume_role
	SECRET_KEY=wrong run sts_call AssumeRole "$(assume_body)"
	grep -q ' AssumeRole ok$' "$EMULATOR_LOG"
	grep -q ' AssumeRole AuthFailure.SignatureFailure$' "$EMULATOR_LOG"
	! grep -qF "$EMULATOR_SECRET_KEY" "$EMULATOR_LOG"
	! grep -qF "$TMP_TOKEN" "$EMULATOR_LOG"
	! grep -qF "$TMP_KEY" "$EMULATOR_LOG"
}

@test "50 concurrent clients are all served" {
	signed_request_args
	out=$BATS_TEST_TMPDIR/concurrent
	mkdir "$out"
	for i in $(seq 1 50); do
		curl --max-time 20 -o "$out/$i" "${REQUEST[@]}" &
	done
	wait
	[ "$(grep -l '"TmpSecretId": "AKID' "$out"/* | wc -l)" -eq 50 ]
	[ "$(emulator_count AssumeRole ok)" = 50 ]
}

@test "port file appears with the chosen port" {
	port_file=$BATS_FILE_TMPDIR/emulator.port
	[ "$(cat "$port_file")" = "$EMULATOR_PORT" ]
	[ ! -e "$port_file.tmp.$EMULATOR_PID" ]
}

# --- the shared helpers ----------------------------------------------------

@test "cos_setup gives a fresh HOME" {
	[ "$HOME" = "$BATS_TEST_TMPDIR/home" ]
	[ "$COS_CONFIG_DIR" = "$HOME/.cos" ]
	[ "$PWD" = "$HOME" ]
	[ "$(stat -c %a "$COS_CONFIG_DIR")" = 700 ]
	[ -z "$(ls -A "$COS_CONFIG_DIR")" ]
	[ "$COS_STS_ENDPOINT" = "https://127.0.0.1:$EMULATOR_PORT" ]
	[ "$EMULATOR_URL" = "$COS_STS_ENDPOINT" ]
}

@test "write_plain_profile writes both files" {
	write_plain_profile
	write_plain_profile dev
	[ "$(stat -c %a "$COS_CONFIG_DIR/config")" = 600 ]
	[ "$(stat -c %a "$COS_CONFIG_DIR/credentials")" = 600 ]
	grep -qx '\[default\]' "$COS_CONFIG_DIR/credentials"
	grep -qx '\[profile dev\]' "$COS_CONFIG_DIR/credentials"
	grep -qx '\[profile dev\]' "$COS_CONFIG_DIR/config"
	grep -qx "secret_id = $EMULATOR_SECRET_ID" "$COS_CONFIG_DIR/credentials"
	grep -qx "assume_role = $EMULATOR_ROLE" "$COS_CONFIG_DIR/credentials"
	grep -qx 'region = ap-guangzhou' "$COS_CONFIG_DIR/config"
	! grep -q secret "$COS_CONFIG_DIR/config"
}

@test "assert_no_crash tells signals from errors" {
	status=139 output=""
	run assert_no_crash
	[ "$status" -eq 1 ]
	status=130 output=""
	assert_no_crash
	status=1 output="ERROR: AddressSanitizer: heap-use-after-free"
	run assert_no_crash
	[ "$status" -eq 1 ]
	status=3 output="AuthFailure.SignatureFailure"
	assert_no_crash
}
