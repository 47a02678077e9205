from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.indicator_series import IndicatorSeries
from ...models.problem import Problem
from ...types import UNSET, Response


def _get_kwargs(
    *,
    area: str,
    code: str,
    from_: str,
    to: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["area"] = area

    params["code"] = code

    params["from"] = from_

    params["to"] = to

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/indicators/series",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> IndicatorSeries | Problem | None:
    if response.status_code == 200:
        response_200 = IndicatorSeries.from_dict(response.json())

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
) -> Response[IndicatorSeries | Problem]:
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
    code: str,
    from_: str,
    to: str,
) -> Response[IndicatorSeries | Problem]:
    """Get Series

     One indicator's headline value over consecutive periods.

    Args:
        area (str): Area code (ward, LSOA or MSOA), from GET /v1/areas
        code (str): Indicator code, from GET /v1/indicators
        from_ (str): First period (YYYY-MM, YYYY-Qn or YYYY)
        to (str): Last period, of the same kind

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[IndicatorSeries | Problem]
    """

    kwargs = _get_kwargs(
        area=area,
        code=code,
        from_=from_,
        to=to,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    area: str,
    code: str,
    from_: str,
    to: str,
) -> IndicatorSeries | Problem | None:
    """Get Series

     One indicator's headline value over consecutive periods.

    Args:
        area (str): Area code (ward, LSOA or MSOA), from GET /v1/areas
        code (str): Indicator code, from GET /v1/indicators
        from_ (str): First period (YYYY-MM, YYYY-Qn or YYYY)
        to (str): Last period, of the same kind

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        IndicatorSeries | Problem
    """

    return sync_detailed(
        client=client,
        area=area,
        code=code,
        from_=from_,
        to=to,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    area: str,
    code: str,
    from_: str,
    to: str,
) -> Response[IndicatorSeries | Problem]:
    """Get Series

     One indicator's headline value over consecutive periods.

    Args:
        area (str): Area code (ward, LSOA or MSOA), from GET /v1/areas
        code (str): Indicator code, from GET /v1/indicators
        from_ (str): First period (YYYY-MM, YYYY-Qn or YYYY)
        to (str): Last period, of the same kind

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[IndicatorSeries | Problem]
    """

    kwargs = _get_kwargs(
        area=area,
        code=code,
        from_=from_,
        to=to,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    area: str,
    code: str,
    from_: str,
    to: str,
) -> IndicatorSeries | Problem | None:
    """Get Series

     One indicator's headline value over consecutive periods.

    Args:
        area (str): Area code (ward, LSOA or MSOA), from GET /v1/areas
        code (str): Indicator code, from GET /v1/indicators
        from_ (str): First period (YYYY-MM, YYYY-Qn or YYYY)
        to (str): Last period, of the same kind

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        IndicatorSeries | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            area=area,
            code=code,
            from_=from_,
            to=to,
        )
    ).parsed
