#!/usr/bin/env bats
# Tab completion of cos and cos_token in real bash, zsh and fish.
#
# bash: the completion function runs with COMP_WORDS and COMP_CWORD as
# bash sets them, with and without the bash-completion package, and once
# through a real Tab in tmux.  zsh: an interactive `zsh -f` on a
# pseudo-terminal (zsh/zpty) gets the line and a Tab, and a wrapper
# around compadd records the candidates.  fish: `complete -C LINE`.
#
# The expected options and values come from `cos __options`,
# `cos configure --help` and `cos_token --help`, never from a copy here.
# No test needs the STS emulator: completion must work without a network.

load lib/common

bats_require_minimum_version 1.5.0

BASH_COMPLETION_SCRIPT=/usr/share/bash-completion/bash_completion

setup_file() {
	[ -x "$COS_BUILD/cos" ] || {
		echo "no $COS_BUILD/cos; run make first" >&2
		return 1
	}
	write_bash_helper "$BATS_FILE_TMPDIR/bash-complete.sh"
	write_zsh_helper "$BATS_FILE_TMPDIR/zsh-complete.zsh"
}

setup() {
	COS="$COS_BUILD/cos"
	export HOME="$BATS_TEST_TMPDIR/home"
	export COS_CONFIG_DIR="$HOME/.cos"
	export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share"
	unset COS_PROFILE COS_SECRET_ID COS_SECRET_KEY COS_TOKEN XDG_DATA_DIRS
	# Completion must never reach a server; make any attempt fail fast.
	export COS_STS_ENDPOINT=https://127.0.0.1:9
	mkdir -p -m 0700 "$HOME" "$COS_CONFIG_DIR"
	write_profiles
}

# A store with profiles default, dev, prod.eu and credonly (in the
# credentials file only), sections that are not profiles, secrets sealed
# by the real cos, and one plaintext secret in the Python CLI layout.
write_profiles() {
	(
		umask 077
		cat >"$COS_CONFIG_DIR/config" <<-'EOF'
		[default]
		region = ap-guangzhou

		[profile dev]
		region = ap-beijing

		  [profile prod.eu]  
		output = json

		[DEFAULT]
		region = ap-tokyo

		[profile not valid]
		region = ap-tokyo
		EOF
		cat >"$COS_CONFIG_DIR/credentials" <<-'EOF'
		[profile credonly]
		secret_id = AKIDplaintextCompletionTest0000000000
		secret_key = plaintextCompletionSecretKey000000
		EOF
	)
	printf '%s\n' AKIDsealedCompletionTest1111111111111 |
		"$COS" configure set secret_id - --profile dev
	printf '%s\n' sealedCompletionSecretKey1111111111 |
		"$COS" configure set secret_key - --profile dev
	printf '%s\n' sealedDefaultSecretKey22222222222222 |
		"$COS" configure set secret_key - --profile default
	grep -q 'cos:v1:' "$COS_CONFIG_DIR/credentials"
}

PROFILES='credonly default dev prod.eu'
SECRETS='AKIDplaintextCompletionTest plaintextCompletionSecretKey
AKIDsealedCompletionTest sealedCompletionSecretKey sealedDefaultSecretKey
cos:v1:'

# ------------------------------------------------------------------
# Helpers

# The bash helper: `bash bash-complete.sh MODE WORD...` completes the last
# WORD as bash would after the other words, and prints COMPREPLY.  MODE
# "bc" loads the bash-completion package first, "plain" does not.
write_bash_helper() {
	cat >"$1" <<'EOF'
mode=$1
shift
if [[ $mode == bc ]]; then
	source "$BASH_COMPLETION_SCRIPT" || exit 1
fi
source "$COS_SRC/completions/cos.bash" || exit 1
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
spec=$(complete -p "$1") || exit 1
function=${spec#*-F }
function=${function%% *}
"$function" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
EOF
}

# The zsh helper: `zsh -f zsh-complete.zsh OUTDIR LINE...` types each
# LINE and a Tab into one interactive zsh and writes the candidates that
# completion offered for line N to OUTDIR/N.
write_zsh_helper() {
	cat >"$1" <<'EOF'
zmodload zsh/zpty zsh/zselect zsh/datetime || exit 1
outdir=$1
shift

# Reads the terminal until $1 appears, for at most 20 seconds.
wait_for() {
	local buf all= deadline=$(( EPOCHREALTIME + 20 ))
	while (( EPOCHREALTIME < deadline )); do
		if zpty -r -t z buf; then
			all+=$buf
			[[ $all == *$1* ]] && return 0
		else
			zselect -t 1
		fi
	done
	print -u2 "zsh-complete: timed out waiting for '$1' after: $all"
	return 1
}

zpty z zsh -f -i
zpty -w z "PS1='<''ready>'; fpath=(${(q)COS_SRC}/completions \$fpath); autoload -Uz compinit; compinit -u -D"
wait_for '<ready>' || exit 1
# compadd records what each call adds that matches; a hook after the
# completion marks its end on the terminal.
zpty -w z "compadd() { if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then builtin compadd \"\$@\"; return; fi; local -a hits; builtin compadd -O hits \"\$@\"; (( \$#hits )) && print -rl -- \$hits >> \$zcap_out; builtin compadd \"\$@\"; }; _zcap_done() { print -n '<''completed>' > /dev/tty; }"
wait_for '<ready>' || exit 1
integer i=0
for line; do
	(( i++ ))
	: >| $outdir/$i
	zpty -w z "zcap_out=${(q)outdir}/$i comppostfuncs=( _zcap_done )"
	wait_for '<ready>' || exit 1
	zpty -w -n z "$line"$'\t'
	wait_for '<completed>' || exit 1
	zpty -w -n z $'\C-u'
done
zpty -d z
EOF
}

# Prints the bash completions of the words (the last one is completed).
bash_complete() {
	BASH_COMPLETION_SCRIPT=$BASH_COMPLETION_SCRIPT \
		bash --norc --noprofile "$BATS_FILE_TMPDIR/bash-complete.sh" \
		"${BASH_MODE:-bc}" "$@" 2>>"$BATS_TEST_TMPDIR/bash.stderr"
}

# Completes each LINE in one zsh; then $ZSH_OUT/N holds line N's candidates.
zsh_complete() {
	ZSH_OUT="$BATS_TEST_TMPDIR/zsh-out"
	mkdir -p "$ZSH_OUT"
	zsh -f "$BATS_FILE_TMPDIR/zsh-complete.zsh" "$ZSH_OUT" "$@"
}

# Prints the fish completions of LINE, candidates only.
fish_complete() {
	fish --no-config -c "source $COS_SRC/completions/cos.fish
complete -C '$1'" | cut -f1
}

# Prints the words of stdin sorted, one per line, without duplicates.
sorted() {
	tr ' \t' '\n\n' | sed '/^$/d' | LC_ALL=C sort -u
}

# assert_same LABEL EXPECTED ACTUAL: compares two word lists as sets and
# names the missing and the unexpected words.
assert_same() {
	local label=$1 expected actual missing extra
	expected=$(sorted <<<"$2")
	actual=$(sorted <<<"$3")
	[ "$expected" = "$actual" ] && return 0
	missing=$(comm -23 <(echo "$expected") <(echo "$actual") | tr '\n' ' ')
	extra=$(comm -13 <(echo "$expected") <(echo "$actual") | tr '\n' ' ')
	echo "$label: missing [${missing% }], unexpected [${extra% }]" >&2
	return 1
}

# The commands, long options and values that `cos __options` declares.
commands() { "$COS" __options | cut -f1 | LC_ALL=C sort -u; }
long_options() { "$COS" __options | awk -F'\t' -v c="$1" '$1 == c { print $2 }'; }
short_options() { "$COS" __options | awk -F'\t' -v c="$1" '$1 == c && $3 != "" { print $3 }'; }
# Prints "command<TAB>option<TAB>values" for every option with values.
options_with_values() { "$COS" __options | awk -F'\t' '$5 != "" { print $1 "\t" $2 "\t" $5 }'; }
configure_subcommands() {
	"$COS" configure --help |
		sed -n 's/^\(Usage:\)\{0,1\} *cos configure \([a-z][a-z-]*\).*/\2/p'
}
configure_keys() { "$COS" configure --help | sed -n 's/^Keys: //p'; }
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

# Prints `cos_token --help` of the real builtin in bash; fails when the
# builtin does not load.
builtin_help() {
	local help
	help=$(with_builtin_shell bash -c 'enable -f "$1" cos_token && cos_token --help' \
		_ "$COS_BUILD/cos_token.so") || return 1
	[ -n "$help" ] && echo "$help"
}
# The long and the short options in `cos_token --help`.
builtin_long_options() {
	builtin_help | grep -oE '^ +(-[a-z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+'
}
builtin_short_options() {
	builtin_help | grep -oE '^ +-[a-z],' | tr -d ' ,'
}

# Prints "--" for exec, whose command follows a "--" that bash and fish
# offer with the options.
exec_separator() {
	[ "$1" = exec ] && echo --
	return 0
}

# Fails when any secret of the test store appears in $1.
assert_no_secret() {
	local s
	for s in $SECRETS; do
		if [[ $1 == *"$s"* ]]; then
			echo "the secret '$s' appears in the completions: $1" >&2
			return 1
		fi
	done
}

# Runs "$@" under strace and fails when it starts anything but the
# programs named in $ALLOWED_PROGRAMS or opens an internet socket.
assert_only_local_programs() {
	local log="$BATS_TEST_TMPDIR/strace.log" started program
	strace -f -qq -e trace=execve,socket,connect -o "$log" "$@" >/dev/null
	if grep -E 'socket\(AF_INET6?,' "$log" >&2; then
		echo "completion opened an internet socket (above)" >&2
		return 1
	fi
	started=$(grep -E 'execve\(.* = 0$' "$log" |
		sed -E 's/.*execve\("([^"]*)".*/\1/' | xargs -n1 basename | sort -u)
	for program in $started; do
		if [[ " $ALLOWED_PROGRAMS " != *" $program "* ]]; then
			echo "completion started '$program'; allowed: $ALLOWED_PROGRAMS" >&2
			return 1
		fi
	done
}

# ------------------------------------------------------------------
# bash

@test "bash: commands and global options" {
	assert_same "cos ''" "$(commands) help" "$(bash_complete cos '')"
	assert_same "cos -" "-v --verbose --debug -h --help --version" \
		"$(bash_complete cos -)"
	assert_same "cos -v con" configure "$(bash_complete cos -v con)"
	assert_same "cos help ''" "$(commands)" "$(bash_complete cos help '')"
}

@test "bash: options match cos __options" {
	local command
	for command in $(commands); do
		[ "$command" = configure ] && continue
		assert_same "cos $command --" "$(long_options "$command") --help \
			$(exec_separator "$command")" "$(bash_complete cos "$command" --)"
		assert_same "cos $command -" "$(long_options "$command") --help \
			$(short_options "$command") -h $(exec_separator "$command")" \
			"$(bash_complete cos "$command" -)"
	done
	assert_same "cos configure --" "--profile --help" \
		"$(bash_complete cos configure --)"
	assert_same "cos configure set --" "--profile --prompt --help" \
		"$(bash_complete cos configure set --)"
	assert_same "cos configure import-token --" \
		"$(long_options configure | grep -v -- --prompt) --help" \
		"$(bash_complete cos configure import-token --)"
}

@test "bash: option values match cos __options" {
	local command option values
	while IFS=$'\t' read -r command option values; do
		assert_same "cos $command $option ''" "$values" \
			"$(bash_complete cos "$command" "$option" '')"
		assert_same "cos $command $option=" "$values" \
			"$(bash_complete cos "$command" "$option" = '')"
	done < <(options_with_values)
	assert_same "cos token -o j" json "$(bash_complete cos token -o j)"
	assert_same "cos token --duration=36" 3600 \
		"$(bash_complete cos token --duration = 36)"
}

@test "bash: profile names from section headers" {
	local output
	assert_same "cos token --profile ''" "$PROFILES" \
		"$(bash_complete cos token --profile '')"
	assert_same "cos whoami --profile=" "$PROFILES" \
		"$(bash_complete cos whoami --profile = '')"
	assert_same "cos configure list --profile d" "default dev" \
		"$(bash_complete cos configure list --profile d)"
	output=$(bash_complete cos_token --profile '')
	assert_same "cos_token --profile ''" "$PROFILES" "$output"
	assert_no_secret "$output"
}

@test "bash: profile names when the store is missing" {
	rm -rf "$COS_CONFIG_DIR"
	run bash_complete cos token --profile ''
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "bash: configure subcommands, keys and values" {
	assert_same "cos configure ''" "$(configure_subcommands)" \
		"$(bash_complete cos configure '')"
	assert_same "cos configure set ''" "$(configure_keys)" \
		"$(bash_complete cos configure set '')"
	assert_same "cos configure get ''" "$(configure_keys) token token_expiration" \
		"$(bash_complete cos configure --profile dev get '')"
	assert_same "cos configure set region ap-s" "ap-shanghai ap-singapore" \
		"$(bash_complete cos configure set region ap-s)"
	assert_same "cos configure set output ''" \
		"$("$COS" __options | awk -F'\t' '$1 == "token" && $2 == "--output" { print $5 }')" \
		"$(bash_complete cos configure set output '')"
	assert_same "cos configure passphrase ''" "set change remove" \
		"$(bash_complete cos configure passphrase '')"
	assert_same "cos configure passphrase set ''" "" \
		"$(bash_complete cos configure passphrase set '')"
}

@test "bash: exec completes the command after --" {
	local output
	output=$(bash_complete cos exec --profile dev -- printen)
	[[ $'\n'$output$'\n' == *$'\nprintenv\n'* ]] || {
		echo "no printenv in: $output" >&2
		return 1
	}
	assert_same "cos exec -d 3600 -- printenv COS_T" "" \
		"$(BASH_MODE=plain bash_complete cos exec -d 3600 -- printenv COS_T)"
	assert_same "cos exec ''" "$(long_options exec) $(short_options exec) \
		--help -h --" "$(bash_complete cos exec '')"
}

@test "bash: cos_token options match its --help" {
	assert_same "cos_token --" "$(builtin_long_options)" \
		"$(bash_complete cos_token --)"
	assert_same "cos_token -" "$(builtin_long_options) $(builtin_short_options)" \
		"$(bash_complete cos_token -)"
	assert_same "cos_token -d ''" "1800 3600 7200 43200" \
		"$(bash_complete cos_token -d '')"
	assert_same "cos_token --region eu" eu-frankfurt \
		"$(bash_complete cos_token --region eu)"
}

@test "bash: works without bash-completion" {
	export BASH_MODE=plain
	assert_same "cos tok" token "$(bash_complete cos tok)"
	assert_same "cos token --output ''" "table env json fish powershell dotenv" \
		"$(bash_complete cos token --output '')"
	assert_same "cos token --profile ''" "$PROFILES" \
		"$(bash_complete cos token --profile '')"
	local output
	output=$(bash_complete cos exec -- printen)
	[[ $'\n'$output$'\n' == *$'\nprintenv\n'* ]] || {
		echo "no printenv in: $output" >&2
		return 1
	}
}

@test "bash: Tab in a terminal completes" {
	local socket="$BATS_TEST_TMPDIR/tmux.sock" screen i
	tmux -S "$socket" -f /dev/null new-session -d -x 160 -y 20 \
		"env -i HOME='$HOME' PATH='$PATH' TERM=xterm COS_CONFIG_DIR='$COS_CONFIG_DIR' bash --norc --noprofile"
	tmux -S "$socket" send-keys "PS1='\$ '; source '$COS_SRC/completions/cos.bash'" Enter
	tmux -S "$socket" send-keys 'cos configure set reg' Tab 'ap-gu' Tab \
		'--prof' Tab 'de' Tab
	for ((i = 0; i < 50; i++)); do
		screen=$(tmux -S "$socket" capture-pane -p)
		[[ $screen == *'cos configure set region ap-guangzhou --profile de'* ]] &&
			break
		sleep 0.1
	done
	tmux -S "$socket" kill-server
	echo "$screen"
	[[ $screen == *'$ cos configure set region ap-guangzhou --profile de'* ]]
}

@test "bash: completion runs only awk, no network" {
	ALLOWED_PROGRAMS="bash awk"
	BASH_COMPLETION_SCRIPT=/dev/null assert_only_local_programs \
		bash --norc --noprofile "$BATS_FILE_TMPDIR/bash-complete.sh" plain \
		cos token --profile ''
	local output
	output=$(BASH_MODE=plain bash_complete cos token --profile '')
	assert_same "cos token --profile ''" "$PROFILES" "$output"
	assert_no_secret "$output"
}

# ------------------------------------------------------------------
# zsh

@test "zsh: commands and options match cos __options" {
	local -a lines=('cos ' 'cos -' 'cos help ')
	local command n=3
	for command in $(commands); do
		[ "$command" = configure ] && continue
		lines+=("cos $command --")
	done
	zsh_complete "${lines[@]}"
	assert_same "cos " "$(commands) help" "$(cat "$ZSH_OUT/1")"
	assert_same "cos -" "-v --verbose --debug -h --help --version" \
		"$(cat "$ZSH_OUT/2")"
	assert_same "cos help " "$(commands)" "$(cat "$ZSH_OUT/3")"
	for command in $(commands); do
		[ "$command" = configure ] && continue
		n=$((n + 1))
		assert_same "cos $command --" "$(long_options "$command") --help" \
			"$(cat "$ZSH_OUT/$n")"
	done
}

@test "zsh: option values and profile names" {
	local -a lines=() expected=()
	local command option values n=0
	while IFS=$'\t' read -r command option values; do
		lines+=("cos $command $option ")
		expected+=("$values")
	done < <(options_with_values)
	lines+=('cos token --profile=' 'cos exec --profile ' 'cos_token --profile '
		'cos token -o j' 'cos configure --profile d')
	expected+=("$PROFILES" "$PROFILES" "$PROFILES" json 'default dev')
	zsh_complete "${lines[@]}"
	for ((n = 0; n < ${#lines[@]}; n++)); do
		assert_same "${lines[n]}" "${expected[n]}" "$(cat "$ZSH_OUT/$((n + 1))")"
	done
	assert_no_secret "$(cat "$ZSH_OUT"/*)"
}

@test "zsh: configure subcommands, keys and options" {
	zsh_complete 'cos configure ' 'cos configure set ' \
		'cos configure --profile dev get ' 'cos configure set region ap-s' \
		'cos configure passphrase ' 'cos configure import-token --' \
		'cos configure set --' 'cos configure seal --'
	assert_same "cos configure " "$(configure_subcommands)" "$(cat "$ZSH_OUT/1")"
	assert_same "cos configure set " "$(configure_keys)" "$(cat "$ZSH_OUT/2")"
	assert_same "cos configure get " "$(configure_keys) token token_expiration" \
		"$(cat "$ZSH_OUT/3")"
	assert_same "cos configure set region ap-s" "ap-shanghai ap-singapore" \
		"$(cat "$ZSH_OUT/4")"
	assert_same "cos configure passphrase " "set change remove" \
		"$(cat "$ZSH_OUT/5")"
	assert_same "cos configure import-token --" \
		"$(long_options configure | grep -v -- --prompt) --help" \
		"$(cat "$ZSH_OUT/6")"
	assert_same "cos configure set --" "--profile --prompt --help" \
		"$(cat "$ZSH_OUT/7")"
	assert_same "cos configure seal --" "--help" "$(cat "$ZSH_OUT/8")"
}

@test "zsh: exec completes the command after --" {
	zsh_complete 'cos exec -- printen' 'cos exec --profile dev -- printen' \
		"cos exec -- ls $COS_SRC/completions/_c"
	grep -qx printenv "$ZSH_OUT/1"
	grep -qx printenv "$ZSH_OUT/2"
	grep -qx _cos "$ZSH_OUT/3"
}

@test "zsh: cos_token options match its --help" {
	zsh_complete 'cos_token --' 'cos_token -d ' 'cos_token -s -'
	assert_same "cos_token --" "$(builtin_long_options)" "$(cat "$ZSH_OUT/1")"
	assert_same "cos_token -d " "1800 3600 7200 43200" "$(cat "$ZSH_OUT/2")"
	# --status excludes every option but --help.
	assert_same "cos_token -s -" "-h --help" "$(cat "$ZSH_OUT/3")"
}

@test "zsh: completion runs only awk, no network" {
	ALLOWED_PROGRAMS="zsh awk"
	mkdir -p "$BATS_TEST_TMPDIR/zsh-out"
	assert_only_local_programs zsh -f "$BATS_FILE_TMPDIR/zsh-complete.zsh" \
		"$BATS_TEST_TMPDIR/zsh-out" 'cos token --profile '
	assert_same "cos token --profile " "$PROFILES" \
		"$(cat "$BATS_TEST_TMPDIR/zsh-out/1")"
}

# ------------------------------------------------------------------
# fish

@test "fish: commands and options match cos __options" {
	local command
	assert_same "cos " "$(commands) help" "$(fish_complete 'cos ')"
	assert_same "cos tok" token "$(fish_complete 'cos tok')"
	assert_same "cos -" "-v --verbose --debug -h --help --version" \
		"$(fish_complete 'cos -')"
	for command in $(commands); do
		[ "$command" = configure ] && continue
		assert_same "cos $command --" "$(long_options "$command") --help \
			$(exec_separator "$command")" "$(fish_complete "cos $command --")"
	done
}

@test "fish: option values and profile names" {
	local command option values output
	while IFS=$'\t' read -r command option values; do
		assert_same "cos $command $option " "$values" \
			"$(fish_complete "cos $command $option ")"
	done < <(options_with_values)
	output=$(fish_complete 'cos token --profile ')
	assert_same "cos token --profile " "$PROFILES" "$output"
	assert_no_secret "$output"
	assert_same "cos_token --profile " "$PROFILES" \
		"$(fish_complete 'cos_token --profile ')"
	assert_same "cos configure list --profile " "$PROFILES" \
		"$(fish_complete 'cos configure list --profile ')"
}

@test "fish: configure subcommands, keys and options" {
	assert_same "cos configure " "$(configure_subcommands)" \
		"$(fish_complete 'cos configure ')"
	assert_same "cos configure set " "$(configure_keys)" \
		"$(fish_complete 'cos configure set ')"
	assert_same "cos configure get " "$(configure_keys) token token_expiration" \
		"$(fish_complete 'cos configure --profile dev get ')"
	assert_same "cos configure set region ap-s" "ap-shanghai ap-singapore" \
		"$(fish_complete 'cos configure set region ap-s')"
	assert_same "cos configure passphrase " "set change remove" \
		"$(fish_complete 'cos configure passphrase ')"
	assert_same "cos configure passphrase set " "" \
		"$(fish_complete 'cos configure passphrase set ')"
	assert_same "cos configure import-token --" \
		"$(long_options configure | grep -v -- --prompt) --help" \
		"$(fish_complete 'cos configure import-token --')"
	assert_same "cos configure set --" "--profile --prompt --help" \
		"$(fish_complete 'cos configure set --')"
}

@test "fish: exec completes the command after --" {
	fish_complete 'cos exec -- printen' | grep -qx printenv
	fish_complete 'cos exec --profile dev -- printen' | grep -qx printenv
	fish_complete "cos exec -- ls $COS_SRC/completions/_c" |
		grep -qx "$COS_SRC/completions/_cos"
}

@test "fish: cos_token options match its --help" {
	assert_same "cos_token --" "$(builtin_long_options)" \
		"$(fish_complete 'cos_token --')"
	assert_same "cos_token -r eu" eu-frankfurt "$(fish_complete 'cos_token -r eu')"
}

@test "fish: completion runs only awk, no network" {
	ALLOWED_PROGRAMS="fish awk"
	assert_only_local_programs fish --no-config -c \
		"source $COS_SRC/completions/cos.fish; complete -C 'cos token --profile '"
}

# ------------------------------------------------------------------
# Installation

@test "make install-completions: each shell finds them" {
	local dest="$BATS_TEST_TMPDIR/dest"
	run make -C "$COS_SRC" --no-print-directory BUILD="$COS_BUILD" \
		DESTDIR="$dest" PREFIX=/usr install-completions
	echo "$output"
	[ "$status" -eq 0 ]
	[ -f "$dest/usr/share/bash-completion/completions/cos" ]
	[ "$(readlink "$dest/usr/share/bash-completion/completions/cos_token")" = cos ]
	[ -f "$dest/usr/share/zsh/site-functions/_cos" ]
	[ -f "$dest/usr/share/fish/vendor_completions.d/cos.fish" ]
	[ "$(readlink "$dest/usr/share/fish/vendor_completions.d/cos_token.fish")" = cos.fish ]

	# bash-completion loads a completion on first use from XDG_DATA_DIRS.
	run env XDG_DATA_DIRS="$dest/usr/share" bash --norc --noprofile -c '
		source "$1" && __load_completion cos_token && complete -p cos_token' \
		_ "$BASH_COMPLETION_SCRIPT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == "complete -F _cos_token cos_token" ]]

	# fish autoloads cos.fish, and cos_token.fish, from vendor_completions.d
	# for a command that exists.  Its own config.fish adds XDG_DATA_DIRS
	# to the search path, so no --no-config here (HOME is the test's).
	run env XDG_DATA_DIRS="$dest/usr/share" PATH="$COS_BUILD:$PATH" fish -c \
		"complete -C 'cos tok'"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == token* ]]
	run env XDG_DATA_DIRS="$dest/usr/share" fish -c \
		"function cos_token; end; complete -C 'cos_token --unse'"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == --unset* ]]

	# zsh's compinit finds _cos in site-functions.
	zsh -f -c '
		fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -D
		[[ $_comps[cos] == _cos && $_comps[cos_token] == _cos ]]' \
		_ "$dest/usr/share/zsh/site-functions"
}
