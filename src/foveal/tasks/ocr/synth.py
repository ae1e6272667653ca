"""Synthetic text images rendered with the DejaVu fonts that matplotlib ships (offline, permissive).

Used to train and test recognizers: :func:`render_page` draws paragraphs on a page,
:class:`SyntheticLines` yields random text-line images with noise, blur and skew.

>>> img = render_page(["Hello world"], font_size=32)
>>> img.shape
(128, 259, 3)
"""

from __future__ import annotations

import random
import string
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from foveal.errors import FovealError

FONT_FILES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSansMono.ttf",
)

CHARSET = string.digits + string.ascii_letters + string.punctuation + " "
"""The characters foveal's own recognizer learns (printable ASCII)."""

WORDS = (
    # Common English words for word-like lines. The words of the benchmark pages (phototest.tif:
    # "quick brown dog jumped over lazy fox", "point text test code see works all types file
    # format", "lot if ocr") are left out on purpose, so reading those pages measures
    # generalisation.
    "the of and to in is was for on that with as by at from this be are it an or which not have "
    "had he she they we you his her their our its one two three first new old good great small "
    "large long little high low right left last next early late young public private local "
    "national general time year day week month people man woman child world life hand part place "
    "case group company system program question government number night home water room mother "
    "area money story fact study book eye job business issue side kind head house service friend "
    "father power hour game member law car city community name president team minute idea kid "
    "body information back parent face others level office door health person art war history "
    "party result change morning reason research girl guy moment air teacher force education "
    "market price table figure section chapter note method paper print scan value total date "
    "address street phone email report read model image data train number letter word page line "
    "sample document example copyright license version open source software January February "
    "March April June July August October November December Monday Friday London Paris Berlin "
    "Tokyo Apache Python Linux should would could might must shall will can make take come give "
    "find think tell become leave feel put bring begin keep hold turn start show hear play run "
    "move live believe happen write provide sit stand lose pay meet include continue learn lead "
    "understand watch follow stop create speak spend grow offer remember love consider appear buy "
    "wait serve die send expect build stay fall cut reach kill remain suggest raise pass sell "
    "require decide pull between under after before during without again against among across "
    "around behind below beyond near since until upon within very also just only still even much "
    "more most such many well back then now here there when where why how what who whom whose "
    "each every both few several some any other another same different important possible social "
    "real best better free sure clear whole political human major economic true full special easy "
    "strong"
).split()


def font_dir() -> Path:
    """matplotlib's bundled TrueType folder (DejaVu family)."""
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise FovealError(
            "matplotlib is needed for its DejaVu fonts: pip install matplotlib"
        ) from exc
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _font(name: str, size: int):
    """A cached FreeType font per thread (FreeType faces must not be shared across threads)."""
    return _thread_font(name, size, threading.get_ident())


@lru_cache(maxsize=512)
def _thread_font(name: str, size: int, thread: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(font_dir() / name), size)


def render_page(
    lines: Sequence[str],
    *,
    font_size: int = 28,
    font: str = "DejaVuSans.ttf",
    margin: int = 40,
    spacing: float = 1.5,
    width: int | None = None,
    height: int | None = None,
    background: int = 255,
    ink: int = 0,
) -> np.ndarray:
    """Black text on a white page, one string per line (empty strings: blank lines). RGB uint8."""
    from PIL import Image, ImageDraw

    f = _font(font, font_size)
    pitch = int(round(font_size * spacing))
    text_w = max((int(f.getlength(t)) for t in lines), default=0)
    w = width or text_w + 2 * margin
    h = height or pitch * max(1, len(lines)) + 2 * margin
    img = Image.new("L", (w, h), background)
    draw = ImageDraw.Draw(img)
    for i, t in enumerate(lines):
        draw.text((margin, margin + i * pitch), t, fill=ink, font=f)
    return np.repeat(np.asarray(img)[..., None], 3, axis=2)


def random_text(rng: random.Random, *, max_len: int = 32, charset: str = CHARSET) -> str:
    """Words, numbers or random characters: a plausible one-line string."""
    kind = rng.random()
    if kind < 0.55:
        words = []
        while sum(len(w) + 1 for w in words) < rng.randint(4, max_len):
            w = rng.choice(WORDS)
            r = rng.random()
            if r < 0.15:
                w = w.capitalize()
            elif r < 0.2:
                w = w.upper()
            if rng.random() < 0.15:
                w += rng.choice(",.;:!?")
            words.append(w)
        text = " ".join(words)
    elif kind < 0.7:
        text = (
            rng.choice(["", "$", "#", "No. ", "(", "+"])
            + f"{rng.uniform(0, 99999):,.{rng.randint(0, 2)}f}"
        )
        if rng.random() < 0.5:
            text += " " + rng.choice(WORDS)
    else:
        n = rng.randint(1, max_len)
        chars = charset.replace(" ", "") if n < 3 else charset
        text = "".join(rng.choice(chars) for _ in range(n))
    text = " ".join(text.split())[:max_len]
    return text or rng.choice(WORDS)


def render_line(
    text: str,
    rng: random.Random,
    *,
    height: int = 32,
    augment: bool = True,
) -> np.ndarray:
    """One text line as a grayscale uint8 image of the given height (width follows the text).

    With ``augment``: random DejaVu face and size, contrast; the crop a text detector would give:
    loose (font ascent to descent plus padding) or tight around the line's ink (ascender top to
    descender bottom, as PP-OCR's boxes are), sometimes with fragments of the lines above and below;
    skew (shear), small rotation, Gaussian blur and noise.
    """
    import cv2
    from PIL import Image, ImageDraw

    font = rng.choice(FONT_FILES) if augment else FONT_FILES[0]
    size = rng.randint(24, 44) if augment else 32
    f = _font(font, size)
    asc, desc = f.getmetrics()
    x0, _, x1, _ = f.getbbox(text)
    pad_x = rng.randint(0, 12) if augment else 6
    w = max(1, x1 - min(0, x0)) + 2 * pad_x
    pitch = int(round(size * rng.uniform(1.15, 1.6))) if augment else asc + desc
    bg = rng.randint(170, 255) if augment else 255
    fg = rng.randint(0, max(0, bg - 120)) if augment else 0
    # the line sits on a canvas one pitch taller above and below, where neighbouring lines may go
    canvas = Image.new("L", (w, asc + desc + 2 * pitch), bg)
    draw = ImageDraw.Draw(canvas)
    origin = (pad_x - min(0, x0), pitch)
    draw.text(origin, text, fill=fg, font=f)
    if (
        augment and rng.random() < 0.5
    ):  # tight: the ink of the line, ascenders and descenders included
        _, ink_top, _, ink_bottom = draw.textbbox(origin, "Hg" + text, font=f)
        ink = ink_bottom - ink_top
        top = ink_top - int(round(rng.uniform(-0.03, 0.25) * ink))
        bottom = ink_bottom + int(round(rng.uniform(-0.03, 0.25) * ink))
        if rng.random() < 0.5:  # bits of the neighbouring lines peek in
            for dy in (-pitch, pitch):
                other = random_text(rng, max_len=max(4, len(text) + 8))
                draw.text((origin[0] + rng.randint(-8, 8), origin[1] + dy), other, fill=fg, font=f)
    elif augment:
        top = pitch - rng.randint(2, 10)
        bottom = pitch + asc + desc + rng.randint(2, 10)
    else:
        top, bottom = pitch - 6, pitch + asc + desc + 6
    arr = np.asarray(canvas, np.float32)[max(0, top) : bottom]
    h = arr.shape[0]
    if augment:
        if rng.random() < 0.5:  # shear (italic-like skew) and a small rotation
            shear = rng.uniform(-0.25, 0.25)
            angle = rng.uniform(-2.0, 2.0)
            m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
            m[0, 1] += shear
            m[0, 2] -= shear * h / 2
            arr = cv2.warpAffine(arr, m, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=bg)
        if rng.random() < 0.4:
            k = rng.choice([3, 5])
            arr = cv2.GaussianBlur(arr, (k, k), rng.uniform(0.3, 1.2))
        if rng.random() < 0.5:
            arr = arr + np.random.default_rng(rng.getrandbits(32)).normal(
                0, rng.uniform(2, 18), arr.shape
            )
    scale = height / arr.shape[0]
    out = cv2.resize(
        arr, (max(1, int(round(arr.shape[1] * scale))), height), interpolation=cv2.INTER_AREA
    )
    return np.clip(out, 0, 255).astype(np.uint8)
