"""The sentinel shelter: a confidential place whose street, postcode, directions and exact
point must appear in no output (test_confidential, test_areas)."""

from __future__ import annotations

SENTINEL_STREET = "4471 Zebracorn Sentinel Lane"
EXACT_LAT, EXACT_LNG = 36.7512345, -119.7798765
SERVICE_ID = "5e0c1f0a-1111-4c2b-9a3d-5f6e7d8c9b0a"


def sentinel_service() -> dict[str, object]:
    return {
        "id": SERVICE_ID,
        "name": "Sentinel Safe House",
        "description": "A test shelter.",
        "status": "active",
        "phones": [{"id": "5e0c1f0a-2222-4c2b-9a3d-5f6e7d8c9b0a", "number": "(559) 555-0142"}],
        "attributes": [{"id": "5e0c1f0a-3333-4c2b-9a3d-5f6e7d8c9b0a", "taxonomy_term": {
            "id": "5e0c1f0a-4444-4c2b-9a3d-5f6e7d8c9b0a", "code": "shelter", "name": "Shelter",
            "description": "Shelter", "taxonomy": "haven-categories"}}],
        "service_at_locations": [{
            "id": "5e0c1f0a-5555-4c2b-9a3d-5f6e7d8c9b0a",
            "description": "Intake by phone.",
            "location": {
                "id": "5e0c1f0a-6666-4c2b-9a3d-5f6e7d8c9b0a", "location_type": "physical",
                "name": "Sentinel intake", "confidential": True,
                "latitude": EXACT_LAT, "longitude": EXACT_LNG,
                "description": "Behind the blue gate",
                "addresses": [{"id": "5e0c1f0a-7777-4c2b-9a3d-5f6e7d8c9b0a",
                               "address_1": SENTINEL_STREET, "city": "Fresno",
                               "state_province": "CA", "postal_code": "93721",
                               "country": "US", "address_type": "physical"}],
            },
        }],
    }


LEAKS = [SENTINEL_STREET, "Zebracorn", "93721", "Behind the blue gate", "36.75123", "119.77987"]
