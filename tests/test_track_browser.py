"""The managers' page of `rvq track` in headless Chromium: it opens offline with a clean
console, its figures load, the executive lines come first and link to their lists, every
CSV link resolves, and a client's markup in a reason stays text (no script runs)."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from test_track_run import FAKE, HOSTILE

from rvq.synth import WorldSpec, generate_world, write_world
from rvq.track.run import run_track

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A track folder of a small world served on 127.0.0.1, as a manager opens it."""
    root = tmp_path_factory.mktemp("browser")
    source = write_world(generate_world(WorldSpec(accounts=80, periods=6, seed=8)), root / "shop")
    done = run_track(source, out=root / "reports", cache_dir=root / "cache", lists=FAKE)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(done.folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", root
    server.shutdown()
    thread.join(timeout=5)


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium: run .ci/setup-browser.sh (CI does)"
)
def test_the_managers_page_in_a_browser(served):
    sync_api = pytest.importorskip("playwright.sync_api")
    url, root = served
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        problems, dialogs = [], []
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url + "index.html", wait_until="load")
        page.screenshot(path=str(root / "track-page.png"), full_page=True)

        headings = page.eval_on_selector_all("h2", "els => els.map(e => e.textContent.trim())")
        assert [h.rstrip("¶") for h in headings][:3] == [
            "In short", "Where the book stands", "The lists",
        ]  # fmt: skip
        assert HOSTILE in page.inner_text("main")  # the headline and every reason, as text
        images = page.eval_on_selector_all(
            "img", "els => els.map(i => i.complete && i.naturalWidth > 0)"
        )
        assert images and all(images)  # the stage balance and team figures
        anchors = page.eval_on_selector_all("li a[href^='#list-']", "els => els.map(e => e.hash)")
        assert sorted(anchors) == ["#list-empty", "#list-hostile"]
        for anchor in anchors:
            assert page.locator(anchor).count() == 1
        for href in page.eval_on_selector_all("a[href$='.csv']", "els => els.map(e => e.href)"):
            assert page.request.get(href).status == 200, href
        browser.close()
    assert problems == [] and dialogs == []
