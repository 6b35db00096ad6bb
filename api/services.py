"""What every route needs, built once per app: vidgen's use cases, signed links and the API's users."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.links import Links
from vidgen_core.domain.models import USER_ID_PATTERN
from vidgen_dagster.service import VidgenService


@dataclass
class Services:
    service: VidgenService
    links: Links
    users: dict[str, str]  # API key -> user id; empty: keys are off and every caller is the default user


def services(request: Request) -> Services:
    return request.app.state.services


_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="Your API key.")
_bearer = HTTPBearer(auto_error=False, description="Your API key as a bearer token.")


def current_user(
    request: Request,
    api_key: Annotated[str | None, Security(_api_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> str:
    """The caller's user id, from their API key (X-API-Key or Authorization: Bearer)."""
    found = services(request)
    if not found.users:
        return found.service.settings.default_user
    token = api_key or (bearer.credentials if bearer else "")
    if not token:
        raise HTTPException(401, "send your API key in the X-API-Key header", {"WWW-Authenticate": "Bearer"})
    user = None
    for key, owner in found.users.items():  # compare with every key, in constant time
        if hmac.compare_digest(key.encode(), token.encode()):
            user = owner
    if user is None:
        raise HTTPException(401, "this API key is not valid", {"WWW-Authenticate": "Bearer"})
    return user


def check_users(users: dict[str, str]) -> None:
    """Refuse to start with user ids the storage layout cannot hold."""
    bad = [u for u in users.values() if not re.fullmatch(USER_ID_PATTERN, u)]
    if bad:
        raise ValueError(f"VIDGEN_API_KEYS has user ids that are not [A-Za-z0-9_.-] names: {bad}")


ServicesDep = Annotated[Services, Depends(services)]
UserDep = Annotated[str, Depends(current_user)]
