from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.timeline import Timeline
from ...types import UNSET, Response, Unset


def _get_kwargs(
    person_id: UUID,
    *,
    purpose: str,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["purpose"] = purpose

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/people/{person_id}/timeline".format(
            person_id=quote(str(person_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | Timeline | None:
    if response.status_code == 200:
        response_200 = Timeline.from_dict(response.json())

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Problem | Timeline]:
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
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> Response[Problem | Timeline]:
    """Get Timeline

     The person's interactions, newest first: the organisation's own and, where consented, others'.

    Args:
        person_id (UUID):
        purpose (str): Why the timeline is read
        limit (int | Unset): Page size (at most 500) Default: 50.
        cursor (None | str | Unset): next_cursor from the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Timeline]
    """

    kwargs = _get_kwargs(
        person_id=person_id,
        purpose=purpose,
        limit=limit,
        cursor=cursor,
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
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> Problem | Timeline | None:
    """Get Timeline

     The person's interactions, newest first: the organisation's own and, where consented, others'.

    Args:
        person_id (UUID):
        purpose (str): Why the timeline is read
        limit (int | Unset): Page size (at most 500) Default: 50.
        cursor (None | str | Unset): next_cursor from the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Timeline
    """

    return sync_detailed(
        person_id=person_id,
        client=client,
        purpose=purpose,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    person_id: UUID,
    *,
    client: AuthenticatedClient,
    purpose: str,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> Response[Problem | Timeline]:
    """Get Timeline

     The person's interactions, newest first: the organisation's own and, where consented, others'.

    Args:
        person_id (UUID):
        purpose (str): Why the timeline is read
        limit (int | Unset): Page size (at most 500) Default: 50.
        cursor (None | str | Unset): next_cursor from the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | Timeline]
    """

    kwargs = _get_kwargs(
        person_id=person_id,
        purpose=purpose,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    person_id: UUID,
    *,
    client: AuthenticatedClient,
    purpose: str,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> Problem | Timeline | None:
    """Get Timeline

     The person's interactions, newest first: the organisation's own and, where consented, others'.

    Args:
        person_id (UUID):
        purpose (str): Why the timeline is read
        limit (int | Unset): Page size (at most 500) Default: 50.
        cursor (None | str | Unset): next_cursor from the previous page

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | Timeline
    """

    return (
        await asyncio_detailed(
            person_id=person_id,
            client=client,
            purpose=purpose,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
