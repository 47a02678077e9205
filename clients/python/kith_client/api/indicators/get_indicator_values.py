from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.indicator_values import IndicatorValues
from ...models.problem import Problem
from ...types import UNSET, Response


def _get_kwargs(
    *,
    area: str,
    period: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["area"] = area

    params["period"] = period

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/indicators/values",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> IndicatorValues | Problem | None:
    if response.status_code == 200:
        response_200 = IndicatorValues.from_dict(response.json())

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
) -> Response[IndicatorValues | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    area: str,
    period: str,
) -> Response[IndicatorValues | Problem]:
    """Get Values

     All ten indicators for an area and period, with the previous period, disclosure-controlled.

    Args:
        area (str): Area code (ward, LSOA or MSOA), from GET /v1/areas
        period (str): YYYY-MM, YYYY-Qn or YYYY

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[IndicatorValues | Problem]
    """

    kwargs = _get_kwargs(
        area=area,
        period=period,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    area: str,
    period: str,
) -> IndicatorValues | Problem | None:
    """Get Values

     All ten indicators for an area and period, with the previous period, disclosure-controlled.

    Args:
        area (str): Area code (ward, LSOA or MSOA), from GET /v1/areas
        period (str): YYYY-MM, YYYY-Qn or YYYY

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        IndicatorValues | Problem
    """

    return sync_detailed(
        client=client,
        area=area,
        period=period,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    area: str,
    period: str,
) -> Response[IndicatorValues | Problem]:
    """Get Values

     All ten indicators for an area and period, with the previous period, disclosure-controlled.

    Args:
        area (str): Area code (ward, LSOA or MSOA), from GET /v1/areas
        period (str): YYYY-MM, YYYY-Qn or YYYY

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[IndicatorValues | Problem]
    """

    kwargs = _get_kwargs(
        area=area,
        period=period,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    area: str,
    period: str,
) -> IndicatorValues | Problem | None:
    """Get Values

     All ten indicators for an area and period, with the previous period, disclosure-controlled.

    Args:
        area (str): Area code (ward, LSOA or MSOA), from GET /v1/areas
        period (str): YYYY-MM, YYYY-Qn or YYYY

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        IndicatorValues | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            area=area,
            period=period,
        )
    ).parsed
