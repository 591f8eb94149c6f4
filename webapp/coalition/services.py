"""Member organisations: adding them, finding the hub and the members a tip may go to."""

from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import select

from webapp import clock
from webapp.extensions import db
from webapp.models import Member, Organization, OrgKey, Service
from webapp.models.coalition import MEMBER_KINDS
from webapp.tips import crypto

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")


class MemberError(ValueError):
    """A member organisation could not be added; the message names the problem."""


def by_slug(slug: str) -> Member | None:
    """The member with this slug, or None."""
    return db.session.scalar(select(Member).where(Member.slug == slug))  # type: ignore[no-any-return]


def find_listing_org(org: str, for_slug: str = "") -> str:
    """The id of the directory organisation named by its id or exact name, or by the id or
    exact name of one of its listings; MemberError when none or several match (naming each
    candidate's id and listings), or when another member already runs its listings (one
    member per organisation)."""
    wanted = org.strip()
    found = list(dict.fromkeys(db.session.scalars(select(Organization.id).where(
        (Organization.id == wanted.lower()) | (Organization.name == wanted))
        .order_by(Organization.id))))
    if not found:
        found = list(dict.fromkeys(str(i) for i in db.session.scalars(
            select(Service.organization_id).where(
                (Service.id == wanted.lower()) | (Service.name == wanted),
                Service.organization_id.is_not(None)).order_by(Service.organization_id))))
    if not found:
        raise MemberError(f"--listings {org!r}: no directory organisation or listing has this "
                          "id or exact name")
    if len(found) > 1:
        # Linking gives the member's editors these listings: never guess between namesakes.
        raise MemberError(f"--listings {org!r} names {len(found)} directory organisations; "
                          "give the id of the one whose listings this member runs:\n"
                          + "\n".join(f"  {oid}  {_listing_names(oid)}" for oid in found))
    taken = db.session.scalar(select(Member.slug).where(Member.organization_id == found[0],
                                                        Member.slug != for_slug))
    if taken:
        raise MemberError(f"--listings {org!r}: member {taken!r} already runs these listings")
    return str(found[0])


def _listing_names(org_id: str) -> str:
    names = db.session.scalars(select(Service.name).where(Service.organization_id == org_id)
                               .order_by(Service.name)).all()
    return "; ".join(names) if names else "(no listings)"


def add(slug: str, name: str, kind: str, listings: str = "") -> Member:
    """A new member organisation (no key yet: `keys init --org SLUG`); commit."""
    if not SLUG.fullmatch(slug):
        raise MemberError("the slug must be 2 to 40 lower-case letters, digits or dashes, "
                          "starting with a letter or digit")
    if kind not in MEMBER_KINDS:
        raise MemberError(f"--kind must be one of {', '.join(MEMBER_KINDS)}, not {kind!r}")
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise MemberError("--name must have 1 to 120 characters")
    if by_slug(slug) is not None:
        raise MemberError(f"a member organisation {slug!r} already exists")
    member = Member(slug=slug, name=name, kind=kind,
                    organization_id=find_listing_org(listings) if listings else None,
                    created_at=clock.now())
    db.session.add(member)
    db.session.commit()
    return member


def edit(slug: str, name: str = "", kind: str = "", listings: str = "") -> Member:
    """Rename a member, change its kind or the listings it runs (the default organisation
    starts as "Default organisation", an NGO); commit."""
    member = by_slug(slug)
    if member is None:
        raise MemberError(f"no member organisation {slug!r} (see: flask --app app orgs list)")
    if kind and kind not in MEMBER_KINDS:
        raise MemberError(f"--kind must be one of {', '.join(MEMBER_KINDS)}, not {kind!r}")
    name = " ".join(name.split())
    if len(name) > 120:
        raise MemberError("--name must have 1 to 120 characters")
    member.name = name or member.name
    member.kind = kind or member.kind
    if listings:
        member.organization_id = find_listing_org(listings, slug)
    db.session.commit()
    return member


def current_key(member_id: int) -> OrgKey | None:
    """The member's newest key, or None when it has none yet."""
    return db.session.scalar(select(OrgKey).where(OrgKey.member_id == member_id)  # type: ignore[no-any-return]
                             .order_by(OrgKey.id.desc()).limit(1))


def new_key(slug: str, passphrase: str, rotate: bool = False) -> Member:
    """Make a member's key pair, the private key stored only sealed under the passphrase
    (Argon2id, as hard as HAVEN_PASSPHRASE_KDF says); commit. Tips already stored stay sealed
    to the key they were sent to. MemberError for an unknown member, or one that has a key
    already unless rotate."""
    member = by_slug(slug)
    if member is None:
        raise MemberError(f"--org {slug!r}: no such member organisation (see: flask --app app "
                          "orgs list)")
    if current_key(member.id) is not None and not rotate:
        raise MemberError(f"{slug!r} already has a key (use --rotate to make a new one)")
    strength = current_app.config["HAVEN_PASSPHRASE_KDF"]
    argon = crypto.pwhash.argon2id
    if current_app.config["HAVEN_FAST_HASHING"]:
        ops, mem = argon.OPSLIMIT_MIN, argon.MEMLIMIT_MIN
    elif strength == "interactive":
        ops, mem = argon.OPSLIMIT_INTERACTIVE, argon.MEMLIMIT_INTERACTIVE
    else:
        ops, mem = crypto.PASSPHRASE_OPS, crypto.PASSPHRASE_MEM
    made = crypto.make_org_key(passphrase, ops, mem)
    db.session.add(OrgKey(public_key=made.public_key, sealed_private=made.sealed_private,
                          kdf_salt=made.salt, kdf_ops=made.ops, kdf_mem=made.mem,
                          created_hour=clock.hour(), member_id=member.id))
    db.session.commit()
    return member


def roster() -> list[tuple[Member, bool]]:
    """Every member by slug, with whether it has a key."""
    with_key = set(db.session.scalars(select(OrgKey.member_id).distinct()))
    return [(m, m.id in with_key)
            for m in db.session.scalars(select(Member).order_by(Member.slug))]


def hub() -> Member | None:
    """The member tips go to unless the tipster chose another (HAVEN_HUB_ORG)."""
    return by_slug(current_app.config["HAVEN_HUB_ORG"])


def tip_recipients() -> list[Member]:
    """The members a tipster may choose between (HAVEN_TIP_RECIPIENTS), those with a key; the
    form offers a choice only when there are two or more."""
    wanted = current_app.config["HAVEN_TIP_RECIPIENTS"]
    if not wanted:
        return []
    members = db.session.scalars(select(Member).where(Member.slug.in_(wanted))).all()
    keyed = set(db.session.scalars(select(OrgKey.member_id).distinct()))
    order = {slug: i for i, slug in enumerate(wanted)}
    return sorted((m for m in members if m.id in keyed), key=lambda m: order[m.slug])


def partners(member_id: int) -> list[Member]:
    """The other members with a key: those a referral can go to."""
    keyed = select(OrgKey.member_id).distinct()
    return list(db.session.scalars(select(Member).where(Member.id != member_id,
                                                        Member.id.in_(keyed))
                                   .order_by(Member.name)))


def names() -> dict[int, Member]:
    """Every member by id."""
    return {m.id: m for m in db.session.scalars(select(Member))}
