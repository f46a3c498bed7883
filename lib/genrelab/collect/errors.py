"""Every exception and warning of the collection side, in one place.

Each error's message is written for the person running the notebook: what happened, in one
sentence, and what to do instead. None carries a secret.
"""

from __future__ import annotations

import requests

from genrelab.errors import GenrelabError


class SpotifyCredentialsError(GenrelabError, RuntimeError):
    """Credentials are missing or refused; the message says how to set them."""


class SpotifyAPIError(GenrelabError, RuntimeError):
    """Spotify answered an error the collection cannot work around (after the retries)."""


class SpotifyAccessError(SpotifyAPIError):
    """Spotify refuses this app an endpoint (403 / 404 for development-mode apps in 2026).

    The message names the endpoint and says what the app can do instead.
    """


class FeaturesForbiddenError(SpotifyAccessError):
    """Spotify answered 403 on audio-features and ``features_source="spotify"`` was asked for."""


class SpotifyFallbackWarning(UserWarning):
    """An endpoint is closed for this app (403) and a fallback is used instead."""


class FeaturesSourceWarning(SpotifyFallbackWarning):
    """Spotify's audio-features endpoint is closed for this app: ReccoBeats is used instead."""


class CollectionPathWarning(SpotifyFallbackWarning):
    """The seed's playlist path is closed for this app: another collection path is used."""


class RateLimitError(GenrelabError, RuntimeError):
    """A server asked us to wait longer than we are allowed to (or kept answering 429)."""


class NetworkError(GenrelabError, requests.ConnectionError):
    """A host could not be reached at all (name resolution or connection failure); not retried."""


class ReccoBeatsError(GenrelabError, RuntimeError):
    """ReccoBeats answered a batch with an error that retries did not fix."""


class DeezerError(GenrelabError, RuntimeError):
    """Deezer answered with an error other than "no data"."""


class MalformedResponseError(GenrelabError, RuntimeError):
    """A server answered HTTP 200 with a body that is not what it documents (an HTML error page,
    cut-off JSON, an empty body, JSON of another shape): not used, never cached; retry later."""
