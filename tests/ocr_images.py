"""Photos of a VIN, an odometer and a plate, rendered for the OCR tests and bench/ocr.py.

The text is drawn with the DejaVu fonts the project ships (assets/fonts) inside the
shot's overlay guide, on a textured background, then degraded like a phone photo:
perspective, blur, glare, low light. Every image knows the text it shows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from inspector.assets import asset_path
from inspector.domain.validation import vin_check_digit
from inspector.ocr.crop import GUIDES

Pixels = npt.NDArray[np.uint8]
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
WMIS = ("VF1", "VF3", "VF7", "WVW", "WBA", "ZFA", "VSS", "SJN", "TMB", "1HG", "JHM", "KMH")
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTVWXYZ"  # SIV: no I, O, U
CONDITIONS = ("sharp", "perspective", "blur", "glare", "low_light")


@dataclass(frozen=True)
class Sample:
    kind: str
    truth: str
    condition: str
    overlay: str
    image: Pixels


def random_vin(rng: random.Random) -> str:
    body = rng.choice(WMIS) + "".join(rng.choice(VIN_CHARS) for _ in range(14))
    vin = body[:8] + "0" + body[9:]
    return vin[:8] + vin_check_digit(vin) + vin[9:]


def random_plate(rng: random.Random) -> str:
    letters = "".join(rng.choice(PLATE_LETTERS) for _ in range(4))
    return f"{letters[:2]}-{rng.randint(0, 999):03d}-{letters[2:]}"


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(asset_path("fonts", name)), size)


def _background(w: int, h: int, rng: random.Random) -> Image.Image:
    base = np.full((h, w, 3), rng.randint(90, 150), np.uint8)
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, 12, (h // 8, w // 8, 3))
    texture = cv2.resize(noise, (w, h), interpolation=cv2.INTER_LINEAR)
    return Image.fromarray(np.clip(base + texture, 0, 255).astype(np.uint8))


def _box(overlay: str, w: int, h: int) -> tuple[int, int, int, int]:
    left, top, right, bottom = GUIDES[overlay]
    return round(left * w), round(top * h), round(right * w), round(bottom * h)


def _fit(
    draw: ImageDraw.ImageDraw, text: str, font: str, width: int, height: int
) -> ImageFont.FreeTypeFont:
    size = height
    while size > 8:
        f = _font(font, size)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=f)
        if right - left <= width and bottom - top <= height:
            return f
        size = int(size * 0.92)
    return _font(font, 8)


def render(kind: str, truth: str, size: tuple[int, int], rng: random.Random) -> tuple[Pixels, str]:
    """A sharp picture of ``truth`` inside its guide; returns (BGR pixels, overlay)."""
    w, h = size
    img = _background(w, h, rng)
    draw = ImageDraw.Draw(img)
    if kind == "vin":
        overlay = "vin_plate"
        x0, y0, x1, y1 = _box(overlay, w, h)
        pad_x, pad_y = (x1 - x0) // 12, (y1 - y0) // 5
        draw.rounded_rectangle(
            (x0 + pad_x // 2, y0 + pad_y, x1 - pad_x // 2, y1 - pad_y), 12, fill=(232, 232, 225)
        )
        font = _fit(draw, truth, "DejaVuSansMono.ttf", x1 - x0 - 2 * pad_x, (y1 - y0) // 3)
        draw.text(
            ((x0 + x1) // 2, (y0 + y1) // 2), truth, fill=(25, 25, 25), font=font, anchor="mm"
        )
    elif kind == "odometer":
        overlay = "odometer"
        x0, y0, x1, y1 = _box(overlay, w, h)
        cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
        lw, lh = (x1 - x0) // 3, (y1 - y0) // 5
        draw.rectangle((0, 0, w, h), fill=(18, 18, 22))
        for dx in (-1, 1):  # the two dials
            r = (y1 - y0) // 3
            draw.ellipse(
                (cx + dx * (x1 - x0) // 3 - r, cy - r, cx + dx * (x1 - x0) // 3 + r, cy + r),
                outline=(200, 200, 200),
                width=max(2, w // 400),
            )
        draw.rectangle((cx - lw // 2, cy - lh // 2, cx + lw // 2, cy + lh // 2), fill=(30, 45, 40))
        text = f"{int(truth):,} km".replace(",", " ")
        font = _fit(draw, text, "DejaVuSans-Bold.ttf", lw - lw // 8, lh - lh // 4)
        draw.text((cx, cy), text, fill=(170, 255, 200), font=font, anchor="mm")
    else:
        overlay = "front"
        x0, y0, x1, y1 = _box(overlay, w, h)
        pw, ph = (x1 - x0) * 2 // 3, (x1 - x0) * 2 // 3 * 110 // 520
        cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
        draw.rectangle(
            (cx - pw // 2, cy - ph // 2, cx + pw // 2, cy + ph // 2),
            fill=(245, 245, 245),
            outline=(20, 20, 20),
            width=max(2, w // 600),
        )
        band = pw // 12
        draw.rectangle(
            (cx - pw // 2, cy - ph // 2, cx - pw // 2 + band, cy + ph // 2), fill=(0, 51, 153)
        )
        draw.rectangle(
            (cx + pw // 2 - band, cy - ph // 2, cx + pw // 2, cy + ph // 2), fill=(0, 51, 153)
        )
        font = _fit(draw, truth, "DejaVuSans-Bold.ttf", pw - 3 * band, ph * 3 // 4)
        draw.text((cx, cy), truth, fill=(15, 15, 15), font=font, anchor="mm")
    return cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR), overlay


def degrade(image: Pixels, condition: str, rng: random.Random) -> Pixels:
    h, w = image.shape[:2]
    if condition == "perspective":
        j = 0.05
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        dst = np.float32([[x + rng.uniform(-j, j) * w, y + rng.uniform(-j, j) * h] for x, y in src])
        return cv2.warpPerspective(
            image, cv2.getPerspectiveTransform(src, dst), (w, h), borderMode=cv2.BORDER_REPLICATE
        )
    if condition == "blur":
        return cv2.GaussianBlur(image, (0, 0), max(w, h) / 1600)
    if condition == "glare":
        mask = np.zeros((h, w), np.float32)
        cx, cy = int(w * rng.uniform(0.35, 0.65)), int(h * rng.uniform(0.4, 0.6))
        cv2.ellipse(mask, (cx, cy), (w // 10, h // 8), rng.uniform(0, 180), 0, 360, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), w / 60)[..., None]
        return np.clip(image + mask * 150, 0, 255).astype(np.uint8)
    if condition == "low_light":
        dark = image.astype(np.float32) * 0.25
        noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, 6, image.shape)
        return np.clip(dark + noise, 0, 255).astype(np.uint8)
    return image


def sample(kind: str, condition: str, seed: int, size: tuple[int, int] = (1600, 1200)) -> Sample:
    rng = random.Random(f"{kind}-{condition}-{seed}")
    if kind == "vin":
        truth = random_vin(rng)
    elif kind == "odometer":
        truth = str(rng.randint(1000, 299999))
    else:
        truth = random_plate(rng)
    image, overlay = render(kind, truth, size, rng)
    return Sample(kind, truth, condition, overlay, degrade(image, condition, rng))
