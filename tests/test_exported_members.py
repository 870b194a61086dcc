"""The curated public API: everything in ``archiver.__all__`` resolves, and nothing private leaks."""

from __future__ import annotations

import subprocess
import sys

import archiver


def test_all_names_resolve() -> None:
    for name in archiver.__all__:
        assert getattr(archiver, name) is not None, name


def test_all_has_no_private_or_duplicate_names() -> None:
    names = [n for n in archiver.__all__ if n != "__version__"]
    assert len(names) == len(set(names))
    assert not [n for n in names if n.startswith("_")]


def test_unknown_attribute_raises() -> None:
    try:
        archiver.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("unknown attribute resolved")


def test_import_is_cheap_and_configures_no_logging() -> None:
    code = (
        "import logging, sys, archiver;"
        "assert 'trafilatura' not in sys.modules and 'requests' not in sys.modules, 'eager import';"
        "assert not logging.getLogger().handlers, 'root logger configured'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_exports_are_not_shadowed_by_submodules() -> None:
    import archiver.check
    import archiver.harvest
    import archiver.search
    import archiver.verify  # noqa: F401

    for name in ("check_links", "search_archive", "verify_source", "archive", "harvest_source"):
        assert callable(getattr(archiver, name)), name
        assert not isinstance(getattr(archiver, name), type(sys)), f"{name} is a module"


def _loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    return out.split()


def test_pool_module_is_light() -> None:
    # The archive command starts the extraction forkserver from archiver.pool *before* it
    # loads the pipeline: importing it must not load the heavy stack it is meant to overlap.
    heavy = ("trafilatura", "requests", "sqlite_utils", "lxml", "archiver.store.core", "archiver.pipeline")
    assert _loaded_after("import archiver.pool", heavy) == []


def test_harvesting_text_loads_no_html_or_markdown_parser(tmp_path) -> None:
    src = tmp_path / "links.txt"
    src.write_text("See https://example.org/a and https://example.org/b.\n")
    code = f"from archiver.harvest import harvest\nassert len(harvest({str(src)!r}).citations) == 2"
    assert _loaded_after(code, ("bs4", "markdown_it")) == []
    # ...and the lazily loaded harvesters still resolve as attributes of the package.
    code = "import archiver.harvest as h\nassert callable(h.harvest_html) and callable(h.harvest_markdown)"
    assert _loaded_after(code, ("bs4", "markdown_it")) == ["bs4", "markdown_it"]


def test_what_the_extraction_workers_preload_stays_light() -> None:
    # The forkserver preloads these, and each worker unpickles check's tasks from them: if
    # they pulled in the store or the HTTP stack, every worker would import it at its first task.
    heavy = ("sqlite_utils", "requests", "archiver.store.core", "archiver.check", "archiver.fetch")
    assert _loaded_after("import archiver.extract, archiver.examine", heavy) == []
    import archiver.check
    import archiver.examine

    assert archiver.check.examine is archiver.examine.examine  # pickled by its light module's name
    assert archiver.examine.examine.__module__ == "archiver.examine"


def test_the_fetcher_loads_tenacity_only_for_a_retry() -> None:
    # Most fetches succeed at once: tenacity (about 25 ms of start-up) is imported when a
    # first attempt must be retried, and the policy it builds is then the usual one.
    assert _loaded_after("import archiver.fetch", ("tenacity", "requests")) == ["requests"]
    code = (
        "from archiver.retry import Outcome, call_with_retries\n"
        "calls = []\n"
        "def attempt():\n"
        "    calls.append(1)\n"
        "    return Outcome(status=503)\n"
        "call_with_retries(attempt, 2, sleep=lambda s: None)\n"
        "assert len(calls) == 3, calls\n"
    )
    assert _loaded_after(code, ("tenacity",)) == ["tenacity"]
