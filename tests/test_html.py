"""The HTML report rendered by headless Chromium: the page shows its plots."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from report_data import synthesise

from hpobench.results.regret import XAxis
from hpobench.results.report import write_report

CHROMIUM = "/usr/bin/chromium"


def screenshot(page: Path, png: Path, profile: Path) -> np.ndarray:
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--screenshot={png}",
        "--window-size=1280,2400",
        page.resolve().as_uri(),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert png.is_file(), (
        f"chromium wrote no screenshot (status {result.returncode}): {result.stderr[-2000:]}"
    )
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(png) as img:
        return np.asarray(img.convert("RGB"), dtype=int)


def colourful(pixels: np.ndarray) -> int:
    """Pixels with clearly coloured (not grey) values: plot lines and bands, not text."""
    spread = pixels.max(axis=2) - pixels.min(axis=2)
    return int(np.sum(spread > 60))


@pytest.mark.skipif(
    shutil.which(CHROMIUM) is None,
    reason=f"{CHROMIUM} is not installed (nox -s tests and .ci/run install Debian's chromium when root)",
)
def test_html_report_renders_its_plots_in_chromium(tmp_path: Path) -> None:
    synthesise(tmp_path / "study", methods=4, tasks=5, seeds=3, evals=30)
    report = write_report(tmp_path / "study", axis=XAxis.EVALS, formats=["html"])
    page = report.documents["html"]
    shown = screenshot(page, tmp_path / "page.png", tmp_path / "profile-a")
    assert shown.shape == (2400, 1280, 3)
    # the same page without its images: the difference is what the plots put on screen
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r'<img [^>]*src="data:image/png;base64,[^"]*">', "", page.read_text()))
    blank = screenshot(bare, tmp_path / "bare.png", tmp_path / "profile-b")
    assert colourful(blank) < 500, "the page without images should be black on white"
    assert colourful(shown) > 20_000, "the plots did not render"
    changed = np.any(np.abs(shown - blank) > 30, axis=2)
    assert changed.mean() > 0.1
