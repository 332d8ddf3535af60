# bash completion for cos(1) and the cos_token builtin     -*- shell-script -*-
#
# Install it as bash-completion's completions/cos and completions/cos_token
# (make install does both), or source it from ~/.bashrc.  It works with
# and without the bash-completion package; with it, `cos exec -- CMD`
# completes CMD's own arguments too.
#
# Profile names come from the section headers of $COS_CONFIG_DIR/config
# and credentials (default ~/.cos), read by awk so that no line of those
# files enters the shell.  Completion never runs cos, never opens a
# sealed value and never makes a network request.
#
# The option lists mirror the option tables in cli/*.c and core/builtin.c.
# tests/docs.bats compares them with `cos __options` and `cos_token --help`.

_cos_regions='ap-beijing ap-chengdu ap-chongqing ap-guangzhou ap-hongkong
ap-nanjing ap-shanghai ap-singapore ap-tokyo eu-frankfurt na-ashburn
na-siliconvalley'

# Prints the profile names, one per line: [default] is "default" and
# [profile NAME] is NAME.  Other sections are not profiles.
_cos_profiles()
{
	local dir=${COS_CONFIG_DIR:-$HOME/.cos} file files=()

	for file in "$dir/config" "$dir/credentials"; do
		[[ -f $file && -r $file ]] && files+=("$file")
	done
	((${#files[@]})) || return 0
	awk '/^[ \t]*\[/ {
		s = $0
		sub(/^[ \t]*\[/, "", s)
		sub(/\][ \t\r]*$/, "", s)
		if (s ~ /^profile [A-Za-z0-9._-]+$/)
			s = substr(s, 9)
		else if (s != "default")
			next
		if (!seen[s]++)
			print s
	}' "${files[@]}" 2>/dev/null
}

# Prints the options of command $1 ("token", "configure", ...; "cos" for
# the global ones, "cos_token" for the builtin).
_cos_options()
{
	case $1 in
	cos) echo '-v --verbose --debug -h --help --version' ;;
	token) echo '-d --duration --profile -o --output -r --region
		--session-name -b --bucket -p --prefix --read-only --action
		--appid --cached -h --help' ;;
	whoami) echo '--profile -o --output -r --region -h --help' ;;
	exec) echo '-d --duration --profile -r --region --session-name
		-b --bucket -p --prefix --read-only --action --appid -h --help' ;;
	configure) echo '--profile -h --help' ;;
	configure-set) echo '--profile --prompt -h --help' ;;
	configure-get | configure-list | configure-remove | \
		configure-clear-cache) echo '--profile -h --help' ;;
	configure-import-token) echo '--profile --tmp-secret-id
		--tmp-secret-key --token --from-env --json -h --help' ;;
	configure-*) echo '-h --help' ;;
	cos_token) echo '-d --duration --profile -r --region -b --bucket
		-p --prefix --read-only --session-name --action --appid -u --unset
		-s --status --refresh-within -h --help' ;;
	esac
}

# Succeeds when option $1 takes an argument.
_cos_takes_argument()
{
	case $1 in
	-d | --duration | --profile | -o | --output | -r | --region | \
		--session-name | -b | --bucket | -p | --prefix | --action | \
		--appid | --tmp-secret-id | --tmp-secret-key | --token | --json | \
		--refresh-within) return 0 ;;
	esac
	return 1
}

# Fills COMPREPLY with the values of option $2 of command $1 that start
# with $3.
_cos_option_values()
{
	local command=$1 option=$2 cur=$3 values=

	case $option in
	-d | --duration) values='1800 3600 7200 43200' ;;
	-o | --output)
		if [[ $command == whoami ]]; then
			values='table json'
		else
			values='table env json fish powershell dotenv'
		fi
		;;
	-r | --region) values=$_cos_regions ;;
	--action) values='GetObject HeadObject GetBucket PutObject DeleteObject' ;;
	--profile) values=$(_cos_profiles) ;;
	--json)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		COMPREPLY+=(-)
		return
		;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$values" -- "$cur")
}

# Sets cur, prev, words and cword from COMP_WORDS.  bash splits
# "--duration=36" into "--duration", "=" and "36"; this undoes that for
# prev, so that a value after '=' completes like one after a space.
_cos_words()
{
	words=("${COMP_WORDS[@]}")
	cword=$COMP_CWORD
	cur=${words[cword]}
	prev=
	((cword > 0)) && prev=${words[cword - 1]}
	if [[ $cur == = ]] && _cos_takes_argument "$prev"; then
		cur=
	elif [[ $prev == = ]] && ((cword > 1)); then
		prev=${words[cword - 2]}
	fi
}

# Completes the arguments of `cos configure`.  $1 is the index of the
# word "configure".
_cos_configure()
{
	local start=$1 i word sub= key= operands=0 keys

	keys='secret_id secret_key assume_role region output sts_endpoint
		ca_bundle session_name connect_timeout timeout cache_margin'
	for ((i = start + 1; i < cword; i++)); do
		word=${words[i]}
		if [[ $word == = ]]; then
			((i++))
		elif [[ $word == -* ]]; then
			_cos_takes_argument "$word" && [[ ${words[i + 1]} != = ]] && ((i++))
		elif [[ -z $sub ]]; then
			sub=$word
		else
			((operands++))
			[[ -z $key ]] && key=$word
		fi
	done

	if _cos_takes_argument "$prev"; then
		_cos_option_values configure "$prev" "$cur"
		return
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W \
			"$(_cos_options "configure${sub:+-$sub}")" -- "$cur")
		return
	fi
	case $sub in
	'')
		mapfile -t COMPREPLY < <(compgen -W 'set get list import-token
			list-profiles remove seal passphrase clear-cache' -- "$cur")
		;;
	set)
		if ((operands == 0)); then
			mapfile -t COMPREPLY < <(compgen -W "$keys" -- "$cur")
		elif ((operands == 1)); then
			case $key in
			region) _cos_option_values configure --region "$cur" ;;
			output) _cos_option_values configure --output "$cur" ;;
			ca_bundle)
				compopt -o filenames 2>/dev/null
				mapfile -t COMPREPLY < <(compgen -f -- "$cur")
				;;
			secret_id | secret_key)
				mapfile -t COMPREPLY < <(compgen -W '- --prompt' -- "$cur")
				;;
			esac
		fi
		;;
	get)
		((operands == 0)) && mapfile -t COMPREPLY < <(compgen -W \
			"$keys token token_expiration" -- "$cur")
		;;
	passphrase)
		((operands == 0)) && mapfile -t COMPREPLY < <(compgen -W \
			'set change remove' -- "$cur")
		;;
	esac
}

# Completes COMMAND and its arguments after `cos exec ... --`.  $1 is the
# index of "--".
_cos_exec_command()
{
	local offset=$(($1 + 1))

	if declare -F _command_offset >/dev/null; then
		_command_offset "$offset"
	elif ((cword == offset)); then
		mapfile -t COMPREPLY < <(compgen -c -- "$cur")
	else
		compopt -o default 2>/dev/null
		COMPREPLY=()
	fi
}

_cos()
{
	local cur prev words cword i command= command_index=0

	COMPREPLY=()
	_cos_words
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-v | --verbose | --debug) ;;
		-*) return 0 ;;
		*)
			command=${words[i]}
			command_index=$i
			break
			;;
		esac
	done

	case $command in
	'')
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$(_cos_options cos)" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W \
				'token configure whoami exec help' -- "$cur")
		fi
		return 0
		;;
	help)
		((cword == command_index + 1)) && mapfile -t COMPREPLY < <(compgen \
			-W 'token configure whoami exec' -- "$cur")
		return 0
		;;
	configure)
		_cos_configure "$command_index"
		return 0
		;;
	exec)
		for ((i = command_index + 1; i < cword; i++)); do
			if [[ ${words[i]} == -- ]]; then
				_cos_exec_command "$i"
				return 0
			fi
		done
		;;
	token | whoami) ;;
	*) return 0 ;;
	esac

	if _cos_takes_argument "$prev"; then
		_cos_option_values "$command" "$prev" "$cur"
		return 0
	fi
	local options
	options=$(_cos_options "$command")
	[[ $command == exec ]] && options+=' --'
	mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
}

_cos_token()
{
	local cur prev words cword

	COMPREPLY=()
	_cos_words
	if _cos_takes_argument "$prev"; then
		_cos_option_values cos_token "$prev" "$cur"
		return 0
	fi
	mapfile -t COMPREPLY < <(compgen -W "$(_cos_options cos_token)" -- "$cur")
}

complete -F _cos cos
complete -F _cos_token cos_token
