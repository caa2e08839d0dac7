"""Upstream's own library and our server on one database: each reads what the other wrote.

Upstream is the C++ store inside the ml-metadata wheel, run in this process on the same
SQLite file / MariaDB database our server is started on. Every read RPC the library serves is
asked of both (reads.py) and the answers must be equal protos, apart from the deliberate
differences of docs/deviations.md, which compare.py checks and removes.
"""

from __future__ import annotations

import math

import pytest
from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2 as pb
from ml_metadata.proto import metadata_store_service_pb2 as svc

from compare import canonical_reads, differences, is_lineage
from graph import ROUNDED_BY_UPSTREAM, TEXTS, write_graph
from reads import read_everything

TABLES = ["Type", "TypeProperty", "ParentType", "Artifact", "ArtifactProperty", "Execution", "ExecutionProperty",
          "Context", "ContextProperty", "ParentContext", "Event", "EventPath", "Association", "Attribution", "MLMDEnv"]


def dump(db) -> dict[str, list]:
    """Every row of upstream's fifteen tables, in a stable order (upstream's columns only)."""
    columns = {
        "EventPath": "event_id, is_index_step, step_index, step_key",
    }
    out = {}
    for table in TABLES:
        cols = columns.get(table, "*")
        rows = db.sql(f"SELECT {cols} FROM `{table}`")
        out[table] = sorted(rows, key=lambda r: [str(v) for v in r])
    return out


def assert_no_differences(db, upstream_reads, our_reads, skip=is_lineage):
    found = differences(db.backend, upstream_reads, our_reads, skip=skip)
    assert not found, f"{len(found)} read(s) differ:\n\n" + "\n\n".join(f"## {k}\n{v}" for k, v in found.items())


def test_upstream_writes_our_server_reads(shared_db):
    upstream = shared_db.upstream()
    graph = write_graph(upstream, "U1", shared_db.backend)
    rows_before = dump(shared_db)
    reads_before = read_everything(upstream, graph)
    with shared_db.ours() as ours:
        our_reads = read_everything(ours, graph)
        # Adoption (our migrations at start-up) changed no stored row...
        assert dump(shared_db) == rows_before
        # ...and upstream, reading again on a new connection, sees exactly what it saw before.
        upstream_after = read_everything(shared_db.upstream(), graph)
    assert canonical_reads(upstream_after) == canonical_reads(reads_before)
    assert len(our_reads) > 150
    assert_no_differences(shared_db, reads_before, our_reads)


def test_our_server_writes_upstream_reads(shared_db):
    with shared_db.ours() as ours:
        graph = write_graph(ours, "O1", shared_db.backend)
        our_reads = read_everything(ours, graph)
    upstream_reads = read_everything(shared_db.upstream(), graph)
    assert_no_differences(shared_db, upstream_reads, our_reads)


def test_lineage_subgraph_reads_agree(shared_db):
    upstream = shared_db.upstream()
    graph = write_graph(upstream, "L1", shared_db.backend)
    with shared_db.ours() as ours:
        our_reads = read_everything(ours, graph)
    upstream_reads = read_everything(upstream, graph)
    # GetLineageSubgraph is served: an UNIMPLEMENTED answer is a difference like any other.
    assert any(is_lineage(k) for k in our_reads), "read_everything made no lineage reads"
    assert_no_differences(shared_db, upstream_reads, our_reads, skip=lambda k: not is_lineage(k))


def _portable_nodes(store, graph) -> list:
    """The graph's nodes without what differs between two writes of it (ids, times, tag)."""
    nodes = []
    for method, field, ids in (("GetArtifactsByID", "artifacts", graph.artifact_ids),
                               ("GetExecutionsByID", "executions", graph.execution_ids),
                               ("GetContextsByID", "contexts", graph.context_ids)):
        response = getattr(svc, method + "Response")()
        store._call(method, getattr(svc, method + "Request")(**{field[:-1] + "_ids": ids}), response)
        for node in getattr(response, field):
            for name in ("id", "type_id", "create_time_since_epoch", "last_update_time_since_epoch"):
                node.ClearField(name)
            nodes.append(node)
    return nodes


def _as_upstream_writes_doubles(node) -> None:
    """Upstream stores doubles as std::to_string text: 6 fractional digits."""
    for key in ROUNDED_BY_UPSTREAM:
        value = node.custom_properties.get(f"double_{key}")
        if value is not None:
            value.double_value = float(f"{value.double_value:.6f}")


def _text(node, tag) -> str:
    from google.protobuf import text_format

    return text_format.MessageToString(node, as_utf8=True).replace(tag, "TAG")


def test_alternating_writers_share_one_database(shared_db):
    backend = shared_db.backend
    graph_a = write_graph(shared_db.upstream(), "A1", backend)
    with shared_db.ours() as ours:
        graph_b = write_graph(ours, "B1", backend)
    # Upstream again, after our server adopted the database (the rollback path).
    upstream = shared_db.upstream()
    graph_c = write_graph(upstream, "C1", backend)

    with shared_db.ours() as ours:
        for graph in (graph_a, graph_b, graph_c):
            assert_no_differences(shared_db, read_everything(upstream, graph), read_everything(ours, graph))

        # The same requests stored by either writer read back the same, except the doubles
        # upstream rounds to 6 fractional digits (docs/deviations.md, "Doubles at full precision").
        written_by_upstream = _portable_nodes(upstream, graph_a)
        written_by_us = _portable_nodes(ours, graph_b)
        assert len(written_by_upstream) == len(written_by_us) > 20
        rounded = [n for n in written_by_us if any(f"double_{k}" in n.custom_properties for k in ROUNDED_BY_UPSTREAM)]
        assert rounded, "the graph must carry doubles upstream rounds"
        for node in rounded:
            assert node.custom_properties["double_tiny"].double_value == 1e-7
            assert node.custom_properties["double_long"].double_value == 0.1234567891234
        for node in written_by_us:
            _as_upstream_writes_doubles(node)
        assert [_text(n, "B1") for n in written_by_us] == [_text(n, "A1") for n in written_by_upstream]


def test_non_ascii_text_is_stored_as_upstream_stores_it(shared_db):
    """é, 漢 and emoji: identical stored bytes from either writer, identical text to either reader."""
    upstream = shared_db.upstream()
    type_id = upstream.put_artifact_type(pb.ArtifactType(name="Text"))
    text = TEXTS["mixed"]
    [by_upstream] = upstream.put_artifacts([pb.Artifact(type_id=type_id, uri=text, name="by upstream " + text)])
    with shared_db.ours() as ours:
        [by_us] = ours.put_artifacts([pb.Artifact(type_id=type_id, uri=text, name="by us " + text)])
        for reader in (upstream, ours):
            assert [a.uri for a in reader.get_artifacts_by_id([by_upstream, by_us])] == [text, text]
            assert reader.get_artifact_by_type_and_name("Text", "by us " + text).id == by_us
            assert reader.get_artifact_by_type_and_name("Text", "by upstream " + text).id == by_upstream
    stored = shared_db.sql(f"SELECT HEX(uri) FROM `Artifact` WHERE id IN ({by_upstream}, {by_us}) ORDER BY id")
    assert stored[0] == stored[1]
    utf8 = text.encode("utf-8")
    if backend_is_mysql(shared_db):
        [[charset]] = shared_db.sql(
            "SELECT CHARACTER_SET_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'Artifact' AND COLUMN_NAME = 'uri'")
        if charset == "latin1":
            expected = utf8
        else:
            # Upstream's latin1 session makes each UTF-8 byte one character of the column's
            # character set (storage notes §2.10): the double-encoded form, which we reproduce.
            expected = "".join(_mysql_latin1_char(b) for b in utf8).encode("utf-8")
    else:
        expected = utf8
    assert stored[0][0] == expected.hex().upper()


def _mysql_latin1_char(byte: int) -> str:
    """MySQL's latin1 is cp1252, with the five bytes cp1252 leaves undefined kept as C1 controls."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


def backend_is_mysql(db) -> bool:
    return db.backend == "mariadb"


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 2**63 - 1, -(2**63)])
def test_int64_beyond_32_bits_after_adoption(shared_db, value):
    """Upstream's MySQL int_value is INT; once we widened it (docs/deviations.md), both store int64."""
    upstream = shared_db.upstream()
    type_id = upstream.put_artifact_type(pb.ArtifactType(name="Ints"))
    artifact = pb.Artifact(type_id=type_id)
    artifact.custom_properties["n"].int_value = value
    if backend_is_mysql(shared_db):
        with pytest.raises(errors.InternalError, match="Out of range"):
            upstream.put_artifacts([artifact])
    with shared_db.ours() as ours:
        [ours_id] = ours.put_artifacts([artifact])
        [upstream_id] = upstream.put_artifacts([artifact])
        for reader in (upstream, ours):
            got = reader.get_artifacts_by_id([ours_id, upstream_id])
            assert [a.custom_properties["n"].int_value for a in got] == [value, value]
