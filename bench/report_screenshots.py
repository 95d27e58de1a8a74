"""Look at the report as a reader does: screenshots of its pages in a real headless browser.

Not a test: a tool for the person changing the report (issue 13's "look at it"). It starts
Debian's ``chromium`` headless with its DevTools port, opens ``verdict.html`` and Snakemake's
``report.html``, clicks through every category of the report (and the first entries of each),
and saves one PNG per page under ``--out``.

Needs ``apt-get install chromium`` and ``pip install websocket-client``. Usage::

    .venv/bin/snakemake --cores 2 --report results/report.html
    .venv/bin/python bench/report_screenshots.py results/report.html \\
        results/sample/verdict.html --out /tmp/shots
"""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import websocket  # websocket-client

PORT = 9333


class Page:
    """One browser tab driven through the DevTools protocol."""

    def __init__(self, url: str) -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{PORT}/json/new?{url}", method="PUT")
        with urllib.request.urlopen(request) as reply:
            target = json.load(reply)
        self.socket = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=60)
        self.counter = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.counter += 1
        self.socket.send(json.dumps({"id": self.counter, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.counter:
                return message.get("result", {})

    def evaluate(self, script: str) -> Any:
        result = self.call("Runtime.evaluate", expression=script, returnByValue=True)
        return result.get("result", {}).get("value")

    def shot(self, path: Path, width: int = 1400) -> None:
        height = int(self.evaluate("document.documentElement.scrollHeight") or 1800)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width, height=min(max(height, 900), 8000), deviceScaleFactor=1, mobile=False,
        )  # fmt: skip
        time.sleep(0.5)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        print(path)


# The deepest element whose text is the label (a menu entry may wrap its text in icons).
CLICK = """(() => {{
  const items = [...document.querySelectorAll('a, li, button, span, div, td, tr, p')]
    .filter(e => e.textContent.trim() === {label});
  if (!items.length) return false;
  items[items.length - 1].click(); return true;
}})()"""

# An entry's first icon (the "eye" that shows the file), in the row that holds its label.
OPEN = """(() => {{
  const items = [...document.querySelectorAll('td, li, div, span, a')]
    .filter(e => e.textContent.trim() === {label});
  if (!items.length) return false;
  let row = items[items.length - 1];
  while (row && !row.querySelector('svg')) row = row.parentElement;
  if (!row) return false;
  const icon = row.querySelector('svg');
  (icon.closest('a, button') || icon).dispatchEvent(new MouseEvent('click', {{bubbles: true}}));
  return true;
}})()"""

LABELS = """[...document.querySelectorAll('a, li, button, span, div, td, p')]
  .filter(e => e.offsetParent !== null)
  .map(e => e.textContent.trim()).filter(t => t.length > 0 && t.length < 60)"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="snakemake --report HTML file")
    parser.add_argument("pages", type=Path, nargs="*", help="other HTML pages (verdict.html)")
    parser.add_argument("--out", type=Path, default=Path("report-shots"))
    parser.add_argument("--categories", nargs="*", default=None)
    parser.add_argument(
        "--items", nargs="*", default=[], help="entries to open in each category (their labels)"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no chromium: apt-get install chromium")
    profile = tempfile.mkdtemp(prefix="chromium-")
    browser = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--remote-debugging-port={PORT}", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(3)
        for page in args.pages:
            tab = Page(page.resolve().as_uri())
            time.sleep(2)
            tab.shot(args.out / f"{page.stem}.png")
        tab = Page(args.report.resolve().as_uri())
        time.sleep(5)
        tab.shot(args.out / "report_home.png")
        categories = args.categories or [
            "Example images",
            "Runs",
            "Small data sets",
            "Summary",
            "Training",
            "Verdict",
        ]
        for category in categories:
            if not tab.evaluate(CLICK.format(label=json.dumps(category))):
                print(f"no {category!r} in the report")
                continue
            time.sleep(2)
            tab.shot(args.out / f"report_{category.replace(' ', '_')}.png")
            shown = tab.evaluate(LABELS)
            print(category, "shows:", shown[:40])
            for number, item in enumerate(label for label in args.items if label in shown):
                tab.evaluate(OPEN.format(label=json.dumps(item)))
                time.sleep(2)
                tab.shot(args.out / f"report_{category.replace(' ', '_')}_{number}.png")
                tab.evaluate(CLICK.format(label=json.dumps(category)))
                time.sleep(1)
            tab.evaluate(CLICK.format(label=json.dumps("Results")))
    finally:
        browser.terminate()
        browser.wait(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
