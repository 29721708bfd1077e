"""The step-through page in a real headless browser (Debian's chromium, driven by Playwright).

Skipped cleanly when Playwright, chromium or Graphviz is missing (``.ci/run``
installs all three).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from viz_helpers import lecture_chain, needs_dot

from viz import backprop_steps

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = next(
    (p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and Path(p).exists()), None
)
pytestmark = [
    needs_dot,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser_page():
    """A fresh page in headless chromium with an empty profile; collects console errors."""
    with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1000, "height": 900},
        )
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))

        def refuse_the_network(route) -> None:  # the page must be self-contained
            url = route.request.url
            if url.startswith(("file:", "data:", "about:")):
                route.continue_()
            else:
                problems.append(f"request to {url}")
                route.abort()

        page.route("**/*", refuse_the_network)
        yield page, problems
        context.close()


def visible_state(page) -> tuple[str, str, str]:
    """(the highlighted node's DOT id, the caption's first line, the position text)."""
    return page.evaluate(
        """() => {
          const step = [...document.querySelectorAll('.bp-step')].find(s => !s.hidden);
          const current = step.querySelector('g.node.current title');
          return [current ? current.textContent : '',
                  step.querySelector('.bp-caption').textContent.split('\\n')[0],
                  document.querySelector('.bp-pos').textContent];
        }"""
    )


def test_prev_next_slider_and_keys_in_a_real_browser(browser_page, tmp_path):
    page, problems = browser_page
    steps = backprop_steps(lecture_chain()["C"])
    path = tmp_path / "steps.html"
    steps.to_html(path)
    page.goto(path.as_uri())
    assert page.locator(".bp-step:visible").count() == 1
    first = visible_state(page)
    assert first[2] == f"step 1 / {len(steps)}"
    assert first[0] and first[1].startswith(f"1/{len(steps)}")
    assert page.locator(".bp-prev").is_disabled()

    page.click(".bp-next")
    second = visible_state(page)
    assert second[2] == f"step 2 / {len(steps)}"
    assert second[0] != first[0]  # another node is highlighted
    assert second[1] != first[1] and second[1].startswith(f"2/{len(steps)}")

    page.keyboard.press("ArrowRight")
    assert visible_state(page)[2] == f"step 3 / {len(steps)}"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert visible_state(page) == first

    page.locator(".bp-range").fill(str(len(steps) - 1))  # the slider to the last step
    last = visible_state(page)
    assert last[2] == f"step {len(steps)} / {len(steps)}"
    assert page.locator(".bp-next").is_disabled()
    # The highlighted node of each step is the node the engine processed at that step.
    assert last[1].startswith(f"{len(steps)}/{len(steps)}  step {len(steps) - 1}: ")
    assert problems == []


def test_screenshot_of_the_page(browser_page, tmp_path):
    page, problems = browser_page
    steps = backprop_steps(lecture_chain()["C"])
    path = tmp_path / "steps.html"
    steps.to_html(path)
    page.goto(path.as_uri())
    page.click(".bp-next")
    shot = page.screenshot(full_page=False)
    assert shot.startswith(b"\x89PNG")
    assert problems == []
