"""'Near' understands a town as people type it, and a place it does not know never hides the
results: the search runs without it and the page says so."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.digit_scripts import SCRIPTS, in_script
from webapp.search import places

# Runs again on PostgreSQL in the second phase of scripts/test.sh.
pytestmark = pytest.mark.postgres

CARD_IDS = re.compile(r'href="/[\w-]+/services/([0-9a-f-]{36})"')


def result_ids(html: str) -> list[str]:
    return list(dict.fromkeys(CARD_IDS.findall(html)))


def first_town(html: str) -> str:
    """The town the first result card names."""
    card = html.split('class="card', 1)[1].split("</li>", 1)[0]
    return card


@pytest.mark.parametrize("typed", [
    "Fresno", "fresno", "FRESNO", "Fresno, CA", "Fresno CA", "fresno, california",
    "Fresno, CA, USA", "  Fresno ,CA ", "Frésno", "فريسنو", "فرزنو", "ፍረስኖ", "Фресно",
    "downtown Fresno",
])
def test_a_town_as_typed_sorts_by_distance_from_it(app: Flask, typed: str) -> None:
    client = app.test_client()
    plain = client.get("/en/search", query_string={"q": "legal", "near": "Fresno"})
    asked = client.get("/en/search", query_string={"q": "legal", "near": typed})
    assert asked.status_code == 200
    html = asked.get_data(as_text=True)
    assert "could not find" not in html and "do not understand" not in html
    assert result_ids(html) == result_ids(plain.get_data(as_text=True))
    assert result_ids(html), "a search near Fresno finds the Fresno listings"
    assert "Fresno" in first_town(html)


@pytest.mark.parametrize("lang", ["en", "ar", "fa", "ti"])
@pytest.mark.parametrize("typed", ["Visalia", "Nowhere, ZZ", "xq"])
def test_an_unknown_place_keeps_the_results_and_says_so(app: Flask, lang: str,
                                                        typed: str) -> None:
    client = app.test_client()
    without = client.get(f"/{lang}/search", query_string={"q": "shelter"})
    asked = client.get(f"/{lang}/search", query_string={"q": "shelter", "near": typed})
    assert asked.status_code == 200
    html = asked.get_data(as_text=True)
    assert result_ids(html) == result_ids(without.get_data(as_text=True))
    assert result_ids(html)
    notice = re.search(r'<p class="notice" role="status">(.*?)</p>', html, re.S)
    assert notice and typed.strip() in notice.group(1)
    # What was typed stays in the box, to be corrected.
    assert re.search(rf'id="f-near" name="near" value="{re.escape(typed)}"', html)


def test_the_api_refuses_a_place_it_cannot_find(app: Flask) -> None:
    """A program asking near an unknown place gets a 400 naming the parameter, not every
    service in the country as if it were near."""
    client = app.test_client()
    r = client.get("/api/hsds/services", query_string={"near": "Visalia"})
    assert r.status_code == 400
    assert client.get("/api/hsds/services", query_string={"near": "Fresno, CA"}).status_code \
        == 200


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lat=st.floats(-89, 89).map(lambda v: round(v, 3)),
       lng=st.floats(-179, 179).map(lambda v: round(v, 3)), zero=SCRIPTS,
       comma=st.sampled_from([",", "،", ", ", "٬"]), point=st.sampled_from([".", "٫"]))
def test_coordinates_in_any_digits(app: Flask, lat: float, lng: float, zero: int, comma: str,
                                   point: str) -> None:
    typed = in_script(f"{lat:.3f}".replace(".", point), zero) + comma + in_script(
        f"{lng:.3f}".replace(".", point), zero)
    with app.app_context():
        got = places.point_of(typed)
    assert got == pytest.approx((lat, lng))


def test_sms_finds_the_town_in_other_scripts(app: Flask) -> None:
    from webapp.sms.services import split_place

    with app.test_request_context("/"):
        fresno = places.point_of("Fresno")
        assert split_place("مأوى فريسنو") == ("مأوى", [fresno[0], fresno[1]])  # type: ignore[index]
        assert split_place("shelter Fresno, CA")[1] == [fresno[0], fresno[1]]  # type: ignore[index]
        assert split_place("shelter Visalia") == ("shelter Visalia", None)


@pytest.mark.parametrize("query", [
    "endpoint=x", "_anchor=x", "_method=POST", "_external=1&_scheme=javascript", "lang=//evil",
    "values=1", "q=shelter&endpoint=directory.home&_external=1",
])
@pytest.mark.parametrize("path", ["/en/search", "/en/", "/search", "/en/search?q=a&page=2"])
def test_names_url_for_reserves_never_break_a_page(app: Flask, query: str, path: str) -> None:
    """Links built from the query (language switcher, pages, the language redirect) ignore
    names url_for would read as its own: no 500, and no link to another scheme or host."""
    client = app.test_client()
    sep = "&" if "?" in path else "?"
    r = client.get(f"{path}{sep}{query}")
    assert r.status_code in (200, 302), (path, query, r.status_code)
    body = r.get_data(as_text=True) + r.headers.get("Location", "")
    assert "javascript:" not in body and "//evil" not in body


@pytest.mark.parametrize(("lang", "q"), [("ar", "مأوى فريسنو"), ("fa", "سرپناه فرزنو"),
                                         ("ti", "መዕቆቢ ፍሬዝኖ"), ("en", "shelter Fresno")])
def test_a_town_named_in_the_query_in_any_language_ranks_its_listings_first(
        app: Flask, lang: str, q: str) -> None:
    """The town's name in the reader's language is a word of its listings, as its English
    name is: "مأوى فريسنو" puts Fresno's shelter first, not Bakersfield's."""
    html = app.test_client().get(f"/{lang}/search", query_string={"q": q}).get_data(
        as_text=True)
    cards = re.findall(r'<li class="card.*?</li>', html, re.S)
    assert cards
    assert "Fresno" in re.search(r'<p class="where">(.*?)</p>', cards[0]).group(1)  # type: ignore[union-attr]
