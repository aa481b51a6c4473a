"""A small AG-UI agent over HTTP + SSE, on FastAPI and uvicorn from Debian's packages.

POST /agent takes an AG-UI RunAgentInput and answers text/event-stream: RUN_STARTED, one
REASONING_MESSAGE_CHUNK, a streamed text message that echoes the last user message word by word,
and RUN_FINISHED. Quiet stretches carry `: ping` comments; a client that goes away stops the run
and the line "request aborted" is printed to stdout. GET /health answers {"status": "ok"}.

Run:  python3 -m uvicorn agent:app --host 127.0.0.1 --port 8000   (or: PORT=8000 python3 agent.py)
Env:  AGENT_TOKENS_PER_SECOND (default 20): how fast the answer's words are sent
      AGENT_THINKING_SECONDS (default 0): a pause before the answer, as a slow model would take
      AGENT_KEEPALIVE_SECONDS (default 3): at most this long without a byte on the stream
"""

import asyncio
import json
import os
import re
import sys
import time
import uuid
from typing import Any, AsyncIterator, Dict, List, Optional, Union

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

DEFAULT_TOKENS_PER_SECOND = 20.0
DEFAULT_THINKING_SECONDS = 0.0
DEFAULT_KEEPALIVE_SECONDS = 3.0

KEEPALIVE_COMMENT = ": ping\n\n"
ANSWER_PREFIX = "You said:"
NO_MESSAGE_ANSWER = "You said nothing I could read."


# --- RunAgentInput: the fields this agent reads (AG-UI's camelCase names on the wire) ---------


class Message(BaseModel):
    id: str
    role: str
    # a string, or (for user messages) a list of content parts such as {"type": "text", "text": ...}
    content: Optional[Union[str, List[Dict[str, Any]]]] = None


class Tool(BaseModel):
    name: str
    description: str = ""
    parameters: Any = None


class ContextItem(BaseModel):
    description: str
    value: str


class RunAgentInput(BaseModel):
    thread_id: str = Field(alias="threadId")
    run_id: str = Field(alias="runId")
    parent_run_id: Optional[str] = Field(default=None, alias="parentRunId")
    state: Any = None
    messages: List[Message] = Field(default_factory=list)
    tools: List[Tool] = Field(default_factory=list)
    context: List[ContextItem] = Field(default_factory=list)
    forwarded_props: Any = Field(default=None, alias="forwardedProps")


# --- settings, read once at start -------------------------------------------------------------


def positive_float_from_env(name: str, default: float, allow_zero: bool = False) -> float:
    text = os.environ.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise SystemExit(f"{name} must be a number, got {text!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise SystemExit(f"{name} must be {'zero or more' if allow_zero else 'more than zero'}, got {text!r}")
    return value


class Settings:
    def __init__(self) -> None:
        self.tokens_per_second = positive_float_from_env("AGENT_TOKENS_PER_SECOND", DEFAULT_TOKENS_PER_SECOND)
        self.thinking_seconds = positive_float_from_env("AGENT_THINKING_SECONDS", DEFAULT_THINKING_SECONDS, allow_zero=True)
        self.keepalive_seconds = positive_float_from_env("AGENT_KEEPALIVE_SECONDS", DEFAULT_KEEPALIVE_SECONDS)


def log(line: str) -> None:
    # stdout, one line each, flushed: the example's test and a person watching both read it there
    print(line, file=sys.stdout, flush=True)


# --- the answer -------------------------------------------------------------------------------


def text_of(message: Message) -> str:
    if isinstance(message.content, str):
        return message.content
    if isinstance(message.content, list):
        return " ".join(str(part.get("text", "")) for part in message.content if part.get("type") == "text")
    return ""


def answer_to(run_input: RunAgentInput) -> str:
    """Deterministic: the last user message's text, echoed back."""
    for message in reversed(run_input.messages):
        if message.role == "user":
            text = " ".join(text_of(message).split())
            return f"{ANSWER_PREFIX} {text}" if text else NO_MESSAGE_ANSWER
    return NO_MESSAGE_ANSWER


def words_of(answer: str) -> List[str]:
    """Word-sized deltas that concatenate back to the answer exactly ("You ", "said: ", ...)."""
    return re.findall(r"\S+\s*", answer)


# --- the SSE stream ---------------------------------------------------------------------------


def now_ms() -> int:
    return int(time.time() * 1000)


def sse(event: Dict[str, Any]) -> str:
    return f"data: {json.dumps({**event, 'timestamp': now_ms()}, separators=(',', ':'))}\n\n"


class Stream:
    """Remembers when the last byte went out, so pauses send `: ping` before the stream goes quiet too long."""

    def __init__(self, request: Request, keepalive_seconds: float) -> None:
        self.request = request
        self.keepalive_seconds = keepalive_seconds
        self.last_write = time.monotonic()

    def wrote(self) -> None:
        self.last_write = time.monotonic()

    async def pause(self, seconds: float) -> AsyncIterator[str]:
        """Waits `seconds`, yielding a keep-alive comment whenever keepalive_seconds pass without a write."""
        until = time.monotonic() + seconds
        while True:
            now = time.monotonic()
            ping_at = self.last_write + self.keepalive_seconds
            if until <= ping_at:
                await asyncio.sleep(max(0.0, until - now))
                return
            await asyncio.sleep(max(0.0, ping_at - now))
            if await self.request.is_disconnected():
                return
            self.wrote()
            yield KEEPALIVE_COMMENT


async def run_events(run_input: RunAgentInput, request: Request, settings: Settings) -> AsyncIterator[str]:
    thread_id, run_id = run_input.thread_id, run_input.run_id
    stream = Stream(request, settings.keepalive_seconds)
    finished = False
    log(f"run started: thread {thread_id} run {run_id}")
    try:
        yield sse({"type": "RUN_STARTED", "threadId": thread_id, "runId": run_id})
        answer = answer_to(run_input)
        yield sse({"type": "REASONING_MESSAGE_CHUNK", "messageId": f"reasoning-{uuid.uuid4()}", "delta": "I echo the last user message, word by word."})
        stream.wrote()
        async for ping in stream.pause(settings.thinking_seconds):
            yield ping
        message_id = f"msg-{uuid.uuid4()}"
        yield sse({"type": "TEXT_MESSAGE_START", "messageId": message_id, "role": "assistant"})
        stream.wrote()
        for delta in words_of(answer):
            async for ping in stream.pause(1.0 / settings.tokens_per_second):
                yield ping
            if await request.is_disconnected():
                return
            yield sse({"type": "TEXT_MESSAGE_CONTENT", "messageId": message_id, "delta": delta})
            stream.wrote()
        yield sse({"type": "TEXT_MESSAGE_END", "messageId": message_id})
        yield sse({"type": "RUN_FINISHED", "threadId": thread_id, "runId": run_id, "outcome": {"type": "success"}})
        finished = True
        log(f"run finished: run {run_id}")
    finally:
        # reached early when the client went away: seen by is_disconnected() above, or by the
        # server cancelling this generator (starlette does when it reads http.disconnect)
        if not finished:
            log(f"request aborted: run {run_id}")


# --- the app ----------------------------------------------------------------------------------

settings = Settings()
app = FastAPI(title="agentwire example: a Python AG-UI agent")


@app.get("/health")
async def health() -> Dict[str, str]:
    return {"status": "ok"}


@app.post("/agent")
async def agent(run_input: RunAgentInput, request: Request) -> StreamingResponse:
    return StreamingResponse(
        run_events(run_input, request, settings),
        media_type="text/event-stream",
        # no caching, and no buffering by a proxy in front (nginx reads X-Accel-Buffering)
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))
