"""Safety: no network, no pickle or eval, no code run from user files, limits that are set and named.

A corpus tool reads untrusted files from crawls. It must not reach out (a page
or a WARC record names URLs; nothing may fetch them), must not deserialize
code, and every bound that protects memory must be configurable in the
pipeline's ``[input]`` and named in the reason of the reject it causes.
"""

from __future__ import annotations

import ast
import gzip
import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES
from corpus.engines.local import run
from corpus.pipeline import load_pipeline
from corpus.snapshot import load_snapshot, verify_snapshot

PIPELINE = ROOT / "pipelines" / "case_reporting.toml"
PACKAGE = ROOT / "corpus"


class NetworkUsed(AssertionError):
    pass


def refuse(*args, **kwargs):
    raise NetworkUsed(f"network access attempted: {args!r}")


def test_the_whole_pipeline_runs_with_the_network_blocked(tmp_path: Path, monkeypatch) -> None:
    for name in ("connect", "connect_ex", "sendto", "sendmsg"):
        monkeypatch.setattr(socket.socket, name, refuse)
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        monkeypatch.setattr(socket, name, refuse)
    formats = {p.parent.name for p in SAMPLES.rglob("*") if p.is_file() and p.parent != SAMPLES}
    assert {"html", "warc", "jsonl", "text"} <= formats  # HTML pages and a WARC crawl are in the run

    out = tmp_path / "snapshot"
    result = run(load_pipeline(PIPELINE).with_overrides(output=str(out)))
    assert verify_snapshot(out) == []
    assert result.counts["kept"] > 0
    urls = [d.url for d in load_snapshot(out).documents() if d.url]
    assert any(u.startswith("http") for u in urls)  # pages named URLs, and nothing fetched them


AUDIT = '''
import sys

FORBIDDEN = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request",
             "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "pickle.find_class")
seen = []

def hook(event, args):
    if event.startswith(FORBIDDEN):
        seen.append(event)
        raise RuntimeError(f"forbidden: {event}")

sys.addaudithook(hook)
from corpus.cli import main
try:
    main(sys.argv[1:], prog_name="corpus", standalone_mode=False)
finally:
    print("EVENTS", sorted(set(seen)), file=sys.stderr)
'''


def test_a_cli_run_raises_no_network_process_or_unpickling_audit_event(tmp_path: Path) -> None:
    """Python's audit hooks see every socket, process and unpickling call, from any library.

    (``marshal.loads`` is not on the list: importing any module from its .pyc raises it.)
    """
    script = tmp_path / "audited.py"
    script.write_text(AUDIT, encoding="utf-8")
    out = tmp_path / "snapshot"
    done = subprocess.run([sys.executable, str(script), "run", str(PIPELINE), "--output", str(out), "--no-progress"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "EVENTS []" in done.stderr
    assert verify_snapshot(out) == []


# --------------------------------------------------------------------------- code


def python_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


# No module pickles (worker processes and Ray tasks get their documents pickled by
# concurrent.futures and Ray, in memory, never from a file).
DESERIALIZERS = {"pickle", "cPickle", "dill", "cloudpickle", "marshal", "shelve", "joblib"}
RUNS_CODE = {"eval", "exec", "compile", "__import__", "breakpoint"}


def findings(path: Path, name: str | None = None) -> list[str]:
    """Imports of deserializers, calls that run code, ``allow_pickle=True``, ``yaml.load`` and process spawning.

    ``name`` is the module's path inside the package (by default, where ``path`` is).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = name or path.relative_to(PACKAGE).as_posix()
    found = []
    for node in ast.walk(tree):
        where = f"{name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                root = module.split(".")[0]
                if root in DESERIALIZERS:
                    found.append(f"{where}: imports {module}")
                if root in {"subprocess", "ctypes", "importlib"} and module != "importlib.metadata":
                    found.append(f"{where}: imports {module}")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in RUNS_CODE:
                found.append(f"{where}: calls {func.id}()")
            if isinstance(func, ast.Attribute):
                owner = func.value.id if isinstance(func.value, ast.Name) else None
                if owner == "pickle" and func.attr not in ("dumps", "loads"):
                    found.append(f"{where}: pickle.{func.attr}")
                if owner == "yaml" and func.attr in ("load", "unsafe_load", "full_load"):
                    found.append(f"{where}: yaml.{func.attr}")
                if owner == "os" and (func.attr in ("system", "popen") or func.attr.startswith(("exec", "spawn"))):
                    found.append(f"{where}: os.{func.attr}")
                if func.attr == "load" and owner in ("np", "numpy"):
                    pickles = [k for k in node.keywords if k.arg == "allow_pickle"]
                    if not pickles or not (isinstance(pickles[0].value, ast.Constant) and pickles[0].value.value is False):
                        found.append(f"{where}: numpy.load without allow_pickle=False")
            for keyword in node.keywords:
                if keyword.arg == "allow_pickle" and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False):
                    found.append(f"{where}: allow_pickle is not False")
    return found


def test_no_module_deserializes_code_or_runs_code_from_data() -> None:
    problems = [problem for path in python_files() for problem in findings(path)]
    assert problems == []


def test_the_code_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The AST check above is only worth something if it fires; try it on a module that does it all."""
    bad = tmp_path / "bad.py"
    bad.write_text(textwrap.dedent("""
        import pickle, subprocess
        import numpy as np
        pickle.load(open("x", "rb"))
        eval("1")
        exec("x = 1")
        np.load("x.npy", allow_pickle=True)
        np.load("y.npy")
        os.system("ls")
    """), encoding="utf-8")
    found = findings(bad, "bad.py")
    for expected in ("imports pickle", "imports subprocess", "pickle.load", "calls eval()", "calls exec()",
                     "allow_pickle is not False", "numpy.load without allow_pickle=False", "os.system"):
        assert any(expected in f for f in found), (expected, found)


def test_pipeline_rules_are_data_not_code(tmp_path: Path) -> None:
    """A rule file's pattern is a regular expression; Python in it is matched as text, never run."""
    marker = tmp_path / "ran"
    pipeline = tmp_path / "p.toml"
    pipeline.write_text(textwrap.dedent(f"""
        [input]
        paths = ["{SAMPLES / 'text'}"]
        [[clean.rules]]
        name = "not-code"
        pattern = "__import__\\\\('os'\\\\)\\\\.system\\\\('touch {marker}'\\\\)"
        [output]
        path = "{tmp_path / 'snapshot'}"
    """), encoding="utf-8")
    run(load_pipeline(pipeline))
    assert not marker.exists()
    assert verify_snapshot(tmp_path / "snapshot") == []


# --------------------------------------------------------------------------- limits


def test_every_limit_is_set_in_the_pipeline_recorded_and_named_when_hit(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "long.txt").write_text("Officers refused to carry guns. " * 200, encoding="utf-8")  # 6,400 bytes
    (inputs / "feed.jsonl").write_text(json.dumps({"id": "wide", "text": "x " * 20_000}) + "\n", encoding="utf-8")
    with gzip.open(inputs / "bomb.jsonl.gz", "wb") as f:
        f.write(json.dumps({"id": "bomb", "text": "a " * 50_000}).encode() + b"\n")
    limits = {"max_document_bytes": 5000, "max_line_bytes": 30_000, "max_decompressed_bytes": 60_000}
    pipeline = tmp_path / "limits.toml"
    pipeline.write_text("[input]\npaths = [\"in\"]\n" + "".join(f"{k} = {v}\n" for k, v in limits.items())
                        + "[output]\npath = \"snapshot\"\n", encoding="utf-8")
    loaded = load_pipeline(pipeline)
    run(loaded)
    out = Path(loaded.output.path)
    assert verify_snapshot(out) == []
    snap = load_snapshot(out)
    recorded = snap.manifest["pipeline"]["input"]
    assert {k: recorded[k] for k in limits} == limits
    reasons = {Path(r.path).name: r.reason for r in snap.rejects()}
    assert "max_document_bytes" in reasons["long.txt"] and "5000" in reasons["long.txt"]
    assert "max_line_bytes" in reasons["feed.jsonl"] and "30000" in reasons["feed.jsonl"]
    assert "max_decompressed_bytes" in reasons["bomb.jsonl.gz"] and "60000" in reasons["bomb.jsonl.gz"]


@pytest.mark.parametrize("key", ["max_document_bytes", "max_line_bytes", "max_decompressed_bytes"])
def test_a_limit_that_is_not_a_positive_integer_is_a_config_error(tmp_path: Path, key: str) -> None:
    from corpus.errors import ConfigError

    pipeline = tmp_path / "p.toml"
    for value in ("0", "-1", "\"big\"", "1.5"):
        pipeline.write_text(f"[input]\n{key} = {value}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=f"{pipeline}.*{key}"):
            load_pipeline(pipeline)
