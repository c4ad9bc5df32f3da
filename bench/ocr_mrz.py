"""How often OCR (tesseract) reads the machine-readable zone of drawn documents exactly.

    .venv/bin/python bench/ocr_mrz.py [--whitelist] [--count N]

Draws passports (TD3) and CIE backs (TD1) in OCR-B, as PNG and JPEG, some with a light
pattern over them, and prints the share read exactly (every check digit holding and the
text equal to what was drawn), with and without the tesseract character whitelist.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from resim.identity.specimen import render
from resim.integrations.ocr.tesseract import TesseractOcr
from resim.kit.mrz import compose_td1, compose_td3
from resim.kit.mrz_ocr import find_mrz

TODAY = dt.date(2026, 11, 24)


def sample(rng: random.Random, kind: str) -> str:
    person = {
        "issuing_state": "ITA",
        "nationality": "ITA",
        "surname": rng.choice(["Rossi", "Bianchi", "De Luca", "Esposito", "Greco"]),
        "given_names": rng.choice(["Giulia", "Marco", "Anna Maria", "Luca"]),
        "birth_date": dt.date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)),
        "sex": rng.choice("MF"),
    }
    if kind == "TD3":
        return compose_td3(
            document_number=f"YA{rng.randint(0, 9999999):07d}",
            expiry_date=dt.date(2031, 6, 1),
            **person,
        )
    return compose_td1(
        document_number=f"CA{rng.randint(0, 99999):05d}AB",
        expiry_date=dt.date(2030, 1, 1),
        **person,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10, help="documents per kind and format")
    args = parser.parse_args()
    for whitelist in (False, True):
        ocr = TesseractOcr(whitelist=whitelist)
        rng = random.Random(1)
        started = time.perf_counter()
        read = total = 0
        for kind in ("TD3", "TD1"):
            for fmt in ("PNG", "JPEG"):
                ok = 0
                for i in range(args.count):
                    text = sample(rng, kind)
                    found = find_mrz(ocr.mrz_text(render(text, fmt=fmt, noise=i % 2 == 0)), TODAY)
                    ok += bool(found and found[0] == text)
                print(f"whitelist={whitelist} {kind} {fmt}: {ok}/{args.count} read exactly")
                read, total = read + ok, total + args.count
        seconds = time.perf_counter() - started
        print(
            f"whitelist={whitelist}: {read}/{total} = {read / total:.0%}, "
            f"{seconds / total:.2f} s an image"
        )


if __name__ == "__main__":
    main()
