# The one emulator launcher for bash, sourced by scripts/demo, tests/bench/run and
# tests/bench/nginx-check: starts the emulator in the background and reads its addresses. (Its
# PowerShell counterpart, for the Pester suite and tests/bench's relays, is Start-NtHelperProcess
# in tests/module/TestSupport/HelperProcesses.ps1.) The emulator must outlive no bash script that
# started it, so it stays a bash child rather than a pwsh one.
# Usage: start_emulator <state dir> [emulator flags...]; sets EMU_HTTP, EMU_HTTPS, EMU_CERT, EMU_PID.
# EMU_BIN overrides the emulator binary (default: the debug build; tests/bench uses the release one).
# The caller's EXIT trap should call stop_emulator.

start_emulator() {
  local dir=$1; shift
  local root; root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  mkdir -p "$dir"
  rm -f "$dir/emulator.out"  # a ready line left by an earlier run must not count
  "${EMU_BIN:-$root/target/debug/native-token-emulator}" --cert-out "$dir/emulator-cert.pem" "$@" \
    >"$dir/emulator.out" 2>"$dir/emulator.log" &
  EMU_PID=$!
  local waited=0
  until grep -q '^ready' "$dir/emulator.out" 2>/dev/null; do
    if ! kill -0 "$EMU_PID" 2>/dev/null || [ $waited -ge 100 ]; then
      echo "emulator did not start; its log:" >&2; cat "$dir/emulator.log" >&2; return 1
    fi
    sleep 0.1; waited=$((waited + 1))
  done
  EMU_HTTP=$(sed -n 's/^http: //p' "$dir/emulator.out")
  EMU_HTTPS=$(sed -n 's/^https: //p' "$dir/emulator.out")
  EMU_CERT=$(sed -n 's/^cert: //p' "$dir/emulator.out")
}

stop_emulator() {
  [ -n "${EMU_PID:-}" ] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null
  EMU_PID=
}
