"""OCR with Debian's tesseract-ocr, restricted to the ICAO MRZ alphabet."""

from __future__ import annotations

import shutil
import subprocess

from resim.errors import IntegrationError

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"


class TesseractOcr:
    def __init__(
        self, binary: str = "tesseract", timeout: float = 30.0, *, whitelist: bool = True
    ) -> None:
        self.binary = binary
        self.timeout = timeout
        # bench/ocr_mrz.py: the MRZ alphabet as a whitelist reads slightly more zones exactly.
        self.options = ["-c", f"tessedit_char_whitelist={ALPHABET}"] if whitelist else []

    def available(self) -> bool:
        return shutil.which(self.binary) is not None

    def mrz_text(self, image_png_or_jpeg: bytes) -> str:
        try:
            result = subprocess.run(  # noqa: S603 - fixed program and options
                [self.binary, "stdin", "stdout", "-l", "eng", "--psm", "6", *self.options],
                input=image_png_or_jpeg,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise IntegrationError("ocr", type(exc).__name__, transient=True) from exc
        if result.returncode != 0:
            raise IntegrationError("ocr", f"tesseract exited {result.returncode}", transient=False)
        return result.stdout.decode("utf-8", "replace").upper()
