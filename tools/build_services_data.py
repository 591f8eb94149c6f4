"""Build services_data/ (HSDS 3.0 JSON): verified hotlines plus a fictional demo region.

Run: python tools/build_services_data.py  (deterministic; commit its output)

Hotlines come only from reference/hotlines.csv (sourced; see reference/README.md); the few
numbers and hours in it still unconfirmed or conflicting are left out (listed below). Demo
listings use US fictional 555-01xx numbers and say so (haven_example_listing).
"""

from __future__ import annotations

import csv
import json
import random
import re
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "reference"
OUT = ROOT / "services_data"
NS = uuid.UUID("a7c1f4b2-5e3d-4f60-9c11-2b8e7d6a5f40")
TAXNS = uuid.UUID("5a1c7d0e-3f52-4c8e-9a59-6c2f1a0b7e11")


def uid(*parts: object) -> str:
    return str(uuid.uuid5(NS, "/".join(map(str, parts))))


def term(taxonomy: str, code: str) -> dict:
    tid = str(uuid.uuid5(TAXNS, f"{taxonomy}/{code}"))
    return {"id": uid("attr", tid), "taxonomy_term_id": tid, "link_type": "service",
            "taxonomy_term": {"id": tid, "code": code, "name": code, "description": code,
                              "taxonomy": taxonomy,
                              "taxonomy_id": str(uuid.uuid5(TAXNS, taxonomy))}}


# Left out on purpose: their sources disagree or their current status could not be confirmed.
UNCONFIRMED_NUMBERS = {"0703 000 0203"}  # NG NAPTIP hotline: current status unverified
# ZA Salvation Army: its number is written two ways in the sources.
EXCLUDED_ROWS = {("ZA", "Human trafficking helpline (08000 RESCU)")}
CONFLICTING_HOURS = {("NL", "Landelijke helpdesk mensenhandel"),
                     ("PT", "Linha de Apoio à Vítima (EU 116 006)")}
ZONES = {"US": "America/New_York", "CA": "America/Toronto", "MX": "America/Mexico_City",
         "GB": "Europe/London", "IE": "Europe/Dublin", "DE": "Europe/Berlin",
         "FR": "Europe/Paris", "ES": "Europe/Madrid", "IT": "Europe/Rome",
         "NL": "Europe/Amsterdam", "PL": "Europe/Warsaw", "RO": "Europe/Bucharest",
         "UA": "Europe/Kyiv", "GR": "Europe/Athens", "PT": "Europe/Lisbon",
         "EU": "Europe/Brussels", "AU": "Australia/Sydney", "NZ": "Pacific/Auckland",
         "IN": "Asia/Kolkata", "PH": "Asia/Manila", "TH": "Asia/Bangkok",
         "VN": "Asia/Ho_Chi_Minh", "NG": "Africa/Lagos", "ZA": "Africa/Johannesburg",
         "BR": "America/Sao_Paulo"}
LANG_CODES = {"english": "en", "spanish": "es", "french": "fr", "german": "de",
              "polish": "pl", "russian": "ru", "ukrainian": "uk", "portuguese": "pt",
              "vietnamese": "vi", "italian": "it", "arabic": "ar", "persian": "fa",
              "albanian": "sq"}
_NUMBER = re.compile(r"^\(?\+?\d[\d\s\-()]*\d")


def split_numbers(local: str) -> list[tuple[str, str]]:
    out = []
    for part in re.split(r";", local):
        part = part.strip()
        m = _NUMBER.match(part)
        if not m:
            continue
        number = m.group(0).strip()
        if number.endswith("(") or number.count("(") != number.count(")"):
            number = number.rsplit("(", 1)[0].strip()
        if number in UNCONFIRMED_NUMBERS:
            continue
        note = part[m.end():].strip(" ()")
        out.append((number, note))
    return out


def hotline_services() -> list[dict]:
    services = []
    with (REF / "hotlines.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if "CONFLICT" in row["phone_local"]:
                continue  # NZ migrant-exploitation line: two numbers in the sources
            country = row["country"]
            if (country, row["service"]) in EXCLUDED_ROWS:
                continue
            sid = uid("hotline", country, row["service"])
            emergency = ("emergency" in row["service"].lower()
                         or "emergency" in row["organization"].lower()
                         or row["service"].startswith(("Triple Zero", "112", "Police")))
            phones = []
            for i, (number, note) in enumerate(split_numbers(row["phone_local"])):
                phones.append({"id": uid(sid, "phone", i), "number": number, "type": "voice",
                               **({"description": note} if note else {})})
            text = re.search(r"Text (\d{4,})", row["sms"] or "")
            if text:
                phones.append({"id": uid(sid, "sms"), "number": text.group(1), "type": "sms",
                               "description": "Text line"})
            if not phones:
                continue
            hours = row["hours"]
            if (country, row["service"]) in CONFLICTING_HOURS:
                hours = ""
            schedules = []
            if re.match(r"^24", hours) or hours.startswith("24/7"):
                schedules.append({"id": uid(sid, "sched"), "freq": "WEEKLY",
                                  "byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": "00:00",
                                  "closes_at": "23:59", "description": hours,
                                  "haven_timezone": ZONES.get(country, "UTC")})
            daily = re.match(r"Daily (\d\d:\d\d)-(\d\d:\d\d)", hours)
            if daily:
                schedules.append({"id": uid(sid, "sched"), "freq": "WEEKLY",
                                  "byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": daily.group(1),
                                  "closes_at": daily.group(2), "description": hours,
                                  "haven_timezone": ZONES.get(country, "UTC")})
            langs = []
            for name, code in LANG_CODES.items():
                if name in row["languages"].lower():
                    langs.append({"id": uid(sid, "lang", code), "code": code,
                                  "name": name.title()})
            source_url = re.search(r"https?://\S+", row["source"])
            desc = [f"Operated by {row['organization']}."]
            if hours and hours.lower() != "not stated" and not schedules:
                desc.append(f"Hours (as published): {hours}.")
            if row["languages"] and row["languages"] not in ("Not stated", ""):
                desc.append(f"Languages (as published): {row['languages']}.")
            if row["sms"] and row["sms"] not in ("None", ""):
                desc.append(f"Other ways to reach them: {row['sms']}.")
            org_id = uid("org", country, row["organization"])
            services.append({
                "id": sid,
                "organization_id": org_id,
                "organization": {"id": org_id, "name": row["organization"],
                                 "description": row["organization"]},
                "name": row["service"],
                "description": " ".join(desc),
                "status": "active",
                "phones": phones,
                "schedules": schedules,
                "languages": langs,
                "cost_options": [] if "charged" in row["phone_e164"] else [
                    {"id": uid(sid, "cost"), "option": "Free", "amount": 0}],
                "attributes": [term("haven-categories", "emergency" if emergency else "hotline")],
                "haven_country": country,
                "haven_rank": 20 if emergency else 10,
                "haven_source": {"url": (source_url.group(0).rstrip(",;") if source_url
                                         else row["source"]), "quote": row["quote"]},
                "last_modified": "2026-11-01T00:00:00Z",
            })
    return services


CITIES = [  # real city centres, fictional services
    ("Los Angeles", "CA", 34.0522, -118.2437, "213"),
    ("San Diego", "CA", 32.7157, -117.1611, "619"),
    ("Sacramento", "CA", 38.5816, -121.4944, "916"),
    ("San Francisco", "CA", 37.7749, -122.4194, "415"),
    ("Fresno", "CA", 36.7378, -119.7871, "559"),
    ("Oakland", "CA", 37.8044, -122.2712, "510"),
    ("San Jose", "CA", 37.3382, -121.8863, "408"),
    ("Bakersfield", "CA", 35.3733, -119.0187, "661"),
]
KINDS = {
    "shelter": ("Safe Haven House", "Emergency shelter with private rooms, meals and case "
                "management for survivors of trafficking.", ["women", "families", "minors"]),
    "legal-aid": ("Immigrant Legal Clinic", "Free lawyers help with T visas, U visas, "
                  "labour claims and court dates.", ["foreign-nationals"]),
    "counselling": ("Trauma Counselling Center", "Counselling for trauma, anxiety and "
                    "depression, one to one or in groups.", ["women", "men", "lgbtq"]),
    "medical": ("Community Health Clinic", "Walk-in medical care, sexual health, and "
                "medical exams, whatever your papers.", ["families"]),
    "immigration": ("Migrant Rights Desk", "Advice on visas, work permits and asylum, and "
                    "help replacing taken documents.", ["foreign-nationals"]),
    "employment": ("Fair Work Center", "Job training, help recovering unpaid wages, and "
                   "safe job placements.", ["men", "women"]),
    "children-youth": ("Youth Drop-In", "A safe place for young people under 21: meals, "
                       "showers, support workers.", ["minors", "lgbtq"]),
    "basic-needs": ("Food and Clothing Pantry", "Free groceries, clothes, hygiene kits and "
                    "phone charging.", ["families"]),
    "hotline": ("Regional Support Line", "A confidential phone and text line that listens "
                "and refers you to local help.", ["women", "men"]),
    "counselling2": ("Peer Support Circle", "Survivor-led peer support groups in several "
                     "languages.", ["women", "lgbtq"]),
}
LANG_POOL = [("en", "English"), ("es", "Spanish"), ("zh", "Chinese"), ("vi", "Vietnamese"),
             ("ar", "Arabic"), ("ru", "Russian"), ("uk", "Ukrainian"), ("fa", "Persian"),
             ("ti", "Tigrinya"), ("hi", "Hindi"), ("tl", "Tagalog"), ("ko", "Korean")]
TRANSLATED_KIND = {
    "es": {"shelter": "Casa Refugio Seguro", "legal-aid": "Clínica Legal para Inmigrantes",
           "counselling": "Centro de Consejería", "medical": "Clínica de Salud Comunitaria"},
    "zh-Hans": {"shelter": "安全庇护所", "legal-aid": "移民法律援助诊所",
                "counselling": "心理咨询中心", "medical": "社区医疗诊所"},
    "ar": {"shelter": "دار المأوى الآمن", "legal-aid": "عيادة المساعدة القانونية للمهاجرين",
           "counselling": "مركز الاستشارة النفسية", "medical": "العيادة الصحية المجتمعية"},
    "vi": {"shelter": "Nhà tạm lánh an toàn", "legal-aid": "Phòng khám pháp lý cho người nhập cư",
           "counselling": "Trung tâm tư vấn", "medical": "Phòng khám sức khỏe cộng đồng"},
    "ru": {"shelter": "Приют «Безопасный дом»", "legal-aid": "Юридическая клиника для мигрантов",
           "counselling": "Центр психологической помощи", "medical": "Общественная клиника"},
}
TRANSLATED_DESC = {
    "es": "Servicio de ejemplo (ficticio). Llame para pedir ayuda en español.",
    "zh-Hans": "示例服务（虚构）。请致电寻求帮助。",
    "ar": "خدمة تجريبية (وهمية). اتصل لطلب المساعدة.",
    "vi": "Dịch vụ mẫu (hư cấu). Hãy gọi để được giúp đỡ.",
    "ru": "Пример услуги (вымышленной). Позвоните, чтобы получить помощь.",
}


def schedule_for(rng: random.Random, sid: str, kind: str, i: int) -> list[dict]:
    tz = "America/Los_Angeles"
    base = {"freq": "WEEKLY", "haven_timezone": tz, "timezone": -8}
    if kind in ("shelter", "hotline") or i % 9 == 0:
        return [{**base, "id": uid(sid, "s0"), "byday": "MO,TU,WE,TH,FR,SA,SU",
                 "opens_at": "00:00", "closes_at": "23:59", "description": "Open 24/7"}]
    if i % 7 == 3:  # almost always closed: one short weekly session
        return [{**base, "id": uid(sid, "s0"), "byday": "SU", "opens_at": "10:00",
                 "closes_at": "11:00", "description": "Sunday group only"}]
    if i % 5 == 0:  # evenings, including past midnight on Fridays
        return [{**base, "id": uid(sid, "s0"), "byday": "MO,TU,WE,TH", "opens_at": "17:00",
                 "closes_at": "21:00"},
                {**base, "id": uid(sid, "s1"), "byday": "FR", "opens_at": "18:00",
                 "closes_at": "02:00"}]
    return [{**base, "id": uid(sid, "s0"), "byday": "MO,TU,WE,TH,FR", "opens_at": "09:00",
             "closes_at": "17:00"}]


def demo_services() -> list[dict]:
    rng = random.Random(52)  # deterministic
    services = []
    phone_no = 100
    i = 0
    for city, state, lat, lng, area in CITIES:
        for kind_key, (kind_name, desc, pops) in KINDS.items():
            code = kind_key.rstrip("2")
            if city in ("Bakersfield", "Oakland") and code in ("hotline", "employment"):
                continue
            i += 1
            sid = uid("demo", city, kind_key)
            org_id = uid("demo-org", city, code)
            confidential = code == "shelter"
            langs = [LANG_POOL[0]] + rng.sample(LANG_POOL[1:], 2 + i % 3)
            name = f"{city} {kind_name}"
            loc_id = uid(sid, "loc")
            jitter_lat, jitter_lng = rng.uniform(-0.04, 0.04), rng.uniform(-0.04, 0.04)
            number = f"({area}) 555-0{phone_no:03d}"[:-4] + f"{phone_no:04d}"
            phone_no = phone_no + 1 if phone_no < 199 else 100
            cats = [term("haven-categories", code)]
            if code == "shelter":
                cats.append(term("haven-categories", "basic-needs"))
            if code == "legal-aid" and i % 2:
                cats.append(term("haven-categories", "immigration"))
            svc = {
                "id": sid,
                "organization_id": org_id,
                "organization": {"id": org_id, "name": f"{city} Example Network",
                                 "description": "A fictional organisation for the demo."},
                "name": name,
                "description": desc,
                "status": "temporarily closed" if i == 17 else "active",
                "eligibility_description": "Anyone affected by trafficking or exploitation.",
                "assured_date": "2024-02-10" if i % 6 == 0 else "2026-09-15",
                "phones": [{"id": uid(sid, "p0"), "number": number, "type": "voice",
                            "languages": [{"id": uid(sid, "pl", c), "code": c}
                                          for c, _n in langs[:2]]}],
                "schedules": schedule_for(rng, sid, code, i),
                "languages": [{"id": uid(sid, "l", c), "code": c, "name": n} for c, n in langs],
                "cost_options": ([{"id": uid(sid, "c"), "option": "Free", "amount": 0}]
                                 if i % 4 else []),
                "attributes": cats + [term("haven-populations", p) for p in pops],
                "service_at_locations": [{
                    "id": uid(sid, "sal"),
                    "location": {
                        "id": loc_id, "location_type": "physical",
                        "name": f"{city} {'intake' if confidential else 'office'}",
                        "latitude": round(lat + jitter_lat, 5),
                        "longitude": round(lng + jitter_lng, 5),
                        "confidential": confidential,
                        "addresses": [{"id": uid(loc_id, "addr"),
                                       "address_1": f"{100 + i} Example Street",
                                       "city": city, "state_province": state,
                                       "postal_code": "00000", "country": "US",
                                       "address_type": "physical"}],
                    },
                }],
                "haven_country": "US",
                "haven_example_listing": True,
                "last_modified": "2026-11-01T00:00:00Z",
            }
            if i % 10 == 2:
                svc["phones"].append({"id": uid(sid, "p1"), "number": number,
                                      "type": "sms"})
            if i % 10 == 5:
                svc["phones"].append({"id": uid(sid, "p2"), "number": number,
                                      "type": "whatsapp"})
            slug = name.lower().replace(" ", "-")
            if i % 3 == 0 and not confidential:  # reserved example domains (RFC 2606)
                svc["url"] = f"https://example.org/{slug}"
            if i % 3 != 2:
                svc["email"] = f"{slug}@example.org"
            if i % 8 == 1:
                svc["alert"] = "Example alert: intake is by phone only this month."
            if code in TRANSLATED_KIND["es"] and i % 2 == 1:
                svc["haven_translations"] = {
                    loc: {"name": f"{names[code]} ({city})", "description": TRANSLATED_DESC[loc]}
                    for loc, names in TRANSLATED_KIND.items()
                }
            services.append(svc)
    return services


def main() -> None:
    OUT.mkdir(exist_ok=True)
    hot = hotline_services()
    demo = demo_services()
    (OUT / "hotlines.json").write_text(json.dumps(hot, ensure_ascii=False, indent=1) + "\n",
                                       encoding="utf-8")
    (OUT / "demo-region.json").write_text(json.dumps(demo, ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
    print(f"hotlines: {len(hot)} services; demo: {len(demo)} services")  # noqa: T201


if __name__ == "__main__":
    main()
