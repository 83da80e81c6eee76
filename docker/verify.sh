#!/usr/bin/env bash
# Verify the image recipe where no container can start: build the Debian root file system docker/Dockerfile
# starts from (mmdebstrap of bookworm), run the same docker/install.sh inside it with chroot, serve the explorer
# from inside it on 127.0.0.1 over a run's outputs (mounted read-only, as compose does), check Streamlit's health
# endpoint and one page in Chromium, then turn the tree into an image with `podman import`, tagged as compose.yaml
# names it (artlib:latest). Needs root and mmdebstrap; Chromium + Playwright for the page; podman for the import.
#   sudo bash docker/verify.sh [OUTPUTS]       # OUTPUTS: a run's outputs folder (default: ./outputs)
# Environment: ARTLIB_VERIFY_DIR (work folder, default /tmp/artlib-verify), ARTLIB_TORCH_INDEX (a torch wheel
# index, e.g. https://download.pytorch.org/whl/cpu for 200 MB instead of PyPI's CUDA build; default: PyPI),
# ARTLIB_VERIFY_KEEP=1 keeps the root file system afterwards. This machine's CA bundle goes into the tree for the
# downloads (a proxy that re-signs TLS needs it), and is removed before the import.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
outputs=$(cd "${1:-$here/outputs}" && pwd)
work=${ARTLIB_VERIFY_DIR:-/tmp/artlib-verify}
root=$work/rootfs
port=${ARTLIB_VERIFY_PORT:-8765}
started=$(date +%s)
say() { printf '[verify %4ds] %s\n' $(($(date +%s) - started)) "$*"; }
fail() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (mmdebstrap and chroot need it)"
command -v mmdebstrap >/dev/null || fail "mmdebstrap is missing: apt-get install -y mmdebstrap"
[ -d "$outputs/artifacts" ] || [ -d "$outputs/collection" ] || fail "$outputs holds no run's outputs"

mounted=()
cleanup() {
  [ -n "${app_pid:-}" ] && kill "$app_pid" 2>/dev/null || true
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
  [ "${ARTLIB_VERIFY_KEEP:-0}" = 1 ] || rm -rf "$root"
}
trap cleanup EXIT
bind() {  # bind HOST_PATH INSIDE [ro]
  mkdir -p "$root$2"
  mount --bind "$1" "$root$2"
  mounted+=("$root$2")
  [ "${3:-}" = ro ] && mount -o remount,bind,ro "$root$2"
  return 0
}

say "1/5 the root file system: mmdebstrap bookworm (the Dockerfile's debian:bookworm-slim)"
rm -rf "$root" && mkdir -p "$work"
mmdebstrap --quiet --variant=apt bookworm "$root" http://deb.debian.org/debian >"$work/mmdebstrap.log" 2>&1 \
  || { tail -20 "$work/mmdebstrap.log"; fail "mmdebstrap"; }

say "2/5 docker/install.sh inside it (chroot), as the Dockerfile's RUN does"
mkdir -p "$root/src"
git -C "$here" ls-files -z --cached --others --exclude-standard | grep -zv '^outputs/' \
  | (cd "$here" && xargs -0 cp --parents -t "$root/src" 2>/dev/null || true)  # the build context (.dockerignore)
cp /etc/resolv.conf "$root/etc/resolv.conf"
host_ca=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
[ -f "$host_ca" ] && cp "$host_ca" "$root/etc/verify-host-ca.crt"
bind /proc /proc && bind /dev /dev && bind /sys /sys ro
for host in /etc/xdg/pip /opt/wheels /opt/pypi /opt/pypi-more; do  # this machine's package mirrors
  [ -d "$host" ] && bind "$host" "$host" ro
done
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  ARTLIB_TORCH_INDEX="${ARTLIB_TORCH_INDEX:-}" PIP_FIND_LINKS="${PIP_FIND_LINKS:-}" PIP_DEFAULT_TIMEOUT=180 \
  ${host_ca:+PIP_CERT=/etc/verify-host-ca.crt SSL_CERT_FILE=/etc/verify-host-ca.crt} \
  bash /src/docker/install.sh /src >"$work/install.log" 2>&1 || { tail -30 "$work/install.log"; fail "install.sh"; }
tail -1 "$work/install.log"

say "3/5 the explorer inside it, as compose's explorer service runs it (user artlib, outputs read-only)"
bind "$outputs" /outputs ro
[ -d "$here/data" ] && bind "$here/data" "$here/data" ro  # the run's images, where its artefacts say they are
chroot --userspec=artlib:artlib "$root" /usr/bin/env -i PATH=/opt/artlib/bin:/usr/bin:/bin HOME=/home/artlib \
  HF_HUB_OFFLINE=1 MPLBACKEND=Agg ARTLIB_OUTPUTS=/outputs \
  artlib-app --address 127.0.0.1 --port "$port" --outputs /outputs >"$work/app.log" 2>&1 &
app_pid=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$port/_stcore/health" >/dev/null 2>&1 && break
  kill -0 "$app_pid" 2>/dev/null || { tail -20 "$work/app.log"; fail "the explorer exited"; }
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/_stcore/health" | grep -q ok || fail "no health answer on port $port"
say "health endpoint: ok"

say "4/5 one page in Chromium"
python3 - "$port" "$work/explorer.png" <<'PY' || fail "the page did not render"
import shutil, sys
from playwright.sync_api import sync_playwright
port, shot = sys.argv[1], sys.argv[2]
with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    page.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
    page.get_by_text("artlib explorer").first.wait_for(timeout=120_000)
    # the Classify page's answer for a collection painting: its probability bars, drawn by the image's models
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stProgress\"]').length >= 1", timeout=180_000)
    page.wait_for_timeout(2000)
    page.screenshot(path=shot)
    assert not page.get_by_text("Traceback").count(), "a traceback on the page"
    browser.close()
print("page: ok,", shot)
PY
kill "$app_pid" && wait "$app_pid" 2>/dev/null || true
app_pid=

say "5/5 the tree as an image: podman import, tagged artlib:latest (compose.yaml's image)"
for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
mounted=()
rm -rf "$root/src" "$root/etc/resolv.conf" "$root/etc/verify-host-ca.crt"
if command -v podman >/dev/null; then
  tar -C "$root" -c . | podman import \
    --change 'USER artlib' --change 'WORKDIR /home/artlib' --change 'EXPOSE 8501' \
    --change 'ENV PATH=/opt/artlib/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV HF_HUB_OFFLINE=1' --change 'ENV ARTLIB_OUTPUTS=/outputs' \
    --change 'CMD ["artlib-app", "--address", "0.0.0.0", "--port", "8501"]' - artlib:latest >/dev/null
  podman image inspect artlib:latest --format 'image {{.Id}} {{.Size}} bytes' || fail "podman import"
else
  say "podman is not installed: the image was not imported (apt-get install -y podman)"
fi
say "verified in $(($(date +%s) - started)) s"
