from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.receipt_out import ReceiptOut
from ...types import Response


def _get_kwargs(
    receipt_id: UUID,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/consent-receipts/{receipt_id}".format(
            receipt_id=quote(str(receipt_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Problem | ReceiptOut | None:
    if response.status_code == 200:
        response_200 = ReceiptOut.from_dict(response.json())

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | ReceiptOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    receipt_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[Problem | ReceiptOut]:
    """Get Receipt

     A consent receipt (Kantara v1.1 fields) with its JWS, verifiable against the JWKS.

    Args:
        receipt_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ReceiptOut]
    """

    kwargs = _get_kwargs(
        receipt_id=receipt_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    receipt_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Problem | ReceiptOut | None:
    """Get Receipt

     A consent receipt (Kantara v1.1 fields) with its JWS, verifiable against the JWKS.

    Args:
        receipt_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ReceiptOut
    """

    return sync_detailed(
        receipt_id=receipt_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    receipt_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Response[Problem | ReceiptOut]:
    """Get Receipt

     A consent receipt (Kantara v1.1 fields) with its JWS, verifiable against the JWKS.

    Args:
        receipt_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | ReceiptOut]
    """

    kwargs = _get_kwargs(
        receipt_id=receipt_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    receipt_id: UUID,
    *,
    client: AuthenticatedClient,
) -> Problem | ReceiptOut | None:
    """Get Receipt

     A consent receipt (Kantara v1.1 fields) with its JWS, verifiable against the JWKS.

    Args:
        receipt_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | ReceiptOut
    """

    return (
        await asyncio_detailed(
            receipt_id=receipt_id,
            client=client,
        )
    ).parsed
