# fish completion for cos(1) and the cos_token builtin.
#
# make install puts this file in fish's vendor_completions.d twice, as
# cos.fish and cos_token.fish, because fish loads completions by command
# name.  cos_token itself is a bash and zsh builtin: in fish, use
# `cos token -o fish | source` or `cos exec`.
#
# Profile names come from the section headers of $COS_CONFIG_DIR/config
# and credentials (default ~/.cos), read by awk so that no line of those
# files enters the shell.  Completion never runs cos, never opens a
# sealed value and never makes a network request.
#
# The option lists mirror the option tables in cli/*.c and core/builtin.c.
# tests/docs.bats compares them with `cos __options` and `cos_token --help`.

# Prints the profile names: [default] is "default" and [profile NAME] is
# NAME.  Other sections are not profiles.
function __cos_profiles
    set -l dir ~/.cos
    if set -q COS_CONFIG_DIR; and test -n "$COS_CONFIG_DIR"
        set dir $COS_CONFIG_DIR
    end
    set -l files
    for file in $dir/config $dir/credentials
        test -f $file -a -r $file; and set -a files $file
    end
    set -q files[1]; or return 0
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
    }' $files 2>/dev/null
end

# Prints the operands before the cursor: the words that are neither
# options nor option arguments.  After "--", prints nothing more.
function __cos_operands
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l skip 0
    for token in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $token
            case --
                return
            case -d --duration --profile -o --output -r --region \
                --session-name -b --bucket -p --prefix --action --appid \
                --tmp-secret-id --tmp-secret-key --token --json
                set skip 1
            case '-*'
            case '*'
                echo $token
        end
    end
end

# Succeeds when the operands before the cursor are exactly $argv.
function __cos_at
    set -l operands (__cos_operands)
    test "$operands" = "$argv"
end

# Succeeds when the first operand is one of $argv.
function __cos_using
    set -l operands (__cos_operands)
    set -q operands[1]; and contains -- $operands[1] $argv
end

# Succeeds when the command is configure and its subcommand is one of
# $argv, where '' stands for none yet.
function __cos_configure_in
    set -l operands (__cos_operands)
    test "$operands[1]" = configure; or return 1
    contains -- "$operands[2]" $argv
end

# Succeeds when the command line has "cos exec ... --" before the cursor.
function __cos_exec_after_separator
    __cos_using exec; or return 1
    contains -- -- (commandline -opc)
end

# Completes the command after "cos exec ... --" and its arguments.
function __cos_exec_command
    set -l tokens (commandline -opc) (commandline -ct)
    set -l index (contains -i -- -- $tokens)
    __fish_complete_subcommand --commandline $tokens[(math $index + 1)..-1]
end

set -l regions ap-beijing ap-chengdu ap-chongqing ap-guangzhou ap-hongkong \
    ap-nanjing ap-shanghai ap-singapore ap-tokyo eu-frankfurt na-ashburn \
    na-siliconvalley
set -l durations 1800 3600 7200 43200
set -l formats table env json fish powershell dotenv
set -l actions GetObject HeadObject GetBucket PutObject DeleteObject
set -l keys secret_id secret_key assume_role region output sts_endpoint \
    ca_bundle session_name connect_timeout timeout cache_margin

complete -c cos -f

# Global options and commands.
complete -c cos -n '__cos_at' -s v -l verbose -d 'Log requests, retries and timings to stderr'
complete -c cos -n '__cos_at' -l debug -d 'Also log headers, credentials redacted'
complete -c cos -n '__cos_at' -l version -d 'Print the version'
complete -c cos -s h -l help -d 'Show the help'
complete -c cos -n '__cos_at' -a token -d 'Get temporary credentials from STS AssumeRole'
complete -c cos -n '__cos_at' -a configure -d 'Set up profiles; seal secrets'
complete -c cos -n '__cos_at' -a whoami -d 'Show the identity behind the credentials'
complete -c cos -n '__cos_at' -a exec -d 'Run a command with temporary credentials'
complete -c cos -n '__cos_at' -a help -d 'Show the help of a command'
complete -c cos -n '__cos_at help' -a 'token configure whoami exec'

# Options of token, exec and whoami.
set -l session '__cos_using token exec; and not __cos_exec_after_separator'
complete -c cos -n $session -s d -l duration -x -a "$durations" -d 'Lifetime in seconds, 1800 to 43200'
complete -c cos -n $session -l session-name -x -d 'RoleSessionName'
complete -c cos -n $session -s b -l bucket -x -d 'Scope to a bucket, name-APPID'
complete -c cos -n $session -s p -l prefix -x -d 'Scope to object keys under PREFIX'
complete -c cos -n $session -l read-only -d 'Allow only reading actions'
complete -c cos -n $session -l action -x -a "$actions" -d 'Allow this COS action (repeatable)'
complete -c cos -n $session -l appid -x -d 'APPID for the policy'
complete -c cos -n '__cos_using token exec whoami; and not __cos_exec_after_separator' \
    -l profile -x -a '(__cos_profiles)' -d 'Profile to use'
complete -c cos -n '__cos_using token exec whoami; and not __cos_exec_after_separator' \
    -s r -l region -x -a "$regions" -d 'Region sent as X-TC-Region'
complete -c cos -n '__cos_using token' -s o -l output -x -a "$formats" -d 'Output format'
complete -c cos -n '__cos_using token' -l cached -d 'Reuse a cached session when one is still valid'
complete -c cos -n '__cos_using whoami' -s o -l output -x -a 'table json' -d 'Output format'
complete -c cos -n '__cos_using exec; and not __cos_exec_after_separator' \
    -a -- -d 'End of options; the command follows'
complete -c cos -n '__cos_exec_after_separator' -x -a '(__cos_exec_command)'

# cos configure.
complete -c cos -n '__cos_at configure' -a set -d 'Set a key of a profile'
complete -c cos -n '__cos_at configure' -a get -d 'Print a key, secrets masked'
complete -c cos -n '__cos_at configure' -a list -d 'List the keys of a profile'
complete -c cos -n '__cos_at configure' -a import-token -d 'Store temporary credentials in a profile'
complete -c cos -n '__cos_at configure' -a list-profiles -d 'List the profile names'
complete -c cos -n '__cos_at configure' -a remove -d 'Remove a profile'
complete -c cos -n '__cos_at configure' -a seal -d 'Seal every plaintext secret'
complete -c cos -n '__cos_at configure' -a passphrase -d 'Set, change or remove the passphrase'
complete -c cos -n '__cos_at configure' -a clear-cache -d 'Remove cached sessions'
complete -c cos -n "__cos_configure_in '' set get list import-token remove clear-cache" \
    -l profile -x -a '(__cos_profiles)' -d 'Profile to read or change'
complete -c cos -n '__cos_configure_in set' -l prompt -d 'Ask for the value on the terminal, without echo'
complete -c cos -n '__cos_at configure set' -x -a "$keys"
complete -c cos -n '__cos_at configure get' -x -a "$keys token token_expiration"
complete -c cos -n '__cos_at configure set region' -x -a "$regions"
complete -c cos -n '__cos_at configure set output' -x -a "$formats"
complete -c cos -n '__cos_at configure set ca_bundle' -F
complete -c cos -n '__cos_at configure set secret_id; or __cos_at configure set secret_key' \
    -x -a - -d 'Read the value from stdin'
complete -c cos -n '__cos_at configure passphrase' -x -a 'set change remove'
set -l import '__cos_configure_in import-token'
complete -c cos -n $import -l tmp-secret-id -x -d 'The temporary SecretId'
complete -c cos -n $import -l tmp-secret-key -x -d 'The temporary SecretKey, visible in ps'
complete -c cos -n $import -l token -x -d 'The session token'
complete -c cos -n $import -l from-env -d 'Read COS_SECRET_ID, COS_SECRET_KEY, COS_TOKEN'
complete -c cos -n $import -l json -r -F -d 'Read the output of cos token -o json; - for stdin'

# The cos_token builtin of bash and zsh.
complete -c cos_token -f
complete -c cos_token -s d -l duration -x -a "$durations" -d 'Lifetime in seconds, 1800 to 43200'
complete -c cos_token -l profile -x -a '(__cos_profiles)' -d 'Profile to use'
complete -c cos_token -s r -l region -x -a "$regions" -d 'STS region'
complete -c cos_token -s b -l bucket -x -d 'Allow only this bucket'
complete -c cos_token -s p -l prefix -x -d 'Allow only object keys under PREFIX'
complete -c cos_token -l read-only -d 'Allow only read actions'
complete -c cos_token -l session-name -x -d 'Role session name'
complete -c cos_token -l action -x -a "$actions" -d 'Allow this action (repeatable)'
complete -c cos_token -l appid -x -d 'Account APPID used in the bucket resource'
complete -c cos_token -s u -l unset -d 'Unset the four variables'
complete -c cos_token -s s -l status -d 'Show whether credentials are set and the time left'
complete -c cos_token -l refresh-within -x -d 'Fetch only when the credentials expire within SECONDS'
complete -c cos_token -s h -l help -d 'Show the help'
