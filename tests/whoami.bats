#!/usr/bin/env bats
# cos whoami: the identity behind each credential source, against the STS
# emulator.

load lib/common

bats_require_minimum_version 1.5.0

setup_file() { cos_setup_file; }
teardown_file() { cos_teardown_file; }
setup() {
	cos_setup
	COS="$COS_BUILD/cos"
	ACCOUNT=100000000001
	ROLE_ID=4611686018427397919
}

# field NAME: the value of row NAME in the table in $output.
field() {
	printf '%s\n' "$output" | sed -n "s/^$1  *//p"
}

# json_field NAME: field NAME of the JSON in $output ("None" for null).
json_field() {
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' \
		"$output" "$1"
}

@test "whoami role session" {
	role_profile
	run --separate-stderr "$COS" whoami
	assert_no_crash
	[ "$status" -eq 0 ]
	[ "$(field AccountId)" = "$ACCOUNT" ]
	[[ "$(field Arn)" == "qcs::sts:$ACCOUNT:assumed-role/$ROLE_ID/"* ]]
	[[ "$(field UserId)" == "$ROLE_ID:"* ]]
	[ "$(field PrincipalId)" = "$ROLE_ID" ]
	[ "$(field Type)" = CAMRole ]
	[ "$(field Source)" = "assume role" ]
	[[ "$(field TimeLeft)" =~ ^(1h\ 59m\ [0-9]+s|2h\ 0m\ 0s)$ ]]
	[[ "$(field Expiration)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
	[ "$(emulator_count GetCallerIdentity)" -eq 1 ]
}

@test "whoami reuses the cached session" {
	role_profile
	run --separate-stderr "$COS" whoami
	[ "$status" -eq 0 ]
	local arn
	arn=$(field Arn)
	run --separate-stderr "$COS" whoami
	[ "$status" -eq 0 ]
	[ "$(field Source)" = "cached session" ]
	[ "$(field Type)" = CAMRole ]
	[ "$(field Arn)" = "$arn" ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
	[ "$(emulator_count GetCallerIdentity)" -eq 2 ]
}

@test "whoami permanent key" {
	key_profile
	run --separate-stderr "$COS" whoami
	assert_no_crash
	[ "$status" -eq 0 ]
	[ "$(field AccountId)" = "$ACCOUNT" ]
	[ "$(field Type)" = CAMUser ]
	[ "$(field Source)" = "permanent key" ]
	[[ "$(field Arn)" == "qcs::cam::uin/$ACCOUNT:uin/"* ]]
	[[ "$output" != *TimeLeft* ]]
	[[ "$output" != *Expiration* ]]
	[ "$(emulator_count AssumeRole)" -eq 0 ]
}

@test "whoami permanent key from the environment" {
	export COS_SECRET_ID=$EMULATOR_SECRET_ID COS_SECRET_KEY=$EMULATOR_SECRET_KEY
	run --separate-stderr "$COS" whoami
	[ "$status" -eq 0 ]
	[ "$(field Type)" = CAMUser ]
	[ "$(field Source)" = "permanent key" ]
}

@test "whoami environment token" {
	role_profile
	eval "$("$COS" token -o env)"
	run --separate-stderr "$COS" whoami
	assert_no_crash
	[ "$status" -eq 0 ]
	[ "$(field Type)" = CAMRole ]
	[ "$(field Source)" = "environment token" ]
	[ "$(field Expiration)" = "$COS_TOKEN_EXPIRATION" ]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "whoami environment token without expiry" {
	role_profile
	eval "$("$COS" token -o env)"
	unset COS_TOKEN_EXPIRATION
	run --separate-stderr "$COS" whoami
	[ "$status" -eq 0 ]
	[ "$(field Source)" = "environment token" ]
	[ "$(field TimeLeft)" = unknown ]
	[ "$(field Expiration)" = unknown ]
}

@test "whoami imported token" {
	role_profile
	(
		eval "$("$COS" token -o env)"
		"$COS" configure import-token --from-env --profile imported
	)
	run --separate-stderr "$COS" whoami --profile imported
	assert_no_crash
	[ "$status" -eq 0 ]
	[ "$(field Type)" = CAMRole ]
	[ "$(field Source)" = "imported token" ]
	[[ "$(field TimeLeft)" =~ ^(1h\ 59m\ [0-9]+s|2h\ 0m\ 0s)$ ]]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "whoami json" {
	role_profile
	run --separate-stderr "$COS" whoami -o json
	assert_no_crash
	[ "$status" -eq 0 ]
	[ "$(json_field AccountId)" = "$ACCOUNT" ]
	[ "$(json_field Type)" = CAMRole ]
	[ "$(json_field PrincipalId)" = "$ROLE_ID" ]
	[ "$(json_field Source)" = "assume role" ]
	[ "$(json_field Temporary)" = True ]
	local left
	left=$(json_field SecondsLeft)
	[ "$left" -gt 7000 ] && [ "$left" -le 7200 ]
	[[ "$(json_field Expiration)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]
	[ -n "$(json_field RequestId)" ]
}

@test "whoami json permanent key" {
	key_profile
	run --separate-stderr "$COS" whoami --output json
	[ "$status" -eq 0 ]
	[ "$(json_field Type)" = CAMUser ]
	[ "$(json_field Temporary)" = False ]
	[ "$(json_field Expiration)" = None ]
	[ "$(json_field SecondsLeft)" = None ]
}

@test "whoami rejected key is one request" {
	printf '%s\n' "$EMULATOR_SECRET_ID" | "$COS" configure set secret_id -
	printf '%s\n' wrongSecretKey0123456789abcdefgh |
		"$COS" configure set secret_key -
	run --separate-stderr "$COS" whoami
	assert_no_crash
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"AuthFailure.SignatureFailure"* ]]
	[ -z "$output" ]
	[ "$(emulator_count GetCallerIdentity)" -eq 1 ]
}

@test "whoami rejected key with a role" {
	printf '%s\n' AKIDunknownKey000000000000000000000 |
		"$COS" configure set secret_id -
	printf '%s\n' "$EMULATOR_SECRET_KEY" | "$COS" configure set secret_key -
	"$COS" configure set assume_role "$EMULATOR_ROLE"
	run --separate-stderr "$COS" whoami
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"AuthFailure.SecretIdNotFound"* ]]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
	[ "$(emulator_count GetCallerIdentity)" -eq 0 ]
}

@test "whoami region option" {
	role_profile
	run --separate-stderr "$COS" whoami -r ap-beijing
	[ "$status" -eq 0 ]
	emulator_stats | python3 -c '
import json, sys
headers = {k.lower(): v for k, v in json.load(sys.stdin)["last_headers"].items()}
assert headers["x-tc-region"] == "ap-beijing", headers'
}

@test "whoami usage errors" {
	run --separate-stderr "$COS" whoami -o env
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unknown output format 'env'"* ]]
	run --separate-stderr "$COS" whoami extra
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"unexpected argument 'extra'"* ]]
	run --separate-stderr "$COS" whoami -r 'bad region'
	[ "$status" -eq 2 ]
	[ "$(emulator_count GetCallerIdentity)" -eq 0 ]
}

@test "whoami without credentials" {
	run --separate-stderr "$COS" whoami
	assert_no_crash
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no credentials are configured for profile 'default'"* ]]
	[ "$(emulator_count GetCallerIdentity)" -eq 0 ]
}

@test "whoami rejected cached session" {
	role_profile
	run --separate-stderr "$COS" whoami
	[ "$status" -eq 0 ]
	# 7300 s ahead, the emulator sees the cached session as expired,
	# while by our clock it has two hours left.
	emulator_set_clock_offset 7300
	run --separate-stderr "$COS" whoami
	assert_no_crash
	[ "$status" -eq 3 ]
	[[ "$stderr" == *"AuthFailure.TokenFailure"* ]]
	[[ "$stderr" == *"drop it with: cos configure clear-cache --profile default"* ]]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}
