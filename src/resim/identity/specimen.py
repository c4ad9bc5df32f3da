"""Sample identity documents drawn for the demo and the tests: a passport data page and a CIE
back, with the machine-readable zone in OCR-B (Debian's fonts-ocr-b) as on real documents."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from resim.kit.mrz import compose_td3

OCR_B = Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")
SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default(size)


def sample_passport(
    surname: str, given_names: str, birth_date: dt.date, sex: str, today: dt.date
) -> tuple[dict[str, str], bytes]:
    """Draft fields and a drawn data page of an Italian passport for a demo holder."""
    seed = hashlib.sha256(f"{surname}|{given_names}|{birth_date}".encode()).digest()
    number = f"YA{int.from_bytes(seed[:4], 'big') % 10_000_000:07d}"
    expiry = today.replace(year=today.year + 5)
    zone = compose_td3(
        document_number=number,
        issuing_state="ITA",
        nationality="ITA",
        surname=surname,
        given_names=given_names,
        birth_date=birth_date,
        sex=sex,
        expiry_date=expiry,
    )
    fields = {
        "document_type": "passport",
        "document_number": number,
        "document_country": "ITA",
        "document_expiry": expiry.isoformat(),
        "mrz": zone,
    }
    return fields, render(
        zone,
        fields=[
            surname.upper(),
            given_names.upper(),
            birth_date.strftime("%d %b %Y").upper(),
            "ITALIANA",
        ],
    )


def render(
    mrz: str,
    *,
    title: str = "PASSAPORTO / PASSPORT",
    fields: list[str] | None = None,
    fmt: str = "PNG",
    noise: bool = False,
) -> bytes:
    """A document image with some printed fields and the zone at the bottom."""
    lines = mrz.splitlines()
    width = 1250 if len(lines[0]) == 44 else 900
    image = Image.new("RGB", (width, 620 + 60 * len(lines)), (236, 240, 232))
    draw = ImageDraw.Draw(image)
    draw.rectangle([30, 110, 280, 430], fill=(200, 205, 210))  # the photo
    draw.text((30, 30), title, fill=(20, 40, 90), font=_font(SANS, 40))
    for row, text in enumerate(fields or ["ROSSI", "GIULIA", "12 MAR 1985", "ROMA"]):
        draw.text((320, 120 + row * 60), text, fill=(10, 10, 10), font=_font(SANS, 34))
    mono = _font(OCR_B, 40)
    for row, text in enumerate(lines):
        draw.text((30, 560 + row * 60), text, fill=(0, 0, 0), font=mono)
    if noise:
        for x in range(0, width, 7):
            draw.line([(x, 0), (x + 40, image.height)], fill=(225, 228, 222), width=1)
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 92} if fmt == "JPEG" else {}))
    return out.getvalue()
