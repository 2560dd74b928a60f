"""A pipeline file (TOML) -> a checked, immutable :class:`Pipeline`.

A pipeline says what to read, how to clean, what boilerplate to learn, how to
deduplicate and where to write the snapshot::

    name = "case_reporting"

    [input]
    paths = ["../samples"]        # relative to this file
    exclude = ["README*"]

    [clean]
    disable_rules = ["byline"]
    [[clean.rules]]               # extra rules, same fields as corpus/clean/rules.toml
    name = "ledger-footer"
    pattern = "the southwark ledger .*"

    [learned]
    min_documents = 3

    [dedup]
    threshold = 0.7
    keep = "earliest"
    story = true                  # group write-ups of one event (corpus.dedup.story)
    story_threshold = 0.28        # mean cosine two groups need to join
    story_window_days = 7         # not across more than a week of publication (0: no window)

    [output]
    path = "../build/snapshot"
    format = "parquet"            # data shards as Parquet; "jsonl" by default

Every section and key is optional; a missing one takes the library default.
An unknown key or a bad value is a :class:`~corpus.errors.ConfigError` that
names the file, the key and what is allowed. Relative paths are relative to the
pipeline file, so a pipeline runs the same from any working directory.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corpus.clean import BUILTIN_RULES, CleanConfig, Rule, load_rules
from corpus.clean.learned import LearnConfig
from corpus.dedup import DedupConfig
from corpus.errors import ConfigError
from corpus.readers import FORMATS, ReadLimits
from corpus.snapshot.format import DATA_FORMATS
from corpus.tomlfile import load_toml

COMPRESSIONS = ("gz", "zst")


@dataclass(frozen=True)
class InputConfig:
    """What to read; see :func:`corpus.readers.read`. Paths are kept sorted, as they are read."""

    paths: tuple[str, ...] = ()
    format: str | None = None
    exclude: tuple[str, ...] = ("README*",)
    strict: bool = False
    limits: ReadLimits = ReadLimits()


@dataclass(frozen=True)
class OutputConfig:
    """Where and how to write the snapshot; see :func:`corpus.snapshot.write_snapshot`."""

    path: str = "build/snapshot"
    compression: str = "gz"
    shard_bytes: int = 64 * 1024 * 1024
    format: str = "jsonl"  # of the data shards: "jsonl" or "parquet"


@dataclass(frozen=True)
class Pipeline:
    """Everything one run needs. ``source`` is the file it was read from, if any."""

    name: str = "pipeline"
    description: str = ""
    input: InputConfig = InputConfig()
    clean: CleanConfig = CleanConfig()
    learned: LearnConfig = LearnConfig()
    dedup: DedupConfig = DedupConfig()
    output: OutputConfig = OutputConfig()
    source: str | None = field(default=None, compare=False)

    def with_overrides(self, inputs: list[str] | None = None, output: str | None = None,
                       strict: bool | None = None) -> Pipeline:
        """This pipeline with the command line's inputs, output or strictness in force."""
        pipeline = self
        if inputs:
            pipeline = dataclasses.replace(pipeline, input=dataclasses.replace(pipeline.input, paths=tuple(sorted(inputs))))
        if output:
            pipeline = dataclasses.replace(pipeline, output=dataclasses.replace(pipeline.output, path=output))
        if strict is not None:
            pipeline = dataclasses.replace(pipeline, input=dataclasses.replace(pipeline.input, strict=strict))
        return pipeline

    def to_json(self) -> dict[str, Any]:
        """The resolved pipeline, as recorded in a snapshot's manifest."""
        clean = self.clean
        return {
            "name": self.name,
            "description": self.description,
            "input": {
                "paths": list(self.input.paths),
                "format": self.input.format,
                "exclude": list(self.input.exclude),
                "strict": self.input.strict,
                **dataclasses.asdict(self.input.limits),
            },
            "clean": {
                "extract_html": clean.extract_html,
                "repair_encoding": clean.repair_encoding,
                "normalize": clean.normalize,
                "strip_boilerplate": clean.strip_boilerplate,
                "favor_precision": clean.favor_precision,
                "page_chrome": clean.page_chrome,
                "edge_lines": clean.edge_lines,
                "rules": [_rule_json(rule) for rule in clean.active_rules],
            },
            "learned": dataclasses.asdict(self.learned),
            "dedup": self.dedup.to_json(),
            "output": {"format": self.output.format, "compression": self.output.compression,
                       "shard_bytes": self.output.shard_bytes},
        }


def _rule_json(rule: Rule) -> dict[str, Any]:
    return {"name": rule.name, "pattern": rule.pattern, "match": rule.match, "where": rule.where,
            "field": rule.field, "case_sensitive": rule.case_sensitive}


def load_pipeline(path: str | os.PathLike[str]) -> Pipeline:
    """Read and check a pipeline file."""
    return pipeline_from_dict(load_toml(path, "pipeline file"), path)


def pipeline_from_dict(data: Mapping[str, Any], path: str | os.PathLike[str] | None = None) -> Pipeline:
    """A pipeline from already parsed TOML; ``path`` names it in errors and anchors relative paths."""
    where = str(path) if path is not None else "pipeline"
    base = Path(path).parent if path is not None else Path(".")
    _check_keys(data, {"name", "description", "input", "clean", "learned", "dedup", "output"}, where, "")
    try:
        return Pipeline(
            name=_typed(data, "name", str, where, "", Path(where).stem),
            description=_typed(data, "description", str, where, "", ""),
            input=_input(_table(data, "input", where), where, base),
            clean=_clean(_table(data, "clean", where), where, base),
            learned=_dataclass(LearnConfig, _table(data, "learned", where), where, "learned"),
            dedup=_dataclass(DedupConfig, _table(data, "dedup", where), where, "dedup"),
            output=_output(_table(data, "output", where), where, base),
            source=str(path) if path is not None else None,
        )
    except ConfigError as err:
        message = str(err)
        raise ConfigError(message if message.startswith(where) else f"{where}: {message}") from err


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return table


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str, section: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        name = f"{section}.{unknown[0]}" if section else unknown[0]
        raise ConfigError(f"{where}: unknown key {name!r}; allowed: {', '.join(sorted(allowed))}")


def _typed(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, section: str,
           default: Any) -> Any:
    value = table.get(key, default)
    if value is default:
        return value
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        name = f"{section}.{key}" if section else key
        raise ConfigError(f"{where}: {name!r} must be {_article(names)} {names}, got {value!r}")
    return value


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _strings(table: Mapping[str, Any], key: str, where: str, section: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = _typed(table, key, list, where, section, default)
    if not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{where}: {section}.{key!r} must be a list of strings")
    return tuple(value)


def _path(base: Path, value: str) -> str:
    """A path from a pipeline file, relative to the file, as short as it can be written from here."""
    full = Path(value) if Path(value).is_absolute() else base / value
    return os.path.relpath(full) if not Path(value).is_absolute() else str(full)


def _input(table: Mapping[str, Any], where: str, base: Path) -> InputConfig:
    limits = {f.name for f in dataclasses.fields(ReadLimits)}
    _check_keys(table, {"paths", "format", "exclude", "strict"} | limits, where, "input")
    fmt = _typed(table, "format", str, where, "input", "auto")
    if fmt != "auto" and fmt not in FORMATS:
        raise ConfigError(f"{where}: input.format = {fmt!r}; allowed: auto, {', '.join(FORMATS)}")
    sizes = {key: _typed(table, key, int, where, "input", getattr(ReadLimits(), key)) for key in limits}
    for key, value in sizes.items():
        if value <= 0:
            raise ConfigError(f"{where}: input.{key} = {value}; it must be a positive number of bytes")
    return InputConfig(
        paths=tuple(sorted(_path(base, p) for p in _strings(table, "paths", where, "input", ()))),
        format=None if fmt == "auto" else fmt,
        exclude=_strings(table, "exclude", where, "input", InputConfig.exclude),
        strict=_typed(table, "strict", bool, where, "input", False),
        limits=ReadLimits(**sizes),
    )


def _clean(table: Mapping[str, Any], where: str, base: Path) -> CleanConfig:
    switches = ("extract_html", "repair_encoding", "normalize", "strip_boilerplate", "favor_precision", "page_chrome")
    _check_keys(table, {*switches, "edge_lines", "disable_rules", "rule_files", "rules", "builtin_rules"}, where, "clean")
    rules = BUILTIN_RULES if _typed(table, "builtin_rules", bool, where, "clean", True) else ()
    for rule_file in _strings(table, "rule_files", where, "clean", ()):
        rules += load_rules(_path(base, rule_file))
    extra = _typed(table, "rules", list, where, "clean", [])
    rules += tuple(Rule.from_dict(t, f"{where}: clean.rules[{i}]") for i, t in enumerate(extra))
    names = [rule.name for rule in rules]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ConfigError(f"{where}: two rules are named {duplicated[0]!r}; rule names must be unique")
    return CleanConfig(
        **{key: _typed(table, key, bool, where, "clean", getattr(CleanConfig, key)) for key in switches},
        edge_lines=_typed(table, "edge_lines", int, where, "clean", CleanConfig.edge_lines),
        rules=rules,
        disabled_rules=frozenset(_strings(table, "disable_rules", where, "clean", ())),
    )


def _dataclass(cls: type, table: Mapping[str, Any], where: str, section: str) -> Any:
    """A config dataclass from a table; the dataclass checks the values themselves."""
    _check_keys(table, {f.name for f in dataclasses.fields(cls)}, where, section)
    values = {key: tuple(value) if isinstance(value, list) else value for key, value in table.items()}
    try:
        return cls(**values)
    except ConfigError as err:
        raise ConfigError(f"{where}: [{section}] {err}") from err
    except TypeError as err:
        raise ConfigError(f"{where}: [{section}] {err}") from err


def _output(table: Mapping[str, Any], where: str, base: Path) -> OutputConfig:
    _check_keys(table, {"path", "format", "compression", "shard_bytes"}, where, "output")
    data_format = _typed(table, "format", str, where, "output", OutputConfig.format)
    if data_format not in DATA_FORMATS:
        raise ConfigError(f"{where}: output.format = {data_format!r}; allowed: {', '.join(DATA_FORMATS)}")
    compression = _typed(table, "compression", str, where, "output", OutputConfig.compression)
    if compression not in COMPRESSIONS:
        raise ConfigError(f"{where}: output.compression = {compression!r}; allowed: {', '.join(COMPRESSIONS)}")
    shard_bytes = _typed(table, "shard_bytes", int, where, "output", OutputConfig.shard_bytes)
    if shard_bytes <= 0:
        raise ConfigError(f"{where}: output.shard_bytes = {shard_bytes}; it must be a positive number of bytes")
    path = _path(base, _typed(table, "path", str, where, "output", "")) if "path" in table else OutputConfig.path
    return OutputConfig(path=path, compression=compression, shard_bytes=shard_bytes, format=data_format)
