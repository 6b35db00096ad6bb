"""An imitation of the Replicate HTTP API for tests (shared/reference/providers.md §2-3).

Model and version prediction endpoints, ``Prefer: wait``, the starting -> processing -> succeeded / failed /
canceled (and ``aborted``) lifecycle with logs and metrics, the versions endpoint, file uploads, problem+json
errors, 429 with ``retry_after``, and outputs that are real small media (PNG, H.264 mp4 with B-frames, WAV, and
speech-like lines from minimax/speech-2.6-turbo, whose true word times ``spoken`` keeps).
Knobs inject latency and faults; ``paid`` counts the predictions that succeeded (what an account pays for).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import re
import secrets
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import imageio_ffmpeg
from PIL import Image, ImageDraw

from tests.fakes.server import FakeServer, Reply, json_reply
from tests.fakes.speech import encode, speak
from vidgen_core.adapters.ffmpeg.probe import probe

MUSICGEN = "meta/musicgen"
MUSICGEN_VERSION = "671ac645ce5e552cc63a54a2bbff63fcf798043055d2dac5fc9e36a837eedcfb"
# cog-flux ASPECT_RATIOS
FLUX_SIZES = {"16:9": (1344, 768), "9:16": (768, 1344), "1:1": (1024, 1024), "4:5": (896, 1088)}
MODELS: dict[str, dict[str, Any]] = {
    # flux-dev takes a start image (img2img, cog-flux DevPredictor); flux-schnell has no such input
    "black-forest-labs/flux-dev": {"kind": "image", "image": "image", "enums": {"aspect_ratio": list(FLUX_SIZES)}},
    "black-forest-labs/flux-schnell": {"kind": "image", "enums": {"aspect_ratio": list(FLUX_SIZES)}},
    "minimax/hailuo-02-fast": {
        "kind": "video",
        "image": "first_frame_image",
        "fps": 25,
        "short": 512,
        "enums": {"duration": [6, 10]},
    },
    "minimax/hailuo-02": {
        "kind": "video",
        "image": "first_frame_image",
        "fps": 25,
        "short": 768,
        "enums": {"duration": [6, 10], "resolution": ["512p", "768p", "1080p"]},
    },
    "google/veo-3-fast": {
        "kind": "video",
        "image": "image",
        "fps": 24,
        "short": 720,
        "audio": True,
        "enums": {"duration": [4, 6, 8], "aspect_ratio": ["16:9", "9:16"], "resolution": ["720p", "1080p"]},
    },
    "kwaivgi/kling-v2.1": {
        "kind": "video",
        "image": "start_image",
        "fps": 24,
        "short": 720,
        "required_image": True,
        "enums": {"duration": [5, 10], "mode": ["standard", "pro"]},
    },
    # Topaz Labs' upscaler, as its published schema has it (README.md, "Model upscaler"): a video in, no prompt.
    "topazlabs/video-upscale": {
        "kind": "upscale",
        "required": ["video"],
        "enums": {"target_resolution": ["720p", "1080p", "4k"]},
        "ranges": {"target_fps": (15, 120)},
    },
}
MINIMAX_SPEECH = "minimax/speech-2.6-turbo"
# MiniMax's system voices as Replicate's speech schema lists them; voice_id is a free string (cloned ids are allowed),
# so an unknown one is not a 422 but a prediction that fails
MINIMAX_VOICES = (
    "Wise_Woman",
    "Friendly_Person",
    "Inspirational_girl",
    "Deep_Voice_Man",
    "Calm_Woman",
    "Casual_Guy",
    "Lively_Girl",
    "Patient_Man",
    "Young_Knight",
    "Determined_Man",
    "Lovely_Girl",
    "Decent_Boy",
    "Imposing_Manner",
    "Elegant_Man",
    "Abbess",
    "Sweet_Girl_2",
    "Exuberant_Girl",
)
MINIMAX_LANGUAGES = (
    "None",
    "Automatic",
    "Chinese",
    "Chinese,Yue",
    "English",
    "Arabic",
    "Russian",
    "Spanish",
    "French",
    "Portuguese",
    "German",
    "Turkish",
    "Dutch",
    "Ukrainian",
    "Vietnamese",
    "Indonesian",
    "Japanese",
    "Italian",
    "Korean",
    "Thai",
    "Polish",
    "Romanian",
    "Greek",
    "Czech",
    "Finnish",
    "Hindi",
)
MODELS[MINIMAX_SPEECH] = {  # README.md, "Voiceover: providers"
    "kind": "speech",
    "required": ["text"],
    "lengths": {"text": 10_000},
    "enums": {
        "audio_format": ["mp3", "wav", "flac", "pcm"],
        "sample_rate": [8000, 16000, 22050, 24000, 32000, 44100],
        "bitrate": [32000, 64000, 128000, 256000],
        "channel": ["mono", "stereo"],
        "language_boost": list(MINIMAX_LANGUAGES),
        "emotion": ["auto", "happy", "sad", "angry", "fearful", "disgusted", "surprised", "calm", "fluent", "neutral"],
    },
}
UPSCALE_SHORT_SIDE = {"720p": 720, "1080p": 1080, "4k": 2160}  # assumed: the target names the short side
TRANSIENT = "Prediction interrupted; please retry (code: PA)"


def problem(status: int, detail: str, title: str | None = None, **extra: Any) -> Reply:
    body = {"detail": detail, "status": status, **({"title": title} if title else {}), **extra}
    return json_reply(status, body, content_type="application/problem+json")


@dataclass
class Prediction:
    id: str
    model: str
    version: str
    kind: str
    input: dict[str, Any]
    created: float
    run_s: float
    outcome: str  # succeeded | failed | aborted
    error: str | None = None
    canceled: bool = False
    output: Any = None
    metrics: dict[str, Any] = field(default_factory=dict)
    polls: int = 0
    held: bool = False  # stays "processing" until release()


class FakeReplicate(FakeServer):
    """Knobs: ``time_scale``, ``model_time`` (seconds of model work per kind), ``throttle_rate``, ``retry_after``,
    ``transient_fail_rate``, ``fail_next`` (errors for the next predictions), ``abort_next``, ``create_status``
    (force an HTTP error on the next create), ``get_failures`` (500s for the next GETs of predictions),
    ``data_uri_outputs``, ``hold_after`` (per kind, how many predictions run freely: later ones stay processing
    until ``release()``)."""

    def __init__(self, token: str = "r8_test_fake", seed: int = 7) -> None:
        super().__init__()
        self.token = token
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.time_scale = 0.01
        self.model_time = {"image": 8.0, "video": 45.0, "music": 120.0, "upscale": 30.0, "speech": 3.0}
        self.throttle_rate = 0.0
        self.retry_after: float = 1
        self.transient_fail_rate = 0.0
        self.fail_next: list[str] = []
        self.abort_next = 0
        self.create_status: list[int] = []
        self.get_failures = 0
        self.data_uri_outputs = False
        self.hold_after: dict[str, int] = {}
        self.predictions: dict[str, Prediction] = {}
        self.files: dict[str, tuple[bytes, str]] = {}
        self.dropped: list[tuple[str, list[str]]] = []  # (model, input names) Replicate would drop silently
        self.creates = self.throttled = self.paid = 0
        self.max_in_flight = 0  # most predictions running at once (model time not yet over)
        self.paid_by_kind: dict[str, int] = {}
        self.predict_s: dict[str, float] = {}  # model time run per kind, failed predictions too (GPU-time billing)
        self.spoken: list[dict[str, Any]] = []  # per line spoken: its input and true word times

    # -- routing -------------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if path.startswith("/files/"):
            return self._serve_file(path)
        if headers.get("authorization") != f"Bearer {self.token}":
            return problem(401, "You did not pass a valid authentication token", "Unauthenticated")
        routes = [
            ("POST", r"/v1/models/([^/]+/[^/]+)/predictions", self._create_official),
            ("POST", r"/v1/predictions", self._create_version),
            ("GET", r"/v1/predictions/([a-z0-9]+)", self._get),
            ("POST", r"/v1/predictions/([a-z0-9]+)/cancel", self._cancel),
            ("GET", r"/v1/models/([^/]+/[^/]+)/versions/([0-9a-f]+)", self._version),
            ("GET", r"/v1/models/([^/]+/[^/]+)", self._model),
            ("POST", r"/v1/files", self._upload),
        ]
        for verb, pattern, handler in routes:
            match = re.fullmatch(pattern, path.split("?")[0])
            if verb == method and match:
                return handler(*match.groups(), headers=headers, body=body)
        return problem(404, "The requested resource could not be found.")

    # -- predictions ---------------------------------------------------------------------------------------
    def _create_official(self, model: str, *, headers: dict[str, str], body: bytes) -> Reply:
        if model not in MODELS:
            return problem(404, "The requested resource could not be found.")
        return self._create(model, "hidden", MODELS[model]["kind"], headers, body)

    def _create_version(self, *, headers: dict[str, str], body: bytes) -> Reply:
        version = json.loads(body).get("version", "")
        if version != MUSICGEN_VERSION:
            return problem(
                422,
                "The specified version does not exist (or perhaps you don't have permission to use it?)",
                "Invalid version or not permitted",
            )
        return self._create(MUSICGEN, version, "music", headers, body)

    def _create(self, model: str, version: str, kind: str, headers: dict[str, str], body: bytes) -> Reply:
        with self.lock:
            if self.create_status:
                status = self.create_status.pop(0)
                return {
                    401: problem(401, "You did not pass a valid authentication token", "Unauthenticated"),
                    402: problem(
                        402,
                        "You have insufficient credit to run this model. Go to "
                        "https://replicate.com/account/billing#billing to purchase credit.",
                        "Insufficient credit",
                    ),
                    500: problem(500, "Internal server error"),
                }.get(status, problem(status, "error"))
            if self.rng.random() < self.throttle_rate:
                self.throttled += 1
                return self._throttle()
            inputs = json.loads(body).get("input", {})
            if unknown := _unknown(model, inputs):  # Replicate drops inputs a model does not have (cog #2943)
                self.dropped.append((model, unknown))
                inputs = {k: v for k, v in inputs.items() if k not in unknown}
            invalid = _validate(model, inputs)
            if invalid:
                detail = "".join(f"- input.{f}: {d}\n" for f, d in invalid)
                return problem(
                    422,
                    detail,
                    "Input validation failed",
                    invalid_fields=[{"type": "enum", "field": f"input.{f}", "description": d} for f, d in invalid],
                )
            outcome, error = "succeeded", None
            if kind == "speech" and inputs.get("voice_id", "Wise_Woman") not in MINIMAX_VOICES:
                outcome, error = "failed", f"voice id not exist: {inputs.get('voice_id')} (MiniMax status 2054)"
            elif self.fail_next:
                outcome, error = "failed", self.fail_next.pop(0)
            elif self.abort_next:
                self.abort_next -= 1
                outcome = "aborted"
            elif self.rng.random() < self.transient_fail_rate:
                outcome, error = "failed", TRANSIENT
            pred = Prediction(
                id=secrets.token_hex(13),
                model=model,
                version=version,
                kind=kind,
                input=inputs,
                created=time.monotonic(),
                run_s=self.model_time[kind] * self.time_scale,
                outcome=outcome,
                error=error,
                held=sum(p.kind == kind for p in self.predictions.values()) >= self.hold_after.get(kind, 1 << 30),
            )
            self.predictions[pred.id] = pred
            self.creates += 1
            running = [p for p in self.predictions.values() if p.created + p.run_s > pred.created]
            self.max_in_flight = max(self.max_in_flight, len(running))
        wait = _prefer_wait(headers.get("prefer", ""))
        if wait is not None:
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and self._status(pred) not in ("succeeded", "failed", "aborted"):
                time.sleep(0.01)
            if self._status(pred) == "processing":
                return json_reply(201, self._json(pred, override="starting"))  # timed out: "starting", as real
            return json_reply(201, self._json(pred), **{"Preference-Applied": "wait"})
        return json_reply(201, self._json(pred))

    def release(self) -> None:
        """Let every held prediction finish (at the end of its model time) and hold no more."""
        with self.lock:
            self.hold_after = {}
            for pred in self.predictions.values():
                pred.held = False

    def _throttle(self) -> Reply:
        detail = f"Request was throttled. Your rate limit resets in ~{self.retry_after}s."
        status, headers, payload = problem(429, detail, retry_after=self.retry_after)
        return status, {**headers, "Retry-After": str(self.retry_after)}, payload

    def _get(self, pid: str, **_: Any) -> Reply:
        with self.lock:
            if self.get_failures > 0:
                self.get_failures -= 1
                return problem(500, "Internal server error")
        pred = self.predictions.get(pid)
        if pred is None:
            return problem(404, "The requested resource could not be found.")
        pred.polls += 1
        return json_reply(200, self._json(pred))

    def _cancel(self, pid: str, **_: Any) -> Reply:
        pred = self.predictions.get(pid)
        if pred is None:
            return problem(404, "The requested resource could not be found.")
        if self._status(pred) in ("starting", "processing"):
            pred.canceled = True
        return json_reply(200, self._json(pred))

    def _status(self, pred: Prediction) -> str:
        if pred.canceled:
            return "canceled"
        elapsed = time.monotonic() - pred.created
        if elapsed < pred.run_s * 0.2:
            return "starting"
        if elapsed < pred.run_s or pred.held:
            return "processing"
        if pred.outcome == "succeeded" and pred.output is None:
            self._finish(pred)
        if pred.outcome == "failed" and not pred.metrics:  # it ran its model time, then failed: that time is billed
            pred.metrics = {"predict_time": self.model_time[pred.kind]}
            self.predict_s[pred.kind] = self.predict_s.get(pred.kind, 0.0) + self.model_time[pred.kind]
        return pred.outcome

    def _json(self, pred: Prediction, override: str | None = None) -> dict[str, Any]:
        status = override or self._status(pred)
        progress = min(1.0, (time.monotonic() - pred.created) / max(pred.run_s, 1e-6))
        steps = int(progress * 28)
        return {
            "id": pred.id,
            "model": pred.model,
            "version": pred.version,
            "input": pred.input,
            "logs": "" if status == "starting" else f"{int(progress * 100)}%|{'#' * (steps // 3)}| {steps}/28",
            "output": pred.output if status == "succeeded" else None,
            "data_removed": False,
            "error": pred.error if status == "failed" else None,
            "status": status,
            "created_at": "2026-11-24T12:00:00.000Z",
            "started_at": None if status == "starting" else "2026-11-24T12:00:01.000Z",
            "completed_at": "2026-11-24T12:00:09.000Z" if status in ("succeeded", "failed", "canceled") else None,
            "urls": {
                "get": f"{self.url}/v1/predictions/{pred.id}",
                "cancel": f"{self.url}/v1/predictions/{pred.id}/cancel",
                "web": f"https://replicate.com/p/{pred.id}",
            },
            "metrics": pred.metrics if status in ("succeeded", "failed") else {},
        }

    # -- outputs -------------------------------------------------------------------------------------------
    def _finish(self, pred: Prediction) -> None:
        makers = {
            "image": self._image,
            "video": self._video,
            "music": self._music,
            "upscale": self._upscale,
            "speech": self._speech,
        }
        data, ext, metrics = makers[pred.kind](pred)
        metrics["predict_time"] = self.model_time[pred.kind]
        file_id = secrets.token_hex(8)
        self.files[file_id] = (data, ext)
        url = (
            f"data:{_mime(ext)};base64,{base64.b64encode(data).decode()}"
            if self.data_uri_outputs
            else f"{self.url}/files/{file_id}.{ext}"
        )
        pred.output = [url] if pred.kind == "image" else url
        pred.metrics = metrics
        self.predict_s[pred.kind] = self.predict_s.get(pred.kind, 0.0) + metrics["predict_time"]
        self.paid += 1
        self.paid_by_kind[pred.kind] = self.paid_by_kind.get(pred.kind, 0) + 1

    def _image(self, pred: Prediction) -> tuple[bytes, str, dict[str, Any]]:
        start = pred.input.get("image")
        init = Image.open(io.BytesIO(self._fetch(start))).convert("RGB") if start else None
        # img2img: the output takes the start image's size, rounded to a multiple of 16 (cog-flux)
        size = (round(init.width / 16) * 16, round(init.height / 16) * 16) if init else None
        size = size or FLUX_SIZES[pred.input.get("aspect_ratio", "1:1")]
        # Like FLUX, the picture follows the prompt and the seed (and the same pair gives the same picture).
        digest = hashlib.sha256(f"{pred.input.get('prompt', '')}|{pred.input.get('seed')}".encode()).digest()
        img = Image.new("RGB", size, (40 + digest[0] % 180, 60 + digest[1] % 120, 100 + digest[2] % 120))
        x, y = 0.15 + digest[3] / 255 * 0.4, 0.15 + digest[4] / 255 * 0.4
        ImageDraw.Draw(img).ellipse(
            (size[0] * x, size[1] * y, size[0] * (x + 0.3), size[1] * (y + 0.3)), fill=(230, 60 + digest[5] % 100, 40)
        )
        if init is not None:  # what is left of the start image: all of it at strength 0, none at 1
            strength = float(pred.input.get("prompt_strength", 0.8))
            img = Image.blend(init.resize(size), img, strength)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        return buf.getvalue(), "png", {"image_output_count": 1}

    def _video(self, pred: Prediction) -> tuple[bytes, str, dict[str, Any]]:
        spec = MODELS[pred.model]
        first = self._fetch(pred.input[spec["image"]])
        with Image.open(io.BytesIO(first)) as img:
            w, h = img.size
        short = spec["short"]
        size = (round(short * w / h / 2) * 2, short) if w >= h else (short, round(short * h / w / 2) * 2)
        seconds = int(pred.input.get("duration", spec["enums"]["duration"][0]))
        audio = spec.get("audio") and pred.input.get("generate_audio", True)
        with tempfile.TemporaryDirectory() as tmp:
            src, out = Path(tmp) / "first.png", Path(tmp) / "out.mp4"
            src.write_bytes(first)
            cmd = [
                imageio_ffmpeg.get_ffmpeg_exe(),
                "-v",
                "error",
                "-loop",
                "1",
                "-framerate",
                str(spec["fps"]),
                "-i",
                str(src),
            ]
            if audio:
                cmd += ["-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=48000:duration={seconds}"]
            cmd += [
                "-t",
                str(seconds),
                "-vf",
                # a slow pan across the start frame, with grain: a clip always moves (grain alone, smoothed by two
                # encodes of the master, could read as a freeze)
                f"crop=iw*0.96:ih*0.96:(iw-ow)*t/{seconds}:(ih-oh)/2,scale={size[0]}:{size[1]},"
                "noise=alls=6:allf=t,format=yuv420p",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-bf",
                "2",
                "-r",
                str(spec["fps"]),
            ]
            cmd += ["-c:a", "aac", "-shortest"] if audio else []
            subprocess.run([*cmd, str(out)], check=True)
            data = out.read_bytes()
        return (
            data,
            "mp4",
            {"video_output_count": 1, "video_output_duration_seconds": seconds, "with_audio": bool(audio)},
        )

    def _upscale(self, pred: Prediction) -> tuple[bytes, str, dict[str, Any]]:
        """The input clip scaled (Lanczos) to the target's short side at ``target_fps``, without its sound: the real
        model's output is not documented to keep audio, so the imitation assumes the worse case."""
        short = UPSCALE_SHORT_SIDE[pred.input.get("target_resolution", "1080p")]
        fps = int(pred.input.get("target_fps", 60))
        with tempfile.TemporaryDirectory() as tmp:
            src, out = Path(tmp) / "in.mp4", Path(tmp) / "out.mp4"
            src.write_bytes(self._fetch(pred.input["video"]))
            scale = f"scale='if(gte(iw,ih),-2,{short})':'if(gte(iw,ih),{short},-2)':flags=lanczos"
            cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(src), "-vf", f"{scale},fps={fps}"]
            cmd += ["-an", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out)]
            subprocess.run(cmd, check=True)
            data = out.read_bytes()
            seconds = probe(out).duration_s
        return data, "mp4", {"video_output_count": 1, "video_output_duration_seconds": round(seconds, 3)}

    def _music(self, pred: Prediction) -> tuple[bytes, str, dict[str, Any]]:
        seconds = int(pred.input.get("duration", 8))
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "music.wav"
            subprocess.run(
                [
                    imageio_ffmpeg.get_ffmpeg_exe(),
                    "-v",
                    "error",
                    "-f",
                    "lavfi",
                    "-i",
                    f"sine=frequency=220:sample_rate=32000:duration={seconds}",
                    "-ac",
                    "2",
                    str(out),
                ],
                check=True,
            )
            return out.read_bytes(), "wav", {"audio_output_duration_seconds": seconds}

    def _speech(self, pred: Prediction) -> tuple[bytes, str, dict[str, Any]]:
        """The line, speech-like (mono), at the asked sample rate and format (mp3 unless asked)."""
        said = speak(pred.input["text"], int(pred.input.get("sample_rate", 32000)), float(pred.input.get("speed", 1)))
        fmt = pred.input.get("audio_format", "mp3")
        self.spoken.append({"input": pred.input, "words": said.words, "seconds": said.seconds})
        return encode(said, fmt), fmt, {}

    def _fetch(self, ref: str) -> bytes:
        if ref.startswith("data:"):
            return base64.b64decode(ref.split(",", 1)[1])
        file_id = ref.rstrip("/").split("/")[-1].split(".")[0]
        return self.files[file_id][0]

    def _serve_file(self, path: str) -> Reply:
        file_id = path.split("/")[-1].split(".")[0]
        if file_id not in self.files:
            return problem(404, "The requested resource could not be found.")
        data, ext = self.files[file_id]
        return 200, {"Content-Type": _mime(ext)}, data

    # -- other endpoints -------------------------------------------------------------------------------------
    def _upload(self, *, headers: dict[str, str], body: bytes) -> Reply:
        message = BytesParser(policy=default_policy).parsebytes(
            f"Content-Type: {headers['content-type']}\r\n\r\n".encode() + body
        )
        part = next(p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "content")
        data = part.get_payload(decode=True)
        file_id = secrets.token_hex(8)
        ext = (part.get_filename() or "upload.bin").rsplit(".", 1)[-1]
        self.files[file_id] = (data, ext)
        return json_reply(
            201,
            {
                "id": file_id,
                "name": part.get_filename(),
                "content_type": part.get_content_type(),
                "size": len(data),
                "etag": file_id,
                "checksums": {},
                "metadata": {},
                "created_at": "2026-11-24T12:00:00Z",
                "expires_at": "2026-11-25T12:00:00Z",
                "urls": {"get": f"{self.url}/files/{file_id}.{ext}"},
            },
        )

    def _model(self, name: str, **_: Any) -> Reply:
        if name != MUSICGEN and name not in MODELS:
            return problem(404, "The requested resource could not be found.")
        owner, model = name.split("/")
        latest = (
            {"id": MUSICGEN_VERSION, "created_at": "2023-06-01T00:00:00Z", "cog_version": "0.8.0", "openapi_schema": {}}
            if name == MUSICGEN
            else None
        )
        return json_reply(
            200,
            {
                "url": f"https://replicate.com/{name}",
                "owner": owner,
                "name": model,
                "description": "",
                "visibility": "public",
                "github_url": None,
                "paper_url": None,
                "license_url": None,
                "run_count": 1,
                "cover_image_url": None,
                "default_example": None,
                "latest_version": latest,
            },
        )

    def _version(self, name: str, version: str, **_: Any) -> Reply:
        if name != MUSICGEN or version != MUSICGEN_VERSION:
            return problem(404, "The requested resource could not be found.")
        return json_reply(
            200,
            {
                "id": version,
                "created_at": "2023-06-01T00:00:00Z",
                "cog_version": "0.8.0",
                "openapi_schema": {"components": {"schemas": {"Output": {"type": "string", "format": "uri"}}}},
            },
        )


def _validate(model: str, inputs: dict[str, Any]) -> list[tuple[str, str]]:
    if model not in MODELS:
        return []
    spec = MODELS[model]
    required = spec.get("required", ["prompt"]) + ([spec["image"]] if spec.get("required_image") else [])
    invalid = [(name, f"{name} is required") for name in required if not inputs.get(name)]
    strength = inputs.get("prompt_strength")
    if strength is not None and not (isinstance(strength, int | float) and 0 <= strength <= 1):
        invalid.append(("prompt_strength", "prompt_strength must be less than or equal to 1"))
    for name, allowed in spec["enums"].items():
        if name in inputs and inputs[name] not in allowed:
            invalid.append((name, f"{name} must be one of the following: {', '.join(map(str, allowed))}"))
    for name, most in spec.get("lengths", {}).items():
        if len(str(inputs.get(name, ""))) > most:
            invalid.append((name, f"{name} must be at most {most} characters"))
    for name, (low, high) in spec.get("ranges", {}).items():
        if name in inputs and not (isinstance(inputs[name], int) and low <= inputs[name] <= high):
            invalid.append((name, f"{name} must be an integer from {low} to {high}"))
    return invalid


def _unknown(model: str, inputs: dict[str, Any]) -> list[str]:
    """The start-image inputs of an image model that has none (flux-schnell): the real API drops them unread."""
    spec = MODELS.get(model, {})
    if spec.get("kind") != "image" or spec.get("image"):
        return []
    return [name for name in ("image", "prompt_strength") if name in inputs]


def _prefer_wait(value: str) -> float | None:
    match = re.match(r"wait(?:=(\d+))?", value.strip())
    if not match:
        return None
    return float(match.group(1) or 60)


def _mime(ext: str) -> str:
    return {"png": "image/png", "mp4": "video/mp4", "wav": "audio/wav", "webp": "image/webp"}.get(
        ext, "application/octet-stream"
    )
