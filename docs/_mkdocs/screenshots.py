"""Serve the built site on localhost and screenshot pages with headless Chromium.

    python docs/_mkdocs/screenshots.py [SITE_DIR] [OUT_DIR]

Run by ``nox -s docs -- --screenshots`` after the build. Needs Debian's ``chromium`` package
(``apt-get install -y chromium``). Writes ``site-home.png`` and ``site-plugin.png``.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

PAGES = {"site-home.png": "", "site-plugin.png": "plugins/keras-ema/"}
WINDOW = "1280,900"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    f"--window-size={WINDOW}",
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no Chromium found: install Debian's package with `apt-get install -y chromium`")


def main(site: Path, out: Path) -> int:
    if not (site / "index.html").exists():
        sys.exit(f"{site}/index.html not found: run `mkdocs build` first")
    out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        for name, page in PAGES.items():
            target = out / name
            with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
                subprocess.run(
                    [
                        chromium(),
                        *CHROMIUM_FLAGS,
                        f"--user-data-dir={profile}",
                        f"--screenshot={target.resolve()}",
                        base + page,
                    ],
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
            print(f"{base + page} -> {target} ({target.stat().st_size / 1024:.0f} KiB)")
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    site_dir = Path(arguments[0]) if arguments else Path("site")
    out_dir = Path(arguments[1]) if len(arguments) > 1 else Path("docs/images")
    sys.exit(main(site_dir, out_dir))
