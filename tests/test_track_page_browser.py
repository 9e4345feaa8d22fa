"""The managers' page with the seven real lists, in headless Chromium at a laptop's 1280 px:
no list scrolls sideways, and the page itself is no wider than the window."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rvq.synth import generate_world, world_spec, write_world
from rvq.synth.tracking import plant_tracking
from rvq.track.run import run_track

CHROMIUM = Path("/usr/bin/chromium")
#: what each table's box may overflow by (a pixel of rounding)
SLACK = 1


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("page")
    world = plant_tracking(generate_world(world_spec("planted", accounts=300, seed=4)))
    source = write_world(world, root / "demo")
    return run_track(source, out=root / "reports", cache_dir=root / "cache").folder


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium: run .ci/setup-browser.sh (CI does)"
)
def test_every_list_fits_a_laptop_page(folder, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
            page.screenshot(path=str(tmp_path / "track-1280.png"), full_page=True)
            widths = page.eval_on_selector_all(
                "table",
                """els => els.map(t => {
                    let box = t.parentElement, over = 0;
                    for (; box && box !== document.body; box = box.parentElement)
                        over = Math.max(over, box.scrollWidth - box.clientWidth);
                    return {columns: t.rows[0].cells.length, over: over};
                })""",
            )
            page_width = page.evaluate("document.documentElement.scrollWidth")
            browser.close()
    finally:
        server.shutdown()
    assert len(widths) == 7  # every list has rows on the planted demo world
    assert all(w["over"] <= SLACK for w in widths), widths
    assert all(w["columns"] <= 8 for w in widths), widths
    assert page_width <= 1280
