"""After a purge by our server, upstream's own library opens the database, reads every
surviving node and lineage exactly as our server reads them, and keeps writing.

The purge goes through the shipped command line (`mlmd-ts purge ... --execute`), which talks
gRPC to our server's RetentionService.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ml_metadata as mlmd
from ml_metadata.proto import metadata_store_pb2 as pb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mlmd_server import REPO, start_server  # noqa: E402

from compare import differences  # noqa: E402
from graph import write_graph  # noqa: E402
from reads import read_everything  # noqa: E402

CLI = ["node", "--import", "tsx", str(REPO / "src" / "cli" / "mlmd_ts.ts")]


def kfp_run(store, types, pipeline, name, shared_input=None):
    """A Kubeflow v2 run: run context (child of the pipeline), root DAG, two container tasks."""
    run = pb.Context(type_id=types["run"], name=name)
    run.custom_properties["namespace"].string_value = "kubeflow"
    [run_id] = store.put_contexts([run])
    store.put_parent_contexts([pb.ParentContext(child_id=run_id, parent_id=pipeline.id)])
    contexts = [pipeline, store.get_contexts_by_id([run_id])[0]]

    def execution(type_id, task):
        e = pb.Execution(type_id=type_id, last_known_state=pb.Execution.COMPLETE)
        e.custom_properties["task_name"].string_value = task
        return e

    def event(kind, key):
        ev = pb.Event(type=kind)
        ev.path.steps.add().key = key
        return ev

    root, _, _ = store.put_execution(execution(types["dag"], ""), [], contexts)
    data = pb.Artifact(type_id=types["dataset"], uri=f"minio://b/{name}/data")
    make, [data_id], _ = store.put_execution(execution(types["container"], "make"), [(data, event(pb.Event.OUTPUT, "data"))], contexts)
    [data_art] = store.get_artifacts_by_id([data_id])
    inputs = [(data_art, event(pb.Event.INPUT, "data"))]
    if shared_input is not None:
        inputs.append((store.get_artifacts_by_id([shared_input])[0], event(pb.Event.INPUT, "base")))
    model = pb.Artifact(type_id=types["model"], uri=f"minio://b/{name}/model")
    train, ids, _ = store.put_execution(execution(types["container"], "train"), inputs + [(model, event(pb.Event.OUTPUT, "model"))], contexts)
    return {"context": run_id, "executions": [root, make, train], "dataset": data_id, "model": ids[-1]}


def kfp_types(store):
    return {
        "pipeline": store.put_context_type(pb.ContextType(name="system.Pipeline")),
        "run": store.put_context_type(pb.ContextType(name="system.PipelineRun")),
        "dag": store.put_execution_type(pb.ExecutionType(name="system.DAGExecution")),
        "container": store.put_execution_type(pb.ExecutionType(name="system.ContainerExecution")),
        "dataset": store.put_artifact_type(pb.ArtifactType(name="system.Dataset")),
        "model": store.put_artifact_type(pb.ArtifactType(name="system.Model")),
    }


def surviving_reads(store, ids):
    """Every read of the surviving Kubeflow nodes and their lineage, as comparable protos."""
    contexts = store.get_contexts_by_id(ids["contexts"])
    out = {
        "contexts": sorted((c.SerializeToString(deterministic=True) for c in contexts)),
        "executions": sorted(e.SerializeToString(deterministic=True) for e in store.get_executions_by_id(ids["executions"])),
        "artifacts": sorted(a.SerializeToString(deterministic=True) for a in store.get_artifacts_by_id(ids["artifacts"])),
        "events": sorted(e.SerializeToString(deterministic=True) for e in store.get_events_by_execution_ids(ids["executions"])),
        "artifact events": sorted(e.SerializeToString(deterministic=True) for e in store.get_events_by_artifact_ids(ids["artifacts"])),
    }
    for c in ids["contexts"]:
        out[f"members {c}"] = (
            sorted(a.id for a in store.get_artifacts_by_context(c)),
            sorted(e.id for e in store.get_executions_by_context(c)),
            sorted(p.id for p in store.get_parent_contexts_by_context(c)),
            sorted(p.id for p in store.get_children_contexts_by_context(c)),
        )
    for a in ids["artifacts"]:
        out[f"contexts of artifact {a}"] = sorted(c.id for c in store.get_contexts_by_artifact(a))
    for e in ids["executions"]:
        out[f"contexts of execution {e}"] = sorted(c.id for c in store.get_contexts_by_execution(e))
    return out


def test_upstream_reads_and_writes_after_our_purge(shared_db):
    backend = shared_db.backend
    server = start_server(backend, database_flags=shared_db.server_flags())
    try:
        ours = mlmd.MetadataStore(pb.MetadataStoreClientConfig(host=server.host, port=server.port))
        rich = write_graph(ours, "K1", backend)
        types = kfp_types(ours)
        [pipeline_id] = ours.put_contexts([pb.Context(type_id=types["pipeline"], name="hello-pipeline")])
        [pipeline] = ours.get_contexts_by_id([pipeline_id])
        run1 = kfp_run(ours, types, pipeline, "run-1")
        run2 = kfp_run(ours, types, pipeline, "run-2", shared_input=run1["model"])

        command = CLI + ["purge", "contexts", "--server", f"{server.host}:{server.port}", "--execute",
                         "--filter", f"type = 'system.PipelineRun' AND name = 'run-1'"]
        purge = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert purge.returncode == 0, purge.stderr
        assert "DELETED in 1 batches" in purge.stdout
        survivors = {
            "contexts": [pipeline_id, run2["context"]],
            "executions": run2["executions"],
            "artifacts": [run1["model"], run2["dataset"], run2["model"]],
        }
        our_view = surviving_reads(ours, survivors)
        our_rich = read_everything(ours, rich)
    finally:
        server.stop()

    upstream = shared_db.upstream()
    # The purged run is gone for upstream too, and everything else reads as our server read it.
    assert upstream.get_contexts_by_id([run1["context"]]) == []
    assert upstream.get_executions_by_id(run1["executions"]) == []
    assert upstream.get_artifacts_by_id([run1["dataset"]]) == []
    assert surviving_reads(upstream, survivors) == our_view
    assert our_view[f"contexts of artifact {run1['model']}"] == sorted([pipeline_id, run2["context"]])
    found = differences(backend, read_everything(upstream, rich), our_rich)
    assert not found, "\n\n".join(f"## {k}\n{v}" for k, v in found.items())

    # Upstream keeps writing: a third run that reads the shared model, through upstream's library.
    [pipeline] = upstream.get_contexts_by_id([pipeline_id])
    run3 = kfp_run(upstream, types, pipeline, "run-3", shared_input=run1["model"])
    assert sorted(e.id for e in upstream.get_executions_by_context(run3["context"])) == sorted(run3["executions"])
    assert len(upstream.get_events_by_artifact_ids([run1["model"]])) == 2  # its OUTPUT went with run-1; the INPUTs of run-2 and run-3
