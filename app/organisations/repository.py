"""Queries for organisations and API clients."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.organisations.models import ApiClient, Organisation, OrganisationSso, StaffUser


async def insert_organisation(session: AsyncSession, **values: Any) -> Organisation:
    org = Organisation(**values)
    session.add(org)
    await session.flush()
    return org


async def get_organisation(session: AsyncSession, org_id: uuid.UUID) -> Organisation | None:
    return await session.get(Organisation, org_id)


async def list_organisations(
    session: AsyncSession, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.created_at, Organisation.id).limit(limit + 1)
    if after is not None:
        query = query.where(tuple_(Organisation.created_at, Organisation.id) > tuple_(*after))
    return list((await session.scalars(query)).all())


async def insert_client(session: AsyncSession, **values: Any) -> ApiClient:
    client = ApiClient(**values)
    session.add(client)
    await session.flush()
    return client


async def get_client(session: AsyncSession, client_id: str) -> ApiClient | None:
    return await session.get(ApiClient, client_id)


async def list_clients(session: AsyncSession, org_id: uuid.UUID) -> list[ApiClient]:
    query = select(ApiClient).where(ApiClient.org_id == org_id).order_by(ApiClient.created_at)
    return list((await session.scalars(query)).all())


async def disable_client(session: AsyncSession, client_id: str) -> ApiClient | None:
    result = await session.execute(
        update(ApiClient)
        .where(ApiClient.client_id == client_id)
        .values(disabled_at=func.coalesce(ApiClient.disabled_at, func.now()))
        .returning(ApiClient)
    )
    return result.scalar_one_or_none()


async def insert_staff(session: AsyncSession, **values: Any) -> StaffUser:
    staff = StaffUser(**values)
    session.add(staff)
    await session.flush()
    return staff


async def get_staff(session: AsyncSession, staff_id: uuid.UUID) -> StaffUser | None:
    return await session.get(StaffUser, staff_id)


async def staff_of_org(session: AsyncSession, org_id: uuid.UUID, email: str) -> StaffUser | None:
    query = select(StaffUser).where(StaffUser.org_id == org_id, StaffUser.email == email)
    return (await session.scalars(query)).first()


async def enabled_staff_by_email(session: AsyncSession, email: str) -> list[tuple[StaffUser, str]]:
    """Every enabled staff user with this address, with their organisation's name (platform scope)."""
    query = (
        select(StaffUser, Organisation.name)
        .join(Organisation, Organisation.id == StaffUser.org_id)
        .where(StaffUser.email == email, StaffUser.disabled_at.is_(None))
        .order_by(StaffUser.created_at, StaffUser.id)  # the earliest membership first: see staff_signing_in
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def list_staff(session: AsyncSession, org_id: uuid.UUID) -> list[StaffUser]:
    query = select(StaffUser).where(StaffUser.org_id == org_id).order_by(StaffUser.email)
    return list((await session.scalars(query)).all())


async def set_client_secret(session: AsyncSession, client_id: str, secret_hash: str) -> ApiClient | None:
    result = await session.execute(
        update(ApiClient)
        .where(ApiClient.client_id == client_id, ApiClient.disabled_at.is_(None))
        .values(secret_hash=secret_hash)
        .returning(ApiClient)
    )
    return result.scalar_one_or_none()


async def staff_by_id(session: AsyncSession, org_id: uuid.UUID, staff_id: uuid.UUID) -> StaffUser | None:
    query = select(StaffUser).where(StaffUser.org_id == org_id, StaffUser.id == staff_id)
    return (await session.scalars(query)).first()


async def staff_emails(session: AsyncSession, org_id: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(StaffUser.id, StaffUser.email).where(StaffUser.org_id == org_id))
    return dict(rows.all())


async def upsert_sso(session: AsyncSession, **values: Any) -> None:
    statement = insert(OrganisationSso).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[OrganisationSso.org_id],
            set_={**{k: statement.excluded[k] for k in values if k != "org_id"}, "updated_at": func.now()},
        )
    )


async def delete_sso(session: AsyncSession, org_id: uuid.UUID) -> bool:
    result = await session.execute(delete(OrganisationSso).where(OrganisationSso.org_id == org_id))
    return result.rowcount > 0


async def get_sso(session: AsyncSession, org_id: uuid.UUID) -> OrganisationSso | None:
    return await session.get(OrganisationSso, org_id)


async def sso_organisations_of(session: AsyncSession, email: str) -> list[tuple[uuid.UUID, str]]:
    """The organisations with a provider of which this address is an enabled staff member, the
    earliest membership first (platform scope)."""
    query = (
        select(Organisation.id, Organisation.name)
        .join(StaffUser, StaffUser.org_id == Organisation.id)
        .join(OrganisationSso, OrganisationSso.org_id == Organisation.id)
        .where(StaffUser.email == email, StaffUser.disabled_at.is_(None))
        .order_by(StaffUser.created_at, Organisation.id)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]
