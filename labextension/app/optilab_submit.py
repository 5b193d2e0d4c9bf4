"""Assignment submission from the course lab (used under `optilab hub`).

GET  /optilab/submit                      -> {"enabled", "student", "assignments"}
POST /optilab/submit {"path": "labs/x.ipynb"}
  copies the saved notebook <root>/labs/x.ipynb into the exchange:
    $OPTILAB_EXCHANGE/submitted/<assignment>/<student>/<UTC timestamp>.ipynb
  and appends {file, submittedAt, sha256, bytes, path} to submission.json next to it (latest last), where
  <assignment> is the notebook's name without .ipynb and must be a released assignment
  ($OPTILAB_EXCHANGE/released/<assignment>.ipynb), and <student> is $JUPYTERHUB_USER.
The timestamp is the server's clock in UTC, so `optilab hub collect --due` can flag late work.
"""
import datetime
import hashlib
import json
import os
import re

from jupyter_server.base.handlers import APIHandler
from tornado import web

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _exchange():
    ex = os.environ.get("OPTILAB_EXCHANGE")
    return ex if ex and os.path.isdir(ex) else None


def _max_bytes():
    """The hand-in limit: the grader's MAX_SUBMISSION_BYTES (src/grader/engine/engine.ts), passed by the hub."""
    value = os.environ.get("OPTILAB_SUBMISSION_MAX_BYTES", "")
    if not value.isdigit():
        raise web.HTTPError(500, "the hub did not pass OPTILAB_SUBMISSION_MAX_BYTES: restart the class with `optilab hub`")
    return int(value)


def _student():
    return os.environ.get("JUPYTERHUB_USER") or os.environ.get("USER") or ""


def _released(ex):
    folder = os.path.join(ex, "released")
    if not os.path.isdir(folder):
        return []
    return sorted(f[: -len(".ipynb")] for f in os.listdir(folder) if f.endswith(".ipynb") and not f.startswith("."))


class SubmitHandler(APIHandler):
    @web.authenticated
    def get(self):
        ex = _exchange()
        self.finish(json.dumps({"enabled": ex is not None, "student": _student(), "assignments": _released(ex) if ex else []}))

    @web.authenticated
    def post(self):
        ex = _exchange()
        if ex is None:
            raise web.HTTPError(409, "submitting needs the class hub: this lab has no assignment exchange (OPTILAB_EXCHANGE)")
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            raise web.HTTPError(400, 'the request body must be JSON: {"path": "<notebook path>"}')
        rel = body.get("path") if isinstance(body, dict) else None
        if not isinstance(rel, str) or not rel.endswith(".ipynb"):
            raise web.HTTPError(400, f"give the path of a notebook (.ipynb) to submit, got {rel!r}")
        # Resolved by the contents manager: a path outside the student's workspace is a 404.
        os_path = self.contents_manager._get_os_path(rel.strip("/"))
        if not os.path.isfile(os_path):
            raise web.HTTPError(404, f"{rel} does not exist: save the notebook first")
        assignment = os.path.basename(os_path)[: -len(".ipynb")]
        released = _released(ex)
        if assignment not in released:
            raise web.HTTPError(
                400,
                f"{os.path.basename(os_path)} is not a released assignment (released: {', '.join(released) or 'none yet'}); "
                "submit the notebook your instructor released, under its own name",
            )
        student = _student()
        if not NAME.match(student):
            raise web.HTTPError(500, f"cannot tell who is submitting (JUPYTERHUB_USER is {student!r})")
        max_bytes = _max_bytes()
        with open(os_path, "rb") as f:
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise web.HTTPError(413, f"{rel} is larger than {max_bytes // (1024 * 1024)} MiB: clear large outputs and save again")
        try:
            nb = json.loads(data)
            assert isinstance(nb, dict) and isinstance(nb.get("cells"), list)
        except (ValueError, AssertionError):
            raise web.HTTPError(400, f"{rel} is not a valid notebook: save it again from the lab")

        now = datetime.datetime.now(datetime.timezone.utc)
        stamp = now.strftime("%Y-%m-%dT%H-%M-%S.") + f"{now.microsecond // 1000:03d}Z"
        submitted_at = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        folder = os.path.join(ex, "submitted", assignment, student)
        try:
            os.makedirs(folder, exist_ok=True)
        except PermissionError:
            raise web.HTTPError(500, f"cannot write to the exchange ({folder}): ask your instructor to release {assignment} again")
        target = os.path.join(folder, f"{stamp}.ipynb")
        tmp = os.path.join(folder, f".{stamp}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        entry = {
            "file": os.path.basename(target),
            "submittedAt": submitted_at,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "path": rel,
        }
        meta_path = os.path.join(folder, "submission.json")
        meta = {"assignment": assignment, "student": student, "submissions": []}
        if os.path.isfile(meta_path):
            try:
                with open(meta_path, encoding="utf-8") as f:
                    old = json.load(f)
                if isinstance(old.get("submissions"), list):
                    meta["submissions"] = old["submissions"]
            except ValueError:
                pass  # rebuilt from this submission on; the notebooks themselves are all kept
        meta["submissions"].append(entry)
        tmp = meta_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=1)
        os.replace(tmp, meta_path)
        self.log.info("optilab: %s submitted %s (%s)", student, assignment, entry["file"])
        self.finish(json.dumps({"assignment": assignment, "student": student, **entry, "count": len(meta["submissions"])}))
