"""What a request came to, worked out once per request for every observer of it."""

from dataclasses import dataclass


@dataclass(slots=True)  # not frozen: a frozen dataclass pays object.__setattr__ per field
class Seen:
    """One request as the metrics, the endpoint stats and the access log see it: built once
    by ``mlapi.ops.observability.seen_of`` from the request's one clock and one route name,
    so that no observer reads the clock or names the route again."""

    method: str
    endpoint: str | None  # the route template; None when no route matched (404, 405)
    status: int
    seconds: float | None  # since ``mlapi.http.start_request``; None if it never ran
    traffic: bool = True  # False for a scrape of /metrics: not counted or timed
