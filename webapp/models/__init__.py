"""Models, one module per aggregate. Models never import from areas."""

from webapp.models.directory import (
    Language,
    Location,
    Meta,
    OpenSlot,
    Organization,
    Phone,
    Schedule,
    SearchToken,
    SearchVocab,
    Service,
    ServiceAtLocation,
    ServiceTranslation,
    Taxonomy,
    TaxonomyTerm,
    service_terms,
)

__all__ = [
    "Language",
    "Location",
    "Meta",
    "OpenSlot",
    "Organization",
    "Phone",
    "Schedule",
    "SearchToken",
    "SearchVocab",
    "Service",
    "ServiceAtLocation",
    "ServiceTranslation",
    "Taxonomy",
    "TaxonomyTerm",
    "service_terms",
]
