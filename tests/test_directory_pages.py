"""Directory pages as a reader sees them, in every shipped locale."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp.i18n import LOCALES

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("loc", LOCALES, ids=lambda loc: loc.tag)
def test_every_locale_home(client: FlaskClient, loc: object) -> None:
    """Each locale's home has lang/dir from the locale, the US hotline first, exit, switcher."""
    html = client.get(f"/{loc.tag}/").get_data(as_text=True)  # type: ignore[attr-defined]
    assert f'<html lang="{loc.tag}" dir="{loc.direction}">' in html  # type: ignore[attr-defined]
    first_tel = re.search(r'href="tel:([^"]+)"', html)
    assert first_tel
    assert first_tel.group(1) in ("911", "18883737888")
    assert '<bdi dir="ltr">1-888-373-7888</bdi>' in html
    assert 'id="quick-exit"' in html
    for other in LOCALES:
        assert f'hreflang="{other.tag}"' in html


def test_home_country_follows_config(templates: object, request: pytest.FixtureRequest) -> None:
    """HAVEN_COUNTRY=GB leads with the UK helpline and 999."""
    from tests.conftest import BACKEND, make_app

    app = make_app(BACKEND, templates, request, HAVEN_COUNTRY="GB")  # type: ignore[arg-type]
    html = app.test_client().get("/en/").get_data(as_text=True)
    assert "08000 121 700" in html
    assert "999" in html
    assert "1-888-373-7888" not in html


def test_demo_listing_is_labelled(client: FlaskClient) -> None:
    """Demo results say "Example listing", and a banner says demo data is loaded."""
    html = client.get("/en/search?category=shelter").get_data(as_text=True)
    assert "demo-banner" in html
    assert html.count("Example listing") >= 5
    assert "555-01" in html


def test_detail_page(app: Flask, client: FlaskClient) -> None:
    """Detail: tap to call, languages, hours, verified date and the stale warning."""
    html = client.get("/en/search?q=Fresno+Immigrant+Legal+Clinic").get_data(as_text=True)
    href = re.search(r'href="(/en/services/[^"]+)"', html)
    assert href
    page = client.get(href.group(1)).get_data(as_text=True)
    assert 'href="tel:' in page
    assert "Languages spoken" in page
    assert "Opening hours" in page
    assert ("Verified on" in page or "Not yet verified" in page)
    found_stale = False
    for m in re.finditer(r'href="(/en/services/[^"]+)"', client.get(
            "/en/search?per_page=100&q=example").get_data(as_text=True)):
        if "more than a year ago" in client.get(m.group(1)).get_data(as_text=True):
            found_stale = True
            break
    assert found_stale


def test_rtl_page_keeps_numbers_ltr(client: FlaskClient) -> None:
    """In Arabic every phone number sits in <bdi dir="ltr">."""
    html = client.get("/ar/hotlines").get_data(as_text=True)
    assert 'dir="rtl"' in html
    numbers = re.findall(r'href="(?:tel|sms):[^"]+"><span>[^<]*</span> (<bdi[^>]*>)', html)
    assert numbers
    assert all(b == '<bdi dir="ltr">' for b in numbers)


def test_unknown_locale_and_service_are_404(client: FlaskClient) -> None:
    """Unknown locales and services get a 404 page, not a crash; near misses redirect."""
    assert client.get("/xx/").status_code == 404
    assert client.get("/en/services/nope").status_code == 404
    resp = client.get("/zh-hans/signs")
    assert resp.status_code == 301
    assert resp.headers["Location"].endswith("/zh-Hans/signs")


def test_pages_without_javascript(client: FlaskClient) -> None:
    """The quick exit is a real link and search is a GET form: both work with JS off."""
    html = client.get("/en/").get_data(as_text=True)
    assert re.search(r'<a class="exit" id="quick-exit" href="https://', html)
    assert 'method="get"' in html
    for path in ("signs", "privacy", "about", "languages", "hotlines"):
        assert client.get(f"/en/{path}").status_code == 200


def test_hotlines_page_counts_local_lines_when_there_are_many(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past LOCAL_LISTED, the towns' own lines are counted per country (a national directory
    has thousands; the page is in every phone's offline shell); the national lines are all
    still listed, and the page's town search finds the local line of that town first."""
    from webapp.directory import hotlines

    regional = re.compile(r"\w[\w ]* Regional Support Line")
    listed = client.get("/en/hotlines").get_data(as_text=True)
    assert len(set(regional.findall(listed))) == 6  # the seeded six, listed while few
    national = set(re.findall(r'href="tel:([^"]+)"', listed))
    home = client.get("/en/").get_data(as_text=True)
    assert len(set(regional.findall(home))) == 6  # under "More hotlines" by the same rule
    monkeypatch.setattr(hotlines, "LOCAL_LISTED", 5)
    html = client.get("/en/hotlines").get_data(as_text=True)
    assert not regional.findall(html)
    home = client.get("/en/").get_data(as_text=True)
    assert not regional.findall(home)
    assert {"911", "18883737888"} <= set(re.findall(r'href="tel:([^"]+)"', home))
    assert "United States: 6 local lines" in html
    assert {"911", "18883737888"} <= set(re.findall(r'href="tel:([^"]+)"', html)) < national
    form = re.search(r'<form class="search" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    assert form
    hidden = re.findall(r'type="hidden" name="(\w+)" value="(\w+)"', form.group(2))
    query = "&".join(f"{k}={v}" for k, v in hidden) + "&near=Fresno"
    found = client.get(f"{form.group(1)}?{query}").get_data(as_text=True)
    assert regional.findall(found)[0] == "Fresno Regional Support Line"


def test_near_search_with_nothing_close_offers_the_nearest(client: FlaskClient) -> None:
    """A place with no shelter within the radius is not a spelling mistake: the page says so
    and lists the nearest shelters further away, nearest first; its pager keeps the wider
    radius. A place with one close by is not widened."""
    near = "37.5,-119.0"  # the Sierra: no seeded shelter within 50 km
    html = client.get(f"/en/search?category=shelter&near={near}&per_page=2").get_data(
        as_text=True)
    assert f"Nothing of this kind within 50 km of “\u2068{near}\u2069”" in html
    assert "another spelling" not in html
    km = [float(x) for x in re.findall(r"([\d.]+) km away", html)]
    assert len(km) == 2 and 50 < km[0] <= km[1] <= 500
    nxt = re.search(r'rel="next" href="([^"]+)"', html)
    assert nxt and "radius=500" in nxt.group(1)
    page2 = client.get(nxt.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert min(float(x) for x in re.findall(r"([\d.]+) km away", page2)) >= km[1]
    close = client.get("/en/search?category=shelter&near=Fresno").get_data(as_text=True)
    assert "Nothing of this kind" not in close
    assert all(float(x) <= 50 for x in re.findall(r"([\d.]+) km away", close))


def test_a_search_near_a_place_finds_the_national_lines_first(client: FlaskClient) -> None:
    """911 and the national hotline have no place: they serve every place of the country, so
    a search for emergency or hotline help near a town lists them first (they were missing:
    'emergency near Fresno' found nothing). With no local line within the radius, the
    nearest ones further away follow, said so; with no filter, the notice says nothing is
    listed near there (not 'nothing of this kind')."""
    def dialled(html: str) -> list[str]:
        return re.findall(r'href="tel:([^"]+)"', html.split('class="count"', 1)[1])

    emergency = client.get("/en/search?category=emergency&near=Fresno").get_data(as_text=True)
    assert dialled(emergency)[:1] == ["911"]
    sierra = "37.5,-119.0"
    lines = client.get(f"/en/search?category=hotline&near={sierra}").get_data(as_text=True)
    assert "18883737888" in dialled(lines)[:3]
    assert f"Nothing of this kind within 50 km of “\u2068{sierra}\u2069”" in lines
    km = [float(x) for x in re.findall(r"([\d.]+) km away", lines)]
    assert km and 50 < km[0] and km == sorted(km)  # the regional lines, further away
    anything = client.get(f"/en/search?near={sierra}").get_data(as_text=True)
    assert f"Nothing is listed within 50 km of “\u2068{sierra}\u2069”" in anything
    assert dialled(anything)[:2] == ["911", "18883737888"]
