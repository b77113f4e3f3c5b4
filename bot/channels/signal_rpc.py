"""signal-cli's side of the conversation: how its daemon must run, and how to read what it
answers (its errors, their data). The channel itself is bot/channels/signal.py."""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import quote

from bot.relay import Gone, Media, RetryLater, Undeliverable

log = logging.getLogger("bot.channels.signal")


def daemon_command(account: str, listen: str) -> list[str]:
    """How signal-cli must run for this bot (README, the systemd unit and the Compose file say
    the same). signal-cli's App.java takes `-a` and `--trust-new-identities` before the
    subcommand; `daemon`'s own options come after it (DaemonCommand.java):
    - `--receive-mode on-connection`: messages are taken off Signal's server only while the
      bot is connected, so nothing is consumed (and lost) while it is away; with the default
      `on-start` signal-cli receives from its start and only prints what no client takes;
    - `--no-receive-stdout`: otherwise every message, with the sender's number, is printed
      to stdout, hence to journald or Docker's logs;
    - `--trust-new-identities always`: someone who reinstalled Signal is still answered."""
    where = ["--socket", listen] if listen.startswith("/") else ["--tcp", listen]
    return [
        "signal-cli", "-a", account, "--trust-new-identities", "always",
        "daemon", *where, "--receive-mode", "on-connection", "--no-receive-stdout",
    ]  # fmt: skip


class SignalError(Exception):
    """signal-cli answered a request with an error. `data` is its error.data: for a send,
    {"response": {"timestamp", "results": [{"type", "retryAfterSeconds"...}]}}
    (jsonrpc/SignalJsonRpcCommandHandler.java getErrorDataNode)."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data

    def _results(self) -> list[dict[str, Any]]:
        response = self.data.get("response") if isinstance(self.data, dict) else None
        results = response.get("results") if isinstance(response, dict) else None
        if not isinstance(results, list):
            return []
        return [item for item in results if isinstance(item, dict)]

    def result_types(self) -> list[str]:
        return [str(item.get("type")) for item in self._results()]

    def retry_after(self) -> float | None:
        waits = [item.get("retryAfterSeconds") for item in self._results()]
        numbers = [float(w) for w in waits if isinstance(w, int | float)]
        return max(numbers) if numbers else None

    def has_challenge(self) -> bool:
        """A rate limit Signal lifts only once a captcha is solved: the result carries its
        token (json/JsonSendMessageResult.java)."""
        return any(item.get("token") for item in self._results())


class ConnectionLost(Exception):
    """The daemon is not reachable right now; the caller may retry later."""


class AnswerTooLong(SignalError):
    """The answer was over the line limit and dropped: a file larger than announced."""

    def __init__(self) -> None:
        super().__init__(0, "answer over the line limit")


def parse_address(value: str) -> tuple[str, int] | str:
    """`127.0.0.1:7583` -> ("127.0.0.1", 7583); anything else is a UNIX socket path."""
    host, sep, port = value.rpartition(":")
    if sep and host and port.isdecimal() and "/" not in value:
        return host.strip("[]"), int(port)
    return value


# signal-cli's JSON-RPC error codes (jsonrpc/SignalJsonRpcCommandHandler.java).
USER_ERROR, IO_ERROR, UNTRUSTED_KEY_ERROR, RATELIMIT_ERROR = -1, -3, -4, -5
INTERNAL_ERROR = -32603  # jsonrpc/JsonRpcResponse.java: what UnexpectedErrorException becomes
# signal-cli reads each request with Jackson's default limits (util/Util.java
# createJsonObjectMapper sets none): a string value over 20,000,000 characters fails the parse
# with an exception jsonrpc/JsonRpcReader.java does not answer, and the connection closes
# (jsonrpc/SocketHandler.java "Connection handler failed"). A file's data URI is one string:
# about 14.9 MB of file at most.
MAX_REQUEST_STRING = 20_000_000


def delivery_error(exc: Exception, reported: set[str] | None = None) -> RetryLater | Undeliverable:
    """What the relay does after a failed request, read the way signal-cli reports failures:
    a send whose only recipient fails is an error whose data lists the recipient's failure
    (util/SendMessageResultUtils.java outputResult). What the operator must act on is logged
    once per name in `reported`, never with an identifier."""
    reported = set() if reported is None else reported
    if isinstance(exc, AnswerTooLong):
        return Undeliverable("answer too long")  # it would be as long the next time
    if isinstance(exc, ConnectionLost | TimeoutError):
        return RetryLater(5)
    if not isinstance(exc, SignalError):
        return RetryLater(30)
    types = exc.result_types()
    if "UNREGISTERED_FAILURE" in types or "not registered" in exc.message:
        return Gone("unregistered")  # the account no longer exists: the conversation closes
    if exc.code == RATELIMIT_ERROR or "RATE_LIMIT_FAILURE" in types:
        if exc.has_challenge():
            _tell_operator_once(
                reported,
                "signal_rate_limit_challenge (Signal asks the bot's account to solve a "
                "captcha before it sends more: see signal-cli submitRateLimitChallenge)",
            )
        return RetryLater(exc.retry_after() or 60)
    if exc.code == UNTRUSTED_KEY_ERROR or "IDENTITY_FAILURE" in types:
        _tell_operator_once(
            reported,
            "signal_untrusted_identity (someone's safety number changed and signal-cli refuses "
            "to send: start the daemon with --trust-new-identities always, as README shows, "
            "or run signal-cli trust)",
        )
        # Retried like any failure, so a key trusted within minutes lets the message go, then
        # given up after MAX_ATTEMPTS (bot/relay.py): the outbox is never blocked for ever.
        return RetryLater(60)
    if exc.code == USER_ERROR and "empty message" in exc.message:
        return Undeliverable("empty")  # the same message would be empty the next time
    if exc.code == INTERNAL_ERROR and "(No such file or directory)" in exc.message:
        # An attachment that is not a valid data URI is taken for a file path (manager/util/
        # Utils.java createStreamDetails): the same request would fail the same way.
        return Undeliverable("attachment refused")
    if exc.code in {-32600, -32601, -32602}:
        return Undeliverable(f"rpc {exc.code}")  # a request signal-cli will never accept
    return RetryLater(30)  # a network failure, an upload that failed, a daemon still starting


def _tell_operator_once(reported: set[str], line: str) -> None:
    name = line.split(" ", 1)[0]
    if name not in reported:
        reported.add(name)
        log.error(line)


def data_uri(media: Media) -> str:
    """signal-cli takes attachments as RFC 2397 data URIs, with a file name. It URL-decodes
    parameter values (manager/util/DataURI.java): a name is percent-encoded, or a "%" in it
    would fail the send and a "+" would become a space."""
    encoded = base64.b64encode(media.data).decode()
    return f"data:{media.content_type};filename={quote(media.filename, safe='')};base64,{encoded}"
