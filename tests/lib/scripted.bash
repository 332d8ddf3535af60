# tests/lib/scripted.bash - starts and drives tests/lib/scripted_sts.py, an
# STS stand-in that sends whatever response a test scripts, byte for byte.
# Load it after lib/common, and call scripted_start after cos_setup_file
# (it uses the same throwaway PKI, so COS_CA_BUNDLE trusts it too).
#
#   scripted_start            start it; exports SCRIPTED_URL and
#                             SCRIPTED_SILENT_URL (a port that accepts
#                             connections and never sends a byte)
#   scripted_stop             stop it
#   scripted_script JSON      the list of responses for the next requests
#   scripted_count            STS requests since the last scripted_reset
#   scripted_reset            set the count to 0
#
# It listens on 127.0.0.1 only.

scripted_start() {
	local dir="$BATS_FILE_TMPDIR/scripted" i ports
	mkdir -p "$dir" || return 1
	export SCRIPTED_SCRIPT="$dir/script.json"
	echo '[{"success": true}]' >"$SCRIPTED_SCRIPT"
	rm -f "$dir/ports"
	"${COS_TEST_PYTHON:-python3}" "$COS_SRC/tests/lib/scripted_sts.py" \
		"$BATS_FILE_TMPDIR/pki/server.pem" "$BATS_FILE_TMPDIR/pki/server.key" \
		"$dir/ports" "$SCRIPTED_SCRIPT" \
		</dev/null >"$dir/server.out" 2>&1 3>&- &
	export SCRIPTED_PID=$!
	echo "$SCRIPTED_PID" >"$dir/pid"
	for ((i = 0; i < 100; i++)); do
		[ -s "$dir/ports" ] && break
		kill -0 "$SCRIPTED_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -s "$dir/ports" ]; then
		echo "scripted_sts.py did not start:" >&2
		cat "$dir/server.out" >&2
		return 1
	fi
	read -r -a ports <"$dir/ports"
	export SCRIPTED_URL="https://127.0.0.1:${ports[0]}"
	export SCRIPTED_SILENT_URL="https://127.0.0.1:${ports[1]}"
}

scripted_stop() {
	local pid=${SCRIPTED_PID:-}
	[ -n "$pid" ] || read -r pid <"$BATS_FILE_TMPDIR/scripted/pid" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	return 0
}

scripted_script() {
	printf '%s\n' "$1" >"$SCRIPTED_SCRIPT"
}

_scripted_control() {
	curl --cacert "$COS_CA_BUNDLE" --noproxy '*' -sS --max-time 10 \
		--fail "$@"
}

scripted_count() {
	_scripted_control "$SCRIPTED_URL/__count"
}

scripted_reset() {
	_scripted_control -X POST "$SCRIPTED_URL/__reset" >/dev/null
}
