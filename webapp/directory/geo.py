"""Distances, coarse points for confidential locations, and known place names."""

from __future__ import annotations

import math

EARTH_KM = 6371.0088
# 0.01 degree of latitude is about 1.1 km: the precision every confidential location is
# published at.
COARSE_STEP = 0.01


def coarse_point(lat: float, lng: float) -> tuple[float, float]:
    """Snap a point to the ~1 km grid; the exact point never leaves the database."""
    return (round(round(lat / COARSE_STEP) * COARSE_STEP, 2),
            round(round(lng / COARSE_STEP) * COARSE_STEP, 2))


def bounding_box(lat: float, lng: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) enclosing a circle; SQL prefilters with it."""
    dlat = math.degrees(radius_km / EARTH_KM)
    cos_lat = max(0.01, math.cos(math.radians(lat)))
    dlng = min(180.0, dlat / cos_lat)
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def parse_point(text: str) -> tuple[float, float] | None:
    """'lat,lng' to a point, or None when it is not one (then it may be a city name)."""
    parts = text.split(",")
    if len(parts) != 2:
        return None
    try:
        lat, lng = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or not all(map(math.isfinite, (lat, lng))):
        return None
    return lat, lng


def planar_km(lat0: float, lng0: float, lat: float, lng: float) -> float:
    """Equirectangular distance (within 0.1% under ~500 km); SQL can compute it too."""
    k = math.cos(math.radians(lat0))
    dlat, dlng = lat - lat0, (lng - lng0) * k
    return math.sqrt(dlat * dlat + dlng * dlng) * math.radians(1) * EARTH_KM
