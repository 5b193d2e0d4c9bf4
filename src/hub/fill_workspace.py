"""Fills a student's workspace with the course files it lacks; never overwrites a file that is there.

Run by the hub at each spawn (jupyterhub_config.py) and by `optilab hub release`, as the student who owns the
workspace (PAM), so a symlink a student planted in their workspace can never make the hub write with more
rights than the student's own. Reads a JSON request on stdin:
  {"workspace": dir, "private": bool, "files": [{"src": abs path, "dest": path in the workspace}],
   "nodeModules": link target or null, "dirs": [private folders to create]}
and prints {"copied": [dest...], "kept": [dest...]}.
"""
import json
import os
import shutil
import sys


def fill(req):
    ws = req["workspace"]
    if not os.path.isdir(ws):
        os.makedirs(ws, exist_ok=True)
        os.chmod(ws, 0o700 if req.get("private") else 0o755)
    copied, kept = [], []
    for item in req.get("files", []):
        dest = os.path.join(ws, item["dest"])
        if os.path.lexists(dest):
            kept.append(item["dest"])
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        tmp = f"{dest}.optilab-tmp"
        shutil.copyfile(item["src"], tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
        copied.append(item["dest"])
    # tslab type-checks cells against @types/node and optilab: they must resolve from the workspace.
    link = req.get("nodeModules")
    if link and not os.path.lexists(os.path.join(ws, "node_modules")):
        os.symlink(link, os.path.join(ws, "node_modules"))
    for sub in req.get("dirs", []):
        os.makedirs(os.path.join(ws, sub), mode=0o700, exist_ok=True)
    return {"copied": copied, "kept": kept}


if __name__ == "__main__":
    json.dump(fill(json.load(sys.stdin)), sys.stdout)
