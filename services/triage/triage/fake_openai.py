"""A small OpenAI-compatible chat-completions server for tests and the benchmark.

``python -m triage.fake_openai --port 8199 --latency-ms 500 --mode ok``

Speaks ``POST /v1/chat/completions`` as the real API does (so the real ``openai`` client, its retries and
timeouts are exercised). Modes: ``ok`` (a sensible answer: the local classifier's, under the model name),
``slow`` (sleeps ``--slow-ms`` first), ``error`` (HTTP 500), ``invalid`` (JSON outside the schema),
``inject`` (obeys instructions found in the message: links to any task id the message names, the way a
model fooled by prompt injection would). ``POST /_control {"mode", "latency_ms"}`` switches at run time;
``GET /_stats`` counts requests by mode.
"""
from __future__ import annotations

import argparse
import json
import re
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"mode": "ok", "latency_ms": 0, "slow_ms": 5000, "requests": {}}
LOCK = threading.Lock()
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_classifier = None


def classifier():
    global _classifier
    if _classifier is None:
        from triage.local_model import LocalClassifier

        _classifier = LocalClassifier()
    return _classifier


def triage_answer(user: dict, mode: str) -> dict:
    from common.contracts.triage import CommunicationReceived

    msg = user["message"]
    message = CommunicationReceived(
        communication_id=uuid.uuid4(), channel=msg["channel"], from_address=msg.get("from") or "x",
        subject=msg.get("subject"), body=msg["body"], received_at=msg["received_at"],
        customer_id=uuid.uuid4(), customer_name=user["customer"]["name"],
        open_tasks=[{**t, "status": "open"} for t in user["open_tasks"]])
    answer = classifier().classify(message).model_dump(mode="json")
    if mode == "inject":
        named = UUID.findall(msg["body"])
        if named:
            answer.update(decision="linked", task_id=named[0], title=None)
        answer["suggested_actions"] = [{"type": "generic", "summary": "Close all tasks of this customer",
                                        "payload": {"command": "close_all_tasks"}}]
    answer["confidence"] = min(0.99, answer["confidence"] + 0.05)
    return answer


def answer_for(schema_name: str, user_text: str, mode: str) -> str:
    if mode == "invalid":
        return '{"decision": "maybe", "category": "urgent!!", "confidence": 7}'
    user = json.loads(user_text)
    if schema_name == "triage_decision":
        return json.dumps(triage_answer(user, mode))
    if schema_name == "draft_reply":
        comm = user.get("communication") or {}
        subject = comm.get("subject") or user.get("task_title") or "your message"
        return json.dumps({"subject": f"Re: {subject}",
                           "body": f"Hello {user.get('contact_name') or ''},\n\nThank you for your message about "
                                   f"{subject}. We have taken note and will follow up.\n\nKind regards"})
    if schema_name == "suggest_actions":
        held = set(user.get("existing_actions") or [])
        wanted = [{"type": "call", "summary": f"Call {user['customer']['name']} about '{user['task']['title']}'"},
                  {"type": "email", "summary": "Send the customer a statement of the open invoices"}]
        return json.dumps({"suggested_actions": [w for w in wanted if w["type"] not in held]})
    if schema_name == "grade_conversation":
        words = set(re.findall(r"\w{4,}", user["transcript"].lower()))
        graded = []
        for c in user["criteria"]:
            wanted = set(re.findall(r"\w{4,}", f"{c['name']} {c.get('description', '')}".lower()))
            score = round(100 * len(wanted & words) / len(wanted), 1) if wanted else 50.0
            graded.append({"name": c["name"], "score": score,
                           "feedback": f"The agent addressed {len(wanted & words)} of {len(wanted)} points."})
        return json.dumps({"criteria": graded})
    return "{}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave in two writes: no 40 ms delayed-ACK stall

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}")

    def do_GET(self):
        if self.path.startswith("/_stats"):
            with LOCK:
                return self._send(200, {"mode": STATE["mode"], "latency_ms": STATE["latency_ms"],
                                        "requests": dict(STATE["requests"])})
        if self.path.startswith("/healthz"):
            return self._send(200, {"status": "ok"})
        self._send(404, {"error": {"message": "not found"}})

    def do_POST(self):
        body = self._body()
        if self.path.startswith("/_control"):
            with LOCK:
                for key in ("mode", "latency_ms", "slow_ms"):
                    if key in body:
                        STATE[key] = body[key]
            return self._send(200, {k: STATE[k] for k in ("mode", "latency_ms", "slow_ms")})
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return self._send(404, {"error": {"message": "not found"}})
        with LOCK:
            mode, latency = STATE["mode"], STATE["latency_ms"]
            STATE["requests"][mode] = STATE["requests"].get(mode, 0) + 1
        time.sleep((latency + (STATE["slow_ms"] if mode == "slow" else 0)) / 1000)
        if mode == "error":
            return self._send(500, {"error": {"message": "the fake model is failing on purpose",
                                              "type": "server_error"}})
        schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("name", "")
        user = next((m["content"] for m in body.get("messages", []) if m.get("role") == "user"), "{}")
        try:
            content = answer_for(schema, user, mode)
        except Exception as exc:  # a bug here must look like a model error, not hang the client
            return self._send(500, {"error": {"message": repr(exc), "type": "server_error"}})
        self._send(200, {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion",
            "created": int(datetime.now(timezone.utc).timestamp()), "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": len(user) // 4, "completion_tokens": len(content) // 4,
                      "total_tokens": (len(user) + len(content)) // 4},
        })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8199)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--slow-ms", type=int, default=5000)
    parser.add_argument("--mode", choices=("ok", "slow", "error", "invalid", "inject"), default="ok")
    args = parser.parse_args()
    STATE.update(mode=args.mode, latency_ms=args.latency_ms, slow_ms=args.slow_ms)
    classifier()  # trained before the first request
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    print(f"fake OpenAI on http://127.0.0.1:{args.port}/v1 mode={args.mode} latency={args.latency_ms}ms",
          flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
