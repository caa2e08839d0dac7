"""The official Python client reaches our server and gets well-formed answers."""

import uuid

import pytest
from ml_metadata import errors
from ml_metadata.proto import metadata_store_pb2


def test_fresh_store_has_no_artifact_types(fresh_store):
    assert fresh_store.get_artifact_types() == []


def test_artifact_type_round_trip(store):
    name = f"judge_type_{uuid.uuid4().hex}"
    artifact_type = metadata_store_pb2.ArtifactType(name=name)
    artifact_type.properties["size"] = metadata_store_pb2.INT
    type_id = store.put_artifact_type(artifact_type)
    assert type_id > 0

    fetched = store.get_artifact_type(name)
    assert fetched.id == type_id
    assert fetched.name == name
    assert dict(fetched.properties) == {"size": metadata_store_pb2.INT}
    assert [t.id for t in store.get_artifact_types_by_id([type_id])] == [type_id]


def test_missing_type_is_not_found(store):
    with pytest.raises(errors.NotFoundError):
        store.get_artifact_type(f"no_such_type_{uuid.uuid4().hex}")
