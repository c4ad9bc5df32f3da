"""The activation code as a QR code (segno): inline SVG for the page, PNG to download."""

from __future__ import annotations

import base64
import io

import segno


def _qr(text: str) -> segno.QRCode:
    # Error correction M, as phones' cameras read it well from a screen.
    return segno.make_qr(text, error="m")


def svg(text: str) -> str:
    return str(_qr(text).svg_inline(scale=6, title="eSIM", border=2))


def png_data_uri(text: str) -> str:
    out = io.BytesIO()
    _qr(text).save(out, kind="png", scale=8, border=4)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()
