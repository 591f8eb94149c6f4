"""The tables of an HSDS CSV datapackage (3.0 and 3.1) and how their rows nest into HSDS JSON
records: one description for reading a package (csvpackage.py) and writing one
(csv_export.py), so that what one writes the other reads back the same."""

from __future__ import annotations

# Resource name -> file name, as upstream's datapackage.json names them.
FILES = {
    "organization": "organizations.csv", "program": "programs.csv", "service": "services.csv",
    "attribute": "attributes.csv", "service_at_location": "service_at_location.csv",
    "location": "locations.csv", "phone": "phones.csv", "contact": "contacts.csv",
    "address": "addresses.csv", "schedule": "schedules.csv", "funding": "funding.csv",
    "service_area": "service_areas.csv", "required_document": "required_documents.csv",
    "language": "languages.csv", "accessibility": "accessibility.csv",
    "taxonomy_term": "taxonomy_terms.csv", "metadata": "metadata.csv",
    "meta_table_description": "meta_table_descriptions.csv", "cost_option": "cost_options.csv",
    "organization_identifier": "organization_identifiers.csv", "taxonomy": "taxonomies.csv",
    # HSDS 3.1
    "service_capacity": "service_capacity.csv", "unit": "units.csv", "url": "url.csv",
}
TABLE_OF_FILE = {file: table for table, file in FILES.items()}

# Tables whose rows are records of their own (in the order an import shapes them).
ROOTS = ("taxonomy", "taxonomy_term", "organization", "service")

# Where a row of each other table nests: the first of these whose column names a row of the
# package, as (column, parent table, the parent's list property). Haven's modelled homes come
# first (a service's phones, schedules, languages; a place's own schedules), so a row naming
# several parents (upstream's example names five) is shown where Haven uses it.
HOMES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "phone": (("service_id", "service", "phones"),
              ("service_at_location_id", "service_at_location", "phones"),
              ("location_id", "location", "phones"), ("contact_id", "contact", "phones"),
              ("organization_id", "organization", "phones")),
    "schedule": (("service_at_location_id", "service_at_location", "schedules"),
                 ("service_id", "service", "schedules"),
                 ("location_id", "location", "schedules")),
    "language": (("service_id", "service", "languages"), ("phone_id", "phone", "languages"),
                 ("location_id", "location", "languages")),
    "contact": (("service_at_location_id", "service_at_location", "contacts"),
                ("service_id", "service", "contacts"), ("location_id", "location", "contacts"),
                ("organization_id", "organization", "contacts")),
    "address": (("location_id", "location", "addresses"),),
    "accessibility": (("location_id", "location", "accessibility"),),
    "funding": (("service_id", "service", "funding"),
                ("organization_id", "organization", "funding")),
    "service_area": (("service_at_location_id", "service_at_location", "service_areas"),
                     ("service_id", "service", "service_areas")),
    "required_document": (("service_id", "service", "required_documents"),),
    "cost_option": (("service_id", "service", "cost_options"),),
    "program": (("organization_id", "organization", "programs"),),
    "organization_identifier": (("organization_id", "organization",
                                 "organization_identifiers"),),
    "service_at_location": (("service_id", "service", "service_at_locations"),),
    # A location with no organisation in the package nests in the first place naming it.
    "location": (("organization_id", "organization", "locations"),),
    "service_capacity": (("service_id", "service", "capacities"),),
    "url": (("service_id", "service", "additional_urls"),
            ("organization_id", "organization", "additional_websites")),
}

# Rows that may belong to a row of any table: (column naming it, columns naming its table,
# the property holding them).
LINKS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "attribute": ("link_id", ("link_type", "link_entity"), "attributes"),
    "metadata": ("resource_id", ("resource_type",), "metadata"),
}

# One object nested under a property, named by a column of the object holding it:
# (table, property) -> (column, table of the nested object).
SINGLES: dict[tuple[str, str], tuple[str, str]] = {
    ("service_at_location", "location"): ("location_id", "location"),
    ("service_at_location", "service"): ("service_id", "service"),
    ("service_capacity", "unit"): ("unit_id", "unit"),
    ("service", "organization"): ("organization_id", "organization"),
    ("service", "program"): ("program_id", "program"),
    ("attribute", "taxonomy_term"): ("taxonomy_term_id", "taxonomy_term"),
    ("taxonomy_term", "taxonomy_detail"): ("taxonomy_id", "taxonomy"),
}

# The rows of a package that name no row of it (an attribute of a record not in the
# package, a table of Haven's own or of nobody's) are kept, as given, under this property of
# the package's first organisation by id (else its first service), by table.
UNLINKED = "haven_unlinked"
# In a package Haven writes, the column of such a row naming the record it is kept with, so
# that importing the package puts it back there.
KEPT_WITH = "haven_kept_with"

# The columns of 3.1's own tables, for a schema folder of 3.0, which has none of them.
COLUMNS_31 = {
    "service_capacity": ("id", "service_id", "unit_id", "available", "maximum", "description",
                         "updated"),
    "unit": ("id", "name", "scheme", "identifier", "uri"),
    "url": ("id", "label", "url", "organization_id", "service_id"),
}

# Columns that are not text, for a package with no descriptor to say (HSDS 3.0 and 3.1).
NUMBERS = frozenset({
    ("organization", "year_incorporated"), ("service", "minimum_age"),
    ("service", "maximum_age"), ("location", "latitude"), ("location", "longitude"),
    ("phone", "extension"), ("schedule", "timezone"), ("schedule", "count"),
    ("schedule", "interval"), ("cost_option", "amount"), ("service_capacity", "available"),
    ("service_capacity", "maximum")})


def children() -> dict[tuple[str, str], tuple[str, str]]:
    """(table, list property) -> (table of its items, the items' column naming the holder),
    for writing nested objects back as rows."""
    out = {(parent, prop): (child, column) for child, homes in HOMES.items()
           for column, parent, prop in homes}
    out[("organization", "services")] = ("service", "organization_id")
    return out


def linked(prop: str) -> tuple[str, str] | None:
    """(table, column naming the holder) of a property any object may have (attributes,
    metadata), else None."""
    for table, (column, _kinds, name) in LINKS.items():
        if name == prop:
            return table, column
    return None
