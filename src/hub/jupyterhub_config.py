"""JupyterHub configuration of `optilab hub`: one course lab (labextension/app/server.py) per student.

Not meant to be edited or run by hand: `optilab hub` writes the settings (ports, folders, authenticator, admins)
to <state>/settings.json and starts Debian's JupyterHub 3.0 with
  OPTILAB_HUB_SETTINGS=<state>/settings.json /usr/bin/python3 -m jupyterhub -f src/hub/jupyterhub_config.py
from the hub state folder (default .cache/hub/), so the sqlite database, the cookie secret, the proxy's pid file
and the logs stay in that folder, never in the home directory.

Per student (see CourseSpawner):
- a workspace: <users-dir>/<name> with the test authenticator (the servers run as the hub's own user, root,
  with allow_root), or ~<name>/optilab of the system user with PAM (the server runs as that user);
- on every spawn the course files that are missing are copied in (chapter notebooks, released labs in labs/) by
  fill_workspace.py, run as the student: a student's edits are never overwritten, a deleted notebook comes back;
- `jupyterhub-singleuser` (jupyter_server) with the course lab registered as a server extension (through the
  jupyter_server_config.d/ file optilab hub writes), the tslab kernel only, and the assignment exchange.
Every process of a student's server carries OPTILAB_HUB_ID in its environment, so `optilab hub` can make sure
nothing (no kernel) outlives the hub.
"""
import asyncio
import json
import os
import pwd

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid

SETTINGS_FILE = os.environ.get("OPTILAB_HUB_SETTINGS")
if not SETTINGS_FILE:
    raise SystemExit("optilab hub: OPTILAB_HUB_SETTINGS is not set: start the hub with `optilab hub`")
with open(SETTINGS_FILE, encoding="utf-8") as f:
    S = json.load(f)

TEST_AUTH = S["authenticator"] == "test"
STATE = S["state"]
EXCHANGE = S["exchange"]
RELEASED = os.path.join(EXCHANGE, "released")
SUBMITTED = os.path.join(EXCHANGE, "submitted")


HERE = os.path.dirname(os.path.abspath(__file__))
FILL = os.path.join(HERE, "fill_workspace.py")


def _mkdir(path, uid=None, gid=None, mode=0o755):
    """Creates a folder of the exchange (root-owned parents, so students cannot swap them for symlinks)."""
    if not os.path.isdir(path):
        os.makedirs(path, exist_ok=True)
        if uid is not None and os.geteuid() == 0:
            os.chown(path, uid, gid)
    os.chmod(path, mode)


def released_assignments():
    """Names of the released assignments (exchange/released/<name>.ipynb)."""
    if not os.path.isdir(RELEASED):
        return []
    return sorted(f[: -len(".ipynb")] for f in os.listdir(RELEASED) if f.endswith(".ipynb") and not f.startswith("."))


async def prepare_workspace(name, workspace, uid, gid, log):
    """Copies the course files the student's workspace lacks (as the student), gives them a private submission
    folder for every released lab, and records the workspace for `optilab hub release`."""
    files = [dict(item) for item in S["course"]]
    for a in released_assignments():
        files.append({"src": os.path.join(RELEASED, f"{a}.ipynb"), "dest": os.path.join(S["labsFolder"], f"{a}.ipynb")})
        _mkdir(os.path.join(SUBMITTED, a), None, None, 0o711)
        _mkdir(os.path.join(SUBMITTED, a, name), uid, gid, 0o700)
    request = {
        "workspace": workspace,
        "private": uid is not None,
        "files": files,
        "nodeModules": os.path.join(S["root"], "node_modules"),
        "dirs": [".optilab", ".optilab/lab", ".optilab/runtime", ".optilab/data"],
    }
    proc = await asyncio.create_subprocess_exec(
        "/usr/bin/python3", FILL,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        preexec_fn=set_user_setuid(name) if uid is not None else None,
        cwd="/",
    )
    out, err = await proc.communicate(json.dumps(request).encode())
    if proc.returncode != 0:
        raise RuntimeError(f"optilab: could not prepare {name}'s workspace {workspace}: {err.decode(errors='replace').strip()[-800:]}")
    copied = json.loads(out)["copied"]
    record = {"name": name, "workspace": workspace, "uid": uid, "gid": gid}
    _mkdir(os.path.join(STATE, "workspaces"), None, None, 0o700)
    tmp = os.path.join(STATE, "workspaces", f".{name}.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(record, f)
    os.replace(tmp, os.path.join(STATE, "workspaces", f"{name}.json"))
    if copied:
        log.info("optilab: %s: copied %s into %s", name, ", ".join(copied), workspace)


class CourseSpawner(LocalProcessSpawner):
    """LocalProcessSpawner with a course workspace per student (see the module docstring)."""

    def _account(self):
        """(workspace, uid, gid): uid/gid None when the server runs as the hub's own user (test authenticator)."""
        if TEST_AUTH:
            return os.path.join(S["usersDir"], self.user.name), None, None
        try:
            pw = pwd.getpwnam(self.user.name)
        except KeyError:
            raise RuntimeError(
                f"{self.user.name} is not a system user: with --authenticator pam every student needs an account "
                f"(adduser {self.user.name}), or start the hub with --authenticator test for local trials"
            )
        return os.path.join(pw.pw_dir, "optilab"), pw.pw_uid, pw.pw_gid

    def make_preexec_fn(self, name):
        if TEST_AUTH:
            return None  # test users are not system users: the server runs as the hub's user
        return super().make_preexec_fn(name)

    def user_env(self, env):
        if TEST_AUTH:
            env["USER"] = self.user.name
            env["HOME"] = self._account()[0]
            return env
        return super().user_env(env)

    def get_env(self):
        env = super().get_env()
        workspace = self._account()[0]
        private = os.path.join(workspace, ".optilab")
        env.update(S["singleuserEnv"])
        env.update(
            {
                "JUPYTERHUB_SINGLEUSER_APP": "jupyter_server.serverapp.ServerApp",
                "OPTILAB_LAB_STATE": os.path.join(private, "lab"),
                "JUPYTER_RUNTIME_DIR": os.path.join(private, "runtime"),
                "JUPYTER_DATA_DIR": os.path.join(private, "data"),
                "OPTILAB_EXCHANGE": EXCHANGE,
                "OPTILAB_HUB_ID": S["hubId"],
            }
        )
        return env

    async def start(self):
        workspace, uid, gid = self._account()
        await prepare_workspace(self.user.name, workspace, uid, gid, self.log)
        self.notebook_dir = workspace
        return await super().start()


c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

c.JupyterHub.bind_url = f"http://{S['ip']}:{S['port']}/"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = S["hubPort"]
c.JupyterHub.db_url = "sqlite:///" + os.path.join(STATE, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(STATE, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(STATE, "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.log_level = S.get("logLevel", "INFO")

# Debian's proxy package does not run under this node: the npm configurable-http-proxy of the checkout.
c.ConfigurableHTTPProxy.command = [S["proxyCommand"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{S['proxyApiPort']}"
c.ConfigurableHTTPProxy.pid_file = os.path.join(STATE, "proxy.pid")

if TEST_AUTH:
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = S["testPassword"]
else:
    c.JupyterHub.authenticator_class = "pam"
# Names become folder names (workspaces, the exchange): keep them plain.
c.Authenticator.username_pattern = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
c.Authenticator.admin_users = set(S["admins"])
if S["users"]:
    c.Authenticator.allowed_users = set(S["users"]) | set(S["admins"])

c.JupyterHub.spawner_class = CourseSpawner
c.Spawner.cmd = ["/usr/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.args = ["--ServerApp.allow_root=True"] if TEST_AUTH else []
c.Spawner.env_keep = ["LANG", "LC_ALL", "TZ", "OPTILAB_QUICK", "OPTILAB_BACKEND", "OPTILAB_CACHE_DIR"]
c.Spawner.start_timeout = S.get("startTimeout", 120)
c.Spawner.http_timeout = S.get("startTimeout", 120)
# The server shuts its kernels down on SIGINT (server.py); give it the time to.
c.LocalProcessSpawner.interrupt_timeout = 15
