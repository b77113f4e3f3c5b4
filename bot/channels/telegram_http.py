"""python-telegram-bot's HTTP layer on aiohttp instead of httpx.

Under load, most of the bot's processor time went into python-telegram-bot's default HTTP
client (httpx with httpcore and anyio): about 60% of each answer in py-spy, against 8% for
the conversation itself (see BENCHMARKS.md). aiohttp's client, with its C parser, does the
same requests for a fraction of that. python-telegram-bot supports this through its
`BaseRequest` interface; errors are mapped to its `TimedOut` and `NetworkError`, so retries
and flood control behave as before.
"""

from __future__ import annotations

import asyncio
import urllib.request
from urllib.parse import urlsplit

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.logs import redact


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float = 5.0,
        write_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        media_write_timeout: float = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str] = {}
        self._proxy_for: dict[tuple[str, str], str | None] = {}

    @property
    def read_timeout(self) -> float:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )
            self._proxies = urllib.request.getproxies()
            self._proxy_for.clear()

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _proxy(self, url: str) -> str | None:
        """HTTPS_PROXY, HTTP_PROXY and NO_PROXY from the environment, honoured as httpx (the
        client python-telegram-bot uses by default) and most tools honour them: many
        organisations' networks only let traffic out through a proxy. Read once per session
        and decided once per host: aiohttp's own trust_env reads them (and ~/.netrc) again
        at every request, which cost a third of the bot's throughput under load."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxy_for:
            bypass = not self._proxies or bool(urllib.request.proxy_bypass(key[1]))
            self._proxy_for[key] = None if bypass else self._proxies.get(key[0])
        return self._proxy_for[key]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else {}
        fields = request_data.json_parameters if request_data else {}
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        write = self._write_timeout if isinstance(write_timeout, DefaultValue) else write_timeout
        if files and isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout
        # aiohttp has no separate write timeout: sending counts against the read one.
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=connect, sock_read=(read or 0) + (write or 0) or None
        )
        data: aiohttp.FormData | dict[str, str] | None = fields or None
        if files:
            form = aiohttp.FormData()
            for name, value in fields.items():
                form.add_field(name, value)
            for name, (filename, content, mime_type) in files.items():
                body = content if isinstance(content, bytes) else content.read()
                form.add_field(name, body, filename=filename, content_type=mime_type)
            data = form
        try:
            async with self._session.request(
                method, url, data=data, timeout=timeout, proxy=self._proxy(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except (aiohttp.ClientError, asyncio.IncompleteReadError) as exc:
            # aiohttp's messages can quote the URL, which holds the bot's token.
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {redact(str(exc))}") from exc
