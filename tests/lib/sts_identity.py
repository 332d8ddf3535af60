#!/usr/bin/env python3
"""Call STS GetCallerIdentity on the local emulator with the temporary
credentials in the environment, and print the Arn it returns.

    COS_SECRET_ID=... COS_SECRET_KEY=... COS_TOKEN=... python3 sts_identity.py

Reads COS_STS_ENDPOINT (https://127.0.0.1:PORT) and COS_CA_BUNDLE.  A
success shows that the three values reached this process byte for byte,
because the emulator checks the TC3 signature and the token.  Exit status 0
on success, 1 when the emulator rejects the call (its error is printed), 2
when an environment variable is missing or the endpoint is not on
127.0.0.1.
"""

import json
import os
import ssl
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "emulator"))
import tc3auth  # noqa: E402


def main():
    try:
        secret_id = os.environ["COS_SECRET_ID"]
        secret_key = os.environ["COS_SECRET_KEY"]
        token = os.environ["COS_TOKEN"]
        endpoint = os.environ["COS_STS_ENDPOINT"]
        ca_bundle = os.environ["COS_CA_BUNDLE"]
    except KeyError as missing:
        print("sts_identity: %s is not set" % missing, file=sys.stderr)
        return 2
    host = urllib.parse.urlsplit(endpoint).netloc
    if not host.startswith("127.0.0.1:"):
        print("sts_identity: COS_STS_ENDPOINT must be https://127.0.0.1:PORT",
              file=sys.stderr)
        return 2

    body = b"{}"
    timestamp = int(time.time())
    date = tc3auth.utc_date(timestamp)
    headers = {"content-type": "application/json; charset=utf-8",
               "host": host}
    canonical = tc3auth.canonical_request(
        "POST", "", headers, ["content-type", "host"],
        tc3auth.payload_hash(body))
    signature = tc3auth.signature(
        secret_key, date, tc3auth.string_to_sign(timestamp, date, canonical))
    authorization = ("TC3-HMAC-SHA256 Credential=%s/%s/sts/tc3_request, "
                     "SignedHeaders=content-type;host, Signature=%s"
                     % (secret_id, date, signature))
    request = urllib.request.Request(endpoint + "/", data=body, method="POST")
    request.add_header("Content-Type", headers["content-type"])
    request.add_header("Authorization", authorization)
    request.add_header("X-TC-Action", "GetCallerIdentity")
    request.add_header("X-TC-Version", "2018-08-13")
    request.add_header("X-TC-Timestamp", str(timestamp))
    request.add_header("X-TC-Region", "ap-shanghai")
    request.add_header("X-TC-Token", token)
    context = ssl.create_default_context(cafile=ca_bundle)
    with urllib.request.urlopen(request, context=context, timeout=10) as reply:
        response = json.load(reply)["Response"]
    if "Error" in response:
        print("sts_identity: %s: %s" % (response["Error"].get("Code"),
                                        response["Error"].get("Message")),
              file=sys.stderr)
        return 1
    print(response["Arn"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
