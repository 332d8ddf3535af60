#!/usr/bin/env bats
# The documentation against the program: --help, the man pages, the
# completion files, the CI recipes and every runnable example.
#
# Runnable examples.  In README.md and docs/*.md, a fenced code block whose
# info string is exactly `sh` is a runnable example.  Its lines run in order
# in a fresh `bash --noprofile --norc -o pipefail`, and the first command
# that fails stops the block, which fails the test with FILE:LINE and the
# line's text.  The environment contains only PATH (with the build first,
# so `cos` is the built binary), a throwaway HOME with a default profile
# for the local STS emulator (its key sealed, region ap-guangzhou), and
# COS_STS_ENDPOINT and COS_CA_BUNDLE for the emulator.  The blocks of one
# file share that HOME, in the order of the file.
#
# Every other fence is not run: `console` for commands that need a
# terminal, root, a package manager or another host (`make install`,
# `cos configure --prompt`, docker), `bash` and `zsh` for snippets that
# need the builtins at installed paths (the shell-integration tests below
# run those with the build's paths), `text` for output, and the language
# name for other files (`yaml`, `ini`, `fish`, `powershell`).

load lib/common

bats_require_minimum_version 1.5.0

# A role for the GitHub Actions recipe, next to the emulator's own.
CI_ROLE_ID=4611686018427400001

setup_file() {
	[ -x "$COS_BUILD/cos" ] || {
		echo "no $COS_BUILD/cos; run make first" >&2
		return 1
	}
	printf '{"roles": [{"uin": "100000000001", "name": "ci-upload", "id": "%s"}]}\n' \
		"$CI_ROLE_ID" >"$BATS_FILE_TMPDIR/keys.json"
	cos_setup_file --keys "$BATS_FILE_TMPDIR/keys.json"
	write_parsers "$BATS_FILE_TMPDIR/parsers.py"
}

teardown_file() { cos_teardown_file; }

setup() {
	cos_setup
	COS="$COS_BUILD/cos"
	PARSERS="$BATS_FILE_TMPDIR/parsers.py"
}

# ------------------------------------------------------------------
# Helpers

# The parsers of the formats the CI recipes write, in Python's standard
# library: `python3 parsers.py KIND FILE` prints a JSON object.
write_parsers() {
	cat >"$1" <<'EOF'
import json
import re
import sys


def read_line(text, index):
    """Returns (line, next index, newline) like the runner's ReadLine."""
    if index >= len(text):
        return None, index, None
    lf = text.find("\n", index)
    if lf < 0:
        return text[index:], len(text), None
    return text[index:lf], lf + 1, "\n"


def github_env(text):
    """Parses $GITHUB_ENV as the GitHub Actions runner does
    (SetEnvFileCommand.ProcessCommand in actions/runner): NAME=VALUE
    lines, and NAME<<DELIMITER lines whose value runs up to a line equal
    to DELIMITER."""
    env = {}
    line, index, _ = read_line(text, 0)
    while line is not None:
        if line:
            eq, heredoc = line.find("="), line.find("<<")
            if eq >= 0 and (heredoc < 0 or eq < heredoc):
                name, value = line.split("=", 1)
                if not name:
                    raise ValueError("empty name in %r" % line)
                env[name] = value
            elif heredoc >= 0 and (eq < 0 or heredoc < eq):
                name, delimiter = line.split("<<", 1)
                if not name or not delimiter:
                    raise ValueError("empty name or delimiter in %r" % line)
                start = end = index
                temp, index, newline = read_line(text, index)
                while temp != delimiter:
                    if temp is None:
                        raise ValueError("delimiter %r not found" % delimiter)
                    end = index - len(newline or "")
                    temp, index, newline = read_line(text, index)
                env[name] = text[start:end] if end > start else ""
            else:
                raise ValueError("invalid line %r" % line)
        line, index, _ = read_line(text, index)
    return env


def docker_env(text):
    """Parses a docker --env-file as docker's CLI does (pkg/kvfile): lines
    without leading white space, '#' comments, KEY=VALUE with VALUE as it
    is except one pair of matching quotes (docker 28)."""
    env = {}
    for number, line in enumerate(text.split("\n"), 1):
        if line.endswith("\r"):
            line = line[:-1]
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, has_value, value = line.partition("=")
        if not key or re.search(r"[ \t]", key):
            raise ValueError("invalid variable name on line %d" % number)
        if not has_value:
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[key] = value
    return env


def systemd_env(text):
    """Parses an EnvironmentFile= by the rules of systemd.exec(5): empty
    lines, lines without '=' and lines starting with ';' or '#' are
    ignored; an unquoted value has shell backslash escapes, line
    continuation and its outer white space removed; '...' is verbatim;
    "..." knows the escapes of double-quoted shell text."""
    env = {}
    i, n = 0, len(text)
    space = " \t\r"
    while i < n:
        end = text.find("\n", i)
        end = n if end < 0 else end
        line = text[i:end]
        stripped = line.lstrip(space)
        if not stripped or stripped[0] in "#;" or "=" not in stripped:
            i = end + 1
            continue
        key = stripped.split("=", 1)[0].strip(space)
        i = i + (len(line) - len(stripped)) + stripped.index("=") + 1
        while i < n and text[i] in space:
            i += 1
        value = []
        if i < n and text[i] == "'":
            close = text.index("'", i + 1)
            value.append(text[i + 1:close])
            i = close + 1
        elif i < n and text[i] == '"':
            i += 1
            while text[i] != '"':
                if text[i] == "\\" and text[i + 1] in '"\\`$':
                    value.append(text[i + 1])
                    i += 2
                elif text[i] == "\\" and text[i + 1] == "\n":
                    i += 2
                else:
                    value.append(text[i])
                    i += 1
            i += 1
        else:
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n:
                    if text[i + 1] != "\n":
                        value.append(text[i + 1])
                    i += 2
                else:
                    value.append(text[i])
                    i += 1
            value = ["".join(value).rstrip(space)]
        env[key] = "".join(value)
        end = text.find("\n", i)
        i = n if end < 0 else end + 1
    return env


def indent_of(line):
    return len(line) - len(line.lstrip(" "))


def github_step(text, name):
    """Finds the step NAME in the first ```yaml block of a Markdown text
    and returns its env mapping and run script (a YAML subset: "key:
    value" lines and a "run: |" block)."""
    block = re.search(r"^```yaml\n(.*?)^```", text, re.S | re.M).group(1)
    lines = block.split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"^( *)- name: (.*)$", line)
        if m and m.group(2).strip() == name:
            step = len(m.group(1)) + 2
            break
    else:
        raise ValueError("no step named %r" % name)
    env, run, j = {}, None, i + 1
    while j < len(lines):
        line = lines[j]
        if line.strip() and (indent_of(line) < step or
                             (indent_of(line) == step - 2 and
                              line.lstrip().startswith("- "))):
            break
        j += 1
        if line.strip() == "env:" and indent_of(line) == step:
            while j < len(lines) and indent_of(lines[j]) > step:
                key, _, value = lines[j].strip().partition(": ")
                env[key] = value
                j += 1
        elif line.strip() == "run: |" and indent_of(line) == step:
            body = []
            while j < len(lines) and (not lines[j].strip() or
                                      indent_of(lines[j]) > step):
                body.append(lines[j])
                j += 1
            depth = min(indent_of(b) for b in body if b.strip())
            run = "\n".join(b[depth:] for b in body).strip("\n") + "\n"
    return {"env": env, "run": run}


kind, path = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    text = f.read()
if kind == "github-step":
    result = github_step(text, sys.argv[3])
else:
    result = {"github-env": github_env, "docker-env": docker_env,
              "systemd-env": systemd_env}[kind](text)
print(json.dumps(result, sort_keys=True))
EOF
}

# Runs SCRIPT in bash (`with_builtin_shell bash -c SCRIPT ARG0 ARGS...`) or
# zsh with the builtins loadable.  With SANITIZE=1 they are built with
# ASan, whose runtime must come first in the uninstrumented shell; the
# script then unsets LD_PRELOAD so that the programs it starts run
# without it.
with_builtin_shell() {
	local shell=$1 script=$3 preload=
	shift 3
	if [ "${SANITIZE:-}" = 1 ]; then
		preload="$(${CC:-cc} -print-file-name=libasan.so):$(${CC:-cc} -print-file-name=libubsan.so)"
		script="unset LD_PRELOAD; $script"
	fi
	if [ "$shell" = bash ]; then
		set -- bash --norc --noprofile -c "$script" "$@"
	else
		set -- zsh -f -c "$script" "$@"
	fi
	if [ -n "$preload" ]; then
		ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$preload" "$@"
	else
		"$@"
	fi
}

# parse KIND FILE [ARG]: runs one of the parsers.
parse() {
	"$COS_TEST_PYTHON" "$PARSERS" "$@"
}

# json_get JSON KEY: prints the string value of KEY.
json_get() {
	"$COS_TEST_PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

# json_keys JSON: prints the keys, sorted, on one line.
json_keys() {
	"$COS_TEST_PYTHON" -c 'import json, sys; print(" ".join(sorted(json.loads(sys.argv[1]))))' "$1"
}

# Prints `cos __options` with fields separated by the unit separator,
# which read splits without merging empty fields as it does tabs.
options_table() {
	"$COS" __options | tr '\t' '\037'
}

CREDENTIAL_NAMES="COS_SECRET_ID COS_SECRET_KEY COS_TOKEN COS_TOKEN_EXPIRATION"

# assert_credentials_work JSON: checks that the four variables in the JSON
# object are a complete set of credentials that STS accepts.
assert_credentials_work() {
	local creds=$1 expiration
	[ "$(json_keys "$creds")" = "$CREDENTIAL_NAMES" ] || {
		echo "expected $CREDENTIAL_NAMES, got: $(json_keys "$creds")" >&2
		return 1
	}
	expiration=$(json_get "$creds" COS_TOKEN_EXPIRATION)
	[[ $expiration =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] || {
		echo "COS_TOKEN_EXPIRATION is '$expiration'" >&2
		return 1
	}
	run env COS_SECRET_ID="$(json_get "$creds" COS_SECRET_ID)" \
		COS_SECRET_KEY="$(json_get "$creds" COS_SECRET_KEY)" \
		COS_TOKEN="$(json_get "$creds" COS_TOKEN)" \
		COS_TOKEN_EXPIRATION="$expiration" "$COS" whoami
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"Source       environment token"* ]]
}

# The text of the man page, rendered, without the backspace overstrikes
# that mark bold and underlined text.
man_text() {
	mandoc -T utf8 "$COS_SRC/docs/$1" 2>/dev/null | sed 's/.\x08//g'
}

# assert_mentions WHAT FILE WORD...: fails naming each WORD not in FILE.
assert_mentions() {
	local what=$1 file=$2 word missing=()
	shift 2
	for word in "$@"; do
		grep -qF -e "$word" "$file" || missing+=("$word")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "$what lacks: ${missing[*]}" >&2
		return 1
	fi
}

# ------------------------------------------------------------------
# The example runner

# Writes each `sh` block of Markdown file $1 to $2/N.sh and the line
# number of its first line to $2/N.line.
extract_sh_blocks() {
	awk -v out="$2" '
	/^[ \t]*```/ {
		if (fence) {
			fence = 0
			if (sh) close(file)
			sh = 0
			next
		}
		fence = 1
		info = $0
		sub(/^[ \t]*```[ \t]*/, "", info)
		sub(/[ \t].*$/, "", info)
		if (info == "sh") {
			sh = 1
			n++
			file = out "/" n ".sh"
			printf "" > file
			print NR + 1 > (out "/" n ".line")
			close(out "/" n ".line")
		}
		next
	}
	sh { print > file }
	' "$1"
}

# run_examples FILE: runs the `sh` blocks of FILE (relative to the source
# tree) and prints FILE:LINE, the line and its output for a failure.
run_examples() {
	local doc=$1 dir="$BATS_TEST_TMPDIR/examples" work="$BATS_TEST_TMPDIR/work"
	local n start script report line rc text failed=0

	rm -rf "$dir" "$COS_CONFIG_DIR"
	mkdir -p "$dir" "$work"
	mkdir -p -m 0700 "$COS_CONFIG_DIR"
	extract_sh_blocks "$COS_SRC/$doc" "$dir"
	write_plain_profile || return 1
	"$COS" configure seal 2>/dev/null || return 1
	for ((n = 1; ; n++)); do
		[ -f "$dir/$n.sh" ] || break
		start=$(<"$dir/$n.line")
		script="$dir/$n.run"
		# Line 1 is the trap, so line L of the script is line L - 2 of
		# the block.
		{
			echo "trap 'echo \"docs-example-failed \$LINENO \$?\" >&2; exit 1' ERR"
			cat "$dir/$n.sh"
		} >"$script"
		rc=0
		(cd "$work" && env -i PATH="$COS_BUILD:$PATH" HOME="$HOME" \
			COS_CONFIG_DIR="$COS_CONFIG_DIR" LANG=C.UTF-8 \
			COS_STS_ENDPOINT="$COS_STS_ENDPOINT" \
			COS_CA_BUNDLE="$COS_CA_BUNDLE" NO_PROXY=127.0.0.1,localhost \
			timeout 120 bash --noprofile --norc -o pipefail -o errtrace \
			"$script" </dev/null >"$dir/$n.out" 2>"$dir/$n.err") || rc=$?
		[ "$rc" -eq 0 ] && continue
		failed=1
		report=$(sed -n 's/^docs-example-failed \([0-9]*\) \([0-9]*\)$/\1 \2/p' \
			"$dir/$n.err" | tail -n 1)
		if [ -n "$report" ]; then
			read -r line rc <<<"$report"
			line=$((start + line - 2))
			text=$(sed -n "${line}p" "$COS_SRC/$doc")
			echo "$doc:$line: example failed with status $rc: $text" >&2
		else
			echo "$doc:$start: example block failed with status $rc" >&2
		fi
		sed 's/^/    /' "$dir/$n.out" "$dir/$n.err" >&2
	done
	echo "# $doc: $((n - 1)) sh blocks" >&3
	return "$failed"
}

@test "example runner names the failing line" {
	local doc="$BATS_TEST_TMPDIR/src/docs/broken.md"
	mkdir -p "${doc%/*}"
	printf '%s\n' '# Broken' '' '```sh' 'cos --version' '' \
		'cos token --duration 10' 'echo never' '```' '' '```console' 'false' \
		'```' >"$doc"
	COS_SRC="$BATS_TEST_TMPDIR/src" run --separate-stderr run_examples docs/broken.md
	echo "$stderr"
	[ "$status" -eq 1 ]
	[[ $stderr == *"docs/broken.md:6: example failed with status 2: cos token --duration 10"* ]]
	[[ $stderr != *never* ]]
}

@test "examples in README.md run" {
	run_examples README.md
}

@test "examples in docs/token-guide.md run" {
	run_examples docs/token-guide.md
}

@test "examples in docs/shell-integration.md run" {
	run_examples docs/shell-integration.md
}

@test "examples in docs/ci-recipes.md and security.md run" {
	run_examples docs/ci-recipes.md
	run_examples docs/security.md
}

@test "examples in the other docs run" {
	local doc failed=0
	for doc in "$COS_SRC"/docs/*.md; do
		case ${doc##*/} in
		token-guide.md | shell-integration.md | ci-recipes.md | security.md)
			continue ;;
		esac
		run_examples "docs/${doc##*/}" || failed=1
	done
	return "$failed"
}

# ------------------------------------------------------------------
# Drift: one set of options everywhere

@test "drift: cos __options are in --help" {
	local command long short arg values value missing=()
	while IFS=$'\037' read -r command long short arg values; do
		help=$("$COS" "$command" --help)
		if [ -n "$short" ]; then
			[[ $help == *"$short, $long${arg:+ $arg}"* ]] ||
				missing+=("$command $short, $long $arg")
		else
			[[ $help == *"    $long${arg:+ $arg}"* ]] ||
				missing+=("$command $long $arg")
		fi
		for value in $values; do
			[[ $help == *" $value"* ]] || missing+=("$command $long value $value")
		done
	done < <(options_table)
	if [ ${#missing[@]} -gt 0 ]; then
		printf 'missing from --help: %s\n' "${missing[@]}" >&2
		return 1
	fi
}

@test "drift: cos __options are in cos(1)" {
	local page="$BATS_TEST_TMPDIR/cos.txt" command long short arg values
	local -a words=()
	man_text cos.1 >"$page"
	while IFS=$'\037' read -r command long short arg values; do
		words+=("$long" $short $values)
	done < <(options_table)
	words+=(-v --verbose --debug -h --help --version)
	words+=($("$COS" __options | cut -f1 | sort -u))
	assert_mentions "cos(1)" "$page" "${words[@]}"
}

@test "drift: configure subcommands and keys are everywhere" {
	local page="$BATS_TEST_TMPDIR/cos.txt" file
	local -a subcommands keys
	man_text cos.1 >"$page"
	subcommands=($("$COS" configure --help |
		sed -n 's/^\(Usage:\)\{0,1\} *cos configure \([a-z][a-z-]*\).*/\2/p'))
	keys=($("$COS" configure --help | sed -n 's/^Keys: //p'))
	[ ${#subcommands[@]} -ge 9 ]
	[ ${#keys[@]} -ge 8 ]
	assert_mentions "cos(1)" "$page" "${subcommands[@]}" "${keys[@]}"
	for file in cos.bash _cos cos.fish; do
		assert_mentions "completions/$file" "$COS_SRC/completions/$file" \
			"${subcommands[@]}" "${keys[@]}" token_expiration change remove
	done
}

@test "drift: cos __options are in each completion file" {
	local command long short arg values value file
	local -a dashed=() fish=()
	while IFS=$'\037' read -r command long short arg values; do
		dashed+=("$long" $short $values)
		fish+=("-l ${long#--}" ${short:+"-s ${short#-}"} $values)
	done < <(options_table)
	dashed+=($("$COS" __options | cut -f1 | sort -u) --verbose --debug --version)
	fish+=($("$COS" __options | cut -f1 | sort -u) "-l verbose" "-l debug" \
		"-l version")
	assert_mentions "completions/cos.bash" "$COS_SRC/completions/cos.bash" \
		"${dashed[@]}"
	assert_mentions "completions/_cos" "$COS_SRC/completions/_cos" \
		"${dashed[@]}"
	assert_mentions "completions/cos.fish" "$COS_SRC/completions/cos.fish" \
		"${fish[@]}"
}

@test "drift: cos_token --help options are everywhere" {
	local help page="$BATS_TEST_TMPDIR/cos_token.txt"
	local -a long short
	help=$(with_builtin_shell bash -c 'enable -f "$1" cos_token && cos_token --help' \
		_ "$COS_BUILD/cos_token.so")
	long=($(grep -oE '^ +(-[a-z], )?--[a-z-]+' <<<"$help" | grep -oE -- '--[a-z-]+'))
	short=($(grep -oE '^ +-[a-z],' <<<"$help" | tr -d ' ,'))
	[ ${#long[@]} -ge 13 ]
	[ ${#short[@]} -ge 7 ]
	man_text cos_token.1 >"$page"
	assert_mentions "cos_token(1)" "$page" "${long[@]}" "${short[@]}"
	assert_mentions "completions/cos.bash" "$COS_SRC/completions/cos.bash" \
		"${long[@]}" "${short[@]}"
	assert_mentions "completions/_cos" "$COS_SRC/completions/_cos" \
		"${long[@]}" "${short[@]}"
	# fish: a `complete -c cos_token` line for each option.
	local option missing=()
	for option in "${long[@]}"; do
		grep -qE -- "^complete -c cos_token .*-l ${option#--}( |$)" \
			"$COS_SRC/completions/cos.fish" || missing+=("$option")
	done
	for option in "${short[@]}"; do
		grep -qE -- "^complete -c cos_token .*-s ${option#-}( |$)" \
			"$COS_SRC/completions/cos.fish" || missing+=("$option")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "completions/cos.fish lacks cos_token ${missing[*]}" >&2
		return 1
	fi
}

@test "drift: environment variables are in cos(1)" {
	local page="$BATS_TEST_TMPDIR/cos.txt"
	local -a names
	man_text cos.1 >"$page"
	# Every COS_ variable that the code reads, except the test hooks.
	names=($(grep -rhoE '"COS_[A-Z_]+"' "$COS_SRC"/core/*.c "$COS_SRC"/cli/*.c \
		"$COS_SRC"/bash-builtin/*.c "$COS_SRC"/zsh-module/*.c |
		tr -d '"' | grep -v '^COS_TEST_' | sort -u))
	[ ${#names[@]} -ge 17 ]
	assert_mentions "cos(1) ENVIRONMENT" "$page" "${names[@]}"
}

@test "drift: exit statuses are in cos(1) and cos_token(1)" {
	local page="$BATS_TEST_TMPDIR/cos.txt" builtin="$BATS_TEST_TMPDIR/cos_token.txt"
	local -a statuses
	statuses=($(sed -n 's/^\tCOS_[A-Z_]* = \([0-9]*\).*/\1/p' "$COS_SRC/core/cos.h"))
	[ ${#statuses[@]} -ge 7 ]
	man_text cos.1 | sed -n '/^EXIT STATUS/,/^[A-Z]/p' >"$page"
	man_text cos_token.1 | sed -n '/^EXIT STATUS/,/^[A-Z]/p' >"$builtin"
	assert_mentions "cos(1) EXIT STATUS" "$page" "${statuses[@]/#/     }" \
		"     126" "     127"
	assert_mentions "cos_token(1) EXIT STATUS" "$builtin" "${statuses[@]/#/     }"
}

@test "drift: every error message is in the troubleshooting guide" {
	run "$COS_TEST_PYTHON" - "$COS_SRC" <<'EOF'
# Finds each error message format in the C sources (the format argument
# of cos_error_set, cli_fail, cli_usage_error, usage_error and line_error)
# and checks that its longest fixed part, between two conversions such as
# %s, appears in docs/token-guide.md.
import glob
import os
import re
import sys

root = sys.argv[1]
with open(os.path.join(root, "docs/token-guide.md"), encoding="utf-8") as f:
    guide = re.sub(r"\s+", " ", f.read())
call = re.compile(r"\b(cos_error_set|cli_fail|cli_usage_error|usage_error|"
                  r"line_error)\s*\(")
literal = re.compile(r'"((?:[^"\\]|\\.)*)"')
literal_run = re.compile(r'(?:\s*"(?:[^"\\]|\\.)*")+')
conversion = re.compile(r"%[-0-9.*]*(?:zu|lld|ld|lu|d|s|c|o|x|%)")
missing = checked = 0
for directory in ("core", "cli", "bash-builtin", "zsh-module"):
    for path in sorted(glob.glob(os.path.join(root, directory, "*.c"))):
        with open(path, encoding="utf-8") as f:
            src = f.read()
        for m in call.finditer(src):
            i, depth = m.end(), 1
            while depth:
                c = src[i]
                if c == '"':
                    i += 1
                    while src[i] != '"':
                        i += 2 if src[i] == "\\" else 1
                elif c in "()":
                    depth += 1 if c == "(" else -1
                i += 1
            args = src[m.end():i - 1]
            first = literal.search(args)
            if first is None:
                continue
            # cli_usage_error's first literal is the command name.
            if m.group(1) == "cli_usage_error" and first.start() < args.find(","):
                first = literal.search(args, first.end())
            run = literal_run.match(args, first.start())
            fmt = "".join(literal.findall(run.group(0)))
            fixed = max(conversion.split(fmt), key=len)
            fixed = fixed.replace('\\"', '"').strip()
            if len(fixed) < 8:
                continue
            checked += 1
            if fixed not in guide:
                missing += 1
                line = src.count("\n", 0, m.start()) + 1
                print("%s:%d: %r is not in docs/token-guide.md"
                      % (os.path.relpath(path, root), line, fmt))
print("checked %d messages, %d missing" % (checked, missing))
sys.exit(1 if missing or checked < 150 else 0)
EOF
	echo "$output"
	[ "$status" -eq 0 ]
}

# ------------------------------------------------------------------
# Man pages

@test "man pages pass mandoc -T lint" {
	run mandoc -T lint -W warning "$COS_SRC/docs/cos.1" "$COS_SRC/docs/cos_token.1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "man pages render with man -l" {
	local page
	for page in cos.1 cos_token.1; do
		run --separate-stderr env MANWIDTH=80 man -l "$COS_SRC/docs/$page"
		[ "$status" -eq 0 ]
		[[ $output == *NAME*SYNOPSIS*DESCRIPTION*EXIT\ STATUS*SEE\ ALSO* ]]
	done
}

@test "make install-man installs both pages" {
	local dest="$BATS_TEST_TMPDIR/dest"
	run make -C "$COS_SRC" --no-print-directory BUILD="$COS_BUILD" \
		DESTDIR="$dest" PREFIX=/usr/local install-man
	echo "$output"
	[ "$status" -eq 0 ]
	run env MANPATH="$dest/usr/local/share/man" man -w cos_token
	[ "$output" = "$dest/usr/local/share/man/man1/cos_token.1" ]
	cmp "$dest/usr/local/share/man/man1/cos.1" "$COS_SRC/docs/cos.1"
}

# ------------------------------------------------------------------
# CI recipes

@test "recipe parsers follow the documented rules" {
	local file="$BATS_TEST_TMPDIR/env"
	printf 'A=1=2\nB<<EOF\nline one\nline two\nEOF\n\nC<<X\nX\n' >"$file"
	[ "$(parse github-env "$file")" = '{"A": "1=2", "B": "line one\nline two", "C": ""}' ]
	printf 'A<<EOF\nno end\n' >"$file"
	run parse github-env "$file"
	[ "$status" -ne 0 ]

	printf '  A= x \n# c\nB="q"\nC\nD=\x27a\x27b\n' >"$file"
	[ "$(parse docker-env "$file")" = "{\"A\": \" x \", \"B\": \"q\", \"D\": \"'a'b\"}" ]

	printf 'A=  x  y \t\n# c\n; d\nE\nF=a\\\nb\nG=\x27q \\ z\x27\nH="a\\"b\\nc"\nI=x"y"\n' >"$file"
	[ "$(parse systemd-env "$file")" = '{"A": "x  y", "F": "ab", "G": "q \\ z", "H": "a\"b\\nc", "I": "x\"y\""}' ]
}

@test "recipe: GitHub Actions step writes \$GITHUB_ENV" {
	local doc="$COS_SRC/docs/ci-recipes.md" step script env_file
	step=$(parse github-step "$doc" "Get temporary COS credentials")
	script="$BATS_TEST_TMPDIR/step.sh"
	env_file="$BATS_TEST_TMPDIR/github_env"
	: >"$env_file"
	json_get "$step" run >"$script"
	[ -s "$script" ]

	# The step's env: with the repository secrets filled in.
	local -a step_env=()
	local name value
	while IFS=$'\t' read -r name value; do
		value=${value//'${{ secrets.COS_SECRET_ID }}'/$EMULATOR_SECRET_ID}
		value=${value//'${{ secrets.COS_SECRET_KEY }}'/$EMULATOR_SECRET_KEY}
		step_env+=("$name=$value")
	done < <("$COS_TEST_PYTHON" -c 'import json, sys
for k, v in json.loads(sys.argv[1])["env"].items(): print(k + "\t" + v)' "$step")
	[ ${#step_env[@]} -eq 4 ]

	# GitHub runs `shell: bash` as bash --noprofile --norc -eo pipefail.
	run --separate-stderr env -i PATH="$COS_BUILD:$PATH" HOME="$HOME" \
		COS_CONFIG_DIR="$COS_CONFIG_DIR" GITHUB_ENV="$env_file" \
		COS_STS_ENDPOINT="$COS_STS_ENDPOINT" COS_CA_BUNDLE="$COS_CA_BUNDLE" \
		NO_PROXY=127.0.0.1 "${step_env[@]}" \
		bash --noprofile --norc -eo pipefail "$script"
	echo "stdout: $output"
	echo "stderr: $stderr"
	[ "$status" -eq 0 ]

	local step_output=$output creds expected
	creds=$(parse github-env "$env_file")

	# Every secret is masked before it is written, and nothing else is
	# printed.
	expected=$(printf '::add-mask::%s\n' "$(json_get "$creds" COS_SECRET_ID)" \
		"$(json_get "$creds" COS_SECRET_KEY)" "$(json_get "$creds" COS_TOKEN)")
	[ "$step_output" = "$expected" ]
	# Each value is written with a random heredoc delimiter.
	[ "$(grep -c '^COS_[A-Z_]*<<EOF_[0-9a-f]\{32\}$' "$env_file")" -eq 4 ]

	assert_credentials_work "$creds"
	[[ $output == *"assumed-role/$CI_ROLE_ID/"* ]]
}

@test "recipe: GitHub Actions step fails without writing" {
	local doc="$COS_SRC/docs/ci-recipes.md" step script env_file
	step=$(parse github-step "$doc" "Get temporary COS credentials")
	script="$BATS_TEST_TMPDIR/step.sh"
	env_file="$BATS_TEST_TMPDIR/github_env"
	: >"$env_file"
	json_get "$step" run >"$script"
	emulator_fault http500 10
	run env -i PATH="$COS_BUILD:$PATH" HOME="$HOME" GITHUB_ENV="$env_file" \
		COS_STS_ENDPOINT="$COS_STS_ENDPOINT" COS_CA_BUNDLE="$COS_CA_BUNDLE" \
		COS_TIMEOUT=5 COS_SECRET_ID="$EMULATOR_SECRET_ID" \
		COS_SECRET_KEY="$EMULATOR_SECRET_KEY" \
		COS_ASSUME_ROLE="qcs::cam::uin/100000000001:roleName/ci-upload" \
		bash --noprofile --norc -eo pipefail "$script"
	echo "$output"
	[ "$status" -ne 0 ]
	[ ! -s "$env_file" ]
	[[ $output != *add-mask* ]]
}

@test "recipe: docker --env-file reads -o dotenv" {
	local doc="$COS_SRC/docs/ci-recipes.md" command file creds systemd
	write_plain_profile
	# The command inside <(...) of the docker line.
	command=$(sed -n 's/^docker run .*--env-file <(\(cos [^)]*\)).*/\1/p' "$doc")
	[[ $command == "cos token "*"-o dotenv" ]]
	file="$BATS_TEST_TMPDIR/env-file"
	(PATH="$COS_BUILD:$PATH" && eval "$command") >"$file"
	creds=$(parse docker-env "$file")
	assert_credentials_work "$creds"
	# systemd reads the same file the same way.
	systemd=$(parse systemd-env "$file")
	[ "$creds" = "$systemd" ]
}

@test "recipe: systemd unit fetches into its EnvironmentFile" {
	local doc="$COS_SRC/docs/ci-recipes.md" unit="$BATS_TEST_TMPDIR/cos-backup.service"
	local pre runtime="$BATS_TEST_TMPDIR/run/cos-backup" creds config_dir
	awk '/^```ini/ { p = 1; next } /^```/ { p = 0 } p' "$doc" |
		sed -e "s|/usr/local/bin/cos |$COS_BUILD/cos |g" \
			-e "s|/usr/local/bin/upload-backup|/bin/true|" >"$unit"
	grep -q '^EnvironmentFile=%t/cos-backup/cos.env$' "$unit"
	grep -q '^RuntimeDirectory=cos-backup$' "$unit"
	if command -v systemd-analyze >/dev/null; then
		run systemd-analyze verify --man=no "$unit"
		echo "$output"
		[ "$status" -eq 0 ]
	fi

	# Run ExecStartPre= as systemd would: Environment= set, $RUNTIME_DIRECTORY
	# the new 0700 directory that %t/cos-backup names.
	config_dir=$(sed -n 's/^Environment=COS_CONFIG_DIR=//p' "$unit")
	[ "$config_dir" = /var/lib/cos-backup/.cos ]
	write_plain_profile backup
	pre=$(sed -n 's/^ExecStartPre=//p' "$unit")
	[[ $pre == "/bin/sh -c '"*"'" ]]
	pre=${pre#/bin/sh -c \'}
	pre=${pre%\'}
	mkdir -p -m 0700 "$runtime"
	run env -i PATH=/usr/bin:/bin RUNTIME_DIRECTORY="$runtime" \
		COS_CONFIG_DIR="$COS_CONFIG_DIR" COS_STS_ENDPOINT="$COS_STS_ENDPOINT" \
		COS_CA_BUNDLE="$COS_CA_BUNDLE" NO_PROXY=127.0.0.1 /bin/sh -c "$pre"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$runtime/cos.env")" = 600 ]
	creds=$(parse systemd-env "$runtime/cos.env")
	assert_credentials_work "$creds"
}

# ------------------------------------------------------------------
# Shell integration snippets, with the build's paths

@test "shell integration: the bash snippet refreshes" {
	local doc="$COS_SRC/docs/shell-integration.md" snippet
	write_plain_profile
	snippet=$(awk '/^```bash/ { p = 1; next } /^```/ { if (p) exit } p' "$doc")
	[[ $snippet == *"enable -f /usr/local/lib/bash/cos_token.so cos_token"* ]]
	snippet=${snippet//\/usr\/local\/lib\/bash\/cos_token.so/$COS_BUILD/cos_token.so}
	run with_builtin_shell bash -c "$snippet"'
		run_prompt_command() { local c; for c in "${PROMPT_COMMAND[@]}"; do eval "$c"; done; }
		run_prompt_command || exit 1
		first=$COS_TOKEN
		run_prompt_command || exit 1
		[ "$COS_TOKEN" = "$first" ] && [ -n "$first" ] && echo refreshed-once'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *refreshed-once* ]]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}

@test "shell integration: the zsh snippet refreshes" {
	local doc="$COS_SRC/docs/shell-integration.md" snippet
	write_plain_profile
	snippet=$(awk '/^```zsh/ { p = 1; next } /^```/ { if (p) exit } p' "$doc")
	[[ $snippet == *'module_path+=(/usr/local/lib/zsh/$ZSH_VERSION)'* ]]
	snippet=${snippet//'/usr/local/lib/zsh/$ZSH_VERSION'/$COS_BUILD/zsh}
	run with_builtin_shell zsh -c "$snippet"'
		for hook in $precmd_functions; do $hook || exit 1; done
		first=$COS_TOKEN
		for hook in $precmd_functions; do $hook || exit 1; done
		[[ $COS_TOKEN == $first && -n $first ]] && print refreshed-once'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *refreshed-once* ]]
	[ "$(emulator_count AssumeRole)" -eq 1 ]
}
