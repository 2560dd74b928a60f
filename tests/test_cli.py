"""The command line: a thin layer that prints one clear line per problem, never a traceback."""

import json
import subprocess
import sys

from click.testing import CliRunner

from conftest import ROOT, SAMPLES
from corpus import __version__
from corpus.cli import main

PIPELINE = str(ROOT / "pipelines" / "case_reporting.toml")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_python_dash_m_corpus_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "corpus", "--version"], capture_output=True, text=True, check=True)
    assert __version__ in out.stdout


def test_clean_writes_documents_rejects_and_a_summary(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("World News\nOfficers refused to carry guns.\nShare", encoding="utf-8")
    (tmp_path / "in" / "b.jsonl").write_text('{"id": "b", "text": "Fine."}\nnot json\n{"id": "c", "text": "Share"}\n',
                                              encoding="utf-8")
    result = invoke("clean", tmp_path / "in", "-o", tmp_path / "out.jsonl.gz", "--rejects", tmp_path / "rej.jsonl",
                    "--no-progress")
    assert result.exit_code == 0, result.output
    assert "cleaned 2 documents, rejected 2, removed 2 boilerplate lines" in result.output
    malformed, chrome_only = [json.loads(line) for line in (tmp_path / "rej.jsonl").read_text().splitlines()]
    assert malformed["line"] == 2 and "malformed JSON" in malformed["reason"]
    # A record dropped by cleaning names the file and line it was read from, as a read reject does.
    assert chrome_only["stage"] == "clean" and chrome_only["id"] == "c"
    assert chrome_only["path"].endswith("b.jsonl") and chrome_only["line"] == 3
    assert "b.jsonl:3" in result.output


def test_clean_strict_stops_with_one_line_naming_file_and_line(tmp_path):
    (tmp_path / "b.jsonl").write_text('{"id": "b", "text": "Fine."}\nnot json\n', encoding="utf-8")
    result = invoke("clean", tmp_path / "b.jsonl", "-o", tmp_path / "out.jsonl", "--strict", "--no-progress")
    assert result.exit_code == 1
    assert "b.jsonl:2: malformed JSON" in result.output
    assert "Traceback" not in result.output


def test_dedup_writes_kept_and_clusters(tmp_path):
    text = "Officers refused to carry guns after a colleague was charged with murder on Wednesday night."
    lines = [{"id": "a", "text": text}, {"id": "b", "text": text.upper()}, {"id": "c", "text": "Something else entirely."}]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    result = invoke("dedup", tmp_path / "in.jsonl", "-o", tmp_path / "kept.jsonl", "--clusters",
                    tmp_path / "clusters.jsonl", "--keep", "first", "--no-progress")
    assert result.exit_code == 0, result.output
    kept = [json.loads(x)["id"] for x in (tmp_path / "kept.jsonl").read_text().splitlines()]
    assert kept == ["a", "c"]
    [cluster] = [json.loads(x) for x in (tmp_path / "clusters.jsonl").read_text().splitlines()]
    assert cluster["kept"] == "a" and {m["id"] for m in cluster["members"]} == {"a", "b"}


def test_run_verify_and_diff(tmp_path):
    out = tmp_path / "snap"
    result = invoke("run", PIPELINE, "--output", out, "--input", SAMPLES / "text", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "5 inputs: 5 kept" in result.output
    verified = invoke("verify", out)
    assert verified.exit_code == 0 and "OK" in verified.output
    again = tmp_path / "again"
    invoke("run", PIPELINE, "--output", again, "--input", SAMPLES / "text", "--input", SAMPLES / "html", "--no-progress")
    shown = invoke("diff", out, again)
    assert shown.exit_code == 0 and "+ capitalherald-mod-soldiers" in shown.output
    (out / "data" / "clusters.jsonl.gz").write_bytes(b"garbage")
    broken = invoke("verify", out)
    assert broken.exit_code == 1 and "data/clusters.jsonl.gz" in broken.output


def test_a_bad_pipeline_is_one_line_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[dedup]\nkeep = 'newest'\n", encoding="utf-8")
    result = invoke("run", bad, "--no-progress")
    assert result.exit_code == 1
    assert "bad.toml" in result.output and "keep" in result.output
    assert "Traceback" not in result.output


def test_address_needs_the_ray_engine(tmp_path):
    result = invoke("run", PIPELINE, "--address", "auto", "--output", tmp_path / "x", "--no-progress")
    assert result.exit_code == 2 and "--address goes with --engine ray" in result.output


def test_an_unwritable_output_is_one_line(tmp_path):
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    (tmp_path / "in.txt").write_text("Officers refused to carry guns.", encoding="utf-8")
    result = invoke("clean", tmp_path / "in.txt", "-o", tmp_path / "a-file" / "out.jsonl", "--no-progress")
    assert result.exit_code == 1 and "a-file" in result.output
    assert "Traceback" not in result.output
