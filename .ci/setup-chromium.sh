# Sourced by .ci/run: Debian's Chromium for the editor's end-to-end test (test/e2e/editor.test.ts),
# installed with apt-get when /usr/bin/chromium is missing. playwright-core drives it; no browser
# is ever downloaded by npm. From here on the test fails (not skips) when the browser is missing,
# as it does whenever CI=true.
if [ ! -x /usr/bin/chromium ]; then
  echo "installing chromium (apt-get)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium
fi
/usr/bin/chromium --version
export DISCOUNTS_E2E_REQUIRE_BROWSER=1
