"""The interactive API documentation in a real browser: it reads our OpenAPI 3.1 document,
lists the operations, takes a token and tries one out, and needs nothing beyond the service."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, pytestmark  # noqa: F401
from tests.e2e.test_owner_journey_api import sign_up_and_verify
from tests.support.live_server import serving


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def test_the_docs_page_lists_every_operation_without_errors_or_the_network(
    app, client, mailbox, browser
):
    token = sign_up_and_verify(client, mailbox)
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    operations = {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }
    with_token = [o for o in operations.values() if any(o.get("security", []))]
    with serving(app) as base_url:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        elsewhere, problems = [], []

        def only_the_service(route):
            if urlparse(route.request.url).netloc == urlparse(base_url).netloc:
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        context.route("**/*", only_the_service)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{base_url}/api/v1/docs")
        page.locator(".opblock").first.wait_for()
        page.get_by_text("OAS 3.1").wait_for()
        listed = {
            (block.locator(".opblock-summary-method").inner_text().strip(),
             block.locator(".opblock-summary-path").get_attribute("data-path"))
            for block in page.locator(".opblock").all()
        }  # fmt: skip
        # A token can be entered once, and each operation that takes one shows its padlock.
        page.get_by_role("button", name="Authorize").wait_for()
        padlocks = page.locator(".opblock .authorization__btn").count()

        # With the token entered once, "Try it out" asks the service who it is.
        page.locator(".auth-wrapper .authorize").click()
        page.locator(".auth-container input").fill(token)
        page.locator(".auth-btn-wrapper .authorize").click()
        page.locator(".auth-btn-wrapper .btn-done").click()
        me = page.locator(".opblock-get").filter(
            has=page.locator('.opblock-summary-path[data-path="/api/v1/me"]')
        )
        me.locator(".opblock-summary").click()
        me.get_by_role("button", name="Try it out").click()
        me.get_by_role("button", name="Execute").click()
        answer = me.locator(".live-responses-table .response")
        answer.locator(".response-col_status", has_text="200").wait_for()
        answered = answer.locator(".response-col_description").inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "api-docs.png"))
        context.close()
    assert listed == set(operations)
    assert padlocks == len(with_token) > 40
    assert '"role": "owner"' in answered
    assert problems == []
    assert elsewhere == []
