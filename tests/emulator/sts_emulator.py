#!/usr/bin/env python3
"""Local emulator of Tencent Cloud STS (API 3.0, version 2018-08-13) for tests.

Serves HTTPS on 127.0.0.1 only.  It checks TC3-HMAC-SHA256 signatures and
AssumeRole parameters the way the real service does, returns the real error
codes, and lets tests inject faults through /__control/ endpoints.
Run with --help for options, fault modes and the built-in key.
"""

import argparse
import base64
import email.utils
import http.server
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import string
import sys
import threading
import time
import traceback
import urllib.parse
import uuid

import tc3auth
from tc3auth import ApiError

API_VERSION = "2018-08-13"
ACTIONS = ("AssumeRole", "GetCallerIdentity")

BUILTIN_SECRET_ID = "AKIDEMULATOR00000000000000000EXAMPLE"
BUILTIN_SECRET_KEY = "emulatorSecretKey0123456789abcde"
BUILTIN_UIN = "100000000001"
BUILTIN_ROLE_NAME = "cos-test-role"
BUILTIN_ROLE_ID = "4611686018427397919"
BUILTIN_ROLE_ARN = "qcs::cam::uin/%s:roleName/%s" % (BUILTIN_UIN,
                                                       BUILTIN_ROLE_NAME)

MAX_BODY_BYTES = 1024 * 1024
MAX_DURATION_SECONDS = 43200
DEFAULT_DURATION_SECONDS = 7200
MAX_ISSUED_CREDENTIALS = 100000
SLOW_FAULT_SECONDS = 30
HANDSHAKE_TIMEOUT_SECONDS = 10
IDLE_TIMEOUT_SECONDS = 15

FAULT_MODES = {
    "http500": "HTTP 500 with a short text body",
    "http503-retry-after": "HTTP 503 with Retry-After: 1",
    "limit": "HTTP 200 with error RequestLimitExceeded",
    "internal": "HTTP 200 with error InternalError.SystemError",
    "slow": "wait %d s, then answer normally" % SLOW_FAULT_SECONDS,
    "close": "send the headers and half of a success body, then close",
    "notjson": "HTTP 200 with an HTML body",
    "missingfield": "success shape without Credentials.TmpSecretKey",
    "wrongtype": "success shape with ExpiredTime a string, Token a number",
    "oversized": "success shape padded to more than 1 MiB",
    "hostile": "success whose credential values contain quotes, $(id), "
               "backticks, backslashes, spaces and a newline",
    "nul": "success whose TmpSecretKey contains U+0000",
    "token-too-long": "success with a Token of 5000 bytes",
    "empty": "HTTP 200 with an empty body",
}

ROLE_ARN_RE = re.compile(
    r"qcs::cam::uin/(?P<uin>[0-9]{1,20}):"
    r"(?:roleName/(?P<name>[\w+=,.@-]{1,128})"
    r"|role/(?P<id>[0-9]{1,32})"
    r"|role/tencentcloudServiceRole(?:Name)?/(?P<service>[\w+=,.@-]{1,128}))",
    re.ASCII)
SESSION_NAME_RE = re.compile(r"[\w+=,.@-]{2,128}", re.ASCII)
EXTERNAL_ID_RE = re.compile(r"[\w+=,.@:/-]{2,128}", re.ASCII)
REGION_RE = re.compile(r"[a-z]{2,}-[a-z]+(?:-[0-9]+)?")

ASSUME_ROLE_PARAMS = ("RoleArn", "RoleSessionName", "DurationSeconds",
                      "Policy", "ExternalId", "Tags", "SourceIdentity",
                      "SerialNumber", "TokenCode")

ID_ALPHABET = string.ascii_letters + string.digits + "-_"


# ---------------------------------------------------------------------------
# Accounts, roles and issued credentials

class PermanentKey:
    def __init__(self, secret_id, secret_key, uin, user_uin=None):
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.uin = uin
        self.user_uin = user_uin or uin


class Role:
    def __init__(self, uin, name, role_id):
        self.uin = uin
        self.name = name
        self.role_id = role_id

    @property
    def arn(self):
        return "qcs::cam::uin/%s:roleName/%s" % (self.uin, self.name)


class IssuedCredential:
    """Temporary credentials handed out by AssumeRole."""

    def __init__(self, role, session_name, duration, expired_time, policy_raw,
                 policy):
        self.tmp_secret_id = "AKID" + "".join(
            secrets.choice(ID_ALPHABET) for _ in range(60))
        self.tmp_secret_key = base64.b64encode(
            secrets.token_bytes(33)).decode("ascii")
        # Real tokens grow with the policy and are at most 4096 bytes.
        size = 240 + min(len(policy_raw or ""), 2400) // 2
        self.token = base64.urlsafe_b64encode(
            secrets.token_bytes(size)).decode("ascii").rstrip("=")
        self.role = role
        self.session_name = session_name
        self.duration = duration
        self.expired_time = expired_time
        self.policy_raw = policy_raw
        self.policy = policy


class Principal:
    """The identity that signed a request."""

    def __init__(self, uin, user_uin=None, credential=None):
        self.uin = uin
        self.user_uin = user_uin
        self.credential = credential


# ---------------------------------------------------------------------------
# Shared state

class State:
    """Everything the request threads share, behind one lock."""

    def __init__(self, clock_offset, log_path):
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.start_offset = clock_offset
        self.clock_offset = clock_offset
        self.keys = {}
        self.roles_by_name = {}
        self.roles_by_id = {}
        self.issued = {}
        self.log_file = open(log_path, "a", encoding="utf-8") \
            if log_path else None
        self.add_key(PermanentKey(BUILTIN_SECRET_ID, BUILTIN_SECRET_KEY,
                                  BUILTIN_UIN))
        self.add_role(Role(BUILTIN_UIN, BUILTIN_ROLE_NAME, BUILTIN_ROLE_ID))
        self._reset_counters()

    def _reset_counters(self):
        self.counts = {}
        self.requests = 0
        self.fault_mode = None
        self.fault_remaining = 0
        self.last_headers = None
        self.last_policy_raw = None
        self.last_policy = None

    def reset(self):
        with self.lock:
            self._reset_counters()
            self.clock_offset = self.start_offset

    def now(self):
        with self.lock:
            offset = self.clock_offset
        return time.time() + offset

    def set_clock_offset(self, offset):
        with self.lock:
            self.clock_offset = offset

    def add_key(self, key):
        self.keys[key.secret_id] = key

    def add_role(self, role):
        self.roles_by_name[(role.uin, role.name)] = role
        self.roles_by_id[(role.uin, role.role_id)] = role

    def find_role(self, uin, name=None, role_id=None):
        if name is not None:
            return self.roles_by_name.get((uin, name))
        return self.roles_by_id.get((uin, role_id))

    def remember(self, credential):
        with self.lock:
            if len(self.issued) >= MAX_ISSUED_CREDENTIALS:
                del self.issued[next(iter(self.issued))]
            self.issued[credential.tmp_secret_id] = credential

    def find_issued(self, tmp_secret_id):
        with self.lock:
            return self.issued.get(tmp_secret_id)

    def set_fault(self, mode, count):
        with self.lock:
            self.fault_mode = mode if count > 0 else None
            self.fault_remaining = count

    def take_fault(self):
        """Consume one use of the pending fault and return its mode, or
        None."""
        with self.lock:
            if self.fault_mode is None or self.fault_remaining <= 0:
                return None
            mode = self.fault_mode
            self.fault_remaining -= 1
            if self.fault_remaining == 0:
                self.fault_mode = None
            return mode

    def count_request(self, action, headers):
        with self.lock:
            self.requests += 1
            entry = self.counts.setdefault(action, {"ok": 0, "total": 0})
            entry["total"] += 1
            self.last_headers = headers

    def count_success(self, action):
        with self.lock:
            self.counts.setdefault(action, {"ok": 0, "total": 0})["ok"] += 1

    def record_policy(self, raw, decoded):
        with self.lock:
            self.last_policy_raw = raw
            self.last_policy = decoded

    def stats(self):
        with self.lock:
            return {
                "actions": json.loads(json.dumps(self.counts)),
                "requests": self.requests,
                "last_headers": self.last_headers,
                "last_policy_raw": self.last_policy_raw,
                "last_policy": self.last_policy,
                "fault": ({"mode": self.fault_mode,
                           "remaining": self.fault_remaining}
                          if self.fault_mode else None),
                "clock_offset": self.clock_offset,
                "issued": len(self.issued),
            }

    def issued_list(self):
        with self.lock:
            return [{"TmpSecretId": c.tmp_secret_id,
                     "RoleArn": c.role.arn,
                     "RoleSessionName": c.session_name,
                     "DurationSeconds": c.duration,
                     "ExpiredTime": c.expired_time,
                     "Policy": c.policy_raw,
                     "PolicyDecoded": c.policy}
                    for c in self.issued.values()]

    def log(self, action, outcome):
        """Write one line per request.  Callers pass no secret."""
        if self.log_file is None:
            return
        line = "%s %s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                              time.gmtime()), action, outcome)
        with self.lock:
            self.log_file.write(line)
            self.log_file.flush()


def load_keys_file(state, path):
    """Add keys and roles from a JSON file:
    {"keys": [{"secret_id", "secret_key", "uin", "user_uin"?}],
     "roles": [{"uin", "name", "id"}]}."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    for key in doc.get("keys", []):
        state.add_key(PermanentKey(key["secret_id"], key["secret_key"],
                                   str(key["uin"]), key.get("user_uin")))
    for role in doc.get("roles", []):
        state.add_role(Role(str(role["uin"]), role["name"], str(role["id"])))


# ---------------------------------------------------------------------------
# Responses

class Response:
    def __init__(self, status, body, content_type="application/json",
                 headers=None, truncate_at=None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or []
        self.truncate_at = truncate_at


def request_id():
    return str(uuid.uuid4())


def json_response(payload, status=200):
    return Response(status, json.dumps(payload).encode("utf-8"))


def api_result(fields):
    fields = dict(fields)
    fields["RequestId"] = request_id()
    return json_response({"Response": fields})


def api_error(code, message):
    return json_response({"Response": {
        "Error": {"Code": code, "Message": message},
        "RequestId": request_id()}})


def printable(value, limit=128):
    """Shorten a client-supplied value and replace control characters, so
    that echoing it in an error message is harmless."""
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return text if len(text) <= limit else text[:limit] + "..."


def iso8601(timestamp):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


# ---------------------------------------------------------------------------
# Common request checks and authentication

def param_error(message):
    return ApiError("InvalidParameter.ParamError", message)


def check_common_headers(headers):
    """Check the X-TC-* headers that every request needs and return the
    action."""
    for name in ("X-TC-Action", "X-TC-Version", "X-TC-Timestamp",
                 "X-TC-Region"):
        if not headers.get(name.lower()):
            raise ApiError("MissingParameter",
                           "The request is missing a required parameter "
                           "`%s`." % name)
    version = headers["x-tc-version"]
    if version != API_VERSION:
        raise ApiError("NoSuchVersion",
                       "The requested version `%s` of service `sts` does not "
                       "exist." % printable(version))
    action = headers["x-tc-action"]
    if action not in ACTIONS:
        raise ApiError("InvalidAction",
                       "The requested action `%s` does not exist."
                       % printable(action))
    region = headers["x-tc-region"]
    if not REGION_RE.fullmatch(region):
        raise ApiError("UnsupportedRegion",
                       "The region `%s` is not supported." % printable(region))
    return action


def check_content_type(method, headers):
    value = headers.get("content-type", "")
    media_type = value.split(";", 1)[0].strip().lower()
    expected = "application/json" if method == "POST" \
        else "application/x-www-form-urlencoded"
    if media_type != expected:
        raise ApiError("InvalidParameter",
                       "Content-Type `%s` is not supported for %s requests; "
                       "use %s." % (printable(value), method, expected))


def authenticate(state, method, query, headers, body, now):
    """Verify the signature and return the Principal that signed."""
    found = []

    def lookup(secret_id, token):
        key = state.keys.get(secret_id)
        if key is not None:
            if token:
                raise ApiError("AuthFailure.TokenFailure",
                               "X-TC-Token must not be sent with a permanent "
                               "key.")
            found.append(Principal(key.uin, user_uin=key.user_uin))
            return key.secret_key
        credential = state.find_issued(secret_id)
        if credential is None:
            raise ApiError("AuthFailure.SecretIdNotFound",
                           "The SecretId is not found, please ensure that "
                           "your SecretId is correct.")
        if not token:
            raise ApiError("AuthFailure.TokenFailure",
                           "X-TC-Token is missing; temporary credentials "
                           "need their token.")
        if not secrets.compare_digest(token.encode("utf-8"),
                                      credential.token.encode("utf-8")):
            raise ApiError("AuthFailure.TokenFailure",
                           "The provided token is invalid.")
        if now >= credential.expired_time:
            raise ApiError("AuthFailure.TokenFailure",
                           "The provided token has expired.")
        found.append(Principal(credential.role.uin, credential=credential))
        return credential.tmp_secret_key

    tc3auth.verify_request(method, query, headers, body, now, lookup)
    return found[0]


def parse_params(method, query, body):
    """Return the action parameters, which are the JSON body for POST and
    the query string for GET."""
    if method == "GET":
        return dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    try:
        params = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError("InvalidParameter",
                       "The request body is not valid JSON.") from None
    if not isinstance(params, dict):
        raise ApiError("InvalidParameter",
                       "The request body must be a JSON object.")
    return params


def check_known_params(params, known):
    for name in params:
        if name not in known:
            raise ApiError("UnknownParameter",
                           "The parameter `%s` is not recognized."
                           % printable(name))


# ---------------------------------------------------------------------------
# AssumeRole

def require_string(params, name, required=False):
    value = params.get(name)
    if value is None:
        if required:
            raise ApiError("MissingParameter",
                           "The request is missing a required parameter "
                           "`%s`." % name)
        return None
    if not isinstance(value, str):
        raise param_error("%s must be a string." % name)
    return value


def parse_duration(value, from_query):
    if value is None:
        return DEFAULT_DURATION_SECONDS
    if from_query and re.fullmatch(r"[0-9]{1,12}", value):
        value = int(value)      # a query string carries only strings
    if isinstance(value, bool) or not isinstance(value, int):
        raise param_error("DurationSeconds must be an integer.")
    if value > MAX_DURATION_SECONDS:
        raise ApiError("InvalidParameter.OverTimeError",
                       "DurationSeconds %d exceeds the maximum of %d seconds."
                       % (value, MAX_DURATION_SECONDS))
    if value < 1:
        raise param_error("DurationSeconds must be positive.")
    return value


def resolve_role(state, arn):
    match = ROLE_ARN_RE.fullmatch(arn)
    if match is None:
        raise param_error(
            "RoleArn `%s` is not valid; expected "
            "qcs::cam::uin/<uin>:roleName/<name> or "
            "qcs::cam::uin/<uin>:role/<id>." % printable(arn))
    role = None
    if match.group("name"):
        role = state.find_role(match.group("uin"), name=match.group("name"))
    elif match.group("id"):
        role = state.find_role(match.group("uin"), role_id=match.group("id"))
    if role is None:
        raise ApiError("ResourceNotFound.RoleNotFound",
                       "The role `%s` does not exist." % printable(arn))
    return role


def policy_format_error(detail):
    return ApiError("InvalidParameter.StrategyFormatError",
                    "The policy format is invalid: %s." % detail)


def contains_principal(node):
    if isinstance(node, dict):
        return any(str(k).lower() == "principal" or contains_principal(v)
                   for k, v in node.items())
    if isinstance(node, list):
        return any(contains_principal(v) for v in node)
    return False


def as_string_list(value):
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and \
            all(isinstance(v, str) for v in value):
        return value
    return None


def decode_policy(raw):
    """URL-decode and check a CAM policy, and return the parsed JSON.

    Go clients encode a space as "+", so "+" decodes to a space here, as in
    form decoding.  NOTE: the real length limit (PolicyTooLong) is not
    published, so none is applied."""
    try:
        text = urllib.parse.unquote_plus(raw, errors="strict")
        policy = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise policy_format_error(
            "the URL-decoded Policy is not valid JSON") from None
    if not isinstance(policy, dict):
        raise policy_format_error("the policy must be a JSON object")
    if contains_principal(policy):
        raise policy_format_error("the policy must not contain \"principal\"")
    if policy.get("version") != "2.0":
        raise policy_format_error("\"version\" must be \"2.0\"")
    statements = policy.get("statement")
    if not isinstance(statements, list) or not statements:
        raise policy_format_error("\"statement\" must be a non-empty array")
    for statement in statements:
        check_statement(statement)
    return policy


def check_statement(statement):
    if not isinstance(statement, dict):
        raise policy_format_error("each statement must be a JSON object")
    if str(statement.get("effect", "")).lower() not in ("allow", "deny"):
        raise policy_format_error(
            "each statement needs \"effect\": \"allow\" or \"deny\"")
    if as_string_list(statement.get("action")) is None:
        raise policy_format_error(
            "each statement needs \"action\": a string or an array of strings")
    resources = as_string_list(statement.get("resource"))
    if resources is None:
        raise policy_format_error(
            "each statement needs \"resource\": a string or an array of "
            "strings")
    for resource in resources:
        # qcs::service:region:account:resource splits into six fields.
        if resource != "*" and (not resource.startswith("qcs:")
                                or len(resource.split(":")) < 6):
            raise ApiError("InvalidParameter.ResouceError",
                           "[QC_STS] resource error: `%s` does not have the "
                           "six-segment format." % printable(resource))


def check_tags(tags):
    if not isinstance(tags, list) or len(tags) > 50:
        raise param_error("Tags must be an array of at most 50 tags.")
    keys = set()
    for tag in tags:
        if not isinstance(tag, dict) or set(tag) != {"Key", "Value"}:
            raise param_error("Each tag must be {\"Key\": .., \"Value\": ..}.")
        key, value = tag["Key"], tag["Value"]
        if not isinstance(key, str) or not 1 <= len(key) <= 128 or \
                not isinstance(value, str) or len(value) > 256:
            raise param_error("A tag Key has 1-128 characters and a Value "
                              "at most 256.")
        if key in keys:
            raise param_error("Tag key `%s` is repeated." % printable(key))
        keys.add(key)


def assume_role(state, principal, params, now, from_query):
    check_known_params(params, ASSUME_ROLE_PARAMS)
    arn = require_string(params, "RoleArn", required=True)
    session = require_string(params, "RoleSessionName", required=True)
    duration = parse_duration(params.get("DurationSeconds"), from_query)
    policy_raw = require_string(params, "Policy")
    external_id = require_string(params, "ExternalId")
    for name in ("SourceIdentity", "SerialNumber", "TokenCode"):
        require_string(params, name)
    if "Tags" in params:
        check_tags(params["Tags"])

    role = resolve_role(state, arn)
    if not SESSION_NAME_RE.fullmatch(session):
        raise param_error("RoleSessionName must have 2-128 characters from "
                          "letters, digits and +=,.@_-.")
    if external_id is not None and not EXTERNAL_ID_RE.fullmatch(external_id):
        raise param_error("ExternalId must have 2-128 characters from "
                          "letters, digits and +=,.@:/_-.")
    policy = None
    if policy_raw is not None:
        state.record_policy(policy_raw, None)
        policy = decode_policy(policy_raw)
        state.record_policy(policy_raw, policy)

    expired_time = int(now) + duration
    credential = IssuedCredential(role, session, duration, expired_time,
                                  policy_raw, policy)
    state.remember(credential)
    return {
        "Credentials": {"Token": credential.token,
                        "TmpSecretId": credential.tmp_secret_id,
                        "TmpSecretKey": credential.tmp_secret_key},
        "ExpiredTime": expired_time,
        "Expiration": iso8601(expired_time),
    }


# ---------------------------------------------------------------------------
# GetCallerIdentity

def get_caller_identity(state, principal, params, now, from_query):
    check_known_params(params, ())
    credential = principal.credential
    if credential is None:
        return {"Arn": "qcs::cam::uin/%s:uin/%s" % (principal.uin,
                                                     principal.user_uin),
                "AccountId": principal.uin,
                "UserId": principal.user_uin,
                "PrincipalId": principal.user_uin,
                "Type": "CAMUser"}
    role_id = credential.role.role_id
    return {"Arn": "qcs::sts:%s:assumed-role/%s/%s"
                   % (principal.uin, role_id, credential.session_name),
            "AccountId": principal.uin,
            "UserId": "%s:%s" % (role_id, credential.session_name),
            "PrincipalId": role_id,
            "Type": "CAMRole"}


ACTION_HANDLERS = {"AssumeRole": assume_role,
                   "GetCallerIdentity": get_caller_identity}


def process_sts(state, method, query, headers, body):
    """Process one signed API request and return (Response, outcome)."""
    now = state.now()
    try:
        if len(body) > MAX_BODY_BYTES:
            raise ApiError("RequestSizeLimitExceeded",
                           "The request body exceeds %d bytes."
                           % MAX_BODY_BYTES)
        action = check_common_headers(headers)
        check_content_type(method, headers)
        principal = authenticate(state, method, query, headers, body, now)
        params = parse_params(method, query, body)
        fields = ACTION_HANDLERS[action](state, principal, params, now,
                                         method == "GET")
    except ApiError as error:
        return api_error(error.code, error.message), error.code
    state.count_success(action)
    return api_result(fields), "ok"


# ---------------------------------------------------------------------------
# Faults

def fake_credentials(now, token=None, secret_id=None, secret_key=None):
    credential = IssuedCredential(
        Role(BUILTIN_UIN, BUILTIN_ROLE_NAME, BUILTIN_ROLE_ID), "fault",
        DEFAULT_DURATION_SECONDS, int(now) + DEFAULT_DURATION_SECONDS, None,
        None)
    expired_time = credential.expired_time
    return {"Credentials": {
                "Token": token if token is not None else credential.token,
                "TmpSecretId": secret_id or credential.tmp_secret_id,
                "TmpSecretKey": (secret_key if secret_key is not None
                                 else credential.tmp_secret_key)},
            "ExpiredTime": expired_time,
            "Expiration": iso8601(expired_time)}


HOSTILE_VALUE = "a'b\"c $(id) `id` \\d\\\\e f\ng"


def fault_close(now):
    response = api_result(fake_credentials(now))
    response.truncate_at = len(response.body) // 2
    return response


def fault_missing_field(now):
    fields = fake_credentials(now)
    del fields["Credentials"]["TmpSecretKey"]
    return api_result(fields)


def fault_wrong_type(now):
    fields = fake_credentials(now)
    fields["ExpiredTime"] = str(fields["ExpiredTime"])
    fields["Credentials"]["Token"] = 123456789
    return api_result(fields)


def fault_oversized(now):
    fields = fake_credentials(now)
    fields["Padding"] = "x" * (MAX_BODY_BYTES + 64 * 1024)
    return api_result(fields)


def fault_hostile(now):
    return api_result(fake_credentials(
        now, token="tok" + HOSTILE_VALUE, secret_id="AKID" + HOSTILE_VALUE,
        secret_key="key" + HOSTILE_VALUE))


HTML_BODY = (b"<html><head><title>502 Bad Gateway</title></head>"
             b"<body><h1>502 Bad Gateway</h1></body></html>\n")

# Builders of the fault responses, by mode.  "slow" has none because it
# delays the normal response.
FAULT_BUILDERS = {
    "http500": lambda now: Response(500, b"Internal Server Error\n",
                                    "text/plain"),
    "http503-retry-after": lambda now: Response(
        503, b"Service Unavailable\n", "text/plain",
        headers=[("Retry-After", "1")]),
    "limit": lambda now: api_error(
        "RequestLimitExceeded",
        "Your current request times exceed the frequency limit. "
        "Please reduce the frequency of calls."),
    "internal": lambda now: api_error(
        "InternalError.SystemError", "System error, please try again later."),
    "close": fault_close,
    "notjson": lambda now: Response(200, HTML_BODY, "text/html"),
    "missingfield": fault_missing_field,
    "wrongtype": fault_wrong_type,
    "oversized": fault_oversized,
    "hostile": fault_hostile,
    "nul": lambda now: api_result(fake_credentials(
        now, secret_key="abc\u0000def")),
    "token-too-long": lambda now: api_result(fake_credentials(
        now, token="T" * 5000)),
    "empty": lambda now: Response(200, b""),
}


# ---------------------------------------------------------------------------
# HTTP server

class ControlError(Exception):
    pass


def redact_headers(headers):
    redacted = {}
    for name, value in headers.items():
        if name == "authorization":
            value = value.split(" ", 1)[0] + " <redacted>"
        elif name == "x-tc-token":
            value = "<redacted>"
        redacted[name] = value
    return redacted


def safe_action_name(value):
    if not value:
        return "(none)"
    return re.sub(r"[^A-Za-z0-9._-]", "?", value)[:64]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_SECONDS

    def setup(self):
        # The handshake runs here, in the request thread, so that a stalled
        # client never blocks accept().
        self.request.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
        self.request.do_handshake()
        super().setup()

    @property
    def state(self):
        return self.server.state

    def version_string(self):
        return "sts-emulator/1"

    def date_time_string(self, timestamp=None):
        if timestamp is None:
            timestamp = self.state.now()
        return email.utils.formatdate(timestamp, usegmt=True)

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def dispatch(self):
        path, _, query = self.path.partition("?")
        body = self.read_body()
        if body is None:
            return
        if path.startswith("/__control/"):
            self.send(self.control(path[len("/__control/"):], body))
        elif path == "/":
            self.serve_sts(query, body)
        else:
            self.close_connection = True
            self.send(Response(404, b"Not Found\n", "text/plain"))

    def read_body(self):
        """Read the body by Content-Length or chunked encoding.  Returns
        None after sending an error for a body that is too large or
        malformed."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self.read_chunked()
        length = self.headers.get("Content-Length", "0")
        if not re.fullmatch(r"[0-9]{1,10}", length.strip()):
            self.close_connection = True
            self.send(Response(400, b"Invalid Content-Length\n",
                               "text/plain"))
            return None
        length = int(length)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self.send(api_error("RequestSizeLimitExceeded",
                                "The request body exceeds %d bytes."
                                % MAX_BODY_BYTES))
            return None
        return self.rfile.read(length)

    def read_chunked(self):
        body = b""
        while True:
            size_line = self.rfile.readline(64).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                size = -1
            if size < 0 or len(body) + size > MAX_BODY_BYTES:
                self.close_connection = True
                self.send(Response(400, b"Invalid chunked body\n",
                                   "text/plain"))
                return None
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass            # trailers
                return body
            body += self.rfile.read(size)
            self.rfile.readline(8)

    def serve_sts(self, query, body):
        headers = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), value)
        action = safe_action_name(headers.get("x-tc-action"))
        self.state.count_request(action, redact_headers(headers))

        mode = self.state.take_fault()
        if mode == "slow":
            self.state.log(action, "fault=slow")
            deadline = time.monotonic() + SLOW_FAULT_SECONDS
            while time.monotonic() < deadline:
                if self.state.stop_event.wait(0.1):
                    self.close_connection = True
                    return
        elif mode is not None:
            self.state.log(action, "fault=" + mode)
            self.send(FAULT_BUILDERS[mode](self.state.now()))
            return

        response, outcome = process_sts(self.state, self.command, query,
                                        headers, body)
        self.state.log(action, outcome)
        self.send(response)

    def control(self, name, body):
        """Process a /__control/ request.  Control requests bypass faults
        and counters."""
        try:
            if self.command == "GET" and name == "stats":
                return json_response(self.state.stats())
            if self.command == "GET" and name == "issued":
                return json_response(self.state.issued_list())
            if self.command != "POST":
                raise ControlError("unknown control request %s /__control/%s"
                                   % (self.command, printable(name)))
            args = json.loads(body.decode("utf-8") or "{}")
            if not isinstance(args, dict):
                raise ControlError("the body must be a JSON object")
            if name == "fault":
                return self.control_fault(args)
            if name == "reset":
                self.state.reset()
                self.state.log("control", "reset")
                return json_response({"ok": True})
            if name == "clock":
                offset = args.get("offset")
                if isinstance(offset, bool) or \
                        not isinstance(offset, (int, float)):
                    raise ControlError("\"offset\" must be a number of "
                                       "seconds")
                self.state.set_clock_offset(offset)
                self.state.log("control", "clock offset=%s" % offset)
                return json_response({"ok": True, "offset": offset})
            raise ControlError("unknown control request POST /__control/%s"
                               % printable(name))
        except (ControlError, UnicodeDecodeError, ValueError) as error:
            return json_response({"error": str(error)}, status=400)

    def control_fault(self, args):
        mode = args.get("mode")
        count = args.get("count", 1)
        if mode not in FAULT_MODES:
            raise ControlError("unknown fault mode %r; known modes: %s"
                               % (mode, ", ".join(FAULT_MODES)))
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ControlError("\"count\" must be a non-negative integer")
        self.state.set_fault(mode, count)
        self.state.log("control", "fault mode=%s count=%d" % (mode, count))
        return json_response({"ok": True, "mode": mode, "count": count})

    def send(self, response):
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection or response.truncate_at is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if response.truncate_at is None:
            self.wfile.write(response.body)
            return
        self.wfile.write(response.body[:response.truncate_at])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    # The default backlog of 5 drops connections when 50 clients start at
    # once, and each dropped SYN costs the client a 1 s retransmission.
    request_queue_size = 128

    def __init__(self, state, ssl_context):
        self.state = state
        self.ssl_context = ssl_context
        super().__init__(("127.0.0.1", 0), Handler)

    def server_bind(self):
        # HTTPServer.server_bind() would resolve the address with getfqdn(),
        # which can reach a DNS server; nothing here needs the name.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]

    def get_request(self):
        sock, address = self.socket.accept()
        # Without TCP_NODELAY, small TLS records wait for the peer's delayed
        # ACK and every request takes about 40 ms longer.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tls = self.ssl_context.wrap_socket(sock, server_side=True,
                                           do_handshake_on_connect=False)
        return tls, address

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, (OSError, ValueError)):
            # The client went away, failed the TLS handshake or sent garbage.
            self.state.log("connection", "error=%s" % type(error).__name__)
            return
        traceback.print_exc(file=sys.stderr)


def make_ssl_context(cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def write_port_file(path, port):
    temporary = "%s.tmp.%d" % (path, os.getpid())
    with open(temporary, "w", encoding="ascii") as f:
        f.write("%d\n" % port)
    os.replace(temporary, path)


def serve(args):
    state = State(args.clock_offset, args.log)
    if args.keys:
        load_keys_file(state, args.keys)
    server = Server(state, make_ssl_context(args.cert, args.key))

    def stop(signum, frame):
        state.stop_event.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = server.server_address[1]
    write_port_file(args.port_file, port)
    state.log("emulator", "started port=%d" % port)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        state.log("emulator", "stopped")
        server.server_close()
        try:
            os.unlink(args.port_file)
        except OSError:
            pass
    return 0


# ---------------------------------------------------------------------------
# Self-test against the published TC3 vectors

def default_vectors_path():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "tc3_vectors.json")


class SelfTest:
    def __init__(self):
        self.number = 0
        self.failed = 0

    def check(self, passed, description):
        self.number += 1
        if not passed:
            self.failed += 1
        print("%s %d - %s" % ("ok" if passed else "not ok", self.number,
                              description))

    def expect_error(self, code, description, call):
        try:
            call()
        except ApiError as error:
            self.check(error.code == code, "%s (got %s)"
                       % (description, error.code))
            return
        self.check(False, "%s (accepted)" % description)


def vector_request(vector):
    body = bytes.fromhex(vector["body_hex"]) if "body_hex" in vector \
        else vector["body"].encode("utf-8")
    headers = {"content-type": vector["content_type"],
               "host": vector["host"],
               "x-tc-action": vector["action"],
               "x-tc-timestamp": str(vector["timestamp"]),
               "x-tc-version": API_VERSION,
               "x-tc-region": vector["region"],
               "authorization": vector["authorization"]}
    if "token" in vector:
        headers["x-tc-token"] = vector["token"]
    return body, headers


def self_test_vector(test, doc, vector):
    name = vector["name"]
    body, headers = vector_request(vector)
    timestamp = vector["timestamp"]
    date = tc3auth.utc_date(timestamp)
    test.check(date == vector["date"], "%s UTC date %s" % (name, date))

    hashed = tc3auth.payload_hash(body)
    test.check(hashed == vector["payload_hash"], "%s payload hash" % name)
    canonical = tc3auth.canonical_request(
        vector["method"], vector["query"], headers, ["content-type", "host"],
        hashed)
    test.check(canonical == vector["canonical_request"],
               "%s canonical request" % name)
    test.check(tc3auth.sha256_hex(canonical) ==
               vector["canonical_request_hash"],
               "%s canonical request hash" % name)
    text = tc3auth.string_to_sign(timestamp, date, canonical)
    test.check(text == vector["string_to_sign"], "%s string to sign" % name)
    test.check(tc3auth.signature(doc["secret_key"], date, text) ==
               vector["signature"], "%s signature" % name)

    def lookup(secret_id, token):
        if secret_id != doc["secret_id"] or token != vector.get("token"):
            raise ApiError("AuthFailure.SecretIdNotFound", "unknown")
        return doc["secret_key"]

    def verify(now=timestamp, body=body, query=vector["query"],
               headers=headers):
        return tc3auth.verify_request(vector["method"], query, headers, body,
                                      now, lookup)

    try:
        verify()
        test.check(True, "%s verifies" % name)
    except ApiError as error:
        test.check(False, "%s verifies (got %s)" % (name, error.code))

    if body:
        altered = body[:-1] + bytes([body[-1] ^ 1])
        test.expect_error("AuthFailure.SignatureFailure",
                          "%s with one body byte altered" % name,
                          lambda: verify(body=altered))
    else:
        test.expect_error("AuthFailure.SignatureFailure",
                          "%s with the query altered" % name,
                          lambda: verify(query=vector["query"] + "&x=1"))
    test.expect_error("AuthFailure.SignatureExpire",
                      "%s verified 301 s later" % name,
                      lambda: verify(now=timestamp + 301))


def self_test_local_date(test, doc, vector):
    """A scope built from the Beijing date (UTC+8) must be refused."""
    body, headers = vector_request(vector)
    timestamp = vector["timestamp"]
    local_date = tc3auth.utc_date(timestamp + 8 * 3600)
    canonical = tc3auth.canonical_request(
        vector["method"], vector["query"], headers, ["content-type", "host"],
        tc3auth.payload_hash(body))
    text = tc3auth.string_to_sign(timestamp, local_date, canonical)
    headers = dict(headers)
    headers["authorization"] = (
        "TC3-HMAC-SHA256 Credential=%s/%s/sts/tc3_request, "
        "SignedHeaders=content-type;host, Signature=%s"
        % (doc["secret_id"], local_date,
           tc3auth.signature(doc["secret_key"], local_date, text)))
    test.expect_error(
        "AuthFailure.SignatureFailure",
        "%s signed with the Beijing date %s" % (vector["name"], local_date),
        lambda: tc3auth.verify_request(vector["method"], vector["query"],
                                       headers, body, timestamp,
                                       lambda i, t: doc["secret_key"]))


def run_self_test(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    test = SelfTest()
    derivation = doc["key_derivation"]
    keys = tc3auth.derive_signing_keys(doc["secret_key"], derivation["date"])
    for label, key in zip(("k_date", "k_service", "k_signing"), keys):
        test.check(key.hex() == derivation[label], "key derivation %s" % label)
    for vector in doc["vectors"]:
        self_test_vector(test, doc, vector)
    self_test_local_date(test, doc, doc["vectors"][0])
    test.check(test.number > 0 and len(doc["vectors"]) >= 6,
               "%d vectors checked" % len(doc["vectors"]))
    print("1..%d" % test.number)
    if test.failed:
        print("self-test: %d of %d checks failed" % (test.failed, test.number),
              file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------------------
# Command line

def help_epilog():
    modes = "\n".join("  %-20s %s" % (mode, text)
                      for mode, text in FAULT_MODES.items())
    return """\
built-in account (always present):
  SecretId   %s
  SecretKey  %s
  account    uin %s
  role       %s (role id %s)

control endpoints (HTTPS on the same port; not signed, not counted):
  POST /__control/fault  {"mode": MODE, "count": N}
                         the next N STS requests (default 1) get fault MODE;
                         count 0 clears it
  POST /__control/reset  clear faults, counters and the last request and
                         policy, and restore the start-up clock offset
  POST /__control/clock  {"offset": SECONDS}  set the clock offset
  GET  /__control/stats  per-action counts {"ok", "total"}, the last request's
                         headers (Authorization and X-TC-Token redacted), the
                         last AssumeRole Policy (raw and decoded)
  GET  /__control/issued credentials issued so far, without their secrets

fault modes (a body-shaped fault always sends an AssumeRole-shaped body):
%s

STS actions: %s (version %s).  Others return InvalidAction.
""" % (BUILTIN_SECRET_ID, BUILTIN_SECRET_KEY, BUILTIN_UIN, BUILTIN_ROLE_ARN,
       BUILTIN_ROLE_ID, modes, ", ".join(ACTIONS), API_VERSION)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="sts_emulator.py",
        description="Emulate Tencent Cloud STS over HTTPS on 127.0.0.1 for "
                    "tests.  The port is chosen by the system and written to "
                    "--port-file.",
        epilog=help_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port-file", metavar="FILE",
                        help="write the listening port to FILE (atomic "
                             "rename) once the server accepts connections")
    parser.add_argument("--cert", metavar="PEM",
                        help="server certificate chain (PEM)")
    parser.add_argument("--key", metavar="PEM",
                        help="server private key (PEM)")
    parser.add_argument("--log", metavar="FILE",
                        help="append one line per request (action and "
                             "outcome, never a secret) to FILE")
    parser.add_argument("--clock-offset", metavar="SECONDS", type=float,
                        default=0.0,
                        help="run the emulator's clock SECONDS ahead (negative:"
                             " behind); applies to signature checks, "
                             "ExpiredTime and the Date header")
    parser.add_argument("--keys", metavar="FILE",
                        help="JSON file with more keys and roles: "
                             "{\"keys\": [{\"secret_id\", \"secret_key\", "
                             "\"uin\"}], \"roles\": [{\"uin\", \"name\", "
                             "\"id\"}]}")
    parser.add_argument("--self-test", action="store_true",
                        help="check the TC3 code against the published test "
                             "vectors, print TAP and exit (0: all match)")
    parser.add_argument("--vectors", metavar="FILE",
                        default=default_vectors_path(),
                        help="vector file for --self-test (default: "
                             "tc3_vectors.json next to this script)")
    args = parser.parse_args(argv)
    if not args.self_test and not (args.port_file and args.cert and args.key):
        parser.error("--port-file, --cert and --key are required to serve")
    return args


def main(argv):
    args = parse_args(argv)
    if args.self_test:
        return run_self_test(args.vectors)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
