from http import HTTPStatus
from typing import Any
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.decision_out import DecisionOut
from ...models.problem import Problem
from ...types import UNSET, Response


def _get_kwargs(
    *,
    decision_id: UUID,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_decision_id = str(decision_id)
    params["decision_id"] = json_decision_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/admin/identity/explain",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> DecisionOut | Problem | None:
    if response.status_code == 200:
        response_200 = DecisionOut.from_dict(response.json())

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
) -> Response[DecisionOut | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    decision_id: UUID,
) -> Response[DecisionOut | Problem]:
    """Explain

     How a record was resolved: method, score and per-attribute weights.

    Args:
        decision_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DecisionOut | Problem]
    """

    kwargs = _get_kwargs(
        decision_id=decision_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    decision_id: UUID,
) -> DecisionOut | Problem | None:
    """Explain

     How a record was resolved: method, score and per-attribute weights.

    Args:
        decision_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DecisionOut | Problem
    """

    return sync_detailed(
        client=client,
        decision_id=decision_id,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    decision_id: UUID,
) -> Response[DecisionOut | Problem]:
    """Explain

     How a record was resolved: method, score and per-attribute weights.

    Args:
        decision_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DecisionOut | Problem]
    """

    kwargs = _get_kwargs(
        decision_id=decision_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    decision_id: UUID,
) -> DecisionOut | Problem | None:
    """Explain

     How a record was resolved: method, score and per-attribute weights.

    Args:
        decision_id (UUID):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DecisionOut | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            decision_id=decision_id,
        )
    ).parsed
