"""A simulated phone for demos: given an activation code, it downloads and installs the
profile as a device would, and the sandbox tells the operator (handleDownloadProgressInfo).

POST only, so the activation code never sits in a URL (or an access log).
"""

from __future__ import annotations

import html

from fastapi import FastAPI, Form
from fastapi.responses import HTMLResponse

from resim.kit.activation_code import ActivationCode
from resim.kit.telecom import InvalidIdentifier
from resim.smdp_sandbox.rules import Sandbox
from resim.smdp_sandbox.server import Notifier

DEMO_EID = "89049032123451234512345678901235"
PATH = "/sandbox/phone"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Simulated phone</title><link rel="stylesheet" href="/static/site.css"></head>
<body><main><h1>Simulated phone (SM-DP+ sandbox)</h1>{body}</main></body></html>"""


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        PAGE.format(body=body), status_code=status, headers={"Cache-Control": "no-store"}
    )


def add_routes(app: FastAPI, sandbox: Sandbox, notifier: Notifier | None, mount: str) -> None:
    @app.post(PATH, response_class=HTMLResponse)
    def phone(
        activation_code: str = Form(""),
        confirmation_code: str = Form(""),
        back: str = Form(""),
        fail: str = Form(""),
    ) -> HTMLResponse:
        back_link = (
            f'<p><a id="back" href="{html.escape(back)}">Back to the operator</a></p>'
            if back.startswith("/") and not back.startswith("//")
            else ""
        )
        try:
            code = ActivationCode.parse(activation_code)
        except InvalidIdentifier:
            return _page('<p id="phone-result">Not an activation code.</p>' + back_link, 422)
        if code.confirmation_code_required and not confirmation_code:
            return _page(
                f'<form method="post" action="{mount}{PATH}">'
                f'<input type="hidden" name="activation_code" value="{html.escape(code.lpa)}">'
                f'<input type="hidden" name="back" value="{html.escape(back)}">'
                '<label for="confirmation_code">Confirmation code</label>'
                '<input id="confirmation_code" name="confirmation_code" inputmode="numeric">'
                '<button type="submit">Download and install</button></form>'
            )
        iccid = next(
            (p.iccid for p in sandbox.store.profiles() if p.matching_id == code.matching_id), None
        )
        result = sandbox.download(code.matching_id, DEMO_EID, confirmation_code or None)
        if result.ok and iccid is not None:
            result = sandbox.install(iccid, success=not fail)
        if notifier is not None:
            notifier.deliver(sandbox)
        outcome = "Installed" if result.ok else f"Not installed: {html.escape(result.detail)}"
        return _page(
            f'<p id="phone-result" data-ok="{str(result.ok).lower()}">{outcome}</p>' + back_link,
            200 if result.ok else 409,
        )
