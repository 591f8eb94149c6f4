"""Tips in tests: a form's idempotency key, photos, sending a tip, its receipt, a page's text."""

from __future__ import annotations

import io
import re
from typing import Any

from flask.testing import FlaskClient
from PIL import Image


def form_key(client: FlaskClient, lang: str = "en") -> str:
    """The idempotency key of a freshly rendered tip form."""
    html = client.get(f"/{lang}/tip").get_data(as_text=True)
    m = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="idempotency_key" name="idempotency_key" type="hidden" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def jpeg(size: tuple[int, int] = (64, 48), exif_gps: bool = False, color: str = "red") -> bytes:
    """A small JPEG, optionally carrying EXIF with GPS tags and a camera model."""
    img = Image.new("RGB", size, color)
    buf = io.BytesIO()
    if exif_gps:
        exif = Image.Exif()
        exif[0x0110] = "SentinelCam 9000"  # Model
        gps = {1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 39.0)}
        exif[0x8825] = gps
        img.save(buf, format="JPEG", exif=exif)
    else:
        img.save(buf, format="JPEG")
    return buf.getvalue()


def send_tip(client: FlaskClient, what: str = "Workers never leave the farm",
             key: str | None = None, photos: list[tuple[bytes, str]] | None = None,
             **extra: Any) -> Any:
    """Post a tip; returns the response."""
    data: dict[str, Any] = {"kinds": ["labour"], "what": what,
                            "idempotency_key": key or form_key(client), **extra}
    if photos:
        data["photos"] = [(io.BytesIO(b), name) for b, name in photos]
    return client.post("/en/tip", data=data, content_type="multipart/form-data")


def receipt_of(resp: Any) -> str:
    """The receipt digits shown on a receipt page."""
    m = re.search(r'class="receipt"><bdi dir="ltr">([\d ]+)</bdi>', resp.get_data(as_text=True))
    assert m, resp.get_data(as_text=True)[:800]
    return m.group(1)


def shown_text(html: str) -> str:
    """A page's HTML without the direction isolates around numbers (<bdi dir="ltr">), as a
    person reads it: "call 0000 SENT" rather than "call <bdi ...>0000</bdi> SENT"."""
    return re.sub(r'<bdi dir="ltr">|</bdi>', "", html)
