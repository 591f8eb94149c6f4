"""Models, one module per aggregate. Models never import from areas."""

from webapp.models.directory import (
    Language,
    Location,
    Meta,
    OpenSlot,
    Organization,
    Phone,
    Schedule,
    SearchChange,
    SearchDoc,
    SearchVocab,
    Service,
    ServiceAtLocation,
    ServiceTranslation,
    Taxonomy,
    TaxonomyTerm,
    service_terms,
)
from webapp.models.editor import ListingRevision
from webapp.models.posters import Campaign, CampaignDay
from webapp.models.reports import ListingReport
from webapp.models.staff import AuditEntry, StaffInvite, StaffUser
from webapp.models.tips import (
    IdempotencyKey,
    OrgKey,
    Tip,
    TipMessage,
    TipNote,
    TipPhoto,
)

__all__ = [
    "AuditEntry",
    "Campaign",
    "CampaignDay",
    "IdempotencyKey",
    "OrgKey",
    "StaffInvite",
    "StaffUser",
    "Tip",
    "TipMessage",
    "TipNote",
    "TipPhoto",
    "Language",
    "ListingReport",
    "ListingRevision",
    "Location",
    "Meta",
    "OpenSlot",
    "Organization",
    "Phone",
    "Schedule",
    "SearchChange",
    "SearchDoc",
    "SearchVocab",
    "Service",
    "ServiceAtLocation",
    "ServiceTranslation",
    "Taxonomy",
    "TaxonomyTerm",
    "service_terms",
]
