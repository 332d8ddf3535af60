#!/usr/bin/env python3
"""Measure cos against the local STS emulator and write RESULTS.md and
ratios.svg.

Run it through `make bench`: bench/run.sh starts the emulator, creates the
throwaway profile stores and exports what this script reads (COS_BIN,
COS_BUILD, COS_STS_ENDPOINT, COS_CA_BUNDLE, COS_CONFIG_DIR, EMULATOR_*,
BENCH_PASS_CONFIG_DIR, BENCH_PASSPHRASE_FILE).

Each metric is reported as the median of repeated runs, with the minimum
and the maximum.  The repetition counts come from these environment
variables (defaults in brackets):

  BENCH_RUNS              cos token and curl runs, each [40]
  BENCH_PEAK_RSS_RUNS     runs of each under GNU time for the peak RSS [10]
  BENCH_SHELL_CALLS       builtin and eval calls in one shell, each [200]
  BENCH_NOOP_CALLS        --refresh-within calls per round [100000]
  BENCH_NOOP_ROUNDS       rounds of those [5]
  BENCH_STRACE_CALLS      --refresh-within calls traced by strace [10000]
  BENCH_RSS_CALLS         cos_token calls between the two VmRSS reads [10000]
  BENCH_RSS_FETCH_EVERY   1: every one of those calls fetches; N: every
                          Nth fetches and the others are --refresh-within
                          calls that return at once [1]
  BENCH_CONCURRENCY       cos token processes started at once [50]
  BENCH_CONCURRENT_ROUNDS rounds of those [5]
  BENCH_UNLOCK_SHELLS     fresh shells with a passphrase store [5]
  BENCH_UNLOCK_LATER      later calls in each of those shells [20]
  BENCH_ZSH_CALLS         builtin and eval calls in one zsh, each [200]

A measured command that fails stops the run with its error output and a
non-zero exit status; slowness never does.
"""

import argparse
import datetime
import hashlib
import hmac
import json
import math
import os
import platform
import pwd
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

GNU_TIME = "/usr/bin/time"


class BenchError(Exception):
    """A measured command failed, or returned something unexpected."""


def env_count(name, default):
    text = os.environ.get(name, "")
    if text == "":
        return default
    if not re.fullmatch(r"[0-9]+", text) or int(text) < 1:
        raise BenchError("invalid %s '%s': expected a whole number of at "
                         "least 1" % (name, text))
    return int(text)


def summary(samples):
    """Return the median, minimum, maximum and count of samples."""
    if not samples:
        raise BenchError("no samples were recorded")
    return {"median": statistics.median(samples), "min": min(samples),
            "max": max(samples), "n": len(samples)}


def tail(text, lines=20):
    return "\n".join(text.strip().splitlines()[-lines:])


# ---------------------------------------------------------------------------
# Running commands

def run_measured(argv, env, what, stdin_text=None):
    """Run argv to completion.  Return (wall seconds, peak RSS in KiB,
    stdout).  Raise BenchError when it exits with a non-zero status."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, env=env, stdout=out, stderr=err,
            stdin=subprocess.PIPE if stdin_text is not None
            else subprocess.DEVNULL)
        if stdin_text is not None:
            proc.stdin.write(stdin_text.encode())
            proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise BenchError("%s failed with exit status %d:\n%s"
                         % (what, proc.returncode, tail(stderr or stdout)))
    # On Linux ru_maxrss is in KiB.
    return wall, usage.ru_maxrss, stdout


def peak_rss(argv, env, what):
    """Run argv under GNU time.  Return (peak RSS in KiB, stdout).

    A child of this Python process would inherit the high-water mark of
    the forked Python image, because Linux keeps ru_maxrss across exec.
    /usr/bin/time is small, so the child it forks starts small."""
    with tempfile.NamedTemporaryFile() as report:
        stdout = run_measured([GNU_TIME, "-o", report.name, "-f", "%M"] +
                              argv, env, what)[2]
        text = report.read().decode("ascii", "replace").strip()
    if not text.isdigit():
        raise BenchError("%s: unexpected output of %s: %r"
                         % (what, GNU_TIME, text))
    return int(text), stdout


def run_script(argv, env, what):
    """Run a shell script that prints its measurements and return its
    stdout."""
    return run_measured(argv, env, what)[2]


def bash(script, env, what, *args):
    return run_script(["bash", "-c", script, "bench"] + [str(a) for a in args],
                      env, what)


# ---------------------------------------------------------------------------
# The same AssumeRole request, made by the curl command line

def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def tc3_authorization(secret_id, secret_key, host, body, timestamp):
    """Return the TC3-HMAC-SHA256 Authorization value of a POST to / with
    a JSON body, signing content-type and host as cos does."""
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    canonical = ("POST\n/\n\ncontent-type:application/json\nhost:%s\n\n"
                 "content-type;host\n%s" % (host.lower(), sha256_hex(body)))
    scope = "%s/sts/tc3_request" % date
    string_to_sign = "TC3-HMAC-SHA256\n%d\n%s\n%s" % (
        timestamp, scope, sha256_hex(canonical.encode()))
    key = ("TC3" + secret_key).encode()
    for part in (date, "sts", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode(),
                         hashlib.sha256).hexdigest()
    return ("TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;"
            "host, Signature=%s" % (secret_id, scope, signature))


def curl_argv(ctx):
    """Return a curl command line for one signed AssumeRole request, with
    the same headers and body fields that `cos token` sends."""
    body = json.dumps({"RoleArn": ctx.role,
                       "RoleSessionName": ctx.session_name,
                       "DurationSeconds": 7200},
                      separators=(",", ":")).encode()
    timestamp = int(time.time())
    auth = tc3_authorization(ctx.secret_id, ctx.secret_key, ctx.host, body,
                             timestamp)
    headers = ["Content-Type: application/json",
               "X-TC-Action: AssumeRole", "X-TC-Version: 2018-08-13",
               "X-TC-Timestamp: %d" % timestamp,
               "X-TC-Region: ap-guangzhou", "X-TC-Language: en-US",
               "Authorization: " + auth]
    argv = ["curl", "-sS", "--fail", "--noproxy", "*", "--max-time", "30",
            "--cacert", ctx.ca_bundle, "--data-binary", body.decode()]
    for header in headers:
        argv += ["-H", header]
    return argv + [ctx.endpoint + "/"]


def check_sts_credentials(text, what):
    try:
        creds = json.loads(text)["Response"]["Credentials"]
    except (ValueError, KeyError, TypeError):
        raise BenchError("%s returned no credentials:\n%s"
                         % (what, tail(text))) from None
    if not creds.get("TmpSecretId") or not creds.get("Token"):
        raise BenchError("%s returned incomplete credentials" % what)


def check_cos_json(text, what):
    try:
        creds = json.loads(text)["Credentials"]
    except (ValueError, KeyError, TypeError):
        raise BenchError("%s printed no credentials:\n%s"
                         % (what, tail(text))) from None
    if not creds.get("TmpSecretId") or not creds.get("Token"):
        raise BenchError("%s printed incomplete credentials" % what)


# ---------------------------------------------------------------------------
# Metrics

def measure_cli_vs_curl(ctx, runs, rss_runs):
    """cos token -o json against curl, interleaved, each in a new
    process; then the peak RSS of each in separate runs."""
    cos = [ctx.cos, "token", "-o", "json"]
    for _ in range(3):          # warm the page cache and the emulator
        check_cos_json(run_measured(cos, ctx.env, "cos token")[2],
                       "cos token")
        check_sts_credentials(
            run_measured(curl_argv(ctx), ctx.env, "curl")[2], "curl")
    cos_wall, curl_wall = [], []
    for _ in range(runs):
        wall, _, out = run_measured(cos, ctx.env, "cos token -o json")
        check_cos_json(out, "cos token -o json")
        cos_wall.append(wall)
        wall, _, out = run_measured(curl_argv(ctx), ctx.env, "curl")
        check_sts_credentials(out, "curl")
        curl_wall.append(wall)
    cos_rss, curl_rss = [], []
    for _ in range(rss_runs):
        rss, out = peak_rss(cos, ctx.env, "cos token -o json")
        check_cos_json(out, "cos token -o json")
        cos_rss.append(rss)
        rss, out = peak_rss(curl_argv(ctx), ctx.env, "curl")
        check_sts_credentials(out, "curl")
        curl_rss.append(rss)
    return {"cos_wall": summary(cos_wall), "cos_rss": summary(cos_rss),
            "curl_wall": summary(curl_wall), "curl_rss": summary(curl_rss)}


# Prints one line per iteration: the microseconds taken by `cos_token` and
# by `eval "$(cos token -o env)"`.  Each call must change COS_SECRET_ID,
# which shows that it really fetched.  The first 5 iterations warm up.
BASH_BUILTIN_VS_EVAL = r'''
set -u
enable -f "$COS_BUILD/cos_token.so" cos_token || exit 1
n=$1
previous=none
changed() {
	if [[ ${COS_SECRET_ID:-} == "$previous" ]]; then
		echo "bench: $1 did not change COS_SECRET_ID" >&2
		exit 1
	fi
	previous=$COS_SECRET_ID
}
for ((i = -5; i < n; i++)); do
	t0=${EPOCHREALTIME/./}
	cos_token || exit 1
	t1=${EPOCHREALTIME/./}
	changed cos_token
	t2=${EPOCHREALTIME/./}
	eval "$("$COS_BIN" token -o env)"
	t3=${EPOCHREALTIME/./}
	changed 'eval "$(cos token -o env)"'
	((i >= 0)) && echo "$((t1 - t0)) $((t3 - t2))"
done
exit 0
'''

ZSH_BUILTIN_VS_EVAL = r'''
setopt err_return no_unset
module_path+=("$COS_BUILD/zsh")
zmodload cos/token || exit 1
zmodload zsh/datetime || exit 1
integer n=$1 i t0 t1 t2 t3
previous=none
changed() {
	if [[ ${COS_SECRET_ID:-} == "$previous" ]]; then
		print -u2 "bench: $1 did not change COS_SECRET_ID"
		exit 1
	fi
	previous=$COS_SECRET_ID
}
for ((i = -5; i < n; i++)); do
	t0=${EPOCHREALTIME/./}
	cos_token || exit 1
	t1=${EPOCHREALTIME/./}
	changed cos_token
	t2=${EPOCHREALTIME/./}
	eval "$("$COS_BIN" token -o env)"
	t3=${EPOCHREALTIME/./}
	changed 'eval "$(cos token -o env)"'
	# zsh's EPOCHREALTIME has nanoseconds.
	((i >= 0)) && print -r -- "$(((t1 - t0) / 1000)) $(((t3 - t2) / 1000))"
done
exit 0
'''


def parse_pairs(text, what):
    first, second = [], []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) != 2 or not all(f.isdigit() for f in fields):
            raise BenchError("%s printed an unexpected line: %r"
                             % (what, line))
        first.append(int(fields[0]) / 1e6)
        second.append(int(fields[1]) / 1e6)
    return first, second


def measure_builtin_vs_eval(ctx, calls):
    out = bash(BASH_BUILTIN_VS_EVAL, ctx.env, "bash: cos_token vs eval",
               calls)
    builtin, evaluated = parse_pairs(out, "bash: cos_token vs eval")
    return {"builtin": summary(builtin), "eval": summary(evaluated)}


def measure_zsh_builtin_vs_eval(ctx, calls):
    out = run_script(["zsh", "-f", "-c", ZSH_BUILTIN_VS_EVAL, "bench",
                      str(calls)], ctx.env, "zsh: cos_token vs eval")
    builtin, evaluated = parse_pairs(out, "zsh: cos_token vs eval")
    return {"builtin": summary(builtin), "eval": summary(evaluated)}


# Fetches once, then times rounds of N calls of `cos_token --refresh-within
# 60` (the credentials stay valid for two hours, so none fetches) and of
# the same loop around `:`, bash's no-op builtin.  Prints "noop loop"
# microseconds per round.
BASH_NOOP = r'''
set -u
enable -f "$COS_BUILD/cos_token.so" cos_token || exit 1
n=$1 rounds=$2
cos_token || exit 1
id=$COS_SECRET_ID
for ((r = 0; r < rounds; r++)); do
	t0=${EPOCHREALTIME/./}
	for ((i = 0; i < n; i++)); do
		cos_token --refresh-within 60 || exit 1
	done
	t1=${EPOCHREALTIME/./}
	for ((i = 0; i < n; i++)); do
		: --refresh-within 60 || exit 1
	done
	t2=${EPOCHREALTIME/./}
	echo "$((t1 - t0)) $((t2 - t1))"
done
if [[ $COS_SECRET_ID != "$id" ]]; then
	echo "bench: cos_token --refresh-within 60 fetched new credentials" >&2
	exit 1
fi
'''

# The same two loops under strace, each between two marker writes.
BASH_NOOP_TRACED = r'''
set -u
enable -f "$COS_BUILD/cos_token.so" cos_token || exit 1
n=$1
cos_token || exit 1
exec 9>/dev/null
echo bench-builtin-start >&9
for ((i = 0; i < n; i++)); do
	cos_token --refresh-within 60 || exit 1
done
echo bench-builtin-end >&9
echo bench-noop-start >&9
for ((i = 0; i < n; i++)); do
	: --refresh-within 60 || exit 1
done
echo bench-noop-end >&9
'''


def syscalls_between(lines, start, end):
    """Return the syscall names that strace recorded between the writes
    of the markers start and end."""
    names, inside = [], False
    for line in lines:
        if '"%s\\n"' % start in line:
            inside = True
            continue
        if '"%s\\n"' % end in line:
            return names
        if inside:
            match = re.match(r"(?:\[pid +\d+\] |\d+ +)?([a-z0-9_]+)\(", line)
            if match:
                names.append(match.group(1))
    raise BenchError("strace output lacks the marker %s" % end)


def syscall_counts(names):
    """Return "close ×1, dup2 ×2" for a list of syscall names."""
    counts = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return ", ".join("%s ×%d" % (name, counts[name])
                     for name in sorted(counts))


def measure_noop(ctx, calls, rounds, traced_calls):
    out = bash(BASH_NOOP, ctx.env, "bash: cos_token --refresh-within 60",
               calls, rounds)
    builtin, noop = parse_pairs(out, "bash: cos_token --refresh-within 60")
    result = {"builtin": summary([t / calls for t in builtin]),
              "noop": summary([t / calls for t in noop]),
              "calls": calls, "rounds": rounds, "traced_calls": traced_calls}

    trace = os.path.join(ctx.work, "noop.strace")
    run_script(["strace", "-f", "-qq", "-o", trace, "bash", "-c",
                BASH_NOOP_TRACED, "bench", str(traced_calls)], ctx.env,
               "strace bash: cos_token --refresh-within 60")
    with open(trace, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    result["syscalls_builtin"] = syscalls_between(
        lines, "bench-builtin-start", "bench-builtin-end")
    result["syscalls_noop"] = syscalls_between(
        lines, "bench-noop-start", "bench-noop-end")
    return result


# Prints "calls VmRSS_KiB" after a warm-up and then every n/10 calls, and
# "hwm VmHWM_KiB" at the end.  Reads /proc/$$/status without a fork.
BASH_RSS = r'''
set -u
enable -f "$COS_BUILD/cos_token.so" cos_token || exit 1
n=$1 every=$2 step=$(($1 / 10 > 0 ? $1 / 10 : 1))
status_field() {
	local key value unit
	while read -r key value unit; do
		if [[ $key == "$1:" ]]; then
			echo "$value"
			return
		fi
	done </proc/$$/status
}
for ((i = 0; i < 20; i++)); do
	cos_token || exit 1
done
echo "0 $(status_field VmRSS)"
for ((i = 1; i <= n; i++)); do
	if ((i % every == 0)); then
		cos_token || exit 1
	else
		cos_token --refresh-within 60 || exit 1
	fi
	((i % step == 0 || i == n)) && echo "$i $(status_field VmRSS)"
done
echo "hwm $(status_field VmHWM)"
'''


def measure_rss_growth(ctx, calls, every):
    start = time.perf_counter()
    out = bash(BASH_RSS, ctx.env, "bash: VmRSS over cos_token calls", calls,
               every)
    elapsed = time.perf_counter() - start
    points, hwm = [], None
    for line in out.splitlines():
        key, value = line.split()
        if key == "hwm":
            hwm = int(value)
        else:
            points.append((int(key), int(value)))
    if len(points) < 2 or hwm is None:
        raise BenchError("bash: VmRSS script printed too little:\n%s"
                         % tail(out))
    middle = min(points[1:], key=lambda p: abs(p[0] - calls / 2))
    return {"calls": calls, "every": every,
            "fetches": calls // every, "before": points[0][1],
            "middle": middle, "after": points[-1][1], "hwm": hwm,
            "points": points, "seconds": elapsed}


def measure_concurrent(ctx, count, rounds):
    """Start count `cos token -o json` processes at once.  Return the wall
    time from the first start to the last exit per round, the time of
    each process from its start to its exit, and every failure."""
    totals, each, failures = [], [], []
    argv = [ctx.cos, "token", "-o", "json"]
    for _ in range(rounds):
        running = {}
        start = time.perf_counter()
        for _ in range(count):
            out = tempfile.TemporaryFile()
            err = tempfile.TemporaryFile()
            proc = subprocess.Popen(argv, env=ctx.env, stdout=out,
                                    stderr=err, stdin=subprocess.DEVNULL)
            running[proc.pid] = (proc, out, err, time.perf_counter())
        finished = []
        while running:
            # This script has no other children while these run, so
            # waiting for any child reaps each one as it exits.
            pid, status = os.wait()
            now = time.perf_counter()
            proc, out, err, started = running.pop(pid)
            proc.returncode = os.waitstatus_to_exitcode(status)
            each.append(now - started)
            finished.append((proc, out, err))
        totals.append(time.perf_counter() - start)
        for proc, out, err in finished:
            out.seek(0)
            err.seek(0)
            text = out.read().decode("utf-8", "replace")
            message = err.read().decode("utf-8", "replace")
            out.close()
            err.close()
            if proc.returncode != 0:
                failures.append("exit %d: %s" % (proc.returncode,
                                                 tail(message, 3)))
                continue
            try:
                check_cos_json(text, "cos token -o json")
            except BenchError as error:
                failures.append(str(error))
    return {"count": count, "rounds": rounds, "total": summary(totals),
            "each": summary(each), "failures": failures}


# In a fresh shell: the first cos_token call (which unlocks the master key
# with Argon2id), then later calls (which use the cached key).  Prints
# "first MICROSECONDS" and one "later MICROSECONDS" line per later call.
BASH_UNLOCK = r'''
set -u
enable -f "$COS_BUILD/cos_token.so" cos_token || exit 1
later=$1
t0=${EPOCHREALTIME/./}
cos_token || exit 1
t1=${EPOCHREALTIME/./}
echo "first $((t1 - t0))"
for ((i = 0; i < later; i++)); do
	t0=${EPOCHREALTIME/./}
	cos_token || exit 1
	t1=${EPOCHREALTIME/./}
	echo "later $((t1 - t0))"
done
'''


def argon2_parameters(config_dir):
    """Return (opslimit, memlimit in bytes) from DIR/master.key, or None
    when the key is not wrapped with a passphrase."""
    try:
        with open(os.path.join(config_dir, "master.key"),
                  encoding="ascii") as f:
            fields = f.readline().strip().split(":")
    except OSError:
        return None
    if len(fields) >= 5 and fields[2] == "argon2id":
        return int(fields[3]), int(fields[4])
    return None


def measure_unlock(ctx, shells, later):
    env = dict(ctx.env)
    env["COS_CONFIG_DIR"] = ctx.pass_config_dir
    env["COS_PASSPHRASE_FILE"] = ctx.passphrase_file
    parameters = argon2_parameters(ctx.pass_config_dir)
    if parameters is None:
        raise BenchError("the passphrase store has no Argon2id-wrapped "
                         "master key in %s/master.key" % ctx.pass_config_dir)
    first, rest = [], []
    for _ in range(shells):
        out = bash(BASH_UNLOCK, env, "bash: cos_token with a passphrase",
                   later)
        for line in out.splitlines():
            kind, value = line.split()
            (first if kind == "first" else rest).append(int(value) / 1e6)
    cli_wall, cli_rss = [], []
    for _ in range(shells):
        wall, _, out = run_measured([ctx.cos, "token", "-o", "json"], env,
                                    "cos token with a passphrase")
        check_cos_json(out, "cos token with a passphrase")
        cli_wall.append(wall)
        rss, out = peak_rss([ctx.cos, "token", "-o", "json"], env,
                            "cos token with a passphrase")
        check_cos_json(out, "cos token with a passphrase")
        cli_rss.append(rss)
    return {"first": summary(first), "later": summary(rest),
            "cli_wall": summary(cli_wall), "cli_rss": summary(cli_rss),
            "opslimit": parameters[0], "memlimit": parameters[1]}


# ---------------------------------------------------------------------------
# The machine

def first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    return out.strip().splitlines()[0] if out.strip() else "unknown"


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average():
    with open("/proc/loadavg", encoding="ascii") as f:
        return " ".join(f.read().split()[:3])


def machine_info(ctx):
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    commit = first_line(["git", "-C", src, "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", src, "status", "--porcelain",
                            "--untracked-files=no"], capture_output=True,
                           text=True).stdout.strip()
    return [
        ("date (UTC)", datetime.datetime.now(datetime.timezone.utc)
         .strftime("%Y-%m-%d %H:%M")),
        ("command", "`make bench`"),
        ("commit", commit + (" with uncommitted changes" if dirty else "")),
        ("CPU", cpu_model()),
        ("CPUs (nproc)", first_line(["nproc"])),
        ("load average (1, 5, 15 min) at start", load_average()),
        ("kernel", platform.system() + " " + platform.release()),
        ("compiler", first_line([os.environ.get("CC", "cc"), "--version"])),
        ("optimisation", os.environ.get("BENCH_OPTFLAGS", "-O2 -DNDEBUG")),
        ("cos", first_line([ctx.cos, "--version"])),
        ("bash", first_line(["bash", "--version"])),
        ("zsh", first_line(["zsh", "--version"])),
        ("curl", first_line(["curl", "--version"])),
        ("python (emulator)", "Python " + platform.python_version()),
    ]


# ---------------------------------------------------------------------------
# Report

def ms(seconds):
    return "%.2f ms" % (seconds * 1e3)


def us(seconds):
    return "%.2f µs" % (seconds * 1e6)


def mib(kib):
    return "%.1f MiB" % (kib / 1024)


def row(number, what, stats, fmt):
    return "| %s | %s | %s | %s | %s | %d |" % (
        number, what, fmt(stats["median"]), fmt(stats["min"]),
        fmt(stats["max"]), stats["n"])


def ratio_list(r):
    """Return (label, value, meaning) for each ratio of medians."""
    items = [
        ("cos token ÷ curl (wall time)",
         r["cli"]["cos_wall"]["median"] / r["cli"]["curl_wall"]["median"],
         "time of `cos token -o json` over the same signed request made "
         "by curl"),
        ("eval \"$(cos token -o env)\" ÷ cos_token (bash)",
         r["shell"]["eval"]["median"] / r["shell"]["builtin"]["median"],
         "how many times longer the eval of `cos token -o env` takes "
         "than the bash builtin"),
    ]
    if r.get("zsh"):
        items.append((
            "eval \"$(cos token -o env)\" ÷ cos_token (zsh)",
            r["zsh"]["eval"]["median"] / r["zsh"]["builtin"]["median"],
            "the same in zsh, with the zsh module"))
    items.append((
        "first ÷ later cos_token (passphrase)",
        r["unlock"]["first"]["median"] / r["unlock"]["later"]["median"],
        "first call in a new bash (Argon2id unlock and fetch) over later "
        "calls in that shell (cached master key and fetch)"))
    items.append((
        "cos token ÷ curl (peak RSS)",
        r["cli"]["cos_rss"]["median"] / r["cli"]["curl_rss"]["median"],
        "peak resident memory of `cos token` over that of curl"))
    return items


def svg_escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def ratios_svg(items, subtitle):
    """Return an SVG bar chart of the ratios on a log scale, with bars
    starting at 1x (equal)."""
    label_w, plot_w, right_w = 360, 330, 80
    row_h, top, bottom = 34, 64, 44
    width = label_w + plot_w + right_w
    height = top + row_h * len(items) + bottom
    values = [v for _, v, _ in items]
    low = min([0.5] + [v / 1.3 for v in values])
    high = max([2.0] + [v * 1.3 for v in values])
    log_low, log_high = math.log10(low), math.log10(high)

    def x(value):
        return label_w + plot_w * (math.log10(value) - log_low) / (
            log_high - log_low)

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'viewBox="0 0 %d %d" font-family="sans-serif" font-size="13">'
           % (width, height, width, height),
           '<rect width="100%" height="100%" fill="#ffffff"/>',
           '<text x="12" y="24" font-size="16" font-weight="bold">'
           'cos benchmark: ratios of medians (log scale)</text>',
           '<text x="12" y="44" fill="#555555">%s</text>'
           % svg_escape(subtitle)]
    ticks = []
    for exponent in range(-2, 5):
        for mantissa in (1, 2, 5):
            tick = mantissa * 10.0 ** exponent
            if low <= tick <= high:
                ticks.append(tick)
    axis_y = top + row_h * len(items)
    for tick in ticks:
        tx = x(tick)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" '
                   'stroke="%s" stroke-width="1"/>'
                   % (tx, top - 6, tx, axis_y,
                      "#333333" if tick == 1 else "#dddddd"))
        out.append('<text x="%.1f" y="%d" text-anchor="middle" '
                   'fill="#555555">%g×</text>' % (tx, axis_y + 18, tick))
    for i, (label, value, _) in enumerate(items):
        y = top + i * row_h
        x0, x1 = sorted((x(1.0), x(value)))
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                   % (label_w - 10, y + row_h / 2 + 4, svg_escape(label)))
        out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" '
                   'fill="%s"/>' % (x0, y + 7, max(x1 - x0, 1.0), row_h - 14,
                                    "#3b7dd8" if value >= 1 else "#d8823b"))
        out.append('<text x="%.1f" y="%d">%.2f×</text>'
                   % (max(x1, x(1.0)) + 6, y + row_h / 2 + 4, value))
    out.append('<text x="12" y="%d" fill="#555555">1× = equal; each bar '
               'is the first median divided by the second</text>'
               % (height - 8))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def results_markdown(machine, r, items, counts):
    cli, shell, noop = r["cli"], r["shell"], r["noop"]
    rss, conc, unlock = r["rss"], r["concurrent"], r["unlock"]
    lines = ["# cos benchmark results", "",
             "Generated by `make bench` (bench/bench.py); do not edit by "
             "hand. Every request goes to the local STS emulator "
             "(tests/emulator/sts_emulator.py, Python) on 127.0.0.1 over "
             "TLS with a throwaway CA. See "
             "[docs/benchmarks.md](../docs/benchmarks.md) for the method.",
             "", "## Machine", "", "| | |", "|---|---|"]
    for key, value in machine:
        lines.append("| %s | %s |" % (key, value))

    lines += ["", "## Ratios", "",
              "![Ratios of medians](ratios.svg)", "",
              "| ratio | median ÷ median | meaning |", "|---|---|---|"]
    for label, value, meaning in items:
        lines.append("| %s | %.2f× | %s |" % (label.replace("|", "\\|"),
                                             value, meaning))

    table = [
        ("1", "`cos token -o json`: new process, one TLS handshake, one "
         "AssumeRole", cli["cos_wall"], ms),
        ("1", "`curl` with the same signed AssumeRole request (the floor)",
         cli["curl_wall"], ms),
        ("2", "`cos_token` in one bash, per call (a real fetch each time)",
         shell["builtin"], ms),
        ("2", "`eval \"$(cos token -o env)\"` in the same bash, per call",
         shell["eval"], ms),
        ("3", "`cos_token --refresh-within 60` with valid credentials, per "
         "call (rounds of %d calls)" % noop["calls"], noop["builtin"], us),
        ("3", "the same loop around `:`, bash's no-op builtin, per call",
         noop["noop"], us),
        ("4", "peak RSS of `cos token -o json`", cli["cos_rss"], mib),
        ("4", "peak RSS of the curl run", cli["curl_rss"], mib),
        ("5", "%d `cos token` processes at once: first start to last "
         "exit, per round" % conc["count"], conc["total"], ms),
        ("5", "one of those processes, start to exit", conc["each"], ms),
        ("6", "first `cos_token` in a new bash, passphrase store: "
         "Argon2id unlock and fetch", unlock["first"], ms),
        ("6", "later `cos_token` calls in that bash: cached master key "
         "and fetch", unlock["later"], ms),
        ("6", "`cos token -o json` with the passphrase store (unlocks in "
         "every process)", unlock["cli_wall"], ms),
        ("6", "peak RSS of that `cos token` run", unlock["cli_rss"], mib),
    ]
    if r.get("zsh"):
        table += [
            ("z", "zsh module `cos_token` in one zsh, per call (a real "
             "fetch each time)", r["zsh"]["builtin"], ms),
            ("z", "`eval \"$(cos token -o env)\"` in the same zsh, per "
             "call", r["zsh"]["eval"], ms)]
    lines += ["", "## All numbers", "",
              "Times are wall-clock. Peak RSS comes from GNU time "
              "(`%M`, getrusage's ru_maxrss).", "",
              "| # | what | median | min | max | n |",
              "|---|---|---|---|---|---|"]
    lines += [row(*entry) for entry in table]

    growth = rss["after"] - rss["before"]
    second_half = rss["after"] - rss["middle"][1]
    mix = ("every call fetched new credentials from the emulator"
           if rss["every"] == 1 else
           "every %dth call fetched new credentials (%d fetches); the "
           "others were `cos_token --refresh-within 60` calls that "
           "returned at once" % (rss["every"], rss["fetches"]))
    lines += [
        "", "### 4. bash's memory over %d `cos_token` calls" % rss["calls"],
        "",
        "VmRSS of the bash process (from /proc/$$/status) after loading "
        "the builtin and 20 warm-up calls, then after %d more calls; %s. "
        "The loop took %.0f s."
        % (rss["calls"], mix, rss["seconds"]), "",
        "| VmRSS after warm-up | at call %d | after call %d | growth "
        "| growth in the second half | VmHWM |" % (rss["middle"][0],
                                                  rss["calls"]),
        "|---|---|---|---|---|---|",
        "| %d KiB | %d KiB | %d KiB | %+d KiB (%+.2f KiB per 1000 calls) "
        "| %+d KiB | %d KiB |" % (
            rss["before"], rss["middle"][1], rss["after"], growth,
            growth * 1000 / rss["calls"], second_half, rss["hwm"]),
        "", "### 3. No I/O on the fast path", ""]
    traced = noop["traced_calls"]
    with_builtin = syscall_counts(noop["syscalls_builtin"])
    without = syscall_counts(noop["syscalls_noop"])
    if with_builtin == without:
        lines.append(
            "Under `strace -f`, a loop of %d `cos_token --refresh-within "
            "60` calls made %d system calls, the same as the same loop "
            "around `:` (%s). Those come from the marker writes and their "
            "redirections around each loop, so the builtin made no system "
            "call at all." % (traced, len(noop["syscalls_builtin"]),
                              without or "none"))
    else:
        lines.append(
            "**Under `strace -f`, a loop of %d `cos_token "
            "--refresh-within 60` calls made %d system calls (%s), while "
            "the same loop around `:` made %d (%s).**"
            % (traced, len(noop["syscalls_builtin"]), with_builtin or "none",
               len(noop["syscalls_noop"]), without or "none"))

    lines += ["", "### 5. Failures", ""]
    if conc["failures"]:
        lines.append("%d of %d processes failed. The first error:"
                     % (len(conc["failures"]),
                        conc["count"] * conc["rounds"]))
        lines += ["", "```", conc["failures"][0], "```"]
    else:
        lines.append("None of the %d processes (%d %s of %d) failed."
                     % (conc["count"] * conc["rounds"], conc["rounds"],
                        "round" if conc["rounds"] == 1 else "rounds",
                        conc["count"]))

    ops, mem = unlock["opslimit"], unlock["memlimit"]
    lines += ["", "## What these numbers show, and what they do not", ""]
    machine_values = dict(machine)
    busiest = max(float(machine_values[key].split()[0]) for key in
                  ("load average (1, 5, 15 min) at start",
                   "load average at the end"))
    cpus = len(os.sched_getaffinity(0))
    if busiest > cpus:
        lines.append(
            "- **Other work shared the machine during this run**: the "
            "1-minute load average reached %.1f on %d CPUs. Absolute times "
            "are longer than on an idle machine and the spread between min "
            "and max is wider. Rows 1, 2 and z alternate their two sides "
            "call by call, so both sides of those ratios saw the same "
            "load."
            % (busiest, cpus))
    lines += [
        "- Everything runs on one machine over loopback. A real STS "
        "endpoint adds network round trips to every fetch, which shrinks the ratios of rows 1 and 2 and leaves "
        "rows 3, 4 and 6 (local work) as they are.",
        "- The emulator is a Python program (one thread per connection); "
        "its TLS handshake and request handling are part of every fetch "
        "and of the curl floor alike. It sets TCP_NODELAY on each "
        "connection, so no Nagle delay is measured.",
        "- Row 1 compares two new processes that each load libcurl and "
        "OpenSSL and make one TLS handshake. The curl request is signed "
        "by the bench script before curl starts, so curl's time holds no "
        "signing; `cos token` also reads and unseals the profile and "
        "signs the request. Both are timed from fork to exit by Python.",
        "- Row 2 shows what the builtin saves. Both sides make a real fetch "
        "with a new TLS connection, so the difference is the cost of a "
        "new process (fork, exec, dynamic linking, setting up libcurl and "
        "OpenSSL) plus the command substitution and "
        "the `eval`.",
        "- Row 3 is the cost of checking COS_TOKEN_EXPIRATION inside the "
        "shell; subtract the `:` row for the loop itself. It shows "
        "nothing about fetches.",
        "- Row 4 is the resident memory of one process, not of a long "
        "session. The bash growth covers %d calls of one shell; it "
        "cannot rule out a leak too small to show in VmRSS pages, and "
        "the allocator may keep freed memory." % rss["calls"],
        "- Row 5 runs %d clients and the emulator on %s CPUs at once, so "
        "it measures contention on this machine more than any limit of "
        "cos." % (conc["count"], first_line(["nproc"])),
        "- Row 6 depends on the Argon2id cost chosen by `cos configure "
        "passphrase set` (here opslimit %d, memlimit %d MiB) and on the "
        "machine's memory bandwidth." % (ops, mem // (1024 * 1024)),
        "- Medians of %s runs on a shared machine; the min and max show "
        "the spread. Compare ratios rather than absolute times across "
        "machines." % "repeated",
        "", "## Repetitions", "",
        "Set any of these environment variables to change a count, for "
        "example `make bench BENCH_RSS_CALLS=1000`.", "",
        "| variable | value in this run |", "|---|---|"]
    for name, value in counts.items():
        lines.append("| %s | %d |" % (name, value))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------

class Context:
    def __init__(self, work):
        env = dict(os.environ)
        self.env = env
        self.work = work
        self.cos = env["COS_BIN"]
        self.endpoint = env["COS_STS_ENDPOINT"].rstrip("/")
        self.host = urllib.parse.urlsplit(self.endpoint).netloc
        if urllib.parse.urlsplit(self.endpoint).hostname != "127.0.0.1":
            raise BenchError("COS_STS_ENDPOINT must be the emulator on "
                             "127.0.0.1, not %s" % self.endpoint)
        self.ca_bundle = env["COS_CA_BUNDLE"]
        self.secret_id = env["EMULATOR_SECRET_ID"]
        self.secret_key = env["EMULATOR_SECRET_KEY"]
        self.role = env["EMULATOR_ROLE"]
        # The RoleSessionName that `cos token` sends by default, so that
        # both requests have the same body.
        self.session_name = "cos-" + pwd.getpwuid(os.getuid()).pw_name
        self.pass_config_dir = env["BENCH_PASS_CONFIG_DIR"]
        self.passphrase_file = env["BENCH_PASSPHRASE_FILE"]


def step(name):
    print("bench: %s" % name, file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True,
                        help="directory for RESULTS.md and ratios.svg")
    args = parser.parse_args()

    try:
        counts = {
            "BENCH_RUNS": env_count("BENCH_RUNS", 40),
            "BENCH_PEAK_RSS_RUNS": env_count("BENCH_PEAK_RSS_RUNS", 10),
            "BENCH_SHELL_CALLS": env_count("BENCH_SHELL_CALLS", 200),
            "BENCH_NOOP_CALLS": env_count("BENCH_NOOP_CALLS", 100000),
            "BENCH_NOOP_ROUNDS": env_count("BENCH_NOOP_ROUNDS", 5),
            "BENCH_STRACE_CALLS": env_count("BENCH_STRACE_CALLS", 10000),
            "BENCH_RSS_CALLS": env_count("BENCH_RSS_CALLS", 10000),
            "BENCH_RSS_FETCH_EVERY": env_count("BENCH_RSS_FETCH_EVERY", 1),
            "BENCH_CONCURRENCY": env_count("BENCH_CONCURRENCY", 50),
            "BENCH_CONCURRENT_ROUNDS": env_count("BENCH_CONCURRENT_ROUNDS",
                                                 5),
            "BENCH_UNLOCK_SHELLS": env_count("BENCH_UNLOCK_SHELLS", 5),
            "BENCH_UNLOCK_LATER": env_count("BENCH_UNLOCK_LATER", 20),
            "BENCH_ZSH_CALLS": env_count("BENCH_ZSH_CALLS", 200),
        }
        ctx = Context(tempfile.mkdtemp(prefix="cos-bench-"))
        machine = machine_info(ctx)
        started = time.perf_counter()
        r = {}
        step("1/6 cos token vs curl, %d runs each" % counts["BENCH_RUNS"])
        r["cli"] = measure_cli_vs_curl(ctx, counts["BENCH_RUNS"],
                                       counts["BENCH_PEAK_RSS_RUNS"])
        step("2/6 cos_token vs eval in bash, %d calls each"
             % counts["BENCH_SHELL_CALLS"])
        r["shell"] = measure_builtin_vs_eval(ctx,
                                             counts["BENCH_SHELL_CALLS"])
        step("2/6 cos_token vs eval in zsh, %d calls each"
             % counts["BENCH_ZSH_CALLS"])
        r["zsh"] = measure_zsh_builtin_vs_eval(ctx,
                                               counts["BENCH_ZSH_CALLS"])
        step("3/6 cos_token --refresh-within 60, %d rounds of %d calls"
             % (counts["BENCH_NOOP_ROUNDS"], counts["BENCH_NOOP_CALLS"]))
        r["noop"] = measure_noop(ctx, counts["BENCH_NOOP_CALLS"],
                                 counts["BENCH_NOOP_ROUNDS"],
                                 counts["BENCH_STRACE_CALLS"])
        step("4/6 bash VmRSS over %d cos_token calls"
             % counts["BENCH_RSS_CALLS"])
        r["rss"] = measure_rss_growth(ctx, counts["BENCH_RSS_CALLS"],
                                      counts["BENCH_RSS_FETCH_EVERY"])
        step("5/6 %d concurrent cos token processes, %d rounds"
             % (counts["BENCH_CONCURRENCY"],
                counts["BENCH_CONCURRENT_ROUNDS"]))
        r["concurrent"] = measure_concurrent(
            ctx, counts["BENCH_CONCURRENCY"],
            counts["BENCH_CONCURRENT_ROUNDS"])
        step("6/6 passphrase store, %d fresh shells"
             % counts["BENCH_UNLOCK_SHELLS"])
        r["unlock"] = measure_unlock(ctx, counts["BENCH_UNLOCK_SHELLS"],
                                     counts["BENCH_UNLOCK_LATER"])
    except BenchError as error:
        print("bench: FAILED: %s" % error, file=sys.stderr)
        return 1
    finally:
        if "ctx" in locals():
            shutil.rmtree(ctx.work, ignore_errors=True)

    items = ratio_list(r)
    subtitle = "make bench, %s, %s CPUs (%s), loopback to the Python STS " \
        "emulator" % (datetime.date.today().isoformat(),
                      first_line(["nproc"]), cpu_model())
    machine.append(("load average at the end", load_average()))
    machine.append(("time taken by the measurements",
                    "%.0f s" % (time.perf_counter() - started)))
    markdown = results_markdown(machine, r, items, counts)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "ratios.svg"), "w",
              encoding="utf-8") as f:
        f.write(ratios_svg(items, subtitle))
    with open(os.path.join(args.out, "RESULTS.md"), "w",
              encoding="utf-8") as f:
        f.write(markdown)

    for label, value, _ in items:
        print("%-44s %8.2f×" % (label, value))
    if r["concurrent"]["failures"]:
        print("bench: WARNING: %d concurrent cos token processes failed; "
              "see RESULTS.md" % len(r["concurrent"]["failures"]),
              file=sys.stderr)
    print("bench: measured in %.0f s; wrote %s/RESULTS.md and "
          "%s/ratios.svg" % (time.perf_counter() - started, args.out,
                             args.out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
