"""The upload and submission pages in a real browser (Debian's chromium via Playwright) against
the embedded server: upload, live progress, the comparison viewer (slider by pointer and
keyboard, side by side, zoom, magnifier), downloads, the polling fallback, a phone screen, and
the automatic model choice shown before the upload."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from upscaler.tests.support.browser import chromium, embedded_site, photo_bytes, screenshot, watch_errors
from upscaler.tests.support.weights import PHOTO_TRAINING, save_tiny_model

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]

# 640x480 at x8 is a 5120x3840 (19.7 MP) result: several seconds of running and encoding here,
# so the progress panel is seen before the result, and the image is far larger than the screen.
WIDTH, HEIGHT, SCALE = 640, 480, 8
SUBMISSION_URL = re.compile(r".*/s/[0-9a-f-]{36}/$")
JOB_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("site")


@pytest.fixture(scope="module")
def site(site_dir):
    with embedded_site(site_dir) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def wait_for_images(page, selector: str) -> None:
    page.wait_for_function(
        """(sel) => { const imgs = [...document.querySelectorAll(sel)];
                      return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0); }""",
        arg=selector, timeout=JOB_TIMEOUT_MS,
    )


# Waits are functions, not expression strings: Playwright polls an expression through eval,
# which the pages' Content-Security-Policy (no 'unsafe-eval') rightly refuses.
def upload(page, site, tmp_path, *, width=WIDTH, height=HEIGHT, scale=SCALE, name="photo.png"):
    path = tmp_path / name
    path.write_bytes(photo_bytes(width, height))
    page.goto(site + "/")
    page.set_input_files('input[name="image"]', str(path))
    page.locator(f'#scales input[value="{scale}"]').check()
    return path


def test_upload_progress_comparison_and_downloads(site, page, tmp_path):
    errors = watch_errors(page)
    page.goto(site + "/")
    screenshot(page, "upload-empty")
    # The file input is named by the dropzone's text (aria-labelledby), as a screen reader says it.
    assert page.get_by_label(re.compile("Drop an image here")).get_attribute("type") == "file"

    # Client-side checks: a file that is not an image is refused before any upload.
    not_image = tmp_path / "notes.txt"
    not_image.write_text("hello")
    page.set_input_files('input[name="image"]', str(not_image))
    assert "not an image" in page.locator("#image-error").inner_text()
    assert page.locator("#submit").is_disabled()

    upload(page, site, tmp_path)
    assert page.locator("#sum-output").inner_text() == f"{WIDTH * SCALE}×{HEIGHT * SCALE} (20 MP)"
    assert page.locator("#sum-time").inner_text().startswith(("about", "under"))
    assert page.locator("#image-error").inner_text() == ""
    # The automatic choice, from the server: no trained model on this site, so bicubic either way.
    assert re.fullmatch(r"PNG, .*: Bicubic \(baseline\)( \(no photo model at this scale\))?", choice_text(page))
    screenshot(page, "upload-ready")

    page.locator("#submit").click()
    page.wait_for_url(SUBMISSION_URL)
    section = page.locator("section.result")
    # Progress is shown while the job is queued or running.
    progress = section.locator(".progress-panel")
    assert progress.is_visible()
    assert section.locator(".status-pill").inner_text() in ("Queued", "Running")
    track = section.locator(".progress-track[role=progressbar]")
    assert track.get_attribute("aria-valuenow") is not None
    # A screen reader hears what the panel shows, not just a number.
    assert re.fullmatch(r"Waiting|Working|(Tile \d+ of \d+, )?\d+%", track.get_attribute("aria-valuetext"))
    page.wait_for_function("() => document.getElementById('live').textContent.includes('Live')")
    screenshot(page, "progress")

    section.locator(".outcome").wait_for(state="visible", timeout=JOB_TIMEOUT_MS)
    assert section.locator(".status-pill").inner_text() == "Succeeded"
    assert not progress.is_visible()
    wait_for_images(page, "section.result .layer img")
    page.wait_for_timeout(300)  # let the viewer lay out after the images arrived
    screenshot(page, "comparison")

    # The slider: dragged with the pointer...
    divider = section.locator(".divider[role=slider]")
    assert divider.get_attribute("aria-valuenow") == "50"
    pane = section.locator('[data-pane="main"]').bounding_box()
    handle = divider.locator(".handle").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(pane["x"] + pane["width"] * 0.25, handle["y"], steps=8)
    page.mouse.up()
    assert 22 <= int(divider.get_attribute("aria-valuenow")) <= 28
    right = section.locator('[data-layer="right"]')
    assert "inset(0px 0px 0px 2" in right.evaluate("el => getComputedStyle(el).clipPath")
    # ...and with the keyboard.
    divider.focus()
    before = int(divider.get_attribute("aria-valuenow"))
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert int(divider.get_attribute("aria-valuenow")) == before + 5
    page.keyboard.press("End")
    assert divider.get_attribute("aria-valuenow") == "100"
    page.keyboard.press("Home")
    assert divider.get_attribute("aria-valuenow") == "0"
    assert "Bicubic" in divider.get_attribute("aria-valuetext")

    # Fit to width first; 1:1 shows real pixels, and both sides share zoom and pan.
    zoom = section.locator(".zoom-level")
    assert zoom.inner_text() == "Fit"
    section.locator("[data-mode=side]").click()
    second = section.locator('[data-pane="second"]')
    second.wait_for(state="visible")
    section.locator("[data-action=actual]").click()
    assert zoom.inner_text() == "100%"
    section.locator('[data-pane="main"]').focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    transforms = section.locator(".layer img").evaluate_all("imgs => imgs.map((i) => i.style.transform)")
    assert len(set(transforms)) == 1 and "scale(1)" in transforms[0], transforms
    assert "translate(0px, 0px)" not in transforms[0]  # the keys panned the zoomed view
    # The magnifier follows the pointer in both panes.
    section.locator("[data-action=lens]").click()
    box = second.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert section.locator(".lens.on").count() == 2
    screenshot(page, "comparison-side-by-side", full_page=False)  # a page resize would move the lens

    # Downloads in another format are converted by the server: check what arrives.
    for fmt, pil_format in (("webp", "WEBP"), ("jpeg", "JPEG"), ("png", "PNG")):
        with page.expect_download(timeout=JOB_TIMEOUT_MS) as info:
            section.locator(f'a[data-format="{fmt}"]').click()
        download = info.value
        data = Path(download.path()).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == pil_format
            assert image.size == (WIDTH * SCALE, HEIGHT * SCALE)
        assert download.suggested_filename.endswith(".jpg" if fmt == "jpeg" else f".{fmt}")
    assert errors == []


def test_progress_falls_back_to_polling_without_a_websocket(site, page, tmp_path):
    errors = watch_errors(page)
    # Every websocket is closed at once: the page must learn the outcome by polling.
    page.route_web_socket(re.compile(r".*/ws/.*"), lambda ws: ws.close())
    statuses = []
    page.on("request", lambda r: statuses.append(r.url) if r.url.endswith("/status.json") else None)
    upload(page, site, tmp_path)
    page.locator("#submit").click()
    page.wait_for_url(SUBMISSION_URL)
    assert page.locator("section.result .status-pill").inner_text() in ("Queued", "Running")
    page.wait_for_function("() => document.getElementById('live').textContent.includes('every few seconds')")
    page.locator("section.result .outcome").wait_for(state="visible", timeout=JOB_TIMEOUT_MS)
    assert statuses, "the status endpoint was never polled"
    assert page.locator("section.result .status-pill").inner_text() == "Succeeded"
    assert page.locator("#live").inner_text() == "Done."
    # The visitor's own list links to it.
    page.goto(site + "/gallery/mine/")
    assert page.locator("ul.mine li").count() >= 1 and "Succeeded" in page.locator("ul.mine").inner_text()
    screenshot(page, "my-images")
    assert errors == []


def test_server_errors_are_shown_inline(site, page, tmp_path):
    # Too small for a x8 benchmark: the page says so before uploading...
    upload(page, site, tmp_path, width=64, height=64, scale=8)
    page.locator("input[name=mode][value=benchmark]").check()
    assert "at least 128 pixels" in page.locator("#image-error").inner_text()
    assert page.locator("#submit").is_disabled()
    # ...and a file the browser accepts but the server cannot read comes back as an inline error.
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"\x89PNG not really")
    page.locator("input[name=mode][value=upscale]").check()
    page.set_input_files('input[name="image"]', str(fake))
    page.locator("#submit").click()
    page.wait_for_load_state()
    error = page.locator("#image-error")
    assert error.inner_text().strip(), page.content()[:2000]
    assert page.url.rstrip("/") == site
    screenshot(page, "upload-error")


def test_benchmark_and_phone_screen(site, browser, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    errors = watch_errors(page)
    upload(page, site, tmp_path, width=256, height=192, scale=2, name="sharp.png")
    page.locator("input[name=mode][value=benchmark]").check()
    assert page.locator("#sum-input").inner_text().startswith("256×192 → shrunk to 128×96")
    screenshot(page, "upload-phone")
    page.locator("#submit").click()
    page.wait_for_url(SUBMISSION_URL)
    section = page.locator("section.result")
    section.locator(".outcome").wait_for(state="visible", timeout=60_000)
    # Scores against the ground truth arrive with the result.
    page.wait_for_function("() => document.querySelector('[data-metric=psnr_y]').textContent.trim() !== '…'")
    psnr = float(section.locator("[data-metric=psnr_y]").inner_text())
    bicubic = float(section.locator("[data-metric=bicubic_psnr_y]").inner_text())
    assert 15 < bicubic < 60 and 15 < psnr < 60
    assert "Why your own small photos gain less" in section.inner_text()
    wait_for_images(page, "section.result .layer img")
    # The page fits the phone: nothing wider than the screen, the viewer fills the width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    pane = section.locator('[data-pane="main"]').bounding_box()
    assert pane["width"] > 300
    # Touch: a tap on the fitted image moves the divider there.
    page.touchscreen.tap(pane["x"] + pane["width"] * 0.8, pane["y"] + pane["height"] / 2)
    assert int(section.locator(".divider").get_attribute("aria-valuenow")) >= 75
    screenshot(page, "comparison-phone")
    assert errors == []
    context.close()


def test_only_the_chosen_models_scales_are_offered(site, page):
    # Trained weights may not exist here: add a x2/x4 model to the page the server sends.
    def with_a_second_model(route):
        html = route.fetch().text()
        html = html.replace('<option value="bicubic"', '<option value="tiny">tiny</option><option value="bicubic"')
        html = html.replace('<script id="upload-models" type="application/json">[',
                            '<script id="upload-models" type="application/json">[{"name": "tiny", "description": '
                            '"A test model", "kind": "srresnet", "scales": [2, 4], "ms_per_megapixel": 5000.0}, ')
        route.fulfill(body=html, content_type="text/html")

    page.route(site + "/", with_a_second_model)
    page.goto(site + "/")
    page.locator('#scales input[value="8"]').check()
    page.locator('select[name="model"]').select_option("tiny")
    visible = page.locator("#scales label:visible").all_inner_texts()
    assert visible == ["×2", "×4"]
    assert page.locator('#scales input[value="4"]').is_checked()  # x8 is gone: the nearest offered
    assert page.locator("#model-description").inner_text() == "A test model"
    page.locator('select[name="model"]').select_option("bicubic")
    assert page.locator("#scales label:visible").all_inner_texts() == ["×2", "×3", "×4", "×8"]


def test_the_api_docs_render_under_the_sites_policy(site, page):
    errors = watch_errors(page)
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(site + "/api/docs/")
    # Swagger UI ran: it fetched the schema and drew its title and one block per operation.
    title = page.locator(".swagger-ui .info .title")
    title.wait_for()
    assert "srsite API" in title.inner_text()
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator(".swagger-ui .opblock").count() >= 7
    assert "/api/v1/submissions/" in page.locator(".swagger-ui").inner_text()
    screenshot(page, "api-docs")
    assert errors == []
    # No script was refused. drf-spectacular's page also has a small inline <style> (margin, background
    # colour), which style-src 'self' refuses; Swagger UI's own stylesheet is a file and applies.
    assert all(message.startswith("Applying inline style") for message in refused), refused
    assert page.locator(".swagger-ui .opblock-summary-method").first.evaluate(
        "el => getComputedStyle(el).color") == "rgb(255, 255, 255)"  # swagger-ui.css applied


@pytest.fixture
def photo_model_on_site(site, site_dir):
    """A runnable tiny `photo` model (x4 only) in the site's weights folder for one test: the
    server lists it on its next request (it watches the folder), and forgets it afterwards."""
    path = save_tiny_model(site_dir / "weights", "photo", 4, **PHOTO_TRAINING)
    yield path
    path.unlink()


def jpeg_file(tmp_path, name="holiday.jpg", *, width=320, height=240, quality=70) -> Path:
    path = tmp_path / name
    Image.open(io.BytesIO(photo_bytes(width, height))).save(path, "JPEG", quality=quality)
    return path


def choice_text(page) -> str:
    """The automatic choice once the server has answered (not "Reading the file…")."""
    page.wait_for_function(
        """() => { const box = document.getElementById('model-choice');
                   return !box.hidden && !box.textContent.includes('Reading'); }""")
    return page.locator("#choice-text").inner_text()


def test_the_automatic_choice_and_its_reason_are_shown_before_upload(site, page, tmp_path, photo_model_on_site):
    errors = watch_errors(page)
    asked = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith("/inspect") else None)
    page.goto(site + "/")
    select = page.locator('select[name="model"]')
    assert select.input_value() == ""  # Automatic is the default
    assert select.locator("option:checked").inner_text() == "Automatic (from the file)"
    assert select.locator('option[value="photo"]').inner_text() == "Photo (JPEG, noise)"
    assert page.locator("#model-choice").is_hidden()  # nothing to say before a file is picked

    page.set_input_files('input[name="image"]', str(jpeg_file(tmp_path)))
    page.locator('#scales input[value="4"]').check()
    assert choice_text(page) == "JPEG, quality ≈ 70: Photo (JPEG, noise)"
    assert page.locator("#choice-text strong").inner_text() == "Photo (JPEG, noise)"
    assert page.url.rstrip("/") == site and asked  # asked the server; nothing was submitted
    screenshot(page, "upload-automatic-choice")

    # Another scale: asked again; the photo model has no x2, and the reason says so.
    page.locator('#scales input[value="2"]').check()
    page.wait_for_function("() => document.getElementById('choice-text').textContent.includes('no photo model')")
    assert choice_text(page).startswith("JPEG, quality ≈ 70: Bicubic (baseline)")
    # Naming a model hides the automatic choice; back to Automatic shows it again.
    select.select_option("bicubic")
    assert page.locator("#model-choice").is_hidden()
    select.select_option("")
    page.locator('#scales input[value="4"]').check()
    assert choice_text(page) == "JPEG, quality ≈ 70: Photo (JPEG, noise)"

    # Uploaded: the server makes the same choice, and the result page says which and why.
    page.locator("#submit").click()
    page.wait_for_url(SUBMISSION_URL)
    section = page.locator("section.result")
    assert section.locator("h2").inner_text().startswith("Photo (JPEG, noise) ×4")
    assert section.locator(".choice-reason").inner_text() == (
        "Chosen automatically — JPEG, quality ≈ 70: Photo (JPEG, noise)")
    section.locator(".outcome").wait_for(state="visible", timeout=JOB_TIMEOUT_MS)
    wait_for_images(page, "section.result .layer img")
    screenshot(page, "result-automatic-choice")
    assert errors == []


def test_the_automatic_choice_on_a_phone(site, browser, tmp_path, photo_model_on_site):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    errors = watch_errors(page)
    page.goto(site + "/")
    clean = tmp_path / "drawing.png"
    clean.write_bytes(photo_bytes(320, 240, noise=0))
    page.set_input_files('input[name="image"]', str(clean))
    page.locator('#scales input[value="2"]').check()
    page.wait_for_function("() => document.getElementById('choice-text').textContent.includes('Bicubic')")
    assert choice_text(page) == "PNG, clean: Bicubic (baseline)"  # no trained clean model on this site
    page.locator('#scales input[value="4"]').check()
    page.set_input_files('input[name="image"]', str(jpeg_file(tmp_path)))
    page.wait_for_function("() => document.getElementById('choice-text').textContent.startsWith('JPEG')")
    assert choice_text(page) == "JPEG, quality ≈ 70: Photo (JPEG, noise)"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#model-choice").scroll_into_view_if_needed()
    screenshot(page, "upload-automatic-choice-phone")
    assert errors == []
    context.close()
