"""The data dictionary is generated from the catalogue and covers every panorama column."""

from __future__ import annotations

from lifecircle.core.paths import project_root
from lifecircle.features import catalog as C
from lifecircle.features.dictionary import (
    columns_doc,
    data_dictionary_markdown,
    documented,
    write_data_dictionary,
)
from lifecircle.registry import table


def test_every_panorama_column_is_documented(panorama_df):
    undocumented = [c for c in panorama_df.columns if not documented(c)]
    assert undocumented == []
    assert any(c.startswith("lc_") for c in panorama_df.columns)
    assert len(panorama_df.columns) >= 120
    assert not documented("no_such_column")


def test_catalogue_entries_are_complete_and_families_covered():
    index = C.feature_index()
    assert all(f.definition and f.source and f.family for f in index.values())
    families = {f.family for f in index.values()}
    assert {"profile", "activity", "fees", "voice", "sms", "data", "vas", "service", "terminal", "plan"} <= families


def test_registry_columns_doc_and_markdown(tmp_path):
    spec = table("gold.panorama")
    assert spec.columns_doc == columns_doc()
    assert set(C.feature_index()) | {"lc_*", "sn_*"} == set(spec.columns_doc)
    path = write_data_dictionary(tmp_path)
    text = path.read_text(encoding="utf-8")
    for name in C.feature_index():
        assert f"| `{name}` |" in text
    checked_in = project_root() / "docs" / "data_dictionary.md"
    assert checked_in.read_text(encoding="utf-8") == data_dictionary_markdown(), (
        "docs/data_dictionary.md is stale: run `lifecircle data-dictionary`")
