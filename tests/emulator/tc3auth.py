"""TC3-HMAC-SHA256 request signing and verification, as Tencent Cloud API 3.0
servers check it.

    CanonicalRequest = Method \\n "/" \\n Query \\n CanonicalHeaders \\n
                       SignedHeaders \\n hex(SHA256(body))
    StringToSign     = "TC3-HMAC-SHA256" \\n Timestamp \\n
                       Date/Service/tc3_request \\n hex(SHA256(CanonicalRequest))
    kDate = HMAC("TC3" + SecretKey, Date), kService = HMAC(kDate, Service),
    kSigning = HMAC(kService, "tc3_request"),
    Signature = hex(HMAC(kSigning, StringToSign))

The key derivation is the one of Sign.sign_tc3 in tencentcloud-sdk-python
(tencentcloud/common/sign.py).  Date is the UTC calendar date of the
timestamp.  A server hashes the query and body bytes exactly as received, so
nothing is re-encoded here.
"""

import hashlib
import hmac
import re
import time

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "sts"
MAX_SKEW_SECONDS = 300
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

# The separators are exactly ", " as the SDKs send them.  Any other layout
# is a malformed header, not a wrong signature.
_AUTHORIZATION_RE = re.compile(
    r"TC3-HMAC-SHA256 "
    r"Credential=(?P<secret_id>[^/\s,]+)/(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"/(?P<service>[a-z0-9-]+)/tc3_request, "
    r"SignedHeaders=(?P<signed_headers>[a-z0-9-]+(?:;[a-z0-9-]+)*), "
    r"Signature=(?P<signature>[0-9a-f]{64})")

REQUIRED_SIGNED_HEADERS = ("content-type", "host")


class ApiError(Exception):
    """An API 3.0 error: code and English message as the service returns them."""

    def __init__(self, code, message):
        super().__init__(code, message)
        self.code = code
        self.message = message


class Authorization:
    """The fields of a parsed TC3 Authorization header."""

    def __init__(self, secret_id, date, service, signed_headers, signature):
        self.secret_id = secret_id
        self.date = date
        self.service = service
        self.signed_headers = signed_headers
        self.signature = signature


def sha256_hex(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def _hmac_sha256(key, message):
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def utc_date(timestamp):
    """Return the UTC calendar date YYYY-MM-DD of a Unix timestamp."""
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp))


def derive_signing_keys(secret_key, date, service=SERVICE):
    """Return the binary keys (kDate, kService, kSigning)."""
    k_date = _hmac_sha256(("TC3" + secret_key).encode("utf-8"), date)
    k_service = _hmac_sha256(k_date, service)
    k_signing = _hmac_sha256(k_service, "tc3_request")
    return k_date, k_service, k_signing


def payload_hash(body, content_sha256_header=None):
    """Return HashedRequestPayload: the SHA-256 of the body bytes, or of the
    literal "UNSIGNED-PAYLOAD" when X-TC-Content-SHA256 requests that."""
    if content_sha256_header == UNSIGNED_PAYLOAD:
        return sha256_hex(UNSIGNED_PAYLOAD)
    return sha256_hex(body)


def canonical_request(method, query, headers, signed_headers, hashed_payload):
    """Build the canonical request.  headers maps lower-case names to the
    values as received; each signed value is trimmed and lower-cased."""
    lines = "".join("%s:%s\n" % (name, headers[name].strip().lower())
                    for name in signed_headers)
    return "\n".join([method, "/", query, lines, ";".join(signed_headers),
                      hashed_payload])


def string_to_sign(timestamp, date, canonical, service=SERVICE):
    return "\n".join([ALGORITHM, str(timestamp),
                      "%s/%s/tc3_request" % (date, service),
                      sha256_hex(canonical)])


def signature(secret_key, date, text, service=SERVICE):
    """Return the lower-case hex signature of StringToSign text."""
    k_signing = derive_signing_keys(secret_key, date, service)[2]
    return hmac.new(k_signing, text.encode("utf-8"),
                    hashlib.sha256).hexdigest()


def parse_authorization(value):
    """Parse an Authorization header value strictly.

    Raises ApiError AuthFailure.InvalidAuthorization when the value does not
    have the exact SDK layout, or when SignedHeaders is unsorted, repeats a
    name or lacks content-type or host."""
    match = _AUTHORIZATION_RE.fullmatch(value or "")
    if match is None:
        raise _invalid_authorization(
            "expected \"TC3-HMAC-SHA256 Credential=ID/DATE/sts/tc3_request, "
            "SignedHeaders=content-type;host, Signature=HEX\"")
    names = match.group("signed_headers").split(";")
    if names != sorted(set(names)):
        raise _invalid_authorization(
            "SignedHeaders must be sorted and must not repeat a name")
    for name in REQUIRED_SIGNED_HEADERS:
        if name not in names:
            raise _invalid_authorization(
                "SignedHeaders must include \"%s\"" % name)
    return Authorization(match.group("secret_id"), match.group("date"),
                         match.group("service"), names,
                         match.group("signature"))


def parse_timestamp(value):
    """Convert X-TC-Timestamp to an int.  Raises ApiError unless the value is
    decimal Unix seconds."""
    if value is None:
        raise ApiError("MissingParameter",
                       "The request is missing a required parameter "
                       "`X-TC-Timestamp`.")
    if not re.fullmatch(r"[0-9]{1,12}", value):
        raise ApiError("InvalidParameterValue",
                       "The value of X-TC-Timestamp must be decimal Unix "
                       "seconds.")
    return int(value)


def _invalid_authorization(detail):
    return ApiError("AuthFailure.InvalidAuthorization",
                    "The Authorization header is invalid: %s." % detail)


def verify_request(method, query, headers, body, now, lookup_secret):
    """Check the TC3 signature of one request the way the service does.

    headers maps lower-case header names to values as received (the Host
    value keeps its ":port").  lookup_secret(secret_id, token) returns the
    secret key for the SecretId, or raises ApiError (SecretIdNotFound,
    TokenFailure).  Returns (Authorization, secret_key) on success and raises
    ApiError with the service's error code otherwise."""
    auth = parse_authorization(headers.get("authorization"))
    for name in auth.signed_headers:
        if name not in headers:
            raise _invalid_authorization(
                "the signed header \"%s\" is missing from the request" % name)

    timestamp = parse_timestamp(headers.get("x-tc-timestamp"))
    if abs(timestamp - now) > MAX_SKEW_SECONDS:
        raise ApiError(
            "AuthFailure.SignatureExpire",
            "Signature expired. Timestamp: %d, server current time: %d. "
            "The difference must be within %d seconds."
            % (timestamp, int(now), MAX_SKEW_SECONDS))

    secret_key = lookup_secret(auth.secret_id, headers.get("x-tc-token"))

    # The scope date is not checked by the HMAC alone, because a client that
    # uses its local date signs with that same date.  The service compares it
    # with the timestamp's UTC date.
    if auth.service != SERVICE or auth.date != utc_date(timestamp):
        raise _signature_failure()

    hashed = payload_hash(body, headers.get("x-tc-content-sha256"))
    canonical = canonical_request(method, query, headers, auth.signed_headers,
                                  hashed)
    expected = signature(secret_key, auth.date,
                         string_to_sign(timestamp, auth.date, canonical))
    if not hmac.compare_digest(expected, auth.signature):
        raise _signature_failure()
    return auth, secret_key


def _signature_failure():
    return ApiError("AuthFailure.SignatureFailure",
                    "The provided credentials could not be validated. "
                    "Please check your signature is correct.")
