"""The public gallery in a real browser: `loaddemo` publishes comparisons of openly licensed
photos through the real job path; the grid lists them (featured first) and a detail page shows
the slider, the model, scale and timings, and the photo's credit and licence."""

from __future__ import annotations

import pytest

from upscaler.tests.support.browser import chromium, embedded_site, manage, screenshot, watch_errors

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("gallery-site")
    with embedded_site(data_dir) as base:
        # bicubic: quick, and present on every machine (trained weights may not be).
        manage(data_dir, "loaddemo", "--model", "bicubic")
        yield base


def test_gallery_lists_approved_items_and_shows_a_comparison(site):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        errors = watch_errors(page)
        page.goto(site + "/gallery/")
        tiles = page.locator("ul.grid > li")
        assert tiles.count() == 4
        assert "Featured" in tiles.first.inner_text()  # the featured astronaut comes first
        assert "Eileen Collins" in tiles.first.inner_text()
        page.wait_for_function(  # a function, not an expression: the page's CSP forbids eval
            "() => [...document.querySelectorAll('ul.grid img')].every((i) => i.complete && i.naturalWidth > 0)"
        )
        screenshot(page, "gallery")

        page.locator("ul.grid a.title", has_text="Chelsea").click()
        page.wait_for_url("**/gallery/*/")
        divider = page.locator(".divider[role=slider]")
        divider.wait_for(state="visible")
        facts = page.locator("dl.facts").inner_text()
        assert "bicubic" in facts and "×2" in facts and "Inference" in facts
        assert "CC0" in facts and "Stefan van der Walt" in facts
        # A benchmark item: scores, and the ground truth offered in the viewer.
        assert page.locator("[data-metric=psnr_y]").inner_text().replace(".", "").isdigit()
        assert page.locator("select[data-side=left] option[value=truth]").count() == 1
        divider.focus()
        page.keyboard.press("PageDown")
        assert divider.get_attribute("aria-valuenow") == "40"
        page.locator("select[data-side=left]").select_option("truth")
        assert page.locator("[data-pane=main] .tag.left").inner_text() == "Ground truth"
        page.wait_for_function(  # a function, not an expression: the page's CSP forbids eval
            "() => [...document.querySelectorAll('.layer img')].every((i) => i.complete && i.naturalWidth > 0)"
        )
        screenshot(page, "gallery-detail")
        assert errors == []
