"""Where models come from: --model PATH|NAME, SAO_MODEL, the caches, and `sao models pull`.

Resolution order: the --model value, else $SAO_MODEL, else the name
"sao-instruct". A value is a path when it names an existing file or folder, or
looks like one (contains a slash, starts with . or ~); else it is a NAME below.

- A model folder (sao_model.json) is used as it is.
- A stable-audio-tools checkpoint or a diffusers pipeline folder is converted
  once into $SAO_CACHE/converted/<key>/, keyed by its path, size and time, and
  reused while it is unchanged.
- A NAME is looked up in $SAO_CACHE/models/NAME/; failing that, when the hub
  cache holds its checkpoint, it is converted there first.

Network use is `pull` only, and never happens when HF_HUB_OFFLINE is set. Every
request has a time limit: huggingface_hub sends some requests with no timeout
and retries timeouts with back-off, so an endpoint that accepts connections and
never answers would hang it. Before any download, `probe` asks the endpoint once
with a 5 s limit and gives up with exit 6; after that, a transport that gives
every request connect/read limits keeps a stalled download from hanging.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from engine.errors import NeedsModel, UsageError

from . import folder as folder_io
from .configs import T5_BASE

DEFAULT_MODEL = "sao-instruct"
PROBE_TIMEOUT_S = 5.0
REQUEST_TIMEOUT_S = 30.0
OFFLINE_VALUES = ("1", "on", "yes", "true")


@dataclass(frozen=True)
class Pullable:
    repo: str
    what: str
    checkpoint: bool = False  # a stable-audio-tools checkpoint, converted into $SAO_CACHE/models/NAME
    needs: tuple[str, ...] = ()  # other names pulled with it
    gated: bool = False
    patterns: tuple[str, ...] = ()  # files of a plain hub download


PULLABLE = {
    "sao-instruct": Pullable("disco-eth/sao-instruct", "SAO-Instruct, the instruction-following audio editor",
                             checkpoint=True, needs=("t5-base",)),
    "stable-audio-open": Pullable("stabilityai/stable-audio-open-1.0",
                                  "Stable Audio Open 1.0, the text-to-audio base model for gen-data and train",
                                  checkpoint=True, needs=("t5-base",), gated=True),
    "t5-base": Pullable(T5_BASE, "the T5 text encoder both models read instructions with",
                        patterns=("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                                  "spiece.model", "special_tokens_map.json")),
    "clap": Pullable("laion/clap-htsat-unfused", "LAION-CLAP, for gen-data filtering and sao eval",
                     patterns=("*.json", "*.safetensors", "*.txt")),
}
MODEL_NAMES = tuple(n for n, p in PULLABLE.items() if p.checkpoint)


# ---------------------------------------------------------------- locations


def cache_dir() -> Path:
    """$SAO_CACHE, else $XDG_CACHE_HOME/sao, else ~/.cache/sao."""
    if os.environ.get("SAO_CACHE"):
        return Path(os.environ["SAO_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sao"


def is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in OFFLINE_VALUES


def named_folder(name: str) -> Path:
    return cache_dir() / "models" / name


def hub_snapshot(repo_id: str, purpose: str = "") -> Path:
    """The local hub-cache folder of `repo_id`; NeedsModel (6) when it is not there. Never downloads."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        name = next((n for n, p in PULLABLE.items() if p.repo == repo_id), None)
        for_what = f" (needed for {purpose})" if purpose else ""
        hint = f"Run: sao models pull {name}" if name else f"Download {repo_id} into the Hugging Face cache."
        raise NeedsModel(f"{repo_id} is not in the local Hugging Face cache{for_what}", hint=_online_hint(hint)) from None


def _online_hint(hint: str) -> str:
    return hint + (" (unset HF_HUB_OFFLINE first)" if is_offline() else "")


# ---------------------------------------------------------------- resolving --model


def resolve_model(spec: str | None = None) -> Path:
    """The model folder that --model `spec` (or SAO_MODEL, or the default name) means.

    Exit codes: 2 for a path that is missing or is no model; 6 when a name is not
    available here (the message says what to run).
    """
    source = "--model"
    if not spec:
        spec, source = os.environ.get("SAO_MODEL") or "", "SAO_MODEL"
    if not spec:
        spec, source = DEFAULT_MODEL, "default"
    if _looks_like_path(spec):
        return resolve_path(Path(spec).expanduser().absolute(), source)  # absolute: sidecars and the server need it
    if spec in MODEL_NAMES:
        return resolve_name(spec)
    if spec in PULLABLE:
        raise UsageError(f"{spec} is a helper model, not an editing model; use one of {', '.join(MODEL_NAMES)} or a folder")
    raise UsageError(f"{source}: no model called {spec!r} and no such file or folder",
                     hint=f"Names: {', '.join(MODEL_NAMES)}. Or pass a model folder or stable-audio-tools checkpoint folder.")


def _looks_like_path(spec: str) -> bool:
    return os.path.exists(spec) or "/" in spec or os.sep in spec or spec.startswith((".", "~"))


def resolve_path(path: Path, source: str = "--model") -> Path:
    """A model folder for this path, converting a checkpoint or pipeline folder into the cache once."""
    from .convert import find_sat_files, is_diffusers_pipeline

    if not path.exists():
        raise UsageError(f"{source}: {path} does not exist")
    if path.is_file() and path.parent.is_dir() and find_sat_files(path.parent):
        path = path.parent  # a checkpoint file: its folder holds the config
    if folder_io.is_model_folder(path):
        return path
    if find_sat_files(path) or is_diffusers_pipeline(path):
        return _converted(path)
    raise UsageError(
        f"{source}: {path} is not a sao model folder (no {folder_io.CONFIG_FILE}), a stable-audio-tools "
        "checkpoint (config.json + model.safetensors/model.pt) or a diffusers Stable Audio pipeline folder",
        hint="Make one with `sao models init-random DIR` or `sao models pull sao-instruct`.",
    )


def _converted(src: Path) -> Path:
    from .convert import convert_checkpoint, convert_diffusers_pipeline, find_sat_files

    files = find_sat_files(src)
    stamp = hashlib.sha256(str(src.resolve()).encode())
    for f in files or sorted(src.rglob("*")):
        if f.is_file():
            st = f.stat()
            stamp.update(f"{f.relative_to(src)}:{st.st_size}:{st.st_mtime_ns};".encode())
    dest = cache_dir() / "converted" / f"{src.name}-{stamp.hexdigest()[:16]}"
    if folder_io.is_model_folder(dest):
        return dest
    _say(f"converting {src} into {dest} (once)")
    if files:
        return convert_checkpoint(src, dest)
    return convert_diffusers_pipeline(src, dest)


def resolve_name(name: str) -> Path:
    """$SAO_CACHE/models/NAME, converting the hub cache's checkpoint there when needed."""
    dest = named_folder(name)
    if folder_io.is_model_folder(dest):
        return dest
    weights = _cached_checkpoint(PULLABLE[name].repo)
    if weights is None:
        raise NeedsModel(f"the {name} model is not available on this machine",
                         hint=_online_hint(f"Run: sao models pull {name}") +
                         ". Or pass --model DIR / set SAO_MODEL; `sao models init-random DIR` makes a random test model.")
    from .convert import convert_checkpoint

    _say(f"converting the cached {name} checkpoint into {dest} (once)")
    return convert_checkpoint(weights.parent, dest)


def _cached_checkpoint(repo_id: str) -> Path | None:
    """The weights file of a stable-audio-tools checkpoint in the hub cache, with its config beside it."""
    from huggingface_hub import try_to_load_from_cache

    from .convert import SAT_CONFIG_FILES, SAT_WEIGHT_FILES

    configs = [try_to_load_from_cache(repo_id, n) for n in SAT_CONFIG_FILES]
    config = next((Path(c) for c in configs if isinstance(c, str)), None)
    if config is None:
        return None
    weights = [try_to_load_from_cache(repo_id, n) for n in SAT_WEIGHT_FILES]
    return next((Path(w) for w in weights if isinstance(w, str) and Path(w).parent == config.parent), None)


# ---------------------------------------------------------------- pulling


def pull(name: str, token: str | None = None) -> Path:
    """Download NAME (and what it needs) into the hub cache; convert checkpoints into $SAO_CACHE/models/NAME."""
    if name not in PULLABLE:
        raise UsageError(f"nothing called {name!r} to pull; choose one of {', '.join(PULLABLE)}")
    if is_offline():
        raise NeedsModel(f"cannot pull {name}: HF_HUB_OFFLINE is set", hint=f"Unset HF_HUB_OFFLINE, then run: sao models pull {name}")
    item = PULLABLE[name]
    for other in item.needs:
        pull(other, token)
    _use_request_timeouts()
    probe(item.repo, token)
    if not item.checkpoint:
        return _hub_call(name, lambda: Path(_snapshot(item, token)))
    weights = _hub_call(name, lambda: _download_checkpoint(item.repo, token))
    from .convert import convert_checkpoint

    _say(f"converting {name} into {named_folder(name)}")
    return convert_checkpoint(weights.parent, named_folder(name))


def _snapshot(item: Pullable, token: str | None) -> str:
    from huggingface_hub import snapshot_download

    return snapshot_download(item.repo, allow_patterns=list(item.patterns), token=token, etag_timeout=PROBE_TIMEOUT_S)


def _download_checkpoint(repo_id: str, token: str | None) -> Path:
    """Config plus one weights file (safetensors preferred); returns the weights' cached path."""
    from huggingface_hub import HfApi, hf_hub_download

    from .convert import SAT_CONFIG_FILES, SAT_WEIGHT_FILES

    present = set(HfApi().list_repo_files(repo_id, token=token))
    config = next((n for n in SAT_CONFIG_FILES if n in present), None)
    weights = next((n for n in SAT_WEIGHT_FILES if n in present), None)
    if config is None or weights is None:
        raise UsageError(f"{repo_id} on the hub holds no stable-audio-tools checkpoint (config + model weights)")
    hf_hub_download(repo_id, config, token=token, etag_timeout=PROBE_TIMEOUT_S)
    return Path(hf_hub_download(repo_id, weights, token=token, etag_timeout=PROBE_TIMEOUT_S))


def _hub_call(name: str, fn):
    """Run a hub download; network and permission failures become NeedsModel (6) with what to do."""
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    try:
        from httpx2 import HTTPError as TransportFailure  # timeouts and network errors huggingface_hub lets through
    except ImportError:
        TransportFailure = OSError
    item = PULLABLE[name]
    page = f"https://huggingface.co/{item.repo}"
    try:
        return fn()
    except GatedRepoError:
        raise NeedsModel(f"{item.repo} is gated and this account has no access",
                         hint=f"Accept its licence at {page}, then log in (`hf auth login`) or set HF_TOKEN.") from None
    except RepositoryNotFoundError:
        raise NeedsModel(f"{item.repo} was not found on the hub (or needs a login)",
                         hint="Log in with `hf auth login` or set HF_TOKEN, then pull again.") from None
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError, TransportFailure) as e:
        reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise NeedsModel(f"downloading {name} failed: {reason}", hint=f"Check the connection, then run: sao models pull {name}") from None


def probe(repo_id: str, token: str | None = None) -> None:
    """Ask the hub endpoint once, with a short limit; NeedsModel (6) when it does not answer.

    Any HTTP answer (even 401 or 404) proves the endpoint is alive; access
    errors are reported by the download itself.
    """
    from huggingface_hub import constants

    endpoint = os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
    url = f"{endpoint.rstrip('/')}/api/models/{repo_id}"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        urllib.request.urlopen(urllib.request.Request(url, headers=headers, method="GET"), timeout=PROBE_TIMEOUT_S).close()
    except urllib.error.HTTPError:
        return
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise NeedsModel(f"the Hugging Face hub at {endpoint} did not answer within {PROBE_TIMEOUT_S:.0f} s ({reason})",
                         hint="Check the network (or HF_ENDPOINT), then pull again; set HF_HUB_OFFLINE=1 to stay offline.") from None


def _use_request_timeouts() -> None:
    """Give every huggingface_hub request connect/read limits (it sends some with none).

    Uses huggingface_hub's client factory (its httpx2-based releases); where
    that is missing, its own limits stay and `probe` still guards the start.
    """
    try:
        import httpx2
        from huggingface_hub import set_client_factory
        from huggingface_hub.utils._http import hf_request_event_hook  # offline check, request ids
    except ImportError:
        return

    class TimeLimited(httpx2.HTTPTransport):
        def handle_request(self, request):
            limits = request.extensions.get("timeout") or {}
            request.extensions["timeout"] = {k: REQUEST_TIMEOUT_S if limits.get(k) is None else limits[k]
                                             for k in ("connect", "read", "write", "pool")}
            return super().handle_request(request)

    set_client_factory(lambda: httpx2.Client(transport=TimeLimited(), event_hooks={"request": [hf_request_event_hook]},
                                             follow_redirects=True, timeout=REQUEST_TIMEOUT_S))


# ---------------------------------------------------------------- listing


@dataclass(frozen=True)
class LocalModel:
    name: str
    kind: str  # "model folder" | "converted checkpoint" | "hub cache"
    path: Path
    size_bytes: int


def list_local() -> list[LocalModel]:
    """Model folders in $SAO_CACHE and known repos in the hub cache, with their sizes. Never downloads."""
    found = []
    for kind, sub in (("model folder", "models"), ("converted checkpoint", "converted")):
        base = cache_dir() / sub
        if base.is_dir():
            for path in sorted(base.iterdir()):
                if folder_io.is_model_folder(path):
                    found.append(LocalModel(path.name, kind, path, folder_io.folder_size(path)))
    try:
        from huggingface_hub import scan_cache_dir

        repos = {r.repo_id: r for r in scan_cache_dir().repos}
    except Exception:  # no cache folder yet, or one this huggingface_hub cannot read: nothing to list
        repos = {}
    for name, item in PULLABLE.items():
        repo = repos.get(item.repo)
        if repo is not None:
            found.append(LocalModel(f"{name} ({item.repo})", "hub cache", Path(repo.repo_path), repo.size_on_disk))
    return found


def _say(message: str) -> None:
    import sys

    print(f"sao: {message}", file=sys.stderr, flush=True)
