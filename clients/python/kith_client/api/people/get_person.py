from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.person_out import PersonOut
from ...models.problem import Problem
from ...types import UNSET, Response


def _get_kwargs(
    person_id: UUID,
    *,
    purpose: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["purpose"] = purpose

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/people/{person_id}".format(
            person_id=quote(str(person_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PersonOut | Problem | None:
    if response.status_code == 200:
        response_200 = PersonOut.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[PersonOut | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    person_id: UUID,
    *,
    client: AuthenticatedClient,
    purpose: str,
) -> Response[PersonOut | Problem]:
    """Get Person

     Read the consented view of a person for a stated purpose (the read is in the person's access log).

    Args:
        person_id (UUID):
        purpose (str): Why the data is read: service_delivery, case_coordination, rewards, offers,
            research

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PersonOut | Problem]
    """

    kwargs = _get_kwargs(
        person_id=person_id,
        purpose=purpose,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    person_id: UUID,
    *,
    client: AuthenticatedClient,
    purpose: str,
) -> PersonOut | Problem | None:
    """Get Person

     Read the consented view of a person for a stated purpose (the read is in the person's access log).

    Args:
        person_id (UUID):
        purpose (str): Why the data is read: service_delivery, case_coordination, rewards, offers,
            research

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PersonOut | Problem
    """

    return sync_detailed(
        person_id=person_id,
        client=client,
        purpose=purpose,
    ).parsed


async def asyncio_detailed(
    person_id: UUID,
    *,
    client: AuthenticatedClient,
    purpose: str,
) -> Response[PersonOut | Problem]:
    """Get Person

     Read the consented view of a person for a stated purpose (the read is in the person's access log).

    Args:
        person_id (UUID):
        purpose (str): Why the data is read: service_delivery, case_coordination, rewards, offers,
            research

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PersonOut | Problem]
    """

    kwargs = _get_kwargs(
        person_id=person_id,
        purpose=purpose,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    person_id: UUID,
    *,
    client: AuthenticatedClient,
    purpose: str,
) -> PersonOut | Problem | None:
    """Get Person

     Read the consented view of a person for a stated purpose (the read is in the person's access log).

    Args:
        person_id (UUID):
        purpose (str): Why the data is read: service_delivery, case_coordination, rewards, offers,
            research

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PersonOut | Problem
    """

    return (
        await asyncio_detailed(
            person_id=person_id,
            client=client,
            purpose=purpose,
        )
    ).parsed
